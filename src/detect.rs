//! Running rules over an open dataset: the compiled tantivy query finds candidates, the pure
//! evaluator confirms each (see `alert::check`). Results are sorted by time, then source order.

mod correlate;
mod decoded;

pub use correlate::{correlate, mark_and_correlate};
pub use decoded::{decoded_pass, DecodedBlock, DecodedFrom, DecodedPass, Decoder};

use crate::alert::{self, Alert, AlertKind};
use crate::ecs;
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

/// Loads each candidate and builds its alerts, on `threads::workers()` threads taking `CHUNK` candidates
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

/// What one streaming worker found in the batches it took.
#[derive(Default)]
struct WorkerFinds {
    alerts: Vec<Alert>,
    blocks: Vec<DecodedBlock>,
}

/// A batch of events in reading order, numbered so work done on any thread can be put back
/// in that order.
type Batch = (u64, Vec<crate::event::Event>);

/// Alerts of `rules` while reading `inputs`, without an index (`scan --stream`): the same
/// evaluator, so the same alerts as the indexed path. Reading and parsing stay on this thread;
/// batches of events are checked on two worker threads.
///
/// With a `decode`r, the workers also decode each script block they check and run the rules
/// on its layers, and pass the fragments of multi-fragment scripts to a reassembly thread,
/// which takes them back in reading order, decodes each script as soon as its last fragment is
/// in and lets its fragments go. The links between layers and logged blocks are made once the
/// input ends (a payload may be logged before or after its loader).
pub fn stream(
    inputs: &[crate::ingest::InputFile],
    rules: &[Rule],
    analyzer: crate::analysis::Analyzer,
    decode: Option<&Decoder>,
    cancel: &std::sync::atomic::AtomicBool,
) -> Result<Streamed, crate::ingest::IngestError> {
    const BATCH: usize = 256;
    let worker_count = crate::threads::workers();
    let (tx, rx) = std::sync::mpsc::sync_channel::<Batch>(worker_count * 4);
    let rx = std::sync::Mutex::new(rx);
    let (fragments_tx, fragments_rx) = std::sync::mpsc::channel::<Batch>();
    let vocabulary = crate::rule::kql::Plan::joint_vocabulary(rules.iter().map(|r| &r.plan));
    let vocabulary = &vocabulary;
    let (finds, scripts, result) = std::thread::scope(|scope| {
        let workers: Vec<_> = (0..worker_count)
            .map(|_| {
                let fragments_tx = fragments_tx.clone();
                let rx = &rx;
                scope.spawn(move || {
                    let mut finds = WorkerFinds::default();
                    loop {
                        let batch = match rx.lock() {
                            Ok(guard) => guard.recv(),
                            Err(_) => break,
                        };
                        let Ok((number, batch)) = batch else { break };
                        let mut fragments = Vec::new();
                        for ev in batch {
                            let alerts = alert::check_all(rules, vocabulary, &ev, analyzer);
                            let Some(decoder) = decode else {
                                finds.alerts.extend(alerts);
                                continue;
                            };
                            let fired: Vec<usize> = alerts.iter().map(|a| a.rule).collect();
                            finds.alerts.extend(alerts);
                            let Some(block) = decoder.block(&ev, Some(&fired)) else {
                                continue;
                            };
                            if block.in_script() {
                                fragments.push(ev);
                            } else {
                                finds.blocks.push(block);
                            }
                        }
                        if decode.is_some() {
                            // Every batch, fragments or not: the reassembler waits for each number.
                            let _ = fragments_tx.send((number, fragments));
                        }
                    }
                    finds
                })
            })
            .collect();
        drop(fragments_tx);
        let reassembly = decode.map(|d| scope.spawn(move || reassemble_in_order(d, fragments_rx)));
        let mut batch = Vec::with_capacity(BATCH);
        let mut number = 0;
        let result = crate::ingest::ingest(
            inputs,
            &mut |ev| {
                batch.push(ev);
                if batch.len() == BATCH {
                    let full = std::mem::replace(&mut batch, Vec::with_capacity(BATCH));
                    let _ = tx.send((number, full));
                    number += 1;
                }
            },
            &mut |_| {},
            cancel,
        );
        if !batch.is_empty() {
            let _ = tx.send((number, batch));
        }
        drop(tx);
        // A worker's panic is a bug: pass it on rather than return fewer alerts.
        let finds: Vec<WorkerFinds> = workers
            .into_iter()
            .map(|w| w.join().unwrap_or_else(|p| std::panic::resume_unwind(p)))
            .collect();
        let scripts = reassembly
            .map(|r| r.join().unwrap_or_else(|p| std::panic::resume_unwind(p)))
            .unwrap_or_default();
        (finds, scripts, result)
    });
    let report = result?;
    let mut all = WorkerFinds::default();
    for f in finds {
        all.alerts.extend(f.alerts);
        all.blocks.extend(f.blocks);
    }
    sort(&mut all.alerts);
    Ok(Streamed {
        alerts: all.alerts,
        report,
        decoded: decode.map(|_| decoded::finish_pass(all.blocks, scripts)),
    })
}

/// The reassembly thread of a decoding stream: fragments put back in reading order by batch
/// number, each script decoded as soon as it is complete, the incomplete ones at the end.
fn reassemble_in_order(
    decoder: &Decoder,
    batches: std::sync::mpsc::Receiver<Batch>,
) -> Vec<DecodedBlock> {
    let mut reassembler = reassembly::Reassembler::default();
    let mut waiting: BTreeMap<u64, Vec<crate::event::Event>> = BTreeMap::new();
    let mut next = 0;
    let mut scripts = Vec::new();
    let mut take = |events: Vec<crate::event::Event>, scripts: &mut Vec<DecodedBlock>| {
        for ev in events {
            if let Some(s) = reassembler.push(ev) {
                scripts.extend(decoded::owned_script_block(decoder, s));
            }
        }
    };
    for (number, events) in batches {
        waiting.insert(number, events);
        while let Some(events) = waiting.remove(&next) {
            take(events, &mut scripts);
            next += 1;
        }
    }
    // Only a cancelled read leaves gaps; what arrived is still taken in order.
    for (_, events) in std::mem::take(&mut waiting) {
        take(events, &mut scripts);
    }
    scripts.extend(
        reassembler
            .finish()
            .into_iter()
            .filter_map(|s| decoded::owned_script_block(decoder, s)),
    );
    scripts
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
