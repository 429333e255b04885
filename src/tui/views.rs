//! Pure rendering: `render(&App, frame)` draws the header, the view (the alert list with its
//! detail tabs, or the hunt view), the footer and any overlay. Reads state only: no I/O, no
//! clock, no heavy work. Every string from the logs passes through `safe_text` before it
//! reaches a widget.

pub mod checklist;
pub mod decoded;
pub mod detail;
pub mod exception;
pub mod hunt;
pub mod landing;
pub mod script;
pub mod timeline;
pub mod wrap;

use super::app::{App, Phase, View, TABS};
use super::keymap;
use super::prompt::Prompt;
use crate::ecs::format_millis;
use crate::i18n::{t, tf};
pub use crate::labels::{reason_label, severity_label, status_label};
use crate::safe_text;
use crate::triage::{Status, CLOSING_REASONS};
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::{Color, Modifier, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Cell, Clear, Paragraph, Row, Table, Tabs};
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
        Phase::Loading(p) => render_loading(p, &theme, f, body),
        Phase::Failed(e) => {
            let lines = safe_text::multiline(e)
                .lines()
                .map(|l| Line::raw(l.to_owned()))
                .collect();
            let p = Paragraph::new(wrap::wrap_lines(lines, body.width.saturating_sub(2))).block(
                Block::default()
                    .borders(Borders::ALL)
                    .title(t("load.failed")),
            );
            f.render_widget(p, body);
        }
        Phase::Ready(ws) => {
            render_header(app, ws, &theme, f, header);
            if ws.script_events == 0 && ws.loading.is_none() {
                render_setup(ws, &theme, f, body);
            } else if app.view == View::Hunt {
                hunt::render(app, ws, &theme, f, body);
            } else if let (true, Some(p)) = (ws.alerts.is_empty(), &ws.loading) {
                render_loading(p, &theme, f, body);
            } else if ws.alerts.is_empty() {
                landing::render(ws, &theme, f, body);
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
    if let (Some(d), Some(ws)) = (&app.draft, app.workspace()) {
        exception::render(d, ws, &theme, f, area);
    }
}

/// How far a load is, in whole percent of the bytes to read.
pub fn read_percent(p: &crate::ingest::Progress) -> String {
    format!("{:.0}", p.percent())
}

/// The loading panel: files, events, bytes, rate, what is being read.
fn render_loading(p: &crate::ingest::Progress, theme: &Theme, f: &mut Frame, area: Rect) {
    let eta = p
        .eta_secs()
        .map(|s| tf("load.eta", &[("secs", &format!("{s:.0}"))]))
        .unwrap_or_else(|| t("load.estimating").to_owned());
    let lines = vec![
        Line::styled(t("load.title"), theme.title()),
        Line::raw(tf(
            "load.progress",
            &[
                ("done", &p.files_done),
                ("files", &p.files_total),
                ("events", &p.events),
                ("read", &crate::ingest::human_bytes(p.bytes_done)),
                ("total", &crate::ingest::human_bytes(p.bytes_total)),
                ("pct", &read_percent(p)),
            ],
        )),
        Line::raw(format!(
            "{}/s   {eta}",
            crate::ingest::human_bytes(p.rate() as u64)
        )),
        Line::raw(tf(
            "load.reading",
            &[("path", &safe_text::line(&p.current))],
        )),
        Line::styled(t("load.cancel"), theme.dim()),
    ];
    f.render_widget(
        Paragraph::new(wrap::wrap_lines(lines, area.width.saturating_sub(2)))
            .block(Block::default().borders(Borders::ALL)),
        area,
    );
}

/// The header's facts while the one pass runs: events read, alerts so far, and the index
/// (written as events are read, then committed).
pub fn loading_line(ws: &crate::workspace::Workspace, p: &crate::ingest::Progress) -> String {
    let read_all = p.files_total > 0 && p.files_done == p.files_total;
    let index = if read_all {
        t("load.index_committing").to_owned()
    } else {
        tf("load.index_writing", &[("pct", &read_percent(p))])
    };
    tf(
        "load.header",
        &[
            ("events", &landing::thousands(p.events)),
            ("alerts", &landing::thousands(ws.alerts.len() as u64)),
            ("index", &index),
        ],
    )
}

fn render_header(
    app: &App,
    ws: &crate::workspace::Workspace,
    theme: &Theme,
    f: &mut Frame,
    area: Rect,
) {
    let second = match app.view {
        View::Alerts => alerts_line(app, ws, theme),
        View::Hunt => hunt::header_line(app, theme),
    };
    let lines = vec![
        Line::from(vec![
            Span::styled(" pstriage ", theme.title()),
            Span::raw(match &ws.loading {
                Some(p) => loading_line(ws, p),
                None => landing::facts_line(ws),
            }),
        ]),
        second,
    ];
    f.render_widget(Paragraph::new(lines), area);
}

/// The alert view's second header line: counts per status, what the list shows.
fn alerts_line(app: &App, ws: &crate::workspace::Workspace, theme: &Theme) -> Line<'static> {
    let [open, ack, closed] = app.list.counts;
    let filter = app
        .list
        .status_filter
        .map(status_label)
        .unwrap_or(t("header.filter_all"));
    Line::from(vec![
        Span::raw(tf("header.alerts", &[("n", &ws.alerts.len())])),
        Span::styled(tf("header.open", &[("n", &open)]), theme.fg(Color::Yellow)),
        Span::raw(" · "),
        Span::styled(
            tf("header.acknowledged", &[("n", &ack)]),
            theme.fg(Color::Blue),
        ),
        Span::raw(" · "),
        Span::styled(
            tf("header.closed", &[("n", &closed)]),
            theme.fg(Color::Green),
        ),
        Span::styled(
            match (app.list.suppressed, app.list.show_suppressed) {
                (0, _) => String::new(),
                (n, true) => tf("header.suppressed_shown", &[("n", &n)]),
                (n, false) => tf("header.suppressed_hidden", &[("n", &n)]),
            },
            theme.fg(Color::Magenta),
        ),
        Span::styled(
            format!(
                "{}{}",
                tf(
                    "header.showing",
                    &[
                        ("n", &app.list.rows.len()),
                        ("filter", &filter),
                        ("sort", &t(app.list.sort.label_key())),
                    ]
                ),
                if app.list.search.is_empty() {
                    String::new()
                } else {
                    tf(
                        "header.search",
                        &[("text", &safe_text::line(&app.list.search))],
                    )
                }
            ),
            theme.dim(),
        ),
    ])
}

fn render_setup(ws: &crate::workspace::Workspace, theme: &Theme, f: &mut Frame, area: Rect) {
    let mut text = vec![
        Line::styled(t("setup.no_script_blocks"), theme.title()),
        Line::raw(""),
    ];
    if let Some(setup) = ws.rules.first().and_then(|r| r.setup_text()) {
        text.extend(
            safe_text::multiline(setup)
                .lines()
                .map(|l| Line::raw(l.to_owned())),
        );
    }
    f.render_widget(
        Paragraph::new(wrap::wrap_lines(text, area.width.saturating_sub(2))).block(
            Block::default()
                .borders(Borders::ALL)
                .title(t("setup.title")),
        ),
        area,
    );
}

/// `05-21 14:07:12`: the list's time column (the year is in the header).
pub fn short_time(ms: Option<i64>) -> String {
    let t = time(ms);
    t.get(5..19).map(str::to_owned).unwrap_or(t)
}

/// The list's word for a severity (`critical` → `crit`); an unknown one shows as it is.
fn short_severity(s: &str) -> &str {
    match s {
        "low" => t("severity.low_short"),
        "medium" => t("severity.medium_short"),
        "high" => t("severity.high_short"),
        "critical" => t("severity.critical_short"),
        other => other,
    }
}

fn short_status(s: Status) -> &'static str {
    match s {
        Status::Open => t("status.open_short"),
        Status::Acknowledged => t("status.acknowledged_short"),
        Status::Closed => t("status.closed_short"),
    }
}

/// How the list labels a finding beyond Elastic's (long and short form); `None` for Elastic's
/// own alerts.
fn kind_label(kind: &crate::alert::AlertKind) -> Option<(&'static str, &'static str)> {
    use crate::alert::AlertKind;
    match kind {
        AlertKind::Elastic => None,
        AlertKind::SplitScript { .. } => Some((t("kind.split_long"), t("kind.split_short"))),
        AlertKind::Decoded { .. } => Some((t("kind.decoded_long"), t("kind.decoded_short"))),
    }
}

fn status_style(theme: &Theme, s: Status) -> Style {
    match s {
        Status::Open => theme.fg(Color::Yellow),
        Status::Acknowledged => theme.fg(Color::Blue),
        Status::Closed => theme.fg(Color::Green),
    }
}

/// A rule name short enough for a narrow column: the words every bundled rule shares
/// ("Potential", "via PowerShell", a leading "PowerShell") are dropped.
pub fn short_rule_name(name: &str) -> &str {
    let n = name.strip_prefix("Potential ").unwrap_or(name);
    let n = n.strip_suffix(" via PowerShell").unwrap_or(n);
    let n = n.strip_prefix("PowerShell ").unwrap_or(n);
    if n.is_empty() {
        name
    } else {
        n
    }
}

/// Widths at or above which the list shows the user column and full rule names.
const WIDE: u16 = 110;

/// The alert list's column titles; the user column only when the list is `wide`.
fn list_header(wide: bool) -> Vec<&'static str> {
    [
        "list.header.time",
        "list.header.host",
        "list.header.user",
        "list.header.rule",
        "list.header.risk",
        "list.header.terms",
        "list.header.status",
    ]
    .into_iter()
    .filter(|key| wide || *key != "list.header.user")
    .map(t)
    .collect()
}

fn render_list(
    app: &App,
    ws: &crate::workspace::Workspace,
    theme: &Theme,
    f: &mut Frame,
    area: Rect,
) {
    let wide = area.width >= WIDE;
    let height = app.list_height();
    let offset = app.list_offset(height);
    let rows: Vec<Row> = app
        .list
        .rows
        .iter()
        .enumerate()
        .skip(offset)
        .take(height)
        .map(|(pos, &i)| {
            let a = &ws.alerts[i];
            let r = &ws.rules[a.rule].meta;
            let status = app.book.status(&a.id);
            let style = if pos == app.list.selected {
                theme.selected()
            } else {
                Style::default()
            };
            let name = if wide {
                r.name.as_str()
            } else {
                short_rule_name(&r.name)
            };
            let mut cells = vec![
                Cell::from(short_time(a.time_ms)),
                Cell::from(safe_text::line(a.host.as_deref().unwrap_or("-")).into_owned()),
            ];
            if wide {
                cells.push(Cell::from(
                    safe_text::line(a.user.as_deref().unwrap_or("-")).into_owned(),
                ));
            }
            cells.extend([
                Cell::from(match kind_label(&a.kind) {
                    None if a.suppressed_by.is_some() => Span::styled(
                        format!(
                            "{} {}",
                            if wide {
                                t("list.suppressed_long")
                            } else {
                                t("list.suppressed_short")
                            },
                            safe_text::line(name)
                        ),
                        theme.dim(),
                    ),
                    None => Span::raw(safe_text::line(name).into_owned()),
                    Some((long, short)) => Span::styled(
                        format!(
                            "{} {}",
                            if wide { long } else { short },
                            safe_text::line(name)
                        ),
                        theme.fg(Color::Magenta),
                    ),
                }),
                Cell::from(format!("{}/{}", short_severity(&r.severity), r.risk_score)),
                Cell::from(match app.list.group_sizes.get(pos).copied().unwrap_or(1) {
                    1 => safe_text::line(&a.matched_terms.join(" ")).into_owned(),
                    n => tf(
                        "list.fragments",
                        &[
                            ("n", &n),
                            ("terms", &safe_text::line(&a.matched_terms.join(" "))),
                        ],
                    ),
                }),
                Cell::from(Span::styled(
                    short_status(status),
                    status_style(theme, status),
                )),
            ]);
            Row::new(cells).style(style)
        })
        .collect();
    let (widths, header): (Vec<Constraint>, Vec<&str>) = if wide {
        (
            vec![
                Constraint::Length(14),
                Constraint::Length(12),
                Constraint::Length(12),
                Constraint::Fill(2),
                Constraint::Length(6),
                Constraint::Fill(3),
                Constraint::Length(6),
            ],
            list_header(true),
        )
    } else {
        let rule_width = ws
            .rules
            .iter()
            .map(|r| wrap::text_width(short_rule_name(&r.meta.name)) + 4)
            .max()
            .unwrap_or(12)
            .min(22) as u16;
        (
            vec![
                Constraint::Length(14),
                Constraint::Length(12),
                Constraint::Length(rule_width),
                Constraint::Length(6),
                Constraint::Fill(1),
                Constraint::Length(6),
            ],
            list_header(false),
        )
    };
    let header = Row::new(header).style(theme.title());
    let focus = if app.detail_focus {
        theme.dim()
    } else {
        theme.title()
    };
    let title = if app.list.rows.is_empty() {
        // Only a filter can hide every alert here: with no alerts at all the landing shows.
        tf("list.title_none", &[("n", &ws.alerts.len())])
    } else {
        tf(
            "list.title",
            &[
                ("at", &(app.list.selected + 1)),
                ("n", &app.list.rows.len()),
            ],
        )
    };
    let table = Table::new(rows, widths).header(header).block(
        Block::default()
            .borders(Borders::ALL)
            .border_style(focus)
            .title(title),
    );
    f.render_widget(table, area);
}

/// The bordered detail block with its tab bar; returns the content area.
pub fn detail_frame<'a>(
    app: &App,
    titles: impl IntoIterator<Item = &'a str>,
    selected: usize,
    theme: &Theme,
    f: &mut Frame,
    area: Rect,
) -> Rect {
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
    f.render_widget(
        Tabs::new(titles.into_iter().collect::<Vec<_>>())
            .select(selected)
            .highlight_style(theme.selected()),
        tabs,
    );
    content
}

fn render_detail(
    app: &App,
    ws: &crate::workspace::Workspace,
    theme: &Theme,
    f: &mut Frame,
    area: Rect,
) {
    let selected = TABS.iter().position(|t| *t == app.tab()).unwrap_or(0);
    let content = detail_frame(
        app,
        TABS.iter().map(|tab| tab.title()),
        selected,
        theme,
        f,
        area,
    );
    let Some(i) = app.current() else {
        f.render_widget(Paragraph::new(t("detail.no_alert")), content);
        return;
    };
    let alert = &ws.alerts[i];
    match app.tab() {
        super::app::Tab::Script => {
            if let Some(d) = app.detail.derived.as_ref().filter(|d| d.alert == i) {
                script::render(&d.script, &app.pane, theme, f, content)
            }
        }
        super::app::Tab::Timeline => {
            if let Some(d) = app.detail.derived.as_ref().filter(|d| d.alert == i) {
                let at = timeline::Cursors {
                    alert: app.detail_focus.then_some(app.detail.timeline_cursor),
                    hour: Some(app.detail.hour),
                    selected: Some(i),
                    here: t("timeline.this_alert"),
                };
                timeline::render(app, ws, &d.timeline, at, theme, f, content)
            }
        }
        super::app::Tab::Checklist => checklist::render(app, ws, alert, theme, f, content),
        super::app::Tab::Event => {
            let event = match app.detail.derived.as_ref().filter(|d| d.alert == i) {
                Some(d) => std::borrow::Cow::Borrowed(&d.event),
                // Before the panes are made (the first frame after a move).
                None => std::borrow::Cow::Owned(alert.event.unpack()),
            };
            let id = tf("detail.alert_id", &[("id", &alert.id)]);
            detail::render_event(app, &event, &id, theme, f, content)
        }
        super::app::Tab::Rule => detail::render_rule(app, ws, alert, theme, f, content),
        super::app::Tab::Decoded => match &app.detail.decoded {
            Some(d) if d.alert == Some(i) => decoded::render(d, &app.pane, theme, f, content),
            _ => f.render_widget(Paragraph::new(t("detail.decoding")), content),
        },
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
    let mut spans = Vec::new();
    for (k, h) in keymap::hints(&app.scopes()) {
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
    // As many columns as the screen's height needs.
    let count = keymap::KEYMAP.len();
    let fits = area.height.saturating_sub(2).max(1) as usize;
    let columns = count.div_ceil(fits).max(1);
    let width = (72 * columns as u16).min(area.width);
    let rows = count.div_ceil(columns) as u16;
    // A line too long for its column ends in "…" one column short, so columns never touch.
    let room = usize::from(width.saturating_sub(2)) / columns;
    let lines: Vec<Line> = keymap::KEYMAP
        .iter()
        .map(|b| {
            Line::from(vec![
                Span::styled(format!("{:<12}", b.keys), theme.title()),
                Span::raw(wrap::truncate(b.help_text(), room.saturating_sub(13))),
            ])
        })
        .collect();
    let rect = centered(area, width, rows + 2);
    f.render_widget(Clear, rect);
    let block = Block::default()
        .borders(Borders::ALL)
        .title(t("help.title"));
    let inner = block.inner(rect);
    f.render_widget(block, rect);
    let parts = Layout::horizontal(vec![Constraint::Fill(1); columns]).split(inner);
    for (part, chunk) in parts.iter().zip(lines.chunks(rows.max(1) as usize)) {
        f.render_widget(Paragraph::new(chunk.to_vec()), *part);
    }
}

fn render_prompt(app: &App, p: &Prompt, theme: &Theme, f: &mut Frame, area: Rect) {
    let (title, body): (&str, Vec<Line>) = match p {
        Prompt::Search(s) => (
            t("prompt.search"),
            vec![Line::raw(format!("/{}", safe_text::line(s)))],
        ),
        Prompt::Query { text, .. } => (
            t("prompt.query"),
            hunt::query_prompt_lines(app, text, theme),
        ),
        Prompt::Note(s) => (
            t("prompt.note"),
            safe_text::multiline(&format!("{s}▏"))
                .lines()
                .map(|l| Line::raw(l.to_owned()))
                .collect(),
        ),
        Prompt::Bookmark(s) => (
            t("prompt.bookmark"),
            vec![Line::raw(format!("{}▏", safe_text::line(s)))],
        ),
        Prompt::SaveSearch(s) => (
            t("prompt.save_search"),
            vec![
                Line::raw(format!("{}▏", safe_text::line(s))),
                Line::styled(
                    tf(
                        "prompt.save_search_query",
                        &[(
                            "query",
                            &safe_text::line(app.hunt.hunt().map_or("", |h| h.text.as_str())),
                        )],
                    ),
                    theme.dim(),
                ),
            ],
        ),
        Prompt::CloseReason => (
            t("prompt.close"),
            CLOSING_REASONS
                .iter()
                .enumerate()
                .map(|(i, r)| Line::raw(format!(" {}  {}", i + 1, reason_label(r))))
                .collect(),
        ),
        Prompt::Bulk => (
            t("prompt.bulk"),
            vec![
                Line::raw(tf("prompt.bulk_what", &[("n", &app.list.rows.len())])),
                Line::raw(format!(" a  {}", t("status.acknowledged"))),
                Line::raw(format!(" o  {}", t("status.open"))),
            ],
        ),
    };
    let width = (area.width.saturating_sub(4)).clamp(20, 100);
    let body = wrap::wrap_lines(body, width.saturating_sub(2));
    let rect = centered(area, width, body.len() as u16 + 2);
    f.render_widget(Clear, rect);
    f.render_widget(
        Paragraph::new(body).block(
            Block::default()
                .borders(Borders::ALL)
                .border_style(theme.title())
                .title(title),
        ),
        rect,
    );
}
