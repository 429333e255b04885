//! What a KQL query means for one document, with Elasticsearch's semantics per field type, and
//! why: every clause's outcome and the byte ranges of the terms that satisfied it.
//!
//! - text field: unquoted value → `match` (any of the value's tokens is a document token);
//!   quoted → `match_phrase` (all tokens, adjacent, in order, within one array element);
//! - keyword: exact and case-sensitive (values over `ignore_above` are not indexed);
//! - date / long: compared as instants / numbers;
//! - a missing field makes a positive leaf false (so `not` over it is true);
//! - arrays: a leaf holds when any element does.

use super::ast::{Expr, Literal, RangeOp};
use super::plan::DocTokens;
use super::vocabulary::{occurrences, phrase_starts, Occurrence, Vocabulary};
use crate::analysis::{Analyzer, Token};
use crate::ecs::{
    self, field_type, leaf_as_keyword, numeric, source_field, FieldType, Fields,
    KEYWORD_IGNORE_ABOVE,
};
use rustc_hash::FxHashMap as HashMap;
use serde_json::Value;
use std::borrow::Cow;

/// A term occurrence that satisfied a leaf: the field, which array element, the byte range in
/// that element's text, and the token.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct Hit {
    pub field: String,
    pub value_index: usize,
    pub start: usize,
    pub end: usize,
    pub term: String,
}

/// The outcome of one node of the query, with its children's.
#[derive(Clone, Debug, serde::Serialize)]
pub struct Explanation {
    pub held: bool,
    /// `and`, `or`, `not`, `*` or the clause itself (`field:value`).
    pub label: String,
    pub children: Vec<Explanation>,
    /// For a leaf: its field (`None` for a bare value, which searches every field).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub field: Option<String>,
    /// For a `field:value` leaf: the value as written in the query.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub value: Option<String>,
    /// For a leaf: the occurrences that made it hold.
    pub hits: Vec<Hit>,
}

impl Explanation {
    /// The hits of leaves that held and count towards the match: descends through held nodes,
    /// never into `not` (what a `not` excludes is not a reason the rule fired).
    pub fn positive_hits(&self) -> Vec<&Hit> {
        let mut out = Vec::new();
        self.collect_positive(&mut out);
        out
    }

    /// The query values of the leaves on `field` that held and count towards the match, in
    /// query order.
    pub fn positive_terms(&self, field: &str) -> Vec<&str> {
        let mut out = Vec::new();
        self.collect_terms(field, &mut out);
        out
    }

    /// The hits of every clause that held, whether or not the whole query did (never under a
    /// `not`): which of a query's terms a text holds, also when the query falls short.
    pub fn held_clause_hits(&self) -> Vec<&Hit> {
        let mut out = Vec::new();
        self.collect_held(&mut out);
        out
    }

    fn collect_held<'a>(&'a self, out: &mut Vec<&'a Hit>) {
        if self.label == "not" {
            return;
        }
        if self.held {
            out.extend(self.hits.iter());
        }
        for c in &self.children {
            c.collect_held(out);
        }
    }

    fn collect_terms<'a>(&'a self, field: &str, out: &mut Vec<&'a str>) {
        if !self.held || self.label == "not" {
            return;
        }
        if let (Some(v), Some(f)) = (&self.value, &self.field) {
            if f == field {
                out.push(v);
            }
        }
        for c in &self.children {
            c.collect_terms(field, out);
        }
    }

    fn collect_positive<'a>(&'a self, out: &mut Vec<&'a Hit>) {
        if !self.held || self.label == "not" {
            return;
        }
        out.extend(self.hits.iter());
        for c in &self.children {
            c.collect_positive(out);
        }
    }
}

/// What explaining a document needs that depends only on the query: each leaf's clause text
/// (in evaluation order) and the vocabulary of its text values. Made once per rule.
#[derive(Clone, Debug)]
pub struct Prepared {
    labels: Vec<String>,
    vocabulary: Vocabulary,
}

impl Prepared {
    pub fn new(expr: &Expr) -> Prepared {
        fn walk(e: &Expr, labels: &mut Vec<String>) {
            match e {
                Expr::All => {}
                Expr::Or(items) | Expr::And(items) => items.iter().for_each(|c| walk(c, labels)),
                Expr::Not(inner) => walk(inner, labels),
                Expr::Range { .. } | Expr::Match { .. } => labels.push(e.to_string()),
            }
        }
        let mut labels = Vec::new();
        walk(expr, &mut labels);
        Prepared {
            labels,
            vocabulary: vocabulary_of(expr),
        }
    }

    /// Every term the query's text values analyze to, under both analyzers.
    pub fn vocabulary(&self) -> &Vocabulary {
        &self.vocabulary
    }
}

/// The terms of every text value in `expr`.
pub(super) fn vocabulary_of(expr: &Expr) -> Vocabulary {
    fn walk(e: &Expr, v: &mut Vocabulary) {
        match e {
            Expr::All | Expr::Range { .. } => {}
            Expr::Or(items) | Expr::And(items) => items.iter().for_each(|c| walk(c, v)),
            Expr::Not(inner) => walk(inner, v),
            Expr::Match { value, .. } => add_terms(value, v),
        }
    }
    let mut v = Vocabulary::default();
    walk(expr, &mut v);
    v
}

/// Adds the terms of a text value under both analyzers (which one applies depends on the
/// field). Wildcard values match against every token and need none.
fn add_terms(value: &Literal, v: &mut Vocabulary) {
    if value.wildcard.is_none() {
        for a in [Analyzer::Pattern, Analyzer::Standard] {
            a.for_each_token(&value.text, |t, _, _| {
                v.insert(t);
            });
        }
    }
}

/// Evaluates `expr` against one document.
pub fn evaluate(expr: &Expr, fields: &Fields<'_>, analyzer: Analyzer) -> Explanation {
    explain(expr, &Prepared::new(expr), fields, analyzer)
}

/// `evaluate` with the query's `Prepared` part made beforehand (`prepared` must be of `expr`).
pub fn explain(
    expr: &Expr,
    prepared: &Prepared,
    fields: &Fields<'_>,
    analyzer: Analyzer,
) -> Explanation {
    Ctx::new(
        fields,
        analyzer,
        &prepared.vocabulary,
        Some(&prepared.labels),
    )
    .eval(expr)
}

/// What an alert keeps of a match, found without building the explanation: the hits and the
/// query values (with their field) of the clauses that held and count towards it, in query
/// order — exactly `Explanation::positive_hits` and the leaves `positive_terms` reads.
#[derive(Debug, Default)]
pub struct Positive<'e> {
    pub hits: Vec<Hit>,
    pub terms: Vec<(Option<&'e str>, &'e str)>,
}

impl Positive<'_> {
    fn truncate(&mut self, (hits, terms): (usize, usize)) {
        self.hits.truncate(hits);
        self.terms.truncate(terms);
    }
}

/// `explain`'s verdict with only what an alert keeps: `None` when `expr` does not hold. `doc`
/// is the document as plans tokenized it (a rule set's, when many rules are checked): the text
/// fields they read are not tokenized again. Its vocabulary need not hold `expr`'s terms: a
/// clause whose terms it lacks is answered with the query's own.
pub fn positive<'e>(
    expr: &'e Expr,
    doc: &DocTokens<'_, '_, '_>,
    analyzer: Analyzer,
) -> Option<Positive<'e>> {
    let mut ctx = Ctx::new(doc.fields(), analyzer, doc.vocabulary(), None);
    ctx.tokenized.extend(doc.tokenized());
    let mut out = Positive::default();
    ctx.positive(expr, &mut out).then_some(out)
}

/// Whether `expr` holds, without building an explanation for people: for the clauses the
/// fast path of `plan` does not prepare. `vocabulary` is `vocabulary_of(expr)`, made once.
pub(super) fn holds(
    expr: &Expr,
    vocabulary: &Vocabulary,
    fields: &Fields<'_>,
    analyzer: Analyzer,
) -> bool {
    Ctx::new(fields, analyzer, vocabulary, None).eval(expr).held
}

/// A text field as plans tokenized it: its name, occurrences per array element, and which
/// vocabulary terms it holds.
type Tokenized<'p> = (&'p str, &'p [Vec<Occurrence>], &'p [bool]);

struct Ctx<'f, 'a, 'p> {
    fields: &'f Fields<'a>,
    analyzer: Analyzer,
    /// Tokens of each text field's values, computed once per document.
    tokens: HashMap<String, Vec<Vec<Token>>>,
    /// Clause text of each leaf in evaluation order, when the explanation is for people.
    labels: Option<&'p [String]>,
    /// Index of the next leaf in `labels`.
    next_leaf: usize,
    /// The terms of the query's text values: matching looks only at these.
    vocabulary: Cow<'p, Vocabulary>,
    /// Where each text field's values hold vocabulary terms, per array element.
    occurrences: HashMap<String, Vec<Vec<Occurrence>>>,
    /// The text fields of a document that came tokenized (`positive`) under `vocabulary`:
    /// their occurrences, and which terms they hold at all (a clause none of whose terms occur
    /// is answered without looking through the occurrences).
    tokenized: Vec<Tokenized<'p>>,
}

fn node(label: &str, held: bool, children: Vec<Explanation>) -> Explanation {
    Explanation {
        held,
        label: label.to_owned(),
        children,
        field: None,
        value: None,
        hits: Vec::new(),
    }
}

fn leaf(
    label: String,
    held: bool,
    field: Option<&str>,
    value: &Literal,
    hits: Vec<Hit>,
) -> Explanation {
    Explanation {
        held,
        label,
        children: Vec::new(),
        field: field.map(str::to_owned),
        value: Some(value.text.clone()),
        hits,
    }
}

/// The analyzer a text field is indexed with: script-block text uses the mapping's analyzer,
/// every other text field the standard one.
pub fn text_analyzer(field: &str, active: Analyzer) -> Analyzer {
    if field == ecs::names::SCRIPT_BLOCK_TEXT {
        active
    } else {
        Analyzer::Standard
    }
}

impl<'f, 'a, 'p> Ctx<'f, 'a, 'p> {
    fn new(
        fields: &'f Fields<'a>,
        analyzer: Analyzer,
        vocabulary: &'p Vocabulary,
        labels: Option<&'p [String]>,
    ) -> Self {
        Ctx {
            fields,
            analyzer,
            tokens: HashMap::default(),
            labels,
            next_leaf: 0,
            vocabulary: Cow::Borrowed(vocabulary),
            occurrences: HashMap::default(),
            tokenized: Vec::new(),
        }
    }

    /// The clause text of the next leaf (leaves are met in the order `Prepared` numbered them).
    fn next_label(&mut self) -> String {
        let label = self
            .labels
            .and_then(|l| l.get(self.next_leaf))
            .cloned()
            .unwrap_or_default();
        self.next_leaf += 1;
        label
    }

    fn eval(&mut self, expr: &Expr) -> Explanation {
        match expr {
            Expr::All => node("*", true, Vec::new()),
            Expr::Or(items) => {
                let children: Vec<_> = items.iter().map(|e| self.eval(e)).collect();
                node("or", children.iter().any(|c| c.held), children)
            }
            Expr::And(items) => {
                let children: Vec<_> = items.iter().map(|e| self.eval(e)).collect();
                node("and", children.iter().all(|c| c.held), children)
            }
            Expr::Not(inner) => {
                let child = self.eval(inner);
                node("not", !child.held, vec![child])
            }
            Expr::Match {
                field: Some(field),
                value,
            } => {
                let (held, hits) = self.match_field(field, value);
                leaf(self.next_label(), held, Some(field), value, hits)
            }
            Expr::Match { field: None, value } => {
                let names: Vec<String> = self.fields.iter().map(|(k, _)| k.to_owned()).collect();
                let mut hits = Vec::new();
                let mut held = false;
                for name in names {
                    let (h, mut found) = self.match_field(&name, value);
                    held |= h;
                    hits.append(&mut found);
                }
                leaf(self.next_label(), held, None, value, hits)
            }
            Expr::Range { field, op, value } => {
                let held = self.range(field, *op, value);
                leaf(self.next_label(), held, Some(field), value, Vec::new())
            }
        }
    }

    /// `eval` without the tree: every clause is evaluated as `eval` does (no short cut, so
    /// the same hits are found), and what a clause added is taken back when it does not hold
    /// or sits under a `not` — as `Explanation::positive_hits` walks the tree.
    fn positive<'e>(&mut self, expr: &'e Expr, out: &mut Positive<'e>) -> bool {
        let mark = (out.hits.len(), out.terms.len());
        let held = match expr {
            Expr::All => true,
            Expr::Or(items) => items
                .iter()
                .fold(false, |any, e| self.positive(e, out) | any),
            Expr::And(items) => items
                .iter()
                .fold(true, |all, e| self.positive(e, out) & all),
            Expr::Not(inner) => {
                let held = !self.positive(inner, out);
                out.truncate(mark);
                held
            }
            Expr::Match {
                field: Some(field),
                value,
            } => {
                let (held, hits) = self.match_field(field, value);
                out.hits.extend(hits);
                out.terms.push((Some(field), &value.text));
                held
            }
            Expr::Match { field: None, value } => {
                let names: Vec<String> = self.fields.iter().map(|(k, _)| k.to_owned()).collect();
                let mut held = false;
                for name in names {
                    let (h, found) = self.match_field(&name, value);
                    held |= h;
                    out.hits.extend(found);
                }
                out.terms.push((None, &value.text));
                held
            }
            Expr::Range { field, op, value } => {
                let held = self.range(field, *op, value);
                out.terms.push((Some(field), &value.text));
                held
            }
        };
        if !held {
            out.truncate(mark);
        }
        held
    }

    fn values(&self, field: &str) -> &[&Value] {
        self.fields.get(source_field(field))
    }

    fn text_tokens(&mut self, field: &str) -> &Vec<Vec<Token>> {
        let analyzer = text_analyzer(field, self.analyzer);
        let fields = self.fields;
        self.tokens.entry(field.to_owned()).or_insert_with(|| {
            fields
                .get(source_field(field))
                .iter()
                .map(|v| analyzer.tokens(&leaf_as_keyword(v)))
                .collect()
        })
    }

    fn text_occurrences(&mut self, field: &str) -> &Vec<Vec<Occurrence>> {
        let analyzer = text_analyzer(field, self.analyzer);
        // Looked up before inserting: each clause on the field asks, and a key is a copy.
        if !self.occurrences.contains_key(field) {
            let given = self.tokenized.iter().find(|(f, _, _)| *f == field);
            let per_value = match given {
                Some((_, occ, _)) => occ.to_vec(),
                None => self
                    .fields
                    .get(source_field(field))
                    .iter()
                    .map(|v| occurrences(&self.vocabulary, analyzer, &leaf_as_keyword(v)))
                    .collect(),
            };
            self.occurrences.insert(field.to_owned(), per_value);
        }
        &self.occurrences[field]
    }

    fn match_field(&mut self, field: &str, value: &Literal) -> (bool, Vec<Hit>) {
        if value.is_match_all() {
            let indexed = self.values(field).iter().any(|v| ecs::is_indexed(field, v));
            return (indexed, Vec::new());
        }
        match field_type(field) {
            FieldType::Text => self.match_text(field, value),
            FieldType::Keyword => (keyword_holds(self.values(field), value), Vec::new()),
            FieldType::Date => {
                let Some((lo, hi)) = date_bounds(&value.text) else {
                    return (false, Vec::new());
                };
                let held = self
                    .values(field)
                    .iter()
                    .filter_map(|v| ecs::parse_date_millis(v))
                    .any(|t| t >= lo && t <= hi);
                (held, Vec::new())
            }
            FieldType::Long => {
                let held = numeric::long_term(&value.text).is_some_and(|want| {
                    self.values(field)
                        .iter()
                        .any(|v| numeric::stored_long(v) == Some(want))
                });
                (held, Vec::new())
            }
            FieldType::Float => {
                let held = numeric::float_term(&value.text).is_some_and(|want| {
                    self.values(field)
                        .iter()
                        .any(|v| numeric::stored_float(v) == Some(want))
                });
                (held, Vec::new())
            }
        }
    }

    fn match_text(&mut self, field: &str, value: &Literal) -> (bool, Vec<Hit>) {
        let analyzer = text_analyzer(field, self.analyzer);
        let mut hits = Vec::new();
        if let Some(pieces) = &value.wildcard {
            // query_string with analyze_wildcard: the lowercased pattern against each term.
            let lowered: Vec<_> = pieces
                .iter()
                .map(|p| match p {
                    super::Piece::Text(t) => super::Piece::Text(t.to_lowercase()),
                    super::Piece::Any => super::Piece::Any,
                })
                .collect();
            for (i, toks) in self.text_tokens(field).iter().enumerate() {
                for t in toks
                    .iter()
                    .filter(|t| Literal::wildcard_matches(&lowered, &t.text))
                {
                    hits.push(hit(field, i, t.start, t.end, &t.text));
                }
            }
            return (!hits.is_empty(), hits);
        }
        if value.terms(analyzer).is_empty() {
            return (false, hits);
        }
        // Every value of the query is in the vocabulary (`vocabulary_of`). Should a caller pass
        // the vocabulary of another query, this clause is answered with its own instead.
        let Some(ids) = value.term_ids(&self.vocabulary, analyzer) else {
            let mut own = Vocabulary::default();
            add_terms(value, &mut own);
            self.vocabulary = Cow::Owned(own);
            self.occurrences.clear();
            self.tokenized.clear();
            return self.match_text(field, value);
        };
        if let Some((_, _, present)) = self.tokenized.iter().find(|(f, _, _)| *f == field) {
            // A term alone must occur; a phrase needs all of its terms.
            let occurs = |id: &u32| present[*id as usize];
            let may_hold = if value.quoted {
                ids.iter().all(occurs)
            } else {
                ids.iter().any(occurs)
            };
            if !may_hold {
                return (false, hits);
            }
        }
        self.text_occurrences(field);
        let (occ_per_value, vocabulary) = (&self.occurrences[field], &self.vocabulary);
        let mut push = |i: usize, o: &Occurrence| {
            hits.push(hit(field, i, o.start, o.end, vocabulary.term(o.id)));
        };
        for (i, occ) in occ_per_value.iter().enumerate() {
            if value.quoted {
                for start in phrase_starts(occ, &ids) {
                    occ[start..start + ids.len()]
                        .iter()
                        .for_each(|o| push(i, o));
                }
            } else {
                occ.iter()
                    .filter(|o| ids.contains(&o.id))
                    .for_each(|o| push(i, o));
            }
        }
        (!hits.is_empty(), hits)
    }

    fn range(&mut self, field: &str, op: RangeOp, value: &Literal) -> bool {
        match field_type(field) {
            FieldType::Date => {
                let Some((lo, hi)) = date_bounds(&value.text) else {
                    return false;
                };
                self.values(field)
                    .iter()
                    .filter_map(|v| ecs::parse_date_millis(v))
                    .any(|t| match op {
                        RangeOp::Gte => t >= lo,
                        RangeOp::Gt => t > hi,
                        RangeOp::Lte => t <= hi,
                        RangeOp::Lt => t < lo,
                    })
            }
            FieldType::Long => {
                numeric::long_range(op.into(), &value.text).is_some_and(|(lo, hi)| {
                    self.values(field)
                        .iter()
                        .filter_map(|v| numeric::stored_long(v))
                        .any(|n| (lo..=hi).contains(&n))
                })
            }
            FieldType::Float => {
                numeric::float_range(op.into(), &value.text).is_some_and(|(lo, hi)| {
                    self.values(field)
                        .iter()
                        .filter_map(|v| numeric::stored_float(v))
                        .any(|n| lo <= n && n <= hi)
                })
            }
            FieldType::Keyword => self
                .values(field)
                .iter()
                .map(|v| leaf_as_keyword(v))
                .any(|s| compare(op, Some(s.as_ref().cmp(value.text.as_str())))),
            FieldType::Text => {
                let want = value.text.to_lowercase();
                self.text_tokens(field)
                    .iter()
                    .flatten()
                    .any(|t| compare(op, Some(t.text.as_str().cmp(want.as_str()))))
            }
        }
    }
}

/// A keyword leaf: exact and case-sensitive (or the wildcard pattern) against any value that
/// is short enough to be indexed.
pub(super) fn keyword_holds(values: &[&Value], value: &Literal) -> bool {
    values.iter().any(|v| {
        let s = leaf_as_keyword(v);
        s.chars().count() <= KEYWORD_IGNORE_ABOVE
            && match &value.wildcard {
                Some(p) => Literal::wildcard_matches(p, &s),
                None => s == value.text,
            }
    })
}

fn compare(op: RangeOp, ord: Option<std::cmp::Ordering>) -> bool {
    use std::cmp::Ordering::*;
    matches!(
        (op, ord),
        (RangeOp::Lt, Some(Less))
            | (RangeOp::Lte, Some(Less | Equal))
            | (RangeOp::Gt, Some(Greater))
            | (RangeOp::Gte, Some(Greater | Equal))
    )
}

fn hit(field: &str, value_index: usize, start: usize, end: usize, term: &str) -> Hit {
    Hit {
        field: field.to_owned(),
        value_index,
        start,
        end,
        term: term.to_owned(),
    }
}

/// The instants a date value covers: a day for `YYYY-MM-DD`, a second when no fraction is
/// given, else the exact millisecond (Elasticsearch rounds the upper bound up the same way).
fn date_bounds(text: &str) -> Option<(i64, i64)> {
    let t = text.trim();
    let lo = ecs::parse_date_millis(&Value::String(t.to_owned()))?;
    let span = if t.len() == 10 && t.as_bytes().get(4) == Some(&b'-') {
        86_400_000 - 1
    } else if t.contains('T') && !t.contains('.') {
        999
    } else {
        0
    };
    Some((lo, lo + span))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rule::kql::parse;
    use serde_json::Map;

    fn run(query: &str, doc: &str, analyzer: Analyzer) -> Explanation {
        let d: Map<String, Value> = serde_json::from_str(doc).unwrap();
        let f = Fields::of(&d).unwrap();
        evaluate(&parse(query).unwrap(), &f, analyzer)
    }

    fn holds(query: &str, doc: &str) -> bool {
        run(query, doc, Analyzer::Pattern).held
    }

    const SBT: &str = "powershell.file.script_block_text";

    #[test]
    fn text_match_is_whole_token() {
        let doc = |s: &str| {
            format!(
                r#"{{"powershell":{{"file":{{"script_block_text":{}}}}}}}"#,
                serde_json::to_string(s).unwrap()
            )
        };
        assert!(holds(
            &format!("{SBT}:VirtualAlloc"),
            &doc("$k.VirtualAlloc(0)")
        ));
        assert!(!holds(
            &format!("{SBT}:LoadLibrary"),
            &doc("LoadLibraryW(x)")
        ));
        assert!(!holds(
            &format!("{SBT}:CreateThread"),
            &doc("CreateRemoteThread(x)")
        ));
        assert!(!holds(
            &format!("{SBT}:VirtualAlloc"),
            &doc("Invoke-VirtualAlloc")
        ));
        assert!(holds(&format!("{SBT}:virtualalloc"), &doc("VIRTUALALLOC")));
    }

    #[test]
    fn phrases_need_adjacent_tokens_in_order() {
        let doc =
            r#"{"powershell":{"file":{"script_block_text":"[Reflection.Emit.OpCodes]::Ldarg_0"}}}"#;
        assert!(holds(&format!(r#"{SBT}:"Reflection.Emit.OpCodes""#), doc));
        assert!(!holds(&format!(r#"{SBT}:"Emit.Reflection""#), doc));
        let arr = r#"{"powershell":{"file":{"script_block_text":["a Reflection","Emit b"]}}}"#;
        assert!(
            !holds(&format!(r#"{SBT}:"Reflection.Emit""#), arr),
            "a phrase never spans array elements"
        );
    }

    #[test]
    fn keyword_is_exact_and_case_sensitive() {
        let doc = r#"{"user":{"id":"S-1-5-18"},"file":{"directory":"C:\\ProgramData\\X"}}"#;
        assert!(holds(r#"user.id:"S-1-5-18""#, doc));
        assert!(holds("user.id:S-1-5-18", doc));
        assert!(!holds("user.id:s-1-5-18", doc));
        assert!(holds(r#"file.directory:"C:\\ProgramData\\X""#, doc));
        assert!(!holds(r#"file.directory:"c:\\programdata\\x""#, doc));
    }

    #[test]
    fn missing_fields_and_not() {
        let doc = r#"{"a":"x"}"#;
        assert!(!holds("b:x", doc));
        assert!(holds("not b:x", doc));
        assert!(holds("not (b:x and a:x)", doc));
        assert!(holds("a:*", doc));
        assert!(!holds("b:*", doc));
    }

    #[test]
    fn arrays_hold_when_any_element_does() {
        let doc = r#"{"event":{"category":["network","process"]}}"#;
        assert!(holds("event.category:process", doc));
        assert!(!holds("not event.category:process", doc));
    }

    #[test]
    fn numbers_and_dates() {
        let doc = r#"{"powershell":{"sequence":2},"@timestamp":"2024-05-21T10:15:42.123Z","event":{"code":4104}}"#;
        assert!(holds("powershell.sequence:2", doc));
        assert!(holds(
            "powershell.sequence >= 2 and powershell.sequence < 3",
            doc
        ));
        assert!(holds(r#"@timestamp:"2024-05-21""#, doc));
        assert!(holds(
            r#"@timestamp > "2024-05-21T10:15:41" and @timestamp < "2024-05-22""#,
            doc
        ));
        assert!(holds("event.code:4104", doc));
    }

    #[test]
    fn hits_carry_byte_ranges_and_skip_negated_clauses() {
        let text = "$h=[K]::OpenProcess(1); [K]::CreateRemoteThread($h)";
        let doc = format!(
            r#"{{"powershell":{{"file":{{"script_block_text":{}}}}},"user":{{"id":"S-1"}}}}"#,
            serde_json::to_string(text).unwrap()
        );
        let q = format!("{SBT}:(OpenProcess and CreateRemoteThread) and not user.id:S-2");
        let e = run(&q, &doc, Analyzer::Pattern);
        assert!(e.held);
        let hits = e.positive_hits();
        let terms: Vec<&str> = hits.iter().map(|h| &text[h.start..h.end]).collect();
        assert_eq!(terms, ["OpenProcess", "CreateRemoteThread"]);
    }

    #[test]
    fn standard_analyzer_changes_what_matches() {
        let doc = r#"{"powershell":{"file":{"script_block_text":"$k.VirtualAlloc(0); Invoke-CreateThread"}}}"#;
        let q = format!("{SBT}:VirtualAlloc");
        assert!(run(&q, doc, Analyzer::Pattern).held);
        assert!(!run(&q, doc, Analyzer::Standard).held);
        let q = format!("{SBT}:CreateThread");
        assert!(!run(&q, doc, Analyzer::Pattern).held);
        assert!(run(&q, doc, Analyzer::Standard).held);
    }
}
