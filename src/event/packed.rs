//! `PackedEvent`: an event kept compactly while it waits in a list of alerts — its document
//! serialized and LZ4-compressed, the bytes shared by every alert of the same event — and
//! unpacked when someone reads the document (an output line, a detail pane, an exception).
//!
//! A parsed document is a tree of small allocations several times the size of its JSON; with
//! Elastic's whole PowerShell rule set an export raises an alert for one event in three, and
//! each alert held such a tree. Where an event came from stays unpacked: sorting and listing
//! alerts never unpack. Must not read files: the bytes are all it has.

use super::{Event, SourceRef};
use serde_json::{Map, Value};
use std::sync::Arc;

/// An event whose document is packed (see the module header).
#[derive(Clone, Debug)]
pub struct PackedEvent {
    pub source: SourceRef,
    /// Elasticsearch `_id`, when the export carried one.
    pub es_id: Option<String>,
    /// Elasticsearch `_index`, when the export carried one.
    pub es_index: Option<String>,
    doc: Arc<[u8]>,
}

impl PackedEvent {
    /// Packs `event`'s document (the event itself is left as it is).
    pub fn pack(event: &Event) -> Self {
        // Serializing a `Map` of JSON values cannot fail: keys are strings, numbers finite.
        let json = serde_json::to_vec(&event.doc).unwrap_or_default();
        PackedEvent {
            source: event.source.clone(),
            es_id: event.es_id.clone(),
            es_index: event.es_index.clone(),
            doc: lz4_flex::compress_prepend_size(&json).into(),
        }
    }

    /// The document, unpacked: equal to the one packed (key order and numbers included).
    pub fn doc(&self) -> Map<String, Value> {
        // The bytes are ours and never change, so neither step can fail; should one ever,
        // an empty document shows no fields rather than ending the program.
        let unpacked = lz4_flex::decompress_size_prepended(&self.doc).ok();
        let doc = unpacked.and_then(|json| serde_json::from_slice(&json).ok());
        debug_assert!(doc.is_some(), "a packed event did not unpack");
        doc.unwrap_or_default()
    }

    /// The document as the JSON text it was packed as: compact, as `serde_json` writes it.
    pub fn json(&self) -> String {
        let unpacked = lz4_flex::decompress_size_prepended(&self.doc).ok();
        let text = unpacked.and_then(|json| String::from_utf8(json).ok());
        debug_assert!(text.is_some(), "a packed event did not unpack");
        text.unwrap_or_else(|| "{}".to_owned())
    }

    /// The whole event, unpacked.
    pub fn unpack(&self) -> Event {
        Event {
            doc: self.doc(),
            es_id: self.es_id.clone(),
            es_index: self.es_index.clone(),
            source: self.source.clone(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn event(doc: Value) -> Event {
        Event {
            doc: doc.as_object().cloned().unwrap_or_default(),
            es_id: Some("abc".into()),
            es_index: Some(".ds-logs-windows.powershell_operational-default".into()),
            source: SourceRef {
                record: Some(7),
                ord: 41,
                ..SourceRef::line("exports/a.ndjson", 12)
            },
        }
    }

    #[test]
    fn unpacks_to_the_event_packed() {
        let doc = json!({
            "@timestamp": "2024-05-20T00:01:28.900Z",
            "powershell": {"file": {"script_block_text": "Write-Host \"é\u{1F525}\"\r\n\t`$x"}},
            "powershell.sequence": 1,
            "numbers": [0.1, 1e300, -0.0, 18446744073709551615u64, -9223372036854775808i64, 2.5e-308],
            "empty": {}, "none": null, "flags": [true, false],
            "z": 1, "a": 2
        });
        let original = event(doc);
        let packed = PackedEvent::pack(&original);
        let back = packed.unpack();
        assert_eq!(back.doc, original.doc);
        assert_eq!(back.es_id, original.es_id);
        assert_eq!(back.es_index, original.es_index);
        assert_eq!(back.source, original.source);
        assert_eq!(back.source.ord, 41);
        // The same bytes when written out again: output lines do not change.
        assert_eq!(
            serde_json::to_string(&back.doc).unwrap(),
            serde_json::to_string(&original.doc).unwrap()
        );
        assert_eq!(back.identity(), original.identity());
    }

    #[test]
    fn a_script_text_packs_smaller_than_it_is() {
        let script = "$h = [Kernel32]::OpenProcess(0x1F0FFF, $false, $pid)\n".repeat(200);
        let packed = PackedEvent::pack(&event(json!({ "script": script })));
        assert!(packed.doc.len() * 4 < script.len(), "{}", packed.doc.len());
    }

    #[test]
    fn clones_share_the_packed_bytes() {
        let packed = PackedEvent::pack(&event(json!({"a": "b"})));
        let copy = packed.clone();
        assert!(Arc::ptr_eq(&packed.doc, &copy.doc));
    }
}
