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
        value: Literal::quoted(value),
    }
}

/// `field:*`: Kibana's `exists`.
pub fn exists(field: &str) -> Expr {
    Expr::Match {
        field: Some(field.to_owned()),
        value: Literal::new("*".into(), false, Some(vec![Piece::Any])),
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
    pattern: &Wildcard,
    fields: &Fields,
    analyzer: Analyzer,
) -> bool {
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
        FieldType::Date | FieldType::Long | FieldType::Float => false,
    }
}

/// Lucene's wildcard syntax matched against the whole of `s`, case-sensitively.
pub fn wildcard_matches(pattern: &str, s: &str) -> bool {
    Wildcard::new(pattern, false).matches(s)
}

#[derive(Clone, Debug, PartialEq, Eq)]
enum Tok {
    Char(char),
    /// A character matched with ASCII case folded.
    Folded(char),
    One,
    Any,
}

/// A wildcard pattern, parsed once: `*` any run of characters, `?` exactly one, `\` makes the
/// next character literal; ASCII letters folded when case-insensitive.
#[derive(Clone, Debug, PartialEq)]
pub struct Wildcard {
    toks: Vec<Tok>,
    /// For a pattern of literal text and `*` only: the same as KQL's wildcard pieces, matched
    /// by substring search.
    literal: Option<Vec<Piece>>,
}

impl Wildcard {
    pub fn new(pattern: &str, case_insensitive: bool) -> Wildcard {
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
        let literal = toks
            .iter()
            .all(|t| matches!(t, Tok::Char(_) | Tok::Any))
            .then(|| {
                let mut pieces = Vec::new();
                for t in &toks {
                    match (t, pieces.last_mut()) {
                        (Tok::Char(c), Some(Piece::Text(run))) => run.push(*c),
                        (Tok::Char(c), _) => pieces.push(Piece::Text(c.to_string())),
                        _ => pieces.push(Piece::Any),
                    }
                }
                pieces
            });
        Wildcard { toks, literal }
    }

    /// Whether the whole of `s` matches. Greedy with one backtrack point (the last `*`), so
    /// time stays within length × pattern length; walks `s` by byte offsets, copying nothing.
    pub fn matches(&self, s: &str) -> bool {
        if let Some(pieces) = &self.literal {
            return Literal::wildcard_matches(pieces, s);
        }
        let toks = &self.toks;
        let (mut t, mut p) = (0usize, 0usize);
        // (pattern index after the star, text offset the star's run ends at)
        let mut star: Option<(usize, usize)> = None;
        while t < s.len() {
            let c = s[t..].chars().next().unwrap_or_default();
            let step = match toks.get(p) {
                Some(Tok::Any) => {
                    star = Some((p, t));
                    p += 1;
                    continue;
                }
                Some(Tok::One) => true,
                Some(Tok::Char(x)) => *x == c,
                Some(Tok::Folded(x)) => *x == c.to_ascii_lowercase(),
                None => false,
            };
            if step {
                t += c.len_utf8();
                p += 1;
                continue;
            }
            match star {
                Some((sp, st)) => {
                    let next = st + s[st..].chars().next().map_or(1, char::len_utf8);
                    p = sp + 1;
                    t = next;
                    star = Some((sp, next));
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
