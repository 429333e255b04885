//! Word wrapping with a hanging indent, in terminal columns (display width, so CJK text and
//! wide symbols count double): the first row starts with a prefix, later rows are indented by
//! its width so the text hangs under itself. ratatui's own wrapping starts every continuation
//! row at column 0. Also the wrapping of whole styled paragraphs (`wrap_lines`), in place of
//! ratatui's, which can push a wide character past the edge. Pure: text in, rows out.

use ratatui::style::Style;
use ratatui::text::{Line, Span};
use unicode_width::{UnicodeWidthChar, UnicodeWidthStr};

/// Terminal columns `s` takes.
pub fn text_width(s: &str) -> usize {
    UnicodeWidthStr::width(s)
}

/// Styled lines broken into rows at most `width` columns wide, for a `Paragraph` drawn without
/// its own wrapping. ratatui's word wrapper can end a row with a double-width character one
/// column past the area (over a border); this one never does. Breaks between words, anywhere
/// inside a run of wide (CJK) characters, and inside a word only when it is wider than a row;
/// the spaces at a break are dropped. Styles stay with their characters.
pub fn wrap_lines(lines: Vec<Line<'static>>, width: u16) -> Vec<Line<'static>> {
    let width = usize::from(width.max(1));
    let mut out = Vec::with_capacity(lines.len());
    for line in lines {
        if line.width() <= width {
            out.push(line);
            continue;
        }
        let cells: Vec<(char, Style)> = line
            .spans
            .iter()
            .flat_map(|span| span.content.chars().map(move |c| (c, span.style)))
            .collect();
        let mut rows: Vec<Vec<(char, Style)>> = vec![Vec::new()];
        let mut used = 0;
        let mut i = 0;
        while i < cells.len() {
            let (c, _) = cells[i];
            let wide = c.width().unwrap_or(0) >= 2;
            // The next unit: a run of spaces, one wide character, or a run of other characters.
            let end = if c == ' ' {
                i + cells[i..].iter().take_while(|(c, _)| *c == ' ').count()
            } else if wide {
                i + 1
            } else {
                i + cells[i..]
                    .iter()
                    .take_while(|(c, _)| *c != ' ' && c.width().unwrap_or(0) < 2)
                    .count()
            };
            let unit = &cells[i..end];
            let unit_width: usize = unit.iter().map(|(c, _)| c.width().unwrap_or(0)).sum();
            if used + unit_width <= width {
                if let Some(r) = rows.last_mut() {
                    r.extend_from_slice(unit);
                }
                used += unit_width;
            } else if c == ' ' {
                rows.push(Vec::new());
                used = 0;
            } else if unit_width <= width {
                rows.push(unit.to_vec());
                used = unit_width;
            } else {
                // Wider than a row: it starts a row of its own and is cut where rows end.
                if used > 0 {
                    rows.push(Vec::new());
                    used = 0;
                }
                for &(c, style) in unit {
                    let w = c.width().unwrap_or(0);
                    if used + w > width && used > 0 {
                        rows.push(Vec::new());
                        used = 0;
                    }
                    if let Some(r) = rows.last_mut() {
                        r.push((c, style));
                    }
                    used += w;
                }
            }
            i = end;
        }
        for row in rows {
            let mut spans: Vec<Span<'static>> = Vec::new();
            for (c, style) in row {
                match spans.last_mut() {
                    Some(last) if last.style == style => last.content.to_mut().push(c),
                    _ => spans.push(Span::styled(c.to_string(), style)),
                }
            }
            let mut row = Line::from(spans).style(line.style);
            row.alignment = line.alignment;
            out.push(row);
        }
    }
    out
}

/// `s` followed by spaces up to `width` columns (as `{:<width$}` would for one-column text).
pub fn pad_end(s: &str, width: usize) -> String {
    let pad = width.saturating_sub(text_width(s));
    format!("{s}{}", " ".repeat(pad))
}

/// Spaces up to `width` columns, then `s` (as `{:>width$}` would for one-column text).
pub fn pad_start(s: &str, width: usize) -> String {
    let pad = width.saturating_sub(text_width(s));
    format!("{}{s}", " ".repeat(pad))
}

/// `s` cut to at most `width` columns, ending in `…` when cut; a wide character is never split.
pub fn truncate(s: &str, width: usize) -> String {
    if text_width(s) <= width {
        return s.to_owned();
    }
    let mut out = String::new();
    let mut used = 0;
    for c in s.chars() {
        let w = c.width().unwrap_or(0);
        if used + w + 1 > width {
            break;
        }
        out.push(c);
        used += w;
    }
    if width > 0 {
        out.push('…');
    }
    out
}

/// Columns a row must keep free after its indent: one double-width character.
const ROOM: usize = 2;

/// How far a step's later rows are indented: the prefix's width, or nothing when the area is
/// too narrow to hold the prefix and one character of text (two columns: it may be Chinese).
pub fn hanging_indent(prefix: &str, width: usize) -> usize {
    let w = text_width(prefix);
    if w + ROOM <= width {
        w
    } else {
        0
    }
}

/// A checklist step as rows at most `width` columns wide: `prefix` (`" [x] 3. "`), then the
/// text broken between words, every later row indented by the prefix's width so the text hangs
/// under itself. Done here because ratatui's wrapping starts every continuation row at column 0.
/// A source line's own leading spaces (a folded sub-bullet) are kept, and its continuation rows
/// hang under them too. A word wider than a row is cut. An area too narrow for the prefix plus
/// one character (two columns) gets no indent (rows may then be wider than `width`; nothing
/// fits anyway).
pub fn wrap_step(prefix: &str, text: &str, width: usize) -> Vec<String> {
    let width = width.max(1);
    let hang = hanging_indent(prefix, width);
    let mut rows = Vec::new();
    for (k, line) in text.lines().enumerate() {
        let body = line.trim_start_matches(' ');
        let lead = line.len() - body.len();
        let first_head = if k == 0 {
            prefix.to_owned()
        } else {
            " ".repeat(hang + lead)
        };
        let rest = if hang + lead + ROOM <= width {
            hang + lead
        } else {
            hang
        };
        wrap_words(body, first_head, &" ".repeat(rest), width, &mut rows);
    }
    if rows.is_empty() {
        rows.push(prefix.to_owned());
    }
    rows
}

/// Greedy word wrap of `body` into `rows`: the first row starts with `first_head`, later ones
/// with `rest_head`. Rows break between words, and also between the pieces of a word that
/// holds wide (CJK) characters — each wide character is a piece, each run of other characters
/// another — since Chinese puts no spaces between words. A piece wider than a row is cut.
fn wrap_words(
    body: &str,
    first_head: String,
    rest_head: &str,
    width: usize,
    rows: &mut Vec<String>,
) {
    let rest_width = text_width(rest_head);
    let mut row = first_head;
    let mut row_width = text_width(&row);
    let mut empty = true;
    for word in body.split_whitespace() {
        for (k, piece) in pieces(word).into_iter().enumerate() {
            let sep = usize::from(k == 0 && !empty);
            let w = text_width(piece);
            if !empty && row_width + sep + w <= width {
                if sep == 1 {
                    row.push(' ');
                }
                row.push_str(piece);
                row_width += sep + w;
                continue;
            }
            if !empty {
                rows.push(std::mem::replace(&mut row, rest_head.to_owned()));
                row_width = rest_width;
            }
            // The piece starts this row; cut it where it overflows.
            let mut placed = false;
            for c in piece.chars() {
                let cw = c.width().unwrap_or(0);
                if placed && row_width + cw > width {
                    rows.push(std::mem::replace(&mut row, rest_head.to_owned()));
                    row_width = rest_width;
                }
                row.push(c);
                row_width += cw;
                placed = true;
            }
            empty = false;
        }
    }
    rows.push(row);
}

/// A word's pieces for wrapping: each wide character alone, each run of other characters.
fn pieces(word: &str) -> Vec<&str> {
    let mut out = Vec::new();
    let mut start = 0;
    for (i, c) in word.char_indices() {
        if c.width().unwrap_or(0) >= 2 {
            if start < i {
                out.push(&word[start..i]);
            }
            out.push(&word[i..i + c.len_utf8()]);
            start = i + c.len_utf8();
        }
    }
    if start < word.len() {
        out.push(&word[start..]);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    const STEP: &str = "Walk the execution chain (the parent process tree) looking for unknown \
                        processes; for each binary, check how common it is in the environment.";

    fn assert_fits(rows: &[String], width: usize) {
        for r in rows {
            assert!(text_width(r) <= width, "{r:?} is wider than {width}");
        }
    }

    #[test]
    fn continuation_rows_hang_under_the_step_text() {
        let prefix = " [x] 3. ";
        for width in [20, 33, 40, 78] {
            let rows = wrap_step(prefix, STEP, width);
            assert!(rows.len() > 1, "{width}: the step wraps");
            assert!(rows[0].starts_with(prefix));
            for r in &rows[1..] {
                let indent = r.len() - r.trim_start().len();
                assert_eq!(indent, prefix.len(), "{width}: {r:?}");
            }
            assert_fits(&rows, width);
            // Nothing lost or reordered: the words read back as the step.
            let words: Vec<&str> = rows
                .iter()
                .flat_map(|r| r.split_whitespace())
                .skip(2)
                .collect();
            assert_eq!(
                words.join(" "),
                STEP.split_whitespace().collect::<Vec<_>>().join(" ")
            );
        }
    }

    #[test]
    fn rows_are_measured_in_columns_not_bytes() {
        // Counted in bytes, the first row (22 columns, 27 bytes) would not fit in 24.
        let rows = wrap_step(
            " [ ] 12. ",
            "Käse für Öl — ein Schritt, der sich über Zeilen zieht.",
            24,
        );
        assert_eq!(
            rows,
            [
                " [ ] 12. Käse für Öl —",
                "         ein Schritt,",
                "         der sich über",
                "         Zeilen zieht.",
            ]
        );
    }

    #[test]
    fn sub_bullets_keep_their_indent_and_long_words_are_cut() {
        let prefix = " [ ] 1. ";
        let text = "Two:\n  - a sub bullet long enough to wrap\nhttps://example.invalid/a/very/long/path/that/cannot/break";
        let rows = wrap_step(prefix, text, 30);
        assert_fits(&rows, 30);
        assert_eq!(rows[0], " [ ] 1. Two:");
        assert!(rows[1].starts_with("          - a"), "{rows:?}");
        assert!(
            rows[2].starts_with("          "),
            "sub-bullet continuation: {rows:?}"
        );
        let url_rows: Vec<&String> = rows.iter().filter(|r| r.contains("/")).collect();
        assert!(url_rows.len() > 1, "the long word is cut: {rows:?}");
        for r in url_rows {
            assert!(r.starts_with(&" ".repeat(prefix.len())), "{r:?}");
        }
    }

    #[test]
    fn chinese_text_breaks_between_characters_and_counts_double() {
        // "[ ] 1. " is 8 columns; each Han character is 2, each ASCII letter 1.
        let rows = wrap_step(
            " [ ] 1. ",
            "查看触发的脚本块 VirtualAlloc 与 CreateThread 是否同时出现",
            24,
        );
        assert_fits(&rows, 24);
        assert_eq!(
            rows,
            [
                " [ ] 1. 查看触发的脚本块",
                "        VirtualAlloc 与",
                "        CreateThread 是",
                "        否同时出现",
            ]
        );
        // A Latin word inside Chinese text is never cut when it fits on a row of its own.
        let rows = wrap_step(" ", "启动线程。shellcode 加载器", 12);
        assert_eq!(rows, [" 启动线程。", " shellcode", " 加载器"]);
        // Each row holds 1 + 3 × 2 = 7 columns: a fourth character would end at column 9.
        let rows = wrap_step(" ", "调查步骤调查步骤调查步骤", 8);
        assert_eq!(rows, [" 调查步", " 骤调查", " 步骤调", " 查步骤"]);
    }

    #[test]
    fn padding_and_truncation_count_columns() {
        assert_eq!(pad_end("主机", 6), "主机  ");
        assert_eq!(text_width(&pad_end("主机", 6)), 6);
        assert_eq!(pad_start("现在", 6), "  现在");
        assert_eq!(pad_end("host", 6), "host  ");
        assert_eq!(pad_end("longer than", 4), "longer than", "never cut");
        assert_eq!(truncate("进程注入检测", 7), "进程注…");
        assert_eq!(text_width(&truncate("进程注入检测", 7)), 7);
        assert_eq!(
            truncate("进程注入检测", 8),
            "进程注…",
            "the fourth Han would end at 9"
        );
        assert_eq!(truncate("ab进程", 6), "ab进程");
        assert_eq!(truncate("abcdef", 4), "abc…");
    }

    fn rows_of(lines: &[Line<'static>]) -> Vec<String> {
        lines
            .iter()
            .map(|l| l.spans.iter().map(|s| s.content.as_ref()).collect())
            .collect()
    }

    #[test]
    fn styled_lines_wrap_by_columns_and_keep_their_styles() {
        use ratatui::style::Color;
        let red = Style::default().fg(Color::Red);
        // The case ratatui's own wrapper gets wrong: a wide character one column short of the
        // edge. Here it moves to the next row.
        let line = Line::from(vec![
            Span::raw(" Potential Process Injection via PowerShell: "),
            Span::styled("一条告警", red),
        ]);
        let rows = wrap_lines(vec![line], 52);
        assert_eq!(
            rows_of(&rows),
            [" Potential Process Injection via PowerShell: 一条告", "警"]
        );
        assert!(rows.iter().all(|r| r.width() <= 52));
        assert_eq!(
            rows[1].spans[0].style, red,
            "the style goes with its characters"
        );
        // Words break at spaces (a space that does not fit is dropped, one that does stays at
        // the row's end); a word wider than a row starts its own row and is cut.
        let rows = wrap_lines(
            vec![Line::raw("$sc = [Convert]::FromBase64String('AAAA')")],
            12,
        );
        assert_eq!(
            rows_of(&rows),
            ["$sc = ", "[Convert]::F", "romBase64Str", "ing('AAAA')"]
        );
        // A line that fits is passed through untouched, line style and all.
        let fits = Line::styled("短句 fits", red);
        assert_eq!(wrap_lines(vec![fits.clone()], 12), vec![fits]);
    }
}
