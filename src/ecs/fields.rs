//! Flattened view of a document: every leaf value under its full dotted path.

use super::mapping::{field_type, FieldType};
use serde_json::{Map, Value};
use std::collections::BTreeMap;

/// The leaves of one document by dotted path. Objects inside arrays flatten under the array's
/// path (as Elasticsearch's `object` type does); `null` and empty arrays are no value.
#[derive(Debug, Default)]
pub struct Fields<'a> {
    map: BTreeMap<String, Vec<&'a Value>>,
}

impl<'a> Fields<'a> {
    /// Flattens `doc`. Fails when a field the mapping types as a value (text, keyword, date,
    /// number) holds an object, or a typed field holds a value Elasticsearch would reject: the
    /// message names the field, and the caller skips the record as Elasticsearch would.
    pub fn of(doc: &'a Map<String, Value>) -> Result<Self, String> {
        let mut fields = Fields::default();
        for (k, v) in doc {
            fields.flatten(k.clone(), v)?;
        }
        fields.check_types()?;
        Ok(fields)
    }

    /// Like [`Fields::of`] but never fails: used where the record was already accepted.
    pub fn of_lenient(doc: &'a Map<String, Value>) -> Self {
        let mut fields = Fields::default();
        for (k, v) in doc {
            let _ = fields.flatten(k.clone(), v);
        }
        fields
    }

    fn flatten(&mut self, path: String, value: &'a Value) -> Result<(), String> {
        match value {
            Value::Null => Ok(()),
            Value::Object(obj) => {
                if mapping_is_leaf(&path) {
                    return Err(format!("field {path}: expected a value, found an object"));
                }
                for (k, v) in obj {
                    self.flatten(format!("{path}.{k}"), v)?;
                }
                Ok(())
            }
            Value::Array(items) => {
                for item in items {
                    self.flatten(path.clone(), item)?;
                }
                Ok(())
            }
            leaf => {
                self.map.entry(path).or_default().push(leaf);
                Ok(())
            }
        }
    }

    fn check_types(&self) -> Result<(), String> {
        for (path, values) in &self.map {
            let ty = field_type(path);
            for v in values {
                match ty {
                    FieldType::Date if super::parse_date_millis(v).is_none() => {
                        return Err(format!("field {path}: {v} is not a date"));
                    }
                    FieldType::Long if as_long(v).is_none() => {
                        return Err(format!("field {path}: {v} is not a number"));
                    }
                    _ => {}
                }
            }
        }
        Ok(())
    }

    /// The values of `field` (empty when the field is missing).
    pub fn get(&self, field: &str) -> &[&'a Value] {
        self.map.get(field).map(Vec::as_slice).unwrap_or(&[])
    }

    /// True when the field holds at least one value.
    pub fn has(&self, field: &str) -> bool {
        !self.get(field).is_empty()
    }

    /// First value of `field` in its keyword form.
    pub fn first(&self, field: &str) -> Option<String> {
        self.get(field).first().map(|v| leaf_as_keyword(v))
    }

    /// First value of `field` as a string slice, when it is a JSON string.
    pub fn first_str(&self, field: &str) -> Option<&'a str> {
        self.get(field).iter().find_map(|v| v.as_str())
    }

    /// Every (path, values) pair, sorted by path.
    pub fn iter(&self) -> impl Iterator<Item = (&str, &[&'a Value])> {
        self.map.iter().map(|(k, v)| (k.as_str(), v.as_slice()))
    }
}

fn mapping_is_leaf(path: &str) -> bool {
    super::mapping::is_explicitly_mapped(path)
}

/// A number as Elasticsearch's `long` accepts it: integers, or strings holding one.
pub(crate) fn as_long(v: &Value) -> Option<i64> {
    match v {
        Value::Number(n) => n.as_i64().or_else(|| n.as_f64().map(|f| f.trunc() as i64)),
        Value::String(s) => s.trim().parse::<i64>().ok().or_else(|| {
            s.trim()
                .parse::<f64>()
                .ok()
                .filter(|f| f.is_finite())
                .map(|f| f.trunc() as i64)
        }),
        _ => None,
    }
}

/// A leaf as Elasticsearch's numeric fields read it.
pub fn as_number(v: &Value) -> Option<f64> {
    match v {
        Value::Number(n) => n.as_f64(),
        Value::String(s) => s.trim().parse::<f64>().ok().filter(|f| f.is_finite()),
        _ => None,
    }
}

/// How a leaf is indexed in a keyword field: strings as they are, numbers and booleans in
/// their JSON text.
pub fn leaf_as_keyword(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

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
}
