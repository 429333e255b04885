//! Exception-list export files: Kibana's NDJSON (one list container, its items, a summary
//! line), read line by line the way Kibana's import sorts objects (a summary has
//! `exported_exception_list_count`, an item has `entries` or `item_id`, anything else is a
//! list), and written back in the same shape. A bad line or item is reported with its line and
//! skipped; the rest of the file still applies.

use super::entry::Entry;
use serde_json::{json, Map, Value};
use std::fmt;
use std::path::Path;

/// A list container.
#[derive(Clone, Debug, PartialEq)]
pub struct List {
    pub list_id: String,
    pub namespace_type: String,
    pub name: String,
    pub description: String,
    pub list_type: String,
    /// The container as read (or made), written back unchanged.
    pub json: Map<String, Value>,
}

/// One exception item: all of its entries must hold for it to suppress an alert.
#[derive(Clone, Debug, PartialEq)]
pub struct Item {
    pub item_id: String,
    pub list_id: String,
    pub namespace_type: String,
    pub name: String,
    pub description: String,
    pub entries: Vec<Entry>,
    /// `linux`, `macos`, `windows`: when present, the event's OS must be one of them.
    pub os_types: Vec<String>,
    /// `expire_time`, in epoch milliseconds.
    pub expires_ms: Option<i64>,
    pub comments: Vec<String>,
    /// The line it was read from (0 for an item made in pstriage).
    pub line: usize,
    /// The item as read (or made), written back unchanged.
    pub json: Map<String, Value>,
}

impl Item {
    /// The fields its entries read (and the OS fields `os_types` adds), for a document view
    /// that holds only those (`Fields::of_only`): deciding an item need not flatten an event.
    pub fn fields(&self) -> Vec<&str> {
        // A multi-field (`file.path.text`) reads its parent's values.
        let mut out: Vec<&str> = self
            .entries
            .iter()
            .flat_map(|e| [e.field(), crate::ecs::source_field(e.field())])
            .collect();
        if !self.os_types.is_empty() {
            out.extend(super::matcher::OS_FIELDS);
        }
        out
    }

    /// Whether the item no longer applies at `now_ms`.
    pub fn expired(&self, now_ms: i64) -> bool {
        self.expires_ms.is_some_and(|t| t < now_ms)
    }

    /// Builds a new item of `list_id` from `entries`, with the fields Kibana writes.
    pub fn new(list_id: &str, item_id: &str, name: &str, entries: Vec<Entry>, now: &str) -> Item {
        let json = json!({
            "comments": [],
            "created_at": now,
            "created_by": "pstriage",
            "description": format!("Made in pstriage: {name}"),
            "entries": entries.iter().map(Entry::to_json).collect::<Vec<_>>(),
            "item_id": item_id,
            "list_id": list_id,
            "name": name,
            "namespace_type": "single",
            "os_types": [],
            "tags": [],
            "type": "simple",
            "updated_at": now,
            "updated_by": "pstriage",
        });
        Item {
            item_id: item_id.to_owned(),
            list_id: list_id.to_owned(),
            namespace_type: "single".into(),
            name: name.to_owned(),
            description: format!("Made in pstriage: {name}"),
            entries,
            os_types: Vec::new(),
            expires_ms: None,
            comments: Vec::new(),
            line: 0,
            json: json.as_object().cloned().unwrap_or_default(),
        }
    }
}

/// Something in a file that was not applied, and why.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Problem {
    pub path: String,
    pub line: usize,
    pub message: String,
}

impl fmt::Display for Problem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}: {}", self.path, self.line, self.message)
    }
}

/// What a file held that can be applied, and what could not be.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct ExceptionFile {
    pub lists: Vec<List>,
    pub items: Vec<Item>,
    pub problems: Vec<Problem>,
}

/// Reads an export file; only a file that cannot be read at all is an error.
pub fn read(path: &Path) -> std::io::Result<ExceptionFile> {
    let bytes = std::fs::read(path)?;
    Ok(parse(
        &String::from_utf8_lossy(&bytes),
        &path.display().to_string(),
    ))
}

/// Reads export text; `path` names it in problems.
pub fn parse(text: &str, path: &str) -> ExceptionFile {
    let mut file = ExceptionFile::default();
    let problem = |line: usize, message: String| Problem {
        path: path.to_owned(),
        line,
        message,
    };
    for (i, raw) in text.split('\n').enumerate() {
        let line = i + 1;
        if raw.trim().is_empty() {
            continue;
        }
        let obj = match serde_json::from_str::<Value>(raw) {
            Ok(Value::Object(o)) => o,
            Ok(_) => {
                file.problems
                    .push(problem(line, "not a JSON object; line skipped".into()));
                continue;
            }
            Err(e) => {
                file.problems
                    .push(problem(line, format!("not valid JSON ({e}); line skipped")));
                continue;
            }
        };
        if obj.contains_key("exported_exception_list_count") {
            continue;
        }
        let read = if obj.contains_key("entries") || obj.contains_key("item_id") {
            item(obj, line).map(|it| file.items.push(it))
        } else if obj.contains_key("rule_id") {
            Err("a rule from a rule export, not an exception list; skipped".into())
        } else {
            list(obj).and_then(|l| {
                let twice = file
                    .lists
                    .iter()
                    .any(|k| k.list_id == l.list_id && k.namespace_type == l.namespace_type);
                if twice {
                    return Err(format!(
                        "list {:?} ({}) is already in the file; this container is skipped",
                        l.list_id, l.namespace_type
                    ));
                }
                file.lists.push(l);
                Ok(())
            })
        };
        if let Err(message) = read {
            file.problems.push(problem(line, message));
        }
    }
    // An item applies through its list: one whose list the file does not hold is skipped.
    let lists = file.lists.clone();
    file.items.retain(|it| {
        let known = lists
            .iter()
            .any(|l| l.list_id == it.list_id && l.namespace_type == it.namespace_type);
        if !known {
            file.problems.push(problem(
                it.line,
                format!(
                    "item {:?} belongs to list {:?} ({}), which the file does not hold; skipped",
                    it.item_id, it.list_id, it.namespace_type
                ),
            ));
        }
        known
    });
    file
}

fn text<'a>(o: &'a Map<String, Value>, key: &str) -> Result<&'a str, String> {
    match o.get(key) {
        Some(Value::String(s)) if !s.is_empty() => Ok(s),
        Some(Value::String(_)) => Err(format!("{key} is empty")),
        Some(_) => Err(format!("{key} is not a string")),
        None => Err(format!("no {key}")),
    }
}

fn namespace(o: &Map<String, Value>) -> Result<String, String> {
    match o.get("namespace_type") {
        None => Ok("single".into()),
        Some(Value::String(s)) if s == "single" || s == "agnostic" => Ok(s.clone()),
        Some(other) => Err(format!(
            "namespace_type {other} is neither single nor agnostic"
        )),
    }
}

fn list(o: Map<String, Value>) -> Result<List, String> {
    let what = |e: String| format!("list container: {e}; skipped");
    Ok(List {
        list_id: text(&o, "list_id").map_err(what)?.to_owned(),
        namespace_type: namespace(&o).map_err(what)?,
        name: text(&o, "name").map_err(what)?.to_owned(),
        description: o
            .get("description")
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_owned(),
        list_type: text(&o, "type").map_err(what)?.to_owned(),
        json: o,
    })
}

fn item(o: Map<String, Value>, line: usize) -> Result<Item, String> {
    let id = o
        .get("item_id")
        .and_then(Value::as_str)
        .unwrap_or("(no item_id)")
        .to_owned();
    let what = |e: String| format!("item {id:?}: {e}; skipped");
    let item_id = text(&o, "item_id").map_err(what)?.to_owned();
    let list_id = text(&o, "list_id").map_err(what)?.to_owned();
    let name = text(&o, "name").map_err(what)?.to_owned();
    match o.get("type") {
        None => {}
        Some(Value::String(s)) if s == "simple" => {}
        Some(other) => return Err(what(format!("type {other} is not \"simple\""))),
    }
    let raw_entries = o
        .get("entries")
        .and_then(Value::as_array)
        .filter(|e| !e.is_empty())
        .ok_or_else(|| what("no entries".into()))?;
    let entries = raw_entries
        .iter()
        .enumerate()
        .map(|(n, e)| Entry::from_json(e).map_err(|m| what(format!("entry {}: {m}", n + 1))))
        .collect::<Result<Vec<_>, _>>()?;
    if let Some(field) = entries.iter().find_map(|e| match e {
        Entry::Wildcard { field, .. } if !crate::rule::dsl::wildcard_applies(field) => Some(field),
        _ => None,
    }) {
        return Err(what(format!(
            "a wildcard on {field}: Elasticsearch runs wildcard queries on keyword and text fields only"
        )));
    }
    if let Some(Entry::List { list_id, .. }) =
        entries.iter().find(|e| matches!(e, Entry::List { .. }))
    {
        return Err(what(format!(
            "value list {list_id:?}: its values live in Kibana and an exception export does not carry them, so it cannot be applied offline"
        )));
    }
    let os_types = match o.get("os_types") {
        None => Vec::new(),
        Some(Value::Array(v)) => v
            .iter()
            .map(|x| match x.as_str() {
                Some(s @ ("linux" | "macos" | "windows")) => Ok(s.to_owned()),
                _ => Err(what(format!(
                    "os_types holds {x}, not linux, macos or windows"
                ))),
            })
            .collect::<Result<Vec<_>, _>>()?,
        Some(other) => return Err(what(format!("os_types {other} is not a list"))),
    };
    let expires_ms = match o.get("expire_time") {
        None | Some(Value::Null) => None,
        Some(v) => Some(
            crate::ecs::parse_date_millis(v)
                .ok_or_else(|| what(format!("expire_time {v} is not a date")))?,
        ),
    };
    let comments = o
        .get("comments")
        .and_then(Value::as_array)
        .map(|c| {
            c.iter()
                .filter_map(|x| x.get("comment").and_then(Value::as_str).map(str::to_owned))
                .collect()
        })
        .unwrap_or_default();
    Ok(Item {
        namespace_type: namespace(&o).map_err(what)?,
        description: o
            .get("description")
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_owned(),
        item_id,
        list_id,
        name,
        entries,
        os_types,
        expires_ms,
        comments,
        line,
        json: o,
    })
}

/// The export text of `lists` and their `items`: each container followed by its items, then
/// the summary line Kibana ends an export with.
pub fn export(lists: &[List], items: &[Item]) -> String {
    let mut out = String::new();
    let mut written = 0;
    for l in lists {
        out.push_str(&Value::Object(l.json.clone()).to_string());
        out.push('\n');
        for it in items
            .iter()
            .filter(|it| it.list_id == l.list_id && it.namespace_type == l.namespace_type)
        {
            out.push_str(&Value::Object(it.json.clone()).to_string());
            out.push('\n');
            written += 1;
        }
    }
    let summary = json!({
        "exported_exception_list_count": lists.len(),
        "exported_exception_list_item_count": written,
        "missing_exception_list_item_count": 0,
        "missing_exception_list_items": [],
        "missing_exception_lists": [],
        "missing_exception_lists_count": 0,
    });
    out.push_str(&summary.to_string());
    out.push('\n');
    out
}
