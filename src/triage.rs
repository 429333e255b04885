//! Triage state per alert: workflow status (open → acknowledged → closed, with Elastic's closing
//! reasons), a note, checklist ticks, and a time-stamped history. Keyed by stable alert ids so
//! re-indexing or moving the exports keeps it. `store` saves it atomically.

pub mod store;

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use std::collections::BTreeMap;

/// Kibana's workflow status.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Status {
    #[default]
    Open,
    Acknowledged,
    Closed,
}

impl Status {
    pub fn name(self) -> &'static str {
        match self {
            Status::Open => "open",
            Status::Acknowledged => "acknowledged",
            Status::Closed => "closed",
        }
    }
}

/// Why an alert was closed (Elastic's reasons an analyst can pick).
pub const CLOSING_REASONS: &[&str] = &[
    "false_positive",
    "duplicate",
    "true_positive",
    "benign_positive",
    "other",
];

/// One recorded change.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Change {
    /// Epoch milliseconds.
    pub at: i64,
    pub what: String,
}

/// The triage of one alert.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct AlertTriage {
    #[serde(default)]
    pub status: Status,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub note: String,
    /// Ticked checklist steps by index, with when they were ticked.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub ticks: BTreeMap<usize, i64>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub history: Vec<Change>,
    /// Fields written by a newer pstriage, kept as they are.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

/// A script block the analyst marked, alert or not, with a note. Keyed in the book by the
/// event's identity (`Event::identity`), so it survives re-indexing like alert ids do; the
/// other fields say what it was without reloading the exports.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Bookmark {
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub note: String,
    /// When it was bookmarked (epoch ms).
    pub at: i64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub time_ms: Option<i64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub host: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub user: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub script_block_id: Option<String>,
    /// `path:line` (or record) of the event.
    #[serde(default)]
    pub source: String,
    /// The start of the script text, for the report.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub excerpt: String,
    /// Fields written by a newer pstriage, kept as they are.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

/// Every alert's triage, and the case's bookmarks.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Book {
    pub version: u32,
    #[serde(default)]
    pub alerts: BTreeMap<String, AlertTriage>,
    /// Bookmarked script blocks by event identity. Older builds keep this key untouched in
    /// their `extra`, so adding it needs no new version.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub bookmarks: BTreeMap<String, Bookmark>,
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

/// The schema version written by this build.
pub const VERSION: u32 = 1;

impl Default for Book {
    fn default() -> Self {
        Book {
            version: VERSION,
            alerts: BTreeMap::new(),
            bookmarks: BTreeMap::new(),
            extra: Map::new(),
        }
    }
}

/// A change an analyst (or `pstriage triage`) makes.
#[derive(Clone, Debug, PartialEq)]
pub enum Action {
    SetStatus(Status),
    Close(String),
    SetNote(String),
    Tick(usize),
    Untick(usize),
}

impl Book {
    pub fn get(&self, id: &str) -> Option<&AlertTriage> {
        self.alerts.get(id)
    }

    pub fn status(&self, id: &str) -> Status {
        self.get(id).map(|t| t.status).unwrap_or_default()
    }

    /// Bookmarks the event `identity` (replacing the note of an existing bookmark, keeping when
    /// it was first made); returns false when nothing changed.
    pub fn bookmark(&mut self, identity: &str, mut mark: Bookmark) -> bool {
        if let Some(old) = self.bookmarks.get(identity) {
            if old.note == mark.note {
                return false;
            }
            mark.at = old.at;
        }
        self.bookmarks.insert(identity.to_owned(), mark);
        true
    }

    /// Removes the bookmark of `identity`; returns false when there was none.
    pub fn unbookmark(&mut self, identity: &str) -> bool {
        self.bookmarks.remove(identity).is_some()
    }

    /// Applies `action` to alert `id` at time `now` (epoch ms); returns false when nothing changed.
    pub fn apply(&mut self, id: &str, action: &Action, now: i64) -> bool {
        let t = self.alerts.entry(id.to_owned()).or_default();
        let what = match action {
            Action::SetStatus(s) if *s != Status::Closed => {
                if t.status == *s {
                    return false;
                }
                t.status = *s;
                t.reason = None;
                format!("status {}", s.name())
            }
            Action::SetStatus(_) => return false,
            Action::Close(reason) => {
                if t.status == Status::Closed && t.reason.as_deref() == Some(reason) {
                    return false;
                }
                t.status = Status::Closed;
                t.reason = Some(reason.clone());
                format!("closed: {reason}")
            }
            Action::SetNote(note) => {
                if t.note == *note {
                    return false;
                }
                t.note = note.clone();
                "note edited".to_owned()
            }
            Action::Tick(i) => {
                if t.ticks.insert(*i, now).is_some() {
                    return false;
                }
                format!("ticked step {}", i + 1)
            }
            Action::Untick(i) => {
                if t.ticks.remove(i).is_none() {
                    return false;
                }
                format!("unticked step {}", i + 1)
            }
        };
        t.history.push(Change { at: now, what });
        true
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn actions_change_state_and_stamp_history() {
        let mut b = Book::default();
        assert!(b.apply("a", &Action::SetStatus(Status::Acknowledged), 1));
        assert!(!b.apply("a", &Action::SetStatus(Status::Acknowledged), 2));
        assert!(b.apply("a", &Action::Tick(3), 3));
        assert!(b.apply("a", &Action::Close("true_positive".into()), 4));
        let t = b.get("a").unwrap();
        assert_eq!(
            (t.status, t.reason.as_deref()),
            (Status::Closed, Some("true_positive"))
        );
        assert_eq!(t.ticks.get(&3), Some(&3));
        assert_eq!(
            t.history.iter().map(|c| c.at).collect::<Vec<_>>(),
            [1, 3, 4]
        );
        assert!(b.apply("a", &Action::SetStatus(Status::Open), 5));
        assert_eq!(b.get("a").unwrap().reason, None);
    }

    #[test]
    fn unknown_fields_survive_a_round_trip() {
        let text = r#"{"version":1,"future":{"x":1},"alerts":{"a":{"status":"closed","reason":"other","tag":"keep"}}}"#;
        let b: Book = serde_json::from_str(text).unwrap();
        let back: Value = serde_json::to_value(&b).unwrap();
        assert_eq!(back["future"]["x"], 1);
        assert_eq!(back["alerts"]["a"]["tag"], "keep");
    }
}
