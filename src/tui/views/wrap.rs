//! Word wrapping with a hanging indent, in terminal columns (display width, so CJK text and
//! wide symbols count double): the first row starts with a prefix, later rows are indented by
//! its width so the text hangs under itself. ratatui's own wrapping starts every continuation
//! row at column 0. Pure: strings in, rows out.

use unicode_width::{UnicodeWidthChar, UnicodeWidthStr};

/// Terminal columns `s` takes.
pub fn text_width(s: &str) -> usize {
    UnicodeWidthStr::width(s)
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
        if has_word {
            rows.push(std::mem::replace(&mut row, rest_head.to_owned()));
            row_width = rest_width;
        }
        // The word starts this row; cut it where it overflows.
        let mut placed = false;
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
}
