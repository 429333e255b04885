//! KQL AST → tantivy query that returns a superset of the matching documents.
//!
//! Leaves the index answers exactly (script-text terms and phrases, keyword equality, field
//! existence) become term/phrase queries; everything else (ranges, dates, numbers, wildcards,
//! other text fields, bare values) becomes "all documents", leaving the decision to the
//! evaluator. `not` of an inexact clause is also "all documents": the complement of a superset
//! is not a superset.

use super::schema::{kw_term, Fields as SchemaFields};
use super::tokenizer::{index_term, is_prefix_term};
use crate::analysis::Analyzer;
use crate::ecs::{self, field_type, source_field, FieldType, KEYWORD_IGNORE_ABOVE};
use crate::rule::kql::{Expr, Literal};
use tantivy::query::{AllQuery, BooleanQuery, EmptyQuery, Occur, Query, TermQuery};
use tantivy::schema::IndexRecordOption;
use tantivy::Term;

/// A compiled query and whether its matches are exactly the evaluator's.
pub struct Compiled {
    pub query: Box<dyn Query>,
    /// True when the query returns exactly the matching documents (not just a superset).
    pub exact: bool,
}

fn all() -> Compiled {
    Compiled {
        query: Box::new(AllQuery),
        exact: false,
    }
}

fn exact(query: Box<dyn Query>) -> Compiled {
    Compiled { query, exact: true }
}

fn is_all(c: &Compiled) -> bool {
    !c.exact && c.query.is::<AllQuery>()
}

/// Compiles `expr` for an index whose script text was analyzed with `analyzer`.
pub fn compile(expr: &Expr, f: &SchemaFields, analyzer: Analyzer) -> Compiled {
    match expr {
        Expr::All => Compiled {
            query: Box::new(AllQuery),
            exact: true,
        },
        Expr::Or(items) => {
            let parts: Vec<Compiled> = items.iter().map(|e| compile(e, f, analyzer)).collect();
            if parts.iter().any(is_all) {
                return all();
            }
            let exact_all = parts.iter().all(|p| p.exact);
            let q = BooleanQuery::new(
                parts
                    .into_iter()
                    .map(|p| (Occur::Should, p.query))
                    .collect(),
            );
            Compiled {
                query: Box::new(q),
                exact: exact_all,
            }
        }
        Expr::And(items) => {
            let parts: Vec<Compiled> = items.iter().map(|e| compile(e, f, analyzer)).collect();
            let exact_all = parts.iter().all(|p| p.exact);
            let musts: Vec<_> = parts
                .into_iter()
                .filter(|p| !is_all(p))
                .map(|p| (Occur::Must, p.query))
                .collect();
            if musts.is_empty() {
                return all();
            }
            Compiled {
                query: Box::new(BooleanQuery::new(musts)),
                exact: exact_all,
            }
        }
        Expr::Not(inner) => {
            let c = compile(inner, f, analyzer);
            if !c.exact {
                return all();
            }
            let q = BooleanQuery::new(vec![
                (Occur::Must, Box::new(AllQuery) as Box<dyn Query>),
                (Occur::MustNot, c.query),
            ]);
            exact(Box::new(q))
        }
        Expr::Match {
            field: Some(field),
            value,
        } => leaf(field, value, f, analyzer),
        Expr::Match { field: None, .. } | Expr::Range { .. } => all(),
    }
}

fn leaf(field: &str, value: &Literal, f: &SchemaFields, analyzer: Analyzer) -> Compiled {
    if value.is_match_all() {
        let term = Term::from_field_text(f.exists, source_field(field));
        return exact(Box::new(TermQuery::new(term, IndexRecordOption::Basic)));
    }
    if value.wildcard.is_some() {
        return all();
    }
    match field_type(field) {
        FieldType::Keyword => {
            if value.text.chars().count() > KEYWORD_IGNORE_ABOVE {
                return exact(Box::new(EmptyQuery));
            }
            let term = Term::from_field_text(f.kw, &kw_term(field, &value.text));
            exact(Box::new(TermQuery::new(term, IndexRecordOption::Basic)))
        }
        FieldType::Text if field == ecs::names::SCRIPT_BLOCK_TEXT => {
            script_leaf(value, f, analyzer)
        }
        _ => all(),
    }
}

fn script_leaf(value: &Literal, f: &SchemaFields, analyzer: Analyzer) -> Compiled {
    let tokens = analyzer.terms(&value.text);
    if tokens.is_empty() {
        return exact(Box::new(EmptyQuery));
    }
    let terms: Vec<Term> = tokens
        .iter()
        .map(|t| Term::from_field_text(f.script, &index_term(t)))
        .collect();
    let any_prefix = tokens.iter().any(|t| is_prefix_term(&index_term(t)));
    if value.quoted && terms.len() > 1 {
        // The index keeps no positions: a phrase finds the documents holding all its terms,
        // and the evaluator confirms that they are adjacent, in order, in one array element.
        return Compiled {
            query: terms_query(terms, Occur::Must),
            exact: false,
        };
    }
    Compiled {
        query: terms_query(terms, Occur::Should),
        exact: !any_prefix,
    }
}

/// All (`Must`) or any (`Should`) of `terms`.
fn terms_query(terms: Vec<Term>, occur: Occur) -> Box<dyn Query> {
    let clauses: Vec<(Occur, Box<dyn Query>)> = terms
        .into_iter()
        .map(|t| {
            (
                occur,
                Box::new(TermQuery::new(t, IndexRecordOption::Basic)) as Box<dyn Query>,
            )
        })
        .collect();
    Box::new(BooleanQuery::new(clauses))
}
