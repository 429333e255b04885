//! Flattened view of a document: every leaf value under its full dotted path.

use super::mapping::{field_type, FieldType};
use serde_json::{Map, Value};
use std::borrow::Cow;
use std::ops::Range;

/// The leaves of one document by dotted path. Objects inside arrays flatten under the array's
/// path (as Elasticsearch's `object` type does); `null` and empty arrays are no value.
///
/// Every event is flattened once or more on the hot path, so the view is four flat buffers
/// rather than a map of owned paths (two allocations a leaf made that a tenth of a stream).
#[derive(Debug, Default)]
pub struct Fields<'a> {
    /// Every field's path, one after another.
    names: String,
    /// Per field, sorted by path: its path's range in `names`, its values' range in `values`.
    fields: Vec<(Range<usize>, Range<usize>)>,
    /// The values of every field, a field's in document order.
    values: Vec<&'a Value>,
    /// (hash of the path, place in `fields`), sorted: a rule set asks for the same few fields
    /// dozens of times per event, and comparing long dotted paths in a binary search over
    /// `fields` cost more than hashing the one asked for.
    by_hash: Vec<(u64, usize)>,
}

/// The hash `by_hash` sorts by.
fn path_hash(path: &[u8]) -> u64 {
    use std::hash::BuildHasher;
    rustc_hash::FxBuildHasher.hash_one(path)
}

/// Builds a `Fields` from (path, value) leaves given in document order.
struct Builder<'a> {
    names: String,
    leaves: Vec<(Range<usize>, &'a Value)>,
}

impl Default for Builder<'_> {
    /// Sized for a typical 4104 event (a few dozen leaves): buffers that never grow are a few
    /// allocations of steady sizes, which the allocator serves from its per-thread caches;
    /// growing them by doubling cost more than the map of owned paths they replace.
    fn default() -> Self {
        Builder {
            names: String::with_capacity(1024),
            leaves: Vec::with_capacity(32),
        }
    }
}

impl<'a> Builder<'a> {
    fn leaf(&mut self, path: &str, value: &'a Value) {
        let start = self.names.len();
        self.names.push_str(path);
        self.leaves.push((start..self.names.len(), value));
    }

    fn build(self) -> Fields<'a> {
        let Builder { names, mut leaves } = self;
        // Stable: a field's values keep their document order.
        let bytes = names.as_bytes();
        leaves.sort_by(|(a, _), (b, _)| bytes[a.clone()].cmp(&bytes[b.clone()]));
        let mut fields: Vec<(Range<usize>, Range<usize>)> = Vec::with_capacity(leaves.len());
        let mut values = Vec::with_capacity(leaves.len());
        for (name, value) in leaves {
            match fields.last_mut() {
                Some((last, of)) if bytes[last.clone()] == bytes[name.clone()] => of.end += 1,
                _ => fields.push((name, values.len()..values.len() + 1)),
            }
            values.push(value);
        }
        let mut by_hash: Vec<(u64, usize)> = fields
            .iter()
            .enumerate()
            .map(|(i, (name, _))| (path_hash(&bytes[name.clone()]), i))
            .collect();
        by_hash.sort_unstable();
        Fields {
            names,
            fields,
            values,
            by_hash,
        }
    }
}

impl<'a> Fields<'a> {
    /// Flattens `doc`. Fails when a field the mapping types as a value (text, keyword, date,
    /// number) holds an object, or a typed field holds a malformed value (which a template
    /// without `ignore_malformed` rejects): the message names the field.
    pub fn of(doc: &'a Map<String, Value>) -> Result<Self, String> {
        match validate(doc)? {
            Some(malformed) => Err(malformed),
            None => Ok(Fields::of_lenient(doc)),
        }
    }

    /// Like [`Fields::of`] but never fails: used where the record was already accepted (an
    /// object where the mapping wants a value is left out).
    pub fn of_lenient(doc: &'a Map<String, Value>) -> Self {
        let mut b = Builder::default();
        let _ = walk_leaves(doc, &mut |path, leaf| {
            if let Some(leaf) = leaf {
                b.leaf(path, leaf);
            }
            Ok(())
        });
        b.build()
    }

    /// Like [`Fields::of_lenient`], keeping only the `wanted` paths, and without walking the
    /// rest of the document: each path is looked up through the keys that spell a prefix of it
    /// (nested, dotted or both), for hot loops that read a handful of fields.
    pub fn of_only(doc: &'a Map<String, Value>, wanted: &[&str]) -> Self {
        let mut b = Builder::default();
        for (n, &field) in wanted.iter().enumerate() {
            // A path asked for twice is read once.
            if wanted[..n].contains(&field) {
                continue;
            }
            for v in values_at(doc, field) {
                if !v.is_object() {
                    b.leaf(field, v);
                }
            }
        }
        b.build()
    }

    /// The values of `field` (empty when the field is missing).
    pub fn get(&self, field: &str) -> &[&'a Value] {
        let (names, field) = (self.names.as_bytes(), field.as_bytes());
        let hash = path_hash(field);
        let first = self.by_hash.partition_point(|&(h, _)| h < hash);
        self.by_hash[first..]
            .iter()
            .take_while(|&&(h, _)| h == hash)
            .map(|&(_, i)| &self.fields[i])
            .find(|(name, _)| &names[name.clone()] == field)
            .map_or(&[], |(_, values)| &self.values[values.clone()])
    }

    /// True when the field holds at least one value.
    pub fn has(&self, field: &str) -> bool {
        !self.get(field).is_empty()
    }

    /// First value of `field` in its keyword form.
    pub fn first(&self, field: &str) -> Option<String> {
        self.get(field)
            .first()
            .map(|v| leaf_as_keyword(v).into_owned())
    }

    /// First value of `field` as a string slice, when it is a JSON string.
    pub fn first_str(&self, field: &str) -> Option<&'a str> {
        self.get(field).iter().find_map(|v| v.as_str())
    }

    /// Every (path, values) pair, sorted by path.
    pub fn iter(&self) -> impl Iterator<Item = (&str, &[&'a Value])> {
        self.fields
            .iter()
            .map(|(name, values)| (&self.names[name.clone()], &self.values[values.clone()]))
    }
}

/// What Elasticsearch objects to in `doc`, without building the flattened view (one walk, one
/// reused path buffer: ingest checks every record this way). `Err`: what every template
/// rejects — an object where the mapping wants a value (the first in document order), or an
/// `@timestamp` that is not a date. `Ok(Some)`: the
/// malformed value (a number or date its field cannot hold) of the smallest field path, which
/// a template with `ignore_malformed` leaves unindexed and one without rejects.
pub fn validate(doc: &Map<String, Value>) -> Result<Option<String>, String> {
    let mut wrong_type: Option<(String, String)> = None;
    walk_leaves(doc, &mut |path, leaf| {
        let Some(leaf) = leaf else {
            return Err(format!("field {path}: expected a value, found an object"));
        };
        let earlier = wrong_type.as_ref().is_some_and(|(p, _)| p.as_str() <= path);
        if !earlier {
            if let Some(message) = type_problem(path, leaf) {
                wrong_type = Some((path.to_owned(), message));
            }
        }
        Ok(())
    })?;
    match wrong_type {
        // A data stream cannot hold a document without a valid @timestamp, whatever the
        // template says about malformed values.
        Some((path, message)) if path == super::names::TIMESTAMP => {
            Err(format!("{message}: a data stream needs a valid @timestamp"))
        }
        other => Ok(other.map(|(_, message)| message)),
    }
}

/// What `walk_leaves` calls for each leaf (`Some`) or object where a value belongs (`None`).
type LeafVisitor<'v, 'a> = dyn FnMut(&str, Option<&'a Value>) -> Result<(), String> + 'v;

/// Calls `visit(path, Some(leaf))` for every leaf of `doc` in document order, and
/// `visit(path, None)` for an object where the mapping wants a value (its contents are not
/// visited). One path buffer serves the whole walk; an `Err` from `visit` stops it.
fn walk_leaves<'a>(
    doc: &'a Map<String, Value>,
    visit: &mut LeafVisitor<'_, 'a>,
) -> Result<(), String> {
    fn walk<'a>(
        path: &mut String,
        value: &'a Value,
        visit: &mut LeafVisitor<'_, 'a>,
    ) -> Result<(), String> {
        match value {
            Value::Null => Ok(()),
            Value::Object(_) if mapping_is_leaf(path) => visit(path, None),
            Value::Object(obj) => {
                let len = path.len();
                for (k, v) in obj {
                    path.truncate(len);
                    path.push('.');
                    path.push_str(k);
                    walk(path, v, visit)?;
                }
                path.truncate(len);
                Ok(())
            }
            Value::Array(items) => items.iter().try_for_each(|item| walk(path, item, visit)),
            leaf => visit(path, Some(leaf)),
        }
    }
    let mut path = String::new();
    for (k, v) in doc {
        path.clear();
        path.push_str(k);
        walk(&mut path, v, visit)?;
    }
    Ok(())
}

/// The values at `path` in `doc`, in document order, however the path is spelled (nested,
/// dotted, or both) and with arrays flattened: the leaves `walk_leaves` visits under `path`,
/// and the objects there too (a `nested` exception entry looks into those). An object where
/// the mapping wants a value is not walked into, as `walk_leaves` does not.
pub fn values_at<'a>(doc: &'a Map<String, Value>, path: &str) -> Vec<&'a Value> {
    let mut out = Vec::new();
    values_below(doc, path, path, &mut out);
    out
}

/// The values of `obj` at `rest`, the part of `path` below `obj`.
fn values_below<'a>(obj: &'a Map<String, Value>, path: &str, rest: &str, out: &mut Vec<&'a Value>) {
    for (k, v) in obj {
        if rest == k {
            flatten(v, out);
        } else if let Some(below) = rest
            .strip_prefix(k.as_str())
            .and_then(|r| r.strip_prefix('.'))
        {
            let here = &path[..path.len() - below.len() - 1];
            descend(v, path, here, below, out);
        }
    }
}

/// Into `v`, found at the path `here`, for the part `below` of `path`.
fn descend<'a>(v: &'a Value, path: &str, here: &str, below: &str, out: &mut Vec<&'a Value>) {
    match v {
        Value::Object(o) if !mapping_is_leaf(here) => values_below(o, path, below, out),
        Value::Array(items) => items
            .iter()
            .for_each(|item| descend(item, path, here, below, out)),
        _ => {}
    }
}

/// `v`, or the items of an array (nested arrays flattened); `null` is no value.
fn flatten<'a>(v: &'a Value, out: &mut Vec<&'a Value>) {
    match v {
        Value::Null => {}
        Value::Array(items) => items.iter().for_each(|item| flatten(item, out)),
        other => out.push(other),
    }
}

/// Why Elasticsearch would reject `v` for the field `path`, if it would.
fn type_problem(path: &str, v: &Value) -> Option<String> {
    match field_type(path) {
        FieldType::Date if super::parse_date_millis(v).is_none() => {
            Some(format!("field {path}: {v} is not a date"))
        }
        FieldType::Long if super::numeric::stored_long(v).is_none() => Some(format!(
            "field {path}: {v} is not a whole number in range (long)"
        )),
        FieldType::Float if super::numeric::stored_float(v).is_none() => {
            Some(format!("field {path}: {v} is not a finite number (float)"))
        }
        _ => None,
    }
}

fn mapping_is_leaf(path: &str) -> bool {
    super::mapping::is_explicitly_mapped(path)
}

/// How a leaf is indexed in a keyword field: strings as they are, numbers and booleans in
/// their JSON text. Strings are borrowed: a script block can be tens of KB.
pub fn leaf_as_keyword(v: &Value) -> Cow<'_, str> {
    match v {
        Value::String(s) => Cow::Borrowed(s),
        other => Cow::Owned(other.to_string()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn of_only_reads_what_the_full_walk_reads() {
        let wanted = [
            "powershell.file.script_block_text",
            "host.name",
            "@timestamp",
            "powershell.total",
            "a.b",
        ];
        for text in [
            r#"{"powershell":{"file":{"script_block_text":"x"}},"host":{"name":"h"}}"#,
            r#"{"powershell.file.script_block_text":"x","powershell":{"file.script_block_text":"y","total":3}}"#,
            r#"{"host":[{"name":"h1"},{"name":["h2",null,["h3"]]}],"host.name":"h4"}"#,
            r#"{"host":{"name":{"deep":"object at a leaf"}},"@timestamp":["t1","t2"]}"#,
            r#"{"a":{"b":{"c":1}},"a.b":null,"powershell":null}"#,
            r#"{"host":{"name":{"inner":"x"}},"host.name.inner":"y"}"#,
        ] {
            let doc: Map<String, Value> = serde_json::from_str(text).unwrap();
            let all = Fields::of_lenient(&doc);
            let only = Fields::of_only(&doc, &wanted);
            for w in wanted {
                assert_eq!(only.get(w), all.get(w), "{w} in {text}");
            }
        }
    }

    fn doc(s: &str) -> Map<String, Value> {
        serde_json::from_str(s).unwrap()
    }

    #[test]
    fn nested_and_dotted_keys_are_one_field() {
        let d =
            doc(r#"{"host":{"os":{"type":"windows"}},"host.name":"a","host.os.family":["x","y"]}"#);
        let f = Fields::of(&d).unwrap();
        assert_eq!(f.first("host.os.type").as_deref(), Some("windows"));
        assert_eq!(f.first("host.name").as_deref(), Some("a"));
        assert_eq!(f.get("host.os.family").len(), 2);
        assert!(!f.has("host.id"));
    }

    #[test]
    fn a_document_of_many_fields_is_read_whole() {
        // More leaves and longer paths than the buffers are first sized for.
        let mut d = Map::new();
        for i in 0..100 {
            d.insert(
                format!("group{}.a.rather.long.field.name.{i:03}", i % 7),
                Value::from(i),
            );
        }
        d.insert("group0.a.rather.long.field.name.000".into(), Value::from(0));
        d.insert("list".into(), serde_json::json!([1, {"x": 2}, [3, 4]]));
        let f = Fields::of_lenient(&d);
        assert_eq!(f.iter().count(), 102);
        for i in 0..100 {
            let path = format!("group{}.a.rather.long.field.name.{i:03}", i % 7);
            assert_eq!(f.get(&path), [&Value::from(i)], "{path}");
        }
        let list: Vec<&Value> = f.get("list").to_vec();
        assert_eq!(list, [&Value::from(1), &Value::from(3), &Value::from(4)]);
        assert_eq!(f.get("list.x"), [&Value::from(2)]);
        assert!(f.get("group0.a").is_empty() && f.get("").is_empty());
        let paths: Vec<&str> = f.iter().map(|(p, _)| p).collect();
        assert!(paths.windows(2).all(|w| w[0] < w[1]));
    }

    #[test]
    fn mixed_nesting_merges_values() {
        let d = doc(r#"{"user":{"id":"S-1"},"user.id":"S-2"}"#);
        let f = Fields::of(&d).unwrap();
        assert_eq!(f.get("user.id").len(), 2);
    }

    #[test]
    fn nulls_are_no_value_and_numbers_become_keywords() {
        let d = doc(r#"{"user":{"id":null},"event":{"code":4104}}"#);
        let f = Fields::of(&d).unwrap();
        assert!(!f.has("user.id"));
        assert_eq!(f.first("event.code").as_deref(), Some("4104"));
    }

    #[test]
    fn wrong_types_are_rejected_with_the_field_named() {
        let bad = doc(r#"{"powershell":{"file":{"script_block_text":{"x":1}}}}"#);
        assert!(Fields::of(&bad)
            .unwrap_err()
            .contains("powershell.file.script_block_text"));
        let bad = doc(r#"{"@timestamp":"yesterday"}"#);
        assert!(Fields::of(&bad).unwrap_err().contains("@timestamp"));
        let bad = doc(r#"{"powershell":{"sequence":"one"}}"#);
        assert!(Fields::of(&bad)
            .unwrap_err()
            .contains("powershell.sequence"));
        let ok = doc(r#"{"powershell":{"sequence":"2"}}"#);
        assert!(Fields::of(&ok).is_ok());
    }

    #[test]
    fn which_problem_is_reported_when_there_are_several() {
        // An object where a value belongs beats any wrong-typed value, wherever it is.
        let d = doc(
            r#"{"@timestamp":"yesterday","powershell":{"file":{"script_block_text":{"x":1}}}}"#,
        );
        assert!(validate(&d).unwrap_err().contains("script_block_text"));
        // Among malformed values, the smallest field path, whatever the document order.
        let d = doc(r#"{"powershell":{"sequence":"one"},"event":{"created":"bad"}}"#);
        let malformed = validate(&d).unwrap().unwrap();
        assert!(malformed.starts_with("field event.created:"), "{malformed}");
        // A bad @timestamp is never left out: the document is refused.
        let d = doc(r#"{"powershell":{"sequence":"one"},"@timestamp":"bad"}"#);
        assert!(validate(&d).unwrap_err().starts_with("field @timestamp:"));
        // Dotted keys and nested objects are the same field.
        let d = doc(r#"{"powershell.sequence":"2","powershell":{"sequence":"x"}}"#);
        assert!(validate(&d)
            .unwrap()
            .unwrap()
            .contains("powershell.sequence"));
        let f = Fields::of_lenient(&d);
        assert_eq!(f.get("powershell.sequence").len(), 2);
        let d = doc(r#"{"powershell":{"file":{"script_block_entropy_bits":"high"}}}"#);
        assert!(validate(&d).unwrap().unwrap().contains("(float)"));
    }
}
