//! One document through an ES|QL pipeline, as Elasticsearch evaluates it row by row.
//!
//! - A column is null, one value, or several (a multi-valued field). A single-value function
//!   or comparison given several values gives null with a warning, as ES|QL does.
//! - Three-valued logic: a comparison with null is null; `and` is false if either side is,
//!   else null if either is; `or` is true if either side is, else null if either is; `not
//!   null` is null. `where` keeps a row only when its condition is true — which is why
//!   Elastic's rules add `or x is null` to their exclusions.
//! - `length` counts code points; `like` is a case-sensitive wildcard (`*` `?`, `\` escapes)
//!   over the whole value, `rlike` a Lucene regexp over the whole value; `:` is a full-text match with the field's analyzer, run as the KQL
//!   evaluator runs an unquoted value; `replace` is `java_regex`'s.
//! - Integer arithmetic that overflows, and division or remainder by zero, give null with a
//!   warning; an integer divided by an integer is truncated.
//! - Fields are read from the document with their mapped type (`ecs::field_type`): a number in
//!   a keyword field is its text, a long field's value a whole number.
//!
//! Pure: reads a `Fields` view, returns the outcome and, when asked, the why.

use super::ast::*;
use super::java_regex;
use super::text_counts::TextMemo;
use crate::analysis::Analyzer;
use crate::ecs::{self, numeric, FieldType, Fields};
use crate::rule::dsl;
use crate::rule::kql::{self, Explanation, Hit};
use serde_json::Value as Json;
use std::borrow::Cow;
use std::collections::BTreeMap;

/// A column's value.
#[derive(Clone, Debug, PartialEq)]
pub enum V {
    Null,
    Bool(bool),
    Long(i64),
    Double(f64),
    Str(String),
    Multi(Vec<V>),
}

impl V {
    pub fn to_json(&self) -> Json {
        match self {
            V::Null => Json::Null,
            V::Bool(b) => Json::Bool(*b),
            V::Long(n) => Json::from(*n),
            V::Double(d) => serde_json::Number::from_f64(*d).map_or(Json::Null, Json::Number),
            V::Str(s) => Json::String(s.clone()),
            V::Multi(v) => Json::Array(v.iter().map(V::to_json).collect()),
        }
    }

    /// As shown in an explanation.
    pub fn show(&self) -> String {
        match self {
            V::Null => "null".into(),
            V::Str(s) if s.chars().count() > 60 => {
                format!(
                    "{:?}… ({} characters)",
                    s.chars().take(60).collect::<String>(),
                    s.chars().count()
                )
            }
            V::Str(s) => format!("{s:?}"),
            other => other.to_json().to_string(),
        }
    }
}

/// What running the pipeline on one document gave.
pub struct Outcome {
    /// The row survived every `where`.
    pub held: bool,
    /// The computed columns kept at the end (`Esql.*` and any field an `eval` replaced), in
    /// name order; empty unless the row survived.
    pub columns: Vec<(String, Json)>,
    /// One node per step run, when details were asked for.
    pub explanation: Explanation,
}

/// Runs `query` on the document viewed as `fields`. With `detail`, the explanation has a node
/// per step with its value and the `replace` matches in the script text as hits.
pub fn run(query: &Query, fields: &Fields, analyzer: Analyzer, detail: bool) -> Outcome {
    let memo = TextMemo::default();
    let mut ctx = Ctx::new(fields, &memo, analyzer, BTreeMap::new(), detail);
    let ran = run_steps(&mut ctx, &query.steps);
    if ran.held {
        ctx.materialize();
    }
    Outcome {
        held: ran.held,
        columns: if ran.held {
            ran.visible(&ctx.row)
        } else {
            Vec::new()
        },
        explanation: pipeline(ran.held, ran.children),
    }
}

/// What an alert of a per-event rule keeps when its pipeline keeps the row.
pub struct Fire {
    /// The first distinct texts (at most `most`, in the order the pipeline met them) that its
    /// `replace` patterns match in the script text: what the alert lists as its matched terms.
    pub terms: Vec<String>,
    /// The columns kept at the end, in name order.
    pub columns: Vec<(String, Json)>,
}

/// [`run`] for an alert: `Some` when the row survives, with what the alert keeps, found
/// without building the why (an alert's explanation is made when it is opened). The terms are
/// the texts [`run`] with `detail` gives as the hits of its steps, in the same order. `memo`
/// keeps the counts of the document's texts for the other rules' pipelines over it.
pub fn fire_in<'a>(
    query: &Query,
    fields: &Fields<'a>,
    memo: &TextMemo<'a>,
    analyzer: Analyzer,
    most: usize,
) -> Option<Fire> {
    let mut ctx = Ctx::new(fields, memo, analyzer, BTreeMap::new(), false);
    ctx.marks = Some(Vec::new());
    let ran = run_steps(&mut ctx, &query.steps);
    if !ran.held {
        return None;
    }
    ctx.materialize();
    Some(Fire {
        terms: ctx.marked_terms(most),
        columns: ran.visible(&ctx.row),
    })
}

/// One output row of a grouping query, with the input rows it stands for.
pub struct Group {
    /// The columns kept at the end, in name order.
    pub columns: Vec<(String, Json)>,
    /// The grouping values (`by` columns, as written): what names the group whichever rows
    /// fall in it.
    pub key: Vec<(String, Json)>,
    /// Indexes (into the `docs` given to `run_table`) of the rows grouped here.
    pub members: Vec<usize>,
    /// The pipeline step by step: how many rows each step before `stats` kept, this group's
    /// aggregates, and each later step's value for this row.
    pub explanation: Explanation,
}

/// Runs a query over a table of documents (`docs`, one row each): the steps before `stats`
/// row by row, then `stats` groups the surviving rows, then the later steps run on each
/// group's row. The groups whose row survives are returned, in the order of their grouping
/// values. Without `stats`, every surviving row is a group of its own.
pub fn run_table(query: &Query, docs: &[Fields], analyzer: Analyzer) -> Vec<Group> {
    let split = query
        .steps
        .iter()
        .position(|s| matches!(s.kind, StepKind::Stats { .. }));
    let (before, stats, after) = match split {
        Some(i) => (
            &query.steps[..i],
            Some(&query.steps[i]),
            &query.steps[i + 1..],
        ),
        None => (&query.steps[..], None, &[][..]),
    };
    // Rows through the steps before `stats`, counted per step for the explanation.
    let mut passed = vec![0usize; before.len()];
    let mut survivors: Vec<(usize, BTreeMap<String, V>)> = Vec::new();
    for (i, fields) in docs.iter().enumerate() {
        let memo = TextMemo::default();
        let mut ctx = Ctx::new(fields, &memo, analyzer, BTreeMap::new(), false);
        let ran = run_steps(&mut ctx, before);
        passed.iter_mut().take(ran.passed).for_each(|n| *n += 1);
        if ran.held {
            ctx.materialize();
            survivors.push((i, ctx.row));
        }
    }
    let mut head = vec![node(
        true,
        format!(
            "from {} metadata {}  → {}",
            query.from.join(", "),
            query.metadata.join(", "),
            rows(docs.len())
        ),
    )];
    let mut rows_in = docs.len();
    for (step, kept) in before.iter().zip(&passed) {
        head.push(node(
            true,
            format!("{}  → kept {kept} of {}", step.text, rows(rows_in)),
        ));
        rows_in = *kept;
    }
    let Some(Step {
        text: stats_text,
        kind: StepKind::Stats { aggregates, by },
    }) = stats
    else {
        return survivors
            .into_iter()
            .map(|(i, row)| Group {
                columns: row.iter().map(|(k, v)| (k.clone(), v.to_json())).collect(),
                key: Vec::new(),
                members: vec![i],
                explanation: pipeline(true, head.clone()),
            })
            .collect();
    };
    // Rows by their grouping values; a multi-valued grouping column puts the row in the group
    // of each of its values, as ES|QL does.
    let mut groups: BTreeMap<String, (Vec<V>, Vec<usize>)> = BTreeMap::new();
    for (n, (i, row)) in survivors.iter().enumerate() {
        let memo = TextMemo::default();
        let ctx = Ctx::new(&docs[*i], &memo, analyzer, row.clone(), false);
        let mut keys: Vec<Vec<V>> = vec![Vec::new()];
        for name in by {
            let values = match ctx.field(name) {
                V::Multi(items) => items,
                one => vec![one],
            };
            keys = keys
                .into_iter()
                .flat_map(|k| {
                    values.iter().map(move |v| {
                        let mut k = k.clone();
                        k.push(v.clone());
                        k
                    })
                })
                .collect();
        }
        for key in keys {
            let text = V::Multi(key.clone()).to_json().to_string();
            groups
                .entry(text)
                .or_insert_with(|| (key, Vec::new()))
                .1
                .push(n);
        }
    }
    let empty = serde_json::Map::new();
    let no_document = Fields::of_lenient(&empty);
    let mut out = Vec::new();
    let total = groups.len();
    for (key, members) in groups.into_values() {
        let mut row = BTreeMap::new();
        let mut shown = Vec::new();
        for (name, agg) in aggregates {
            let v = aggregate(agg, &members, &survivors, docs, analyzer);
            shown.push(format!("{name} = {}", v.show()));
            row.insert(name.clone(), v);
        }
        for (name, v) in by.iter().zip(&key) {
            shown.push(format!("{name} = {}", v.show()));
            row.insert(name.clone(), v.clone());
        }
        let mut children = head.clone();
        children.push(Explanation {
            children: shown.into_iter().map(|v| node(true, v)).collect(),
            ..node(
                true,
                format!(
                    "{stats_text}  → {}; this one, of {}:",
                    crate::plural::count_of(total, "group"),
                    rows(members.len()),
                ),
            )
        });
        let memo = TextMemo::default();
        let mut ctx = Ctx::new(&no_document, &memo, analyzer, row, true);
        let ran = run_steps(&mut ctx, after);
        if !ran.held {
            continue;
        }
        let columns = ran.visible(&ctx.row);
        children.extend(ran.children);
        out.push(Group {
            columns,
            key: by.iter().cloned().zip(key.iter().map(V::to_json)).collect(),
            members: members.iter().map(|&n| survivors[n].0).collect(),
            explanation: pipeline(true, children),
        });
    }
    out
}

fn rows(n: usize) -> String {
    crate::plural::count_of(n, "row")
}

/// One aggregate over the rows `members` (indexes into `survivors`).
fn aggregate(
    agg: &Aggregate,
    members: &[usize],
    survivors: &[(usize, BTreeMap<String, V>)],
    docs: &[Fields],
    analyzer: Analyzer,
) -> V {
    let Some(arg) = &agg.arg else {
        return V::Long(members.len() as i64);
    };
    let mut values = Vec::new();
    for &n in members {
        let (i, row) = &survivors[n];
        let memo = TextMemo::default();
        let mut ctx = Ctx::new(&docs[*i], &memo, analyzer, row.clone(), false);
        match ctx.eval(arg) {
            V::Null => {}
            V::Multi(items) => values.extend(items.into_iter().filter(|v| *v != V::Null)),
            one => values.push(one),
        }
    }
    match agg.func {
        AggFunc::Count => V::Long(values.len() as i64),
        AggFunc::CountDistinct => V::Long(distinct(values).len() as i64),
        AggFunc::Values => {
            let mut values = distinct(values);
            values.sort_by(total_order);
            match values.len() {
                0 => V::Null,
                1 => values.pop().unwrap_or(V::Null),
                _ => V::Multi(values),
            }
        }
        AggFunc::Min => values.into_iter().min_by(total_order).unwrap_or(V::Null),
        AggFunc::Max => values.into_iter().max_by(total_order).unwrap_or(V::Null),
    }
}

/// `values` without repeats, first-seen order.
fn distinct(values: Vec<V>) -> Vec<V> {
    let mut seen = std::collections::HashSet::new();
    values
        .into_iter()
        .filter(|v| seen.insert(v.to_json().to_string()))
        .collect()
}

/// An order over values of one column: numbers by value, strings by their UTF-8 bytes (as
/// Elasticsearch orders keywords), booleans false first.
fn total_order(a: &V, b: &V) -> std::cmp::Ordering {
    use std::cmp::Ordering;
    match (a, b) {
        (V::Str(x), V::Str(y)) => x.as_bytes().cmp(y.as_bytes()),
        (V::Bool(x), V::Bool(y)) => x.cmp(y),
        (V::Long(x), V::Long(y)) => x.cmp(y),
        (x @ (V::Long(_) | V::Double(_)), y @ (V::Long(_) | V::Double(_))) => {
            as_f64(x).total_cmp(&as_f64(y))
        }
        _ => a
            .to_json()
            .to_string()
            .cmp(&b.to_json().to_string())
            .then(Ordering::Equal),
    }
}

/// What running steps on one row gave.
struct Ran<'q> {
    /// The row survived every step.
    held: bool,
    /// How many steps it survived.
    passed: usize,
    /// One node per step run (empty without detail).
    children: Vec<Explanation>,
    /// Column patterns of the last `keep`, and of every `drop`.
    kept: Option<&'q [String]>,
    dropped: Vec<&'q [String]>,
}

impl Ran<'_> {
    /// The columns of `row` that `keep` and `drop` leave, in name order.
    fn visible(&self, row: &BTreeMap<String, V>) -> Vec<(String, Json)> {
        row.iter()
            .filter(|(name, _)| {
                self.kept
                    .as_ref()
                    .is_none_or(|k| k.iter().any(|p| dsl::wildcard_matches(p, name)))
                    && !self
                        .dropped
                        .iter()
                        .any(|d| d.iter().any(|p| dsl::wildcard_matches(p, name)))
            })
            .map(|(name, v)| (name.clone(), v.to_json()))
            .collect()
    }
}

fn node(held: bool, label: String) -> Explanation {
    Explanation {
        held,
        label,
        children: Vec::new(),
        field: None,
        value: None,
        hits: Vec::new(),
    }
}

fn pipeline(held: bool, children: Vec<Explanation>) -> Explanation {
    Explanation {
        children,
        ..node(held, "ES|QL pipeline".into())
    }
}

/// Runs `steps` on the row in `ctx` until one drops it.
fn run_steps<'q>(ctx: &mut Ctx<'q, '_>, steps: &'q [Step]) -> Ran<'q> {
    let mut ran = Ran {
        held: true,
        passed: 0,
        children: Vec::new(),
        kept: None,
        dropped: Vec::new(),
    };
    for step in steps {
        ctx.warnings.clear();
        ctx.hits.clear();
        let (ok, note) = match &step.kind {
            StepKind::Where(cond) => {
                let v = ctx.eval(cond);
                let ok = v == V::Bool(true);
                // Built only for an explanation: a scan runs every step of every rule on
                // every event, and a string each time was a third of a million allocations
                // per 10,000 events with Elastic's 13 per-event ES|QL rules.
                let note = match v {
                    _ if !ctx.detail => String::new(),
                    V::Bool(true) => "true".to_owned(),
                    V::Bool(false) => "false: the row is dropped".to_owned(),
                    _ => "null: the row is dropped".to_owned(),
                };
                (ok, note)
            }
            StepKind::Eval(assignments) => {
                let mut shown = Vec::new();
                for (name, e) in assignments {
                    if let Some(m) = ctx.mask(e) {
                        if let Expr::Call(Func::Replace(regex), args) = e {
                            ctx.note_replace(&args[0], || Mark::Pending(regex, m.source));
                        }
                        ctx.row.remove(name);
                        ctx.masked.insert(name, m);
                        continue;
                    }
                    ctx.masked.remove(name);
                    let v = ctx.eval(e);
                    if ctx.detail {
                        shown.push(format!("{name} = {}", v.show()));
                    }
                    ctx.row.insert(name.clone(), v);
                }
                (true, shown.join(", "))
            }
            StepKind::Grok { field, grok } => {
                let captured = match ctx.field(field) {
                    V::Str(text) => grok.extract(&text).unwrap_or_else(|e| {
                        ctx.warn(e);
                        Vec::new()
                    }),
                    V::Multi(_) => {
                        ctx.warn("grok: multi-valued input not supported");
                        Vec::new()
                    }
                    _ => Vec::new(),
                };
                let mut shown = Vec::new();
                for name in grok.column_names() {
                    let v = captured
                        .iter()
                        .find(|(n, _)| n == name)
                        .map_or(V::Null, |(_, v)| v.clone());
                    if ctx.detail {
                        shown.push(format!("{name} = {}", v.show()));
                    }
                    ctx.row.insert(name.to_owned(), v);
                }
                (true, shown.join(", "))
            }
            StepKind::Keep(patterns) => {
                ran.kept = Some(patterns);
                (true, String::new())
            }
            StepKind::Drop(patterns) => {
                ran.dropped.push(patterns);
                (true, String::new())
            }
            StepKind::Limit(_) | StepKind::Sort => (true, String::new()),
            // Grouping happens in `run_table`; a single row never reaches one.
            StepKind::Stats { .. } => (false, "stats groups rows: not run on one".to_owned()),
        };
        if ctx.detail {
            let mut label = step.text.clone();
            if !note.is_empty() {
                label = format!("{label}  → {note}");
            }
            for w in &ctx.warnings {
                label = format!("{label}  [warning: {w}]");
            }
            ran.children.push(Explanation {
                hits: std::mem::take(&mut ctx.hits),
                ..node(ok, label)
            });
        }
        if !ok {
            ran.held = false;
            break;
        }
        ran.passed += 1;
    }
    ran
}

/// A column `replace(field, pattern, one character)` over a document field, left unbuilt by a
/// quick run: what the counting idiom of Elastic's obfuscation rules reads of it
/// (`length(x) - length(replace(x, "🔥", ""))`) is counted without copying the script
/// (`java_regex::mask_counts`, `span_mask_counts`); anything else builds it.
struct Masked<'a> {
    source: &'a str,
    by: MaskBy,
    with: char,
    counts: java_regex::MaskCounts,
}

/// The columns a quick run left unbuilt, by name: a pipeline has a few, looked up by the
/// names its query holds (no key is copied per document, as a map's would be).
struct Unbuilt<'f, 'a>(Vec<(&'f str, Masked<'a>)>);

impl<'f, 'a> Unbuilt<'f, 'a> {
    fn get(&self, name: &str) -> Option<&Masked<'a>> {
        self.0.iter().find(|(n, _)| *n == name).map(|(_, m)| m)
    }

    fn contains_key(&self, name: &str) -> bool {
        self.get(name).is_some()
    }

    fn insert(&mut self, name: &'f str, m: Masked<'a>) {
        self.remove(name);
        self.0.push((name, m));
    }

    fn remove(&mut self, name: &str) {
        self.0.retain(|(n, _)| *n != name);
    }
}

/// What a masked column replaces.
enum MaskBy {
    /// Every character of a set (a one-character pattern: counted in one pass).
    Set(Vec<(char, char)>),
    /// The pattern's matches, as byte ranges.
    Spans(Vec<(usize, usize)>),
}

impl Masked<'_> {
    fn build(&self) -> V {
        match &self.by {
            MaskBy::Set(set) => {
                let with = self.with.to_string();
                java_regex::replace_chars(set, self.source, &with).map_or(V::Null, V::Str)
            }
            MaskBy::Spans(spans) => V::Str(java_regex::splice(self.source, spans, self.with)),
        }
    }
}

struct Ctx<'f, 'a> {
    fields: &'f Fields<'a>,
    /// The counts of the document's texts, shared with the other rules' pipelines.
    memo: &'f TextMemo<'a>,
    analyzer: Analyzer,
    /// Columns computed by `eval`, which shadow the document's fields.
    row: BTreeMap<String, V>,
    /// Columns computed by `eval` and not built (quick runs only).
    masked: Unbuilt<'f, 'a>,
    warnings: Vec<String>,
    hits: Vec<Hit>,
    detail: bool,
    /// When collecting (`fire_in`): each `replace` over the script text, in evaluation order,
    /// its matches found only if the row survives.
    marks: Option<Vec<Mark<'f, 'a>>>,
}

/// The texts `regex` matches in `text`, in order.
fn matched_texts(regex: &java_regex::JavaRegex, text: &str) -> Vec<String> {
    regex
        .find_all(text)
        .unwrap_or_default()
        .into_iter()
        .map(|(start, end)| text[start..end].to_owned())
        .collect()
}

/// A `replace` over the script text met by a run that collects them.
enum Mark<'f, 'a> {
    /// Over the document's text: matched when the terms are asked for.
    Pending(&'f java_regex::JavaRegex, &'a str),
    /// Over a text made on the way: its matched texts.
    Found(Vec<String>),
}

impl<'f, 'a> Ctx<'f, 'a> {
    fn new(
        fields: &'f Fields<'a>,
        memo: &'f TextMemo<'a>,
        analyzer: Analyzer,
        row: BTreeMap<String, V>,
        detail: bool,
    ) -> Self {
        Ctx {
            fields,
            memo,
            analyzer,
            row,
            masked: Unbuilt(Vec::new()),
            warnings: Vec::new(),
            hits: Vec::new(),
            detail,
            marks: None,
        }
    }

    /// Notes a `replace(field, …)` for `marked_terms` (`mark` makes its note), when the run
    /// collects them and `field` is the script text, not shadowed by a column (as `mark` does).
    fn note_replace(&mut self, field: &Expr, mark: impl FnOnce() -> Mark<'f, 'a>) {
        let Expr::Field(name) = field else { return };
        if name != ecs::names::SCRIPT_BLOCK_TEXT
            || self.row.contains_key(name)
            || self.masked.contains_key(name)
        {
            return;
        }
        if let Some(marks) = &mut self.marks {
            marks.push(mark());
        }
    }

    /// The first `most` distinct texts the noted `replace`s match, in order.
    fn marked_terms(&mut self, most: usize) -> Vec<String> {
        let mut terms: Vec<String> = Vec::new();
        for mark in self.marks.take().unwrap_or_default() {
            let found = match mark {
                Mark::Pending(regex, text) => matched_texts(regex, text),
                Mark::Found(found) => found,
            };
            for t in found {
                if terms.len() >= most {
                    return terms;
                }
                if !terms.contains(&t) {
                    terms.push(t);
                }
            }
        }
        terms
    }

    fn warn(&mut self, w: impl Into<String>) -> V {
        let w = w.into();
        if !self.warnings.contains(&w) {
            self.warnings.push(w);
        }
        V::Null
    }

    fn field(&self, name: &str) -> V {
        if let Some(v) = self.row.get(name) {
            return v.clone();
        }
        if let Some(m) = self.masked.get(name) {
            return m.build();
        }
        let values: Vec<V> = self
            .fields
            .get(name)
            .iter()
            .filter_map(|v| leaf(name, v))
            .collect();
        match values.len() {
            0 => V::Null,
            1 => values.into_iter().next().unwrap_or(V::Null),
            _ => V::Multi(values),
        }
    }

    /// `e` when it is a string: borrowed from the document when `e` names a text or keyword
    /// field holding one string (a script text is not copied to be measured or searched);
    /// else its value, which is not a string, as the error.
    fn text_arg(&mut self, e: &'f Expr) -> Result<Cow<'a, str>, V> {
        if let Expr::Field(f) = e {
            if let Some(s) = self.doc_str(f) {
                return Ok(Cow::Borrowed(s));
            }
        }
        match self.eval(e) {
            V::Str(s) => Ok(Cow::Owned(s)),
            other => Err(other),
        }
    }

    /// `like` / `rlike`: whether `any` holds for the string `value` (negated for `not`); null
    /// for a missing value, null with a warning for several.
    fn pattern_test(
        &mut self,
        op: &str,
        value: &'f Expr,
        negated: bool,
        any: impl Fn(&str) -> bool,
    ) -> V {
        match self.text_arg(value) {
            Ok(s) => V::Bool(any(&s) != negated),
            Err(V::Multi(_)) => self.warn(format!(
                "{op}: single-value function encountered multi-value"
            )),
            Err(_) => V::Null,
        }
    }

    /// The one string a text or keyword document field holds, unless a column shadows it.
    fn doc_str(&self, f: &str) -> Option<&'a str> {
        if self.row.contains_key(f) || self.masked.contains_key(f) {
            return None;
        }
        if !matches!(ecs::field_type(f), FieldType::Text | FieldType::Keyword) {
            return None;
        }
        match self.fields.get(f) {
            [one] => one.as_str(),
            _ => None,
        }
    }

    /// Builds the columns a quick run left unbuilt (the row is kept or shown).
    fn materialize(&mut self) {
        for (name, m) in std::mem::take(&mut self.masked.0) {
            self.row.insert(name.to_owned(), m.build());
        }
    }

    /// `e` as a column left unbuilt, when it is `replace(field, pattern, one plain character)`
    /// over a document field holding one string, in a quick run.
    fn mask(&self, e: &'f Expr) -> Option<Masked<'a>> {
        let Expr::Call(Func::Replace(re), args) = e else {
            return None;
        };
        let (Expr::Field(f), Expr::Str(with)) = (&args[0], &args[2]) else {
            return None;
        };
        if self.detail {
            return None;
        }
        let source = self.doc_str(f)?;
        // Over the size cap, or past the backtracking limit, the column is null with a
        // warning: the ordinary path says so.
        if let Some((set, with)) = re.one_char_mask(with) {
            let bytes = self.memo.bytes(source);
            let counts = java_regex::mask_counts(set, source, &bytes, with).ok()?;
            return Some(Masked {
                source,
                by: MaskBy::Set(set.to_vec()),
                with,
                counts,
            });
        }
        let with = java_regex::plain_char(with)?;
        let spans = re.find_all(source).ok()?;
        let chars = self.memo.chars(source);
        let counts = java_regex::span_mask_counts(source, chars, &spans, with).ok()?;
        Some(Masked {
            source,
            by: MaskBy::Spans(spans),
            with,
            counts,
        })
    }

    /// `length(x)` or `length(replace(x, "<mask character>", ""))` of an unbuilt column `x`.
    fn masked_length(&self, arg: &Expr) -> Option<i64> {
        let n = match arg {
            Expr::Field(f) => self.masked.get(f)?.counts.chars,
            Expr::Call(Func::Replace(re), args) => {
                let (Expr::Field(f), Expr::Str(empty)) = (&args[0], &args[2]) else {
                    return None;
                };
                let m = self.masked.get(f)?;
                if !empty.is_empty() || re.one_char_set()? != [(m.with, m.with)] {
                    return None;
                }
                m.counts.unmasked
            }
            _ => return None,
        };
        i64::try_from(n).ok()
    }

    fn eval(&mut self, e: &'f Expr) -> V {
        match e {
            Expr::Null => V::Null,
            Expr::Bool(b) => V::Bool(*b),
            Expr::Long(n) => V::Long(*n),
            Expr::Double(d) => V::Double(*d),
            Expr::Str(s) => V::Str(s.clone()),
            Expr::Field(f) => self.field(f),
            Expr::Not(inner) => match self.eval(inner) {
                V::Bool(b) => V::Bool(!b),
                _ => V::Null,
            },
            Expr::And(l, r) => {
                let (l, r) = (self.eval(l), self.eval(r));
                connective(false, l, r)
            }
            Expr::Or(l, r) => {
                let (l, r) = (self.eval(l), self.eval(r));
                connective(true, l, r)
            }
            Expr::IsNull(inner, want_null) => V::Bool((self.eval(inner) == V::Null) == *want_null),
            Expr::Cmp(op, l, r) => {
                // A document string against a literal (`event.code == "4104"`): no copies.
                if let (Expr::Field(f), Expr::Str(lit)) = (&**l, &**r) {
                    if let Some(s) = self.doc_str(f) {
                        return V::Bool(op.holds(s.as_bytes().cmp(lit.as_bytes())));
                    }
                }
                let (l, r) = (self.eval(l), self.eval(r));
                self.compare(*op, &l, &r)
            }
            Expr::Like {
                value,
                patterns,
                negated,
            } => self.pattern_test("like", value, *negated, |s| {
                patterns.iter().any(|p| p.matches(s))
            }),
            Expr::RLike {
                value,
                patterns,
                negated,
            } => self.pattern_test("rlike", value, *negated, |s| {
                patterns.iter().any(|p| p.matches(s))
            }),
            Expr::In {
                value,
                list,
                negated,
            } => {
                let v = self.eval(value);
                if v == V::Null {
                    return V::Null;
                }
                let mut saw_null = false;
                for item in list {
                    let item = self.eval(item);
                    match self.compare(CmpOp::Eq, &v, &item) {
                        V::Bool(true) => return V::Bool(!*negated),
                        V::Bool(false) => {}
                        _ => saw_null = true,
                    }
                }
                if saw_null {
                    V::Null
                } else {
                    V::Bool(*negated)
                }
            }
            Expr::Match(m) => {
                let TextMatch {
                    field,
                    plan,
                    prefilter,
                    ..
                } = &**m;
                // A token is the lowercased text between separators: an ASCII value holding
                // none of the query's tokens, in any case, cannot match. (Outside ASCII,
                // lowercasing may turn a letter into an ASCII one: no shortcut there.)
                if let Some(pre) = prefilter {
                    let values = self.fields.get(ecs::source_field(field));
                    let hopeless = values.iter().all(|v| {
                        let s = ecs::leaf_as_keyword(v);
                        s.is_ascii() && !pre.is_match(s.as_bytes())
                    });
                    if hopeless {
                        return V::Bool(false);
                    }
                }
                // Tokenized against the query's few terms only: no explanation is built, and
                // tokens that are none of them are turned away by their shape.
                let mut doc = kql::DocTokens::new(self.fields, self.analyzer, plan.vocabulary());
                V::Bool(kql::matches(plan, &mut doc))
            }
            Expr::Neg(inner) => match self.eval(inner) {
                V::Long(n) => n
                    .checked_neg()
                    .map_or_else(|| self.warn("long overflow"), V::Long),
                V::Double(d) => V::Double(-d),
                _ => V::Null,
            },
            Expr::Arith(op, l, r) => {
                let (l, r) = (self.eval(l), self.eval(r));
                self.arith(*op, l, r)
            }
            Expr::Cast(inner, t) => {
                let v = self.eval(inner);
                self.cast(v, *t)
            }
            Expr::Call(f, args) => self.call(f, args),
        }
    }

    fn compare(&mut self, op: CmpOp, l: &V, r: &V) -> V {
        use std::cmp::Ordering;
        let ord: Option<Ordering> = match (l, r) {
            (V::Multi(_), _) | (_, V::Multi(_)) => {
                return self.warn("comparison: single-value function encountered multi-value")
            }
            (V::Long(a), V::Long(b)) => Some(a.cmp(b)),
            (V::Long(a), V::Double(b)) => (*a as f64).partial_cmp(b),
            (V::Double(a), V::Long(b)) => a.partial_cmp(&(*b as f64)),
            (V::Double(a), V::Double(b)) => a.partial_cmp(b),
            (V::Str(a), V::Str(b)) => Some(a.as_bytes().cmp(b.as_bytes())),
            (V::Bool(a), V::Bool(b)) => Some(a.cmp(b)),
            _ => None,
        };
        let Some(ord) = ord else { return V::Null };
        V::Bool(op.holds(ord))
    }

    fn arith(&mut self, op: ArithOp, l: V, r: V) -> V {
        match (l, r) {
            (V::Long(a), V::Long(b)) => {
                let out = match op {
                    ArithOp::Add => a.checked_add(b),
                    ArithOp::Sub => a.checked_sub(b),
                    ArithOp::Mul => a.checked_mul(b),
                    ArithOp::Div | ArithOp::Rem if b == 0 => return self.warn("/ by zero"),
                    ArithOp::Div => a.checked_div(b),
                    ArithOp::Rem => a.checked_rem(b),
                };
                out.map_or_else(|| self.warn("long overflow"), V::Long)
            }
            (l @ (V::Long(_) | V::Double(_)), r @ (V::Long(_) | V::Double(_))) => {
                let (a, b) = (as_f64(&l), as_f64(&r));
                let out = match op {
                    ArithOp::Add => a + b,
                    ArithOp::Sub => a - b,
                    ArithOp::Mul => a * b,
                    ArithOp::Div | ArithOp::Rem if b == 0.0 => return self.warn("/ by zero"),
                    ArithOp::Div => a / b,
                    ArithOp::Rem => a % b,
                };
                if out.is_finite() {
                    V::Double(out)
                } else {
                    self.warn("double overflow")
                }
            }
            (V::Multi(_), _) | (_, V::Multi(_)) => {
                self.warn("arithmetic: single-value function encountered multi-value")
            }
            _ => V::Null,
        }
    }

    fn cast(&mut self, v: V, t: Type) -> V {
        match (v, t) {
            (V::Null, _) => V::Null,
            (V::Multi(items), t) => V::Multi(items.into_iter().map(|i| self.cast(i, t)).collect()),
            (V::Long(n), Type::Double) => V::Double(n as f64),
            (v @ V::Double(_), Type::Double) => v,
            (V::Str(s), Type::Double) => s.trim().parse::<f64>().map_or_else(
                |_| self.warn(format!("cannot parse [{s}] as a double")),
                V::Double,
            ),
            (V::Bool(b), Type::Double) => V::Double(f64::from(u8::from(b))),
            (v @ V::Long(_), Type::Long) => v,
            (V::Double(d), Type::Long) => {
                if d.is_finite() && d.abs() < 9.2e18 {
                    V::Long(d as i64)
                } else {
                    self.warn(format!("[{d}] out of [long] range"))
                }
            }
            (V::Str(s), Type::Long) => s.trim().parse::<i64>().map_or_else(
                |_| self.warn(format!("cannot parse [{s}] as a long")),
                V::Long,
            ),
            (V::Bool(b), Type::Long) => V::Long(i64::from(b)),
            (V::Str(s), Type::Keyword) => V::Str(s),
            (V::Long(n), Type::Keyword) => V::Str(n.to_string()),
            (V::Double(d), Type::Keyword) => V::Str(java_double(d)),
            (V::Bool(b), Type::Keyword) => V::Str(b.to_string()),
            (v @ V::Bool(_), Type::Boolean) => v,
            (V::Str(s), Type::Boolean) => V::Bool(s.eq_ignore_ascii_case("true")),
            (V::Long(n), Type::Boolean) => V::Bool(n != 0),
            (V::Double(d), Type::Boolean) => V::Bool(d != 0.0),
        }
    }

    fn call(&mut self, f: &'f Func, args: &'f [Expr]) -> V {
        // `length` of a column left unbuilt is counted, not built.
        if let (Func::Length, Some(n)) = (f, args.first().and_then(|a| self.masked_length(a))) {
            return V::Long(n);
        }
        match f {
            Func::Coalesce => {
                for a in args {
                    let v = self.eval(a);
                    if v != V::Null {
                        return v;
                    }
                }
                V::Null
            }
            Func::MvMin | Func::MvMax => {
                let v = self.eval(&args[0]);
                let items = match v {
                    V::Multi(items) => items,
                    V::Null => return V::Null,
                    one => return one,
                };
                let want = if matches!(f, Func::MvMin) {
                    CmpOp::Lt
                } else {
                    CmpOp::Gt
                };
                let mut best: Option<V> = None;
                for item in items {
                    let better = match &best {
                        None => true,
                        Some(b) => self.compare(want, &item, b) == V::Bool(true),
                    };
                    if better {
                        best = Some(item);
                    }
                }
                best.unwrap_or(V::Null)
            }
            Func::Length | Func::ToLower | Func::ToUpper => match self.text_arg(&args[0]) {
                Ok(s) => match f {
                    Func::Length => V::Long(match s {
                        Cow::Borrowed(s) => self.memo.chars(s),
                        Cow::Owned(s) => s.chars().count(),
                    } as i64),
                    Func::ToLower => V::Str(s.to_lowercase()),
                    _ => V::Str(s.to_uppercase()),
                },
                Err(V::Multi(_)) => self.warn("single-value function encountered multi-value"),
                Err(_) => V::Null,
            },
            Func::Replace(regex) => {
                let text = self.text_arg(&args[0]);
                let with = self.eval(&args[2]);
                let (Ok(text), V::Str(with)) = (text, with) else {
                    return V::Null;
                };
                self.note_replace(&args[0], || match &text {
                    Cow::Borrowed(t) => Mark::Pending(regex, t),
                    Cow::Owned(t) => Mark::Found(matched_texts(regex, t)),
                });
                if self.detail {
                    if let Expr::Field(name) = &args[0] {
                        if name == ecs::names::SCRIPT_BLOCK_TEXT && !self.row.contains_key(name) {
                            self.mark(regex, &text);
                        }
                    }
                }
                match regex.replace_all(&text, &with) {
                    Ok(s) => V::Str(s),
                    Err(e) => self.warn(format!("replace: {e}")),
                }
            }
        }
    }

    /// The matches of `regex` in the script text, as hits (what the Script tab marks).
    fn mark(&mut self, regex: &super::java_regex::JavaRegex, text: &str) {
        for (start, end) in regex.find_all(text).unwrap_or_default() {
            self.hits.push(Hit {
                field: ecs::names::SCRIPT_BLOCK_TEXT.to_owned(),
                value_index: 0,
                start,
                end,
                term: text[start..end].to_owned(),
            });
        }
    }
}

/// `and` (`decides` false) or `or` (`decides` true) in three-valued logic: a side equal to
/// `decides` decides, two sides of the other value give it, anything else is null.
fn connective(decides: bool, l: V, r: V) -> V {
    match (l, r) {
        (V::Bool(a), _) | (_, V::Bool(a)) if a == decides => V::Bool(decides),
        (V::Bool(_), V::Bool(_)) => V::Bool(!decides),
        _ => V::Null,
    }
}

fn as_f64(v: &V) -> f64 {
    match v {
        V::Long(n) => *n as f64,
        V::Double(d) => *d,
        _ => f64::NAN,
    }
}

/// A double as Java prints it (`Double.toString`) for the common cases: `1.0`, `0.5`.
fn java_double(d: f64) -> String {
    if d.fract() == 0.0 && d.abs() < 1e7 {
        format!("{d:.1}")
    } else {
        d.to_string()
    }
}

/// One document value of `field` as ES|QL reads it, by the field's mapped type (a field the
/// templates do not map is mapped by its JSON type, as dynamic mapping does).
fn leaf(field: &str, v: &Json) -> Option<V> {
    match (ecs::field_type(field), v) {
        (_, Json::Null) => None,
        (FieldType::Keyword, Json::Number(n)) if !ecs::is_explicitly_mapped(field) => Some(
            n.as_i64()
                .map_or_else(|| V::Double(n.as_f64().unwrap_or(f64::NAN)), V::Long),
        ),
        (FieldType::Keyword | FieldType::Text, v) => {
            Some(V::Str(ecs::leaf_as_keyword(v).into_owned()))
        }
        // A malformed value is not indexed (`ignore_malformed`): the column is null.
        (FieldType::Long, v) => numeric::stored_long(v).map(V::Long),
        // A float column is read back as a double, from the 32-bit float stored.
        (FieldType::Float, v) => numeric::stored_float(v).map(|f| V::Double(f64::from(f))),
        (FieldType::Date, v) => Some(V::Str(ecs::leaf_as_keyword(v).into_owned())),
    }
}
