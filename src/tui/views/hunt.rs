//! The hunt view: the query line, the events a KQL query (or a context listing) found, and the
//! selected event's detail (its script with the query's terms marked, its document, every
//! rule's verdict). Also the query prompt's body, with a syntax error shown at its column.

use super::wrap::{pad_end, wrap_lines};
use super::{detail, detail_frame, landing, script, short_time, Theme};
use crate::i18n::{t, tf};
use crate::index::Who;
use crate::safe_text;
use crate::tui::app::App;
use crate::tui::hunt::{Source, HUNT_TABS, LIST_LIMIT};
use crate::workspace::Workspace;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::{Color, Style};
use ratatui::text::Line;
use ratatui::widgets::{Block, Borders, Cell, Paragraph, Row, Table};
use ratatui::Frame;

fn who_text(who: &Who) -> String {
    match who {
        Who::Host(h) => tf("hunt.who_host", &[("name", &safe_text::line(h))]),
        Who::User(u) => tf("hunt.who_user", &[("name", &safe_text::line(u))]),
        Who::Anyone => t("hunt.who_anyone").into(),
    }
}

/// What the list shows, in a few words.
fn describe(source: &Source) -> String {
    match source {
        Source::Query(h) if h.text.trim().is_empty() => t("hunt.every_event").into(),
        Source::Query(h) => tf("hunt.query", &[("text", &safe_text::line(&h.text))]),
        Source::Around(a) => tf(
            "hunt.around",
            &[
                ("who", &who_text(&a.who)),
                ("minutes", &a.minutes),
                ("from", &safe_text::line(&a.from)),
            ],
        ),
    }
}

/// The header's second line in the hunt view.
pub fn header_line(app: &App, theme: &Theme) -> Line<'static> {
    let h = &app.hunt;
    let text = match (&h.pending, &h.listing, &h.failure) {
        (Some((_, source)), _, _) => match app.workspace().and_then(|w| w.loading.as_ref()) {
            Some(p) => tf(
                "hunt.waiting",
                &[
                    ("what", &describe(source)),
                    ("pct", &super::read_percent(p)),
                ],
            ),
            None => tf("hunt.running", &[("what", &describe(source))]),
        },
        (None, _, Some(e)) => tf("hunt.failed", &[("why", &safe_text::line(e))]),
        (None, Some(l), None) => format!(
            "{}{}",
            tf(
                "hunt.done",
                &[
                    ("what", &describe(&l.source)),
                    ("n", &landing::thousands(l.total as u64)),
                    (
                        "total",
                        &app.workspace()
                            .map(|w| landing::thousands(w.events))
                            .unwrap_or_default(),
                    ),
                    ("ms", &l.took_ms),
                ],
            ),
            if l.total > l.found.len() {
                tf(
                    "hunt.first_listed",
                    &[("n", &landing::thousands(LIST_LIMIT as u64))],
                )
            } else {
                String::new()
            }
        ),
        (None, None, None) => t("hunt.no_query").into(),
    };
    Line::styled(text, theme.fg(Color::Cyan))
}

/// Draws the hunt view in `area` (below the header).
pub fn render(app: &App, ws: &Workspace, theme: &Theme, f: &mut Frame, area: Rect) {
    let list_h = app.list_height() as u16 + 3;
    let [query, list, detail_area] = Layout::vertical([
        Constraint::Length(1),
        Constraint::Length(list_h),
        Constraint::Min(3),
    ])
    .areas(area);
    let shown = app
        .hunt
        .listing
        .as_ref()
        .map(|l| match &l.source {
            Source::Query(h) => format!(" KQL › {}", safe_text::line(&h.text)),
            Source::Around(a) => tf(
                "hunt.context_line",
                &[("who", &who_text(&a.who)), ("minutes", &a.minutes)],
            ),
        })
        .unwrap_or_else(|| t("hunt.kql_empty").into());
    f.render_widget(Paragraph::new(Line::styled(shown, theme.dim())), query);
    if app.hunt.listing.is_none() {
        render_intro(
            app,
            theme,
            f,
            Rect {
                height: list.height + detail_area.height,
                ..list
            },
        );
        return;
    }
    render_list(app, theme, f, list);
    render_detail(app, ws, theme, f, detail_area);
}

/// Before the first hunt: how to write one, and the case's saved searches.
fn render_intro(app: &App, theme: &Theme, f: &mut Frame, area: Rect) {
    let mut lines = vec![
        Line::styled(t("hunt.intro"), theme.title()),
        Line::raw(t("hunt.intro_query")),
        Line::raw(t("hunt.intro_context")),
        Line::raw(""),
        Line::styled(t("hunt.examples"), theme.title()),
        Line::raw("    powershell.file.script_block_text:(VirtualAlloc and CreateThread)"),
        Line::raw(
            "    host.name:wks-0019 and powershell.file.script_block_text:\"Invoke-Mimikatz\"",
        ),
        Line::raw("    user.id:\"S-1-5-18\" and not powershell.file.script_block_text:Get-*"),
        Line::raw(t("hunt.example_any_field")),
    ];
    if !app.saved.searches.is_empty() {
        lines.push(Line::raw(""));
        lines.push(Line::styled(t("hunt.saved"), theme.title()));
        for s in &app.saved.searches {
            lines.push(Line::raw(format!(
                "    {} {}",
                pad_end(&safe_text::line(&s.name), 20),
                safe_text::line(&s.query)
            )));
        }
    }
    if let Some(e) = &app.hunt.failure {
        lines.push(Line::raw(""));
        lines.push(Line::styled(
            tf("hunt.last_failed", &[("why", &safe_text::line(e))]),
            theme.fg(Color::Red),
        ));
    }
    f.render_widget(
        Paragraph::new(wrap_lines(lines, area.width.saturating_sub(2))).block(
            Block::default()
                .borders(Borders::ALL)
                .title(t("hunt.title")),
        ),
        area,
    );
}

fn render_list(app: &App, theme: &Theme, f: &mut Frame, area: Rect) {
    let Some(listing) = &app.hunt.listing else {
        return;
    };
    let wide = area.width >= 110;
    let height = app.list_height();
    let offset = app.hunt_offset(height);
    let marked = app.hunt.around().and_then(|a| a.marked);
    let rows: Vec<Row> = listing
        .found
        .iter()
        .enumerate()
        .skip(offset)
        .take(height)
        .map(|(pos, found)| {
            let here = marked == Some(found.event.source.ord);
            let mut cells = vec![
                Cell::from(if here { "▶" } else { " " }),
                Cell::from(short_time(found.time_ms)),
                Cell::from(safe_text::line(found.host.as_deref().unwrap_or("-")).into_owned()),
            ];
            if wide {
                cells.push(Cell::from(
                    safe_text::line(found.user.as_deref().unwrap_or("-")).into_owned(),
                ));
            }
            cells.push(Cell::from(found.part()));
            cells.push(Cell::from(safe_text::line(&found.context()).into_owned()));
            let style = if pos == app.hunt.selected {
                theme.selected()
            } else if here {
                theme.fg(Color::Yellow)
            } else {
                Style::default()
            };
            Row::new(cells).style(style)
        })
        .collect();
    let mut widths = vec![
        Constraint::Length(1),
        Constraint::Length(14),
        Constraint::Length(12),
    ];
    let mut header = vec!["", t("list.header.time"), t("list.header.host")];
    if wide {
        widths.push(Constraint::Length(14));
        header.push(t("list.header.user"));
    }
    widths.extend([Constraint::Length(5), Constraint::Fill(1)]);
    header.extend([t("hunt.header.part"), t("hunt.header.script")]);
    let title = if listing.found.is_empty() {
        t("hunt.events_none").to_owned()
    } else {
        tf(
            "hunt.events_title",
            &[
                ("at", &(app.hunt.selected + 1)),
                ("n", &landing::thousands(listing.total as u64)),
            ],
        )
    };
    let border = if app.detail_focus {
        theme.dim()
    } else {
        theme.title()
    };
    f.render_widget(
        Table::new(rows, widths)
            .header(Row::new(header).style(theme.title()))
            .block(
                Block::default()
                    .borders(Borders::ALL)
                    .border_style(border)
                    .title(title),
            ),
        area,
    );
}

fn render_detail(app: &App, ws: &Workspace, theme: &Theme, f: &mut Frame, area: Rect) {
    let selected = HUNT_TABS
        .iter()
        .position(|t| *t == app.hunt.tab)
        .unwrap_or(0);
    let content = detail_frame(
        app,
        HUNT_TABS.iter().map(|t| t.title()),
        selected,
        theme,
        f,
        area,
    );
    let (Some(found), Some(d)) = (app.hunt.current(), app.hunt.derived.as_ref()) else {
        f.render_widget(Paragraph::new(t("detail.no_event")), content);
        return;
    };
    if d.ord != found.event.source.ord {
        return;
    }
    use crate::tui::hunt::HuntTab;
    match app.hunt.tab {
        HuntTab::Script => script::render(&d.script, &app.pane, theme, f, content),
        HuntTab::Timeline => {
            let at = super::timeline::Cursors {
                alert: None,
                hour: None,
                selected: None,
                here: t("timeline.this_event"),
            };
            super::timeline::render(app, ws, &d.timeline, at, theme, f, content)
        }
        HuntTab::Event => {
            let id = found.event.identity();
            let mark = app
                .book
                .bookmarks
                .get(&id)
                .map(|b| tf("hunt.bookmarked", &[("note", &b.note)]))
                .unwrap_or_default();
            detail::render_event(
                app,
                &found.event,
                &format!("{}{mark}", tf("hunt.event_id", &[("id", &id)])),
                theme,
                f,
                content,
            )
        }
        HuntTab::Rules => detail::render_verdicts(app, ws, d, theme, f, content),
        HuntTab::Decoded => match &app.hunt.decoded {
            Some(dv) if dv.ord == found.event.source.ord => {
                super::decoded::render(dv, &app.pane, theme, f, content)
            }
            _ => f.render_widget(Paragraph::new(t("detail.decoding")), content),
        },
    }
}

/// The query prompt's body: the text being typed, and the last parse error of that same text
/// with a caret under its column.
pub fn query_prompt_lines(app: &App, text: &str, theme: &Theme) -> Vec<Line<'static>> {
    let mut lines = vec![Line::raw(format!("{}▏", safe_text::line(text)))];
    if let Some(e) = app.hunt.error.as_ref().filter(|_| app.hunt.query == text) {
        let line_text = text.lines().nth(e.line.saturating_sub(1)).unwrap_or("");
        let shown: String = line_text.chars().take(e.column.saturating_sub(1)).collect();
        let pad = super::wrap::text_width(&safe_text::line(&shown));
        if e.line > 1 {
            lines.push(Line::raw(safe_text::line(line_text).into_owned()));
        }
        lines.push(Line::styled(
            format!("{}^", " ".repeat(pad)),
            theme.fg(Color::Red),
        ));
        lines.push(Line::styled(
            tf(
                "hunt.parse_error",
                &[
                    ("line", &e.line),
                    ("column", &e.column),
                    ("why", &e.message),
                ],
            ),
            theme.fg(Color::Red),
        ));
    }
    lines
}
