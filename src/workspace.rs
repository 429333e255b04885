//! Everything the TUI (and `report`) shows, computed once after loading: the rules and their
//! guides, the alerts, dataset facts for the header, and per-host / per-user event times for
//! the timeline. No terminal code here.

use crate::alert::Alert;
use crate::index::Dataset;
use crate::rule::{guide, Rule};
use std::collections::HashMap;
use tantivy::collector::DocSetCollector;

/// The second loading phase, detached from the workspace.
pub struct Reassembly {
    rules: Vec<Rule>,
    alerted: crate::detect::AlertedScripts,
}

impl Reassembly {
    /// Reassembles the scripts of `ds` and finds the split-script findings.
    pub fn run(
        &self,
        ds: &Dataset,
    ) -> tantivy::Result<(Vec<crate::reassembly::Script>, Vec<Alert>)> {
        let scripts = crate::detect::scripts(ds)?;
        let split =
            crate::detect::split_findings_from(&scripts, &self.rules, &self.alerted, ds.analyzer);
        Ok((scripts, split))
    }
}

/// A loaded case.
pub struct Workspace {
    /// How script text was analyzed (near misses use the same tokens).
    pub analyzer: crate::analysis::Analyzer,
    pub rules: Vec<Rule>,
    pub guides: Vec<guide::Guide>,
    pub alerts: Vec<Alert>,
    pub files: u64,
    pub events: u64,
    /// Events that carry script-block text.
    pub script_events: u64,
    pub time_range: Option<(i64, i64)>,
    pub hosts: usize,
    /// Event times (epoch ms) by host name and by user, sorted.
    pub host_times: HashMap<String, Vec<i64>>,
    pub user_times: HashMap<String, Vec<i64>>,
    /// What loading reported (`path:line: reason`).
    pub diagnostics: Vec<String>,
    /// Multi-fragment scripts, reassembled.
    pub scripts: Vec<crate::reassembly::Script>,
}

impl Workspace {
    /// The slower second phase: reassembles multi-fragment scripts and finds the split-script
    /// findings (the TUI shows the first frame before this is done).
    pub fn reassemble(
        &self,
        ds: &Dataset,
    ) -> tantivy::Result<(Vec<crate::reassembly::Script>, Vec<Alert>)> {
        self.reassemble_later().run(ds)
    }

    /// What the second phase needs, taken before the workspace is handed to the screen.
    pub fn reassemble_later(&self) -> Reassembly {
        Reassembly {
            rules: self.rules.clone(),
            alerted: crate::detect::alerted_scripts(&self.alerts),
        }
    }

    /// Adds the second phase's results.
    pub fn merge_scripts(&mut self, scripts: Vec<crate::reassembly::Script>, split: Vec<Alert>) {
        self.scripts = scripts;
        self.alerts.extend(split);
        crate::detect::sort(&mut self.alerts);
    }

    /// Runs the rules and gathers the facts (without the split-script phase).
    pub fn build(ds: &Dataset, rules: Vec<Rule>) -> tantivy::Result<Workspace> {
        let alerts = crate::detect::run(ds, &rules)?;
        let scripts = Vec::new();
        let guides = rules
            .iter()
            .map(|r| guide::parse(r.meta.note.as_deref().unwrap_or("")))
            .collect();
        let searcher = ds.reader.searcher();
        let mut host_times: HashMap<String, Vec<i64>> = HashMap::new();
        let mut user_times: HashMap<String, Vec<i64>> = HashMap::new();
        let mut range: Option<(i64, i64)> = None;
        let mut buf = String::new();
        for seg in searcher.segment_readers() {
            let ff = seg.fast_fields();
            let time = ff.date("time")?;
            let host = ff.str("host")?;
            let user = ff.str("user")?;
            for doc in seg.doc_ids_alive() {
                let Some(t) = time.first(doc).map(|d| d.into_timestamp_millis()) else {
                    continue;
                };
                range = Some(range.map_or((t, t), |(a, b)| (a.min(t), b.max(t))));
                for (col, map) in [(&host, &mut host_times), (&user, &mut user_times)] {
                    if let Some(col) = col {
                        if let Some(ord) = col.term_ords(doc).next() {
                            buf.clear();
                            if col.ord_to_str(ord, &mut buf).unwrap_or(false) {
                                map.entry(buf.clone()).or_default().push(t);
                            }
                        }
                    }
                }
            }
        }
        for v in host_times.values_mut().chain(user_times.values_mut()) {
            v.sort_unstable();
        }
        let sbt =
            tantivy::Term::from_field_text(ds.fields.exists, crate::ecs::names::SCRIPT_BLOCK_TEXT);
        let q = tantivy::query::TermQuery::new(sbt, tantivy::schema::IndexRecordOption::Basic);
        let script_events = searcher.search(&q, &DocSetCollector)?.len() as u64;
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
            hosts: host_times.len(),
            host_times,
            user_times,
            diagnostics: report.diagnostics.iter().map(|d| d.to_string()).collect(),
            scripts,
        })
    }
}
