//! `x` on an alert: an exception item proposed from the alert's fields, edited entry by entry,
//! with its impact on the loaded alerts recomputed at every change — how many it would
//! suppress, on how many hosts and users, by rule, and which — before it is saved. Pure: the
//! state, its key handling and the impact; drawing is `views::exception`, saving the runner's.

use crate::alert::Alert;
use crate::ecs::{self, Fields};
use crate::exceptions::{self, Entry, Item, Operator};
use crate::i18n::tf;
use crate::workspace::Workspace;
use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use std::collections::{BTreeMap, BTreeSet};

/// One proposed entry, in the item or not.
#[derive(Clone, Debug, PartialEq)]
pub struct Candidate {
    pub on: bool,
    pub entry: Entry,
}

/// What the item would do to the loaded alerts.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Impact {
    /// Indices into the workspace's alerts, in list (time) order.
    pub alerts: Vec<usize>,
    pub hosts: usize,
    pub users: usize,
    /// Rule name → alerts.
    pub by_rule: Vec<(String, usize)>,
    /// Of `alerts`, those another item already suppresses.
    pub already: usize,
}

/// What is being typed, if anything.
#[derive(Clone, Debug, PartialEq)]
pub enum Editing {
    /// The value of the entry under the cursor.
    Value(String),
    Name(String),
}

#[derive(Clone, Debug, PartialEq)]
pub struct ExceptionDraft {
    /// The alert it was made from.
    pub from_alert: String,
    pub name: String,
    pub candidates: Vec<Candidate>,
    pub cursor: usize,
    pub editing: Option<Editing>,
    pub impact: Impact,
    /// First row shown of the impact list.
    pub scroll: usize,
}

/// What a key did to the draft.
#[derive(Debug, PartialEq)]
pub enum DraftOutcome {
    Open(Box<ExceptionDraft>),
    Cancelled,
    /// Save this item (its impact was shown).
    Save(Box<Item>),
}

/// Fields offered, in order, with whether they start in the item: the host and the script are
/// what "this is our tooling on that machine" needs; the user and the file are there to add.
const OFFERED: [(&str, bool); 5] = [
    (ecs::names::HOST_NAME, true),
    (ecs::names::USER_ID, false),
    ("file.path", false),
    ("file.directory", false),
    ("powershell.file.script_block_hash", false),
];

impl ExceptionDraft {
    /// The proposal for alert `i` of `ws`.
    pub fn propose(ws: &Workspace, i: usize) -> Option<ExceptionDraft> {
        let alert = ws.alerts.get(i)?;
        let doc = alert.event.doc();
        let fields = Fields::of_lenient(&doc);
        let mut candidates: Vec<Candidate> = OFFERED
            .iter()
            .filter_map(|(field, on)| {
                Some(Candidate {
                    on: *on,
                    entry: Entry::Match {
                        field: (*field).to_owned(),
                        operator: Operator::Included,
                        value: fields.first(field)?,
                    },
                })
            })
            .collect();
        // Without a script hash the whole text, as a phrase, fingerprints the script.
        if !fields.has("powershell.file.script_block_hash") {
            if let Some(text) = fields.first(ecs::names::SCRIPT_BLOCK_TEXT) {
                candidates.push(Candidate {
                    on: false,
                    entry: Entry::Match {
                        field: ecs::names::SCRIPT_BLOCK_TEXT.to_owned(),
                        operator: Operator::Included,
                        value: text,
                    },
                });
            }
        }
        if candidates.is_empty() {
            return None;
        }
        let rule = &ws.rules[alert.rule].meta.name;
        let mut draft = ExceptionDraft {
            from_alert: alert.id.clone(),
            name: match alert.host.as_deref() {
                Some(host) => tf("exception.default_name", &[("rule", rule), ("host", &host)]),
                None => tf("exception.default_name_any", &[("rule", rule)]),
            },
            candidates,
            cursor: 0,
            editing: None,
            impact: Impact::default(),
            scroll: 0,
        };
        draft.impact = draft.impact_on(ws);
        Some(draft)
    }

    /// The entries in the item now.
    pub fn entries(&self) -> Vec<Entry> {
        self.candidates
            .iter()
            .filter(|c| c.on)
            .map(|c| c.entry.clone())
            .collect()
    }

    /// The item as it would be saved (in the case's list), made at `now_iso`.
    pub fn item(&self, now_iso: &str) -> Item {
        let id = format!(
            "pstriage-{}-{}",
            &self.from_alert[..self.from_alert.len().min(12)],
            now_iso.replace([':', '.', '-'], "")
        );
        Item::new(
            exceptions::case::CASE_LIST_ID,
            &id,
            &self.name,
            self.entries(),
            now_iso,
        )
    }

    /// Which loaded alerts the item would suppress: the same test applying it makes.
    pub fn impact_on(&self, ws: &Workspace) -> Impact {
        let entries = self.entries();
        if entries.is_empty() {
            return Impact::default();
        }
        let item = Item::new("draft", "draft", &self.name, entries, "");
        let mut impact = Impact::default();
        let (mut hosts, mut users) = (BTreeSet::new(), BTreeSet::new());
        let mut by_rule: BTreeMap<&str, usize> = BTreeMap::new();
        for (i, a) in ws.alerts.iter().enumerate() {
            if !suppresses(&item, a, ws) {
                continue;
            }
            impact.alerts.push(i);
            hosts.insert(a.host.clone());
            users.insert(a.user.clone());
            *by_rule.entry(&ws.rules[a.rule].meta.name).or_default() += 1;
            if a.suppressed_by.is_some() {
                impact.already += 1;
            }
        }
        impact.hosts = hosts.len();
        impact.users = users.len();
        impact.by_rule = by_rule
            .into_iter()
            .map(|(name, n)| (name.to_owned(), n))
            .collect();
        impact
    }
}

fn suppresses(item: &Item, a: &Alert, ws: &Workspace) -> bool {
    let doc = a.event.doc();
    exceptions::item_holds(
        item,
        &doc,
        &Fields::of_only(&doc, &item.fields()),
        ws.analyzer,
    )
}

/// Handles one key.
pub fn update(mut d: ExceptionDraft, key: KeyEvent, ws: &Workspace, now_iso: &str) -> DraftOutcome {
    if let Some(editing) = d.editing.take() {
        return edit(d, editing, key, ws);
    }
    let n = d.candidates.len();
    match key.code {
        KeyCode::Esc | KeyCode::Char('q') => return DraftOutcome::Cancelled,
        KeyCode::Down | KeyCode::Char('j') => d.cursor = (d.cursor + 1).min(n.saturating_sub(1)),
        KeyCode::Up | KeyCode::Char('k') => d.cursor = d.cursor.saturating_sub(1),
        KeyCode::PageDown => {
            d.scroll = (d.scroll + 10).min(d.impact.alerts.len().saturating_sub(1))
        }
        KeyCode::PageUp => d.scroll = d.scroll.saturating_sub(10),
        KeyCode::Char(' ') => {
            if let Some(c) = d.candidates.get_mut(d.cursor) {
                c.on = !c.on;
            }
            d.rescore(ws);
        }
        KeyCode::Char('!') | KeyCode::Char('o') => {
            if let Some(Candidate {
                entry: Entry::Match { operator, .. },
                ..
            }) = d.candidates.get_mut(d.cursor)
            {
                *operator = match operator {
                    Operator::Included => Operator::Excluded,
                    Operator::Excluded => Operator::Included,
                };
            }
            d.rescore(ws);
        }
        KeyCode::Char('e') => {
            if let Some(Candidate {
                entry: Entry::Match { value, .. },
                ..
            }) = d.candidates.get(d.cursor)
            {
                d.editing = Some(Editing::Value(value.clone()));
            }
        }
        KeyCode::Char('n') => d.editing = Some(Editing::Name(d.name.clone())),
        KeyCode::Enter if !d.entries().is_empty() => {
            return DraftOutcome::Save(Box::new(d.item(now_iso)))
        }
        _ => {}
    }
    DraftOutcome::Open(Box::new(d))
}

fn edit(
    mut d: ExceptionDraft,
    mut editing: Editing,
    key: KeyEvent,
    ws: &Workspace,
) -> DraftOutcome {
    let text = match &mut editing {
        Editing::Value(t) | Editing::Name(t) => t,
    };
    match key.code {
        KeyCode::Esc => return DraftOutcome::Open(Box::new(d)),
        KeyCode::Enter => {
            match editing {
                Editing::Name(t) if !t.trim().is_empty() => d.name = t.trim().to_owned(),
                Editing::Value(t) if !t.is_empty() => {
                    if let Some(Candidate {
                        entry: Entry::Match { value, .. },
                        ..
                    }) = d.candidates.get_mut(d.cursor)
                    {
                        *value = t;
                    }
                    d.rescore(ws);
                }
                _ => {}
            }
            return DraftOutcome::Open(Box::new(d));
        }
        KeyCode::Backspace => {
            text.pop();
        }
        KeyCode::Char('u') if key.modifiers.contains(KeyModifiers::CONTROL) => text.clear(),
        KeyCode::Char(c) if !c.is_control() => text.push(c),
        _ => {}
    }
    d.editing = Some(editing);
    DraftOutcome::Open(Box::new(d))
}

impl ExceptionDraft {
    fn rescore(&mut self, ws: &Workspace) {
        self.impact = self.impact_on(ws);
        self.scroll = 0;
    }
}
