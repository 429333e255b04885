//! Pure rendering: `render(&App, frame)` draws the header, the alert list, the detail tabs, the
//! footer and any overlay. Reads state only: no I/O, no clock, no heavy work. Every string from
//! the logs passes through `safe_text` before it reaches a widget.

pub mod checklist;
pub mod detail;
pub mod script;
pub mod timeline;

use super::app::{App, Phase, Prompt, SortKey, TABS};
use super::keymap;
use crate::ecs::format_millis;
use crate::safe_text;
use crate::triage::{Status, CLOSING_REASONS};
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::{Color, Modifier, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Cell, Clear, Paragraph, Row, Table, Tabs, Wrap};
use ratatui::Frame;

/// Styles, with a colourless variant for `NO_COLOR`.
pub struct Theme {
    pub no_color: bool,
}

impl Theme {
    pub fn fg(&self, c: Color) -> Style {
        if self.no_color {
            Style::default()
        } else {
            Style::default().fg(c)
        }
    }
    pub fn selected(&self) -> Style {
        if self.no_color {
            Style::default().add_modifier(Modifier::REVERSED)
        } else {
            Style::default()
                .bg(Color::Rgb(40, 50, 80))
                .add_modifier(Modifier::BOLD)
        }
    }
    pub fn dim(&self) -> Style {
        if self.no_color {
            Style::default().add_modifier(Modifier::DIM)
        } else {
            Style::default().fg(Color::DarkGray)
        }
    }
    pub fn title(&self) -> Style {
        self.fg(Color::Cyan).add_modifier(Modifier::BOLD)
    }
}

pub fn time(ms: Option<i64>) -> String {
    ms.map(|t| {
        format_millis(t)
            .replace('T', " ")
            .trim_end_matches('Z')
            .to_owned()
    })
    .unwrap_or_else(|| "-".into())
}

/// Draws everything.
pub fn render(app: &App, f: &mut Frame) {
    let theme = Theme {
        no_color: app.no_color,
    };
    let area = f.area();
    let [header, body, footer] = Layout::vertical([
        Constraint::Length(2),
        Constraint::Min(3),
        Constraint::Length(1),
    ])
    .areas(area);
    match &app.phase {
        Phase::Loading(p) => {
            let pct = if p.bytes_total > 0 {
                p.bytes_done as f64 * 100.0 / p.bytes_total as f64
            } else {
                0.0
            };
            let eta = p
                .eta_secs()
                .map(|s| format!("{s:.0} s left"))
                .unwrap_or_else(|| "estimating…".into());
            let lines = vec![
                Line::styled("Loading exports…", theme.title()),
                Line::raw(format!(
                    "files {}/{}   events {}   {} of {} ({pct:.0}%)",
                    p.files_done,
                    p.files_total,
                    p.events,
                    crate::ingest::human_bytes(p.bytes_done),
                    crate::ingest::human_bytes(p.bytes_total)
                )),
                Line::raw(format!(
                    "{}/s   {eta}",
                    crate::ingest::human_bytes(p.rate() as u64)
                )),
                Line::raw(format!("reading {}", safe_text::line(&p.current))),
                Line::styled("q cancels", theme.dim()),
            ];
            f.render_widget(
                Paragraph::new(lines).block(Block::default().borders(Borders::ALL)),
                body,
            );
        }
        Phase::Failed(e) => {
            let p = Paragraph::new(safe_text::multiline(e))
                .wrap(Wrap { trim: false })
                .block(
                    Block::default()
                        .borders(Borders::ALL)
                        .title("could not load"),
                );
            f.render_widget(p, body);
        }
        Phase::Ready(ws) => {
            render_header(app, ws, &theme, f, header);
            if ws.script_events == 0 {
                render_setup(ws, &theme, f, body);
            } else {
                let list_h = app.list_height() as u16 + 3;
                let [list, detail] =
                    Layout::vertical([Constraint::Length(list_h), Constraint::Min(3)]).areas(body);
                render_list(app, ws, &theme, f, list);
                render_detail(app, ws, &theme, f, detail);
            }
        }
    }
    render_footer(app, &theme, f, footer);
    if app.help {
        render_help(&theme, f, area);
    }
    if let Some(p) = &app.prompt {
        render_prompt(app, p, &theme, f, area);
    }
}

fn render_header(
    app: &App,
    ws: &crate::workspace::Workspace,
    theme: &Theme,
    f: &mut Frame,
    area: Rect,
) {
    let range = ws
        .time_range
        .map(|(a, b)| format!("{} → {}", time(Some(a)), time(Some(b))))
        .unwrap_or_else(|| "no timestamps".into());
    let [open, ack, closed] = app.counts;
    let sort = match app.sort {
        SortKey::Time => "time",
        SortKey::Risk => "risk",
        SortKey::Host => "host",
    };
    let filter = app.status_filter.map(|s| s.name()).unwrap_or("all");
    let lines = vec![
        Line::from(vec![
            Span::styled(" pstriage ", theme.title()),
            Span::raw(format!(
                "{} files · {} events · {} hosts · {range}",
                ws.files,
                ws.events,
                ws.hosts
                    .map(|h| h.to_string())
                    .unwrap_or_else(|| "…".into())
            )),
        ]),
        Line::from(vec![
            Span::raw(format!(" alerts {}: ", ws.alerts.len())),
            Span::styled(format!("{open} open"), theme.fg(Color::Yellow)),
            Span::raw(" · "),
            Span::styled(format!("{ack} acknowledged"), theme.fg(Color::Blue)),
            Span::raw(" · "),
            Span::styled(format!("{closed} closed"), theme.fg(Color::Green)),
            Span::styled(
                format!(
                    "   showing {} · status {filter} · sort {sort}{}",
                    app.rows.len(),
                    if app.search.is_empty() {
                        String::new()
                    } else {
                        format!(" · search \"{}\"", safe_text::line(&app.search))
                    }
                ),
                theme.dim(),
            ),
        ]),
    ];
    f.render_widget(Paragraph::new(lines), area);
}

fn render_setup(ws: &crate::workspace::Workspace, theme: &Theme, f: &mut Frame, area: Rect) {
    let mut text = vec![
        Line::styled(
            "The loaded data holds no script-block events (4104): the rules have nothing to read.",
            theme.title(),
        ),
        Line::raw(""),
    ];
    if let Some(setup) = ws.rules.first().and_then(|r| r.meta.setup.as_deref()) {
        text.extend(
            safe_text::multiline(setup)
                .lines()
                .map(|l| Line::raw(l.to_owned())),
        );
    }
    f.render_widget(
        Paragraph::new(text)
            .wrap(Wrap { trim: false })
            .block(Block::default().borders(Borders::ALL).title("Setup")),
        area,
    );
}

/// `05-21 14:07:12`: the list's time column (the year is in the header).
fn short_time(ms: Option<i64>) -> String {
    let t = time(ms);
    t.get(5..19).map(str::to_owned).unwrap_or(t)
}

fn short_severity(s: &str) -> &str {
    match s {
        "critical" => "crit",
        "medium" => "med",
        other => other,
    }
}

fn short_status(s: Status) -> &'static str {
    match s {
        Status::Open => "open",
        Status::Acknowledged => "ack",
        Status::Closed => "closed",
    }
}

fn status_style(theme: &Theme, s: Status) -> Style {
    match s {
        Status::Open => theme.fg(Color::Yellow),
        Status::Acknowledged => theme.fg(Color::Blue),
        Status::Closed => theme.fg(Color::Green),
    }
}

fn render_list(
    app: &App,
    ws: &crate::workspace::Workspace,
    theme: &Theme,
    f: &mut Frame,
    area: Rect,
) {
    let height = app.list_height();
    let offset = app.list_offset(height);
    let rows: Vec<Row> = app
        .rows
        .iter()
        .enumerate()
        .skip(offset)
        .take(height)
        .map(|(pos, &i)| {
            let a = &ws.alerts[i];
            let r = &ws.rules[a.rule].meta;
            let status = app.book.status(&a.id);
            let style = if pos == app.selected {
                theme.selected()
            } else {
                Style::default()
            };
            Row::new(vec![
                Cell::from(short_time(a.time_ms)),
                Cell::from(safe_text::line(a.host.as_deref().unwrap_or("-")).into_owned()),
                Cell::from(safe_text::line(a.user.as_deref().unwrap_or("-")).into_owned()),
                Cell::from(match a.kind {
                    crate::alert::AlertKind::Elastic => {
                        Span::raw(safe_text::line(&r.name).into_owned())
                    }
                    _ => Span::styled(
                        format!("[split] {}", safe_text::line(&r.name)),
                        theme.fg(Color::Magenta),
                    ),
                }),
                Cell::from(format!("{}/{}", short_severity(&r.severity), r.risk_score)),
                Cell::from(match app.group_sizes.get(pos).copied().unwrap_or(1) {
                    1 => safe_text::line(&a.matched_terms.join(" ")).into_owned(),
                    n => format!(
                        "×{n} fragments · {}",
                        safe_text::line(&a.matched_terms.join(" "))
                    ),
                }),
                Cell::from(Span::styled(
                    short_status(status),
                    status_style(theme, status),
                )),
            ])
            .style(style)
        })
        .collect();
    let widths = [
        Constraint::Length(14),
        Constraint::Length(12),
        Constraint::Length(12),
        Constraint::Fill(2),
        Constraint::Length(6),
        Constraint::Fill(3),
        Constraint::Length(6),
    ];
    let header = Row::new([
        "time",
        "host",
        "user",
        "rule",
        "risk",
        "matched terms",
        "status",
    ])
    .style(theme.title());
    let focus = if app.detail_focus {
        theme.dim()
    } else {
        theme.title()
    };
    let title = if app.rows.is_empty() {
        " Alerts — none match the filter ".to_owned()
    } else {
        format!(" Alerts {}/{} ", app.selected + 1, app.rows.len())
    };
    let table = Table::new(rows, widths).header(header).block(
        Block::default()
            .borders(Borders::ALL)
            .border_style(focus)
            .title(title),
    );
    f.render_widget(table, area);
}

fn render_detail(
    app: &App,
    ws: &crate::workspace::Workspace,
    theme: &Theme,
    f: &mut Frame,
    area: Rect,
) {
    let focus = if app.detail_focus {
        theme.title()
    } else {
        theme.dim()
    };
    let block = Block::default().borders(Borders::ALL).border_style(focus);
    let inner = block.inner(area);
    f.render_widget(block, area);
    let [tabs, content] =
        Layout::vertical([Constraint::Length(1), Constraint::Min(1)]).areas(inner);
    let selected = TABS.iter().position(|t| *t == app.tab).unwrap_or(0);
    f.render_widget(
        Tabs::new(TABS.iter().map(|t| t.title()))
            .select(selected)
            .highlight_style(theme.selected()),
        tabs,
    );
    let Some(i) = app.current() else {
        f.render_widget(Paragraph::new("No alert selected."), content);
        return;
    };
    let alert = &ws.alerts[i];
    match app.tab {
        super::app::Tab::Script => script::render(app, alert, theme, f, content),
        super::app::Tab::Timeline => timeline::render(app, ws, alert, theme, f, content),
        super::app::Tab::Checklist => checklist::render(app, ws, alert, theme, f, content),
        super::app::Tab::Event => detail::render_event(app, alert, theme, f, content),
        super::app::Tab::Rule => detail::render_rule(app, ws, alert, theme, f, content),
    }
}

fn render_footer(app: &App, theme: &Theme, f: &mut Frame, area: Rect) {
    if let Some(m) = &app.message {
        f.render_widget(
            Paragraph::new(Line::styled(
                format!(" {}", safe_text::line(m)),
                theme.fg(Color::Red),
            )),
            area,
        );
        return;
    }
    let scope = if app.detail_focus {
        match app.tab {
            super::app::Tab::Script => keymap::Scope::Script,
            super::app::Tab::Checklist => keymap::Scope::Checklist,
            super::app::Tab::Timeline => keymap::Scope::Timeline,
            _ => keymap::Scope::Everywhere,
        }
    } else {
        keymap::Scope::Everywhere
    };
    let mut spans = Vec::new();
    for (k, h) in keymap::hints(scope) {
        spans.push(Span::styled(format!(" {k}"), theme.title()));
        spans.push(Span::raw(format!(" {h}")));
    }
    f.render_widget(Paragraph::new(Line::from(spans)), area);
}

fn centered(area: Rect, w: u16, h: u16) -> Rect {
    let w = w.min(area.width);
    let h = h.min(area.height);
    Rect {
        x: area.x + (area.width - w) / 2,
        y: area.y + (area.height - h) / 2,
        width: w,
        height: h,
    }
}

fn render_help(theme: &Theme, f: &mut Frame, area: Rect) {
    let lines: Vec<Line> = keymap::KEYMAP
        .iter()
        .map(|b| {
            Line::from(vec![
                Span::styled(format!("{:<12}", b.keys), theme.title()),
                Span::raw(b.help),
            ])
        })
        .collect();
    let rect = centered(area, 72, lines.len() as u16 + 2);
    f.render_widget(Clear, rect);
    f.render_widget(
        Paragraph::new(lines).block(
            Block::default()
                .borders(Borders::ALL)
                .title(" Keys — any key closes "),
        ),
        rect,
    );
}

fn render_prompt(app: &App, p: &Prompt, theme: &Theme, f: &mut Frame, area: Rect) {
    let (title, body): (&str, Vec<Line>) = match p {
        Prompt::Search(s) => (
            " Search (Enter keeps, Esc clears) ",
            vec![Line::raw(format!("/{}", safe_text::line(s)))],
        ),
        Prompt::Note(s) => (
            " Note (Ctrl-s saves, Esc cancels, Enter new line) ",
            safe_text::multiline(&format!("{s}▏"))
                .lines()
                .map(|l| Line::raw(l.to_owned()))
                .collect(),
        ),
        Prompt::CloseReason => (
            " Close the alert — pick a reason (any other key cancels) ",
            CLOSING_REASONS
                .iter()
                .enumerate()
                .map(|(i, r)| Line::raw(format!(" {}  {r}", i + 1)))
                .collect(),
        ),
        Prompt::Bulk => (
            " Bulk change (any other key cancels) ",
            vec![
                Line::raw(format!(
                    " set the status of all {} listed alerts:",
                    app.rows.len()
                )),
                Line::raw(" a  acknowledged"),
                Line::raw(" o  open"),
            ],
        ),
    };
    let rect = centered(area, 70, body.len() as u16 + 2);
    f.render_widget(Clear, rect);
    f.render_widget(
        Paragraph::new(body).wrap(Wrap { trim: false }).block(
            Block::default()
                .borders(Borders::ALL)
                .border_style(theme.title())
                .title(title),
        ),
        rect,
    );
}
