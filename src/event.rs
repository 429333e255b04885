//! `Event`: one source document as loaded, plus where it came from and a stable identity.
//!
//! Holds the document exactly as read (nested objects and dotted keys both allowed); field
//! access goes through [`crate::ecs::Fields`]. Knows nothing about indexes or rules, and reads
//! no file but the scratch file a streaming scan spills packed documents to (`Spill`).

mod packed;
mod spill;

pub use packed::PackedEvent;
use serde_json::{Map, Value};
use sha2::{Digest, Sha256};
pub use spill::Spill;
use std::fmt;
use std::sync::Arc;

/// Where an event came from: the file, and the 1-based line and/or the position in a JSON
/// array or `_search` response.
#[derive(Clone, Debug, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct SourceRef {
    /// Shared by the events of one file (each alert holds one).
    pub path: Arc<str>,
    /// 1-based line of the record (absent for pretty-printed whole-file documents).
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub line: Option<u64>,
    /// 0-based index in a JSON array or in `hits.hits`.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub index: Option<u64>,
    /// EVTX record id.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub record: Option<u64>,
    /// Position in the whole load (0-based, in reading order): orders alerts with equal times
    /// the same way whether they come from the index or from streaming.
    #[serde(skip)]
    pub ord: u64,
}

impl SourceRef {
    pub fn line(path: &str, line: u64) -> Self {
        SourceRef::at_line(&Arc::from(path), line)
    }

    /// Line `line` of the file whose shared path is `path`.
    pub fn at_line(path: &Arc<str>, line: u64) -> Self {
        SourceRef {
            path: path.clone(),
            line: Some(line),
            ..SourceRef::default()
        }
    }
}

impl fmt::Display for SourceRef {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.path)?;
        if let Some(line) = self.line {
            write!(f, ":{line}")?;
        }
        if let Some(index) = self.index {
            write!(f, "[{index}]")?;
        }
        if let Some(record) = self.record {
            write!(f, "#record{record}")?;
        }
        Ok(())
    }
}

/// A loaded document.
#[derive(Clone, Debug)]
pub struct Event {
    /// The `_source` document.
    pub doc: Map<String, Value>,
    /// Elasticsearch `_id`, when the export carried one.
    pub es_id: Option<String>,
    /// Elasticsearch `_index`, when the export carried one.
    pub es_index: Option<String>,
    pub source: SourceRef,
}

impl Event {
    /// The event's identity: `_id` when present, else a hash of the document's canonical content
    /// (keys sorted), so moving or re-exporting the files keeps it.
    pub fn identity(&self) -> String {
        match &self.es_id {
            Some(id) => format!("id:{id}"),
            None => format!("sha256:{}", content_hash(&self.doc)),
        }
    }
}

/// Hex SHA-256 of the document serialized with its keys sorted at every level, so the same
/// content hashes the same whatever order the export wrote its keys in.
pub fn content_hash(doc: &Map<String, Value>) -> String {
    // Serialized into the hasher through a buffer: no copy of the whole document is built,
    // and the hasher is not called for every comma and every piece of an escaped string.
    let mut hasher = Sha256::new();
    {
        let mut out = std::io::BufWriter::with_capacity(8 << 10, &mut hasher);
        write_canonical_object(doc, &mut out);
        let _ = std::io::Write::flush(&mut out);
    }
    hex(&hasher.finalize()[..16])
}

fn write_canonical_object(map: &Map<String, Value>, out: &mut impl std::io::Write) {
    // Sorted as pairs: looking each key up again would hash it once more.
    let mut entries: Vec<(&String, &Value)> = map.iter().collect();
    entries.sort_unstable_by(|a, b| a.0.cmp(b.0));
    let _ = out.write_all(b"{");
    for (i, (k, v)) in entries.into_iter().enumerate() {
        if i > 0 {
            let _ = out.write_all(b",");
        }
        let _ = serde_json::to_writer(&mut *out, k);
        let _ = out.write_all(b":");
        write_canonical(v, out);
    }
    let _ = out.write_all(b"}");
}

fn write_canonical(v: &Value, out: &mut impl std::io::Write) {
    match v {
        Value::Object(m) => write_canonical_object(m, out),
        Value::Array(items) => {
            let _ = out.write_all(b"[");
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    let _ = out.write_all(b",");
                }
                write_canonical(item, out);
            }
            let _ = out.write_all(b"]");
        }
        scalar => {
            let _ = serde_json::to_writer(&mut *out, scalar);
        }
    }
}

/// Lower-case hex of some bytes.
pub fn hex(bytes: &[u8]) -> String {
    use std::fmt::Write;
    let mut s = String::with_capacity(bytes.len() * 2);
    for b in bytes {
        let _ = write!(s, "{b:02x}");
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn identity_ignores_key_order_and_location() {
        let a: Map<String, Value> = serde_json::from_str(r#"{"a":1,"b":{"c":2}}"#).unwrap();
        let b: Map<String, Value> = serde_json::from_str(r#"{"b":{"c":2},"a":1}"#).unwrap();
        let ea = Event {
            doc: a,
            es_id: None,
            es_index: None,
            source: SourceRef::line("x", 1),
        };
        let eb = Event {
            doc: b,
            es_id: None,
            es_index: None,
            source: SourceRef::line("y", 9),
        };
        assert_eq!(ea.identity(), eb.identity());
        let ec = Event {
            es_id: Some("abc".into()),
            ..ea.clone()
        };
        assert_eq!(ec.identity(), "id:abc");
    }
}
