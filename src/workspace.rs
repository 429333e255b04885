//! Everything the TUI (and `report`) shows, in two phases. The first — rules run, dataset
//! facts for the header — is what the first frame needs. The second (`SecondPhase`) is slower
//! on big exports: reassembled scripts, split-script findings, and per-host / per-user event
//! times for the timeline; the TUI draws before it is done and merges it when it arrives.
//! No terminal code here.

use crate::alert::Alert;
use crate::index::{self, Dataset};
use crate::reassembly::Script;
use crate::rule::{guide, Rule};
use std::collections::HashMap;

/// A loaded case.
pub struct Workspace {
    /// How script text was analyzed (near misses use the same tokens).
    pub analyzer: crate::analysis::Analyzer,
    pub rules: Vec<Rule>,
    /// Each rule's investigation guide (in both languages), by rule index.
    pub guides: Vec<guide::Localized>,
    /// In time order (`detect::sort`): the timeline finds its window by binary search.
    pub alerts: Vec<Alert>,
    pub files: u64,
    pub events: u64,
    /// Events that carry script-block text.
    pub script_events: u64,
    pub time_range: Option<(i64, i64)>,
    /// Distinct hosts and users; `None` until the second phase has counted them.
    pub hosts: Option<usize>,
    pub users: Option<usize>,
    /// Records that could not be loaded (their reasons are in `diagnostics`).
    pub skipped_records: u64,
    /// `rule 'X' (path): skipped: reason` for each rule that did not run.
    pub skipped_rules: Vec<String>,
    /// Event times (epoch ms) by host name and by user, sorted (second phase).
    pub host_times: HashMap<String, Vec<i64>>,
    pub user_times: HashMap<String, Vec<i64>>,
    /// What loading reported (`path:line: reason`).
    pub diagnostics: Vec<String>,
    /// Multi-fragment scripts, reassembled (second phase).
    pub scripts: Vec<Script>,
    /// True once the second phase is merged.
    pub complete: bool,
    /// Every logged script block by (host, text), to link decoded layers (second phase).
    pub logged: crate::decoded::LoggedBlocks,
    /// Logged blocks that a loader's decoded layer equals (second phase).
    pub decoded_from: HashMap<(String, String), crate::detect::DecodedFrom>,
    /// While the first pass still reads and indexes (a workspace from
    /// [`Workspace::provisional`]): how far it is. `alerts` then holds what was found so far,
    /// and the dataset facts are not known yet. `None` from [`Workspace::build`] on.
    pub loading: Option<crate::ingest::Progress>,
}

pub use crate::index::TimesBy;

/// The second phase's results.
pub struct SecondPhaseResult {
    pub scripts: Vec<Script>,
    pub split: Vec<Alert>,
    pub host_times: TimesBy,
    pub user_times: TimesBy,
}

/// What the second phase needs, detached from the workspace so it can run after the workspace
/// went to the screen.
pub struct SecondPhase {
    rules: Vec<Rule>,
    alerted: crate::detect::AlertedScripts,
}

impl SecondPhase {
    /// The decoded pass (after the second phase: it reads every script block, and the timeline
    /// should not wait for it): findings on decoded layers and the logged-as links.
    pub fn decode(
        &self,
        ds: &Dataset,
        scripts: &[Script],
    ) -> index::Result<crate::detect::DecodedPass> {
        crate::detect::decoded_pass(ds, &self.rules, scripts, &crate::decode::Limits::default())
    }

    pub fn run(&self, ds: &Dataset) -> index::Result<SecondPhaseResult> {
        let scripts = crate::detect::scripts(ds)?;
        let split =
            crate::detect::split_findings_from(&scripts, &self.rules, &self.alerted, ds.analyzer());
        let (host_times, user_times) = ds.event_times()?;
        Ok(SecondPhaseResult {
            scripts,
            split,
            host_times,
            user_times,
        })
    }
}

impl Workspace {
    /// The workspace of a load that has just started: the rules, no alert yet, no dataset
    /// facts. The TUI shows it at once and adds alerts as the one pass finds them
    /// ([`Workspace::add_found`]) until the built one replaces it.
    pub fn provisional(rules: Vec<Rule>, analyzer: crate::analysis::Analyzer) -> Workspace {
        Workspace {
            analyzer,
            guides: rules.iter().map(guide::Localized::of).collect(),
            rules,
            alerts: Vec::new(),
            files: 0,
            events: 0,
            script_events: 0,
            time_range: None,
            hosts: None,
            users: None,
            skipped_records: 0,
            skipped_rules: Vec::new(),
            host_times: HashMap::new(),
            user_times: HashMap::new(),
            diagnostics: Vec::new(),
            scripts: Vec::new(),
            complete: false,
            logged: Default::default(),
            decoded_from: HashMap::new(),
            loading: Some(crate::ingest::Progress::default()),
        }
    }

    /// Alerts the one pass has just found, kept in time order.
    pub fn add_found(&mut self, alerts: Vec<Alert>) {
        self.alerts.extend(alerts);
        crate::detect::sort(&mut self.alerts);
    }

    /// The first phase: the rules' `alerts` over `ds` (`session::open_and_detect`) and the
    /// header facts.
    pub fn build(ds: &Dataset, rules: Vec<Rule>, alerts: Vec<Alert>) -> index::Result<Workspace> {
        let report = &ds.manifest().report;
        Ok(Workspace {
            alerts,
            files: report.files,
            events: ds.num_events(),
            script_events: ds.script_block_count()?,
            time_range: ds.time_span()?,
            skipped_records: report.skipped,
            diagnostics: report.diagnostics.iter().map(|d| d.to_string()).collect(),
            loading: None,
            ..Workspace::provisional(rules, ds.analyzer())
        })
    }

    /// What the second phase needs, taken before the workspace is handed to the screen.
    pub fn second_phase(&self) -> SecondPhase {
        SecondPhase {
            rules: self.rules.clone(),
            alerted: crate::detect::alerted_scripts(&self.alerts),
        }
    }

    /// Adds the decoded pass: its findings join the alerts (in time order) and its links serve
    /// the Decoded tab.
    pub fn merge_decoded(&mut self, pass: crate::detect::DecodedPass) {
        self.alerts.extend(pass.findings);
        crate::detect::sort(&mut self.alerts);
        self.logged = pass.logged;
        self.decoded_from = pass.decoded_from;
    }

    /// Adds the second phase's results.
    pub fn merge(&mut self, r: SecondPhaseResult) {
        self.scripts = r.scripts;
        self.alerts.extend(r.split);
        crate::detect::sort(&mut self.alerts);
        self.hosts = Some(r.host_times.len());
        self.users = Some(r.user_times.len());
        self.host_times = r.host_times;
        self.user_times = r.user_times;
        self.complete = true;
    }
}
