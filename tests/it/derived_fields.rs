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

#[test]
fn raw_4104_events_get_the_message_windows_renders() {
    // Oracle: the `Message` Windows rendered for real 4104 events (OTRF datasets, collected by
    // NXLog, which also kept the fields). With `Message` removed, the mapping must render the
    // same text. NXLog rewrote line ends in ScriptBlockText (CRLF to LF, sometimes CR CR LF) and
    // kept XML entities there, so carriage returns are ignored and texts with `&` left out.
    // On this data: 848 records equal, 4 whose field kept one final line end more.
    let Some(real) = crate::support::real_data() else {
        return;
    };
    let (mut compared, mut trailing) = (0, 0);
    for dir in ["json/4104-extract", "json/full"] {
        for entry in std::fs::read_dir(real.join(dir)).unwrap() {
            let path = entry.unwrap().path();
            let text = std::fs::read_to_string(&path).unwrap_or_default();
            for line in text.lines() {
                let Ok(Value::Object(mut doc)) = serde_json::from_str::<Value>(line) else {
                    continue;
                };
                let (Some(Value::String(rendered)), Some(Value::String(body))) =
                    (doc.remove("Message"), doc.get("ScriptBlockText").cloned())
                else {
                    continue;
                };
                if doc.get("EventID").map(|v| v.to_string()).as_deref() != Some("4104")
                    || body.contains('&')
                    || body == "None"
                {
                    continue;
                }
                let ecs = pstriage::ecs::winlog::to_ecs(&doc).expect("a raw 4104 maps");
                let ours = ecs["message"].as_str().expect("a message");
                let bare = |s: &str| s.replace('\r', "");
                let (mut a, b) = (bare(ours), bare(&rendered));
                if a != b {
                    // A few records' field keeps a final line end the rendered message lacks
                    // (the collector's doing): the rest must still be ours exactly.
                    let mut trimmed = doc.clone();
                    trimmed.insert(
                        "ScriptBlockText".into(),
                        Value::String(body.trim_end_matches(['\r', '\n']).to_owned()),
                    );
                    let again = pstriage::ecs::winlog::to_ecs(&trimmed).expect("maps");
                    a = bare(again["message"].as_str().unwrap_or_default());
                    trailing += 1;
                }
                let at = a.chars().zip(b.chars()).take_while(|(x, y)| x == y).count();
                assert!(
                    a == b,
                    "{}: differs at character {at}: {:?} vs {:?}",
                    path.display(),
                    a.chars()
                        .skip(at.saturating_sub(30))
                        .take(60)
                        .collect::<String>(),
                    b.chars()
                        .skip(at.saturating_sub(30))
                        .take(60)
                        .collect::<String>()
                );
                compared += 1;
            }
        }
    }
    assert!(compared > 800, "only {compared} records compared");
    assert!(
        trailing * 100 < compared,
        "{trailing} of {compared} needed the trailing-line fix"
    );
}
