//! The alert list's state: which alerts are listed (status filter, free-text search, merged
//! fragments) in which order, and which one is selected. Pure: it reads the workspace and the
//! triage book it is given, and draws nothing.

use crate::triage::{Book, Status};
use crate::workspace::Workspace;
use std::collections::HashMap;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SortKey {
    Time,
    Risk,
    Host,
}

impl SortKey {
    /// The catalogue key of its name (`crate::i18n`).
    pub fn label_key(self) -> &'static str {
        match self {
            SortKey::Time => "sort.time",
            SortKey::Risk => "sort.risk",
            SortKey::Host => "sort.host",
        }
    }

    fn next(self) -> SortKey {
        match self {
            SortKey::Time => SortKey::Risk,
            SortKey::Risk => SortKey::Host,
            SortKey::Host => SortKey::Time,
        }
    }
}

/// The alert list.
#[derive(Debug)]
pub struct AlertList {
    /// Indices into `alerts`, filtered and sorted.
    pub rows: Vec<usize>,
    /// One row per (rule, host, script) instead of one per fragment alert.
    pub grouped: bool,
    /// With `grouped`: how many alerts each visible row stands for (parallel to `rows`).
    pub group_sizes: Vec<usize>,
    pub selected: usize,
    pub sort: SortKey,
    pub status_filter: Option<Status>,
    /// Free text (host, user, rule, terms, source), lowercase match.
    pub search: String,
    /// Alerts per status: open, acknowledged, closed.
    pub counts: [usize; 3],
    /// List the alerts an exception suppresses too (Elastic does not raise them).
    pub show_suppressed: bool,
    /// Alerts an exception suppresses.
    pub suppressed: usize,
    /// Whether the analyst has pressed a key or clicked since the list opened: from then on,
    /// the selection follows its alert as alerts found while loading join the list; before,
    /// it stays on the first row, as if the load had finished at once.
    pub chosen: bool,
}

impl Default for AlertList {
    fn default() -> Self {
        AlertList {
            rows: Vec::new(),
            grouped: false,
            group_sizes: Vec::new(),
            chosen: false,
            selected: 0,
            sort: SortKey::Time,
            status_filter: None,
            search: String::new(),
            counts: [0; 3],
            show_suppressed: false,
            suppressed: 0,
        }
    }
}

impl AlertList {
    /// The selected alert's index in `alerts`.
    pub fn current(&self) -> Option<usize> {
        self.rows.get(self.selected).copied()
    }

    /// True when a filter or search is narrowing the list.
    pub fn filtered(&self) -> bool {
        self.status_filter.is_some() || !self.search.is_empty()
    }

    /// Recomputes the visible rows from the filter and sort, keeping the selected alert.
    pub fn refresh(&mut self, ws: &Workspace, book: &Book) {
        let keep = self.current();
        let needle = self.search.to_lowercase();
        let mut rows: Vec<usize> = (0..ws.alerts.len())
            .filter(|&i| {
                let a = &ws.alerts[i];
                let status_ok = self.status_filter.is_none_or(|s| book.status(&a.id) == s);
                let shown = self.show_suppressed || a.suppressed_by.is_none();
                shown && status_ok && (needle.is_empty() || haystack(ws, i).contains(&needle))
            })
            .collect();
        match self.sort {
            SortKey::Time => rows.sort_by_key(|&i| (ws.alerts[i].time_ms, i)),
            SortKey::Risk => rows.sort_by_key(|&i| {
                (
                    std::cmp::Reverse(ws.rules[ws.alerts[i].rule].meta.risk_score),
                    ws.alerts[i].time_ms,
                    i,
                )
            }),
            SortKey::Host => rows.sort_by(|&a, &b| {
                ws.alerts[a]
                    .host
                    .cmp(&ws.alerts[b].host)
                    .then(ws.alerts[a].time_ms.cmp(&ws.alerts[b].time_ms))
            }),
        }
        let n = rows.len();
        let (rows, sizes) = if self.grouped {
            group_by_script(ws, rows)
        } else {
            (rows, vec![1; n])
        };
        self.rows = rows;
        self.group_sizes = sizes;
        self.selected = keep
            .and_then(|k| self.rows.iter().position(|&r| r == k))
            .unwrap_or(0)
            .min(self.rows.len().saturating_sub(1));
    }

    /// Finds the alert with `id` again after the alerts were re-sorted (a second phase).
    pub fn reselect(&mut self, ws: &Workspace, id: &str) {
        if let Some(pos) = self.rows.iter().position(|&r| ws.alerts[r].id == id) {
            self.selected = pos;
        }
    }

    /// Recounts alerts per status (after a triage change).
    pub fn recount(&mut self, ws: &Workspace, book: &Book) {
        let mut c = [0; 3];
        for a in &ws.alerts {
            c[book.status(&a.id) as usize] += 1;
        }
        self.counts = c;
        self.suppressed = ws
            .alerts
            .iter()
            .filter(|a| a.suppressed_by.is_some())
            .count();
    }

    /// The next status filter: all → open → acknowledged → closed → all.
    pub fn cycle_status_filter(&mut self) {
        self.status_filter = match self.status_filter {
            None => Some(Status::Open),
            Some(Status::Open) => Some(Status::Acknowledged),
            Some(Status::Acknowledged) => Some(Status::Closed),
            Some(Status::Closed) => None,
        };
    }

    pub fn cycle_sort(&mut self) {
        self.sort = self.sort.next();
    }

    /// Clears the filter and search (to show an alert the filter hides).
    pub fn clear_filters(&mut self) {
        self.search.clear();
        self.status_filter = None;
    }
}

/// Keeps the first row of each (rule, host, script block id) and counts the rows it stands for;
/// alerts without a script block id stay alone.
fn group_by_script(ws: &Workspace, rows: Vec<usize>) -> (Vec<usize>, Vec<usize>) {
    let mut first: HashMap<(usize, String, String), usize> = HashMap::new();
    let mut out: Vec<usize> = Vec::new();
    let mut sizes: Vec<usize> = Vec::new();
    for i in rows {
        let a = &ws.alerts[i];
        let Some(id) = a.script_block_id.clone() else {
            out.push(i);
            sizes.push(1);
            continue;
        };
        let key = (a.rule, a.host.clone().unwrap_or_default(), id);
        match first.get(&key) {
            Some(&pos) => sizes[pos] += 1,
            None => {
                first.insert(key, out.len());
                out.push(i);
                sizes.push(1);
            }
        }
    }
    (out, sizes)
}

/// What free-text search looks at for alert `i`.
fn haystack(ws: &Workspace, i: usize) -> String {
    let a = &ws.alerts[i];
    format!(
        "{} {} {} {} {}",
        a.host.as_deref().unwrap_or(""),
        a.user.as_deref().unwrap_or(""),
        ws.rules[a.rule].meta.name,
        a.matched_terms.join(" "),
        a.event.source
    )
    .to_lowercase()
}
