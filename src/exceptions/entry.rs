//! One condition of an exception item, in Kibana's JSON shapes (`match`, `match_any`, `exists`,
//! `wildcard`, `nested`, `list`), read and written by key name.

use serde_json::{json, Map, Value};

/// `included` ("is", "exists", "matches") or `excluded` (their negations).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Operator {
    Included,
    Excluded,
}

impl Operator {
    pub fn name(self) -> &'static str {
        match self {
            Operator::Included => "included",
            Operator::Excluded => "excluded",
        }
    }
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Entry {
    Match {
        field: String,
        operator: Operator,
        value: String,
    },
    MatchAny {
        field: String,
        operator: Operator,
        values: Vec<String>,
    },
    Exists {
        field: String,
        operator: Operator,
    },
    Wildcard {
        field: String,
        operator: Operator,
        value: String,
    },
    /// Conditions one object of the array at `field` must meet together; inner fields are
    /// relative to it. Kibana allows only `match`, `match_any` and `exists` inside.
    Nested {
        field: String,
        entries: Vec<Entry>,
    },
    /// A value list (`list.id`): its values live in Kibana, not in an exception export.
    List {
        field: String,
        operator: Operator,
        list_id: String,
        list_type: String,
    },
}

impl Entry {
    /// Reads one entry; `Err` says what is wrong with it.
    pub fn from_json(v: &Value) -> Result<Entry, String> {
        Entry::read(v, false)
    }

    fn read(v: &Value, inside_nested: bool) -> Result<Entry, String> {
        let o = v.as_object().ok_or("an entry is not a JSON object")?;
        let field = string(o, "field")?;
        if field.is_empty() {
            return Err("an entry has an empty field".into());
        }
        let kind = string(o, "type")?;
        let operator = || match string(o, "operator")?.as_str() {
            "included" => Ok(Operator::Included),
            "excluded" => Ok(Operator::Excluded),
            other => Err(format!("unknown operator {other:?} on {field}")),
        };
        let entry = match kind.as_str() {
            "match" => Entry::Match {
                operator: operator()?,
                value: non_empty(string(o, "value")?, &field)?,
                field,
            },
            "match_any" => {
                let values = o
                    .get("value")
                    .and_then(Value::as_array)
                    .ok_or_else(|| format!("match_any on {field} has no value list"))?
                    .iter()
                    .map(|x| {
                        x.as_str()
                            .map(str::to_owned)
                            .ok_or_else(|| format!("match_any on {field} holds a non-string"))
                    })
                    .collect::<Result<Vec<_>, _>>()?;
                if values.is_empty() {
                    return Err(format!("match_any on {field} has no values"));
                }
                Entry::MatchAny {
                    operator: operator()?,
                    values,
                    field,
                }
            }
            "exists" => Entry::Exists {
                operator: operator()?,
                field,
            },
            "wildcard" if !inside_nested => Entry::Wildcard {
                operator: operator()?,
                value: non_empty(string(o, "value")?, &field)?,
                field,
            },
            "list" if !inside_nested => {
                let list = o
                    .get("list")
                    .and_then(Value::as_object)
                    .ok_or_else(|| format!("list entry on {field} has no list"))?;
                Entry::List {
                    operator: operator()?,
                    list_id: string(list, "id")?,
                    list_type: string(list, "type")?,
                    field,
                }
            }
            "nested" if !inside_nested => {
                let inner = o
                    .get("entries")
                    .and_then(Value::as_array)
                    .ok_or_else(|| format!("nested entry on {field} has no entries"))?;
                if inner.is_empty() {
                    return Err(format!("nested entry on {field} has no entries"));
                }
                let entries = inner
                    .iter()
                    .map(|e| Entry::read(e, true))
                    .collect::<Result<Vec<_>, _>>()?;
                Entry::Nested { field, entries }
            }
            "wildcard" | "list" | "nested" => {
                return Err(format!(
                    "a {kind} entry inside nested {field} (Kibana allows match, match_any and exists there)"
                ))
            }
            other => return Err(format!("unknown entry type {other:?} on {field}")),
        };
        Ok(entry)
    }

    /// The entry as Kibana writes it.
    pub fn to_json(&self) -> Value {
        match self {
            Entry::Match {
                field,
                operator,
                value,
            } => {
                json!({"field": field, "operator": operator.name(), "type": "match", "value": value})
            }
            Entry::MatchAny {
                field,
                operator,
                values,
            } => {
                json!({"field": field, "operator": operator.name(), "type": "match_any", "value": values})
            }
            Entry::Exists { field, operator } => {
                json!({"field": field, "operator": operator.name(), "type": "exists"})
            }
            Entry::Wildcard {
                field,
                operator,
                value,
            } => {
                json!({"field": field, "operator": operator.name(), "type": "wildcard", "value": value})
            }
            Entry::Nested { field, entries } => json!({
                "entries": entries.iter().map(Entry::to_json).collect::<Vec<_>>(),
                "field": field,
                "type": "nested",
            }),
            Entry::List {
                field,
                operator,
                list_id,
                list_type,
            } => json!({
                "field": field,
                "list": {"id": list_id, "type": list_type},
                "operator": operator.name(),
                "type": "list",
            }),
        }
    }

    pub fn field(&self) -> &str {
        match self {
            Entry::Match { field, .. }
            | Entry::MatchAny { field, .. }
            | Entry::Exists { field, .. }
            | Entry::Wildcard { field, .. }
            | Entry::Nested { field, .. }
            | Entry::List { field, .. } => field,
        }
    }

    /// How the entry reads in Kibana's editor ("host.name is SCCM01").
    pub fn describe(&self) -> String {
        let negated = |op: &Operator, yes: &str, no: &str| {
            if *op == Operator::Included { yes } else { no }.to_owned()
        };
        match self {
            Entry::Match {
                field,
                operator,
                value,
            } => format!("{field} {} {value:?}", negated(operator, "is", "is not")),
            Entry::MatchAny {
                field,
                operator,
                values,
            } => format!(
                "{field} {} {values:?}",
                negated(operator, "is one of", "is not one of")
            ),
            Entry::Exists { field, operator } => {
                format!("{field} {}", negated(operator, "exists", "does not exist"))
            }
            Entry::Wildcard {
                field,
                operator,
                value,
            } => format!(
                "{field} {} {value:?}",
                negated(operator, "matches", "does not match")
            ),
            Entry::Nested { field, entries } => format!(
                "{field} has an object where {}",
                entries
                    .iter()
                    .map(Entry::describe)
                    .collect::<Vec<_>>()
                    .join(" and ")
            ),
            Entry::List {
                field,
                operator,
                list_id,
                ..
            } => format!(
                "{field} {} list {list_id:?}",
                negated(operator, "is in", "is not in")
            ),
        }
    }
}

fn string(o: &Map<String, Value>, key: &str) -> Result<String, String> {
    match o.get(key) {
        Some(Value::String(s)) => Ok(s.clone()),
        Some(_) => Err(format!("{key} is not a string")),
        None => Err(format!("an entry has no {key}")),
    }
}

fn non_empty(value: String, field: &str) -> Result<String, String> {
    if value.is_empty() {
        Err(format!("the value for {field} is empty"))
    } else {
        Ok(value)
    }
}
