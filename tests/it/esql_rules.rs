//! Elastic's 12 per-event ES|QL PowerShell rules (their queries, in `tests/data/esql/rules/`)
//! on events that sit on each threshold's edge, each exclusion and each null case. The expected
//! outcome and columns of every case were worked out from the query's steps with every regex
//! answered by `java.util.regex` (`make_rule_cases.py`), not by pstriage.

use pstriage::analysis::Analyzer;
use pstriage::ecs::Fields;
use pstriage::rule::{self, esql, kql, Loaded, Rule};
use serde_json::Value;
use std::collections::BTreeMap;
use std::path::PathBuf;

fn data() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/data/esql")
}

fn load_rule(stem: &str) -> Rule {
    let path = data().join("rules").join(format!("{stem}.toml"));
    let text = std::fs::read_to_string(&path).unwrap();
    match rule::load(&text, &path.display().to_string()).unwrap() {
        Loaded::Rule(r) => *r,
        Loaded::Skipped { reason, .. } => panic!("{stem} skipped: {reason}"),
    }
}

#[test]
fn every_rule_loads_as_a_per_event_esql_rule() {
    let stems: Vec<String> = std::fs::read_dir(data().join("rules"))
        .unwrap()
        .map(|e| {
            e.unwrap()
                .path()
                .file_stem()
                .unwrap()
                .to_string_lossy()
                .into_owned()
        })
        .collect();
    assert_eq!(stems.len(), 12);
    for s in stems {
        let r = load_rule(&s);
        let q = r.esql.as_ref().expect("an ES|QL rule");
        assert!(q.per_event() && !q.reads_alerts(), "{s}");
    }
}

/// Every case of `rule-cases.jsonl` with its rule (each rule loaded once).
fn cases() -> Vec<(Value, std::rc::Rc<Rule>)> {
    let mut rules: BTreeMap<String, std::rc::Rc<Rule>> = BTreeMap::new();
    let text = std::fs::read_to_string(data().join("rule-cases.jsonl")).unwrap();
    text.lines()
        .filter(|l| !l.trim().is_empty())
        .map(|line| {
            let case: Value = serde_json::from_str(line).unwrap();
            let stem = case["rule"].as_str().unwrap();
            let rule = rules
                .entry(stem.to_owned())
                .or_insert_with(|| std::rc::Rc::new(load_rule(stem)))
                .clone();
            (case, rule)
        })
        .collect()
}

#[test]
fn each_case_gives_elastic_s_outcome_and_columns() {
    let mut checked = 0;
    for (case, rule) in cases() {
        let stem = case["rule"].as_str().unwrap();
        let doc = case["doc"].as_object().unwrap();
        let fields = Fields::of_lenient(doc);
        let q = rule.esql.as_ref().unwrap();
        let out = esql::run(q, &fields, Analyzer::Pattern, false);
        let what = format!("{stem}: {}", case["case"]);
        assert_eq!(out.held, case["fires"].as_bool().unwrap(), "{what}");
        // The detailed run and the rule's own verdict agree with the quick one.
        assert_eq!(
            rule.explain(&fields, Analyzer::Pattern).held,
            out.held,
            "{what}"
        );
        // What an alert keeps is found without the why: the same columns, and as its terms
        // the first eight distinct texts the detailed run marks in the script.
        let fire = esql::fire_in(q, &fields, &esql::TextMemo::default(), Analyzer::Pattern, 8);
        assert_eq!(fire.is_some(), out.held, "{what}");
        if let Some(fire) = fire {
            assert_eq!(fire.columns, out.columns, "{what}");
            let detailed = esql::run(q, &fields, Analyzer::Pattern, true).explanation;
            // What an alert listed when it kept the detailed run's: the script's query values,
            // then the matched texts while fewer than eight.
            let mut marked: Vec<&str> =
                detailed.positive_terms("powershell.file.script_block_text");
            for h in detailed.positive_hits() {
                if marked.len() < 8 && !marked.contains(&h.term.as_str()) {
                    marked.push(&h.term);
                }
            }
            assert_eq!(fire.terms, marked, "{what}");
        }
        if out.held {
            let got: BTreeMap<&str, &Value> =
                out.columns.iter().map(|(k, v)| (k.as_str(), v)).collect();
            for (name, want) in case["columns"].as_object().unwrap() {
                let g = got
                    .get(name.as_str())
                    .unwrap_or_else(|| panic!("{what}: no {name}"));
                match (want.as_f64(), g.as_f64()) {
                    (Some(w), Some(x)) if want.is_f64() || g.is_f64() => {
                        assert_eq!(w.to_bits(), x.to_bits(), "{what}: {name}")
                    }
                    _ => assert_eq!(*g, want, "{what}: {name}"),
                }
            }
        }
        checked += 1;
    }
    assert!(checked >= 50);
}

#[test]
fn the_rule_s_plan_lets_every_firing_case_through() {
    // An ES|QL rule's plan is its pipeline's necessary condition: streams and indexes run the
    // pipeline only on the events it holds on, so it must hold on every case that fires.
    let (mut fired, mut rejected) = (0, 0);
    for (case, rule) in cases() {
        let stem = case["rule"].as_str().unwrap();
        let fields = Fields::of_lenient(case["doc"].as_object().unwrap());
        let mut tokens = kql::DocTokens::new(&fields, Analyzer::Pattern, rule.plan.vocabulary());
        let passes = kql::matches(&rule.plan, &mut tokens);
        if case["fires"].as_bool().unwrap() {
            assert!(
                passes,
                "{stem}: {} fires but its plan rejects it",
                case["case"]
            );
            fired += 1;
        } else if !passes {
            rejected += 1;
        }
    }
    assert!(fired >= 12, "{fired}");
    // The `:` rules' plans do reject events (a plan of every event would pass this test too).
    assert!(rejected >= 1, "{rejected}");
}

#[test]
fn why_it_fired_shows_each_step_and_marks_the_matches() {
    let rule = load_rule("reverse_keyword");
    let doc = serde_json::json!({
        "event": {"code": "4104"},
        "powershell": {"file": {"script_block_text": "'rahc' + 'METSYS'"}}
    });
    let fields = Fields::of_lenient(doc.as_object().unwrap());
    let e = rule.explain(&fields, Analyzer::Pattern);
    assert!(e.held);
    let labels: Vec<&str> = e.children.iter().map(|c| c.label.as_str()).collect();
    assert!(
        labels[0].starts_with("where event.code == \"4104\"") && labels[0].ends_with("→ true"),
        "{labels:?}"
    );
    assert!(
        labels
            .iter()
            .any(|l| l.contains("Esql.script_block_pattern_count = 2")),
        "{labels:?}"
    );
    let marked: Vec<&str> = e.positive_hits().iter().map(|h| h.term.as_str()).collect();
    assert_eq!(marked, ["rahc", "METSYS"]);
    // A row that a where drops says so, and the steps after it are not run.
    let short = serde_json::json!({
        "event": {"code": "4104"},
        "powershell": {"file": {"script_block_text": "'rahc'"}}
    });
    let e = rule.explain(
        &Fields::of_lenient(short.as_object().unwrap()),
        Analyzer::Pattern,
    );
    let last = e.children.last().unwrap();
    assert!(!e.held && !last.held);
    assert!(
        last.label.contains(">= 2") && last.label.contains("false: the row is dropped"),
        "{}",
        last.label
    );
}

#[test]
fn a_null_column_drops_the_row_unless_the_query_says_or_is_null() {
    // Three-valued logic (Elastic's ES|QL docs): `x != "a"` is null when x is missing, and
    // `where` drops null; the rules write `or x is null` for that reason.
    let q = esql::parse("from logs-* metadata _id | where file.name != \"a.ps1\"").unwrap();
    let q_or =
        esql::parse("from logs-* metadata _id | where file.name != \"a.ps1\" or file.name is null")
            .unwrap();
    let missing = serde_json::json!({"event": {"code": "4104"}});
    let f = Fields::of_lenient(missing.as_object().unwrap());
    assert!(!esql::run(&q, &f, Analyzer::Pattern, false).held);
    assert!(esql::run(&q_or, &f, Analyzer::Pattern, false).held);
    // A multi-valued field in a comparison is null too.
    let multi = serde_json::json!({"file": {"name": ["b.ps1", "c.ps1"]}});
    let f = Fields::of_lenient(multi.as_object().unwrap());
    assert!(!esql::run(&q, &f, Analyzer::Pattern, false).held);
}
