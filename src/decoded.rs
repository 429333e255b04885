//! What the rules find inside decoded layers, and which logged script block a decoded layer is.
//! PowerShell logs the text it is about to run: when a loader's `IEX` runs a decoded payload, the
//! payload is logged as its own 4104 block on the same host, and its text equals the decoded
//! layer (after trimming). Linking the two lets the analyst follow loader → payload.
//!
//! Pure: takes events, rules and decode trees, returns findings and links. Decoding is
//! `decode`'s job; finding the events is `detect`'s. Never part of an Elastic-exact result: a
//! finding here is `AlertKind::Decoded`, beyond what Elastic raises.

use crate::alert::{self, Alert, AlertKind};
use crate::analysis::Analyzer;
use crate::decode::Tree;
use crate::ecs::{self, Fields};
use crate::event::Event;
use crate::rule::kql::PlanSet;
use crate::rule::Rule;
use rustc_hash::{FxHashMap, FxHasher};
use serde_json::{Map, Value};
use std::hash::{Hash, Hasher};

/// `event` with its script text replaced by `text`: every other field (host, user, time,
/// category…) and the source stay the outer event's, so a rule reads the decoded text in the
/// context it was logged in.
pub fn with_script_text(event: &Event, text: &str) -> Event {
    // Copied without the old text: it may be megabytes, and a loader has a layer per step.
    let mut out = Event {
        doc: without_path(&event.doc, ecs::names::SCRIPT_BLOCK_TEXT),
        es_id: event.es_id.clone(),
        es_index: event.es_index.clone(),
        source: event.source.clone(),
    };
    // Written back nested: `Fields` reads nested and dotted keys alike.
    let mut node = &mut out.doc;
    let mut parts = ecs::names::SCRIPT_BLOCK_TEXT.split('.').peekable();
    while let Some(part) = parts.next() {
        if parts.peek().is_none() {
            node.insert(part.to_owned(), Value::String(text.to_owned()));
            break;
        }
        let entry = node
            .entry(part.to_owned())
            .or_insert_with(|| Value::Object(Map::new()));
        if !entry.is_object() {
            *entry = Value::Object(Map::new());
        }
        match entry {
            Value::Object(next) => node = next,
            _ => break,
        }
    }
    out
}

/// A copy of `map` without `path`, however it is spelled: nested, dotted, or dotted below a
/// nested prefix (`{"powershell": {"file.script_block_text": …}}`).
fn without_path(map: &Map<String, Value>, path: &str) -> Map<String, Value> {
    map.iter()
        .filter(|(key, _)| key.as_str() != path)
        .map(|(key, value)| {
            let rest = path
                .strip_prefix(key.as_str())
                .and_then(|r| r.strip_prefix('.'));
            let copy = match (rest, value) {
                (Some(rest), Value::Object(inner)) => Value::Object(without_path(inner, rest)),
                _ => value.clone(),
            };
            (key.clone(), copy)
        })
        .collect()
}

/// How a text is compared with logged blocks: trimmed, as PowerShell logs a script it runs.
/// What `LoggedBlocks` keeps of a text: a hash of it, trimmed.
pub fn text_key(text: &str) -> u64 {
    let mut h = FxHasher::default();
    text.trim().hash(&mut h);
    h.finish()
}

/// The logged script blocks of a case by (host, text), to find what a decoded layer was logged
/// as. Holds hashes and ids only, not the texts.
#[derive(Default)]
pub struct LoggedBlocks {
    /// Host → text key → script block id. By host first, so that a lookup borrows the host
    /// instead of building a key (tens of thousands of blocks are added and looked up).
    by_host: FxHashMap<String, FxHashMap<u64, String>>,
}

impl LoggedBlocks {
    /// Records the block `script_block_id` of `host` with `text` (the first one of a text wins).
    pub fn add(&mut self, host: &str, text: &str, script_block_id: &str) {
        self.add_key(host, text_key(text), script_block_id);
    }

    /// `add` with the text already hashed by [`text_key`].
    pub fn add_key(&mut self, host: &str, key: u64, script_block_id: &str) {
        match self.by_host.get_mut(host) {
            Some(texts) => {
                texts
                    .entry(key)
                    .or_insert_with(|| script_block_id.to_owned());
            }
            None => {
                let texts = FxHashMap::from_iter([(key, script_block_id.to_owned())]);
                self.by_host.insert(host.to_owned(), texts);
            }
        }
    }

    /// The script block id of `host` whose text is `text`, other than `not` (the block the text
    /// was decoded from).
    pub fn find(&self, host: &str, text: &str, not: Option<&str>) -> Option<&str> {
        self.by_host
            .get(host)?
            .get(&text_key(text))
            .map(String::as_str)
            .filter(|id| Some(*id) != not)
    }
}

/// Fills in `logged_as` on decoded findings made before every block was known (a streaming
/// worker decodes a loader before it may have read the block its payload was logged as).
pub fn link_logged(findings: &mut [Alert], logged: &LoggedBlocks) {
    for a in findings {
        let doc = a.event.doc();
        let f = Fields::of_only(
            &doc,
            &[
                ecs::names::HOST_NAME,
                ecs::names::SCRIPT_BLOCK_ID,
                ecs::names::SCRIPT_BLOCK_TEXT,
            ],
        );
        if let AlertKind::Decoded { logged_as, .. } = &mut a.kind {
            let host = f.first(ecs::names::HOST_NAME).unwrap_or_default();
            let text = f.first(ecs::names::SCRIPT_BLOCK_TEXT).unwrap_or_default();
            let own = f.first(ecs::names::SCRIPT_BLOCK_ID);
            *logged_as = logged.find(&host, &text, own.as_deref()).map(str::to_owned);
        }
    }
}

/// The findings of `rules` on the decoded layers of `event` (whose script text `tree` was
/// decoded from): for each rule that does not match the logged text, the first layer
/// (outermost first) it matches. `fired` lists the rules that match the logged text when the
/// caller has just checked it; else a rule is checked on the logged text only once it matches a
/// layer (most layered texts give no finding, and a reassembled script may be megabytes).
/// `logged_as` is left empty for [`link_logged`], which needs every block of the case.
/// `plans` is `PlanSet::new` of the rules' plans, made once for the pass.
pub fn findings(
    rules: &[Rule],
    plans: &PlanSet,
    event: &Event,
    tree: &Tree,
    analyzer: Analyzer,
    fired: Option<&[usize]>,
) -> Vec<Alert> {
    let mut fired_on_logged = fired.map(<[usize]>::to_vec);
    let mut out = Vec::new();
    let mut pending: Vec<usize> = (0..rules.len())
        .filter(|i| fired.is_none_or(|f| !f.contains(i)))
        .collect();
    for (layer, text) in tree.texts() {
        if pending.is_empty() {
            break;
        }
        let decoded = with_script_text(event, text);
        for mut a in alert::check_all(rules, plans, &decoded, analyzer) {
            let Some(at) = pending.iter().position(|&i| i == a.rule) else {
                continue;
            };
            pending.remove(at);
            let on_logged = fired_on_logged.get_or_insert_with(|| {
                alert::check_all(rules, plans, event, analyzer)
                    .iter()
                    .map(|a| a.rule)
                    .collect()
            });
            if on_logged.contains(&a.rule) {
                continue;
            }
            a.kind = AlertKind::Decoded {
                layers: tree
                    .chain(layer)
                    .iter()
                    .map(|k| k.name().to_owned())
                    .collect(),
                logged_as: None,
                logged_text: logged_text(event),
            };
            out.push(a);
        }
    }
    out
}

/// The script text `event` was logged with.
fn logged_text(event: &Event) -> String {
    Fields::of_only(&event.doc, &[ecs::names::SCRIPT_BLOCK_TEXT])
        .first(ecs::names::SCRIPT_BLOCK_TEXT)
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn event(doc: serde_json::Value) -> Event {
        Event {
            doc: doc.as_object().unwrap().clone(),
            es_id: None,
            es_index: None,
            source: Default::default(),
        }
    }

    #[test]
    fn the_script_text_is_replaced_in_nested_and_dotted_documents() {
        let nested = event(serde_json::json!({
            "host": {"name": "h"},
            "powershell": {"file": {"script_block_text": "outer", "script_block_id": "x"}}
        }));
        let dotted = event(serde_json::json!({
            "host.name": "h",
            "powershell.file.script_block_text": "outer",
            "powershell.file.script_block_id": "x"
        }));
        for e in [nested, dotted] {
            let d = with_script_text(&e, "inner");
            let f = Fields::of_lenient(&d.doc);
            assert_eq!(f.get(ecs::names::SCRIPT_BLOCK_TEXT).len(), 1);
            assert_eq!(
                f.first(ecs::names::SCRIPT_BLOCK_TEXT).as_deref(),
                Some("inner")
            );
            assert_eq!(f.first(ecs::names::SCRIPT_BLOCK_ID).as_deref(), Some("x"));
            assert_eq!(f.first(ecs::names::HOST_NAME).as_deref(), Some("h"));
        }
    }

    #[test]
    fn logged_blocks_match_trimmed_text_on_the_same_host_only() {
        let mut l = LoggedBlocks::default();
        l.add("h1", "Write-Host hi\r\n", "payload");
        assert_eq!(l.find("h1", "  Write-Host hi", None), Some("payload"));
        assert_eq!(l.find("h2", "Write-Host hi", None), None);
        assert_eq!(l.find("h1", "Write-Host hi", Some("payload")), None);
    }
}
