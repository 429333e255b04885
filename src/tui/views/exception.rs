//! The exception draft (`x`): the proposed entries to tick and edit, what the item would
//! suppress among the loaded alerts (counts, by rule, the alerts themselves), and its keys.
//! Draws only; the state and its impact are `exception_draft`'s.

use super::super::exception_draft::{Editing, ExceptionDraft};
use super::{centered, short_time, Theme};
use crate::exceptions::{Entry, Operator};
use crate::safe_text;
use crate::workspace::Workspace;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::Color;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Clear, Paragraph};
use ratatui::Frame;

/// Values longer than this are cut in the entry list (a whole script is one value).
const VALUE_SHOWN: usize = 60;

pub fn render(d: &ExceptionDraft, ws: &Workspace, theme: &Theme, f: &mut Frame, area: Rect) {
    let rect = centered(
        area,
        area.width.saturating_sub(4).max(20),
        area.height.saturating_sub(2).max(8),
    );
    f.render_widget(Clear, rect);
    let block = Block::default()
        .borders(Borders::ALL)
        .border_style(theme.title())
        .title(" Exception from this alert — Enter saves to the case, Esc cancels ");
    let inner = block.inner(rect);
    f.render_widget(block, rect);
    let entries_h = d.candidates.len() as u16 + 2;
    let [top, impact, keys] = Layout::vertical([
        Constraint::Length(entries_h),
        Constraint::Min(3),
        Constraint::Length(1),
    ])
    .areas(inner);

    let mut lines = vec![match &d.editing {
        Some(Editing::Name(t)) => Line::raw(format!(" name: {}▏", safe_text::line(t))),
        _ => Line::from(vec![
            Span::styled(" name: ", theme.dim()),
            Span::raw(safe_text::line(&d.name).into_owned()),
        ]),
    }];
    lines.push(Line::styled(
        " suppress an alert when every ticked entry holds:",
        theme.dim(),
    ));
    for (i, c) in d.candidates.iter().enumerate() {
        let here = i == d.cursor;
        let tick = if c.on { "[x]" } else { "[ ]" };
        let text = match (&c.entry, &d.editing) {
            (
                Entry::Match {
                    field, operator, ..
                },
                Some(Editing::Value(t)),
            ) if here => format!("{field} {} {}▏", op_name(*operator), safe_text::line(t)),
            (
                Entry::Match {
                    field,
                    operator,
                    value,
                },
                _,
            ) => format!(
                "{field} {} \"{}\"",
                op_name(*operator),
                cut(&safe_text::line(value))
            ),
            (other, _) => cut(&safe_text::line(&other.describe())),
        };
        let line = format!(" {} {tick} {text}", if here { "▶" } else { " " });
        lines.push(if here {
            Line::styled(line, theme.selected())
        } else {
            Line::raw(line)
        });
    }
    f.render_widget(Paragraph::new(lines), top);

    let im = &d.impact;
    let mut lines = vec![Line::from(vec![
        Span::styled(" Impact: ", theme.title()),
        Span::styled(
            format!(
                "this hides {} of {} alerts on {} hosts and {} users",
                im.alerts.len(),
                ws.alerts.len(),
                im.hosts,
                im.users
            ),
            theme.fg(if im.alerts.is_empty() {
                Color::Green
            } else {
                Color::Yellow
            }),
        ),
        Span::styled(
            if im.already > 0 {
                format!(" ({} already suppressed)", im.already)
            } else {
                String::new()
            },
            theme.dim(),
        ),
    ])];
    for (rule, n) in &im.by_rule {
        lines.push(Line::raw(format!("   {n:>6}  {}", safe_text::line(rule))));
    }
    let room = (impact.height as usize).saturating_sub(lines.len());
    for &i in im.alerts.iter().skip(d.scroll).take(room) {
        let a = &ws.alerts[i];
        lines.push(Line::styled(
            format!(
                "   {}  {:<16} {}",
                short_time(a.time_ms),
                safe_text::line(a.host.as_deref().unwrap_or("-")),
                safe_text::line(&ws.rules[a.rule].meta.name)
            ),
            theme.dim(),
        ));
    }
    f.render_widget(Paragraph::new(lines), impact);
    let help = if d.editing.is_some() {
        " type · Enter keeps · Esc drops the edit · Ctrl-u clears"
    } else {
        " ↑↓ entry · space tick · ! is/is not · e edit value · n name · PgUp/PgDn alerts · Enter save · Esc cancel"
    };
    f.render_widget(Paragraph::new(Line::styled(help, theme.dim())), keys);
}

fn op_name(op: Operator) -> &'static str {
    match op {
        Operator::Included => "is",
        Operator::Excluded => "is not",
    }
}

fn cut(s: &str) -> String {
    if s.chars().count() <= VALUE_SHOWN {
        return s.to_owned();
    }
    let head: String = s.chars().take(VALUE_SHOWN).collect();
    format!("{head}… ({} chars)", s.chars().count())
}
