//! 4104 fragment reassembly: PowerShell logs a long script as N fragments sharing one
//! script_block_id (sequence 1..N). Elastic checks each fragment alone; this joins them back,
//! in order, per (host, script_block_id), and says which fragments are missing. Pure.

use crate::ecs::{self, Fields};
use crate::event::Event;
use std::collections::{BTreeMap, HashMap, HashSet};

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
        Some(whole_script_event(
            first.event.clone(),
            &self.script_block_id,
            self.text.clone(),
        ))
    }

    /// [`Script::as_event`] for a script no longer needed: the first fragment's event is taken
    /// and the text moved rather than copied (a stream's scripts are decoded once and let go).
    pub fn into_event(self) -> Option<Event> {
        let first = self.fragments.into_iter().next()?;
        Some(whole_script_event(
            first.event,
            &self.script_block_id,
            self.text,
        ))
    }
}

/// `ev` (a script's first fragment) holding the script's whole `text` instead of its own.
fn whole_script_event(mut ev: Event, script_block_id: &str, text: String) -> Event {
    let mut fields = serde_json::Map::new();
    fields.insert("script_block_text".into(), serde_json::Value::String(text));
    fields.insert("script_block_id".into(), serde_json::json!(script_block_id));
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
    ev
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

/// Groups the multi-fragment 4104 events among `events` into scripts, sorted by (host, id):
/// the events are taken in reading order (`Reassembler`), whatever order they come in.
pub fn reassemble(events: impl IntoIterator<Item = Event>) -> Vec<Script> {
    let mut events: Vec<Event> = events.into_iter().collect();
    events.sort_by_key(|ev| ev.source.ord);
    let mut r = Reassembler::default();
    let mut scripts: Vec<Script> = events.into_iter().filter_map(|ev| r.push(ev)).collect();
    scripts.extend(r.finish());
    scripts.sort_by(|a, b| (&a.host, &a.script_block_id).cmp(&(&b.host, &b.script_block_id)));
    scripts
}

/// Reassembles fragments fed in reading order, handing each script over as soon as all of its
/// fragments are in, so a stream holds only the scripts still open. Per (host, script block
/// id): the first fragment read of each sequence number is kept (exports often hold an event
/// twice); a fragment of a script already complete is passed over (a repeat, or a total that
/// disagrees with the fragments that completed it).
#[derive(Default)]
pub struct Reassembler {
    open: HashMap<(String, String), (u64, BTreeMap<u64, Event>)>,
    done: HashSet<(String, String)>,
}

impl Reassembler {
    /// Takes the next event in reading order; the script it completes, if it does.
    pub fn push(&mut self, ev: Event) -> Option<Script> {
        let f = Fields::of_only(&ev.doc, &PLACE_FIELDS);
        let (id, seq, total) = place(&f)?;
        let key = (f.first(ecs::names::HOST_NAME).unwrap_or_default(), id);
        if self.done.contains(&key) {
            return None;
        }
        let entry = self
            .open
            .entry(key.clone())
            .or_insert_with(|| (total, BTreeMap::new()));
        entry.0 = entry.0.max(total);
        entry.1.entry(seq).or_insert(ev);
        // Sequence numbers are 1..=total and distinct: as many as the total means all.
        if entry.1.len() as u64 != entry.0 {
            return None;
        }
        let (total, frags) = self.open.remove(&key)?;
        self.done.insert(key.clone());
        Some(script(key, total, frags))
    }

    /// The scripts still open at the end (fragments missing), sorted by (host, id).
    pub fn finish(self) -> Vec<Script> {
        let mut open: Vec<_> = self.open.into_iter().collect();
        open.sort_by(|a, b| a.0.cmp(&b.0));
        open.into_iter()
            .map(|(key, (total, frags))| script(key, total, frags))
            .collect()
    }
}

fn script(
    (host, script_block_id): (String, String),
    total: u64,
    frags: BTreeMap<u64, Event>,
) -> Script {
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
        // Complete, then a repeat of the whole script: passed over, not a second script.
        let again = reassemble(vec![
            frag("a", "z", 1, 2, "one "),
            frag("a", "z", 2, 2, "two"),
            frag("a", "z", 1, 2, "one "),
            frag("a", "z", 2, 2, "two"),
        ]);
        assert_eq!(again.len(), 1);
        assert_eq!(again[0].text, "one two");
        let ev = a.as_event().unwrap();
        assert_eq!(
            Fields::of_lenient(&ev.doc).first_str("powershell.file.script_block_text"),
            Some("[K]::VirtualAlloc(0)")
        );
    }
}
