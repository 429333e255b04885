//! The exception draft (`x`): the proposed entries to tick and edit, what the item would
//! suppress among the loaded alerts (counts, by rule, the alerts themselves), and its keys.
//! Draws only; the state and its impact are `exception_draft`'s.

use super::super::exception_draft::{Editing, ExceptionDraft};
use super::wrap::{pad_end, text_width, truncate};
use super::{centered, short_time, Theme};
use crate::exceptions::{Entry, Operator};
use crate::i18n::{t, tf};
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
        .title(t("exception.title"));
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
        Some(Editing::Name(name)) => {
            Line::raw(format!("{}{}▏", t("exception.name"), safe_text::line(name)))
        }
        _ => Line::from(vec![
            Span::styled(t("exception.name"), theme.dim()),
            Span::raw(safe_text::line(&d.name).into_owned()),
        ]),
    }];
    lines.push(Line::styled(t("exception.when"), theme.dim()));
    for (i, c) in d.candidates.iter().enumerate() {
        let here = i == d.cursor;
        let tick = if c.on { "[x]" } else { "[ ]" };
        let text = match (&c.entry, &d.editing) {
            (
                Entry::Match {
                    field, operator, ..
                },
                Some(Editing::Value(value)),
            ) if here => format!("{field} {} {}▏", op_name(*operator), safe_text::line(value)),
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
        Span::styled(t("exception.impact"), theme.title()),
        Span::styled(
            tf(
                "exception.hides",
                &[
                    ("n", &im.alerts.len()),
                    ("total", &ws.alerts.len()),
                    ("hosts", &im.hosts),
                    ("users", &im.users),
                ],
            ),
            theme.fg(if im.alerts.is_empty() {
                Color::Green
            } else {
                Color::Yellow
            }),
        ),
        Span::styled(
            if im.already > 0 {
                tf("exception.already", &[("n", &im.already)])
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
                "   {}  {} {}",
                short_time(a.time_ms),
                pad_end(&safe_text::line(a.host.as_deref().unwrap_or("-")), 16),
                safe_text::line(&ws.rules[a.rule].meta.name)
            ),
            theme.dim(),
        ));
    }
    f.render_widget(Paragraph::new(lines), impact);
    let help = if d.editing.is_some() {
        t("exception.keys_editing")
    } else {
        t("exception.keys")
    };
    f.render_widget(Paragraph::new(Line::styled(help, theme.dim())), keys);
}

fn op_name(op: Operator) -> &'static str {
    match op {
        Operator::Included => t("exception.is"),
        Operator::Excluded => t("exception.is_not"),
    }
}

/// A value cut to `VALUE_SHOWN` columns, saying how long it really is.
fn cut(s: &str) -> String {
    if text_width(s) <= VALUE_SHOWN {
        return s.to_owned();
    }
    format!(
        "{}{}",
        truncate(s, VALUE_SHOWN),
        tf("exception.chars", &[("n", &s.chars().count())])
    )
}
