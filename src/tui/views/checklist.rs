//! The Checklist tab: the rule's investigation steps (from its `note`) as checkboxes ticked per
//! alert, the triage status, reason and note, then the guide's other sections. Wraps the steps
//! itself so their later rows hang under the step text.

use super::wrap::{hanging_indent, text_width, wrap_step};
use super::{time, Theme};
use crate::alert::Alert;
use crate::i18n::{t, tf};
use crate::safe_text;
use crate::tui::app::App;
use crate::workspace::Workspace;
use ratatui::layout::Rect;
use ratatui::style::Style;
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;
use ratatui::Frame;

pub fn render(app: &App, ws: &Workspace, alert: &Alert, theme: &Theme, f: &mut Frame, area: Rect) {
    let guide = ws.guides[alert.rule].current();
    let triage = app.book.get(&alert.id);
    let mut lines = Vec::new();
    let status = app.book.status(&alert.id);
    let reason = triage
        .and_then(|t| t.reason.clone())
        .map(|r| format!(" ({})", super::reason_label(&r)))
        .unwrap_or_default();
    lines.push(Line::from(vec![
        Span::styled(t("checklist.status"), theme.title()),
        Span::raw(format!("{}{reason}", super::status_label(status))),
    ]));
    if guide.steps.is_empty() {
        lines.push(Line::styled(t("checklist.no_steps"), theme.dim()));
    }
    lines.push(Line::styled(t("checklist.steps"), theme.title()));
    for (n, step) in guide.steps.iter().enumerate() {
        let ticked = triage.and_then(|t| t.ticks.get(&n));
        let mark = if ticked.is_some() { "[x]" } else { "[ ]" };
        let when = ticked
            .map(|at| tf("checklist.ticked", &[("at", &time(Some(*at)))]))
            .unwrap_or_default();
        let style = if n == app.detail.checklist_cursor && app.detail_focus {
            theme.selected()
        } else {
            Style::default()
        };
        let prefix = format!(" {mark} {}. ", n + 1);
        let width = usize::from(area.width);
        let rows = wrap_step(&prefix, &safe_text::multiline(step), width);
        let last = rows.len() - 1;
        let mut when_row = None;
        for (k, row) in rows.into_iter().enumerate() {
            let room = width.saturating_sub(text_width(&row));
            let mut spans = vec![Span::styled(row, style)];
            if k == last && !when.is_empty() {
                // The tick time ends the step, on a row of its own when it does not fit.
                if text_width(&when) <= room {
                    spans.push(Span::styled(when.clone(), theme.dim()));
                } else {
                    when_row = Some(Line::from(vec![
                        Span::raw(" ".repeat(hanging_indent(&prefix, width))),
                        Span::styled(when.trim_start().to_owned(), theme.dim()),
                    ]));
                }
            }
            lines.push(Line::from(spans));
        }
        lines.extend(when_row);
    }
    let note = triage.map(|t| t.note.as_str()).unwrap_or("");
    lines.push(Line::raw(""));
    lines.push(Line::styled(t("checklist.note"), theme.title()));
    if note.is_empty() {
        lines.push(Line::styled("   —", theme.dim()));
    }
    for l in safe_text::multiline(note).lines() {
        lines.push(Line::raw(format!("   {l}")));
    }
    for s in &guide.sections {
        if crate::rule::guide::is_intro_heading(&s.heading) {
            continue;
        }
        lines.push(Line::raw(""));
        lines.push(Line::styled(
            format!(" {}", safe_text::line(&s.heading)),
            theme.title(),
        ));
        for l in &s.body {
            lines.push(Line::raw(format!("   {}", safe_text::line(l))));
        }
    }
    let scroll = (app.detail.checklist_cursor as u16).saturating_sub(area.height / 2);
    f.render_widget(
        Paragraph::new(super::wrap::wrap_lines(lines, area.width)).scroll((scroll, 0)),
        area,
    );
}
