//! One input file: open (gzip by magic bytes), choose the shape (NDJSON lines, a JSON array, or
//! one pretty-printed document), and hand every record to [`super::record`]. A file whose start
//! is binary and whose first lines are all unreadable gets one diagnostic with the count of its
//! bad lines, not one per line; its counts stay exact.

use super::files::InputFile;
use super::{json_array, line_workers, record, IngestReport, MAX_RECORD_BYTES};
use crate::event::{Event, SourceRef};
use flate2::read::MultiGzDecoder;
use std::cell::Cell;
use std::fs::File;
use std::io::{self, BufRead, BufReader, Read};
use std::rc::Rc;
use std::sync::atomic::{AtomicBool, Ordering};

/// Counts bytes read from the file on disk (before decompression), for progress.
struct Counting<R> {
    inner: R,
    count: Rc<Cell<u64>>,
}

impl<R: Read> Read for Counting<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.count.set(self.count.get() + n as u64);
        Ok(n)
    }
}

/// Reads one file; returns false when it could not be read at all (already reported).
pub(super) fn read_file(
    input: &InputFile,
    report: &mut IngestReport,
    cancel: &AtomicBool,
    emit: &mut dyn FnMut(Event, u64),
) -> bool {
    let path = input.display.as_str();
    let file = match File::open(&input.path) {
        Ok(f) => f,
        Err(e) => {
            report.note(path.to_owned(), format!("cannot open: {e}"));
            return false;
        }
    };
    let count = Rc::new(Cell::new(0));
    let mut raw = BufReader::with_capacity(
        1 << 16,
        Counting {
            inner: file,
            count: count.clone(),
        },
    );
    let head = match raw.fill_buf() {
        Ok(h) => h.to_vec(),
        Err(e) => {
            report.note(path.to_owned(), format!("cannot read: {e}"));
            return false;
        }
    };
    if head.starts_with(b"ElfFile\0") {
        drop(raw);
        return super::evtx::read(input, report, cancel, emit);
    }
    let counted = |ev: Event, emit: &mut dyn FnMut(Event, u64)| emit(ev, count.get());
    let mut on_event = |ev: Event| counted(ev, emit);
    read_stream(path, Box::new(raw), report, cancel, &mut on_event)
}

/// Reads one JSON export from a stream (gzip detected by magic bytes): the part of reading a
/// file that needs no file, so it can be fuzzed and tested on bytes. Returns false when the
/// content cannot be read at all (already reported).
pub fn read_stream(
    path: &str,
    mut raw: Box<dyn BufRead + '_>,
    report: &mut IngestReport,
    cancel: &AtomicBool,
    on_event: &mut dyn FnMut(Event),
) -> bool {
    let gzip = match raw.fill_buf() {
        Ok(h) => h.starts_with(&[0x1f, 0x8b]),
        Err(e) => {
            report.note(path.to_owned(), format!("cannot read: {e}"));
            return false;
        }
    };
    let mut reader: Box<dyn BufRead + '_> = if gzip {
        Box::new(BufReader::with_capacity(1 << 16, MultiGzDecoder::new(raw)))
    } else {
        raw
    };

    // Look at the first meaningful byte to pick the shape.
    let first = match peek_first_byte(&mut reader) {
        Ok(b) => b,
        Err(e) => {
            report.note(path.to_owned(), format!("cannot read: {e}"));
            return false;
        }
    };
    match first {
        None => {
            report.note(path.to_owned(), "empty file, nothing to load");
            true
        }
        Some(Encoding::Utf16) => {
            report.note(
                path.to_owned(),
                "UTF-16 text: save the export as UTF-8 and load it again",
            );
            false
        }
        Some(Encoding::Utf8(b'[')) => {
            json_array::read(path, reader, report, cancel, on_event);
            true
        }
        Some(Encoding::Utf8(_)) => {
            let start = match reader.fill_buf() {
                Ok(head) if looks_binary(&head[..head.len().min(BINARY_SNIFF_BYTES)]) => {
                    Start::LooksBinary
                }
                _ => Start::MaybeDocument,
            };
            read_lines(path, reader, report, cancel, on_event, start);
            true
        }
    }
}

/// How much of the start of a file [`looks_binary`] judges.
const BINARY_SNIFF_BYTES: usize = 64 << 10;

/// Lines a binary-looking file gets before its bad lines stop being reported one by one:
/// enough that a text export with a damaged first line keeps its per-line messages.
const BINARY_VERDICT_LINES: u32 = 8;

/// Whether `head` is not text: it holds a NUL (JSON text never does; strings escape it), or
/// over a tenth of it is control bytes or bytes that are not UTF-8. A Latin-1 export stays
/// well under that; random bytes, archives and executables are far over.
fn looks_binary(head: &[u8]) -> bool {
    if head.is_empty() {
        return false;
    }
    if memchr::memchr(0, head).is_some() {
        return true;
    }
    let mut odd = 0usize;
    for chunk in head.utf8_chunks() {
        odd += chunk.invalid().len();
        odd += chunk
            .valid()
            .bytes()
            .filter(|b| b.is_ascii_control() && !b.is_ascii_whitespace())
            .count();
    }
    odd * 10 > head.len()
}

/// How [`read_lines`] treats the start of a file.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Start {
    /// The first record may open one pretty-printed document.
    MaybeDocument,
    /// Lines from the first one (a whole-document read that fell back to lines).
    Lines,
    /// The first bytes look binary: if the first lines are all unreadable too, the file's bad
    /// lines are counted and reported in one line instead of one line each.
    LooksBinary,
}

enum Encoding {
    Utf8(u8),
    Utf16,
}

/// Skips a UTF-8 BOM and leading whitespace; returns the first byte without consuming it.
fn peek_first_byte(reader: &mut dyn BufRead) -> io::Result<Option<Encoding>> {
    let mut at_start = true;
    loop {
        let buf = reader.fill_buf()?;
        if buf.is_empty() {
            return Ok(None);
        }
        if at_start && (buf.starts_with(&[0xff, 0xfe]) || buf.starts_with(&[0xfe, 0xff])) {
            return Ok(Some(Encoding::Utf16));
        }
        if at_start && buf.starts_with(&[0xef, 0xbb, 0xbf]) {
            reader.consume(3);
            at_start = false;
            continue;
        }
        at_start = false;
        match buf.iter().position(|b| !b.is_ascii_whitespace()) {
            Some(i) => {
                let b = buf[i];
                reader.consume(i);
                return Ok(Some(Encoding::Utf8(b)));
            }
            None => {
                let n = buf.len();
                reader.consume(n);
            }
        }
    }
}

/// Outcome of reading one line with a size limit.
enum Line {
    Eof,
    Ok,
    TooLong(u64),
}

/// Reads up to and including `\n` into `buf` (without it), refusing lines over the limit
/// without buffering them.
fn read_line_limited(
    reader: &mut dyn BufRead,
    buf: &mut Vec<u8>,
    limit: usize,
) -> io::Result<Line> {
    buf.clear();
    append_line_limited(reader, buf, limit)
}

/// [`read_line_limited`], appending the line after what `buf` holds (left as it was when the
/// line is refused, no line is left or reading fails), so that a line can be read straight
/// into a batch.
fn append_line_limited(
    reader: &mut dyn BufRead,
    buf: &mut Vec<u8>,
    limit: usize,
) -> io::Result<Line> {
    let start = buf.len();
    let mut total: u64 = 0;
    let mut too_long = false;
    loop {
        let chunk = match reader.fill_buf() {
            Ok(chunk) => chunk,
            Err(e) => {
                buf.truncate(start);
                return Err(e);
            }
        };
        if chunk.is_empty() {
            return Ok(match (total, too_long) {
                (0, _) => Line::Eof,
                (n, true) => Line::TooLong(n),
                _ => Line::Ok,
            });
        }
        let (take, done) = match memchr::memchr(b'\n', chunk) {
            Some(i) => (i + 1, true),
            None => (chunk.len(), false),
        };
        total += take as u64;
        if !too_long {
            if buf.len() - start + take > limit {
                too_long = true;
                buf.truncate(start);
            } else {
                buf.extend_from_slice(&chunk[..take]);
            }
        }
        reader.consume(take);
        if done {
            if too_long {
                return Ok(Line::TooLong(total));
            }
            if buf.len() > start && buf.last() == Some(&b'\n') {
                buf.pop();
            }
            if buf.len() > start && buf.last() == Some(&b'\r') {
                buf.pop();
            }
            return Ok(Line::Ok);
        }
    }
}

/// NDJSON: one record per line, parsed on worker threads (`line_workers`) and handed on in
/// line order. A first record that is not complete on its line (a pretty-printed document)
/// switches to reading the whole file as one document.
fn read_lines(
    path: &str,
    mut reader: Box<dyn BufRead + '_>,
    report: &mut IngestReport,
    cancel: &AtomicBool,
    on_event: &mut dyn FnMut(Event),
    start: Start,
) {
    let mut buf = Vec::new();
    let mut line_no: u64 = 0;
    // This file's share of the report's counts, for the line that sums up a binary file.
    let counts_before = (report.loaded, report.skipped);
    let mut quiet = false;
    if start == Start::LooksBinary {
        let verdict = first_lines(
            path,
            reader.as_mut(),
            &mut buf,
            &mut line_no,
            report,
            cancel,
            on_event,
        );
        match verdict {
            Verdict::Text => {}
            Verdict::Binary => quiet = true,
            Verdict::Done(None) => return,
            Verdict::Done(Some((location, reason))) => {
                report.note(location, reason);
                return;
            }
            Verdict::BinaryDone(failed) => {
                report.note(path.to_owned(), binary_summary(counts_before, report));
                if let Some((location, reason)) = failed {
                    report.note(location, reason);
                }
                return;
            }
        }
    }
    // The first record, read here, decides between NDJSON and one pretty-printed document.
    if start == Start::MaybeDocument {
        loop {
            if cancel.load(Ordering::Relaxed) {
                return;
            }
            match read_line_limited(reader.as_mut(), &mut buf, MAX_RECORD_BYTES) {
                Err(e) => {
                    report.note(format!("{path}:{}", line_no + 1), read_error(&e));
                    return;
                }
                Ok(Line::Eof) => return,
                Ok(Line::TooLong(n)) => {
                    line_no += 1;
                    line_workers::too_long(path, line_no, n, report);
                    break;
                }
                Ok(Line::Ok) => line_no += 1,
            }
            let trimmed = match std::str::from_utf8(&buf) {
                Ok(text) => text.trim(),
                Err(_) => {
                    // Reported by `parse_line` like any other line that is not text.
                    line_workers::parse_line(&path.into(), line_no, &buf, report, on_event);
                    break;
                }
            };
            if trimmed.is_empty() {
                continue;
            }
            if let Err(e) = super::strict_json::parse(trimmed) {
                if e.is_eof() && trimmed.starts_with('{') {
                    let mut whole = trimmed.as_bytes().to_vec();
                    whole.push(b'\n');
                    if let Err(e) = reader.read_to_end(&mut whole) {
                        report.note(format!("{path}:{line_no}"), format!("read error: {e}"));
                    }
                    read_whole(path, &whole, report, on_event);
                    return;
                }
            }
            line_workers::parse_line(&path.into(), line_no, &buf, report, on_event);
            break;
        }
    }
    let failed = line_workers::run(path, report, quiet, on_event, |feeder| loop {
        if cancel.load(Ordering::Relaxed) {
            return None;
        }
        // Read straight into the batch the line goes to: one copy of the export's bytes.
        let start = feeder.bytes().len();
        match append_line_limited(reader.as_mut(), feeder.bytes(), MAX_RECORD_BYTES) {
            Err(e) => return Some((format!("{path}:{}", line_no + 1), read_error(&e))),
            Ok(Line::Eof) => return None,
            Ok(Line::TooLong(n)) => {
                line_no += 1;
                feeder.too_long(line_no, n);
            }
            Ok(Line::Ok) => {
                line_no += 1;
                feeder.appended(line_no, start);
            }
        }
    });
    if quiet {
        report.note(path.to_owned(), binary_summary(counts_before, report));
    }
    // After every line before it has been reported.
    if let Some((location, reason)) = failed {
        report.note(location, reason);
    }
}

/// What [`first_lines`] made of the start of a binary-looking file.
enum Verdict {
    /// Some of the first lines were readable: report bad lines one by one, as for any file.
    Text,
    /// The first lines were all unreadable: count the rest quietly and sum them up at the end.
    Binary,
    /// The file ended (or could not be read further, with where and why) within the first lines,
    /// whose lines were reported one by one.
    Done(Option<(String, String)>),
    /// As `Done`, but the lines read were all unreadable and were only counted.
    BinaryDone(Option<(String, String)>),
}

/// Parses the first [`BINARY_VERDICT_LINES`] non-blank lines of a binary-looking file on this
/// thread, holding back their events and diagnostics until it is known whether they are all
/// unreadable. Those lines then count exactly as they would have on the workers.
fn first_lines(
    path: &str,
    reader: &mut dyn BufRead,
    buf: &mut Vec<u8>,
    line_no: &mut u64,
    report: &mut IngestReport,
    cancel: &AtomicBool,
    on_event: &mut dyn FnMut(Event),
) -> Verdict {
    let mut held_report = IngestReport::default();
    let mut held_events = Vec::new();
    let shared: std::sync::Arc<str> = path.into();
    let mut lines = 0u32;
    let mut unreadable = 0u32;
    let mut ended = None;
    while lines < BINARY_VERDICT_LINES {
        if cancel.load(Ordering::Relaxed) {
            return Verdict::Done(None);
        }
        let skipped_before = held_report.skipped;
        let events_before = held_events.len();
        match read_line_limited(reader, buf, MAX_RECORD_BYTES) {
            Err(e) => {
                ended = Some(Some((format!("{path}:{}", *line_no + 1), read_error(&e))));
                break;
            }
            Ok(Line::Eof) => {
                ended = Some(None);
                break;
            }
            Ok(Line::TooLong(n)) => {
                *line_no += 1;
                line_workers::too_long(path, *line_no, n, &mut held_report);
            }
            Ok(Line::Ok) => {
                *line_no += 1;
                if std::str::from_utf8(buf).is_ok_and(|t| t.trim().is_empty()) {
                    continue;
                }
                line_workers::parse_line(&shared, *line_no, buf, &mut held_report, &mut |ev| {
                    held_events.push(ev)
                });
            }
        }
        lines += 1;
        if held_report.skipped > skipped_before && held_events.len() == events_before {
            unreadable += 1;
        }
    }
    let binary = lines > 0 && unreadable == lines;
    if binary {
        report.add_counts(held_report);
    } else {
        report.add_lines(held_report);
    }
    for ev in held_events {
        on_event(ev);
    }
    match (ended, binary) {
        (None, false) => Verdict::Text,
        (None, true) => Verdict::Binary,
        (Some(failed), false) => Verdict::Done(failed),
        (Some(failed), true) => Verdict::BinaryDone(failed),
    }
}

/// The one line that stands for every bad line of a binary file; `before` is the report's
/// (loaded, skipped) counts from before the file.
fn binary_summary(before: (u64, u64), report: &IngestReport) -> String {
    let loaded = report.loaded - before.0;
    let skipped = report.skipped - before.1;
    let mut text = format!("not JSON: binary data ({skipped} unreadable lines skipped)");
    // Lines that did parse among the noise are rare, but the user should know they loaded.
    if loaded > 0 {
        text.push_str(&format!(
            "; {loaded} records loaded from its readable lines"
        ));
    }
    text
}

/// How a read error mid-file is reported.
fn read_error(e: &io::Error) -> String {
    let what =
        if e.kind() == io::ErrorKind::UnexpectedEof || e.kind() == io::ErrorKind::InvalidInput {
            "compressed stream ends early"
        } else {
            "read error"
        };
    format!("{what}: {e}; the rest of the file was not read")
}

/// A whole file holding one JSON document (a `_search` response, a single event). When it does
/// not parse as one document, falls back to reading it line by line so good lines still load.
fn read_whole(
    path: &str,
    bytes: &[u8],
    report: &mut IngestReport,
    on_event: &mut dyn FnMut(Event),
) {
    match super::strict_json::parse_slice(bytes) {
        Ok(value) => {
            let loc = SourceRef {
                path: path.into(),
                line: Some(1),
                index: None,
                ..SourceRef::default()
            };
            record::expand(value, loc, report, on_event);
        }
        Err(e) => {
            report.note(
                format!("{path}:{}", e.line()),
                format!("the file is not one JSON document ({e}); reading it line by line"),
            );
            let reader: Box<dyn BufRead> = Box::new(io::Cursor::new(bytes));
            read_lines(
                path,
                reader,
                report,
                &AtomicBool::new(false),
                on_event,
                Start::Lines,
            );
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::{BufReader, Read};

    /// Yields its bytes, then fails.
    struct FailsAfter(&'static [u8]);

    impl Read for FailsAfter {
        fn read(&mut self, out: &mut [u8]) -> io::Result<usize> {
            if self.0.is_empty() {
                return Err(io::Error::other("the disk went away"));
            }
            let n = out.len().min(self.0.len());
            out[..n].copy_from_slice(&self.0[..n]);
            self.0 = &self.0[n..];
            Ok(n)
        }
    }

    #[test]
    fn lines_are_appended_after_what_the_buffer_holds() {
        let mut reader = BufReader::with_capacity(3, &b"one\r\ntwo\nlast"[..]);
        let mut buf = b"kept|".to_vec();
        let mut next = |buf: &mut Vec<u8>| append_line_limited(&mut reader, buf, 100).unwrap();
        assert!(matches!(next(&mut buf), Line::Ok));
        assert_eq!(buf, b"kept|one");
        assert!(matches!(next(&mut buf), Line::Ok));
        assert_eq!(buf, b"kept|onetwo");
        // The last line has no newline: it is a line all the same.
        assert!(matches!(next(&mut buf), Line::Ok));
        assert_eq!(buf, b"kept|onetwolast");
        assert!(matches!(next(&mut buf), Line::Eof));
        assert_eq!(buf, b"kept|onetwolast");
    }

    #[test]
    fn a_refused_or_unreadable_line_leaves_the_buffer_as_it_was() {
        let mut reader = BufReader::with_capacity(4, &b"0123456789\nok\n"[..]);
        let mut buf = b"kept".to_vec();
        let got = append_line_limited(&mut reader, &mut buf, 5).unwrap();
        assert!(matches!(got, Line::TooLong(11)));
        assert_eq!(buf, b"kept");
        assert!(matches!(
            append_line_limited(&mut reader, &mut buf, 5).unwrap(),
            Line::Ok
        ));
        assert_eq!(buf, b"keptok");

        let mut failing = BufReader::with_capacity(2, FailsAfter(b"half a li"));
        let mut buf = b"kept".to_vec();
        assert!(append_line_limited(&mut failing, &mut buf, 100).is_err());
        assert_eq!(buf, b"kept");
    }
}
