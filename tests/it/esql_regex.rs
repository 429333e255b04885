//! ES|QL's `replace` runs `java.util.regex`; pstriage translates each pattern for
//! `fancy-regex`. Every case here — the 13 PowerShell rules' own patterns and the corners
//! Java reads its own way (ASCII classes and folding, line terminators for `.` and `$`,
//! lookahead, possessive quantifiers, code points) — was answered by Java itself
//! (`tests/data/esql/regex-expected.jsonl`, from `shared/tools/java-regex/regex <
//! regex-cases.jsonl`), never by this crate.

use pstriage::rule::esql::java_regex::JavaRegex;
use serde_json::Value;

fn lines(name: &str) -> Vec<Value> {
    crate::support::data_lines(&format!("esql/{name}"))
}

/// Code-point offsets of a byte range in `text`.
fn code_points(text: &str, (start, end): (usize, usize)) -> (u64, u64) {
    (
        text[..start].chars().count() as u64,
        text[..end].chars().count() as u64,
    )
}

#[test]
fn replace_matches_java_on_every_case() {
    let cases = lines("regex-cases.jsonl");
    let expected = lines("regex-expected.jsonl");
    assert_eq!(
        cases.len(),
        expected.len(),
        "regenerate regex-expected.jsonl"
    );
    let mut with_matches = 0;
    for (case, want) in cases.iter().zip(&expected) {
        let pattern = case["pattern"].as_str().unwrap();
        let text = case["text"].as_str().unwrap();
        let replacement = case["replacement"].as_str().unwrap();
        let re = JavaRegex::new(pattern).unwrap_or_else(|e| panic!("{pattern}: {e}"));
        let spans: Vec<(u64, u64)> = re
            .find_all(text)
            .unwrap()
            .into_iter()
            .map(|s| code_points(text, s))
            .collect();
        let want_spans: Vec<(u64, u64)> = want["spans"]
            .as_array()
            .unwrap()
            .iter()
            .map(|s| (s[0].as_u64().unwrap(), s[1].as_u64().unwrap()))
            .collect();
        assert_eq!(spans, want_spans, "{pattern:?} on {text:?}");
        let replaced = re.replace_all(text, replacement).unwrap();
        assert_eq!(
            replaced,
            want["replaced"].as_str().unwrap(),
            "{pattern:?} on {text:?}"
        );
        assert_eq!(
            replaced.chars().count() as u64,
            want["length"].as_u64().unwrap(),
            "ES|QL length() counts code points"
        );
        with_matches += usize::from(!spans.is_empty());
    }
    assert!(
        with_matches > 40,
        "the cases must exercise matches, not only misses"
    );
}
