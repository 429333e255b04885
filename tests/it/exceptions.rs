//! Kibana exception lists applied offline. Expected outcomes follow Elastic's documented
//! semantics (Kibana's `buildExceptionFilter`: items ORed, entries ANDed, the whole a
//! `must_not`; `match` is a `match_phrase`, `wildcard` a plain case-sensitive `wildcard` query;
//! "is not" holds when the field is missing; expired items no longer apply) — see the module
//! header of `pstriage::exceptions` for the sources.

use pstriage::analysis::Analyzer;
use pstriage::ecs::Fields;
use pstriage::exceptions::{self, Entry, ExceptionFile, Operator};
use serde_json::{json, Map, Value};

const LIST: &str = r#"{"_version":"WzEyMDQsMV0=","created_at":"2025-03-04T10:11:12.345Z","created_by":"analyst","description":"Benign admin scripts","id":"5f0c6a1e-8c1e-4d49-9b0e-6f7c2f1f0a11","immutable":false,"list_id":"ps-admin","name":"PowerShell admin exceptions","namespace_type":"single","os_types":[],"tags":["powershell"],"tie_breaker_id":"0d2b8c55-4a61-4a9e-8e77-0a8f3cbd1d42","type":"detection","updated_at":"2025-03-04T10:11:12.345Z","updated_by":"analyst","version":1}"#;

fn item_line(item_id: &str, entries: Value, extra: Value) -> String {
    let mut item = json!({
        "_version": "WzEyMDYsMV0=",
        "comments": [],
        "created_at": "2025-03-04T10:15:00.000Z",
        "created_by": "analyst",
        "description": "",
        "entries": entries,
        "id": format!("id-{item_id}"),
        "item_id": item_id,
        "list_id": "ps-admin",
        "name": format!("item {item_id}"),
        "namespace_type": "single",
        "os_types": [],
        "tags": [],
        "tie_breaker_id": "7e6d5c4b-3333-4a2b-9c8d-1e0f2a3b4c5d",
        "type": "simple",
        "updated_at": "2025-03-04T10:15:00.000Z",
        "updated_by": "analyst"
    });
    if let (Some(o), Some(e)) = (item.as_object_mut(), extra.as_object()) {
        o.extend(e.clone());
    }
    item.to_string()
}

fn file_of(lines: &[String]) -> ExceptionFile {
    let mut text = String::from(LIST);
    text.push('\n');
    for l in lines {
        text.push_str(l);
        text.push('\n');
    }
    exceptions::parse(&text, "export.ndjson")
}

/// Whether the single item with `entries` holds for `doc`.
fn holds(entries: Value, doc: Value) -> bool {
    let file = file_of(&[item_line("x", entries, json!({}))]);
    assert!(file.problems.is_empty(), "{:?}", file.problems);
    let doc: Map<String, Value> = doc.as_object().unwrap().clone();
    let fields = Fields::of_lenient(&doc);
    exceptions::item_holds(&file.items[0], &doc, &fields, Analyzer::Pattern)
}

fn entry(kind: &str, op: &str, field: &str, value: Value) -> Value {
    let mut e = json!({"field": field, "operator": op, "type": kind});
    if !value.is_null() {
        e["value"] = value;
    }
    json!([e])
}

#[test]
fn match_on_a_keyword_field_is_exact_and_case_sensitive() {
    let e = |op| entry("match", op, "host.name", json!("SCCM01"));
    let present = json!({"host": {"name": "SCCM01"}});
    let other_case = json!({"host": {"name": "sccm01"}});
    let absent = json!({"user": {"name": "x"}});
    let multi = json!({"host": {"name": ["WS-1", "SCCM01"]}});
    assert!(holds(e("included"), present.clone()));
    assert!(!holds(e("included"), other_case.clone()));
    assert!(!holds(e("included"), absent.clone()));
    assert!(
        holds(e("included"), multi.clone()),
        "any value of a multi-valued field"
    );
    assert!(!holds(e("excluded"), present));
    assert!(holds(e("excluded"), other_case));
    assert!(
        holds(e("excluded"), absent),
        "\"is not\" holds on a missing field"
    );
    assert!(
        !holds(e("excluded"), multi),
        "\"is not\": no value may match"
    );
}

#[test]
fn match_on_script_text_is_an_analyzed_phrase() {
    let e = |op, v: &str| entry("match", op, "powershell.file.script_block_text", json!(v));
    let doc = json!({"powershell": {"file": {"script_block_text": "Import-Module x; INVOKE-MIMIKATZ -DumpCreds"}}});
    assert!(
        holds(e("included", "Invoke-Mimikatz"), doc.clone()),
        "lowercased tokens"
    );
    assert!(
        holds(e("included", "invoke-mimikatz -dumpcreds"), doc.clone()),
        "a phrase"
    );
    assert!(
        !holds(e("included", "dumpcreds invoke-mimikatz"), doc.clone()),
        "in order"
    );
    assert!(
        !holds(e("included", "Mimikatz"), doc.clone()),
        "`-` does not split a token"
    );
    assert!(holds(e("excluded", "Get-Process"), doc));
}

#[test]
fn match_any_holds_when_any_value_matches() {
    let e = |op| entry("match_any", op, "host.name", json!(["SCCM01", "SCCM02"]));
    assert!(holds(e("included"), json!({"host": {"name": "SCCM02"}})));
    assert!(!holds(e("included"), json!({"host": {"name": "WS-1"}})));
    assert!(!holds(e("included"), json!({})));
    assert!(holds(
        e("included"),
        json!({"host": {"name": ["WS-1", "SCCM01"]}})
    ));
    assert!(!holds(e("excluded"), json!({"host": {"name": "SCCM02"}})));
    assert!(holds(e("excluded"), json!({"host": {"name": "WS-1"}})));
    assert!(holds(e("excluded"), json!({})));
    assert!(!holds(
        e("excluded"),
        json!({"host": {"name": ["WS-1", "SCCM01"]}})
    ));
}

#[test]
fn exists_ignores_null_and_empty_arrays() {
    let e = |op| entry("exists", op, "user.id", Value::Null);
    for (doc, present) in [
        (json!({"user": {"id": "S-1-5-18"}}), true),
        (json!({"user": {"id": ["a", "b"]}}), true),
        (json!({"user": {"id": null}}), false),
        (json!({"user": {"id": []}}), false),
        (json!({}), false),
    ] {
        assert_eq!(holds(e("included"), doc.clone()), present, "{doc}");
        assert_eq!(holds(e("excluded"), doc.clone()), !present, "{doc}");
    }
}

#[test]
fn wildcard_is_case_sensitive_on_keywords_and_per_token_on_text() {
    let kw = |op| entry("wildcard", op, "user.name", json!("adm-*"));
    assert!(holds(kw("included"), json!({"user": {"name": "adm-jo"}})));
    assert!(!holds(kw("included"), json!({"user": {"name": "ADM-jo"}})));
    assert!(!holds(kw("included"), json!({})));
    assert!(holds(
        kw("included"),
        json!({"user": {"name": ["x", "adm-1"]}})
    ));
    assert!(holds(kw("excluded"), json!({})));
    assert!(!holds(kw("excluded"), json!({"user": {"name": "adm-jo"}})));
    let path = entry(
        "wildcard",
        "included",
        "file.path",
        json!("C:\\\\Program Files\\\\*\\\\*.ps1"),
    );
    assert!(holds(
        path,
        json!({"file": {"path": "C:\\Program Files\\Tools\\a.ps1"}})
    ));
    // Text: tokens are lowercased, the pattern is not.
    let text = |p: &str| {
        entry(
            "wildcard",
            "included",
            "powershell.file.script_block_text",
            json!(p),
        )
    };
    let doc = json!({"powershell": {"file": {"script_block_text": "Invoke-Mimikatz -x"}}});
    assert!(holds(text("*mimikatz*"), doc.clone()));
    assert!(!holds(text("*Mimikatz*"), doc.clone()));
    assert!(
        !holds(text("invoke-mimikatz -x"), doc),
        "a pattern with a space never matches one token"
    );
}

#[test]
fn entries_are_anded_and_items_ored() {
    let entries = json!([
        {"field": "host.name", "operator": "included", "type": "match", "value": "SCCM01"},
        {"field": "user.name", "operator": "excluded", "type": "match", "value": "admin"},
    ]);
    assert!(holds(
        entries.clone(),
        json!({"host": {"name": "SCCM01"}, "user": {"name": "svc"}})
    ));
    assert!(!holds(
        entries.clone(),
        json!({"host": {"name": "SCCM01"}, "user": {"name": "admin"}})
    ));
    assert!(!holds(
        entries,
        json!({"host": {"name": "WS-1"}, "user": {"name": "svc"}})
    ));
}

#[test]
fn nested_needs_one_object_meeting_every_inner_entry() {
    let e = json!([{"field": "process.parent", "type": "nested", "entries": [
        {"field": "name", "operator": "included", "type": "match", "value": "svchost.exe"},
        {"field": "pid", "operator": "included", "type": "exists"},
    ]}]);
    assert!(holds(
        e.clone(),
        json!({"process": {"parent": [{"name": "x"}, {"name": "svchost.exe", "pid": 4}]}})
    ));
    assert!(!holds(
        e.clone(),
        json!({"process": {"parent": [{"name": "svchost.exe"}, {"pid": 4}]}})
    ));
    assert!(
        !holds(e, json!({})),
        "no object, no match, even for inner negations"
    );
}

#[test]
fn os_types_need_the_events_os() {
    let file = file_of(&[item_line(
        "os",
        json!([{"field": "host.name", "operator": "included", "type": "match", "value": "h"}]),
        json!({"os_types": ["windows"]}),
    )]);
    let item = &file.items[0];
    let check = |doc: Value| {
        let doc = doc.as_object().unwrap().clone();
        exceptions::item_holds(item, &doc, &Fields::of_lenient(&doc), Analyzer::Pattern)
    };
    assert!(check(
        json!({"host": {"name": "h", "os": {"type": "windows"}}})
    ));
    assert!(!check(
        json!({"host": {"name": "h", "os": {"type": "Windows"}}})
    ));
    assert!(!check(json!({"host": {"name": "h"}})));
}

#[test]
fn expired_items_no_longer_apply() {
    let file = file_of(&[item_line(
        "old",
        json!([{"field": "host.name", "operator": "included", "type": "exists"}]),
        json!({"expire_time": "2025-01-01T00:00:00.000Z"}),
    )]);
    let item = &file.items[0];
    let t = |s: &str| pstriage::ecs::parse_date_millis(&json!(s)).unwrap();
    assert!(!item.expired(t("2024-12-31T23:59:59Z")));
    assert!(item.expired(t("2025-01-01T00:00:00.001Z")));
}

#[test]
fn bad_lines_are_reported_by_line_and_the_rest_applies() {
    let good = item_line(
        "good",
        json!([{"field": "host.name", "operator": "included", "type": "exists"}]),
        json!({}),
    );
    let text = [
        LIST.to_owned(),
        "{not json".to_owned(),
        item_line("bad-type", json!([{"field": "a", "operator": "included", "type": "regex", "value": "x"}]), json!({})),
        item_line("bad-op", json!([{"field": "a", "operator": "sometimes", "type": "match", "value": "x"}]), json!({})),
        item_line("value-list", json!([{"field": "host.name", "operator": "included", "type": "list", "list": {"id": "hosts.txt", "type": "keyword"}}]), json!({})),
        item_line("orphan", json!([{"field": "a", "operator": "included", "type": "exists"}]), json!({"list_id": "no-such-list"})),
        good,
        r#"{"exported_exception_list_count":1,"exported_exception_list_item_count":6,"missing_exception_list_item_count":0,"missing_exception_list_items":[],"missing_exception_lists":[],"missing_exception_lists_count":0}"#.to_owned(),
    ]
    .join("\n");
    let file = exceptions::parse(&text, "team.ndjson");
    let ids: Vec<&str> = file.items.iter().map(|i| i.item_id.as_str()).collect();
    assert_eq!(ids, ["good"]);
    let said: Vec<String> = file.problems.iter().map(ToString::to_string).collect();
    assert_eq!(said.len(), 5, "{said:#?}");
    assert!(
        said[0].starts_with("team.ndjson:2: not valid JSON"),
        "{said:?}"
    );
    assert!(
        said[1].starts_with("team.ndjson:3:") && said[1].contains("unknown entry type \"regex\"")
    );
    assert!(said[2].starts_with("team.ndjson:4:") && said[2].contains("unknown operator"));
    assert!(said[3].starts_with("team.ndjson:5:") && said[3].contains("cannot be applied offline"));
    assert!(said[4].starts_with("team.ndjson:6:") && said[4].contains("no-such-list"));
}

#[test]
fn an_export_reads_back_to_the_same_lists_and_items() {
    let made = exceptions::Item::new(
        "ps-admin",
        "sccm",
        "SCCM inventory",
        vec![
            Entry::MatchAny {
                field: "host.name".into(),
                operator: Operator::Included,
                values: vec!["SCCM01".into(), "SCCM02".into()],
            },
            Entry::Wildcard {
                field: "file.path".into(),
                operator: Operator::Excluded,
                value: "C:\\\\Temp\\\\*".into(),
            },
        ],
        "2026-12-03T10:00:00.000Z",
    );
    let read = file_of(&[item_line(
        "kibana",
        json!([{"field": "host.name", "operator": "included", "type": "exists"}]),
        json!({"comments": [{"comment": "why", "created_at": "2025-03-04T10:15:00.000Z", "created_by": "a", "id": "c1"}], "expire_time": "2030-01-01T00:00:00.000Z"}),
    )]);
    let mut items = read.items.clone();
    items.push(made);
    let text = exceptions::export(&read.lists, &items);
    let again = exceptions::parse(&text, "again.ndjson");
    assert!(again.problems.is_empty(), "{:?}", again.problems);
    assert_eq!(again.lists.len(), 1);
    assert_eq!(again.lists[0].json, read.lists[0].json);
    assert_eq!(again.items.len(), 2);
    for (a, b) in again.items.iter().zip(&items) {
        assert_eq!(a.json, b.json);
        assert_eq!(a.entries, b.entries);
        assert_eq!(a.expires_ms, b.expires_ms);
    }
    assert_eq!(again.items[0].comments, ["why"]);
    // The last line is Kibana's summary, with the counts of what was written.
    let last: Value = serde_json::from_str(text.lines().last().unwrap()).unwrap();
    assert_eq!(last["exported_exception_list_count"], 1);
    assert_eq!(last["exported_exception_list_item_count"], 2);
}

fn scan(args: &[&str], index: &std::path::Path) -> std::process::Output {
    crate::support::pstriage()
        .args(["scan", "--format", "ndjson", "--index"])
        .arg(index)
        .args(args)
        .arg("sample-data")
        .output()
        .unwrap()
}

fn alerts(out: &std::process::Output) -> Vec<Value> {
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect()
}

#[test]
fn scan_leaves_out_what_any_item_suppresses_and_says_how_many() {
    let tmp = tempfile::tempdir().unwrap();
    let export = tmp.path().join("team.ndjson");
    let lines = [
        LIST.to_owned(),
        item_line(
            "db",
            json!([{"field": "host.name", "operator": "included", "type": "match", "value": "srv-db-02"}]),
            json!({"name": "database server jobs"}),
        ),
        item_line(
            "system-on-file",
            json!([
                {"field": "host.name", "operator": "included", "type": "match", "value": "srv-file-01"},
                {"field": "user.id", "operator": "included", "type": "match", "value": "S-1-5-18"},
            ]),
            json!({"name": "SYSTEM on the file server"}),
        ),
    ];
    std::fs::write(&export, lines.join("\n") + "\n").unwrap();
    let index = tmp.path().join("idx");
    let all = alerts(&scan(&[], &index));
    // What the two items describe, read off the unsuppressed alerts.
    let suppressed = |a: &Value| {
        a["host.name"] == "srv-db-02"
            || (a["host.name"] == "srv-file-01" && a["user.id"] == "S-1-5-18")
    };
    let expected_kept: Vec<&Value> = all.iter().filter(|a| !suppressed(a)).collect();
    let hidden = all.len() - expected_kept.len();
    assert!(
        hidden >= 2 && !expected_kept.is_empty(),
        "the sample has both kinds"
    );

    let out = scan(&["--exceptions", export.to_str().unwrap()], &index);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let kept = alerts(&out);
    assert_eq!(kept.len(), expected_kept.len());
    assert!(kept.iter().all(|a| !suppressed(a)));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains(&format!("{hidden} alerts suppressed")),
        "{stderr}"
    );
    assert!(
        stderr.contains("\"database server jobs\" (ps-admin/db): 2"),
        "{stderr}"
    );

    let out = scan(
        &[
            "--exceptions",
            export.to_str().unwrap(),
            "--with-suppressed",
        ],
        &index,
    );
    let every = alerts(&out);
    assert_eq!(every.len(), all.len());
    for a in &every {
        assert_eq!(
            a.get("pstriage.suppressed_by.item_id").is_some(),
            suppressed(a),
            "{a}"
        );
    }
}

#[test]
fn an_unreadable_exceptions_file_stops_the_scan() {
    let tmp = tempfile::tempdir().unwrap();
    let out = scan(
        &["--exceptions", "no/such/file.ndjson"],
        &tmp.path().join("idx"),
    );
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr)
        .contains("no/such/file.ndjson: cannot read exceptions"));
}

fn pstriage(args: &[&str]) -> std::process::Output {
    crate::support::pstriage().args(args).output().unwrap()
}

#[test]
fn the_case_list_is_listed_shown_exported_counted_in_the_report_and_removed() {
    let tmp = tempfile::tempdir().unwrap();
    let case = tmp.path().join("case");
    let item = exceptions::Item::new(
        exceptions::case::CASE_LIST_ID,
        "db-jobs",
        "database server jobs",
        vec![Entry::Match {
            field: "host.name".into(),
            operator: Operator::Included,
            value: "srv-db-02".into(),
        }],
        "2026-12-03T10:00:00.000Z",
    );
    exceptions::case::add(&case, item.clone(), "2026-12-03T10:00:00.000Z").unwrap();
    let case_s = case.to_str().unwrap();

    let out = pstriage(&["exceptions", "list", "--case", case_s]);
    assert!(out.status.success());
    let listed = String::from_utf8_lossy(&out.stdout);
    assert!(
        listed.contains("db-jobs\tdatabase server jobs\thost.name is \"srv-db-02\""),
        "{listed}"
    );

    let out = pstriage(&["exceptions", "show", "db-jobs", "--case", case_s]);
    assert!(String::from_utf8_lossy(&out.stdout).contains("  - host.name is \"srv-db-02\""));
    let out = pstriage(&["exceptions", "show", "nope", "--case", case_s]);
    assert!(!out.status.success());

    let exported = tmp.path().join("out.ndjson");
    let out = pstriage(&[
        "exceptions",
        "export",
        "-o",
        exported.to_str().unwrap(),
        "--case",
        case_s,
    ]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let back = exceptions::read(&exported).unwrap();
    assert!(back.problems.is_empty());
    assert_eq!(back.items[0].json, item.json);

    // The report counts what each item suppressed (the sample's srv-db-02 alerts).
    let all = alerts(&scan(&[], &tmp.path().join("idx")));
    let on_db = all.iter().filter(|a| a["host.name"] == "srv-db-02").count();
    let out = pstriage(&[
        "report",
        "--case",
        case_s,
        "--index",
        tmp.path().join("idx").to_str().unwrap(),
        "sample-data",
    ]);
    let md = String::from_utf8_lossy(&out.stdout);
    assert!(
        md.contains(&format!(
            "| database server jobs | pstriage-case-exceptions | db-jobs | {on_db} |"
        )),
        "{md}"
    );
    assert_eq!(
        md.matches("- **suppressed** by exception item database server jobs")
            .count(),
        on_db
    );
    let out = pstriage(&[
        "report",
        "--format",
        "json",
        "--case",
        case_s,
        "--index",
        tmp.path().join("idx").to_str().unwrap(),
        "sample-data",
    ]);
    let json: Value = serde_json::from_slice(&out.stdout).unwrap();
    let item_entry = json
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["kind"] == "exception_item")
        .unwrap();
    assert_eq!(item_entry["suppressed_alerts"], on_db);

    let out = pstriage(&["exceptions", "remove", "db-jobs", "--case", case_s]);
    assert!(out.status.success());
    assert!(exceptions::case::load(&case).unwrap().items.is_empty());
}

#[test]
fn a_list_a_rule_names_applies_to_that_rule_only() {
    let tmp = tempfile::tempdir().unwrap();
    // The bundled injection rule, naming the team's list as Kibana rules do.
    let toml = std::fs::read_to_string("assets/rules/potential_process_injection_via_powershell.toml").unwrap()
        + "\n[[rule.exceptions_list]]\nid = \"5f0c6a1e\"\nlist_id = \"ps-admin\"\nnamespace_type = \"single\"\ntype = \"detection\"\n";
    let rule = tmp.path().join("injection.toml");
    std::fs::write(&rule, toml).unwrap();
    let export = tmp.path().join("team.ndjson");
    let fin = item_line(
        "fin",
        json!([{"field": "host.name", "operator": "included", "type": "match", "value": "ws-fin-07"}]),
        json!({}),
    );
    std::fs::write(&export, format!("{LIST}\n{fin}\n")).unwrap();
    let index = tmp.path().join("idx");
    let rules = ["--rules", rule.to_str().unwrap()];
    let all = alerts(&scan(&rules, &index));
    let with = [&rules[..], &["--exceptions", export.to_str().unwrap()]].concat();
    let kept = alerts(&scan(&with, &index));
    let on_fin = |v: &[Value], rule: &str| {
        v.iter()
            .filter(|a| a["host.name"] == "ws-fin-07" && a["kibana.alert.rule.name"] == rule)
            .count()
    };
    let (inj, psr) = (
        "Potential Process Injection via PowerShell",
        "PowerShell PSReflect Script",
    );
    assert!(
        on_fin(&all, inj) > 0 && on_fin(&all, psr) > 0,
        "the sample has both on ws-fin-07"
    );
    assert_eq!(
        on_fin(&kept, inj),
        0,
        "the naming rule's alerts are suppressed"
    );
    assert_eq!(
        on_fin(&kept, psr),
        on_fin(&all, psr),
        "the other rule does not use the list"
    );
    assert_eq!(kept.len(), all.len() - on_fin(&all, inj));
}

#[test]
fn an_unreadable_case_list_is_a_note_and_is_never_overwritten() {
    let tmp = tempfile::tempdir().unwrap();
    // A directory where the file should be: reading it fails.
    std::fs::create_dir_all(tmp.path().join("exceptions.ndjson")).unwrap();
    let opts = pstriage::session::LoadOptions::default();
    let (set, notes) = pstriage::session::load_exceptions(&opts, Some(tmp.path())).unwrap();
    assert!(set.is_empty());
    assert_eq!(notes.len(), 1);
    assert!(notes[0].contains("cannot read exceptions"), "{notes:?}");
    let item = exceptions::Item::new(
        exceptions::case::CASE_LIST_ID,
        "x",
        "x",
        vec![Entry::Exists {
            field: "host.name".into(),
            operator: Operator::Included,
        }],
        "2026-12-03T10:00:00.000Z",
    );
    assert!(exceptions::case::add(tmp.path(), item, "2026-12-03T10:00:00.000Z").is_err());
    assert!(tmp.path().join("exceptions.ndjson").is_dir());
}
