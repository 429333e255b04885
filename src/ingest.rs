//! Reading exports into [`Event`]s: ECS NDJSON, JSON arrays, `_search` responses, `_source`
//! wrapper lines, any of them gzip-compressed (detected by magic bytes).
//!
//! Streams record by record so memory stays bounded. Every bad record is skipped and reported
//! as `path:line: reason`; one bad line never hides the good lines around it. A file that is
//! binary data (not text, and its first lines all unreadable) is reported once, with the count
//! of lines it skipped, instead of once per line. Knows nothing of the index or the rules.

mod evtx;
mod files;
mod json_array;
mod line_workers;
mod lines;
mod record;
pub mod strict_json;

use crate::event::Event;
use crate::i18n::t;
use std::fmt;
use std::sync::atomic::{AtomicBool, Ordering};

pub use files::{collect_inputs, InputFile};
pub use lines::read_stream;

/// Records longer than this are refused (reported and skipped) without being held in memory.
pub const MAX_RECORD_BYTES: usize = 64 * 1024 * 1024;

/// At most this many diagnostics are kept; the rest are only counted.
const MAX_DIAGNOSTICS: usize = 10_000;

/// A skipped record or unreadable file, with where it was.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Diagnostic {
    /// `path`, `path:line` or `path[index]`.
    pub location: String,
    pub reason: String,
}

impl fmt::Display for Diagnostic {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.location, self.reason)
    }
}

/// What a load did: counts and the diagnostics of what it skipped.
#[derive(Clone, Debug, Default, serde::Serialize, serde::Deserialize)]
pub struct IngestReport {
    pub files: u64,
    pub bytes: u64,
    pub loaded: u64,
    pub skipped: u64,
    pub diagnostics: Vec<Diagnostic>,
    /// Diagnostics beyond [`MAX_DIAGNOSTICS`] that were counted but not kept.
    pub diagnostics_dropped: u64,
}

impl IngestReport {
    pub(crate) fn skip(&mut self, location: String, reason: impl Into<String>) {
        self.skipped += 1;
        self.note(location, reason);
    }

    /// A problem that is not a skipped record (an unreadable file, a truncated stream).
    pub(crate) fn note(&mut self, location: String, reason: impl Into<String>) {
        if self.diagnostics.len() < MAX_DIAGNOSTICS {
            self.diagnostics.push(Diagnostic {
                location,
                reason: reason.into(),
            });
        } else {
            self.diagnostics_dropped += 1;
        }
    }

    /// Adds what reading the files reported to what resolving the paths reported.
    pub fn absorb(&mut self, read: IngestReport) {
        self.files = read.files;
        self.bytes = read.bytes;
        self.loaded = read.loaded;
        self.skipped += read.skipped;
        self.diagnostics.extend(read.diagnostics);
        self.diagnostics_dropped += read.diagnostics_dropped;
    }

    /// Adds the counts and diagnostics of lines read elsewhere (replayed in their order).
    pub(crate) fn add_lines(&mut self, part: IngestReport) {
        self.loaded += part.loaded;
        self.skipped += part.skipped;
        self.diagnostics_dropped += part.diagnostics_dropped;
        for d in part.diagnostics {
            self.note(d.location, d.reason);
        }
    }

    /// Adds only the counts of lines read elsewhere, dropping their diagnostics: the caller
    /// reports them in one line of its own (a binary file).
    pub(crate) fn add_counts(&mut self, part: IngestReport) {
        self.loaded += part.loaded;
        self.skipped += part.skipped;
    }

    /// One line for humans: `loaded N records from F files (B bytes), skipped S`.
    pub fn summary(&self) -> String {
        format!(
            "loaded {} records from {} file{} ({}), skipped {}",
            self.loaded,
            self.files,
            if self.files == 1 { "" } else { "s" },
            human_bytes(self.bytes),
            self.skipped
        )
    }
}

/// Progress of a running load, reported after every file and every few thousand records.
#[derive(Clone, Debug, Default)]
pub struct Progress {
    pub files_done: u64,
    pub files_total: u64,
    pub bytes_done: u64,
    pub bytes_total: u64,
    pub events: u64,
    pub current: String,
    /// Time since the load started.
    pub elapsed_ms: u64,
}

impl Progress {
    /// Bytes per second so far.
    pub fn rate(&self) -> f64 {
        if self.elapsed_ms == 0 {
            0.0
        } else {
            self.bytes_done as f64 * 1000.0 / self.elapsed_ms as f64
        }
    }

    /// How much of the input is read, in percent.
    pub fn percent(&self) -> f64 {
        if self.bytes_total == 0 {
            0.0
        } else {
            self.bytes_done as f64 * 100.0 / self.bytes_total as f64
        }
    }

    /// Estimated seconds left, once there is a rate to go by.
    pub fn eta_secs(&self) -> Option<f64> {
        let rate = self.rate();
        (rate > 0.0).then(|| self.bytes_total.saturating_sub(self.bytes_done) as f64 / rate)
    }
}

/// Why a load could not run at all.
#[derive(Debug, thiserror::Error)]
pub enum IngestError {
    /// Nothing could be read; the diagnostics say why for each path.
    #[error("{}{}", t("errors.no_input"), list(.0))]
    NoInput(Vec<Diagnostic>),
    #[error("{}", t("errors.cancelled"))]
    Cancelled,
}

fn list(d: &[Diagnostic]) -> String {
    d.iter().map(|d| format!("\n  {d}")).collect()
}

/// Reads every input file, calling `sink` for each good event.
pub fn ingest(
    inputs: &[InputFile],
    sink: &mut dyn FnMut(Event),
    progress: &mut dyn FnMut(&Progress),
    cancel: &AtomicBool,
) -> Result<IngestReport, IngestError> {
    let mut report = IngestReport::default();
    let mut state = Progress {
        files_total: inputs.len() as u64,
        bytes_total: inputs.iter().map(|f| f.size).sum(),
        ..Progress::default()
    };
    let mut readable = 0;
    let started = std::time::Instant::now();
    for input in inputs {
        if cancel.load(Ordering::Relaxed) {
            return Err(IngestError::Cancelled);
        }
        state.current = input.display.clone();
        progress(&state);
        let base_bytes = state.bytes_done;
        let loaded_before = report.loaded;
        let ok = lines::read_file(input, &mut report, cancel, &mut |mut ev, bytes| {
            ev.source.ord = state.events;
            state.events += 1;
            state.bytes_done = base_bytes + bytes;
            state.elapsed_ms = started.elapsed().as_millis() as u64;
            sink(ev);
            if state.events.is_multiple_of(4096) {
                progress(&state);
            }
        });
        if cancel.load(Ordering::Relaxed) {
            return Err(IngestError::Cancelled);
        }
        if ok {
            readable += 1;
            report.files += 1;
            report.bytes += input.size;
        }
        debug_assert!(report.loaded >= loaded_before);
        state.files_done += 1;
        state.bytes_done = base_bytes + input.size;
        state.elapsed_ms = started.elapsed().as_millis() as u64;
        progress(&state);
    }
    if readable == 0 {
        return Err(IngestError::NoInput(report.diagnostics));
    }
    Ok(report)
}

/// `1.5 MB`-style sizes for summaries.
pub fn human_bytes(n: u64) -> String {
    const UNITS: [&str; 5] = ["B", "KB", "MB", "GB", "TB"];
    let mut v = n as f64;
    let mut unit = 0;
    while v >= 1000.0 && unit < UNITS.len() - 1 {
        v /= 1000.0;
        unit += 1;
    }
    if unit == 0 {
        format!("{n} B")
    } else {
        format!("{v:.1} {}", UNITS[unit])
    }
}
