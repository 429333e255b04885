//! One document through an ES|QL pipeline, as Elasticsearch evaluates it row by row.
//!
//! - A column is null, one value, or several (a multi-valued field). A single-value function
//!   or comparison given several values gives null with a warning, as ES|QL does.
//! - Three-valued logic: a comparison with null is null; `and` is false if either side is,
//!   else null if either is; `or` is true if either side is, else null if either is; `not
//!   null` is null. `where` keeps a row only when its condition is true — which is why
//!   Elastic's rules add `or x is null` to their exclusions.
//! - `length` counts code points; `like` is a case-sensitive wildcard (`*` `?`, `\` escapes)
//!   over the whole value; `:` is a full-text match with the field's analyzer, run as the KQL
//!   evaluator runs an unquoted value; `replace` is `java_regex`'s.
//! - Integer arithmetic that overflows, and division or remainder by zero, give null with a
//!   warning; an integer divided by an integer is truncated.
//! - Fields are read from the document with their mapped type (`ecs::field_type`): a number in
//!   a keyword field is its text, a long field's value a whole number.
//!
//! Pure: reads a `Fields` view, returns the outcome and, when asked, the why.

use super::ast::*;
use crate::analysis::Analyzer;
use crate::ecs::{self, FieldType, Fields};
use crate::rule::dsl;
use crate::rule::kql::{self, Explanation, Hit};
use serde_json::Value as Json;
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
    let mut ctx = Ctx {
        fields,
        analyzer,
        row: BTreeMap::new(),
        warnings: Vec::new(),
        hits: Vec::new(),
        detail,
    };
    let mut children = Vec::new();
    let mut held = true;
    let mut kept: Option<Vec<String>> = None;
    let mut dropped: Vec<String> = Vec::new();
    for step in &query.steps {
        ctx.warnings.clear();
        ctx.hits.clear();
        let (ok, note) = match &step.kind {
            StepKind::Where(cond) => {
                let v = ctx.eval(cond);
                let ok = v == V::Bool(true);
                let note = match v {
                    V::Bool(true) => "true".to_owned(),
                    V::Bool(false) => "false: the row is dropped".to_owned(),
                    _ => "null: the row is dropped".to_owned(),
                };
                (ok, note)
            }
            StepKind::Eval(assignments) => {
                let mut shown = Vec::new();
                for (name, e) in assignments {
                    let v = ctx.eval(e);
                    if detail {
                        shown.push(format!("{name} = {}", v.show()));
                    }
                    ctx.row.insert(name.clone(), v);
                }
                (true, shown.join(", "))
            }
            StepKind::Keep(patterns) => {
                kept = Some(patterns.clone());
                (true, String::new())
            }
            StepKind::Drop(patterns) => {
                dropped.extend(patterns.iter().cloned());
                (true, String::new())
            }
            StepKind::Limit(_) | StepKind::Sort => (true, String::new()),
        };
        if detail {
            let mut label = step.text.clone();
            if !note.is_empty() {
                label = format!("{label}  → {note}");
            }
            for w in &ctx.warnings {
                label = format!("{label}  [warning: {w}]");
            }
            children.push(Explanation {
                held: ok,
                label,
                children: Vec::new(),
                field: None,
                value: None,
                hits: std::mem::take(&mut ctx.hits),
            });
        }
        if !ok {
            held = false;
            break;
        }
    }
    let columns = if held {
        ctx.row
            .iter()
            .filter(|(name, _)| {
                kept.as_ref()
                    .is_none_or(|k| k.iter().any(|p| dsl::wildcard_matches(p, name)))
                    && !dropped.iter().any(|p| dsl::wildcard_matches(p, name))
            })
            .map(|(name, v)| (name.clone(), v.to_json()))
            .collect()
    } else {
        Vec::new()
    };
    Outcome {
        held,
        columns,
        explanation: Explanation {
            held,
            label: "ES|QL pipeline".into(),
            children,
            field: None,
            value: None,
            hits: Vec::new(),
        },
    }
}

struct Ctx<'f, 'a> {
    fields: &'f Fields<'a>,
    analyzer: Analyzer,
    /// Columns computed by `eval`, which shadow the document's fields.
    row: BTreeMap<String, V>,
    warnings: Vec<String>,
    hits: Vec<Hit>,
    detail: bool,
}

impl Ctx<'_, '_> {
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

    fn eval(&mut self, e: &Expr) -> V {
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
                let (l, r) = (self.eval(l), self.eval(r));
                self.compare(*op, &l, &r)
            }
            Expr::Like {
                value,
                patterns,
                negated,
            } => match self.eval(value) {
                V::Str(s) => V::Bool(patterns.iter().any(|p| p.matches(&s)) != *negated),
                V::Multi(_) => self.warn("like: single-value function encountered multi-value"),
                _ => V::Null,
            },
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
                    leaf,
                    prepared,
                    prefilter,
                } = &**m;
                // A token is the lowercased text between separators: an ASCII value holding
                // none of the query's tokens, in any case, cannot match. (Outside ASCII,
                // lowercasing may turn a letter into an ASCII one: no shortcut there.)
                if let Some(pre) = prefilter {
                    let values = self.fields.get(ecs::source_field(field));
                    let hopeless = values.iter().all(|v| {
                        let s = ecs::leaf_as_keyword(v);
                        s.is_ascii() && pre.find(s.as_ref()).is_none()
                    });
                    if hopeless {
                        return V::Bool(false);
                    }
                }
                V::Bool(kql::explain(leaf, prepared, self.fields, self.analyzer).held)
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
        V::Bool(match op {
            CmpOp::Eq => ord == Ordering::Equal,
            CmpOp::Ne => ord != Ordering::Equal,
            CmpOp::Lt => ord == Ordering::Less,
            CmpOp::Le => ord != Ordering::Greater,
            CmpOp::Gt => ord == Ordering::Greater,
            CmpOp::Ge => ord != Ordering::Less,
        })
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

    fn call(&mut self, f: &Func, args: &[Expr]) -> V {
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
            Func::Length | Func::ToLower | Func::ToUpper => match self.eval(&args[0]) {
                V::Str(s) => match f {
                    Func::Length => V::Long(s.chars().count() as i64),
                    Func::ToLower => V::Str(s.to_lowercase()),
                    _ => V::Str(s.to_uppercase()),
                },
                V::Multi(_) => self.warn("single-value function encountered multi-value"),
                _ => V::Null,
            },
            Func::Replace(regex) => {
                let text = self.eval(&args[0]);
                let with = self.eval(&args[2]);
                let (V::Str(text), V::Str(with)) = (text, with) else {
                    return V::Null;
                };
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
        (FieldType::Long, Json::Number(n)) => n
            .as_i64()
            .or_else(|| n.as_f64().filter(|f| f.is_finite()).map(|f| f as i64))
            .map(V::Long),
        // A malformed value is not indexed (`ignore_malformed`): the column is null.
        (FieldType::Long, Json::String(s)) => s.trim().parse().ok().map(V::Long),
        (FieldType::Date, v) => Some(V::Str(ecs::leaf_as_keyword(v).into_owned())),
        (FieldType::Long, _) => None,
    }
}
