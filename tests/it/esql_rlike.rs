//! `rlike` against Lucene's own `RegExp`: `tests/data/rlike/expected.jsonl` holds what Lucene's
//! automaton answers for each case of `cases.jsonl` (`RegexpOracle.java`, Lucene 8.7). The
//! predefined classes `\d \s \w` (and their negations) arrived in Lucene 9, which ES|QL runs;
//! 8.7 reads them as letters, so their cases below follow Lucene 9's `RegExp.expandPredefined`
//! (`\s` is `[ \t\n\r]`, `\w` is `[a-zA-Z_0-9]`, a `\` before any other letter is an error).

use crate::support::data_lines;
use pstriage::analysis::Analyzer;
use pstriage::ecs::Fields;
use pstriage::rule::esql;
use serde_json::{json, Value};

/// Whether `where x rlike pattern` keeps a row whose `x` is `value`: `Err` when the query
/// does not load.
fn rlike(pattern: &str, value: &str) -> Result<bool, String> {
    let literal = serde_json::to_string(pattern).unwrap();
    let q = esql::parse(&format!(
        "from logs-* metadata _id | where x rlike {literal}"
    ))?;
    let doc = json!({ "x": value });
    let fields = Fields::of_lenient(doc.as_object().unwrap());
    Ok(esql::run(&q, &fields, Analyzer::Pattern, false).held)
}

#[test]
fn rlike_answers_as_lucene_s_automaton_does() {
    let cases = data_lines("rlike/cases.jsonl");
    let expected = data_lines("rlike/expected.jsonl");
    assert_eq!(cases.len(), expected.len());
    assert!(cases.len() >= 40);
    for (case, want) in cases.iter().zip(&expected) {
        let (p, v) = (case[0].as_str().unwrap(), case[1].as_str().unwrap());
        let got = match rlike(p, v) {
            Ok(b) => Value::Bool(b),
            Err(_) => json!("error"),
        };
        assert_eq!(&got, want, "{p:?} on {v:?}");
    }
}

#[test]
fn predefined_classes_are_lucene_9_s() {
    for (p, v, want) in [
        (r"\d+\s\w", "42\tx", Some(true)),
        (r"\s", "\u{0B}", Some(false)),
        (r"\s", "\u{0C}", Some(false)),
        (r"\w", "é", Some(false)),
        (r"\W", "é", Some(true)),
        (r"\D+", "ab-", Some(true)),
        (r"[\d.]+", "1.2", Some(true)),
        (r"[\s\d]+", " 1\t2", Some(true)),
        (r"[\W]", "_", Some(false)),
        (r"[a-c\d]{2}", "b7", Some(true)),
        (r"\S+", "abc", Some(true)),
        (r"\S", "\r", Some(false)),
        (r"\x", "x", None),
        (r"[\q]", "q", None),
    ] {
        assert_eq!(rlike(p, v).ok(), want, "{p:?} on {v:?}");
    }
}

#[test]
fn not_rlike_and_null_follow_three_valued_logic() {
    let q = esql::parse(r#"from logs-* metadata _id | where x not rlike ".*IEX.*""#).unwrap();
    let run = |doc: Value| {
        let fields = Fields::of_lenient(doc.as_object().unwrap());
        esql::run(&q, &fields, Analyzer::Pattern, false).held
    };
    assert!(run(json!({"x": "Get-Date"})));
    assert!(!run(json!({"x": "IEX $a"})));
    assert!(!run(json!({})), "null: the row is dropped");
}
