//! Parsing NDJSON lines on worker threads while one thread reads them.
//!
//! The reading thread packs lines into numbered batches; a worker parses a batch into its events
//! and its own report; the reading thread takes the batches back in their order and replays
//! them, so the events (and their order), the counts and the diagnostics are exactly those of
//! reading line by line. Must not reorder anything, and must never call `on_event` from a worker
//! (the index writer and the stream batcher behind it expect one caller).

use super::{record, IngestReport};
use crate::event::{Event, SourceRef};
use std::collections::BTreeMap;
use std::sync::mpsc::{self, Receiver, SyncSender};
use std::sync::{Arc, Mutex};

/// A batch is sent once it holds this many bytes or lines.
const BATCH_BYTES: usize = 512 << 10;
const BATCH_LINES: usize = 256;
/// Batches sent and not yet replayed, at most, per parsing thread: bounds memory to a few MB
/// plus the events of those batches.
const IN_FLIGHT_PER_WORKER: usize = 2;

/// One line as read.
enum Item {
    /// A line held in the batch's bytes at `range`.
    Line {
        line_no: u64,
        range: std::ops::Range<usize>,
    },
    /// A line over the size limit (not held): `bytes` long.
    TooLong { line_no: u64, bytes: u64 },
}

/// Lines on their way to a worker.
#[derive(Default)]
struct Batch {
    data: Vec<u8>,
    items: Vec<Item>,
}

impl Batch {
    /// An empty batch with room for the bytes and lines of a full one (a line over the bytes
    /// left still fits: the vector grows).
    fn with_room() -> Batch {
        Batch {
            data: Vec::with_capacity(BATCH_BYTES + (BATCH_BYTES >> 2)),
            items: Vec::with_capacity(BATCH_LINES),
        }
    }
}

/// What a worker made of a batch, or the panic it died of.
type Outcome = std::thread::Result<Parsed>;

/// What a worker made of a batch.
struct Parsed {
    events: Vec<Event>,
    report: IngestReport,
}

/// What one line holds: zero or more events, or the reason it was skipped. Used for every
/// line, on a worker or (for a file's first record) on the reading thread.
pub(super) fn parse_line(
    path: &Arc<str>,
    line_no: u64,
    bytes: &[u8],
    report: &mut IngestReport,
    on_event: &mut dyn FnMut(Event),
) {
    let text = match std::str::from_utf8(bytes) {
        Ok(t) => t,
        Err(e) => {
            report.skip(
                format!("{path}:{line_no}"),
                format!("invalid UTF-8 at byte {}", e.valid_up_to()),
            );
            return;
        }
    };
    let trimmed = text.trim();
    if trimmed.is_empty() {
        return;
    }
    let loc = SourceRef::at_line(path, line_no);
    match super::strict_json::parse(trimmed) {
        Ok(value) => record::expand(value, loc, report, on_event),
        Err(e) => report.skip(loc.to_string(), format!("invalid JSON: {e}")),
    }
}

/// The report entry of a line over the size limit.
pub(super) fn too_long(path: &str, line_no: u64, bytes: u64, report: &mut IngestReport) {
    report.skip(
        format!("{path}:{line_no}"),
        format!(
            "record of {bytes} bytes is over the {} MiB limit",
            super::MAX_RECORD_BYTES >> 20
        ),
    );
}

fn parse_batch(path: &Arc<str>, batch: Batch) -> Parsed {
    let mut parsed = Parsed {
        events: Vec::new(),
        report: IngestReport::default(),
    };
    for item in batch.items {
        match item {
            Item::Line { line_no, range } => parse_line(
                path,
                line_no,
                &batch.data[range],
                &mut parsed.report,
                &mut |ev| parsed.events.push(ev),
            ),
            Item::TooLong { line_no, bytes } => too_long(path, line_no, bytes, &mut parsed.report),
        }
    }
    parsed
}

/// Feeds lines to the workers and replays their results in order. Created by [`run`].
pub(super) struct Feeder<'a> {
    batch: Batch,
    next_seq: u64,
    next_replay: u64,
    work: Option<SyncSender<(u64, Batch)>>,
    /// Batches sent and not yet replayed, at most.
    in_flight: usize,
    done: &'a Receiver<(u64, Outcome)>,
    waiting: BTreeMap<u64, Parsed>,
    /// Keep the counts of the batches but not their diagnostics (a binary file, summed up in
    /// one line by the caller).
    quiet: bool,
    report: &'a mut IngestReport,
    on_event: &'a mut dyn FnMut(Event),
}

impl Feeder<'_> {
    /// The current batch's bytes, for the reader to append the next line to (then
    /// [`Feeder::appended`]). Appending nothing else keeps the batch as it was.
    pub(super) fn bytes(&mut self) -> &mut Vec<u8> {
        &mut self.batch.data
    }

    /// Adds the line appended to [`Feeder::bytes`] since they were `start` long.
    pub(super) fn appended(&mut self, line_no: u64, start: usize) {
        let range = start..self.batch.data.len();
        self.batch.items.push(Item::Line { line_no, range });
        self.send_if_full();
    }

    /// Adds a line that was over the size limit.
    pub(super) fn too_long(&mut self, line_no: u64, bytes: u64) {
        self.batch.items.push(Item::TooLong { line_no, bytes });
        self.send_if_full();
    }

    fn send_if_full(&mut self) {
        if self.batch.data.len() >= BATCH_BYTES || self.batch.items.len() >= BATCH_LINES {
            self.send();
        }
    }

    fn send(&mut self) {
        if self.batch.items.is_empty() {
            return;
        }
        // Keep at most `in_flight` batches out: replay (waiting if needed) before sending more.
        while self.next_seq - self.next_replay >= self.in_flight as u64 {
            if !self.replay_one(true) {
                return;
            }
        }
        // The next batch starts with room for a full one: grown from nothing, its bytes were
        // copied again at every doubling on the one reading thread.
        let batch = std::mem::replace(&mut self.batch, Batch::with_room());
        if let Some(work) = &self.work {
            let _ = work.send((self.next_seq, batch));
        }
        self.next_seq += 1;
        while self.replay_one(false) {}
    }

    /// Replays the next batch in order if it is back (waiting for it when `block`). False when
    /// there is nothing to replay now.
    fn replay_one(&mut self, block: bool) -> bool {
        loop {
            if let Some(parsed) = self.waiting.remove(&self.next_replay) {
                if self.quiet {
                    self.report.add_counts(parsed.report);
                } else {
                    self.report.add_lines(parsed.report);
                }
                for ev in parsed.events {
                    (self.on_event)(ev);
                }
                self.next_replay += 1;
                return true;
            }
            if self.next_replay == self.next_seq {
                return false;
            }
            let got = if block {
                self.done.recv().ok()
            } else {
                self.done.try_recv().ok()
            };
            match got {
                Some((seq, Ok(parsed))) => {
                    self.waiting.insert(seq, parsed);
                }
                // A panic is a bug: pass it on rather than lose records silently.
                Some((_, Err(panic))) => std::panic::resume_unwind(panic),
                None => return false,
            }
        }
    }

    /// Sends the last batch and replays everything still out.
    fn finish(&mut self) {
        self.send();
        self.work = None;
        while self.replay_one(true) {}
    }
}

/// Runs `read` with a [`Feeder`] whose lines are parsed on worker threads; every event reaches
/// `on_event`, in line order, on this thread, before `run` returns. When `quiet`, only the
/// counts of bad lines reach `report`, not their diagnostics.
pub(super) fn run<R>(
    path: &str,
    report: &mut IngestReport,
    quiet: bool,
    on_event: &mut dyn FnMut(Event),
    read: impl FnOnce(&mut Feeder<'_>) -> R,
) -> R {
    let worker_count = crate::threads::workers();
    let in_flight = IN_FLIGHT_PER_WORKER * worker_count;
    // One path for all the file's events.
    let shared: Arc<str> = Arc::from(path);
    let shared = &shared;
    let (work_tx, work_rx) = mpsc::sync_channel::<(u64, Batch)>(in_flight);
    let (done_tx, done_rx) = mpsc::channel::<(u64, Outcome)>();
    let work_rx = Mutex::new(work_rx);
    std::thread::scope(|scope| {
        let workers: Vec<_> = (0..worker_count)
            .map(|_| {
                let done_tx = done_tx.clone();
                let work_rx = &work_rx;
                scope.spawn(move || loop {
                    let next = match work_rx.lock() {
                        Ok(rx) => rx.recv(),
                        Err(_) => break,
                    };
                    let Ok((seq, batch)) = next else { break };
                    // A panic goes back to the reading thread, which would otherwise wait for
                    // this batch forever.
                    let outcome = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
                        parse_batch(shared, batch)
                    }));
                    if done_tx.send((seq, outcome)).is_err() {
                        break;
                    }
                })
            })
            .collect();
        drop(done_tx);
        let mut feeder = Feeder {
            batch: Batch::with_room(),
            next_seq: 0,
            next_replay: 0,
            work: Some(work_tx),
            in_flight,
            done: &done_rx,
            waiting: BTreeMap::new(),
            quiet,
            report,
            on_event,
        };
        let result = read(&mut feeder);
        feeder.finish();
        drop(feeder);
        for w in workers {
            w.join().unwrap_or_else(|p| std::panic::resume_unwind(p));
        }
        result
    })
}

#[cfg(test)]
mod tests {
    use super::super::read_stream;
    use super::*;
    use std::sync::atomic::AtomicBool;

    #[test]
    fn many_batches_come_back_in_line_order_with_their_diagnostics() {
        // Enough lines for dozens of batches on both workers; bad lines spread through them.
        let lines = 20 * BATCH_LINES as u64 + 17;
        let mut bytes = Vec::new();
        let mut bad = Vec::new();
        for n in 1..=lines {
            if n % 7 == 0 {
                bytes.extend_from_slice(b"{\"broken\": ");
                bad.push(format!("x.ndjson:{n}"));
            } else if n % 13 == 0 {
                bytes.extend_from_slice(b"{\"a\": \"\xff\"}");
                bad.push(format!("x.ndjson:{n}"));
            } else if n % 11 == 0 {
                // Blank: neither an event nor a diagnostic.
            } else {
                bytes.extend_from_slice(format!("{{\"n\": {n}}}").as_bytes());
            }
            bytes.push(b'\n');
        }
        let mut report = IngestReport::default();
        let mut events = Vec::new();
        let cancel = AtomicBool::new(false);
        read_stream(
            "x.ndjson",
            Box::new(std::io::Cursor::new(bytes)),
            &mut report,
            &cancel,
            &mut |ev| events.push(ev),
        );
        let good: Vec<u64> = (1..=lines)
            .filter(|n| n % 7 != 0 && n % 13 != 0 && n % 11 != 0)
            .collect();
        let got: Vec<u64> = events.iter().map(|e| e.source.line.unwrap()).collect();
        assert_eq!(got, good, "every good line, once, in order");
        for e in &events {
            assert_eq!(
                e.doc["n"].as_u64(),
                e.source.line,
                "each event is its own line"
            );
        }
        let locations: Vec<&str> = report
            .diagnostics
            .iter()
            .map(|d| d.location.as_str())
            .collect();
        assert_eq!(locations, bad, "diagnostics in line order");
        assert_eq!(report.loaded, good.len() as u64);
        assert_eq!(report.skipped, bad.len() as u64);
    }
}
