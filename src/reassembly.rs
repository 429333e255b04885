//! 4104 fragment reassembly: PowerShell logs a long script as N fragments sharing one
//! script_block_id (sequence 1..N). Elastic checks each fragment alone; this joins them back,
//! in order, per (host, script_block_id), and says which fragments are missing. Pure.

use crate::ecs::{self, Fields};
use crate::event::Event;
use std::collections::BTreeMap;

/// One fragment of a script: its sequence number and the event.
#[derive(Clone, Debug)]
pub struct Fragment {
    pub sequence: u64,
    pub event: Event,
}

/// A whole (or partial) script.
#[derive(Clone, Debug)]
pub struct Script {
    pub host: String,
    pub script_block_id: String,
    /// MessageTotal as logged.
    pub total: u64,
    /// Present fragments in sequence order (duplicates dropped).
    pub fragments: Vec<Fragment>,
    /// Sequence numbers that are missing (log rolled over, export cut).
    pub missing: Vec<u64>,
    /// The fragments' texts joined in order (PowerShell splits without adding anything).
    pub text: String,
    /// Byte offset in `text` where each present fragment starts.
    pub boundaries: Vec<usize>,
}

impl Script {
    pub fn is_partial(&self) -> bool {
        !self.missing.is_empty()
    }

    /// The reassembled script as an event: the first fragment's document with the whole text
    /// (what the rules see when they run "beyond Elastic").
    pub fn as_event(&self) -> Option<Event> {
        let first = self.fragments.first()?;
        let mut ev = first.event.clone();
        let mut fields = serde_json::Map::new();
        fields.insert("script_block_text".into(), serde_json::json!(self.text));
        fields.insert(
            "script_block_id".into(),
            serde_json::json!(self.script_block_id),
        );
        let ps = ev
            .doc
            .entry("powershell")
            .or_insert_with(|| serde_json::json!({}));
        if let Some(ps) = ps.as_object_mut() {
            ps.insert("file".into(), serde_json::Value::Object(fields));
            ps.remove("sequence");
        }
        ev.doc.remove("powershell.file.script_block_text");
        ev.doc.remove("powershell.sequence");
        ev.es_id = None;
        Some(ev)
    }
}

/// The fields that say where a fragment goes.
pub const PLACE_FIELDS: [&str; 4] = [
    ecs::names::SCRIPT_BLOCK_ID,
    ecs::names::SEQUENCE,
    ecs::names::TOTAL,
    ecs::names::HOST_NAME,
];

/// Where a fragment goes: its script block id, its sequence number and the total, when it is
/// one of several (read from [`PLACE_FIELDS`]). `None` for anything `reassemble` passes over.
pub fn place(f: &Fields) -> Option<(String, u64, u64)> {
    let id = f.first(ecs::names::SCRIPT_BLOCK_ID)?;
    let seq = f.first(ecs::names::SEQUENCE)?.parse::<u64>().ok()?;
    let total = f.first(ecs::names::TOTAL)?.parse::<u64>().ok()?;
    (total >= 2 && seq != 0 && seq <= total).then_some((id, seq, total))
}

/// Groups the multi-fragment 4104 events among `events` into scripts.
pub fn reassemble(events: impl IntoIterator<Item = Event>) -> Vec<Script> {
    let mut groups: BTreeMap<(String, String), (u64, BTreeMap<u64, Event>)> = BTreeMap::new();
    for ev in events {
        let f = Fields::of_only(&ev.doc, &PLACE_FIELDS);
        let Some((id, seq, total)) = place(&f) else {
            continue;
        };
        let host = f.first(ecs::names::HOST_NAME).unwrap_or_default();
        let entry = groups
            .entry((host, id))
            .or_insert_with(|| (total, BTreeMap::new()));
        entry.0 = entry.0.max(total);
        entry.1.entry(seq).or_insert(ev);
    }
    groups
        .into_iter()
        .map(|((host, script_block_id), (total, frags))| {
            let missing = (1..=total).filter(|s| !frags.contains_key(s)).collect();
            let mut text = String::new();
            let mut boundaries = Vec::new();
            let fragments: Vec<Fragment> = frags
                .into_iter()
                .map(|(sequence, event)| Fragment { sequence, event })
                .collect();
            for fr in &fragments {
                boundaries.push(text.len());
                if let Some(t) = Fields::of_only(&fr.event.doc, &[ecs::names::SCRIPT_BLOCK_TEXT])
                    .first_str(ecs::names::SCRIPT_BLOCK_TEXT)
                {
                    text.push_str(t);
                }
            }
            Script {
                host,
                script_block_id,
                total,
                fragments,
                missing,
                text,
                boundaries,
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::event::SourceRef;

    fn frag(host: &str, id: &str, seq: u64, total: u64, text: &str) -> Event {
        let doc = serde_json::json!({"host": {"name": host}, "powershell": {"sequence": seq, "total": total,
            "file": {"script_block_id": id, "script_block_text": text}}});
        Event {
            doc: doc.as_object().cloned().unwrap(),
            es_id: None,
            es_index: None,
            source: SourceRef::line("t", seq),
        }
    }

    #[test]
    fn fragments_join_in_order_per_host_and_id() {
        let s = reassemble(vec![
            frag("a", "x", 2, 3, "Alloc("),
            frag("a", "x", 1, 3, "[K]::Virtual"),
            frag("a", "x", 3, 3, "0)"),
            frag("b", "x", 1, 2, "other host"),
            frag("a", "x", 2, 3, "duplicate"),
            frag("a", "y", 1, 1, "single fragment scripts are not grouped"),
        ]);
        assert_eq!(s.len(), 2);
        let a = &s[0];
        assert_eq!(a.text, "[K]::VirtualAlloc(0)");
        assert_eq!(a.boundaries, [0, 12, 18]);
        assert!(!a.is_partial());
        assert_eq!(s[1].missing, [2]);
        let ev = a.as_event().unwrap();
        assert_eq!(
            Fields::of_lenient(&ev.doc).first_str("powershell.file.script_block_text"),
            Some("[K]::VirtualAlloc(0)")
        );
    }
}
