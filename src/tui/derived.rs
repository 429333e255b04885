//! What the detail panes show, computed once when the selection changes (in `update`), never
//! while drawing: the script text, its syntax classes, marks and near misses (`ScriptView`, for
//! an alert or a hunted event alike), and for an alert the 48-hour window and its hourly counts.
//! Keeps rendering cheap on 100,000 alerts.

use crate::alert::{hits_of, Alert, AlertKind};
use crate::analysis::Analyzer;
use crate::ecs::{self, Fields};
use crate::event::Event;
use crate::highlight::{self, Span};
use crate::hunt::Found;
use crate::i18n::{t, tf};
use crate::nearmiss::{self, NearMiss};
use crate::reassembly::Script;
use crate::rule::kql::{self, Explanation, Expr, Hit};
use crate::timeline::{buckets, HOUR_MS};
use crate::workspace::Workspace;

/// Hours the timeline looks back.
pub const WINDOW_HOURS: usize = 48;

/// A script block ready to draw: text, syntax classes, marks, near misses.
#[derive(Clone, Debug, Default)]
pub struct ScriptView {
    /// Which array element of the script text is shown.
    pub value: usize,
    pub text: String,
    /// Matched terms in `text`: byte range and the analyzed term.
    pub marks: Vec<(usize, usize, String)>,
    /// Showing the whole reassembled script rather than the fragment.
    pub whole: bool,
    /// Where each fragment starts in `text` (byte offset, sequence number); empty for a
    /// single-fragment script.
    pub boundaries: Vec<(usize, u64)>,
    /// One line on what is shown: fragment n of N, whole script, missing fragments.
    pub about: String,
    pub spans: Vec<Span>,
    pub near: Vec<NearMiss>,
    /// Drawn without the marks' legend (a training card before its reveal).
    pub bare: bool,
}

impl ScriptView {
    /// The line (0-based) of mark `n`, for jumping to it.
    pub fn mark_line(&self, n: usize) -> u16 {
        let Some(&(start, _, _)) = self.marks.get(n) else {
            return 0;
        };
        self.text
            .get(..start)
            .map(|s| s.matches('\n').count() as u16)
            .unwrap_or(0)
    }
}

/// A host's (or user's) 48 hours up to an instant: events and alerts per hour, and the alerts.
#[derive(Debug, Default)]
pub struct TimelineView {
    /// Where the window ends (the alert's or the event's time); `None` without a timestamp.
    pub end: Option<i64>,
    /// The host name or user the window is of.
    pub who: String,
    /// Whether `who` is a user.
    pub by_user: bool,
    /// Alerts of `who` in the window, oldest first.
    pub window: Vec<usize>,
    /// Events and alerts per hour of the window (empty until the second phase counted the
    /// events).
    pub volume: Vec<u64>,
    pub alert_counts: Vec<u64>,
}

/// Derived data of one alert.
pub struct Derived {
    /// Index into `alerts`.
    pub alert: usize,
    /// Whether the whole script was asked for (`a`); a split-script finding shows it anyway.
    pub requested_whole: bool,
    pub script: ScriptView,
    pub timeline: TimelineView,
    /// Why the rule fired (the Rule tab's tree): made here, for the opened alert only.
    pub explanation: Explanation,
    /// The alert's event, unpacked once for every tab (the Event tab draws it each frame).
    pub event: Event,
}

/// The script text of `event` (array element `index`), as stored.
pub fn script_text(event: &Event, index: usize) -> String {
    let f = Fields::of_lenient(&event.doc);
    f.get(ecs::names::SCRIPT_BLOCK_TEXT)
        .get(index)
        .map(|v| ecs::leaf_as_keyword(v).into_owned())
        .unwrap_or_default()
}

/// Alerts of `who` (a host, or a user with `by_user`) in the 48 hours up to `end`, oldest first.
fn window(ws: &Workspace, end: i64, who: &str, by_user: bool) -> Vec<usize> {
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
            (if by_user { &b.user } else { &b.host }).as_deref() == Some(who)
        })
        .collect()
}

/// The timeline of `host` (or `user` with `by_user`) up to `end`.
fn timeline(
    ws: &Workspace,
    end: Option<i64>,
    host: Option<&str>,
    user: Option<&str>,
    by_user: bool,
) -> TimelineView {
    let who = if by_user { user } else { host }
        .unwrap_or_default()
        .to_owned();
    let Some(end) = end else {
        return TimelineView {
            who,
            by_user,
            ..TimelineView::default()
        };
    };
    let window = window(ws, end, &who, by_user);
    let (volume, alert_counts) = if ws.complete {
        let times_by = if by_user {
            &ws.user_times
        } else {
            &ws.host_times
        };
        let alert_times: Vec<i64> = window
            .iter()
            .filter_map(|&j| ws.alerts[j].time_ms)
            .collect();
        (
            buckets(
                times_by.get(&who).map(Vec::as_slice).unwrap_or(&[]),
                end,
                WINDOW_HOURS,
            ),
            buckets(&alert_times, end, WINDOW_HOURS),
        )
    } else {
        (Vec::new(), Vec::new())
    };
    TimelineView {
        end: Some(end),
        who,
        by_user,
        window,
        volume,
        alert_counts,
    }
}

/// The reassembled script `event` belongs to, if it is one of several fragments.
pub fn script_of<'w>(ws: &'w Workspace, event: &Event) -> Option<&'w Script> {
    let f = Fields::of_lenient(&event.doc);
    let id = f.first(ecs::names::SCRIPT_BLOCK_ID)?;
    let host = f.first(ecs::names::HOST_NAME).unwrap_or_default();
    ws.scripts
        .iter()
        .find(|s| s.script_block_id == id && s.host == host)
}

/// The hits in script text, as marks.
fn marks_of<'h>(hits: impl IntoIterator<Item = &'h Hit>) -> Vec<(usize, usize, String)> {
    hits.into_iter()
        .filter(|h| h.field == ecs::names::SCRIPT_BLOCK_TEXT)
        .map(|h| (h.start, h.end, h.term.clone()))
        .collect()
}

/// What to show of one event's script. `hits` made the query (or rule) hold on the event;
/// `whole_hits` finds the hits on the reassembled script when that is shown.
struct Request<'a> {
    event: &'a Event,
    hits: &'a [Hit],
    whole: bool,
    /// A split-script finding: its hits are already on the whole script.
    split: bool,
    expr: &'a Expr,
    analyzer: Analyzer,
}

fn script_view(
    ws: &Workspace,
    req: Request<'_>,
    whole_hits: impl FnOnce(&Event) -> Vec<Hit>,
) -> ScriptView {
    let script = script_of(ws, req.event);
    let show_whole = req.split || (req.whole && script.is_some());
    let mut view = match (show_whole, script) {
        (true, Some(s)) => {
            let hits = if req.split {
                req.hits.to_vec()
            } else {
                s.as_event().map(|ev| whole_hits(&ev)).unwrap_or_default()
            };
            let missing = if s.missing.is_empty() {
                String::new()
            } else {
                tf("script.missing", &[("parts", &format!("{:?}", s.missing))])
            };
            let what = if req.split {
                t("script.split_finding")
            } else {
                t("script.back_to_fragment")
            };
            let starts: Vec<String> = s
                .boundaries
                .iter()
                .zip(&s.fragments)
                .map(|(&o, f)| format!("{}@{}", f.sequence, s.text[..o].matches('\n').count() + 1))
                .collect();
            ScriptView {
                value: 0,
                text: s.text.clone(),
                marks: marks_of(&hits),
                whole: true,
                boundaries: s
                    .boundaries
                    .iter()
                    .zip(&s.fragments)
                    .map(|(&o, f)| (o, f.sequence))
                    .collect(),
                about: tf(
                    "script.whole",
                    &[
                        ("n", &s.fragments.len()),
                        ("total", &s.total),
                        ("missing", &missing),
                        ("what", &what),
                        ("starts", &starts.join(" ")),
                    ],
                ),
                ..ScriptView::default()
            }
        }
        _ => {
            let value = req
                .hits
                .iter()
                .find(|h| h.field == ecs::names::SCRIPT_BLOCK_TEXT)
                .map(|h| h.value_index)
                .unwrap_or(0);
            let f = Fields::of_lenient(&req.event.doc);
            let about = match (f.first(ecs::names::SEQUENCE), f.first(ecs::names::TOTAL)) {
                (Some(n), Some(total)) if total != "1" => {
                    tf("script.fragment", &[("n", &n), ("total", &total)])
                }
                _ if !f.has(ecs::names::SCRIPT_BLOCK_TEXT) => t("script.no_text").to_owned(),
                _ => t("script.as_logged").to_owned(),
            };
            ScriptView {
                value,
                text: script_text(req.event, value),
                marks: marks_of(req.hits.iter().filter(|h| h.value_index == value)),
                about,
                ..ScriptView::default()
            }
        }
    };
    let terms = crate::rule::script_terms(req.expr);
    let ranges: Vec<(usize, usize)> = view.marks.iter().map(|(s, e, _)| (*s, *e)).collect();
    view.near = nearmiss::find(&view.text, &terms, &ranges, req.analyzer);
    view.spans = highlight::highlight(&view.text);
    view
}

/// Computes everything the tabs need for alert `i`; `whole` asks for the reassembled script.
pub fn compute(ws: &Workspace, i: usize, by_user: bool, whole: bool) -> Derived {
    let alert: &Alert = &ws.alerts[i];
    let rule = &ws.rules[alert.rule];
    // An alert over alerts has no script of its own: its latest grouped alert's event (where
    // it stands) shows the script block they share.
    let members: Vec<&Alert> = if rule.over_alerts() {
        ws.alerts
            .iter()
            .filter(|a| {
                a.event.source.ord == alert.event.source.ord && !ws.rules[a.rule].over_alerts()
            })
            .collect()
    } else {
        Vec::new()
    };
    let event = alert.event.unpack();
    let member_event = members.first().map(|m| m.event.unpack());
    let shown_event = member_event.as_ref().unwrap_or(&event);
    // Found again on the event (alerts keep no hits); a group shows its members' together.
    let hits: Vec<Hit> = if members.is_empty() {
        hits_of(rule, alert.rule, shown_event, ws.analyzer)
    } else {
        members
            .iter()
            .flat_map(|m| hits_of(&ws.rules[m.rule], m.rule, shown_event, ws.analyzer))
            .collect()
    };
    let req = Request {
        event: shown_event,
        hits: &hits,
        whole,
        split: matches!(alert.kind, AlertKind::SplitScript { .. }),
        expr: &rule.expr,
        analyzer: ws.analyzer,
    };
    let mut script = script_view(ws, req, |ev| hits_of(rule, alert.rule, ev, ws.analyzer));
    if !members.is_empty() {
        script.about = tf(
            if members.len() == 1 {
                "script.grouped_one"
            } else {
                "script.grouped_other"
            },
            &[("n", &members.len()), ("about", &script.about)],
        );
    }
    if let Some(s) = &alert.suppressed_by {
        script.about = tf(
            "script.suppressed",
            &[
                ("name", &format!("{:?}", s.item_name)),
                ("list", &s.list_id),
                ("item", &s.item_id),
                ("about", &script.about),
            ],
        );
    }
    let timeline = timeline(
        ws,
        alert.time_ms,
        alert.host.as_deref(),
        alert.user.as_deref(),
        by_user,
    );
    Derived {
        alert: i,
        requested_whole: whole,
        script,
        timeline,
        explanation: alert.explanation(&ws.rules, &event, ws.analyzer),
        event,
    }
}

/// What the hunt view's detail shows for one found event: its script with the query's terms
/// marked, and every rule's verdict on it (why it fires, or which clause it misses).
pub struct HuntDerived {
    /// The event's reading-order number (which result this is for).
    pub ord: u64,
    pub requested_whole: bool,
    pub script: ScriptView,
    /// The event's host over the 48 hours before it.
    pub timeline: TimelineView,
    pub verdicts: Vec<Explanation>,
    /// Per rule, its script terms found only inside longer tokens of the shown text.
    pub near: Vec<Vec<NearMiss>>,
}

/// Derives the hunt detail of `found`; `expr` is the query it was found by.
pub fn compute_found(ws: &Workspace, found: &Found, expr: &Expr, whole: bool) -> HuntDerived {
    let hits: Vec<Hit> = found
        .explanation
        .positive_hits()
        .into_iter()
        .cloned()
        .collect();
    let req = Request {
        event: &found.event,
        hits: &hits,
        whole,
        split: false,
        expr,
        analyzer: ws.analyzer,
    };
    let script = script_view(ws, req, |ev| {
        kql::evaluate(expr, &Fields::of_lenient(&ev.doc), ws.analyzer)
            .positive_hits()
            .into_iter()
            .cloned()
            .collect()
    });
    let verdicts = crate::hunt::rule_verdicts(&ws.rules, &found.event, ws.analyzer);
    let near = ws
        .rules
        .iter()
        .zip(&verdicts)
        .map(|(rule, verdict)| {
            let terms = crate::rule::script_terms(&rule.expr);
            let held: Vec<(usize, usize)> = verdict
                .positive_hits()
                .into_iter()
                .filter(|h| {
                    h.field == ecs::names::SCRIPT_BLOCK_TEXT && h.value_index == script.value
                })
                .map(|h| (h.start, h.end))
                .collect();
            nearmiss::find(&script.text, &terms, &held, ws.analyzer)
        })
        .collect();
    HuntDerived {
        ord: found.event.source.ord,
        requested_whole: whole,
        timeline: timeline(
            ws,
            found.time_ms,
            found.host.as_deref(),
            found.user.as_deref(),
            found.host.is_none(),
        ),
        script,
        verdicts,
        near,
    }
}
