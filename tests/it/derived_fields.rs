//! The statistics the Windows integration's pipeline adds to 4104 events, computed for raw
//! events (`pstriage::ecs::derived`). Expected values: `tests/data/derived/expected.jsonl`,
//! from the definitions in `make_expected.py` (Python's NFC and math), not from pstriage; the
//! integers must be equal, the floats within 1e-9 (the pipeline accumulates in another order).

use pstriage::ecs::derived::script_stats;
use serde_json::Value;
use std::path::PathBuf;

fn lines(name: &str) -> Vec<Value> {
    crate::support::data_lines(&format!("derived/{name}"))
}

#[test]
fn script_statistics_follow_the_pipeline_s_definitions() {
    let texts = lines("texts.jsonl");
    let expected = lines("expected.jsonl");
    assert_eq!(texts.len(), expected.len());
    for (t, want) in texts.iter().zip(&expected) {
        let text = t.as_str().unwrap();
        let got = script_stats(text);
        if want.is_null() {
            assert_eq!(got, None, "{text:?}");
            continue;
        }
        let got = got.unwrap_or_else(|| panic!("no statistics for {text:?}"));
        assert_eq!(
            got.length as u64,
            want["length"].as_u64().unwrap(),
            "{text:?}"
        );
        assert_eq!(
            got.unique_symbols as u64,
            want["unique_symbols"].as_u64().unwrap(),
            "{text:?}"
        );
        for (name, value) in [
            ("entropy_bits", got.entropy_bits),
            ("entropy_normalized", got.entropy_normalized),
            ("surprisal_stdev", got.surprisal_stdev),
        ] {
            let w = want[name].as_f64().unwrap();
            assert!(
                (value - w).abs() < 1e-9,
                "{name} of {text:?}: {value} vs {w}"
            );
        }
    }
}

#[test]
fn a_raw_4104_event_gets_them_and_special_character_overuse_can_fire() {
    // A raw (Winlogbeat, not ECS) 4104 event: the pipeline's fields are computed on mapping.
    let text = format!("{}{}", "$".repeat(900), "a".repeat(300));
    let raw = serde_json::json!({
        "@timestamp": "2025-02-03T04:05:06.000Z",
        "winlog": {
            "channel": "Microsoft-Windows-PowerShell/Operational",
            "event_id": 4104,
            "computer_name": "ws-01",
            "event_data": {"ScriptBlockText": text, "ScriptBlockId": "sb-9",
                           "MessageNumber": "1", "MessageTotal": "1"}
        }
    });
    let tmp = tempfile::tempdir().unwrap();
    let input = tmp.path().join("raw.ndjson");
    std::fs::write(&input, raw.to_string()).unwrap();
    let rule = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/data/esql/rules/whitespace_special_proportion.toml");
    let alerts = crate::support::run_ndjson(&[
        "scan".as_ref(),
        "--stream".as_ref(),
        "--format".as_ref(),
        "ndjson".as_ref(),
        "--no-default-rules".as_ref(),
        "--rules".as_ref(),
        rule.as_os_str(),
        input.as_os_str(),
    ]);
    assert_eq!(alerts.len(), 1);
    assert_eq!(alerts[0]["Esql.script_block_ratio"], 0.75);
    assert_eq!(
        alerts[0]["powershell"]["file"]["script_block_unique_symbols"],
        2
    );
}
