//! `pstriage search`: hunt every event of the exports with a KQL query (`hunt`), and print the
//! matching events in time order as a table, NDJSON, JSON or CSV. `--save` and `--saved` keep
//! and reuse named queries in the case's `searches.json`.

use super::{case_dir, count_of, paths_or_sample, say, LoadArgs};
use crate::hunt::{self, Hunt};
use crate::output::{self, Format};
use crate::saved_searches::SavedSearches;
use crate::session;
use anyhow::Context;
use clap::Args;
use std::io::Write;
use std::path::PathBuf;
use std::sync::atomic::AtomicBool;
use std::time::Instant;

#[derive(Args, Debug)]
pub struct SearchArgs {
    /// `table`, `ndjson` (the ECS document plus pstriage.source.* and pstriage.event_id per
    /// line), `json` (an array of them) or `csv`.
    #[arg(long, value_enum, default_value = "table")]
    pub format: Format,
    /// Print only the number of matching events.
    #[arg(long)]
    pub count: bool,
    /// Print at most N events (the earliest); the summary still counts them all.
    #[arg(long, value_name = "N")]
    pub limit: Option<usize>,
    /// Run the query saved under NAME in the case (every argument is then a path).
    #[arg(long, value_name = "NAME", conflicts_with = "save")]
    pub saved: Option<String>,
    /// Also save the query under NAME in the case (replacing one of that name).
    #[arg(long, value_name = "NAME")]
    pub save: Option<String>,
    /// The case directory holding searches.json (default: $XDG_DATA_HOME/pstriage).
    #[arg(long, value_name = "DIR")]
    pub case: Option<PathBuf>,
    /// The KQL query, then the exports (none: the bundled sample data). With --saved, only
    /// the exports.
    #[arg(value_name = "QUERY PATHS", required_unless_present = "saved")]
    pub args: Vec<String>,
}

/// Exit status of a query that does not parse.
pub const BAD_QUERY: u8 = 2;

/// Why a search could not run.
#[derive(Debug, thiserror::Error)]
pub enum SearchError {
    /// The query does not parse: `query:L:C: reason`.
    #[error("{0}")]
    Query(#[from] crate::rule::kql::KqlError),
    #[error(transparent)]
    Other(#[from] anyhow::Error),
}

pub fn run(load: &LoadArgs, args: SearchArgs) -> Result<(), SearchError> {
    let started = Instant::now();
    let mut rest = args.args.clone();
    let case = case_dir(args.case.clone())?;
    let query = match &args.saved {
        Some(name) => {
            let (_, saved) = SavedSearches::open(&case);
            saved.get(name).map(|s| s.query.clone()).with_context(|| {
                format!(
                    "no saved search named '{name}' in {}; saved: {}",
                    case.display(),
                    saved.names().join(", ")
                )
            })?
        }
        None => rest.remove(0),
    };
    let hunt = Hunt::parse(&query)?;
    if let Some(name) = &args.save {
        let (store, mut saved) = SavedSearches::open(&case);
        saved.put(name, &query, chrono::Utc::now().timestamp_millis());
        store.save(&saved).context("saving the search")?;
        say(format_args!(
            "saved as '{name}' in {}",
            store.path.display()
        ));
    }
    let paths = paths_or_sample(rest.into_iter().map(PathBuf::from).collect())?;
    let opts = load.options(paths);
    let ds = session::open_dataset(&opts, &mut |_| {}, &AtomicBool::new(false))
        .map_err(anyhow::Error::from)?;
    session::report_loading(&ds, |m| say(m));
    let stdout = std::io::stdout();
    let mut out = std::io::BufWriter::new(stdout.lock());
    let total = if args.count {
        let n = hunt::count(&ds, &hunt).context("searching")?;
        writeln!(out, "{n}").context("writing the count")?;
        n
    } else {
        let results = hunt::run(&ds, &hunt, args.limit).context("searching")?;
        output::write_found(&mut out, args.format, &results.found).context("writing the events")?;
        if results.found.len() < results.total {
            say(format_args!(
                "showing the first {} of {} (--limit)",
                results.found.len(),
                results.total
            ));
        }
        results.total
    };
    out.flush().context("writing the events")?;
    say(format_args!(
        "{} of {} match in {:.0} ms",
        count_of(total, "event"),
        ds.num_events(),
        started.elapsed().as_secs_f64() * 1000.0
    ));
    Ok(())
}
