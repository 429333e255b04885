//! What the detail tabs show for the selected alert, computed once when the selection changes
//! (in `update`), never while drawing: the script text, its syntax classes, near misses, and
//! the alerts of the 48-hour window. Keeps rendering cheap on 100,000 alerts.

use crate::alert::{check, Alert, AlertKind};
use crate::ecs::{self, Fields};
use crate::highlight::{self, Span};
use crate::nearmiss::{self, NearMiss};
use crate::reassembly::Script;
use crate::rule::kql::Expr;
use crate::timeline::HOUR_MS;
use crate::workspace::Workspace;

/// Hours the timeline looks back.
pub const WINDOW_HOURS: usize = 48;

/// Derived data of one alert.
pub struct Derived {
    /// Index into `alerts`.
    pub alert: usize,
    /// Which array element of the script text the marks are in.
    pub value: usize,
    pub text: String,
    /// Matched terms in `text`: byte range and the analyzed term.
    pub marks: Vec<(usize, usize, String)>,
    /// Showing the whole reassembled script rather than the fragment Elastic saw.
    pub whole: bool,
    /// Whether the whole script was asked for (`a`); a split-script finding shows it anyway.
    pub requested_whole: bool,
    /// Where each fragment starts in `text` (byte offset, sequence number); empty for a
    /// single-fragment script.
    pub boundaries: Vec<(usize, u64)>,
    /// One line on what is shown: fragment n of N, whole script, missing fragments.
    pub about: String,
    pub spans: Vec<Span>,
    pub near: Vec<NearMiss>,
    /// Alerts of the same host (or user) in the window, oldest first.
    pub window: Vec<usize>,
    /// Whether `window` is by user.
    pub by_user: bool,
}

/// The script text of `alert` (array element `index`), as stored.
pub fn script_text(alert: &Alert, index: usize) -> String {
    let f = Fields::of_lenient(&alert.event.doc);
    f.get(ecs::names::SCRIPT_BLOCK_TEXT)
        .get(index)
        .map(|v| ecs::leaf_as_keyword(v).into_owned())
        .unwrap_or_default()
}

fn script_terms(e: &Expr, out: &mut Vec<String>) {
    match e {
        Expr::Or(v) | Expr::And(v) => v.iter().for_each(|x| script_terms(x, out)),
        Expr::Not(x) => script_terms(x, out),
        Expr::Match {
            field: Some(f),
            value,
        } => {
            let script = f == ecs::names::SCRIPT_BLOCK_TEXT && value.wildcard.is_none();
            if script && !out.contains(&value.text) {
                out.push(value.text.clone());
            }
        }
        _ => {}
    }
}

/// Alerts of the same host (or user) in the 48 hours up to alert `i`, oldest first.
pub fn window(ws: &Workspace, i: usize, by_user: bool) -> Vec<usize> {
    let a = &ws.alerts[i];
    let Some(end) = a.time_ms else { return vec![i] };
    let key = if by_user { &a.user } else { &a.host };
    // Alerts are kept in time order: find the window by binary search, then filter it.
    let start = end - WINDOW_HOURS as i64 * HOUR_MS;
    let lo = ws
        .alerts
        .partition_point(|b| b.time_ms.is_none_or(|t| t <= start));
    let hi = ws
        .alerts
        .partition_point(|b| b.time_ms.is_none_or(|t| t <= end));
    (lo..hi)
        .filter(|&j| {
            let b = &ws.alerts[j];
            (if by_user { &b.user } else { &b.host }) == key
        })
        .collect()
}

/// The reassembled script `alert` belongs to, if it is one of several fragments.
pub fn script_of<'w>(ws: &'w Workspace, alert: &Alert) -> Option<&'w Script> {
    let f = Fields::of_lenient(&alert.event.doc);
    let id = f.first(ecs::names::SCRIPT_BLOCK_ID)?;
    let host = alert.host.clone().unwrap_or_default();
    ws.scripts
        .iter()
        .find(|s| s.script_block_id == id && s.host == host)
}

/// Computes everything the tabs need for alert `i`; `whole` asks for the reassembled script.
pub fn compute(ws: &Workspace, i: usize, by_user: bool, whole: bool) -> Derived {
    let alert = &ws.alerts[i];
    let split = matches!(alert.kind, AlertKind::SplitScript { .. });
    let script = script_of(ws, alert);
    let show_whole = split || (whole && script.is_some());
    let (value, text, marks, boundaries, about) = match (show_whole, script) {
        (true, Some(s)) => {
            let hits = if split {
                alert.hits.clone()
            } else {
                s.as_event()
                    .and_then(|ev| check(&ws.rules[alert.rule], alert.rule, &ev, ws.analyzer))
                    .map(|a| a.hits)
                    .unwrap_or_default()
            };
            let missing = if s.missing.is_empty() {
                String::new()
            } else {
                format!(", missing {:?}", s.missing)
            };
            let about = if split {
                format!(
                    "whole script: {} of {} fragments{missing} · split-script finding, beyond Elastic: no fragment matches alone",
                    s.fragments.len(),
                    s.total
                )
            } else {
                format!(
                    "whole script: {} of {} fragments{missing} · a: back to the fragment",
                    s.fragments.len(),
                    s.total
                )
            };
            let b: Vec<(usize, u64)> = s
                .boundaries
                .iter()
                .zip(&s.fragments)
                .map(|(&o, f)| (o, f.sequence))
                .collect();
            let starts: Vec<String> = b
                .iter()
                .map(|(o, seq)| format!("{seq}@{}", s.text[..*o].matches('\n').count() + 1))
                .collect();
            let about = format!("{about} · fragment@line {}", starts.join(" "));
            (
                0,
                s.text.clone(),
                hits.iter()
                    .map(|h| (h.start, h.end, h.term.clone()))
                    .collect(),
                b,
                about,
            )
        }
        _ => {
            let value = alert.hits.first().map(|h| h.value_index).unwrap_or(0);
            let f = Fields::of_lenient(&alert.event.doc);
            let about = match (f.first(ecs::names::SEQUENCE), f.first(ecs::names::TOTAL)) {
                (Some(n), Some(t)) if t != "1" => {
                    format!("fragment {n} of {t}: what Elastic saw · a: whole script")
                }
                _ => "the script block as logged".to_owned(),
            };
            let marks: Vec<(usize, usize, String)> = alert
                .hits
                .iter()
                .filter(|h| h.value_index == value)
                .map(|h| (h.start, h.end, h.term.clone()))
                .collect();
            (value, script_text(alert, value), marks, Vec::new(), about)
        }
    };
    let mut terms = Vec::new();
    script_terms(&ws.rules[alert.rule].expr, &mut terms);
    let ranges: Vec<(usize, usize)> = marks.iter().map(|(s, e, _)| (*s, *e)).collect();
    let near = nearmiss::find(&text, &terms, &ranges, ws.analyzer);
    let spans = highlight::highlight(&text);
    Derived {
        alert: i,
        value,
        near,
        spans,
        text,
        marks,
        whole: show_whole,
        requested_whole: whole,
        boundaries,
        about,
        window: window(ws, i, by_user),
        by_user,
    }
}
