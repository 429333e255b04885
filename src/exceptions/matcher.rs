//! Whether an exception item holds for an event, entry by entry, as the query Kibana builds of
//! it would match in Elasticsearch:
//! - `match` is a `match_phrase`: exact and case-sensitive on a keyword field, an analyzed
//!   phrase on a text field (script-block text uses the rule's analyzer). Evaluated by the KQL
//!   evaluator as a quoted `field:"value"`, which Elasticsearch runs as the same query.
//! - `match_any` is one `match_phrase` per value, ORed; `exists` is an `exists` query.
//! - `wildcard` is a plain `wildcard` query (Kibana sets no `case_insensitive` and escapes
//!   nothing): `*` any run, `?` one character, `\` makes the next character literal. On a keyword
//!   field it must match a whole value (values over `ignore_above` are not indexed, so never);
//!   on a text field one token of its analyzer (lowercased), the pattern itself unchanged.
//! - `nested` holds when one object of the array at its field meets every inner entry.
//! - `excluded` negates its entry: on an event without the field, "is not" holds.
//! - An item with `os_types` also needs `host.os.type` or `host.os.name.caseless` to be one of
//!   them (Kibana adds that `match` to the item).

use super::entry::{Entry, Operator};
use super::file::Item;
use crate::analysis::Analyzer;
use crate::ecs::{self, FieldType, Fields};
use crate::rule::kql::{self as eval, Expr, Literal, Piece};
use serde_json::{Map, Value};

/// Whether every entry of `item` holds for the document `doc` (whose `fields` are given).
pub fn item_holds(
    item: &Item,
    doc: &Map<String, Value>,
    fields: &Fields,
    analyzer: Analyzer,
) -> bool {
    os_matches(&item.os_types, fields)
        && item
            .entries
            .iter()
            .all(|e| entry_holds(e, doc, fields, analyzer))
}

/// The fields Kibana matches `os_types` against.
pub(super) const OS_FIELDS: [&str; 2] = ["host.os.type", "host.os.name.caseless"];

fn os_matches(os_types: &[String], fields: &Fields) -> bool {
    os_types.is_empty()
        || OS_FIELDS.iter().any(|f| {
            fields
                .get(f)
                .iter()
                .any(|v| os_types.iter().any(|o| *o == ecs::leaf_as_keyword(v)))
        })
}

fn entry_holds(e: &Entry, doc: &Map<String, Value>, fields: &Fields, analyzer: Analyzer) -> bool {
    let query = |expr: Expr| eval::evaluate(&expr, fields, analyzer).held;
    let apply = |op: &Operator, held: bool| match op {
        Operator::Included => held,
        Operator::Excluded => !held,
    };
    match e {
        Entry::Match {
            field,
            operator,
            value,
        } => apply(operator, query(phrase(field, value))),
        Entry::MatchAny {
            field,
            operator,
            values,
        } => apply(operator, values.iter().any(|v| query(phrase(field, v)))),
        Entry::Exists { field, operator } => apply(
            operator,
            query(Expr::Match {
                field: Some(field.clone()),
                value: Literal {
                    text: "*".into(),
                    quoted: false,
                    wildcard: Some(vec![Piece::Any]),
                },
            }),
        ),
        Entry::Wildcard {
            field,
            operator,
            value,
        } => apply(operator, wildcard_holds(field, value, fields, analyzer)),
        Entry::Nested { field, entries } => ecs::values_at(doc, field).into_iter().any(|v| {
            let Some(obj) = v.as_object() else {
                return false;
            };
            let inner = Fields::of_lenient(obj);
            entries
                .iter()
                .all(|e| entry_holds(e, obj, &inner, analyzer))
        }),
        // Items with value-list entries are not read (their values are not in the export).
        Entry::List { .. } => false,
    }
}

/// `field:"value"`: KQL's quoted value is the `match_phrase` Kibana builds for `match`.
fn phrase(field: &str, value: &str) -> Expr {
    Expr::Match {
        field: Some(field.to_owned()),
        value: Literal {
            text: value.to_owned(),
            quoted: true,
            wildcard: None,
        },
    }
}

fn wildcard_holds(field: &str, pattern: &str, fields: &Fields, analyzer: Analyzer) -> bool {
    // A multi-field (`file.path.text`) holds its parent's values, analyzed its own way.
    let values = fields.get(ecs::source_field(field));
    match ecs::field_type(field) {
        FieldType::Text => {
            let analyzer = eval::text_analyzer(field, analyzer);
            values.iter().any(|v| {
                analyzer
                    .terms(&ecs::leaf_as_keyword(v))
                    .iter()
                    .any(|t| wildcard_matches(pattern, t))
            })
        }
        FieldType::Keyword => values.iter().any(|v| {
            let s = ecs::leaf_as_keyword(v);
            s.chars().count() <= ecs::KEYWORD_IGNORE_ABOVE && wildcard_matches(pattern, &s)
        }),
        // Elasticsearch runs wildcard queries on keyword and text fields only; the reader
        // refuses such entries, so this is never asked.
        FieldType::Date | FieldType::Long => false,
    }
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Tok {
    Char(char),
    One,
    Any,
}

/// Lucene's wildcard syntax matched against the whole of `s`, case-sensitively: `*` any run of
/// characters, `?` exactly one, `\` makes the next character literal (a trailing `\` is itself).
/// Greedy with one backtrack point, so time stays within length × pattern length.
pub fn wildcard_matches(pattern: &str, s: &str) -> bool {
    let mut toks = Vec::new();
    let mut chars = pattern.chars();
    while let Some(c) = chars.next() {
        toks.push(match c {
            '*' => Tok::Any,
            '?' => Tok::One,
            '\\' => Tok::Char(chars.next().unwrap_or('\\')),
            c => Tok::Char(c),
        });
    }
    let text: Vec<char> = s.chars().collect();
    let (mut t, mut p) = (0, 0);
    let mut star: Option<(usize, usize)> = None;
    while t < text.len() {
        match toks.get(p) {
            Some(Tok::Any) => {
                star = Some((p, t));
                p += 1;
            }
            Some(Tok::One) => {
                t += 1;
                p += 1;
            }
            Some(Tok::Char(c)) if *c == text[t] => {
                t += 1;
                p += 1;
            }
            _ => match star {
                Some((sp, st)) => {
                    p = sp + 1;
                    t = st + 1;
                    star = Some((sp, st + 1));
                }
                None => return false,
            },
        }
    }
    toks[p.min(toks.len())..].iter().all(|t| *t == Tok::Any)
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
