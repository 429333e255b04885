//! Every input form the engine issue lists, the bad ones included: good records load, bad ones
//! are reported as `path:line: reason`, nothing else is lost.

use pstriage::event::Event;
use pstriage::ingest::{self, IngestReport};
use std::path::{Path, PathBuf};

fn data(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/data/inputs")
        .join(name)
}

fn load(name: &str) -> (Vec<Event>, IngestReport) {
    crate::support::load(&[data(name)])
}

fn hosts(events: &[Event]) -> Vec<String> {
    events
        .iter()
        .map(|e| {
            pstriage::ecs::Fields::of_lenient(&e.doc)
                .first("host.name")
                .unwrap_or_default()
        })
        .collect()
}

#[test]
fn ndjson_with_bom_crlf_blank_lines_and_bad_records() {
    let (events, report) = load("mixed.ndjson");
    // Good: line 1 (nested), 3 (dotted keys), 7 (mixed nesting, epoch millis), 11 (nested).
    assert_eq!(hosts(&events), ["h1", "dotted", "mixed", "h9"]);
    let lines: Vec<Option<u64>> = events.iter().map(|e| e.source.line).collect();
    assert_eq!(lines, [Some(1), Some(3), Some(7), Some(11)]);
    assert_eq!(report.loaded, 4);
    assert_eq!(report.skipped, 5);
    let msgs: Vec<String> = report.diagnostics.iter().map(|d| d.to_string()).collect();
    let name = data("mixed.ndjson").display().to_string();
    let expect = [
        (4, "invalid JSON"),
        (5, "invalid UTF-8"),
        (6, "not a JSON object"),
        (8, "field @timestamp"),
        (
            9,
            "field powershell.file.script_block_text: expected a value, found an object",
        ),
    ];
    for (line, what) in expect {
        let prefix = format!("{name}:{line}: ");
        assert!(
            msgs.iter()
                .any(|m| m.starts_with(&prefix) && m.contains(what)),
            "no '{what}' at line {line} in {msgs:#?}"
        );
    }
}

#[test]
fn json_array_keeps_positions_and_skips_non_objects() {
    let (events, report) = load("array.json");
    assert_eq!(hosts(&events), ["h20", "h21", "h22"]);
    assert_eq!(events[2].source.index, Some(3));
    assert_eq!(report.skipped, 1);
    assert!(
        report.diagnostics[0]
            .to_string()
            .contains("[2]: not a JSON object"),
        "{:?}",
        report.diagnostics
    );
}

#[test]
fn search_response_uses_source_and_ids() {
    let (events, report) = load("search-response.json");
    assert_eq!(hosts(&events), ["h30", "h31"]);
    assert_eq!(events[0].es_id.as_deref(), Some("doc-a"));
    assert_eq!(events[1].identity(), "id:doc-b");
    assert_eq!(report.skipped, 0);
}

#[test]
fn gzip_is_detected_by_magic_bytes_and_source_lines_unwrap() {
    let (events, _) = load("wrapped-lines.json");
    assert_eq!(hosts(&events), ["h40", "h41"]);
    assert_eq!(events[1].es_id.as_deref(), Some("w41"));
    assert_eq!(events[1].es_index.as_deref(), Some("winlogbeat-8.11.0"));
}

#[test]
fn a_gzip_that_ends_early_keeps_what_was_read_and_says_so() {
    let (events, report) = load("truncated.ndjson.gz");
    assert!(
        !events.is_empty() && events.len() < 300,
        "{} events",
        events.len()
    );
    assert!(
        report
            .diagnostics
            .iter()
            .any(|d| d.reason.contains("ends early") || d.reason.contains("read error")),
        "{:?}",
        report.diagnostics
    );
}

#[test]
fn directories_are_walked_and_missing_paths_reported() {
    let mut report = IngestReport::default();
    let inputs = ingest::collect_inputs(&[data(""), data("does-not-exist.ndjson")], &mut report);
    assert!(inputs.len() >= 5);
    assert!(report
        .diagnostics
        .iter()
        .any(|d| d.location.ends_with("does-not-exist.ndjson")));
}
