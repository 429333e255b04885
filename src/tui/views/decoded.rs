//! The Decoded tab: the layer tree of a script (kind, byte range in the parent, size, what it was
//! logged as), then each layer — text with PowerShell colours and the rules' terms marked,
//! binary as a hex dump with its hints. Binary bytes never reach the terminal raw.

use super::wrap::wrap_lines;
use super::{script, Theme};
use crate::i18n::tf;
use crate::safe_text;
use crate::tui::app::Pane;
use crate::tui::layers::{DecodedView, LayerBody};
use ratatui::layout::Rect;
use ratatui::style::Color;
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;
use ratatui::Frame;

pub fn render(d: &DecodedView, pane: &Pane, theme: &Theme, f: &mut Frame, area: Rect) {
    let mut lines: Vec<Line<'static>> = Vec::new();
    if let Some(from) = &d.decoded_from {
        lines.push(Line::styled(
            tf("decoded.from", &[("from", &safe_text::line(from))]),
            theme.fg(Color::Magenta),
        ));
    }
    if d.layers.is_empty() && d.stopped.is_empty() {
        lines.push(Line::styled(
            tf("decoded.none", &[("source", &d.source)]),
            theme.dim(),
        ));
        f.render_widget(Paragraph::new(lines), area);
        return;
    }
    lines.push(Line::styled(
        tf(
            "decoded.layers",
            &[("n", &d.layers.len()), ("source", &d.source)],
        ),
        theme.title(),
    ));
    for (n, l) in d.layers.iter().enumerate() {
        let mut spans = vec![
            Span::raw(format!(
                " {}{} ",
                "  ".repeat(l.depth.saturating_sub(1)),
                n + 1
            )),
            Span::styled(l.kind.to_owned(), theme.title()),
            Span::styled(
                tf(
                    "decoded.span",
                    &[("from", &l.span.0), ("to", &l.span.1), ("size", &l.size)],
                ),
                theme.dim(),
            ),
        ];
        if let Some(id) = &l.logged_as {
            spans.push(Span::styled(
                tf("decoded.logged_as", &[("id", &safe_text::line(id))]),
                theme.fg(Color::Magenta),
            ));
        }
        lines.push(Line::from(spans));
    }
    for s in &d.stopped {
        lines.push(Line::styled(
            tf("decoded.stopped", &[("why", &safe_text::line(s))]),
            theme.fg(Color::Yellow),
        ));
    }
    for (n, l) in d.layers.iter().enumerate() {
        lines.push(Line::raw(""));
        lines.push(Line::styled(
            tf("decoded.layer", &[("n", &(n + 1)), ("kind", &l.kind)]),
            theme.title(),
        ));
        match &l.body {
            LayerBody::Text(view) => {
                if !view.about.is_empty() {
                    lines.push(Line::styled(format!(" ({})", view.about), theme.dim()));
                }
                // The first line of `text_lines` is the Script tab's caption: not wanted here.
                lines.extend(script::text_lines(view, theme).into_iter().skip(1))
            }
            LayerBody::Binary { dump, hints } => {
                for h in hints {
                    lines.push(Line::styled(format!(" {h}"), theme.fg(Color::Red)));
                }
                lines.extend(
                    dump.lines()
                        .map(|r| Line::raw(safe_text::line(r).into_owned())),
                );
            }
        }
    }
    let p = if pane.wrap {
        Paragraph::new(wrap_lines(lines, area.width)).scroll((pane.scroll, 0))
    } else {
        Paragraph::new(lines).scroll((pane.scroll, pane.hscroll))
    };
    f.render_widget(p, area);
}
