//! `pstriage report`: the triage of every alert (and the case's bookmarks) as Markdown or JSON.

use super::{case_dir, paths_or_sample, say, LoadArgs};
use crate::session;
use crate::triage::store::Store;
use clap::Args;
use std::io::Write;
use std::path::PathBuf;
use std::sync::atomic::AtomicBool;

#[derive(Clone, Copy, Debug, clap::ValueEnum)]
pub enum ReportFormat {
    Markdown,
    Json,
}

#[derive(Args, Debug)]
pub struct ReportArgs {
    /// `markdown` or `json`.
    #[arg(long, value_enum, default_value = "markdown")]
    pub format: ReportFormat,
    /// Triage directory (default: $XDG_DATA_HOME/pstriage). Example: --case ./case-117
    #[arg(long, value_name = "DIR")]
    pub case: Option<PathBuf>,
    /// Exports (none: the bundled sample data).
    pub paths: Vec<PathBuf>,
}

pub fn run(load: &LoadArgs, args: ReportArgs) -> anyhow::Result<()> {
    let opts = load.options(paths_or_sample(args.paths)?);
    let mut ws = session::load_workspace(&opts, &mut |_| {}, &AtomicBool::new(false))?;
    let case = case_dir(args.case)?;
    let (exceptions, notes) = session::load_exceptions(&opts, Some(&case))?;
    notes.iter().for_each(say);
    let (rules, analyzer) = (&ws.rules, ws.analyzer);
    let now = crate::exceptions::now_ms();
    crate::detect::mark_and_correlate(&mut ws.alerts, rules, analyzer, &exceptions, now);
    let (store, book) = Store::open(&case);
    if let Some(why) = &store.read_only {
        say(why);
    }
    let text = match args.format {
        ReportFormat::Markdown => crate::report::markdown(&ws, &book),
        ReportFormat::Json => {
            serde_json::to_string_pretty(&crate::report::json(&ws, &book))? + "\n"
        }
    };
    std::io::stdout().write_all(text.as_bytes())?;
    Ok(())
}
