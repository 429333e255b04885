//! Numeric fields as their Elasticsearch mapping makes them: the script statistics the newer
//! rules read are `float` (32-bit) and `long` fields, a malformed value is left unindexed under
//! the `logs-*` templates (`ignore_malformed`) and rejects the document under Winlogbeat's, and a
//! document with a token over Lucene's 32,766-byte term limit is rejected, so it never alerts.
//!
//! Float answers come from Java (`tests/data/numeric/FloatOracle.java`: `Float.parseFloat`,
//! `Math.nextUp`, the narrowing of a double); long answers follow Elasticsearch's documented
//! `coerce` (decimals truncated) and its long range query, which rounds a decimal bound inward
//! (`NumberFieldMapper.NumberType.LONG.rangeQuery`).

use crate::support::{data_lines, run_ndjson_said};
use pstriage::analysis::Analyzer;
use pstriage::ecs::Fields;
use pstriage::rule::{esql, kql};
use serde_json::{json, Map, Value};
use std::path::PathBuf;

fn doc(field: &str, value: Value) -> Map<String, Value> {
    let mut d = Map::new();
    d.insert(field.to_owned(), value);
    d
}

fn kql_holds(query: &str, d: &Map<String, Value>) -> bool {
    let expr = kql::parse(query).unwrap();
    kql::evaluate(&expr, &Fields::of_lenient(d), Analyzer::Pattern).held
}

fn esql_holds(condition: &str, d: &Map<String, Value>) -> bool {
    let q = esql::parse(&format!("from logs-* metadata _id | where {condition}")).unwrap();
    esql::run(&q, &Fields::of_lenient(d), Analyzer::Pattern, false).held
}

#[test]
fn float_fields_hold_32_bit_floats_in_kql_ranges_and_esql() {
    const FIELD: &str = "powershell.file.script_block_entropy_bits";
    let cases = data_lines("numeric/float-expected.jsonl");
    assert_eq!(cases.len(), 14);
    for c in cases {
        let (op, bound) = (c["op"].as_str().unwrap(), c["bound"].as_str().unwrap());
        let d = doc(FIELD, c["value"].clone());
        let query = format!("{FIELD} {op} {bound}");
        assert_eq!(kql_holds(&query, &d), c["holds"], "KQL {query} on {c}");
        let condition = format!("{FIELD} {op} {bound}");
        assert_eq!(
            esql_holds(&condition, &d),
            c["esql_holds"],
            "ES|QL {condition} on {c}"
        );
    }
}

#[test]
fn long_fields_truncate_values_and_round_decimal_bounds_inward() {
    const FIELD: &str = "powershell.file.script_block_length";
    for (value, query, holds) in [
        (json!(1000.7), "> 1000", false), // stored as 1000
        (json!(1001), "> 1000", true),
        (json!("1001"), "> 1000", true), // a string is coerced
        (json!("1000.9"), "> 1000", false),
        (json!(1001), ">= 1000.5", true), // >= 1000.5 is >= 1001
        (json!(1000), ">= 1000.5", false),
        (json!(1000), "> 999.5", true), // > 999.5 is >= 1000
        (json!(-2), "< -1.5", true),    // < -1.5 is <= -2
        (json!(-1), "< -1.5", false),
        (json!("many"), "> 0", false), // malformed: not indexed
    ] {
        let d = doc(FIELD, value.clone());
        let q = format!("{FIELD} {query}");
        assert_eq!(kql_holds(&q, &d), holds, "{q} on {value}");
    }
    // A term with a decimal part matches nothing on a long field.
    assert!(!kql_holds(
        &format!("{FIELD}: 1000.5"),
        &doc(FIELD, json!(1000))
    ));
    assert!(kql_holds(
        &format!("{FIELD}: 1000"),
        &doc(FIELD, json!(1000.5))
    ));
    // ES|QL reads the stored whole number.
    assert!(esql_holds(
        &format!("{FIELD} == 1000"),
        &doc(FIELD, json!(1000.7))
    ));
    // A malformed value is absent: exists is false, and ES|QL sees null.
    let malformed = doc(FIELD, json!("many"));
    assert!(!kql_holds(&format!("{FIELD}: *"), &malformed));
    assert!(esql_holds(&format!("{FIELD} is null"), &malformed));
}

fn scan(args: &[&str], input: &std::path::Path) -> (Vec<Value>, String) {
    let mut all: Vec<&std::ffi::OsStr> = vec!["scan".as_ref()];
    all.extend(args.iter().map(std::ffi::OsStr::new));
    all.extend(["--format", "ndjson", "--stream"].map(std::ffi::OsStr::new));
    all.push(input.as_os_str());
    run_ndjson_said(&all)
}

/// A 4104 event the bundled seed rule fires on, with `extra` merged in.
fn injection_event(extra: Value) -> Value {
    let mut d = json!({
        "@timestamp": "2024-05-01T10:00:00.000Z",
        "event": {"code": "4104", "category": "process"},
        "host": {"name": "ws-1", "os": {"type": "windows"}},
        "powershell": {"sequence": 1, "total": 1, "file": {
            "script_block_id": "b-1",
            "script_block_text": "[K]::OpenProcess(1); [K]::VirtualAllocEx(2); [K]::WriteProcessMemory(3); [K]::CreateRemoteThread(4)"
        }}
    });
    merge(&mut d, extra);
    d
}

fn merge(into: &mut Value, from: Value) {
    match (into, from) {
        (Value::Object(a), Value::Object(b)) => {
            for (k, v) in b {
                merge(a.entry(k).or_insert(Value::Null), v);
            }
        }
        (slot, v) => *slot = v,
    }
}

fn write(dir: &std::path::Path, name: &str, lines: &[Value]) -> PathBuf {
    let path = dir.join(name);
    let text: String = lines.iter().map(|l| format!("{l}\n")).collect();
    std::fs::write(&path, text).unwrap();
    path
}

#[test]
fn a_malformed_number_is_ignored_under_logs_templates_and_rejects_under_winlogbeat() {
    let tmp = tempfile::tempdir().unwrap();
    let ev = injection_event(json!({"powershell": {"sequence": "first"}}));
    // An ECS export that does not say its index: the logs-* templates apply.
    let plain = write(tmp.path(), "plain.ndjson", std::slice::from_ref(&ev));
    let (alerts, said) = scan(&[], &plain);
    assert_eq!(alerts.len(), 1, "{said}");
    assert!(
        said.contains("plain.ndjson:1") && said.contains("ignore_malformed"),
        "{said}"
    );
    // The same document from a Winlogbeat index, in a _search dump: rejected.
    let hits = json!({"hits": {"hits": [
        {"_index": ".ds-winlogbeat-8.12.0-2024.05.01-000001", "_id": "w1", "_source": ev.clone()},
        {"_index": ".ds-logs-windows.powershell_operational-default-2024.05.01-000001", "_id": "l1", "_source": ev}
    ]}});
    let dump = tmp.path().join("dump.json");
    std::fs::write(&dump, hits.to_string()).unwrap();
    let (alerts, said) = scan(&[], &dump);
    let kept: Vec<&Value> = alerts.iter().map(|a| &a["pstriage.source.index"]).collect();
    assert_eq!(kept, [&json!(1)], "only the logs-* copy alerts: {said}");
    assert!(said.contains("winlogbeat-* template rejects"), "{said}");
}

#[test]
fn an_immense_token_keeps_the_event_from_ever_alerting() {
    let tmp = tempfile::tempdir().unwrap();
    let blob = "A".repeat(40_000);
    let text = format!(
        "$b = '{blob}'; [K]::OpenProcess(1); [K]::VirtualAllocEx(2); [K]::WriteProcessMemory(3); [K]::CreateRemoteThread(4)"
    );
    let immense = injection_event(json!({"powershell": {"file": {"script_block_text": text}}}));
    // One byte under the limit still indexes.
    let under = "B".repeat(32_766);
    let text = format!("$b = '{under}'; [K]::OpenProcess(1); [K]::CreateRemoteThread(4)");
    let fits = injection_event(
        json!({"powershell": {"file": {"script_block_id": "b-2", "script_block_text": text}}}),
    );
    let input = write(tmp.path(), "big.ndjson", &[immense, fits]);
    let (alerts, said) = scan(&[], &input);
    let lines: Vec<&Value> = alerts.iter().map(|a| &a["pstriage.source.line"]).collect();
    assert_eq!(lines, [&json!(2)], "{said}");
    assert!(
        said.contains("big.ndjson:1") && said.contains("40000 bytes"),
        "{said}"
    );
    // The standard analyzer cuts tokens at 255 characters: nothing is rejected there.
    let (alerts, _) = scan(&["--analyzer", "standard"], &input);
    assert_eq!(alerts.len(), 2);
}
