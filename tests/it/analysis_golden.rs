//! Both analyzers against tokens produced by real Lucene 8.7 (`../shared/tools/lucene-oracle`).
//! The fixtures were generated once by the oracle and committed; our code never wrote them.

use pstriage::analysis::Analyzer;
use std::path::Path;

fn lines(name: &str) -> Vec<serde_json::Value> {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/data/analysis")
        .join(name);
    let text = std::fs::read_to_string(&path).expect("fixture readable");
    text.lines()
        .map(|l| serde_json::from_str(l).expect("fixture line is JSON"))
        .collect()
}

fn check(analyzer: Analyzer, expected_file: &str) {
    let texts = lines("texts.jsonl");
    let expected = lines(expected_file);
    assert_eq!(texts.len(), expected.len());
    assert!(
        texts.len() >= 60,
        "the issue asks for at least 60 golden texts"
    );
    let mut failures = Vec::new();
    for (text, want) in texts.iter().zip(&expected) {
        let text = text.as_str().expect("text is a string");
        let want: Vec<String> = serde_json::from_value(want.clone()).expect("token list");
        let got = analyzer.terms(text);
        if got != want {
            failures.push(format!("{text:?}\n   lucene: {want:?}\n   ours:   {got:?}"));
        }
    }
    assert!(
        failures.is_empty(),
        "{} mismatches:\n{}",
        failures.len(),
        failures.join("\n")
    );
}

#[test]
fn pattern_analyzer_matches_lucene() {
    check(Analyzer::Pattern, "pattern.jsonl");
}

#[test]
fn standard_analyzer_matches_lucene() {
    check(Analyzer::Standard, "standard.jsonl");
}
