//! Whether an exception item holds for an event, entry by entry, as the query Kibana builds of
//! it would match in Elasticsearch (the query leaves themselves are `rule::dsl`'s):
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
use crate::ecs::{self, Fields};
use crate::rule::dsl;
use crate::rule::kql::Expr;
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
    let query = |expr: Expr| dsl::holds(&expr, fields, analyzer);
    let apply = |op: &Operator, held: bool| match op {
        Operator::Included => held,
        Operator::Excluded => !held,
    };
    match e {
        Entry::Match {
            field,
            operator,
            value,
        } => apply(operator, query(dsl::phrase(field, value))),
        Entry::MatchAny {
            field,
            operator,
            values,
        } => apply(
            operator,
            values.iter().any(|v| query(dsl::phrase(field, v))),
        ),
        Entry::Exists { field, operator } => apply(operator, query(dsl::exists(field))),
        Entry::Wildcard {
            field,
            operator,
            value,
        } => apply(
            operator,
            dsl::wildcard_holds(field, &dsl::Wildcard::new(value, false), fields, analyzer),
        ),
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
