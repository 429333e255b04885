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

pub mod case;
mod entry;
mod file;
mod matcher;

pub use case::case_file;
pub use entry::{Entry, Operator};
pub use file::{export, parse, read, ExceptionFile, Item, List, Problem};
pub use matcher::{item_holds, wildcard_matches};

use crate::analysis::Analyzer;
use crate::event::Event;
use crate::rule::Rule;

/// Which rules a list's items apply to.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Scope {
    /// Every loaded rule (`--exceptions`, the case's own `exceptions.ndjson`).
    AllRules,
    /// Only the rules whose `exceptions_list` names the list.
    Referenced,
}

/// The item that suppressed an alert.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Suppression {
    pub list_id: String,
    pub item_id: String,
    pub item_name: String,
}

/// Every exception item in force, with the scope of the file it came from.
#[derive(Default)]
pub struct Exceptions {
    items: Vec<(Item, Scope)>,
}

impl Exceptions {
    /// Adds the usable items of `file` (its problems are the caller's to show).
    pub fn add(&mut self, file: ExceptionFile, scope: Scope) {
        self.items
            .extend(file.items.into_iter().map(|item| (item, scope.clone())));
    }

    /// Adds one item (made in the TUI and saved to the case's list).
    pub fn add_item(&mut self, item: Item, scope: Scope) {
        self.items.push((item, scope));
    }

    pub fn is_empty(&self) -> bool {
        self.items.is_empty()
    }

    pub fn items(&self) -> impl Iterator<Item = &Item> {
        self.items.iter().map(|(item, _)| item)
    }

    /// The first item of `rule` that suppresses `event`, at `now_ms` (items expired by then
    /// do not apply, as Kibana checks expiry against the rule run's start).
    pub fn suppressing(
        &self,
        rule: &Rule,
        event: &Event,
        analyzer: Analyzer,
        now_ms: i64,
    ) -> Option<Suppression> {
        let fields = crate::ecs::Fields::of_lenient(&event.doc);
        self.items
            .iter()
            .filter(|(item, scope)| applies_to(item, scope, rule) && !item.expired(now_ms))
            .find(|(item, _)| item_holds(item, &event.doc, &fields, analyzer))
            .map(|(item, _)| Suppression {
                list_id: item.list_id.clone(),
                item_id: item.item_id.clone(),
                item_name: item.name.clone(),
            })
    }

    /// Marks every alert that an item suppresses.
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
        for a in alerts {
            if let Some(rule) = rules.get(a.rule) {
                a.suppressed_by = self.suppressing(rule, &a.event, analyzer, now_ms);
            }
        }
    }
}

fn applies_to(item: &Item, scope: &Scope, rule: &Rule) -> bool {
    match scope {
        Scope::AllRules => true,
        Scope::Referenced => rule
            .meta
            .exceptions_list
            .iter()
            .any(|r| r.list_id == item.list_id && r.namespace_type == item.namespace_type),
    }
}

/// Now, in epoch milliseconds (the reference time for `expire_time`).
pub fn now_ms() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX))
        .unwrap_or(0)
}
