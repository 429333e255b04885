//! Running rules over an open dataset: the compiled tantivy query finds candidates, the pure
//! evaluator confirms each (see `alert::check`). Results are sorted by time, then source order.

mod correlate;
mod decoded;
mod evaluator;

pub use correlate::{correlate, mark_and_correlate};
pub use decoded::{decoded_pass, DecodedBlock, DecodedFrom, DecodedPass, Decoder};
pub use evaluator::{Evaluated, Evaluator, OnFound};

use crate::alert::{self, Alert, AlertKind};
use crate::index::{self, Dataset, EventAddr};
use crate::reassembly::{self, Script};
use crate::rule::Rule;
use std::collections::{BTreeMap, HashSet};
use std::sync::atomic::{AtomicUsize, Ordering};

/// Candidates a worker takes at a time: small enough to keep both threads busy to the end.
const CHUNK: usize = 32;

/// A candidate event and the rules it is a candidate of (rule index, whether that rule's index
/// query was exact).
type Task = (EventAddr, Vec<(usize, bool)>);

/// All alerts of `rules` over `ds`.
pub fn run(ds: &Dataset, rules: &[Rule]) -> index::Result<Vec<Alert>> {
    // An event that is a candidate of several rules is loaded once.
    let mut wanted: BTreeMap<EventAddr, Vec<(usize, bool)>> = BTreeMap::new();
    for (i, rule) in rules.iter().enumerate().filter(|(_, r)| !r.over_alerts()) {
        let candidates = ds.candidates(&rule.candidate_query())?;
        for addr in candidates.events {
            wanted.entry(addr).or_default().push((i, candidates.exact));
        }
    }
    let tasks: Vec<Task> = wanted.into_iter().collect();
    let mut alerts = confirm(ds, rules, &tasks)?;
    sort(&mut alerts);
    Ok(alerts)
}

/// Loads each candidate and builds its alerts, on `threads::workers()` threads taking `CHUNK` candidates
/// at a time. Where a rule's query was exact every candidate matches and only the explanation
/// is built; otherwise the evaluator decides.
fn confirm(ds: &Dataset, rules: &[Rule], tasks: &[Task]) -> index::Result<Vec<Alert>> {
    let plans = crate::rule::kql::PlanSet::new(rules.iter().map(|r| &r.plan));
    let plans = &plans;
    let next = AtomicUsize::new(0);
    let work = || -> index::Result<Vec<Alert>> {
        let mut out = Vec::new();
        loop {
            let start = next.fetch_add(CHUNK, Ordering::Relaxed);
            if start >= tasks.len() {
                return Ok(out);
            }
            for (addr, candidate_of) in &tasks[start..(start + CHUNK).min(tasks.len())] {
                let event = ds.event(*addr)?;
                out.extend(alert::check_candidate(
                    rules,
                    candidate_of,
                    plans,
                    &event,
                    ds.analyzer(),
                ));
            }
        }
    };
    std::thread::scope(|scope| {
        let workers: Vec<_> = (0..crate::threads::workers())
            .map(|_| scope.spawn(work))
            .collect();
        let mut out = Vec::new();
        for w in workers {
            // A worker's panic is a bug: pass it on rather than return fewer alerts.
            out.extend(w.join().unwrap_or_else(|p| std::panic::resume_unwind(p))?);
        }
        Ok(out)
    })
}

/// The order alerts are reported in: time, then reading order, then rule.
pub fn sort(alerts: &mut [Alert]) {
    alerts.sort_by_key(|a| (a.time_ms, a.event.source.ord, a.rule));
}

/// What a streaming scan found.
pub struct Streamed {
    /// The Elastic alerts, sorted.
    pub alerts: Vec<Alert>,
    pub report: crate::ingest::IngestReport,
    /// The decoded pass, when it was asked for.
    pub decoded: Option<DecodedPass>,
}

/// Alerts of `rules` while reading `inputs`, without an index (`scan --stream`): the same
/// evaluator, so the same alerts as the indexed path. Reading and parsing stay on this thread;
/// batches of events are checked on the [`Evaluator`]'s workers.
///
/// With a `decode`r, the workers also decode each script block they check and run the rules
/// on its layers, and pass the fragments of multi-fragment scripts to a reassembly thread,
/// which takes them back in reading order, decodes each script as soon as its last fragment is
/// in and lets its fragments go. The links between layers and logged blocks are made once the
/// input ends (a payload may be logged before or after its loader).
///
/// With a `spill`, the alerts hold their documents in that scratch file instead of in memory.
pub fn stream(
    inputs: &[crate::ingest::InputFile],
    rules: &[Rule],
    analyzer: crate::analysis::Analyzer,
    decode: Option<&Decoder>,
    spill: Option<&std::sync::Arc<crate::event::Spill>>,
    cancel: &std::sync::atomic::AtomicBool,
) -> Result<Streamed, crate::ingest::IngestError> {
    let (evaluated, result) = std::thread::scope(|scope| {
        let mut evaluator = Evaluator::start(scope, rules, analyzer, decode, None, spill);
        let result =
            crate::ingest::ingest(inputs, &mut |ev| evaluator.push(ev), &mut |_| {}, cancel);
        (evaluator.finish(), result)
    });
    let report = result?;
    Ok(Streamed {
        alerts: evaluated.alerts,
        report,
        decoded: evaluated.decoded,
    })
}

/// The multi-fragment scripts of `ds`, reassembled.
pub fn scripts(ds: &Dataset) -> index::Result<Vec<Script>> {
    Ok(reassembly::reassemble(ds.multi_fragment_events()?))
}

/// (rule, host, script block id) of every alert: which scripts already alerted, per rule.
pub type AlertedScripts = HashSet<(usize, String, String)>;

/// The scripts `alerts` came from.
pub fn alerted_scripts(alerts: &[Alert]) -> AlertedScripts {
    alerts
        .iter()
        .filter_map(|a| {
            Some((
                a.rule,
                a.host.clone().unwrap_or_default(),
                a.script_block_id.clone()?,
            ))
        })
        .collect()
}

/// Split-script findings: rules that match a reassembled script while none of its fragments
/// raised that rule's alert (`alerts` are the Elastic alerts of the same run).
pub fn split_findings(
    scripts: &[Script],
    rules: &[Rule],
    alerts: &[Alert],
    ds: &Dataset,
) -> Vec<Alert> {
    split_findings_from(scripts, rules, &alerted_scripts(alerts), ds.analyzer())
}

/// `split_findings` given the scripts that already alerted.
pub fn split_findings_from(
    scripts: &[Script],
    rules: &[Rule],
    alerted: &AlertedScripts,
    analyzer: crate::analysis::Analyzer,
) -> Vec<Alert> {
    let mut out = Vec::new();
    for s in scripts.iter().filter(|s| s.fragments.len() > 1) {
        let Some(whole) = s.as_event() else { continue };
        for (i, rule) in rules.iter().enumerate() {
            if alerted.contains(&(i, s.host.clone(), s.script_block_id.clone())) {
                continue;
            }
            if let Some(mut a) = alert::check(rule, i, &whole, analyzer) {
                a.kind = AlertKind::SplitScript {
                    script_block_id: s.script_block_id.clone(),
                    fragments: s.fragments.len(),
                    total: s.total,
                    missing: s.missing.clone(),
                };
                out.push(a);
            }
        }
    }
    out
}

/// Adds the split-script findings to `alerts` (kept in time order) and returns the reassembled
/// scripts they came from.
pub fn add_split_findings(
    ds: &Dataset,
    rules: &[Rule],
    alerts: &mut Vec<Alert>,
) -> index::Result<Vec<Script>> {
    let all = scripts(ds)?;
    let split = split_findings(&all, rules, alerts, ds);
    alerts.extend(split);
    sort(alerts);
    Ok(all)
}
