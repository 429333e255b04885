//! A query prepared for a fast yes/no answer: text values analyzed once (for both analyzers),
//! each document's text tokenized once and shared by every rule, keeping only the tokens some
//! rule asks about (see `vocabulary`). Gives exactly the answer of `evaluate` (a test holds them
//! equal) without building explanations, so the explanation is only built for the events that
//! match.

use super::ast::{Expr, Literal};
use super::eval::{holds, keyword_holds, text_analyzer, vocabulary_of, Prepared};
use super::vocabulary::{has_phrase, occurrences, Occurrence, Vocabulary};
use crate::analysis::Analyzer;
use crate::ecs::{field_type, leaf_as_keyword, source_field, FieldType, Fields};

/// A prepared query.
#[derive(Clone, Debug)]
pub struct Plan {
    root: Node,
    /// How many `Text` and `AnyText` nodes `root` holds.
    slots: Slots,
    /// Clause texts and the vocabulary of the query's text values (a superset of the terms of
    /// its `Text` nodes).
    prepared: Prepared,
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
        /// The clause itself, for a document whose vocabulary lacks these terms.
        clause: Clause,
        /// This node's place among the plan's text nodes (where `BoundTerms` keeps its ids).
        slot: usize,
        /// Whether `field` is the script text (analyzed as the dataset says; every other
        /// text field with the standard analyzer): decided once, not per document.
        is_script: bool,
    },
    /// Two or more `Text` nodes on one field under an `Or` (a rule's list of names): in a rule
    /// set, answered from the union of their term ids in one look at the document's term
    /// bitmap, when every one of them asks for any of its terms (see `BoundTerms`); else, and
    /// outside a set, by its members one by one.
    AnyText {
        field: String,
        is_script: bool,
        members: Vec<Node>,
        /// This node's place among the plan's merged nodes (where `BoundTerms` keeps its union).
        union: usize,
    },
    /// `keyword_field:value`: exact comparison, no tokens.
    Keyword {
        field: String,
        value: Literal,
    },
    /// Anything else is answered by the evaluator itself.
    Other(Clause),
}

impl Node {
    /// How dear a node is to answer, roughly, lowest first: the script's terms come from the
    /// document's term bitmap (its tokens made once for every rule), a keyword clause reads a
    /// field, another text field is tokenized for it, the evaluator answers the rest.
    fn cost_rank(&self) -> u8 {
        match self {
            Node::All => 0,
            Node::Text {
                is_script: true, ..
            }
            | Node::AnyText {
                is_script: true, ..
            } => 1,
            Node::Keyword { .. } => 2,
            Node::Or(_) | Node::And(_) | Node::Not(_) => 3,
            Node::Text { .. } | Node::AnyText { .. } => 4,
            Node::Other(_) => 5,
        }
    }
}

/// A clause the evaluator answers, with the vocabulary of its text values made once.
#[derive(Clone, Debug)]
struct Clause {
    expr: Expr,
    vocabulary: Vocabulary,
}

impl Clause {
    fn new(expr: &Expr) -> Clause {
        Clause {
            expr: expr.clone(),
            vocabulary: vocabulary_of(expr),
        }
    }

    fn held(&self, doc: &DocTokens<'_, '_, '_>) -> bool {
        holds(&self.expr, &self.vocabulary, doc.fields, doc.analyzer)
    }
}

/// How many text nodes and merged nodes a plan has made so far (their `slot` and `union`).
#[derive(Clone, Copy, Debug, Default)]
struct Slots {
    text: usize,
    unions: usize,
}

/// The next number of `counter`.
fn take_next(counter: &mut usize) -> usize {
    *counter += 1;
    *counter - 1
}

/// The node of `e`.
fn prepare_node(e: &Expr, slots: &mut Slots) -> Node {
    match e {
        Expr::All => Node::All,
        Expr::Or(v) => merge_text(v.iter().map(|c| prepare_node(c, slots)).collect(), slots),
        Expr::And(v) => {
            let mut children: Vec<Node> = v.iter().map(|c| prepare_node(c, slots)).collect();
            // A conjunction holds whatever the order of its clauses: the cheap and selective
            // ones first, so that most documents leave before the dearer ones are asked
            // (every rule of a set names `event.category` or `host.os.type`; few match its
            // script terms).
            children.sort_by_key(Node::cost_rank);
            Node::And(children)
        }
        Expr::Not(i) => Node::Not(Box::new(prepare_node(i, slots))),
        Expr::Match {
            field: Some(f),
            value:
                Literal {
                    text,
                    quoted,
                    wildcard: None,
                    ..
                },
        } if field_type(f) == FieldType::Text => Node::Text {
            field: f.clone(),
            pattern: Analyzer::Pattern.terms(text),
            standard: Analyzer::Standard.terms(text),
            phrase: *quoted,
            clause: Clause::new(e),
            slot: take_next(&mut slots.text),
            is_script: text_analyzer(f, Analyzer::Pattern) != text_analyzer(f, Analyzer::Standard),
        },
        Expr::Match {
            field: Some(f),
            value,
        } if field_type(f) == FieldType::Keyword && !value.is_match_all() => Node::Keyword {
            field: f.clone(),
            value: value.clone(),
        },
        other => Node::Other(Clause::new(other)),
    }
}

/// An `Or`'s children with the text nodes of each field gathered into one `AnyText` node
/// (an `Or` holds whatever its children's order: a union asks the same).
fn merge_text(children: Vec<Node>, slots: &mut Slots) -> Node {
    let mut out: Vec<Node> = Vec::new();
    let mut fields: Vec<(String, bool, Vec<Node>)> = Vec::new();
    for c in children {
        match c {
            Node::Text {
                ref field,
                is_script,
                ..
            } => match fields.iter_mut().find(|(f, _, _)| f == field) {
                Some((_, _, members)) => members.push(c),
                None => fields.push((field.clone(), is_script, vec![c])),
            },
            other => out.push(other),
        }
    }
    for (field, is_script, mut members) in fields {
        if members.len() == 1 {
            out.extend(members.pop());
            continue;
        }
        out.push(Node::AnyText {
            field,
            is_script,
            members,
            union: take_next(&mut slots.unions),
        });
    }
    if out.len() == 1 {
        return out.pop().unwrap_or(Node::Or(Vec::new()));
    }
    Node::Or(out)
}

impl Plan {
    pub fn new(expr: &Expr) -> Plan {
        let mut slots = Slots::default();
        Plan {
            root: prepare_node(expr, &mut slots),
            slots,
            prepared: Prepared::new(expr),
        }
    }

    /// What `eval::explain` needs of this query.
    pub fn prepared(&self) -> &Prepared {
        &self.prepared
    }

    /// The terms this plan asks about: what a `DocTokens` for it must keep.
    pub fn vocabulary(&self) -> &Vocabulary {
        self.prepared.vocabulary()
    }

    /// One vocabulary for several plans, so one `DocTokens` serves them all.
    fn joint_vocabulary<'p>(plans: impl IntoIterator<Item = &'p Plan>) -> Vocabulary {
        let mut v = Vocabulary::default();
        for p in plans {
            for t in p.vocabulary().terms() {
                v.insert(t);
            }
        }
        v
    }
}

/// One plan's text terms looked up in one vocabulary, per text node (`slot`) and analyzer
/// (pattern, standard): their ids, or `None` when a term is not in the vocabulary (the
/// evaluator then answers that node). Then per `AnyText` node (`union`) and analyzer: the
/// union of its members' ids, when each member holds as soon as any one of its ids occurs
/// (a term, or a phrase of one token, with all its ids known).
#[derive(Clone, Debug, Default)]
pub struct BoundTerms(Vec<[Option<Box<[u32]>>; 2]>, Vec<[Option<Box<[u32]>>; 2]>);

/// Plans evaluated together over many documents: one vocabulary for all of them, each plan's
/// terms looked up in it once instead of once per document (a rule with a long term list
/// would otherwise hash every term of it for every event).
#[derive(Clone, Debug)]
pub struct PlanSet {
    vocabulary: Vocabulary,
    bound: Vec<BoundTerms>,
}

impl PlanSet {
    pub fn new<'p>(plans: impl IntoIterator<Item = &'p Plan>) -> PlanSet {
        let plans: Vec<&Plan> = plans.into_iter().collect();
        let vocabulary = Plan::joint_vocabulary(plans.iter().copied());
        let bound = plans.iter().map(|p| p.bind(&vocabulary)).collect();
        PlanSet { vocabulary, bound }
    }

    /// The vocabulary a `DocTokens` for these plans must keep.
    pub fn vocabulary(&self) -> &Vocabulary {
        &self.vocabulary
    }

    /// Whether plan number `k` (in the order given to `new`) matches the document behind
    /// `doc`, which must have been made with [`PlanSet::vocabulary`].
    pub fn matches(&self, k: usize, plan: &Plan, doc: &mut DocTokens<'_, '_, '_>) -> bool {
        debug_assert!(std::ptr::eq(doc.vocabulary, &self.vocabulary));
        eval(&plan.root, doc, Some(&self.bound[k]))
    }
}

impl Plan {
    /// This plan's terms looked up in `vocabulary`.
    fn bind(&self, vocabulary: &Vocabulary) -> BoundTerms {
        fn walk(n: &Node, v: &Vocabulary, out: &mut BoundTerms) {
            match n {
                Node::Or(c) | Node::And(c) => c.iter().for_each(|c| walk(c, v, out)),
                Node::Not(c) => walk(c, v, out),
                Node::Text {
                    pattern,
                    standard,
                    slot,
                    ..
                } => {
                    let ids = |terms: &[String]| v.ids_of(terms).map(Vec::into_boxed_slice);
                    out.0[*slot] = [ids(pattern), ids(standard)];
                }
                Node::AnyText { members, union, .. } => {
                    // Its members first: their ids make the union.
                    members.iter().for_each(|m| walk(m, v, out));
                    let of = |which: usize| {
                        let mut all = Vec::new();
                        for m in members {
                            let Node::Text { phrase, slot, .. } = m else {
                                return None;
                            };
                            let ids = out.0[*slot][which].as_deref()?;
                            if *phrase && ids.len() > 1 {
                                return None;
                            }
                            all.extend_from_slice(ids);
                        }
                        Some(all.into_boxed_slice())
                    };
                    out.1[*union] = [of(0), of(1)];
                }
                Node::All | Node::Keyword { .. } | Node::Other(_) => {}
            }
        }
        // Numbered as they were made, which merging an `Or`'s text nodes may reorder: filled
        // by number, not in walk order.
        let mut out = BoundTerms(
            vec![Default::default(); self.slots.text],
            vec![Default::default(); self.slots.unions],
        );
        walk(&self.root, vocabulary, &mut out);
        out
    }
}

/// The vocabulary tokens of one document's text fields, computed on first use and shared by
/// every plan whose terms are in the vocabulary.
pub struct DocTokens<'f, 'a, 'v> {
    fields: &'f Fields<'a>,
    analyzer: Analyzer,
    vocabulary: &'v Vocabulary,
    /// The script text's tokens, once read: kept apart from the other text fields because
    /// nearly every clause of a PowerShell rule reads it, and finding it in the list compared
    /// its long name once per clause and event.
    script: Option<FieldTokens>,
    /// Per other text field read so far: its tokens.
    by_field: Vec<(String, FieldTokens)>,
}

/// One text field's vocabulary tokens: occurrences per array element, and which term ids occur
/// at all.
type FieldTokens = (Vec<Vec<Occurrence>>, Vec<bool>);

impl<'f, 'a, 'v> DocTokens<'f, 'a, 'v> {
    pub fn new(fields: &'f Fields<'a>, analyzer: Analyzer, vocabulary: &'v Vocabulary) -> Self {
        DocTokens {
            fields,
            analyzer,
            vocabulary,
            script: None,
            by_field: Vec::new(),
        }
    }

    /// The vocabulary tokens of `field` under `analyzer` (the field's own), made on first use;
    /// `is_script` when `field` is the script text.
    fn tokens(&mut self, field: &str, analyzer: Analyzer, is_script: bool) -> &FieldTokens {
        if is_script {
            let tokens = match self.script.take() {
                Some(tokens) => tokens,
                None => self.tokenize(field, analyzer),
            };
            return self.script.insert(tokens);
        }
        // Another text field: a short list, compared before anything is copied, beats
        // hashing the field name for every clause.
        let at = match self.by_field.iter().position(|(f, _)| f == field) {
            Some(at) => at,
            None => {
                let tokens = self.tokenize(field, analyzer);
                self.by_field.push((field.to_owned(), tokens));
                self.by_field.len() - 1
            }
        };
        &self.by_field[at].1
    }

    fn tokenize(&self, field: &str, analyzer: Analyzer) -> FieldTokens {
        let per_value: Vec<Vec<Occurrence>> = self
            .fields
            .get(source_field(field))
            .iter()
            .map(|v| occurrences(self.vocabulary, analyzer, &leaf_as_keyword(v)))
            .collect();
        let mut present = vec![false; self.vocabulary.len()];
        for o in per_value.iter().flatten() {
            present[o.id as usize] = true;
        }
        (per_value, present)
    }

    /// The document's fields.
    pub fn fields(&self) -> &'f Fields<'a> {
        self.fields
    }

    /// The vocabulary whose ids the tokens are.
    pub fn vocabulary(&self) -> &'v Vocabulary {
        self.vocabulary
    }

    /// Each text field tokenized so far: its occurrences per array element, and which of the
    /// vocabulary's terms it holds.
    pub(super) fn tokenized(&self) -> impl Iterator<Item = (&str, &[Vec<Occurrence>], &[bool])> {
        let script = self
            .script
            .iter()
            .map(|t| (crate::ecs::names::SCRIPT_BLOCK_TEXT, t));
        let others = self.by_field.iter().map(|(field, t)| (field.as_str(), t));
        script
            .chain(others)
            .map(|(field, (occ, present))| (field, occ.as_slice(), present.as_slice()))
    }
}

/// Whether `plan` matches the document behind `doc` (its terms looked up in the document's
/// vocabulary as they are met; see [`PlanSet`] for many documents).
pub fn matches(plan: &Plan, doc: &mut DocTokens<'_, '_, '_>) -> bool {
    eval(&plan.root, doc, None)
}

fn eval(n: &Node, doc: &mut DocTokens<'_, '_, '_>, bound: Option<&BoundTerms>) -> bool {
    match n {
        Node::All => true,
        Node::Or(v) => v.iter().any(|c| eval(c, doc, bound)),
        Node::And(v) => v.iter().all(|c| eval(c, doc, bound)),
        Node::Not(c) => !eval(c, doc, bound),
        Node::Text {
            field,
            pattern,
            standard,
            phrase,
            clause,
            slot,
            is_script,
        } => {
            let analyzer = if *is_script {
                doc.analyzer
            } else {
                Analyzer::Standard
            };
            let (want, which) = match analyzer {
                Analyzer::Pattern => (pattern, 0),
                Analyzer::Standard => (standard, 1),
            };
            if want.is_empty() {
                return false;
            }
            let looked_up;
            let ids: &[u32] = match bound {
                Some(b) => match &b.0[*slot][which] {
                    Some(ids) => ids,
                    None => return clause.held(doc),
                },
                None => match doc.vocabulary.ids_of(want) {
                    Some(ids) => {
                        looked_up = ids;
                        &looked_up
                    }
                    // A term outside the document's vocabulary cannot be looked up: ask the
                    // evaluator.
                    None => return clause.held(doc),
                },
            };
            let (per_value, present) = doc.tokens(field, analyzer, *is_script);
            if !*phrase || ids.len() == 1 {
                ids.iter().any(|&id| present[id as usize])
            } else {
                // Most documents lack a term of the phrase: no need to look for its order.
                ids.iter().all(|&id| present[id as usize])
                    && per_value.iter().any(|occ| has_phrase(occ, ids))
            }
        }
        Node::AnyText {
            field,
            is_script,
            members,
            union,
        } => {
            let analyzer = if *is_script {
                doc.analyzer
            } else {
                Analyzer::Standard
            };
            let which = usize::from(analyzer == Analyzer::Standard);
            match bound.and_then(|b| b.1[*union][which].as_deref()) {
                Some(ids) => {
                    let (_, present) = doc.tokens(field, analyzer, *is_script);
                    ids.iter().any(|&id| present[id as usize])
                }
                None => members.iter().any(|m| eval(m, doc, bound)),
            }
        }
        Node::Keyword { field, value } => keyword_holds(doc.fields.get(source_field(field)), value),
        Node::Other(clause) => clause.held(doc),
    }
}
