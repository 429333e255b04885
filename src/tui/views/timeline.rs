//! The Timeline tab: the alert's host (or user) over the 48 hours before the alert — event
//! volume and alerts from all loaded rules per hour, with an hour cursor (`[` `]`, `C` lists
//! that hour's script blocks) — and the list of those alerts. The counts come from `derived`.

use super::{time, Theme};
use crate::alert::Alert;
use crate::tui::app::App;
use crate::workspace::Workspace;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::{Color, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;
use ratatui::Frame;

const HOURS: usize = crate::tui::derived::WINDOW_HOURS;
const BARS: [char; 9] = [' ', '▁', '▂', '▃', '▄', '▅', '▆', '▇', '█'];

fn bar_line(counts: &[u64]) -> String {
    let max = counts.iter().copied().max().unwrap_or(0).max(1);
    counts
        .iter()
        .map(|&c| {
            if c == 0 {
                '·'
            } else {
                BARS[((c * 8).div_ceil(max)) as usize]
            }
        })
        .collect()
}

pub fn render(app: &App, ws: &Workspace, alert: &Alert, theme: &Theme, f: &mut Frame, area: Rect) {
    let d = &app.detail;
    let who = if d.timeline_user {
        alert.user.clone()
    } else {
        alert.host.clone()
    }
    .unwrap_or_default();
    let Some(end) = alert.time_ms else {
        f.render_widget(
            Paragraph::new("This alert's event has no @timestamp: no timeline."),
            area,
        );
        return;
    };
    if !ws.complete {
        f.render_widget(
            Paragraph::new(" counting this host's events over the 48 hours… (the rest of the case is usable meanwhile)"),
            area,
        );
        return;
    }
    let Some(derived) = d.derived.as_ref().filter(|x| x.volume.len() == HOURS) else {
        return;
    };
    let (volume, alert_counts, window) = (&derived.volume, &derived.alert_counts, &derived.window);
    let label = if d.timeline_user { "user" } else { "host" };
    let hour = d.hour.min(HOURS - 1);
    let hour_end = end - (HOURS - 1 - hour) as i64 * crate::timeline::HOUR_MS;
    let mut lines = vec![
        Line::from(vec![
            Span::styled(
                format!(" {label} {} ", crate::safe_text::line(&who)),
                theme.title(),
            ),
            Span::styled(
                format!("· 48 h before {} · u: host ↔ user", time(Some(end))),
                theme.dim(),
            ),
        ]),
        Line::from(vec![
            Span::styled(" events  ", theme.dim()),
            Span::styled(bar_line(volume), theme.fg(Color::Blue)),
            Span::styled(
                format!("  {} script blocks", volume.iter().sum::<u64>()),
                theme.dim(),
            ),
        ]),
        Line::from(vec![
            Span::styled(" alerts  ", theme.dim()),
            Span::styled(bar_line(alert_counts), theme.fg(Color::Red)),
            Span::styled(
                format!("  {} alerts", alert_counts.iter().sum::<u64>()),
                theme.dim(),
            ),
        ]),
        Line::from(vec![
            Span::raw("         "),
            Span::styled(
                format!("{}▲ this alert", "─".repeat(HOURS - 1)),
                theme.dim(),
            ),
        ]),
        Line::from(vec![
            Span::raw(format!("         {}", " ".repeat(hour))),
            Span::styled("^", theme.title()),
            Span::styled(
                format!(
                    " {} events, {} alerts in the hour to {} · [ ] C",
                    volume[hour],
                    alert_counts[hour],
                    super::short_time(Some(hour_end)),
                ),
                theme.dim(),
            ),
        ]),
        Line::styled(
            format!("         -48h{:>width$}", "now", width = HOURS - 4),
            theme.dim(),
        ),
    ];
    let [chart, list] = Layout::vertical([
        Constraint::Length(lines.len() as u16 + 1),
        Constraint::Min(1),
    ])
    .areas(area);
    lines.push(Line::raw(""));
    f.render_widget(Paragraph::new(lines), chart);
    let cursor = d.timeline_cursor.min(window.len().saturating_sub(1));
    let rows: Vec<Line> = window
        .iter()
        .enumerate()
        .map(|(n, &j)| {
            let b = &ws.alerts[j];
            let other = if d.timeline_user {
                b.host.as_deref()
            } else {
                b.user.as_deref()
            }
            .unwrap_or("-");
            let text = format!(
                " {}  {:<44}  {:<24}  {}{}",
                time(b.time_ms),
                ws.rules[b.rule].meta.name,
                crate::safe_text::line(other),
                app.book.status(&b.id).name(),
                if j == app.current().unwrap_or(usize::MAX) {
                    "  ◀ selected"
                } else {
                    ""
                }
            );
            let style = if n == cursor && app.detail_focus {
                theme.selected()
            } else {
                Style::default()
            };
            Line::styled(text, style)
        })
        .collect();
    let scroll = cursor.saturating_sub(list.height.saturating_sub(1) as usize) as u16;
    f.render_widget(Paragraph::new(rows).scroll((scroll, 0)), list);
}
