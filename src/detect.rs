//! Running rules over an open dataset: the compiled tantivy query finds candidates, the pure
//! evaluator confirms each (see `alert::check`). Results are sorted by time, then source order.

mod decoded;

pub use decoded::{decoded_pass, DecodedBlock, DecodedFrom, DecodedPass, Decoder};

use crate::alert::{self, Alert, AlertKind};
use crate::ecs;
use crate::index::{self, Dataset, EventAddr};
use crate::reassembly::{self, Script};
use crate::rule::Rule;
use std::collections::{BTreeMap, HashSet};
use std::sync::atomic::{AtomicUsize, Ordering};

/// Threads that load and explain candidates (the machines this runs on have two cores or more).
const WORKERS: usize = 2;

/// Candidates a worker takes at a time: small enough to keep both threads busy to the end.
const CHUNK: usize = 32;

/// A candidate event and the rules it is a candidate of (rule index, whether that rule's index
/// query was exact).
type Task = (EventAddr, Vec<(usize, bool)>);

/// All alerts of `rules` over `ds`.
pub fn run(ds: &Dataset, rules: &[Rule]) -> index::Result<Vec<Alert>> {
    // An event that is a candidate of several rules is loaded once.
    let mut wanted: BTreeMap<EventAddr, Vec<(usize, bool)>> = BTreeMap::new();
    for (i, rule) in rules.iter().enumerate() {
        let candidates = ds.candidates(&rule.expr)?;
        for addr in candidates.events {
            wanted.entry(addr).or_default().push((i, candidates.exact));
        }
    }
    let tasks: Vec<Task> = wanted.into_iter().collect();
    let mut alerts = confirm(ds, rules, &tasks)?;
    sort(&mut alerts);
    Ok(alerts)
}

/// Loads each candidate and builds its alerts, on `WORKERS` threads taking `CHUNK` candidates
/// at a time. Where a rule's query was exact every candidate matches and only the explanation
/// is built; otherwise the evaluator decides.
fn confirm(ds: &Dataset, rules: &[Rule], tasks: &[Task]) -> index::Result<Vec<Alert>> {
    let vocabulary = crate::rule::kql::Plan::joint_vocabulary(rules.iter().map(|r| &r.plan));
    let vocabulary = &vocabulary;
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
                    vocabulary,
                    event,
                    ds.analyzer(),
                ));
            }
        }
    };
    std::thread::scope(|scope| {
        let workers: Vec<_> = (0..WORKERS).map(|_| scope.spawn(work)).collect();
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

/// What one streaming worker found in the batches it took.
#[derive(Default)]
struct WorkerFinds {
    alerts: Vec<Alert>,
    blocks: Vec<DecodedBlock>,
    fragments: Vec<crate::event::Event>,
}

/// Alerts of `rules` while reading `inputs`, without an index (`scan --stream`): the same
/// evaluator, so the same alerts as the indexed path. Reading and parsing stay on this thread;
/// batches of events are checked on two worker threads. With a `decode`r, the workers also
/// decode each script block they check and run the rules on its layers; the decoded pass is
/// finished once the input ends (the links need every block: a payload may be logged before or
/// after its loader).
pub fn stream(
    inputs: &[crate::ingest::InputFile],
    rules: &[Rule],
    analyzer: crate::analysis::Analyzer,
    decode: Option<&Decoder>,
    cancel: &std::sync::atomic::AtomicBool,
) -> Result<Streamed, crate::ingest::IngestError> {
    const BATCH: usize = 256;
    let (tx, rx) = std::sync::mpsc::sync_channel::<Vec<crate::event::Event>>(WORKERS * 4);
    let rx = std::sync::Mutex::new(rx);
    let vocabulary = crate::rule::kql::Plan::joint_vocabulary(rules.iter().map(|r| &r.plan));
    let vocabulary = &vocabulary;
    let (finds, result) = std::thread::scope(|scope| {
        let workers: Vec<_> = (0..WORKERS)
            .map(|_| {
                scope.spawn(|| {
                    let mut finds = WorkerFinds::default();
                    loop {
                        let batch = match rx.lock() {
                            Ok(guard) => guard.recv(),
                            Err(_) => break,
                        };
                        let Ok(batch) = batch else { break };
                        for ev in batch {
                            let alerts = alert::check_all(rules, vocabulary, &ev, analyzer);
                            let fired: Vec<usize> = alerts.iter().map(|a| a.rule).collect();
                            finds.alerts.extend(alerts);
                            let Some(block) = decode.and_then(|d| d.block(&ev, Some(&fired)))
                            else {
                                continue;
                            };
                            if block.is_fragment() {
                                finds.fragments.push(ev);
                            }
                            finds.blocks.push(block);
                        }
                    }
                    finds
                })
            })
            .collect();
        let mut batch = Vec::with_capacity(BATCH);
        let result = crate::ingest::ingest(
            inputs,
            &mut |ev| {
                batch.push(ev);
                if batch.len() == BATCH {
                    let _ = tx.send(std::mem::replace(&mut batch, Vec::with_capacity(BATCH)));
                }
            },
            &mut |_| {},
            cancel,
        );
        if !batch.is_empty() {
            let _ = tx.send(batch);
        }
        drop(tx);
        // A worker's panic is a bug: pass it on rather than return fewer alerts.
        let finds: Vec<WorkerFinds> = workers
            .into_iter()
            .map(|w| w.join().unwrap_or_else(|p| std::panic::resume_unwind(p)))
            .collect();
        (finds, result)
    });
    let report = result?;
    let mut all = WorkerFinds::default();
    for f in finds {
        all.alerts.extend(f.alerts);
        all.blocks.extend(f.blocks);
        all.fragments.extend(f.fragments);
    }
    sort(&mut all.alerts);
    let decoded = decode.map(|decoder| {
        // The index hands fragments over in reading order; the workers in any order.
        all.fragments.sort_by_key(|ev| ev.source.ord);
        let scripts = reassembly::reassemble(all.fragments);
        decoded::finish_pass(decoder, all.blocks, &scripts)
    });
    Ok(Streamed {
        alerts: all.alerts,
        report,
        decoded,
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
            let f = ecs::Fields::of_lenient(&a.event.doc);
            Some((
                a.rule,
                a.host.clone().unwrap_or_default(),
                f.first(ecs::names::SCRIPT_BLOCK_ID)?,
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
