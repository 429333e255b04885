//! Making attacker-controlled text safe to show: control characters, escape sequences, bidi
//! overrides and invisible characters become visible placeholders, so log text can never drive
//! the terminal or hide what it says. Used by every screen and every text output. Pure.

use std::borrow::Cow;

/// True for characters that must never reach a terminal as they are.
pub fn is_unsafe(c: char) -> bool {
    matches!(c,
        '\u{0}'..='\u{1f}' | '\u{7f}'..='\u{9f}'
        | '\u{ad}'                       // soft hyphen (invisible)
        | '\u{61c}'                      // Arabic letter mark
        | '\u{180e}'
        | '\u{200b}'..='\u{200f}'        // zero-width, LRM, RLM
        | '\u{2028}' | '\u{2029}'        // line / paragraph separators
        | '\u{202a}'..='\u{202e}'        // bidi embeddings and overrides
        | '\u{2060}'..='\u{2064}'        // word joiner, invisible operators
        | '\u{2066}'..='\u{2069}'        // bidi isolates
        | '\u{feff}'                     // zero-width no-break space / BOM
        | '\u{fff9}'..='\u{fffb}'
    )
}

/// The placeholder shown for an unsafe character: `␛` for C0 controls and DEL (Unicode's
/// Control Pictures), `⟨U+202E⟩` for the rest.
pub fn placeholder(c: char) -> String {
    match c as u32 {
        n @ 0..=0x1f => char::from_u32(0x2400 + n)
            .map(String::from)
            .unwrap_or_default(),
        0x7f => "\u{2421}".to_owned(),
        n => format!("⟨U+{n:04X}⟩"),
    }
}

/// One line of safe text: every unsafe character (newlines and tabs included) replaced.
pub fn line(s: &str) -> Cow<'_, str> {
    if !s.chars().any(is_unsafe) {
        return Cow::Borrowed(s);
    }
    let mut out = String::with_capacity(s.len() + 8);
    for c in s.chars() {
        if is_unsafe(c) {
            out.push_str(&placeholder(c));
        } else {
            out.push(c);
        }
    }
    Cow::Owned(out)
}

/// Safe text that may span lines: `\n` is kept, `\t` becomes four spaces, `\r\n` a newline,
/// every other unsafe character is replaced.
pub fn multiline(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut chars = s.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '\n' => out.push('\n'),
            '\t' => out.push_str("    "),
            '\r' if chars.peek() == Some(&'\n') => {}
            c if is_unsafe(c) => out.push_str(&placeholder(c)),
            c => out.push(c),
        }
    }
    out
}

/// A CSV cell that a spreadsheet will not run as a formula: cells starting with `=`, `+`, `-`,
/// `@` (or a tab / carriage return) get a leading `'`.
pub fn csv_cell(s: &str) -> String {
    let safe = line(s);
    let needs_guard = safe.starts_with(['=', '+', '-', '@', '\t', '\r']);
    let body = if needs_guard {
        format!("'{safe}")
    } else {
        safe.into_owned()
    };
    if body.contains([',', '"', '\n']) {
        format!("\"{}\"", body.replace('"', "\"\""))
    } else {
        body
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escape_sequences_and_bidi_become_visible() {
        let hostile = "a\x1b[2J\x1b]52;c;ZXZpbA==\x07b\u{202e}c\u{200b}d\r\x08\u{9b}";
        let out = line(hostile);
        assert!(!out.chars().any(is_unsafe), "{out}");
        assert!(out.contains('␛') && out.contains("⟨U+202E⟩") && out.contains("⟨U+009B⟩"));
        assert_eq!(line("plain"), "plain");
    }

    #[test]
    fn multiline_keeps_newlines_only() {
        assert_eq!(multiline("a\r\n\tb\x1bc"), "a\n    b␛c");
    }

    #[test]
    fn csv_cells_cannot_be_formulas() {
        assert_eq!(csv_cell("=HYPERLINK(\"x\")"), "\"'=HYPERLINK(\"\"x\"\")\"");
        assert_eq!(csv_cell("-1+2"), "'-1+2");
        assert_eq!(csv_cell("@SUM"), "'@SUM");
        assert_eq!(csv_cell("win10-01"), "win10-01");
        assert_eq!(csv_cell("a,b"), "\"a,b\"");
    }
}
