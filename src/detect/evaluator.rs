//! The evaluator pool: every event checked by every rule on worker threads, fed in reading
//! order by whoever reads the exports. `scan --stream` feeds it straight from ingest; the one
//! pass that builds an index feeds it the same parsed events it indexes, so the alerts are
//! final when the reading ends, before the index is committed.
//!
//! With a decoder the workers also decode each block they check (see [`super::stream`]).
//! Must not read files or query the index (it only takes what the build hands its `Tap`), nor
//! reorder what it returns: alerts come back sorted (`detect::sort`), whichever thread found
//! them.

use super::decoded::{self, Blocks, DecodedPass, Decoder};
use crate::alert::{self, Alert};
use crate::analysis::Analyzer;
use crate::ecs::Fields;
use crate::event::{Event, PackedEvent, Spill};
use crate::reassembly;
use crate::rule::kql::PlanSet;
use crate::rule::Rule;
use std::collections::BTreeMap;
use std::sync::mpsc::{self, Receiver, SyncSender};
use std::sync::{Arc, Mutex};
use std::thread::{Scope, ScopedJoinHandle};

/// Events handed to a worker at a time: big enough that the channel is not the cost, small
/// enough that the first alerts of a load are found within a few milliseconds.
const BATCH: usize = 256;

/// A batch of events in reading order, numbered so work done on any thread can be put back
/// in that order.
type Batch = (u64, Vec<Event>);

/// Called on a worker thread with the alerts of each batch as soon as they are final (the
/// TUI's list grows from these while the load goes on). They are not in time order.
pub type OnFound<'a> = &'a (dyn Fn(&[Alert]) + Sync);

/// What one worker found in the batches it took.
#[derive(Default)]
struct WorkerFinds {
    alerts: Vec<Alert>,
    blocks: Blocks,
}

/// Everything the pool found.
pub struct Evaluated {
    /// The Elastic alerts, sorted.
    pub alerts: Vec<Alert>,
    /// With a decoder: the decoded pass over every block and reassembled script.
    pub decoded: Option<DecodedPass>,
}

/// A running pool; [`Evaluator::push`] events in reading order, then [`Evaluator::finish`].
/// Dropped without `finish` (a load that failed, or an index that was reused after all), its
/// workers end with the scope and what they found is thrown away.
pub struct Evaluator<'scope> {
    tx: SyncSender<Batch>,
    batch: Vec<Event>,
    number: u64,
    workers: Vec<ScopedJoinHandle<'scope, WorkerFinds>>,
    reassembly: Option<ScopedJoinHandle<'scope, Blocks>>,
}

impl<'scope> Evaluator<'scope> {
    /// Starts `threads::workers()` workers in `scope`. With a `spill`, the documents of the
    /// alerts each batch raises are moved out to it once `found` has heard them.
    pub fn start<'env>(
        scope: &'scope Scope<'scope, 'env>,
        rules: &'env [Rule],
        analyzer: Analyzer,
        decode: Option<&'env Decoder<'env>>,
        found: Option<OnFound<'env>>,
        spill: Option<&'env Arc<Spill>>,
    ) -> Self {
        let worker_count = crate::threads::workers();
        // One waiting batch per worker: parsed events are several times their JSON, and a
        // deeper queue only held more of them while slow rules kept the workers busy (four
        // per worker: 42 MB peak for the plain stream of 100 MB, 65 MB with Elastic's 35
        // rules; one: 31 and 52 MB, the same speed).
        let (tx, rx) = mpsc::sync_channel::<Batch>(worker_count);
        let rx = Arc::new(Mutex::new(rx));
        let (fragments_tx, fragments_rx) = mpsc::channel::<Batch>();
        let plans = Arc::new(PlanSet::new(rules.iter().map(|r| &r.plan)));
        let workers = (0..worker_count)
            .map(|_| {
                let (rx, plans) = (rx.clone(), plans.clone());
                let fragments_tx = fragments_tx.clone();
                scope.spawn(move || {
                    let mut finds = WorkerFinds::default();
                    loop {
                        let batch = match rx.lock() {
                            Ok(guard) => guard.recv(),
                            Err(_) => break,
                        };
                        let Ok((number, batch)) = batch else { break };
                        let before = finds.alerts.len();
                        let mut fragments = Vec::new();
                        for ev in batch {
                            // Flattened once for the rules and the decoder.
                            let fields = Fields::of_lenient(&ev.doc);
                            let alerts = alert::check_all_in(rules, &plans, &ev, &fields, analyzer);
                            let Some(decoder) = decode else {
                                finds.alerts.extend(alerts);
                                continue;
                            };
                            let fired: Vec<usize> = alerts.iter().map(|a| a.rule).collect();
                            finds.alerts.extend(alerts);
                            let Some(block) = decoder.block_in(&ev, &fields, Some(&fired)) else {
                                continue;
                            };
                            if block.in_script() {
                                fragments.push(ev);
                            } else {
                                finds.blocks.push(block);
                            }
                        }
                        if let Some(found) = found.filter(|_| finds.alerts.len() > before) {
                            found(&finds.alerts[before..]);
                        }
                        if let Some(spill) = spill {
                            let new = finds.alerts[before..].iter_mut().map(|a| &mut a.event);
                            PackedEvent::spill_to(new, spill);
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
        Evaluator {
            tx,
            batch: Vec::with_capacity(BATCH),
            number: 0,
            workers,
            reassembly,
        }
    }

    /// The next event in reading order.
    pub fn push(&mut self, ev: Event) {
        self.batch.push(ev);
        if self.batch.len() == BATCH {
            self.send();
        }
    }

    /// Hands on the events pushed since the last full batch, so that nothing waits for
    /// `finish` (a one-pass load calls it when reading ends, before the commit).
    pub fn flush(&mut self) {
        if !self.batch.is_empty() {
            self.send();
        }
    }

    fn send(&mut self) {
        let full = std::mem::replace(&mut self.batch, Vec::with_capacity(BATCH));
        // A closed channel means a worker panicked; `finish` passes the panic on.
        let _ = self.tx.send((self.number, full));
        self.number += 1;
    }

    /// Waits for the workers and returns what they found, alerts sorted.
    pub fn finish(mut self) -> Evaluated {
        self.flush();
        let Evaluator {
            tx,
            workers,
            reassembly,
            ..
        } = self;
        drop(tx);
        // A worker's panic is a bug: pass it on rather than return fewer alerts.
        let mut all = WorkerFinds::default();
        for w in workers {
            let finds = w.join().unwrap_or_else(|p| std::panic::resume_unwind(p));
            all.alerts.extend(finds.alerts);
            all.blocks.append(finds.blocks);
        }
        let decoded = reassembly.map(|r| {
            let scripts = r.join().unwrap_or_else(|p| std::panic::resume_unwind(p));
            decoded::finish_pass(all.blocks, scripts)
        });
        super::sort(&mut all.alerts);
        Evaluated {
            alerts: all.alerts,
            decoded,
        }
    }
}

/// The reassembly thread of a decoding pool: fragments put back in reading order by batch
/// number, each script decoded as soon as it is complete, the incomplete ones at the end.
fn reassemble_in_order(decoder: &Decoder, batches: Receiver<Batch>) -> Blocks {
    let mut reassembler = reassembly::Reassembler::default();
    let mut waiting: BTreeMap<u64, Vec<Event>> = BTreeMap::new();
    let mut next = 0;
    let mut scripts = Blocks::default();
    let mut take = |events: Vec<Event>, scripts: &mut Blocks| {
        for ev in events {
            if let Some(block) = reassembler
                .push(ev)
                .and_then(|s| decoded::owned_script_block(decoder, s))
            {
                scripts.push(block);
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
    for s in reassembler.finish() {
        if let Some(block) = decoded::owned_script_block(decoder, s) {
            scripts.push(block);
        }
    }
    scripts
}

/// The one pass: the index build hands each event it indexes to the pool.
impl crate::index::Tap for Evaluator<'_> {
    fn event(&mut self, ev: Event) {
        self.push(ev);
    }

    fn read_all(&mut self) {
        self.flush();
    }
}
