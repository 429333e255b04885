//! What an event must hold for a per-event pipeline to keep it, read off the pipeline's leading
//! `where` steps as a KQL query: the rule set's plans answer it from the terms they already
//! look up (one tokenization of the script for every rule), and the index answers it with
//! its posting lists, so the pipeline itself runs only on the events that pass.
//!
//! The query is a necessary condition, never the rule: every event the pipeline keeps matches
//! it, and it may match many the pipeline drops. Only two shapes are translated, both to a KQL
//! leaf that holds wherever the ES|QL one is true:
//! - `field : "text"` is the same `match` query (the pipeline runs that very leaf);
//! - `keyword_field == "value"` becomes `keyword_field:"value"`, which holds when any value of
//!   the field is that string, where ES|QL's `==` holds only for one value equal to it (several
//!   values, a missing field or a number make it null).
//!
//! Anything else in a condition (`like`, `length`, `not`…) is left out of it, which only widens
//! it; a step after the first `eval`, `keep`, `grok`… is not read at all (a column may then
//! shadow a field). It must not translate a shape it cannot prove to be wider.

use super::ast::{CmpOp, Expr, Query, StepKind};
use crate::ecs::{self, FieldType};
use crate::rule::kql;

/// The necessary condition of `query` (`kql::Expr::All` when its leading steps give none).
pub fn necessary(query: &Query) -> kql::Expr {
    let mut all: Vec<kql::Expr> = query
        .steps
        .iter()
        .map_while(|s| match &s.kind {
            StepKind::Where(e) => Some(e),
            _ => None,
        })
        .filter_map(condition)
        .collect();
    match all.len() {
        0 => kql::Expr::All,
        1 => all.remove(0),
        _ => kql::Expr::And(all),
    }
}

/// A KQL query that holds wherever `e` is true, if one can be read off it.
fn condition(e: &Expr) -> Option<kql::Expr> {
    match e {
        Expr::Match(m) => Some(m.leaf.clone()),
        Expr::Cmp(CmpOp::Eq, l, r) => match (&**l, &**r) {
            (Expr::Field(f), Expr::Str(s)) | (Expr::Str(s), Expr::Field(f)) => keyword_term(f, s),
            _ => None,
        },
        Expr::And(l, r) => match (condition(l), condition(r)) {
            (Some(l), Some(r)) => Some(kql::Expr::And(vec![l, r])),
            (one, other) => one.or(other),
        },
        // True only when one side is: each side must give a condition.
        Expr::Or(l, r) => Some(kql::Expr::Or(vec![condition(l)?, condition(r)?])),
        _ => None,
    }
}

/// `field:"value"` for an explicitly mapped keyword field, whose ES|QL value is the string a
/// KQL term query compares (a dynamically mapped one may read as a number in ES|QL). A value
/// over `ignore_above` is left alone: the index holds no term for it.
fn keyword_term(field: &str, value: &str) -> Option<kql::Expr> {
    let keyword = ecs::field_type(field) == FieldType::Keyword && ecs::is_explicitly_mapped(field);
    (keyword && value.chars().count() <= ecs::KEYWORD_IGNORE_ABOVE).then(|| kql::Expr::Match {
        field: Some(field.to_owned()),
        value: kql::Literal::quoted(value),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn necessary_of(q: &str) -> String {
        necessary(&super::super::parse(q).expect("parses")).to_string()
    }

    #[test]
    fn leading_wheres_give_their_keyword_and_match_conditions() {
        let q = r#"from logs-* metadata _id
            | where event.code == "4104" and powershell.file.script_block_text like "*`*"
            | where powershell.file.script_block_text : "rahc|metsys"
            | eval n = length(powershell.file.script_block_text)
            | where host.name == "never read""#;
        let printed = necessary_of(q);
        assert!(printed.contains(r#"event.code:"4104""#), "{printed}");
        assert!(printed.contains("rahc|metsys"), "{printed}");
        assert!(!printed.contains("never read"), "{printed}");
    }

    #[test]
    fn what_cannot_be_proven_wider_gives_no_condition() {
        for q in [
            // `not`, `!=`, and a comparison with a number are not translated.
            r#"from logs-* metadata _id | where not event.code == "4104""#,
            r#"from logs-* metadata _id | where event.code != "4104""#,
            r#"from logs-* metadata _id | where event.code == 4104"#,
            // One side of an `or` without a condition leaves the whole `or` without one.
            r#"from logs-* metadata _id | where event.code == "4104" or length(message) > 3"#,
            // A field that is not an explicitly mapped keyword.
            r#"from logs-* metadata _id | where some.dynamic.field == "x""#,
            // A step before the `where` may shadow the field.
            r#"from logs-* metadata _id | eval event.code = "4104" | where event.code == "4104""#,
        ] {
            assert_eq!(necessary_of(q), kql::Expr::All.to_string(), "{q}");
        }
    }
}
