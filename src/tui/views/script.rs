//! The Script tab: a script block's text with PowerShell syntax colours, the rule (or hunt
//! query) terms that matched marked at their exact byte ranges (access/allocate vs
//! write/execute), and near misses — a term inside a longer token, which whole-token matching
//! does not count. Draws a `ScriptView` for the alert list and the hunt view alike.

use super::wrap::wrap_lines;
use super::Theme;
use crate::highlight::Class;
use crate::i18n::{t, tf};
use crate::safe_text;
use crate::tui::app::Pane;
use crate::tui::derived::ScriptView;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::{Color, Modifier, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;
use ratatui::Frame;

/// The seed rule's write/execute group; every other matched term is marked as access/allocate.
const WRITE_EXECUTE: &[&str] = &[
    "writeprocessmemory",
    "createremotethread",
    "ntcreatethreadex",
    "createthread",
    "queueuserapc",
    "suspendthread",
    "resumethread",
    "getdelegateforfunctionpointer",
];

#[derive(Clone, Copy, PartialEq, Eq)]
enum Mark {
    None,
    Access,
    Execute,
    Near,
}

fn class_style(theme: &Theme, c: Class) -> Style {
    if theme.no_color {
        return match c {
            Class::Comment => Style::default().add_modifier(Modifier::ITALIC),
            _ => Style::default(),
        };
    }
    match c {
        Class::Plain => Style::default(),
        Class::Comment => Style::default()
            .fg(Color::DarkGray)
            .add_modifier(Modifier::ITALIC),
        Class::String => Style::default().fg(Color::Green),
        Class::Variable => Style::default().fg(Color::LightBlue),
        Class::Type => Style::default().fg(Color::Cyan),
        Class::Keyword => Style::default().fg(Color::Magenta),
        Class::Operator => Style::default().fg(Color::LightMagenta),
        Class::Number => Style::default().fg(Color::LightYellow),
        Class::Cmdlet => Style::default().fg(Color::Yellow),
    }
}

fn mark_style(theme: &Theme, m: Mark, base: Style) -> Style {
    match (m, theme.no_color) {
        (Mark::None, _) => base,
        (Mark::Access, false) => Style::default()
            .fg(Color::Black)
            .bg(Color::LightRed)
            .add_modifier(Modifier::BOLD),
        (Mark::Execute, false) => Style::default()
            .fg(Color::Black)
            .bg(Color::LightMagenta)
            .add_modifier(Modifier::BOLD),
        (Mark::Near, false) => base.add_modifier(Modifier::UNDERLINED | Modifier::DIM),
        (Mark::Access, true) => Style::default().add_modifier(Modifier::REVERSED | Modifier::BOLD),
        (Mark::Execute, true) => {
            Style::default().add_modifier(Modifier::REVERSED | Modifier::UNDERLINED)
        }
        (Mark::Near, true) => Style::default().add_modifier(Modifier::UNDERLINED),
    }
}

/// How a fragment boundary (`¦n`) is marked inside a reassembled script.
fn boundary_style(theme: &Theme) -> Style {
    if theme.no_color {
        Style::default().add_modifier(Modifier::REVERSED)
    } else {
        Style::default().fg(Color::Black).bg(Color::Cyan)
    }
}

/// The script's lines as drawn: a gutter of line numbers, syntax colours, marks, near misses and
/// fragment boundaries, log text made safe. The first line says what is shown (`about`).
pub fn text_lines(d: &ScriptView, theme: &Theme) -> Vec<Line<'static>> {
    let text = &d.text;
    let mut marks = vec![Mark::None; text.len()];
    for (start, end, term) in &d.marks {
        let m = if WRITE_EXECUTE.contains(&term.as_str()) {
            Mark::Execute
        } else {
            Mark::Access
        };
        if let Some(slot) = marks.get_mut(*start..(*end).min(text.len())) {
            slot.fill(m);
        }
    }
    for n in &d.near {
        if let Some(slot) = marks.get_mut(n.start..n.end) {
            slot.iter_mut()
                .filter(|m| **m == Mark::None)
                .for_each(|m| *m = Mark::Near);
        }
    }
    let mut classes = vec![Class::Plain; text.len()];
    for s in &d.spans {
        if let Some(slot) = classes.get_mut(s.start..s.end.min(text.len())) {
            slot.fill(s.class);
        }
    }
    // Fragment boundaries inside the whole script (the first fragment starts at 0: no marker).
    let boundary_at: Vec<(usize, u64)> = d
        .boundaries
        .iter()
        .copied()
        .filter(|(o, _)| *o > 0)
        .collect();
    let boundary_style = boundary_style(theme);
    let total_lines = text.lines().count().max(1);
    let gutter = total_lines.to_string().len();
    let mut lines = vec![Line::styled(format!(" {}", d.about), theme.dim())];
    let mut offset = 0;
    for (n, raw) in text.split('\n').enumerate() {
        let mut line_spans = vec![Span::styled(format!("{:>gutter$} │ ", n + 1), theme.dim())];
        let mut run = String::new();
        let mut run_style = Style::default();
        for (i, c) in raw.char_indices() {
            let at = offset + i;
            if let Some((_, seq)) = boundary_at.iter().find(|(o, _)| *o == at) {
                if !run.is_empty() {
                    line_spans.push(Span::styled(std::mem::take(&mut run), run_style));
                }
                line_spans.push(Span::styled(format!("¦{seq}"), boundary_style));
            }
            let style = mark_style(theme, marks[at], class_style(theme, classes[at]));
            let shown = match c {
                '\t' => "    ".to_owned(),
                '\r' => String::new(),
                c if safe_text::is_unsafe(c) => safe_text::placeholder(c),
                c => c.to_string(),
            };
            if style != run_style && !run.is_empty() {
                line_spans.push(Span::styled(std::mem::take(&mut run), run_style));
            }
            run_style = style;
            run.push_str(&shown);
        }
        if !run.is_empty() {
            line_spans.push(Span::styled(run, run_style));
        }
        lines.push(Line::from(line_spans));
        offset += raw.len() + 1;
    }
    lines
}

pub fn render(d: &ScriptView, pane: &Pane, theme: &Theme, f: &mut Frame, area: Rect) {
    let text = &d.text;
    let lines = text_lines(d, theme);
    let boundary_style = boundary_style(theme);
    let has_boundaries = d.boundaries.iter().any(|(o, _)| *o > 0);
    let shown_near = d.near.len().min(if area.height > 16 { 3 } else { 1 });
    let glossary = pane
        .glossary
        .then(|| glossary_lines(d, pane, theme, area.width));
    let glossary_height = glossary.as_ref().map_or(0, |g| g.len() as u16);
    let legend_height = if d.bare {
        0
    } else {
        1 + shown_near as u16 + glossary_height
    };
    let [body, legend] =
        Layout::vertical([Constraint::Min(1), Constraint::Length(legend_height)]).areas(area);
    let p = if pane.wrap {
        Paragraph::new(wrap_lines(lines, body.width)).scroll((pane.scroll, 0))
    } else {
        Paragraph::new(lines).scroll((pane.scroll, pane.hscroll))
    };
    f.render_widget(p, body);
    let mut legend_spans = vec![
        Span::styled(
            format!(" {} ", t("group.access")),
            mark_style(theme, Mark::Access, Style::default()),
        ),
        Span::raw(" "),
        Span::styled(
            format!(" {} ", t("group.execute")),
            mark_style(theme, Mark::Execute, Style::default()),
        ),
        Span::raw(" "),
        Span::styled(
            t("script.near_miss"),
            mark_style(theme, Mark::Near, Style::default()),
        ),
    ];
    if has_boundaries {
        legend_spans.push(Span::raw(" "));
        legend_spans.push(Span::styled(t("script.fragment_starts"), boundary_style));
    }
    legend_spans.push(Span::styled(
        tf(
            "script.legend",
            &[
                ("n", &d.marks.len()),
                (
                    "wrap",
                    &if pane.wrap {
                        t("script.wrap_on")
                    } else {
                        t("script.wrap_off")
                    },
                ),
            ],
        ),
        theme.dim(),
    ));
    let mut legend_lines = vec![Line::from(legend_spans)];
    for n in d.near.iter().take(shown_near) {
        let line_no = text[..n.start].matches('\n').count() + 1;
        legend_lines.push(Line::styled(
            tf(
                "script.near_line",
                &[("line", &line_no), ("why", &safe_text::line(&n.why))],
            ),
            theme.dim(),
        ));
    }
    legend_lines.extend(glossary.unwrap_or_default());
    f.render_widget(Paragraph::new(legend_lines), legend);
}

/// The glossary entry of the term of the mark `n`/`N` is on, wrapped to `width`: its name,
/// kind, group and ATT&CK techniques, then what it does.
fn glossary_lines(d: &ScriptView, pane: &Pane, theme: &Theme, width: u16) -> Vec<Line<'static>> {
    let Some((_, _, term)) = d.marks.get(pane.mark.min(d.marks.len().saturating_sub(1))) else {
        return vec![Line::styled(t("glossary.no_mark"), theme.dim())];
    };
    let term = safe_text::line(term).into_owned();
    let Some(e) = crate::glossary::lookup(&term) else {
        return vec![Line::styled(
            tf("glossary.no_entry", &[("term", &term)]),
            theme.dim(),
        )];
    };
    let width = usize::from(width.saturating_sub(1));
    let mut lines = vec![Line::from(vec![
        Span::styled(format!(" {} ", e.term), theme.title()),
        Span::styled(
            tf(
                "glossary.kind_group",
                &[("kind", &e.kind_text()), ("group", &e.group_label())],
            ),
            theme.dim(),
        ),
    ])];
    let attack = format!("ATT&CK {}", e.attack_line());
    for text in [attack.as_str(), e.summary_text()] {
        lines.extend(
            super::wrap::wrap_step(" ", text, width)
                .into_iter()
                .map(Line::raw),
        );
    }
    lines
}
