//! The Event tab (the raw document, pretty-printed, with where it came from), the Rule tab
//! (the rule's facts and why it fired: the query's clause tree, each clause held or failed) and
//! the hunt view's verdicts (every rule's clause tree on a hunted event: why it would fire, or
//! which clause it misses).

use super::wrap::{pad_end, wrap_lines};
use super::{severity_label, Theme};
use crate::alert::Alert;
use crate::event::Event;
use crate::i18n::{t, tf};
use crate::rule::kql::Explanation;
use crate::safe_text;
use crate::tui::app::App;
use crate::workspace::Workspace;
use ratatui::layout::Rect;
use ratatui::style::Color;
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;
use ratatui::Frame;

/// The event's document; `id` names it (the alert id, or the event's identity).
pub fn render_event(app: &App, event: &Event, id: &str, theme: &Theme, f: &mut Frame, area: Rect) {
    let mut lines = vec![Line::from(vec![
        Span::styled(t("event.source"), theme.title()),
        Span::raw(safe_text::line(&event.source.to_string()).into_owned()),
        Span::styled(format!("   {}", safe_text::line(id)), theme.dim()),
    ])];
    let pretty = serde_json::to_string_pretty(&event.doc).unwrap_or_default();
    lines.extend(
        pretty
            .lines()
            .map(|l| Line::raw(safe_text::line(l).into_owned())),
    );
    f.render_widget(Paragraph::new(lines).scroll((app.pane.scroll, 0)), area);
}

/// Every rule's verdict on a hunted event: fires or not, and the clause tree that says why.
pub fn render_verdicts(
    app: &App,
    ws: &Workspace,
    d: &crate::tui::derived::HuntDerived,
    theme: &Theme,
    f: &mut Frame,
    area: Rect,
) {
    let verdicts = &d.verdicts;
    let mut lines = Vec::new();
    let fires = verdicts.iter().filter(|v| v.held).count();
    lines.push(Line::styled(
        tf(
            "verdicts.summary",
            &[("n", &fires), ("total", &verdicts.len())],
        ),
        theme.dim(),
    ));
    for ((rule, v), near) in ws.rules.iter().zip(verdicts).zip(&d.near) {
        lines.push(Line::raw(""));
        let (word, style) = if v.held {
            (t("verdicts.fires"), theme.fg(Color::Red))
        } else {
            (t("verdicts.no_alert"), theme.fg(Color::Green))
        };
        lines.push(Line::from(vec![
            Span::styled(format!(" {} ", pad_end(word, 8)), style),
            Span::styled(safe_text::line(&rule.meta.name).into_owned(), theme.title()),
        ]));
        for n in near {
            let before = d.script.text.get(..n.start).unwrap_or("");
            let line_no = before.matches('\n').count() + 1;
            lines.push(Line::styled(
                tf(
                    "verdicts.near_miss",
                    &[("line", &line_no), ("why", &safe_text::line(&n.why))],
                ),
                theme.fg(Color::Yellow),
            ));
        }
        tree(v, 1, theme, &mut lines);
    }
    f.render_widget(
        Paragraph::new(wrap_lines(lines, area.width)).scroll((app.pane.scroll, 0)),
        area,
    );
}

pub(crate) fn tree(e: &Explanation, depth: usize, theme: &Theme, out: &mut Vec<Line<'static>>) {
    let (mark, style) = if e.held {
        (t("verdicts.held"), theme.fg(Color::Green))
    } else {
        (t("verdicts.failed"), theme.fg(Color::Red))
    };
    let mut spans = vec![
        Span::styled(format!(" {} ", pad_end(mark, 8)), style),
        Span::raw(format!(
            "{}{}",
            "  ".repeat(depth),
            safe_text::line(&e.label)
        )),
    ];
    if !e.hits.is_empty() {
        let mut terms: Vec<&str> = e.hits.iter().map(|h| h.term.as_str()).collect();
        terms.dedup();
        spans.push(Span::styled(
            format!("   ← {}", safe_text::line(&terms.join(", "))),
            theme.dim(),
        ));
    }
    out.push(Line::from(spans));
    for c in &e.children {
        tree(c, depth + 1, theme, out);
    }
}

pub fn render_rule(
    app: &App,
    ws: &Workspace,
    alert: &Alert,
    theme: &Theme,
    f: &mut Frame,
    area: Rect,
) {
    let r = &ws.rules[alert.rule];
    let m = &r.meta;
    let kv = |k: &str, v: String| {
        Line::from(vec![
            Span::styled(format!(" {}", pad_end(k, 11)), theme.title()),
            Span::raw(safe_text::line(&v).into_owned()),
        ])
    };
    let mut lines = vec![
        kv(t("rule.name"), m.name.clone()),
        kv(
            t("rule.id"),
            tf(
                "rule.id_version",
                &[("id", &m.rule_id), ("version", &m.version)],
            ),
        ),
        kv(
            t("rule.severity"),
            tf(
                "rule.severity_risk",
                &[
                    ("severity", &severity_label(&m.severity)),
                    ("risk", &m.risk_score),
                ],
            ),
        ),
        Line::raw(""),
        Line::styled(t("rule.why_fired"), theme.title()),
    ];
    if let Some(d) = &app.detail.derived {
        tree(&d.explanation, 0, theme, &mut lines);
    }
    lines.push(Line::raw(""));
    lines.push(kv(
        t("rule.schedule"),
        tf(
            "rule.schedule_text",
            &[
                ("interval", &m.interval),
                ("from", &m.from),
                ("max", &m.max_signals),
            ],
        ),
    ));
    lines.push(kv(t("rule.indices"), m.index.join(", ")));
    for t in &m.threat {
        let techs: Vec<String> = t
            .technique
            .iter()
            .map(|x| {
                let subs: Vec<String> = x
                    .subtechnique
                    .iter()
                    .map(|s| format!("{} {}", s.id, s.name))
                    .collect();
                if subs.is_empty() {
                    format!("{} {}", x.id, x.name)
                } else {
                    format!("{} {} ({})", x.id, x.name, subs.join(", "))
                }
            })
            .collect();
        lines.push(kv(
            "ATT&CK",
            format!("{} {} → {}", t.tactic.id, t.tactic.name, techs.join("; ")),
        ));
    }
    for u in &m.references {
        lines.push(kv(t("rule.reference"), u.clone()));
    }
    lines.push(Line::raw(""));
    lines.push(Line::styled(t("rule.query"), theme.title()));
    for l in m.query.as_deref().unwrap_or("").trim().lines() {
        lines.push(Line::raw(format!("   {}", safe_text::line(l))));
    }
    if !r.filters.is_empty() {
        lines.push(Line::raw(""));
        lines.push(Line::styled(t("rule.filters"), theme.title()));
        for filter in &r.filters {
            lines.push(Line::raw(format!(
                "   {}",
                safe_text::line(&filter.to_string())
            )));
        }
    }
    for note in &r.load_notes {
        lines.push(kv(t("rule.note"), note.clone()));
    }
    f.render_widget(
        Paragraph::new(wrap_lines(lines, area.width)).scroll((app.pane.scroll, 0)),
        area,
    );
}
