//! `grok`: named captures pulled out of a string column, as ES|QL's `GROK` command does.
//!
//! Elasticsearch runs grok expressions on Joni (Oniguruma with Ruby syntax): the first match
//! anywhere in the value (a search, not a whole match); `^` and `$` are line anchors; `.` is any
//! character but `\n` (so a capture running to the end of a CRLF line keeps its `\r`). The
//! expression may name groups (`(?<Esql.id>…)`) and use these patterns by name — `%{NAME}`,
//! `%{NAME:column}`, `%{NAME:column:int|long|float|double}`: WORD, NOTSPACE, SPACE, DATA,
//! GREEDYDATA, INT, NUMBER, BASE10NUM, POSINT, UUID. Any other name makes the query fail to
//! load, never match differently. A column whose group did not take part is null; with no match
//! at all every column is null.
//!
//! Pure; compiled once with the query.

use super::eval::V;

/// How a captured text becomes a value (`%{NUMBER:n:int}`); keyword otherwise.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Convert {
    Keyword,
    Long,
    Double,
}

/// A compiled grok expression.
#[derive(Clone, Debug)]
pub struct Grok {
    regex: fancy_regex::Regex,
    /// Each output column: its name, its capture group, how its text converts.
    columns: Vec<(String, usize, Convert)>,
}

/// Step budget per value: a pathological expression gives null columns, never a hung scan.
const BACKTRACK_LIMIT: usize = 1_000_000;

/// The patterns of Elasticsearch's grok library that `%{…}` may name here, with their
/// expressions (the library's definitions).
const PATTERNS: &[(&str, &str)] = &[
    ("WORD", r"\b\w+\b"),
    ("NOTSPACE", r"\S+"),
    ("SPACE", r"\s*"),
    ("DATA", r".*?"),
    ("GREEDYDATA", r".*"),
    ("INT", r"(?:[+-]?(?:[0-9]+))"),
    ("POSINT", r"\b(?:[1-9][0-9]*)\b"),
    (
        "BASE10NUM",
        r"(?<![0-9.+-])(?>[+-]?(?:(?:[0-9]+(?:\.[0-9]+)?)|(?:\.[0-9]+)))",
    ),
    (
        "NUMBER",
        r"(?:(?<![0-9.+-])(?>[+-]?(?:(?:[0-9]+(?:\.[0-9]+)?)|(?:\.[0-9]+))))",
    ),
    (
        "UUID",
        r"[A-Fa-f0-9]{8}-(?:[A-Fa-f0-9]{4}-){3}[A-Fa-f0-9]{12}",
    ),
];

impl Grok {
    /// Compiles `pattern`; the error names what is outside the subset.
    pub fn new(pattern: &str) -> Result<Grok, String> {
        let mut out = String::from("(?m)");
        let mut columns = Vec::new();
        let mut groups = 0usize;
        let chars: Vec<char> = pattern.chars().collect();
        let mut i = 0;
        let mut in_class = false;
        while i < chars.len() {
            let c = chars[i];
            let rest: String = chars[i..].iter().take(4).collect();
            match c {
                '\\' => {
                    out.push(c);
                    if let Some(&next) = chars.get(i + 1) {
                        out.push(next);
                    }
                    i += 2;
                    continue;
                }
                '[' if !in_class => in_class = true,
                ']' if in_class => in_class = false,
                '%' if !in_class && chars.get(i + 1) == Some(&'{') => {
                    let close = chars[i..]
                        .iter()
                        .position(|&c| c == '}')
                        .ok_or("grok: an unclosed %{")?;
                    let inner: String = chars[i + 2..i + close].iter().collect();
                    let mut parts = inner.splitn(3, ':');
                    let name = parts.next().unwrap_or_default();
                    let expr = PATTERNS
                        .iter()
                        .find(|(n, _)| *n == name)
                        .map(|(_, e)| *e)
                        .ok_or_else(|| format!("grok: the pattern %{{{name}}} not supported"))?;
                    match parts.next() {
                        Some(column) => {
                            let convert = match parts.next() {
                                None => Convert::Keyword,
                                Some("int" | "long") => Convert::Long,
                                Some("float" | "double") => Convert::Double,
                                Some(other) => {
                                    return Err(format!("grok: the type '{other}' not supported"))
                                }
                            };
                            groups += 1;
                            columns.push((column.to_owned(), groups, convert));
                            out.push('(');
                            out.push_str(expr);
                            out.push(')');
                        }
                        None => {
                            out.push_str("(?:");
                            out.push_str(expr);
                            out.push(')');
                        }
                    }
                    i += close + 1;
                    continue;
                }
                '(' if !in_class => {
                    let named = rest.starts_with("(?<")
                        && !rest.starts_with("(?<=")
                        && !rest.starts_with("(?<!");
                    let named_p = rest.starts_with("(?P<");
                    if named || named_p {
                        let from = i + if named_p { 4 } else { 3 };
                        let close = chars[from..]
                            .iter()
                            .position(|&c| c == '>')
                            .ok_or("grok: an unclosed group name")?;
                        let name: String = chars[from..from + close].iter().collect();
                        groups += 1;
                        columns.push((name, groups, Convert::Keyword));
                        out.push('(');
                        i = from + close + 1;
                        continue;
                    }
                    if chars.get(i + 1) != Some(&'?') {
                        groups += 1;
                    }
                }
                _ => {}
            }
            out.push(c);
            i += 1;
        }
        if columns.is_empty() {
            return Err("grok: the expression names no column".into());
        }
        let regex = fancy_regex::RegexBuilder::new(&out)
            .backtrack_limit(BACKTRACK_LIMIT)
            .build()
            .map_err(|e| format!("grok: {e}"))?;
        Ok(Grok { regex, columns })
    }

    /// The names of the columns the expression adds, in the order written.
    pub fn column_names(&self) -> impl Iterator<Item = &str> {
        self.columns.iter().map(|(n, _, _)| n.as_str())
    }

    /// Each column's value for `text`; `Err` when the step budget ran out.
    pub fn extract(&self, text: &str) -> Result<Vec<(String, V)>, String> {
        let caps = self
            .regex
            .captures(text)
            .map_err(|e| format!("grok: {e}"))?;
        Ok(self
            .columns
            .iter()
            .map(|(name, group, convert)| {
                let value = caps
                    .as_ref()
                    .and_then(|c| c.get(*group))
                    .map_or(V::Null, |m| converted(m.as_str(), *convert));
                (name.clone(), value)
            })
            .collect())
    }
}

fn converted(text: &str, convert: Convert) -> V {
    match convert {
        Convert::Keyword => V::Str(text.to_owned()),
        Convert::Long => text.parse().map_or(V::Null, V::Long),
        Convert::Double => text.parse().map_or(V::Null, V::Double),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn one(pattern: &str, text: &str) -> Vec<(String, V)> {
        Grok::new(pattern).unwrap().extract(text).unwrap()
    }

    #[test]
    fn the_correlation_rules_capture_keeps_the_cr_of_a_crlf_line() {
        // Ruby syntax: `.` stops at `\n` only.
        let message =
            "Creating Scriptblock text (1 of 1):\r\nwhoami\r\n\r\nScriptBlock ID: 2f1c-a\r\nPath: ";
        assert_eq!(
            one("ScriptBlock ID: (?<Esql.script_block_id>.+)", message),
            [("Esql.script_block_id".to_owned(), V::Str("2f1c-a\r".into()))]
        );
        assert_eq!(
            one("ScriptBlock ID: (?<Esql.script_block_id>.+)", "no id here"),
            [("Esql.script_block_id".to_owned(), V::Null)]
        );
    }

    #[test]
    fn named_patterns_and_conversions() {
        let got = one(
            r"%{WORD:verb} (\d+) %{NUMBER:n:int} %{NUMBER:x:double} %{UUID:id}$",
            "line one\nrun 7 42 2.5 50d2dbda-7361-4926-a94d-d9eadfdb43fa\nnext",
        );
        assert_eq!(
            got,
            [
                ("verb".to_owned(), V::Str("run".into())),
                ("n".to_owned(), V::Long(42)),
                ("x".to_owned(), V::Double(2.5)),
                (
                    "id".to_owned(),
                    V::Str("50d2dbda-7361-4926-a94d-d9eadfdb43fa".into())
                ),
            ]
        );
    }

    #[test]
    fn unknown_patterns_and_nameless_expressions_are_refused() {
        assert!(Grok::new("%{IPV6:ip}").unwrap_err().contains("%{IPV6}"));
        assert!(Grok::new("a(b)c").unwrap_err().contains("names no column"));
        assert!(Grok::new("%{NUMBER:n:ip}").unwrap_err().contains("'ip'"));
    }

    #[test]
    fn a_group_that_does_not_take_part_is_null() {
        assert_eq!(one("a(?<x>b)?c", "ac"), [("x".to_owned(), V::Null)]);
    }
}
