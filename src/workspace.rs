//! Everything the TUI (and `report`) shows, in two phases. The first — rules run, dataset
//! facts for the header — is what the first frame needs. The second (`SecondPhase`) is slower
//! on big exports: reassembled scripts, split-script findings, and per-host / per-user event
//! times for the timeline; the TUI draws before it is done and merges it when it arrives.
//! No terminal code here.

use crate::alert::Alert;
use crate::index::Dataset;
use crate::reassembly::Script;
use crate::rule::{guide, Rule};
use std::collections::HashMap;

/// A loaded case.
pub struct Workspace {
    /// How script text was analyzed (near misses use the same tokens).
    pub analyzer: crate::analysis::Analyzer,
    pub rules: Vec<Rule>,
    pub guides: Vec<guide::Guide>,
    /// In time order (`detect::sort`): the timeline finds its window by binary search.
    pub alerts: Vec<Alert>,
    pub files: u64,
    pub events: u64,
    /// Events that carry script-block text.
    pub script_events: u64,
    pub time_range: Option<(i64, i64)>,
    /// Distinct hosts; `None` until the second phase has counted them.
    pub hosts: Option<usize>,
    /// Event times (epoch ms) by host name and by user, sorted (second phase).
    pub host_times: HashMap<String, Vec<i64>>,
    pub user_times: HashMap<String, Vec<i64>>,
    /// What loading reported (`path:line: reason`).
    pub diagnostics: Vec<String>,
    /// Multi-fragment scripts, reassembled (second phase).
    pub scripts: Vec<Script>,
    /// True once the second phase is merged.
    pub complete: bool,
}

/// Event times (epoch ms, sorted) by host name or by user.
pub type TimesBy = HashMap<String, Vec<i64>>;

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
    pub fn run(&self, ds: &Dataset) -> tantivy::Result<SecondPhaseResult> {
        let scripts = crate::detect::scripts(ds)?;
        let split =
            crate::detect::split_findings_from(&scripts, &self.rules, &self.alerted, ds.analyzer);
        let (host_times, user_times) = event_times(ds)?;
        Ok(SecondPhaseResult {
            scripts,
            split,
            host_times,
            user_times,
        })
    }
}

/// Event times by host and by user, from the fast fields.
fn event_times(ds: &Dataset) -> tantivy::Result<(TimesBy, TimesBy)> {
    let searcher = ds.reader.searcher();
    let mut host_times: HashMap<String, Vec<i64>> = HashMap::new();
    let mut user_times: HashMap<String, Vec<i64>> = HashMap::new();
    let mut buf = String::new();
    for seg in searcher.segment_readers() {
        let ff = seg.fast_fields();
        let time = ff.date("time")?;
        let host = ff.str("host")?;
        let user = ff.str("user")?;
        // Times are gathered per dictionary ordinal, and each ordinal becomes its string once
        // per segment, not once per document.
        let mut by_host: HashMap<u64, Vec<i64>> = HashMap::new();
        let mut by_user: HashMap<u64, Vec<i64>> = HashMap::new();
        for doc in seg.doc_ids_alive() {
            let Some(t) = time.first(doc).map(|d| d.into_timestamp_millis()) else {
                continue;
            };
            if let Some(ord) = host.as_ref().and_then(|c| c.term_ords(doc).next()) {
                by_host.entry(ord).or_default().push(t);
            }
            if let Some(ord) = user.as_ref().and_then(|c| c.term_ords(doc).next()) {
                by_user.entry(ord).or_default().push(t);
            }
        }
        for (col, per_ord, map) in [
            (&host, by_host, &mut host_times),
            (&user, by_user, &mut user_times),
        ] {
            let Some(col) = col else { continue };
            for (ord, mut times) in per_ord {
                buf.clear();
                if col.ord_to_str(ord, &mut buf).unwrap_or(false) {
                    map.entry(buf.clone()).or_default().append(&mut times);
                }
            }
        }
    }
    for v in host_times.values_mut().chain(user_times.values_mut()) {
        v.sort_unstable();
    }
    Ok((host_times, user_times))
}

impl Workspace {
    /// The first phase: runs the rules and gathers the header facts.
    pub fn build(ds: &Dataset, rules: Vec<Rule>) -> tantivy::Result<Workspace> {
        let alerts = crate::detect::run(ds, &rules)?;
        let guides = rules
            .iter()
            .map(|r| guide::parse(r.meta.note.as_deref().unwrap_or("")))
            .collect();
        let searcher = ds.reader.searcher();
        let mut range: Option<(i64, i64)> = None;
        for seg in searcher.segment_readers() {
            let time = seg.fast_fields().date("time")?;
            if time.values.num_vals() == 0 {
                continue;
            }
            let (lo, hi) = (
                time.min_value().into_timestamp_millis(),
                time.max_value().into_timestamp_millis(),
            );
            range = Some(range.map_or((lo, hi), |(a, b)| (a.min(lo), b.max(hi))));
        }
        let sbt =
            tantivy::Term::from_field_text(ds.fields.exists, crate::ecs::names::SCRIPT_BLOCK_TEXT);
        let q = tantivy::query::TermQuery::new(sbt, tantivy::schema::IndexRecordOption::Basic);
        let script_events = searcher.search(&q, &tantivy::collector::Count)? as u64;
        let report = &ds.manifest.report;
        Ok(Workspace {
            analyzer: ds.analyzer,
            rules,
            guides,
            alerts,
            files: report.files,
            events: ds.num_events(),
            script_events,
            time_range: range,
            hosts: None,
            host_times: HashMap::new(),
            user_times: HashMap::new(),
            diagnostics: report.diagnostics.iter().map(|d| d.to_string()).collect(),
            scripts: Vec::new(),
            complete: false,
        })
    }

    /// What the second phase needs, taken before the workspace is handed to the screen.
    pub fn second_phase(&self) -> SecondPhase {
        SecondPhase {
            rules: self.rules.clone(),
            alerted: crate::detect::alerted_scripts(&self.alerts),
        }
    }

    /// Adds the second phase's results.
    pub fn merge(&mut self, r: SecondPhaseResult) {
        self.scripts = r.scripts;
        self.alerts.extend(r.split);
        crate::detect::sort(&mut self.alerts);
        self.hosts = Some(r.host_times.len());
        self.host_times = r.host_times;
        self.user_times = r.user_times;
        self.complete = true;
    }
}
