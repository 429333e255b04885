//! A rule's `[[rule.filters]]`, applied as the detection engine applies them: each enabled
//! filter ANDed with the KQL query, a negated one as `must_not`, disabled ones left out
//! (Kibana's `getQueryFilter` → `buildEsQuery`; see `pstriage::rule::filter`).
//!
//! Wildcard outcomes are checked against `tests/data/wildcard/expected.jsonl`, produced by
//! Lucene 8.7's automata (`WildcardOracle.java` beside it), never by this crate.

use pstriage::analysis::Analyzer;
use pstriage::ecs::Fields;
use pstriage::rule::{self, dsl, filter::Clause, Loaded, Rule};
use serde_json::{json, Value};

#[test]
fn wildcard_queries_match_as_lucene_and_elasticsearch_do() {
    let cases: Vec<(String, String, bool)> = crate::support::data_lines("wildcard/cases.jsonl")
        .into_iter()
        .map(|v| serde_json::from_value(v).unwrap())
        .collect();
    let expected: Vec<bool> = crate::support::data_lines("wildcard/expected.jsonl")
        .into_iter()
        .map(|v| v.as_bool().unwrap())
        .collect();
    assert_eq!(cases.len(), expected.len(), "regenerate expected.jsonl");
    for ((pattern, value, ci), want) in cases.iter().zip(expected) {
        let doc = json!({ "file": { "path": value } });
        let fields = Fields::of_lenient(doc.as_object().unwrap());
        let matcher = dsl::Wildcard::new(pattern, *ci);
        let got = dsl::wildcard_holds("file.path", &matcher, &fields, Analyzer::Pattern);
        assert_eq!(got, want, "{pattern:?} on {value:?}, case_insensitive {ci}");
    }
}

/// A KQL rule shaped like Elastic's current injection rule (a query of our own), with the
/// filters given.
fn rule_text(filters: &str) -> String {
    format!(
        r#"[metadata]
creation_date = "2024/01/01"

[rule]
author = ["pstriage tests"]
description = "Allocation and thread creation in one script block."
name = "Alloc and thread"
risk_score = 47
rule_id = "00000000-0000-4000-8000-00000000f117"
severity = "medium"
type = "query"
language = "kuery"
index = ["logs-windows.powershell*"]
query = '''
event.category:process and host.os.type:windows and
powershell.file.script_block_text : (VirtualAlloc and CreateThread)
'''
{filters}
"#
    )
}

const DEFENDER_FILTER: &str = r#"
[[rule.filters]]

[rule.filters.meta]
negate = true
[rule.filters.query.wildcard."file.path"]
case_insensitive = true
value = "?:\\\\ProgramData\\\\Microsoft\\\\Windows Defender Advanced Threat Protection\\\\DataCollection\\\\*"
"#;

fn loaded(text: &str) -> Rule {
    match rule::load(text, "test.toml").expect("a rule file") {
        Loaded::Rule(r) => *r,
        Loaded::Skipped { reason, .. } => panic!("skipped: {reason}"),
    }
}

fn event(path: Option<&str>) -> Value {
    let mut doc = json!({
        "@timestamp": "2024-05-20T10:00:00.000Z",
        "event": { "category": ["process"], "code": "4104" },
        "host": { "name": "ws-01", "os": { "type": "windows" } },
        "powershell": { "file": {
            "script_block_id": "b1",
            "script_block_text": "$p = [K32]::VirtualAlloc(0, 4096, 0x3000, 0x40); [K32]::CreateThread(0, 0, $p, 0, 0, 0)"
        } }
    });
    if let Some(p) = path {
        doc["file"] = json!({ "path": p });
    }
    doc
}

fn fires(rule: &Rule, doc: &Value) -> bool {
    let fields = Fields::of_lenient(doc.as_object().unwrap());
    rule.explain(&fields, Analyzer::Pattern).held
}

#[test]
fn elastic_style_filters_are_read_from_the_rule_file() {
    let r = loaded(&rule_text(DEFENDER_FILTER));
    assert_eq!(r.filters.len(), 1);
    let f = &r.filters[0];
    assert!(f.negate && !f.disabled);
    // The TOML string holds `\\\\`: two backslashes reach Elasticsearch, one escaping the other.
    let Clause::Wildcard {
        field,
        pattern,
        case_insensitive,
        ..
    } = &f.clause
    else {
        panic!("not a wildcard: {:?}", f.clause);
    };
    assert_eq!(field, "file.path");
    assert_eq!(
        pattern,
        r"?:\\ProgramData\\Microsoft\\Windows Defender Advanced Threat Protection\\DataCollection\\*"
    );
    assert!(case_insensitive);
}

#[test]
fn a_negated_filter_keeps_out_what_the_query_matches() {
    let r = loaded(&rule_text(DEFENDER_FILTER));
    let defender = r"C:\ProgramData\Microsoft\Windows Defender Advanced Threat Protection\DataCollection\8654.1\script.ps1";
    assert!(!fires(&r, &event(Some(defender))));
    // case_insensitive: the lower-case path is kept out too.
    assert!(!fires(&r, &event(Some(&defender.to_lowercase()))));
    assert!(fires(&r, &event(Some(r"C:\Users\jo\Downloads\script.ps1"))));
    // `must_not` over a missing field excludes nothing.
    assert!(fires(&r, &event(None)));
    // Without the filter, the Defender path alerts: the filter is what keeps it out.
    let plain = loaded(&rule_text(""));
    assert!(fires(&plain, &event(Some(defender))));
}

#[test]
fn positive_filters_must_hold_and_disabled_ones_are_left_out() {
    let exists = r#"
[[rule.filters]]
[rule.filters."$state"]
store = "appState"
[rule.filters.meta]
disabled = false
key = "file.path"
negate = false
type = "exists"
[rule.filters.query.exists]
field = "file.path"
"#;
    let r = loaded(&rule_text(exists));
    assert!(fires(&r, &event(Some(r"C:\x.ps1"))));
    assert!(
        !fires(&r, &event(None)),
        "a filter must hold like the query"
    );

    // The same filter switched off in Kibana: the detection engine drops it.
    let off = loaded(&rule_text(
        &exists.replace("disabled = false", "disabled = true"),
    ));
    assert!(off.filters[0].disabled);
    assert!(fires(&off, &event(None)));

    // A filter with no `query` key is its own query (old Kibana exports).
    let bare = r#"
[[rule.filters]]
[rule.filters.exists]
field = "file.path"
[rule.filters.meta]
negate = true
"#;
    let r = loaded(&rule_text(bare));
    assert!(!fires(&r, &event(Some(r"C:\x.ps1"))));
    assert!(fires(&r, &event(None)));
}

#[test]
fn the_filter_bar_s_phrase_and_one_of_filters_apply() {
    let one_of = r#"
[[rule.filters]]
[rule.filters.meta]
negate = true
[rule.filters.query.bool]
minimum_should_match = 1
[[rule.filters.query.bool.should]]
[rule.filters.query.bool.should.match_phrase]
"host.name" = "srv-01"
[[rule.filters.query.bool.should]]
[rule.filters.query.bool.should.match_phrase]
"host.name" = "ws-01"
"#;
    let r = loaded(&rule_text(one_of));
    assert!(
        !fires(&r, &event(None)),
        "ws-01 is one of the excluded hosts"
    );
    let mut other = event(None);
    other["host"]["name"] = json!("ws-02");
    assert!(fires(&r, &other));
    // Keywords are exact: the phrase filter is case-sensitive on host.name.
    other["host"]["name"] = json!("WS-01");
    assert!(fires(&r, &other));
}

#[test]
fn a_filter_pstriage_cannot_apply_skips_the_rule_with_the_reason() {
    for (filters, said) in [
        (
            "[[rule.filters]]\n[rule.filters.query.range.\"process.pid\"]\ngte = 4\n",
            "filter 1: 'range' queries are not supported",
        ),
        (
            "[[rule.filters]]\n[rule.filters.query.wildcard.\"@timestamp\"]\nvalue = \"2024*\"\n",
            "a wildcard on @timestamp",
        ),
        (
            "[[rule.filters]]\n[rule.filters.query.wildcard.\"file.path\"]\nvalue = \"C:*\"\nflags = \"ALL\"\n",
            "wildcard option 'flags' is not supported",
        ),
        (
            "[[rule.filters]]\n[rule.filters.query]\nexists = { field = \"a\" }\nterm = { a = \"b\" }\n",
            "several kinds at once",
        ),
    ] {
        match rule::load(&rule_text(filters), "t.toml").unwrap() {
            Loaded::Skipped { name, reason } => {
                assert_eq!(name, "Alloc and thread");
                assert!(reason.contains(said), "{reason}");
            }
            Loaded::Rule(_) => panic!("loaded with a filter it cannot apply: {filters}"),
        }
    }
}

#[test]
fn why_it_fired_names_each_filter() {
    let r = loaded(&rule_text(DEFENDER_FILTER));
    let doc = event(Some(r"C:\Users\jo\a.ps1"));
    let fields = Fields::of_lenient(doc.as_object().unwrap());
    let e = r.explain(&fields, Analyzer::Pattern);
    assert!(e.held);
    assert_eq!(e.label, "query and filters");
    assert_eq!(e.children.len(), 2);
    let not = &e.children[1];
    assert_eq!((not.label.as_str(), not.held), ("not", true));
    assert!(not.children[0]
        .label
        .starts_with("filter: file.path wildcard"));
    assert!(!not.children[0].held);
    // The API names still come from the query alone.
    let terms = e.positive_terms("powershell.file.script_block_text");
    assert_eq!(terms, ["VirtualAlloc", "CreateThread"]);
}

#[test]
fn scan_applies_filters_on_the_stream_and_on_the_index_alike() {
    let tmp = tempfile::tempdir().unwrap();
    let rules = tmp.path().join("rules");
    std::fs::create_dir(&rules).unwrap();
    std::fs::write(rules.join("alloc.toml"), rule_text(DEFENDER_FILTER)).unwrap();
    let input = tmp.path().join("events.ndjson");
    let defender = r"C:\ProgramData\Microsoft\Windows Defender Advanced Threat Protection\DataCollection\1\s.ps1";
    let lines: Vec<String> = [Some(defender), Some(r"C:\Temp\s.ps1"), None]
        .iter()
        .enumerate()
        .map(|(i, p)| {
            let mut e = event(*p);
            e["powershell"]["file"]["script_block_id"] = json!(format!("b{i}"));
            e.to_string()
        })
        .collect();
    std::fs::write(&input, lines.join("\n")).unwrap();
    for mode in [&["--stream"][..], &[][..]] {
        let index = tmp.path().join("index");
        let mut args: Vec<&std::ffi::OsStr> = ["scan", "--format", "ndjson", "--no-default-rules"]
            .iter()
            .map(|a| a.as_ref())
            .collect();
        args.extend([
            "--rules".as_ref(),
            rules.as_os_str(),
            "--index".as_ref(),
            index.as_os_str(),
        ]);
        args.extend(mode.iter().map(|m| -> &std::ffi::OsStr { m.as_ref() }));
        args.push(input.as_os_str());
        let ids: Vec<String> = crate::support::run_ndjson(&args)
            .iter()
            .map(|a| {
                a["powershell"]["file"]["script_block_id"]
                    .as_str()
                    .unwrap()
                    .to_owned()
            })
            .collect();
        assert_eq!(ids, ["b1", "b2"], "mode {mode:?}");
    }
}

#[test]
fn keys_that_change_elastic_s_alerts_are_said_when_not_applied() {
    let tmp = tempfile::tempdir().unwrap();
    let text = rule_text(
        "[rule.alert_suppression]\ngroup_by = [\"host.name\"]\n\n[[rule.severity_mapping]]\nfield = \"host.name\"\noperator = \"equals\"\nvalue = \"ws-01\"\nseverity = \"high\"\n",
    )
    .replace("[rule]\n", "[rule]\nenabled = false\n");
    std::fs::write(tmp.path().join("r.toml"), text).unwrap();
    let opts = pstriage::session::LoadOptions {
        rule_paths: vec![tmp.path().to_path_buf()],
        no_default_rules: true,
        ..Default::default()
    };
    let set = pstriage::session::load_rules(&opts).unwrap();
    assert_eq!(set.rules.len(), 1, "the rule still runs");
    assert!(set.skipped.is_empty(), "a note is not a skipped rule");
    let said = set.said().cloned().collect::<Vec<_>>().join("\n");
    for key in ["alert_suppression", "severity_mapping", "enabled = false"] {
        assert!(said.contains(key), "{key} not said in:\n{said}");
    }
    assert!(said.contains("rule 'Alloc and thread'") && said.contains("r.toml"));
}

#[test]
fn a_filter_whose_backslashes_escape_letters_is_pointed_out() {
    // Elastic's ".NET Reflection" rule writes one such path with single backslashes in a TOML
    // basic string: `\P` reaches Elasticsearch, which reads it as a plain `P`.
    let single = "[[rule.filters]]\n[rule.filters.meta]\nnegate = true\n[rule.filters.query.wildcard.\"file.path\"]\ncase_insensitive = true\nvalue = \"C:\\\\Program Files\\\\Agent\\\\x*.ps1\"\n";
    let r = loaded(&rule_text(single));
    assert_eq!(r.load_notes.len(), 1, "{:?}", r.load_notes);
    assert!(r.load_notes[0].contains(r"`\P` means a plain `P`"));
    // And it indeed keeps nothing out: the real path still alerts.
    assert!(fires(&r, &event(Some(r"C:\Program Files\Agent\x1.ps1"))));
    // What it does keep out: no backslashes, and the escaped letters in their own case.
    assert!(!fires(&r, &event(Some(r"c:Program FilesAgentx1.ps1"))));
    assert!(fires(&r, &event(Some(r"c:program filesagentx1.ps1"))));
    // Doubled backslashes are what the author meant: no note.
    assert!(loaded(&rule_text(DEFENDER_FILTER)).load_notes.is_empty());
}
