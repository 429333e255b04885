//! The headless commands (`scan`, `search`, `report`, `triage`, `rules`), one file each, and what
//! they share: the load options every command takes, where the case lives, the bundled sample,
//! and how a message reaches stderr. `main.rs` keeps only clap's top level and the dispatch.
//!
//! Commands print; nothing below them does. Must not hold logic another front end (the TUI)
//! needs: that lives in the library modules the commands call.

pub mod exceptions;
pub mod report;
pub mod rules;
pub mod sample;
pub mod scan;
pub mod search;
pub mod train;
pub mod triage;

use crate::analysis::Analyzer;
use crate::session::LoadOptions;
use anyhow::Context;
use clap::Args;
use std::path::PathBuf;

/// Prints a message on stderr as one line made safe for the terminal: the log text or paths it
/// quotes cannot move the cursor or colour the screen. The message's own line breaks stay.
pub fn say(msg: impl std::fmt::Display) {
    for line in msg.to_string().lines() {
        eprintln!("pstriage: {}", crate::safe_text::line(line));
    }
}

/// The options of every command that loads data.
#[derive(Args, Debug, Clone)]
pub struct LoadArgs {
    /// How powershell.file.script_block_text is tokenized: `pattern` (today's Elastic mapping)
    /// or `standard` (Winlogbeat 7.x indices). Example: --analyzer standard
    #[arg(long, global = true, default_value = "pattern", value_parser = parse_analyzer)]
    pub analyzer: Analyzer,
    /// Extra rule file or directory of Elastic detection-rules TOML (repeatable).
    /// Example: --rules ~/detection-rules/rules/windows
    #[arg(long = "rules", global = true, value_name = "PATH")]
    pub rules: Vec<PathBuf>,
    /// Do not load the bundled rules (use only --rules).
    #[arg(long, global = true)]
    pub no_default_rules: bool,
    /// Keep the index in DIR instead of the per-export cache directory. Example: --index ./case1.idx
    #[arg(long, global = true, value_name = "DIR")]
    pub index: Option<PathBuf>,
    /// A Kibana exception-list export (NDJSON), repeatable: its lists apply to the loaded rules
    /// whose exceptions_list names them, or to every rule when none does.
    /// Example: --exceptions ./ps-admin-exceptions.ndjson
    #[arg(long = "exceptions", global = true, value_name = "FILE")]
    pub exceptions: Vec<PathBuf>,
}

fn parse_analyzer(s: &str) -> Result<Analyzer, String> {
    s.parse()
}

impl LoadArgs {
    /// Load options for `paths` (the bundled sample when `paths` is empty and `sample_if_empty`).
    pub fn options(&self, paths: Vec<PathBuf>) -> LoadOptions {
        LoadOptions {
            paths,
            analyzer: self.analyzer,
            rule_paths: self.rules.clone(),
            no_default_rules: self.no_default_rules,
            index_dir: self.index.clone(),
            cache_root: None,
            exceptions: self.exceptions.clone(),
        }
    }
}

/// `paths`, or the bundled sample data when none are given.
pub fn paths_or_sample(paths: Vec<PathBuf>) -> anyhow::Result<Vec<PathBuf>> {
    Ok(if paths.is_empty() {
        vec![sample::sample_data()?]
    } else {
        paths
    })
}

/// The case directory: `--case DIR`, else `$XDG_DATA_HOME/pstriage`.
pub fn case_dir(case: Option<PathBuf>) -> anyhow::Result<PathBuf> {
    match case {
        Some(d) => Ok(d),
        None => crate::triage::store::default_case_dir()
            .context("no data directory for the triage file: pass --case DIR"),
    }
}

pub use crate::plural::count_of;
