//! The Timeline tab: a host (or user) over the 48 hours before an alert or a hunted event —
//! event volume and alerts from all loaded rules per hour, with an hour cursor on an alert's
//! timeline (`[` `]`, `C` lists that hour's script blocks) — and the list of those alerts. The
//! counts come from `derived`; nothing is counted while drawing.

use super::wrap::{pad_end, pad_start, truncate};
use super::{time, Theme};
use crate::i18n::{t, tf};
use crate::tui::app::App;
use crate::tui::derived::TimelineView;
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

/// What the reader is pointing at in a timeline: the alert under the list cursor and the hour
/// under the chart cursor (both only where they can be moved), and the alert being shown.
pub struct Cursors {
    pub alert: Option<usize>,
    pub hour: Option<usize>,
    pub selected: Option<usize>,
    /// What the window ends at, under the chart ("this alert", "this event").
    pub here: &'static str,
}

pub fn render(
    app: &App,
    ws: &Workspace,
    tl: &TimelineView,
    at: Cursors,
    theme: &Theme,
    f: &mut Frame,
    area: Rect,
) {
    let who = tl.who.clone();
    let Some(end) = tl.end else {
        f.render_widget(Paragraph::new(t("timeline.no_time")), area);
        return;
    };
    if let Some(p) = &ws.loading {
        // The counts come from the index, which is still being written.
        let text = tf("timeline.indexing", &[("pct", &super::read_percent(p))]);
        f.render_widget(Paragraph::new(text), area);
        return;
    }
    if !ws.complete || tl.volume.len() != HOURS {
        f.render_widget(Paragraph::new(t("timeline.counting")), area);
        return;
    }
    let (volume, alert_counts, window) = (&tl.volume, &tl.alert_counts, &tl.window);
    let label = if tl.by_user {
        t("timeline.user")
    } else {
        t("timeline.host")
    };
    let mut lines = vec![
        Line::from(vec![
            Span::styled(
                format!(" {label} {} ", crate::safe_text::line(&who)),
                theme.title(),
            ),
            Span::styled(
                tf("timeline.before", &[("end", &time(Some(end)))]),
                theme.dim(),
            ),
        ]),
        Line::from(vec![
            Span::styled(pad_end(t("timeline.events_row"), 9), theme.dim()),
            Span::styled(bar_line(volume), theme.fg(Color::Blue)),
            Span::styled(
                tf(
                    "timeline.events_total",
                    &[("n", &volume.iter().sum::<u64>())],
                ),
                theme.dim(),
            ),
        ]),
        Line::from(vec![
            Span::styled(pad_end(t("timeline.alerts_row"), 9), theme.dim()),
            Span::styled(bar_line(alert_counts), theme.fg(Color::Red)),
            Span::styled(
                tf(
                    "timeline.alerts_total",
                    &[("n", &alert_counts.iter().sum::<u64>())],
                ),
                theme.dim(),
            ),
        ]),
        Line::from(vec![
            Span::raw("         "),
            Span::styled(
                format!("{}▲ {}", "─".repeat(HOURS - 1), at.here),
                theme.dim(),
            ),
        ]),
        Line::styled(
            format!("         -48h{}", pad_start(t("timeline.now"), HOURS - 4)),
            theme.dim(),
        ),
    ];
    if let Some(hour) = at.hour.map(|h| h.min(HOURS - 1)) {
        let hour_end = end - (HOURS - 1 - hour) as i64 * crate::timeline::HOUR_MS;
        lines.insert(
            4,
            Line::from(vec![
                Span::raw(format!("         {}", " ".repeat(hour))),
                Span::styled("^", theme.title()),
                Span::styled(
                    tf(
                        "timeline.hour",
                        &[
                            ("events", &volume[hour]),
                            ("alerts", &alert_counts[hour]),
                            ("end", &super::short_time(Some(hour_end))),
                        ],
                    ),
                    theme.dim(),
                ),
            ]),
        );
    }
    let [chart, list] = Layout::vertical([
        Constraint::Length(lines.len() as u16 + 1),
        Constraint::Min(1),
    ])
    .areas(area);
    lines.push(Line::raw(""));
    f.render_widget(Paragraph::new(lines), chart);
    let cursor = at.alert.map(|c| c.min(window.len().saturating_sub(1)));
    let rows: Vec<Line> = window
        .iter()
        .enumerate()
        .map(|(n, &j)| {
            let b = &ws.alerts[j];
            let other = if tl.by_user {
                b.host.as_deref()
            } else {
                b.user.as_deref()
            }
            .unwrap_or("-");
            let text = format!(
                " {}  {}  {}  {}{}",
                time(b.time_ms),
                pad_end(
                    &truncate(&crate::safe_text::line(&ws.rules[b.rule].meta.name), 44),
                    44
                ),
                pad_end(&truncate(&crate::safe_text::line(other), 24), 24),
                super::status_label(app.book.status(&b.id)),
                if Some(j) == at.selected {
                    t("timeline.selected")
                } else {
                    ""
                }
            );
            let style = if Some(n) == cursor {
                theme.selected()
            } else {
                Style::default()
            };
            Line::styled(text, style)
        })
        .collect();
    let scroll = cursor
        .unwrap_or(0)
        .saturating_sub(list.height.saturating_sub(1) as usize) as u16;
    f.render_widget(Paragraph::new(rows).scroll((scroll, 0)), list);
}
