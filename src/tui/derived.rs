//! What the detail tabs show for the selected alert, computed once when the selection changes
//! (in `update`), never while drawing: the script text, its syntax classes, near misses, and
//! the alerts of the 48-hour window. Keeps rendering cheap on 100,000 alerts.

use crate::alert::Alert;
use crate::ecs::{self, Fields};
use crate::highlight::{self, Span};
use crate::nearmiss::{self, NearMiss};
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
        .map(|v| ecs::leaf_as_keyword(v))
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
    let mut v: Vec<usize> = (0..ws.alerts.len())
        .filter(|&j| {
            let b = &ws.alerts[j];
            let k = if by_user { &b.user } else { &b.host };
            k == key
                && b.time_ms
                    .is_some_and(|t| t > end - WINDOW_HOURS as i64 * HOUR_MS && t <= end)
        })
        .collect();
    v.sort_by_key(|&j| ws.alerts[j].time_ms);
    v
}

/// Computes everything the tabs need for alert `i`.
pub fn compute(ws: &Workspace, i: usize, by_user: bool) -> Derived {
    let alert = &ws.alerts[i];
    let value = alert.hits.first().map(|h| h.value_index).unwrap_or(0);
    let text = script_text(alert, value);
    let mut terms = Vec::new();
    script_terms(&ws.rules[alert.rule].expr, &mut terms);
    let hits: Vec<(usize, usize)> = alert
        .hits
        .iter()
        .filter(|h| h.value_index == value)
        .map(|h| (h.start, h.end))
        .collect();
    let near = nearmiss::find(&text, &terms, &hits, ws.analyzer);
    let spans = highlight::highlight(&text);
    Derived {
        alert: i,
        value,
        near,
        spans,
        text,
        window: window(ws, i, by_user),
        by_user,
    }
}
