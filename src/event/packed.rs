//! `PackedEvent`: an event kept compactly while it waits in a list of alerts — its document
//! serialized and LZ4-compressed, the bytes shared by every alert of the same event — and
//! unpacked when someone reads the document (an output line, a detail pane, an exception).
//!
//! A parsed document is a tree of small allocations several times the size of its JSON; with
//! Elastic's whole PowerShell rule set an export raises an alert for one event in three, and
//! each alert held such a tree. Where an event came from stays unpacked: sorting and listing
//! alerts never unpack. A streaming scan moves the packed bytes out to its scratch file
//! ([`PackedEvent::spill_to`]); they are then read back from there, and from nowhere else.

use super::spill::Spill;
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
    doc: Packed,
}

/// Where the packed bytes are.
#[derive(Clone, Debug)]
enum Packed {
    /// In memory, shared by the clones.
    Here(Arc<[u8]>),
    /// `len` bytes at `at` in a scratch file.
    Spilled {
        spill: Arc<Spill>,
        at: u64,
        len: usize,
    },
}

#[cfg(test)]
impl Packed {
    /// How many packed bytes there are, wherever they are.
    fn len(&self) -> usize {
        match self {
            Packed::Here(bytes) => bytes.len(),
            Packed::Spilled { len, .. } => *len,
        }
    }
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
            doc: Packed::Here(lz4_flex::compress_prepend_size(&json).into()),
        }
    }

    /// The document, unpacked: equal to the one packed (key order and numbers included).
    pub fn doc(&self) -> Map<String, Value> {
        // The bytes are ours and never change, so no step can fail; should one ever (the
        // scratch file's disk failing under it), an empty document shows no fields rather
        // than ending the program.
        let doc = self
            .unpacked()
            .and_then(|json| serde_json::from_slice(&json).ok());
        debug_assert!(doc.is_some(), "a packed event did not unpack");
        doc.unwrap_or_default()
    }

    /// The document as the JSON text it was packed as: compact, as `serde_json` writes it.
    pub fn json(&self) -> String {
        let text = self
            .unpacked()
            .and_then(|json| String::from_utf8(json).ok());
        debug_assert!(text.is_some(), "a packed event did not unpack");
        text.unwrap_or_else(|| "{}".to_owned())
    }

    /// The document's JSON bytes, decompressed from wherever they are.
    fn unpacked(&self) -> Option<Vec<u8>> {
        match &self.doc {
            Packed::Here(bytes) => lz4_flex::decompress_size_prepended(bytes).ok(),
            Packed::Spilled { spill, at, len } => {
                let bytes = spill.get(*at, *len).ok()?;
                lz4_flex::decompress_size_prepended(&bytes).ok()
            }
        }
    }

    /// Moves the packed bytes of `events` out to `spill`, each shared set once (clones of one
    /// packed event are usually next to each other, as the alerts of one event are): the
    /// events then hold only where their bytes are. All are written at once; should that
    /// fail, they stay in memory, as they were.
    pub fn spill_to<'a>(events: impl IntoIterator<Item = &'a mut PackedEvent>, spill: &Arc<Spill>) {
        let mut batch: Vec<u8> = Vec::new();
        let mut moved: Vec<(&'a mut PackedEvent, usize, usize)> = Vec::new();
        let mut last: Option<(Arc<[u8]>, usize)> = None;
        for ev in events {
            let Packed::Here(bytes) = &ev.doc else {
                continue;
            };
            let start = match &last {
                Some((prev, start)) if Arc::ptr_eq(prev, bytes) => *start,
                _ => {
                    let start = batch.len();
                    batch.extend_from_slice(bytes);
                    last = Some((bytes.clone(), start));
                    start
                }
            };
            let len = bytes.len();
            moved.push((ev, start, len));
        }
        drop(last);
        if moved.is_empty() {
            return;
        }
        let Ok(base) = spill.put(&batch) else { return };
        for (ev, start, len) in moved {
            ev.doc = Packed::Spilled {
                spill: spill.clone(),
                at: base + start as u64,
                len,
            };
        }
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
        let (Packed::Here(a), Packed::Here(b)) = (&packed.doc, &copy.doc) else {
            panic!("packed in memory");
        };
        assert!(Arc::ptr_eq(a, b));
    }

    #[cfg(unix)]
    #[test]
    fn spilled_events_unpack_to_what_was_packed_and_shared_bytes_are_written_once() {
        let spill = Arc::new(Spill::new().unwrap());
        let first = PackedEvent::pack(&event(json!({"n": 1, "text": "a".repeat(300)})));
        let second = PackedEvent::pack(&event(json!({"n": 2, "s": "\u{1F525}é"})));
        let originals = [first.clone(), first.clone(), second.clone(), first.clone()];
        let mut events = originals.clone();
        PackedEvent::spill_to(events.iter_mut(), &spill);
        for (spilled, original) in events.iter().zip(&originals) {
            assert!(matches!(spilled.doc, Packed::Spilled { .. }));
            assert_eq!(spilled.json(), original.json());
            assert_eq!(spilled.unpack().doc, original.unpack().doc);
            assert_eq!(spilled.source, original.source);
        }
        // The first two share their bytes; the fourth is the first's again but not next to
        // it, so it is written a second time.
        let size = |p: &PackedEvent| p.doc.len() as u64;
        assert_eq!(spill.len(), 2 * size(&first) + size(&second));
        // Spilling again writes nothing more.
        PackedEvent::spill_to(events.iter_mut(), &spill);
        assert_eq!(spill.len(), 2 * size(&first) + size(&second));
    }
}
