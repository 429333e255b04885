//! The few Elasticsearch query-DSL leaves that Kibana puts beside a KQL query — `match_phrase`,
//! `exists` and `wildcard` — decided for one document as Elasticsearch decides them. Exception
//! items (`exceptions::matcher`) and rule filters (`rule::filter`) are built of these.
//!
//! - `match_phrase` and `exists` are the KQL evaluator's quoted `field:"value"` and `field:*`:
//!   Elasticsearch runs exactly those queries for them.
//! - `wildcard`: `*` any run of characters, `?` exactly one, `\` makes the next character
//!   literal (a trailing `\` is itself) — Lucene's `WildcardQuery` syntax. On a keyword field it
//!   matches a whole value (values over `ignore_above` are not indexed, so never); on a text field
//!   one token of the field's analyzer, the pattern itself unchanged. `case_insensitive` folds
//!   ASCII letters only, as Elasticsearch 8's `AutomatonQueries.toCaseInsensitiveChar` does
//!   (Elasticsearch 9 hands this to Lucene 10, which also folds other scripts' letters).
//!
//! Pure: no files, no rules, no terminal.

use crate::analysis::Analyzer;
use crate::ecs::{self, FieldType, Fields};
use crate::rule::kql::{self, Expr, Literal, Piece};

/// `field:"value"`: KQL's quoted value is the `match_phrase` Kibana builds.
pub fn phrase(field: &str, value: &str) -> Expr {
    Expr::Match {
        field: Some(field.to_owned()),
        value: Literal {
            text: value.to_owned(),
            quoted: true,
            wildcard: None,
        },
    }
}

/// `field:*`: Kibana's `exists`.
pub fn exists(field: &str) -> Expr {
    Expr::Match {
        field: Some(field.to_owned()),
        value: Literal {
            text: "*".into(),
            quoted: false,
            wildcard: Some(vec![Piece::Any]),
        },
    }
}

/// Whether `expr` (a leaf made by [`phrase`] or [`exists`]) holds for `fields`.
pub fn holds(expr: &Expr, fields: &Fields, analyzer: Analyzer) -> bool {
    kql::evaluate(expr, fields, analyzer).held
}

/// Whether a field type takes a `wildcard` query: Elasticsearch refuses one on a date or a
/// number, and the whole search fails.
pub fn wildcard_applies(field: &str) -> bool {
    matches!(ecs::field_type(field), FieldType::Keyword | FieldType::Text)
}

/// A `wildcard` query on `field` for one document.
pub fn wildcard_holds(
    field: &str,
    pattern: &str,
    case_insensitive: bool,
    fields: &Fields,
    analyzer: Analyzer,
) -> bool {
    let pattern = Pattern::new(pattern, case_insensitive);
    // A multi-field (`file.path.text`) holds its parent's values, analyzed its own way.
    let values = fields.get(ecs::source_field(field));
    match ecs::field_type(field) {
        FieldType::Text => {
            let analyzer = kql::text_analyzer(field, analyzer);
            values.iter().any(|v| {
                analyzer
                    .terms(&ecs::leaf_as_keyword(v))
                    .iter()
                    .any(|t| pattern.matches(t))
            })
        }
        FieldType::Keyword => values.iter().any(|v| {
            let s = ecs::leaf_as_keyword(v);
            s.chars().count() <= ecs::KEYWORD_IGNORE_ABOVE && pattern.matches(&s)
        }),
        // See `wildcard_applies`: such a query never runs.
        FieldType::Date | FieldType::Long => false,
    }
}

/// Lucene's wildcard syntax matched against the whole of `s`, case-sensitively.
pub fn wildcard_matches(pattern: &str, s: &str) -> bool {
    Pattern::new(pattern, false).matches(s)
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Tok {
    Char(char),
    /// A character matched with ASCII case folded.
    Folded(char),
    One,
    Any,
}

/// A parsed wildcard pattern.
struct Pattern {
    toks: Vec<Tok>,
}

impl Pattern {
    fn new(pattern: &str, case_insensitive: bool) -> Pattern {
        let mut toks = Vec::new();
        let mut chars = pattern.chars();
        while let Some(c) = chars.next() {
            toks.push(match c {
                '*' => Tok::Any,
                '?' => Tok::One,
                // An escaped character is matched as written, even when folding (Elasticsearch
                // adds it with `makeChar`, not the case-insensitive variant).
                '\\' => Tok::Char(chars.next().unwrap_or('\\')),
                c if case_insensitive && c.is_ascii_alphabetic() => {
                    Tok::Folded(c.to_ascii_lowercase())
                }
                c => Tok::Char(c),
            });
        }
        Pattern { toks }
    }

    /// Greedy with one backtrack point, so time stays within length × pattern length.
    fn matches(&self, s: &str) -> bool {
        let toks = &self.toks;
        let text: Vec<char> = s.chars().collect();
        let (mut t, mut p) = (0, 0);
        let mut star: Option<(usize, usize)> = None;
        while t < text.len() {
            let step = match toks.get(p) {
                Some(Tok::Any) => {
                    star = Some((p, t));
                    p += 1;
                    continue;
                }
                Some(Tok::One) => true,
                Some(Tok::Char(c)) => *c == text[t],
                Some(Tok::Folded(c)) => *c == text[t].to_ascii_lowercase(),
                None => false,
            };
            if step {
                t += 1;
                p += 1;
                continue;
            }
            match star {
                Some((sp, st)) => {
                    p = sp + 1;
                    t = st + 1;
                    star = Some((sp, st + 1));
                }
                None => return false,
            }
        }
        toks[p.min(toks.len())..].iter().all(|t| *t == Tok::Any)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wildcards_follow_lucene() {
        for (p, s, want) in [
            ("adm-*", "adm-jo", true),
            ("adm-*", "ADM-jo", false),
            ("a?c", "abc", true),
            ("a?c", "ac", false),
            ("*", "", true),
            ("C:\\\\Windows\\\\*.exe", "C:\\Windows\\explorer.exe", true),
            ("a\\*b", "a*b", true),
            ("a\\*b", "axb", false),
            ("*a*a*b", "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaac", false),
            ("*mimikatz*", "invoke-mimikatz", true),
        ] {
            assert_eq!(wildcard_matches(p, s), want, "{p} on {s}");
        }
    }
}
