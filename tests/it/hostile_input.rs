//! Bad input is normal input: each class gets a clear `path:line: …` message, the rest of the
//! file still loads, and nothing panics.

use pstriage::ecs::Fields;
use pstriage::event::Event;
use pstriage::ingest::{self, IngestReport, MAX_RECORD_BYTES};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::atomic::AtomicBool;

const GOOD: &str = r#"{"@timestamp":"2024-05-21T10:00:00Z","host":{"name":"good"},"powershell":{"file":{"script_block_text":"Get-Date"}}}"#;

fn load(paths: &[PathBuf]) -> (Vec<Event>, IngestReport) {
    crate::support::load(paths)
}

fn write(dir: &Path, name: &str, bytes: &[u8]) -> PathBuf {
    let p = dir.join(name);
    std::fs::write(&p, bytes).unwrap();
    p
}

fn between_good_lines(dir: &Path, name: &str, bad: &[u8]) -> (Vec<Event>, Vec<String>) {
    let mut bytes = format!("{GOOD}\n").into_bytes();
    bytes.extend_from_slice(bad);
    bytes.extend_from_slice(format!("\n{GOOD}\n").as_bytes());
    let p = write(dir, name, &bytes);
    let (events, report) = load(&[p]);
    (
        events,
        report.diagnostics.iter().map(|d| d.to_string()).collect(),
    )
}

#[test]
fn each_bad_record_is_named_and_its_neighbours_load() {
    let tmp = tempfile::tempdir().unwrap();
    let deep = format!("{}1{}", r#"{"a":"#.repeat(10_000), "}".repeat(10_000));
    let cases: Vec<(&str, Vec<u8>, &str)> = vec![
        ("invalid.ndjson", b"{\"a\": tru".to_vec(), "invalid JSON"),
        (
            "utf8.ndjson",
            b"{\"a\":\"\xff\xfe\"}".to_vec(),
            "invalid UTF-8",
        ),
        ("deep.ndjson", deep.into_bytes(), "recursion limit"),
        (
            "dup.ndjson",
            br#"{"user":{"id":"S-1-5-18"},"user":{"id":"S-1-5-21"}}"#.to_vec(),
            "duplicate key 'user'",
        ),
        (
            "date.ndjson",
            br#"{"@timestamp":"last tuesday"}"#.to_vec(),
            "field @timestamp",
        ),
        (
            "object.ndjson",
            br#"{"host":{"name":{"first":"a"}}}"#.to_vec(),
            "field host.name: expected a value, found an object",
        ),
        ("scalar.ndjson", b"42".to_vec(), "not a JSON object"),
    ];
    for (name, bad, reason) in cases {
        let (events, diags) = between_good_lines(tmp.path(), name, &bad);
        assert_eq!(
            events.len(),
            2,
            "{name}: the good lines around the bad one load"
        );
        assert!(
            diags
                .iter()
                .any(|d| d.contains(&format!("{name}:2: ")) && d.contains(reason)),
            "{name}: expected '{reason}' at line 2, got {diags:?}"
        );
    }
}

#[test]
fn a_malformed_number_is_named_and_its_record_loads_without_it() {
    // The logs-* templates set ignore_malformed: the value is left unindexed, the event kept.
    let tmp = tempfile::tempdir().unwrap();
    let (events, diags) = between_good_lines(
        tmp.path(),
        "seq.ndjson",
        br#"{"@timestamp":"2024-05-21T10:00:00Z","powershell":{"sequence":[1,"x"]}}"#,
    );
    assert_eq!(events.len(), 3);
    assert!(
        diags
            .iter()
            .any(|d| d.contains("seq.ndjson:2: field powershell.sequence")
                && d.contains("ignore_malformed")),
        "{diags:?}"
    );
}

#[test]
fn a_truncated_last_line_is_reported_and_the_rest_loads() {
    let tmp = tempfile::tempdir().unwrap();
    let p = write(
        tmp.path(),
        "cut.ndjson",
        format!("{GOOD}\n{GOOD}\n{}", &GOOD[..40]).as_bytes(),
    );
    let (events, report) = load(&[p]);
    assert_eq!(events.len(), 2);
    assert!(report
        .diagnostics
        .iter()
        .any(|d| d.to_string().contains("cut.ndjson:3: invalid JSON")));
}

#[test]
fn accepted_odd_values_follow_elasticsearch() {
    let tmp = tempfile::tempdir().unwrap();
    let lines = [
        r#"{"@timestamp":"9999-12-31T23:59:59Z","host":{"name":5}}"#,
        r#"{"@timestamp":"1601-01-01T00:00:00Z","host":{"name":["a","b"]},"user":{"id":null}}"#,
        r#"{"@timestamp":-11644473600000,"powershell":{"file":{"script_block_text":12345}}}"#,
    ];
    let p = write(tmp.path(), "odd.ndjson", lines.join("\n").as_bytes());
    let (events, report) = load(&[p]);
    assert_eq!(events.len(), 3, "{:?}", report.diagnostics);
    let f0 = Fields::of_lenient(&events[0].doc);
    assert_eq!(
        f0.first("host.name").as_deref(),
        Some("5"),
        "numbers index as keywords"
    );
    let f1 = Fields::of_lenient(&events[1].doc);
    assert_eq!(f1.get("host.name").len(), 2);
    assert!(!f1.has("user.id"), "null is no value");
}

#[test]
fn a_record_over_the_size_limit_is_refused_without_holding_it() {
    let tmp = tempfile::tempdir().unwrap();
    let p = tmp.path().join("huge.ndjson");
    let mut f = std::fs::File::create(&p).unwrap();
    writeln!(f, "{GOOD}").unwrap();
    f.write_all(br#"{"powershell":{"file":{"script_block_text":""#)
        .unwrap();
    let chunk = vec![b'A'; 1 << 20];
    for _ in 0..(MAX_RECORD_BYTES >> 20) + 1 {
        f.write_all(&chunk).unwrap();
    }
    f.write_all(b"\"}}}\n").unwrap();
    writeln!(f, "{GOOD}").unwrap();
    drop(f);
    let (events, report) = load(&[p]);
    assert_eq!(events.len(), 2);
    assert!(report
        .diagnostics
        .iter()
        .any(|d| d.to_string().contains("huge.ndjson:2: record of")
            && d.reason.contains("over the 64 MiB limit")));
}

#[test]
fn empty_utf16_and_unreadable_files_are_reported() {
    let tmp = tempfile::tempdir().unwrap();
    let empty = write(tmp.path(), "empty.ndjson", b"");
    let mut utf16 = vec![0xff, 0xfe];
    for u in GOOD.encode_utf16() {
        utf16.extend_from_slice(&u.to_le_bytes());
    }
    let wide = write(tmp.path(), "wide.json", &utf16);
    let broken = tmp.path().join("dangling.ndjson");
    std::os::unix::fs::symlink(tmp.path().join("nowhere"), &broken).unwrap();
    let good = write(tmp.path(), "good.ndjson", GOOD.as_bytes());
    let (events, report) = load(&[empty, wide, broken, good]);
    assert_eq!(events.len(), 1);
    let msgs: Vec<String> = report.diagnostics.iter().map(|d| d.to_string()).collect();
    assert!(
        msgs.iter().any(|m| m.contains("empty.ndjson: empty file")),
        "{msgs:?}"
    );
    assert!(
        msgs.iter().any(|m| m.contains("wide.json: UTF-16 text")),
        "{msgs:?}"
    );
    assert!(
        msgs.iter()
            .any(|m| m.contains("dangling.ndjson: cannot read")),
        "{msgs:?}"
    );
}

#[test]
fn symlink_loops_are_walked_once() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("exports");
    std::fs::create_dir(&dir).unwrap();
    write(&dir, "a.ndjson", GOOD.as_bytes());
    std::os::unix::fs::symlink(&dir, dir.join("loop")).unwrap();
    let (events, report) = load(&[dir]);
    assert_eq!(events.len(), 1);
    assert!(report
        .diagnostics
        .iter()
        .any(|d| d.reason.contains("already visited")));
}

#[test]
fn a_file_that_shrinks_while_being_read_loads_what_is_there() {
    let tmp = tempfile::tempdir().unwrap();
    let p = write(
        tmp.path(),
        "live.ndjson",
        format!("{GOOD}\n{GOOD}\n{GOOD}\n").as_bytes(),
    );
    let mut report = IngestReport::default();
    let inputs = ingest::collect_inputs(std::slice::from_ref(&p), &mut report);
    // The log rotates between listing and reading.
    std::fs::write(&p, format!("{GOOD}\n").as_bytes()).unwrap();
    let mut n = 0;
    let r = ingest::ingest(
        &inputs,
        &mut |_| n += 1,
        &mut |_| {},
        &AtomicBool::new(false),
    )
    .unwrap();
    assert_eq!((n, r.loaded), (1, 1));
}

/// Deterministic noise (xorshift64), standing in for an archive or an executable.
fn noise(len: usize, mut state: u64) -> Vec<u8> {
    let mut out = Vec::with_capacity(len + 8);
    while out.len() < len {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        out.extend_from_slice(&state.to_le_bytes());
    }
    out.truncate(len);
    out
}

/// Lines of `bytes` that hold something (the reader skips blank ones without a word).
fn non_blank_lines(bytes: &[u8]) -> u64 {
    let mut lines: Vec<&[u8]> = bytes.split(|b| *b == b'\n').collect();
    if lines.last().is_some_and(|l| l.is_empty()) {
        lines.pop();
    }
    lines
        .iter()
        .filter(|l| !std::str::from_utf8(l).is_ok_and(|t| t.trim().is_empty()))
        .count() as u64
}

#[test]
fn a_binary_file_is_reported_once_with_its_count_and_the_good_file_loads() {
    let tmp = tempfile::tempdir().unwrap();
    let big = noise(2 << 20, 0x9e37_79b9_7f4a_7c15);
    let tiny = noise(300, 7);
    let big_path = write(tmp.path(), "archive.bin", &big);
    let tiny_path = write(tmp.path(), "tiny.bin", &tiny);
    let good = write(
        tmp.path(),
        "good.ndjson",
        format!("{GOOD}\n{GOOD}\n").as_bytes(),
    );
    let (events, report) = load(&[big_path, tiny_path, good]);
    assert_eq!(events.len(), 2, "the good file's events all load");
    assert!(events
        .iter()
        .all(|e| e.source.path.ends_with("good.ndjson")));
    for (name, bytes) in [("archive.bin", &big), ("tiny.bin", &tiny)] {
        let about: Vec<String> = report
            .diagnostics
            .iter()
            .filter(|d| d.location.contains(name))
            .map(|d| d.to_string())
            .collect();
        assert!(about.len() <= 3, "{name}: {} diagnostics", about.len());
        let lines = non_blank_lines(bytes);
        assert!(
            about
                .iter()
                .any(|d| d.contains("binary") && d.contains(&format!("({lines} "))),
            "{name}: one line says binary and how many lines were skipped ({lines}): {about:?}"
        );
    }
    assert_eq!(
        report.skipped,
        non_blank_lines(&big) + non_blank_lines(&tiny),
        "every unreadable line still counts as skipped"
    );
}

#[test]
fn a_text_file_with_two_bad_lines_keeps_one_message_per_line() {
    let tmp = tempfile::tempdir().unwrap();
    // Line 3 holds a raw NUL, which alone makes the start of the file look binary; line 500
    // is read by the parsing workers, not the reading thread.
    let mut bytes = Vec::new();
    for n in 1..=600 {
        match n {
            3 => bytes.extend_from_slice(b"{\"a\":\"\0\"}"),
            500 => bytes.extend_from_slice(b"{\"a\": tru"),
            _ => bytes.extend_from_slice(GOOD.as_bytes()),
        }
        bytes.push(b'\n');
    }
    let p = write(tmp.path(), "mostly-good.ndjson", &bytes);
    let (events, report) = load(&[p]);
    assert_eq!(events.len(), 598);
    assert_eq!(report.skipped, 2);
    let msgs: Vec<String> = report.diagnostics.iter().map(|d| d.to_string()).collect();
    assert_eq!(msgs.len(), 2, "{msgs:?}");
    assert!(msgs[0].contains("mostly-good.ndjson:3: "), "{msgs:?}");
    assert!(
        msgs[1].contains("mostly-good.ndjson:500: invalid JSON"),
        "{msgs:?}"
    );
}
