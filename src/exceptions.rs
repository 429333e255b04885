//! Kibana rule exceptions, offline. Reads exception-list exports (Kibana's
//! `POST /api/exception_lists/_export` NDJSON: list containers, items, a summary line), decides
//! which alerts an item suppresses as Elastic's detection engine does, and writes lists back in
//! that format so Kibana imports them unchanged.
//!
//! The engine turns a rule's exception items into one `must_not` beside the rule query: an alert
//! is suppressed when every entry of any one item holds (items ORed, entries ANDed). Each entry
//! is the query Kibana's `buildExceptionFilter` makes of it (`match` → `match_phrase`,
//! `match_any` → `match_phrase`s ORed, `exists`, `wildcard` → a plain `wildcard` query, `nested`
//! → a `nested` query); `excluded` negates it, so "is not" holds on an event that lacks the
//! field. Expired items no longer apply; an item with `os_types` also needs `host.os.type` (or
//! `host.os.name.caseless`) to be one of them.
//!
//! Pure apart from reading and writing the files it is given: no terminal, no index.
//!
//! Sources that decide the semantics (read, not copied):
//! - elastic/kibana `x-pack/solutions/security/plugins/lists/server/services/exception_lists/
//!   build_exception_filter.ts` — items ORed into one negated filter, entries ANDed, the query
//!   each entry type and operator becomes, `os_types` as `host.os.type` /
//!   `host.os.name.caseless` alternatives, expired items removed against the run's start;
//! - `.../exception_lists/export_exception_list_and_items.ts` and
//!   `.../utils/import/create_exceptions_stream_logic.ts` — the export's lines (container, items,
//!   summary) and how import tells them apart;
//! - `packages/kbn-securitysolution-io-ts-list-types/src/common/` — entry shapes (`nested` has no
//!   operator and holds only match / match_any / exists; `list` cannot mix with other entries);
//! - Elastic Security docs, "Add and manage exceptions" — exceptions are case-sensitive, wildcard
//!   escapes (`\`, `\*`, `\?`), value lists; Elasticsearch docs on `match_phrase` and the
//!   `wildcard` query (not normalized, case-sensitive unless `case_insensitive`).

pub mod case;
mod entry;
mod file;
mod matcher;

pub use case::case_file;
pub use entry::{Entry, Operator};
pub use file::{export, parse, read, ExceptionFile, Item, List, Problem};
pub use matcher::item_holds;

use crate::analysis::Analyzer;
use crate::rule::Rule;
use std::collections::HashSet;

/// The item that suppressed an alert. Ordered by name, then list and item id.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct Suppression {
    pub item_name: String,
    pub list_id: String,
    pub item_id: String,
}

/// How many of `alerts` each item suppressed, in name order.
pub fn tally(alerts: &[crate::alert::Alert]) -> Vec<(&Suppression, usize)> {
    let mut by_item: std::collections::BTreeMap<&Suppression, usize> = Default::default();
    for s in alerts.iter().filter_map(|a| a.suppressed_by.as_ref()) {
        *by_item.entry(s).or_default() += 1;
    }
    by_item.into_iter().collect()
}

/// Every exception item loaded. A list that a loaded rule names in its `exceptions_list` (by
/// list id and namespace) applies to the rules that name it, as in Kibana; a list no loaded
/// rule names applies to every rule (an analyst's `--exceptions` file, the case's own list).
#[derive(Default)]
pub struct Exceptions {
    items: Vec<Item>,
}

impl Exceptions {
    /// Adds the usable items of `file` (its problems are the caller's to show).
    pub fn add(&mut self, file: ExceptionFile) {
        self.items.extend(file.items);
    }

    /// Adds one item (made in the TUI and saved to the case's list).
    pub fn add_item(&mut self, item: Item) {
        self.items.push(item);
    }

    pub fn is_empty(&self) -> bool {
        self.items.is_empty()
    }

    /// Items not expired at `now_ms`.
    pub fn in_force(&self, now_ms: i64) -> usize {
        self.items.iter().filter(|i| !i.expired(now_ms)).count()
    }

    /// Marks every alert that an item suppresses, at `now_ms` (items expired by then do not
    /// apply: Kibana checks expiry against the rule run's start).
    pub fn mark(
        &self,
        alerts: &mut [crate::alert::Alert],
        rules: &[Rule],
        analyzer: Analyzer,
        now_ms: i64,
    ) {
        if self.items.is_empty() {
            return;
        }
        let mut read: Vec<&str> = self.items.iter().flat_map(Item::fields).collect();
        read.sort_unstable();
        read.dedup();
        let named: HashSet<(&str, &str)> = rules
            .iter()
            .flat_map(|r| &r.meta.exceptions_list)
            .map(|l| (l.list_id.as_str(), l.namespace_type.as_str()))
            .collect();
        for a in alerts {
            let Some(rule) = rules.get(a.rule) else {
                continue;
            };
            let applies = |item: &&Item| {
                !item.expired(now_ms)
                    && (!named.contains(&(item.list_id.as_str(), item.namespace_type.as_str()))
                        || rule.meta.exceptions_list.iter().any(|l| {
                            l.list_id == item.list_id && l.namespace_type == item.namespace_type
                        }))
            };
            let mut items = self.items.iter().filter(applies).peekable();
            // The event is unpacked only for an alert that some item may suppress.
            a.suppressed_by = match items.peek() {
                None => None,
                Some(_) => suppressing(items, &read, &a.event.doc(), analyzer).map(Box::new),
            };
        }
    }
}

/// The first of `items` that suppresses the event `doc`; `read` are the fields they read.
fn suppressing<'i>(
    mut items: impl Iterator<Item = &'i Item>,
    read: &[&str],
    doc: &serde_json::Map<String, serde_json::Value>,
    analyzer: Analyzer,
) -> Option<Suppression> {
    let fields = crate::ecs::Fields::of_only(doc, read);
    items
        .find(|item| item_holds(item, doc, &fields, analyzer))
        .map(|item| Suppression {
            list_id: item.list_id.clone(),
            item_id: item.item_id.clone(),
            item_name: item.name.clone(),
        })
}

/// Now, in epoch milliseconds (the reference time for `expire_time`).
pub fn now_ms() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX))
        .unwrap_or(0)
}
