//! A query prepared for a fast yes/no answer: text values analyzed once (for both analyzers),
//! each document's text tokenized once and shared by every rule. Gives exactly the answer of
//! `evaluate` (a test holds them equal) without building explanations, so the explanation is
//! only built for the events that match.

use super::ast::{Expr, Literal};
use super::eval::{text_analyzer, Explainer};
use crate::analysis::Analyzer;
use crate::ecs::{field_type, leaf_as_keyword, source_field, FieldType, Fields};
use std::collections::{HashMap, HashSet};

/// A prepared query.
#[derive(Clone, Debug)]
pub struct Plan {
    root: Node,
}

#[derive(Clone, Debug)]
enum Node {
    All,
    Or(Vec<Node>),
    And(Vec<Node>),
    Not(Box<Node>),
    /// `text_field:value` without wildcards: the value's terms under each analyzer.
    Text {
        field: String,
        pattern: Vec<String>,
        standard: Vec<String>,
        phrase: bool,
    },
    /// Anything else is answered by the evaluator itself.
    Other(Expr),
}

fn prepare_node(e: &Expr) -> Node {
    match e {
        Expr::All => Node::All,
        Expr::Or(v) => Node::Or(v.iter().map(prepare_node).collect()),
        Expr::And(v) => Node::And(v.iter().map(prepare_node).collect()),
        Expr::Not(i) => Node::Not(Box::new(prepare_node(i))),
        Expr::Match {
            field: Some(f),
            value:
                Literal {
                    text,
                    quoted,
                    wildcard: None,
                },
        } if field_type(f) == FieldType::Text => Node::Text {
            field: f.clone(),
            pattern: Analyzer::Pattern.terms(text),
            standard: Analyzer::Standard.terms(text),
            phrase: *quoted,
        },
        other => Node::Other(other.clone()),
    }
}

impl Plan {
    pub fn new(expr: &Expr) -> Plan {
        Plan {
            root: prepare_node(expr),
        }
    }
}

/// The tokens of one document's text fields, computed on first use and shared by every plan
/// evaluated against the document.
pub struct DocTokens<'f, 'a> {
    fields: &'f Fields<'a>,
    analyzer: Analyzer,
    /// Per text field: token texts per array element, and all of them as a set.
    by_field: HashMap<String, (Vec<Vec<String>>, HashSet<String>)>,
}

impl<'f, 'a> DocTokens<'f, 'a> {
    pub fn new(fields: &'f Fields<'a>, analyzer: Analyzer) -> Self {
        DocTokens {
            fields,
            analyzer,
            by_field: HashMap::new(),
        }
    }

    fn tokens(&mut self, field: &str) -> &(Vec<Vec<String>>, HashSet<String>) {
        let analyzer = text_analyzer(field, self.analyzer);
        let fields = self.fields;
        self.by_field.entry(field.to_owned()).or_insert_with(|| {
            let per_value: Vec<Vec<String>> = fields
                .get(source_field(field))
                .iter()
                .map(|v| analyzer.terms(&leaf_as_keyword(v)))
                .collect();
            let set = per_value.iter().flatten().cloned().collect();
            (per_value, set)
        })
    }
}

/// Whether `plan` matches the document behind `doc`.
pub fn matches(plan: &Plan, doc: &mut DocTokens<'_, '_>) -> bool {
    eval(&plan.root, doc)
}

fn eval(n: &Node, doc: &mut DocTokens<'_, '_>) -> bool {
    match n {
        Node::All => true,
        Node::Or(v) => v.iter().any(|c| eval(c, doc)),
        Node::And(v) => v.iter().all(|c| eval(c, doc)),
        Node::Not(c) => !eval(c, doc),
        Node::Text {
            field,
            pattern,
            standard,
            phrase,
        } => {
            let want = match text_analyzer(field, doc.analyzer) {
                Analyzer::Pattern => pattern,
                Analyzer::Standard => standard,
            };
            if want.is_empty() {
                return false;
            }
            let (per_value, set) = doc.tokens(field);
            if !*phrase || want.len() == 1 {
                want.iter().any(|w| set.contains(w))
            } else {
                per_value
                    .iter()
                    .any(|toks| toks.windows(want.len()).any(|w| w == want.as_slice()))
            }
        }
        Node::Other(e) => Explainer::new(doc.fields, doc.analyzer).held(e),
    }
}
