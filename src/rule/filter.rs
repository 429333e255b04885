//! A rule's Kibana filters (`[[rule.filters]]`): query-DSL clauses stored beside its KQL query,
//! which the detection engine ANDs with it. Kibana's `getQueryFilter` drops the filters whose
//! `meta.disabled` is true and hands the rest to `buildEsQuery`, which takes each filter's
//! `query` (or, when it has none, the filter itself without `meta` and `$state`) and puts it in
//! the bool query's `filter` list, or in `must_not` when `meta.negate` is true. So an event
//! alerts when the KQL query holds, every enabled filter holds and no enabled negated one does.
//!
//! The clause kinds read here are the ones Elastic's rules and Kibana's filter bar write:
//! `wildcard` (with `case_insensitive`), `exists`, `match_phrase`, `match` (also as a phrase),
//! and a bool `should` of those with `minimum_should_match` 1 (the filter bar's "is one of").
//! Anything else is an error naming it: the rule is then skipped with that reason, never run
//! with a part of it dropped. Evaluation is `rule::dsl`'s; this module parses and explains.

use super::dsl;
use super::kql::{Explanation, Expr, Literal};
use crate::analysis::Analyzer;
use crate::ecs::Fields;
use serde_json::{Map, Value};
use std::fmt;

/// One `[[rule.filters]]` entry.
#[derive(Clone, Debug, PartialEq)]
pub struct Filter {
    pub clause: Clause,
    /// `meta.negate`: the clause goes to `must_not`.
    pub negate: bool,
    /// `meta.disabled`: the detection engine leaves the filter out.
    pub disabled: bool,
}

/// A filter's query.
#[derive(Clone, Debug, PartialEq)]
pub enum Clause {
    Wildcard {
        field: String,
        pattern: String,
        case_insensitive: bool,
        /// `pattern` parsed, once for every document the rule fires on.
        matcher: dsl::Wildcard,
    },
    Exists {
        field: String,
    },
    Phrase {
        field: String,
        value: String,
    },
    /// A `match` query: on a text field any of the value's tokens, on a keyword the exact value.
    Match {
        field: String,
        value: String,
    },
    /// A bool `should` with `minimum_should_match` 1.
    AnyOf(Vec<Clause>),
}

/// Reads a rule's `filters` array; the error names the filter (`filter 2: …`).
pub fn parse_all(raw: &[Value]) -> Result<Vec<Filter>, String> {
    raw.iter()
        .enumerate()
        .map(|(n, f)| parse(f).map_err(|e| format!("filter {}: {e}", n + 1)))
        .collect()
}

fn parse(raw: &Value) -> Result<Filter, String> {
    let filter = raw.as_object().ok_or("not a table")?;
    let meta = filter.get("meta").and_then(Value::as_object);
    let flag = |name: &str| -> Result<bool, String> {
        match meta.and_then(|m| m.get(name)) {
            None | Some(Value::Null) => Ok(false),
            Some(Value::Bool(b)) => Ok(*b),
            Some(other) => Err(format!("meta.{name} is {other}, not true or false")),
        }
    };
    let (negate, disabled) = (flag("negate")?, flag("disabled")?);
    let query = match filter.get("query") {
        Some(q) => q.as_object().ok_or("its query is not a table")?.clone(),
        None => filter
            .iter()
            .filter(|(k, _)| !matches!(k.as_str(), "meta" | "$state"))
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect(),
    };
    Ok(Filter {
        clause: clause(&query)?,
        negate,
        disabled,
    })
}

/// One query container: exactly one kind of query, as Elasticsearch requires.
fn clause(query: &Map<String, Value>) -> Result<Clause, String> {
    let mut kinds = query.iter();
    let (Some((kind, body)), None) = (kinds.next(), kinds.next()) else {
        let names: Vec<&str> = query.keys().map(String::as_str).collect();
        return Err(if names.is_empty() {
            "no query".into()
        } else {
            format!(
                "a query of several kinds at once ({}), which Elasticsearch refuses",
                names.join(", ")
            )
        });
    };
    match kind.as_str() {
        "wildcard" => wildcard(body),
        "exists" => {
            let field = body
                .get("field")
                .and_then(Value::as_str)
                .ok_or("exists without a field")?;
            only_keys(body, &["field", "boost"], "exists")?;
            Ok(Clause::Exists {
                field: field.to_owned(),
            })
        }
        "match_phrase" => {
            let (field, value) = field_value(body, "match_phrase", &["query", "boost"])?;
            Ok(Clause::Phrase { field, value })
        }
        "match" => {
            let (field, value) = field_value(body, "match", &["query", "type", "boost"])?;
            let kind = body
                .get(&field)
                .and_then(|v| v.get("type"))
                .and_then(Value::as_str);
            match kind {
                Some("phrase") => Ok(Clause::Phrase { field, value }),
                None | Some("boolean") => Ok(Clause::Match { field, value }),
                Some(other) => Err(format!("match of type '{other}' is not supported")),
            }
        }
        "bool" => any_of(body),
        other => Err(format!("'{other}' queries are not supported")),
    }
}

fn wildcard(body: &Value) -> Result<Clause, String> {
    let (field, spec) = single_field(body, "wildcard")?;
    let (pattern, case_insensitive) = match spec {
        Value::String(s) => (s.clone(), false),
        Value::Object(o) => {
            only_keys(
                spec,
                &["value", "wildcard", "case_insensitive", "boost", "rewrite"],
                "wildcard",
            )?;
            let pattern = o
                .get("value")
                .or_else(|| o.get("wildcard"))
                .and_then(Value::as_str)
                .ok_or("wildcard without a value")?;
            let ci = match o.get("case_insensitive") {
                None => false,
                Some(Value::Bool(b)) => *b,
                Some(other) => return Err(format!("case_insensitive is {other}")),
            };
            (pattern.to_owned(), ci)
        }
        other => return Err(format!("wildcard value {other} is not a string")),
    };
    if !dsl::wildcard_applies(field) {
        return Err(format!(
            "a wildcard on {field}: Elasticsearch runs wildcard queries on keyword and text fields only, so the rule fails there"
        ));
    }
    Ok(Clause::Wildcard {
        field: field.to_owned(),
        matcher: dsl::Wildcard::new(&pattern, case_insensitive),
        pattern,
        case_insensitive,
    })
}

/// The one field of a leaf query (`{"file.path": …}`) and its body.
fn single_field<'v>(body: &'v Value, kind: &str) -> Result<(&'v str, &'v Value), String> {
    let o = body
        .as_object()
        .ok_or_else(|| format!("{kind} is not a table"))?;
    let mut fields = o.iter();
    match (fields.next(), fields.next()) {
        (Some((f, v)), None) => Ok((f.as_str(), v)),
        _ => Err(format!("{kind} must name exactly one field")),
    }
}

/// A `match`-like leaf: `{field: "v"}` or `{field: {query: "v", …}}`.
fn field_value(body: &Value, kind: &str, allowed: &[&str]) -> Result<(String, String), String> {
    let (field, spec) = single_field(body, kind)?;
    let value = match spec {
        Value::String(s) => s.clone(),
        Value::Number(n) => n.to_string(),
        Value::Bool(b) => b.to_string(),
        Value::Object(o) => {
            only_keys(spec, allowed, kind)?;
            match o.get("query") {
                Some(Value::String(s)) => s.clone(),
                Some(v @ (Value::Number(_) | Value::Bool(_))) => v.to_string(),
                _ => return Err(format!("{kind} without a query value")),
            }
        }
        other => return Err(format!("{kind} value {other} is not a string")),
    };
    Ok((field.to_owned(), value))
}

/// The filter bar's "is one of": `bool.should` of leaves, at least one of which must hold.
fn any_of(body: &Value) -> Result<Clause, String> {
    only_keys(body, &["should", "minimum_should_match"], "bool")
        .map_err(|e| format!("{e} (only a should list is supported)"))?;
    let min = body.get("minimum_should_match");
    if min.is_some()
        && min.and_then(Value::as_u64) != Some(1)
        && min.and_then(Value::as_str) != Some("1")
    {
        return Err("bool with minimum_should_match other than 1 is not supported".into());
    }
    let should = match body.get("should") {
        Some(Value::Array(items)) => items.clone(),
        Some(one @ Value::Object(_)) => vec![one.clone()],
        _ => return Err("bool without a should list".into()),
    };
    let clauses = should
        .iter()
        .map(|q| {
            q.as_object()
                .ok_or_else(|| "a should entry is not a table".to_owned())
                .and_then(clause)
        })
        .collect::<Result<Vec<_>, _>>()?;
    Ok(Clause::AnyOf(clauses))
}

/// Errors on a key Elasticsearch would reject in a `kind` query.
fn only_keys(body: &Value, allowed: &[&str], kind: &str) -> Result<(), String> {
    let unknown = body
        .as_object()
        .into_iter()
        .flat_map(|o| o.keys())
        .find(|k| !allowed.contains(&k.as_str()));
    match unknown {
        Some(k) => Err(format!("{kind} option '{k}' is not supported")),
        None => Ok(()),
    }
}

impl Clause {
    /// Whether the clause holds for one document.
    pub fn holds(&self, fields: &Fields, analyzer: Analyzer) -> bool {
        match self {
            Clause::Wildcard { field, matcher, .. } => {
                dsl::wildcard_holds(field, matcher, fields, analyzer)
            }
            Clause::Exists { field } => dsl::holds(&dsl::exists(field), fields, analyzer),
            Clause::Phrase { field, value } => {
                dsl::holds(&dsl::phrase(field, value), fields, analyzer)
            }
            Clause::Match { field, value } => dsl::holds(
                &Expr::Match {
                    field: Some(field.clone()),
                    value: Literal::plain(value),
                },
                fields,
                analyzer,
            ),
            Clause::AnyOf(clauses) => clauses.iter().any(|c| c.holds(fields, analyzer)),
        }
    }

    /// A word for the rule's author when the clause cannot match what it seems to mean: a
    /// wildcard `\` before an ordinary character escapes it, so `C:\Program Files\*` (one
    /// backslash, as a TOML basic string leaves it) needs `C:Program Files…` and never
    /// matches a path.
    pub fn lint(&self) -> Option<String> {
        match self {
            Clause::Wildcard { pattern, .. } => {
                let mut chars = pattern.chars();
                while let Some(c) = chars.next() {
                    if c != '\\' {
                        continue;
                    }
                    match chars.next() {
                        Some('\\' | '*' | '?') | None => {}
                        Some(other) => {
                            return Some(format!(
                                "in \"{pattern}\", `\\{other}` means a plain `{other}` (a backslash escapes the next character), so the pattern never matches a backslash there; Elasticsearch reads it the same way"
                            ))
                        }
                    }
                }
                None
            }
            Clause::AnyOf(clauses) => clauses.iter().find_map(Clause::lint),
            _ => None,
        }
    }

    /// The field the clause reads (`None` for a bool of several).
    fn field(&self) -> Option<&str> {
        match self {
            Clause::Wildcard { field, .. }
            | Clause::Exists { field }
            | Clause::Phrase { field, .. }
            | Clause::Match { field, .. } => Some(field),
            Clause::AnyOf(_) => None,
        }
    }
}

impl fmt::Display for Clause {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Clause::Wildcard {
                field,
                pattern,
                case_insensitive,
                ..
            } => {
                write!(f, "{field} wildcard \"{pattern}\"")?;
                if *case_insensitive {
                    f.write_str(" (case-insensitive)")?;
                }
                Ok(())
            }
            Clause::Exists { field } => write!(f, "{field} exists"),
            Clause::Phrase { field, value } => write!(f, "{field} is phrase \"{value}\""),
            Clause::Match { field, value } => write!(f, "{field} matches \"{value}\""),
            Clause::AnyOf(clauses) => {
                f.write_str("one of (")?;
                for (i, c) in clauses.iter().enumerate() {
                    if i > 0 {
                        f.write_str("; ")?;
                    }
                    write!(f, "{c}")?;
                }
                f.write_str(")")
            }
        }
    }
}

impl fmt::Display for Filter {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.negate {
            f.write_str("NOT ")?;
        }
        write!(f, "{}", self.clause)?;
        if self.disabled {
            f.write_str(" [disabled: not applied]")?;
        }
        Ok(())
    }
}

/// Whether every enabled filter lets the document through (a negated one when its clause
/// fails): `explain_rule`'s verdict on the filters, without the tree.
pub fn hold(filters: &[Filter], fields: &Fields, analyzer: Analyzer) -> bool {
    filters
        .iter()
        .filter(|f| !f.disabled)
        .all(|f| f.clause.holds(fields, analyzer) != f.negate)
}

/// A rule's whole verdict: the explanation of its KQL `query` and, when it has enabled
/// filters, one node per filter (a negated one under `not`) beside it.
pub fn explain_rule(
    query: Explanation,
    filters: &[Filter],
    fields: &Fields,
    analyzer: Analyzer,
) -> Explanation {
    let enabled: Vec<&Filter> = filters.iter().filter(|f| !f.disabled).collect();
    if enabled.is_empty() {
        return query;
    }
    let mut children = vec![query];
    for f in enabled {
        let held = f.clause.holds(fields, analyzer);
        let leaf = Explanation {
            held,
            label: format!("filter: {}", f.clause),
            children: Vec::new(),
            field: f.clause.field().map(str::to_owned),
            // No value: a filter's pattern is not a term the rule looks for in the script.
            value: None,
            hits: Vec::new(),
        };
        children.push(if f.negate {
            Explanation {
                held: !held,
                label: "not".into(),
                children: vec![leaf],
                field: None,
                value: None,
                hits: Vec::new(),
            }
        } else {
            leaf
        });
    }
    Explanation {
        held: children.iter().all(|c| c.held),
        label: "query and filters".into(),
        children,
        field: None,
        value: None,
        hits: Vec::new(),
    }
}
