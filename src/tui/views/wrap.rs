//! Word wrapping with a hanging indent, in terminal columns (display width, so CJK text and
//! wide symbols count double): the first row starts with a prefix, later rows are indented by
//! its width so the text hangs under itself. ratatui's own wrapping starts every continuation
//! row at column 0. Pure: strings in, rows out.

use unicode_width::{UnicodeWidthChar, UnicodeWidthStr};

/// Terminal columns `s` takes.
pub fn text_width(s: &str) -> usize {
    UnicodeWidthStr::width(s)
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

/// How far a step's later rows are indented: the prefix's width, or nothing when the area is
/// too narrow to hold the prefix and one column of text.
pub fn hanging_indent(prefix: &str, width: usize) -> usize {
    let w = text_width(prefix);
    if w < width {
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
/// one column gets no indent (rows may then be wider than `width`; nothing fits anyway).
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
        let rest = if hang + lead < width {
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
/// with `rest_head`.
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
    let mut has_word = false;
    for word in body.split_whitespace() {
        let w = text_width(word);
        if has_word && row_width + 1 + w <= width {
            row.push(' ');
            row.push_str(word);
            row_width += 1 + w;
            continue;
        }
        // Chinese text has no spaces between words: a run holding wide (CJK) characters may
        // break between any two of them, so it fills the rest of this row first.
        let first = word.chars().next().and_then(|c| c.width()).unwrap_or(0);
        let fill_here = has_word
            && row_width + 1 + first <= width
            && word.chars().any(|c| c.width() == Some(2));
        if fill_here {
            row.push(' ');
            row_width += 1;
        } else if has_word {
            rows.push(std::mem::replace(&mut row, rest_head.to_owned()));
            row_width = rest_width;
        }
        // The word starts this row (or goes on it); cut it where it overflows.
        let mut placed = fill_here;
        for c in word.chars() {
            let cw = c.width().unwrap_or(0);
            if placed && row_width + cw > width {
                rows.push(std::mem::replace(&mut row, rest_head.to_owned()));
                row_width = rest_width;
            }
            row.push(c);
            row_width += cw;
            placed = true;
        }
        has_word = true;
    }
    rows.push(row);
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
}
