//! Elastic's *Potential Malicious PowerShell Based on Alert Correlation* (its query, in
//! `tests/data/esql/correlation/`) over the alerts of five probe rules, through `scan`.
//!
//! The expected groups follow from the query and ES|QL's documented semantics, worked out by
//! hand: `like "*PowerShell*"` is case-sensitive; grok captures `.+` up to the `\n` (Oniguruma's
//! `.` stops at `\n` only, so the `\r` of a CRLF line stays in the id); `stats … by` puts the
//! alerts of every fragment of one script block in one group; `count_distinct` counts rule
//! names; `mv_min` orders a `long` column by number and a `keyword` column by bytes. Alerts an
//! exception suppresses are not in Elastic's alerts index.

use crate::support::run_ndjson;
use serde_json::{json, Value};
use std::collections::BTreeSet;
use std::ffi::OsStr;
use std::path::{Path, PathBuf};

/// Five rules with "PowerShell" in their names and one without, each matching one word.
const PROBES: &[(&str, &str)] = &[
    ("PowerShell Probe Alpha", "alphaword"),
    ("PowerShell Probe Bravo", "bravoword"),
    ("PowerShell Probe Charlie", "charlieword"),
    ("PowerShell Probe Delta", "deltaword"),
    ("PowerShell Probe Echo", "echoword"),
    (
        "Script Probe Foxtrot (powershell in lower case)",
        "foxtrotword",
    ),
];

const CORRELATION: &str = "Potential Malicious PowerShell Based on Alert Correlation";

fn rules_dir(dir: &Path) -> PathBuf {
    let rules = dir.join("rules");
    std::fs::create_dir_all(&rules).unwrap();
    for (n, (name, word)) in PROBES.iter().enumerate() {
        let text = format!(
            "[rule]\nname = \"{name}\"\nrule_id = \"probe-{n}\"\ndescription = \"probe\"\nseverity = \"low\"\nrisk_score = 21\ntype = \"query\"\nlanguage = \"kuery\"\nindex = [\"logs-windows.powershell*\"]\nquery = 'powershell.file.script_block_text : \"{word}\"'\n"
        );
        std::fs::write(rules.join(format!("probe_{n}.toml")), text).unwrap();
    }
    let fixture = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/data/esql/correlation/alert_correlation.toml");
    std::fs::copy(fixture, rules.join("alert_correlation.toml")).unwrap();
    rules
}

/// A 4104 fragment of script block `id`, with the message Windows renders for it.
fn fragment(id: &str, n: u32, of: u32, text: &str, extra: Value) -> Value {
    let mut doc = json!({
        "@timestamp": format!("2024-05-01T10:00:0{n}.000Z"),
        "event": {"code": "4104", "category": "process"},
        "host": {"name": "ws-1", "id": "host-1"},
        "user": {"id": "S-1-5-21-7"},
        "process": {"pid": 4242},
        "message": format!("Creating Scriptblock text ({n} of {of}):\r\n{text}\r\n\r\nScriptBlock ID: {id}\r\nPath: "),
        "powershell": {"sequence": n, "total": of, "file": {"script_block_id": id, "script_block_text": text}}
    });
    if let (Some(d), Some(e)) = (doc.as_object_mut(), extra.as_object()) {
        for (k, v) in e {
            d.insert(k.clone(), v.clone());
        }
    }
    doc
}

fn events(dir: &Path) -> PathBuf {
    let lines = [
        // Five PowerShell rules on one block: one correlation alert.
        fragment(
            "A5",
            1,
            1,
            "alphaword bravoword charlieword deltaword echoword",
            json!({}),
        ),
        // Four: none.
        fragment(
            "B4",
            1,
            1,
            "alphaword bravoword charlieword deltaword",
            json!({}),
        ),
        // Five over two fragments of one block, with two users and two processes.
        fragment(
            "S2",
            1,
            2,
            "alphaword bravoword charlieword",
            json!({"user": {"id": "S-1-5-21-2"}, "process": {"pid": 1000}}),
        ),
        fragment(
            "S2",
            2,
            2,
            "deltaword echoword",
            json!({"user": {"id": "S-1-5-21-10"}, "process": {"pid": 900}}),
        ),
        // Four PowerShell rules and one whose name says "powershell" in lower case: none.
        fragment(
            "N5",
            1,
            1,
            "alphaword bravoword charlieword deltaword foxtrotword",
            json!({}),
        ),
        // Five rules, no message: the id cannot be read, none.
        {
            let mut d = fragment(
                "M5",
                1,
                1,
                "alphaword bravoword charlieword deltaword echoword",
                json!({}),
            );
            d.as_object_mut().unwrap().remove("message");
            d
        },
        // Five over two fragments, the second suppressed by an exception: four left, none.
        fragment(
            "X5",
            1,
            2,
            "alphaword bravoword charlieword deltaword",
            json!({}),
        ),
        fragment(
            "X5",
            2,
            2,
            "echoword",
            json!({"file": {"name": "skip.ps1"}}),
        ),
    ];
    let path = dir.join("events.ndjson");
    let text: String = lines.iter().map(|l| format!("{l}\n")).collect();
    std::fs::write(&path, text).unwrap();
    path
}

fn exceptions(dir: &Path) -> PathBuf {
    let list = json!({"list_id": "probe-skips", "name": "skips", "namespace_type": "single", "type": "detection", "description": "", "id": "l1", "immutable": false, "tags": [], "version": 1});
    let item = json!({"item_id": "skip-file", "list_id": "probe-skips", "name": "skip.ps1", "namespace_type": "single", "type": "simple", "description": "", "id": "i1", "tags": [], "os_types": [], "comments": [],
        "entries": [{"field": "file.name", "operator": "included", "type": "match", "value": "skip.ps1"}]});
    let path = dir.join("exceptions.ndjson");
    std::fs::write(&path, format!("{list}\n{item}\n")).unwrap();
    path
}

fn scan(dir: &Path, extra: &[&str]) -> Vec<Value> {
    let rules = rules_dir(dir);
    let events = events(dir);
    let exceptions = exceptions(dir);
    let mut args: Vec<&OsStr> = vec![
        OsStr::new("scan"),
        OsStr::new("--no-default-rules"),
        OsStr::new("--rules"),
        rules.as_os_str(),
        OsStr::new("--exceptions"),
        exceptions.as_os_str(),
        OsStr::new("--format"),
        OsStr::new("ndjson"),
        OsStr::new("--index"),
    ];
    let index = dir.join("index");
    args.push(index.as_os_str());
    args.extend(extra.iter().map(OsStr::new));
    args.push(events.as_os_str());
    run_ndjson(&args)
}

fn set(v: &Value) -> BTreeSet<String> {
    match v {
        Value::Array(items) => items.iter().map(|i| i.to_string()).collect(),
        one => [one.to_string()].into(),
    }
}

fn names(names: &[&str]) -> BTreeSet<String> {
    names.iter().map(|n| json!(n).to_string()).collect()
}

fn check(out: &[Value]) {
    let correlated: Vec<&Value> = out
        .iter()
        .filter(|d| d["kibana.alert.rule.name"] == CORRELATION)
        .collect();
    let ids: Vec<&str> = correlated
        .iter()
        .map(|d| d["Esql.script_block_id"].as_str().unwrap())
        .collect();
    assert_eq!(ids, ["A5\r", "S2\r"], "one alert per block of five rules");
    let five = names(&PROBES[..5].iter().map(|p| p.0).collect::<Vec<_>>());
    for d in &correlated {
        assert_eq!(d["Esql.kibana_alert_rule_name_count_distinct"], 5);
        assert_eq!(set(&d["Esql.kibana_alert_rule_name_values"]), five);
        assert_eq!(d["host.id"], "host-1");
        assert_eq!(d["kibana.alert.severity"], "high");
        // The grouped alert ids are those of the block's own alerts in the same output.
        let block = d["Esql.script_block_id"].as_str().unwrap().trim_end();
        let own: BTreeSet<String> = out
            .iter()
            .filter(|a| a["powershell.file.script_block_id"] == block)
            .filter(|a| a["kibana.alert.rule.name"] != CORRELATION)
            .map(|a| a["pstriage.alert_id"].to_string())
            .collect();
        assert_eq!(own.len(), 5);
        assert_eq!(set(&d["Esql._id_values"]), own);
    }
    let split = correlated[1];
    let pids: BTreeSet<String> = ["900".into(), "1000".into()].into();
    assert_eq!(set(&split["Esql.process_pid_values"]), pids);
    // process.pid is a long: 900 < 1000; user.id a keyword: "S-1-5-21-10" < "S-1-5-21-2".
    assert_eq!(split["process.pid"], 900);
    assert_eq!(split["user.id"], "S-1-5-21-10");
    assert_eq!(correlated[0]["process.pid"], 4242);
}

#[test]
fn five_distinct_powershell_rules_on_one_block_correlate_and_four_do_not() {
    let tmp = tempfile::tempdir().unwrap();
    let indexed = scan(tmp.path(), &[]);
    check(&indexed);
    let streamed = scan(tmp.path(), &["--stream"]);
    assert_eq!(streamed, indexed, "the stream raises the same alerts");
    // The suppressed alert is listed when asked for, and still takes no part.
    let with = scan(tmp.path(), &["--with-suppressed"]);
    assert_eq!(with.len(), indexed.len() + 1);
    check(&with);
}

#[test]
fn the_tui_shows_a_correlation_alert_with_its_grouped_alerts_and_their_script() {
    use pstriage::tui::app::{App, Msg};
    let tmp = tempfile::tempdir().unwrap();
    let opts = pstriage::session::LoadOptions {
        paths: vec![events(tmp.path())],
        rule_paths: vec![rules_dir(tmp.path())],
        no_default_rules: true,
        index_dir: Some(tmp.path().join("idx")),
        ..Default::default()
    };
    let ws = pstriage::session::load_workspace(
        &opts,
        &mut |_| {},
        &std::sync::atomic::AtomicBool::new(false),
    )
    .unwrap();
    let mut app = App::new(pstriage::triage::Book::default(), None, false);
    app.update(Msg::Resize(120, 40));
    app.update(Msg::Loaded(Box::new(ws)));
    // The first row: the correlation alert of block A5 (its rule file sorts first).
    let s = crate::support::screen(&app, 120, 40);
    assert!(s.contains("Potential Malicious Power"), "{s}");
    assert!(
        s.contains("the script block of the latest grouped alerts, marked for 5 rules"),
        "{s}"
    );
    assert!(
        s.contains("alphaword bravoword charlieword deltaword echoword"),
        "{s}"
    );
    app.update(Msg::Key(
        crossterm::event::KeyEvent::new(
            crossterm::event::KeyCode::Char('5'),
            crossterm::event::KeyModifiers::NONE,
        ),
        0,
    ));
    let s = crate::support::screen(&app, 120, 40);
    assert!(s.contains("→ 5 groups; this one, of 5 rows:"), "{s}");
    assert!(
        s.contains("Esql.kibana_alert_rule_name_count_distinct = 5"),
        "{s}"
    );
}
