//! The fuzz targets' properties (`pstriage::fuzz_checks`) over the committed seed corpora and
//! every crash the fuzzers found (`tests/fuzz/regressions/<target>/`), so CI keeps them fixed.
//! Fuzzing itself runs outside CI: see tests/fuzz/README.md.

use pstriage::ecs::Fields;
use pstriage::ingest::{read_stream, IngestReport};
use serde_json::Value;
use std::io::Read;
use std::path::Path;
use std::sync::atomic::AtomicBool;

fn run(target: &str, check: fn(&[u8])) {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fuzz");
    let mut n = 0;
    for dir in ["corpus", "regressions"] {
        let Ok(entries) = std::fs::read_dir(root.join(dir).join(target)) else {
            continue;
        };
        for e in entries.flatten() {
            let data = std::fs::read(e.path()).unwrap();
            check(&data);
            n += 1;
        }
    }
    assert!(n > 0, "no seeds for {target}");
}

#[test]
fn kql_seeds() {
    run("kql", pstriage::fuzz_checks::kql);
}

#[test]
fn records_seeds() {
    run("records", pstriage::fuzz_checks::records);
}

/// The seeds that are whole, well-formed exports (one of each shape the reader takes), and the
/// truncated gzip whose complete lines must still load. `mixed.ndjson` holds bad records on
/// purpose and is only run for "no panic" above.
const LOADABLE_RECORD_SEEDS: [&str; 8] = [
    "array.json",
    "ecs-fragments.ndjson",
    "raw-flat-nxlog.jsonl",
    "raw-winlogbeat.json",
    "search-response.json",
    "tricky.ndjson",
    "truncated.ndjson.gz",
    "wrapped-lines.json",
];

/// The records a seed holds, read here with serde_json alone: gunzipped as far as it goes, then
/// a JSON array, a `_search` response, or one document per line; `_source` wrappers unwrapped.
fn records_by_serde(bytes: &[u8]) -> Vec<Value> {
    let mut text = Vec::new();
    if bytes.starts_with(&[0x1f, 0x8b]) {
        // A cut-off stream ends in an error; what came before it is kept.
        let _ = flate2::read::MultiGzDecoder::new(bytes).read_to_end(&mut text);
    } else {
        text = bytes.to_vec();
    }
    let text = String::from_utf8(text).expect("seed is UTF-8");
    let text = text.trim_start_matches('\u{feff}');
    let unwrap = |v: Value| match v.get("_source") {
        Some(source) => source.clone(),
        None => v,
    };
    if let Ok(whole) = serde_json::from_str::<Value>(text) {
        return match whole {
            Value::Array(items) => items.into_iter().map(unwrap).collect(),
            doc => match doc.pointer("/hits/hits") {
                Some(Value::Array(hits)) => hits.iter().cloned().map(unwrap).collect(),
                _ => vec![unwrap(doc)],
            },
        };
    }
    text.lines()
        .filter(|l| !l.trim().is_empty())
        .filter_map(|l| serde_json::from_str::<Value>(l).ok())
        .map(unwrap)
        .collect()
}

/// The script block text of a record as the exporter wrote it: ECS nested or dotted, or the
/// raw Windows forms (Winlogbeat `winlog.event_data`, flat NXLog).
fn script_text_by_serde(doc: &Value) -> Option<Vec<Value>> {
    let v = doc
        .pointer("/powershell/file/script_block_text")
        .or_else(|| doc.get("powershell.file.script_block_text"))
        .or_else(|| doc.pointer("/winlog/event_data/ScriptBlockText"))
        .or_else(|| doc.get("ScriptBlockText"))?;
    Some(match v {
        Value::Array(items) => items.clone(),
        other => vec![other.clone()],
    })
}

#[test]
fn loadable_record_seeds_load_every_record_with_its_script_text() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fuzz/corpus/records");
    let (mut with_text, mut without_text) = (0, 0);
    for name in LOADABLE_RECORD_SEEDS {
        let bytes = std::fs::read(dir.join(name)).unwrap();
        let records = records_by_serde(&bytes);
        // Elasticsearch refuses a record that is not an object; the reader skips it.
        let (expected, refused): (Vec<Value>, Vec<Value>) =
            records.into_iter().partition(Value::is_object);
        assert!(!expected.is_empty(), "{name}: the seed holds records");
        let mut report = IngestReport::default();
        let mut events = Vec::new();
        read_stream(
            name,
            Box::new(&bytes[..]),
            &mut report,
            &AtomicBool::new(false),
            &mut |ev| events.push(ev),
        );
        assert_eq!(
            events.len(),
            expected.len(),
            "{name}: one event per record; {:?}",
            report.diagnostics
        );
        assert_eq!(
            report.skipped,
            refused.len() as u64,
            "{name}: {:?}",
            report.diagnostics
        );
        for (i, (ev, doc)) in events.iter().zip(&expected).enumerate() {
            let fields = Fields::of_lenient(&ev.doc);
            let got: Vec<Value> = fields
                .get("powershell.file.script_block_text")
                .iter()
                .map(|v| (*v).clone())
                .collect();
            let want = script_text_by_serde(doc).unwrap_or_default();
            assert_eq!(got, want, "{name}: record {i}'s script block text");
            if want.is_empty() {
                without_text += 1;
            } else {
                with_text += 1;
            }
        }
    }
    // The seeds hold both kinds, so a reader that dropped or invented the text would fail.
    assert!(
        with_text > 0 && without_text > 0,
        "{with_text} / {without_text}"
    );
}

#[test]
fn ecs_mapping_seeds() {
    run("ecs_mapping", pstriage::fuzz_checks::ecs_mapping);
}

#[test]
fn analyzers_seeds() {
    run("analyzers", pstriage::fuzz_checks::analyzers);
}

#[test]
fn rule_toml_seeds() {
    run("rule_toml", pstriage::fuzz_checks::rule_toml);
}

#[test]
fn decode_seeds() {
    run("decode", pstriage::fuzz_checks::decode);
}

#[test]
fn exceptions_seeds() {
    run("exceptions", pstriage::fuzz_checks::exceptions);
}

#[test]
fn esql_seeds() {
    run("esql", pstriage::fuzz_checks::esql);
}
