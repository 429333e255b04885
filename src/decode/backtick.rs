//! Backticks PowerShell ignores: in code and in double-quoted strings a backtick before a
//! letter or digit that is no escape (`` I`E`X ``, `` "Virt`ualAlloc" ``) only stands for that
//! letter. Real escapes (`` `n ``, `` `t ``, `` `0 ``… as Windows PowerShell 5.1 has them), a
//! backtick before a symbol or a line end, and single-quoted strings and comments are kept as
//! written, so the rewritten script still reads and means the same.

use super::cursor::apply_edits;
use super::lex::Src;
use std::ops::Range;

/// Letters that make a backtick an escape in a double-quoted string.
const ESCAPES: &[u8] = b"0abfnrtv";

pub(crate) fn rewrite(src: &Src) -> Option<String> {
    let text = src.text;
    let b = text.as_bytes();
    // Where backticks mean nothing special: verbatim strings and comments.
    let mut skip: Vec<Range<usize>> = src
        .lits
        .iter()
        .filter(|l| l.verbatim)
        .map(|l| l.span.clone())
        .chain(src.comments.iter().cloned())
        .collect();
    skip.sort_by_key(|r| r.start);
    let mut skip = skip.into_iter().peekable();
    let mut edits = Vec::new();
    let mut i = 0;
    while i < b.len() {
        while skip.peek().is_some_and(|r| r.end <= i) {
            skip.next();
        }
        if let Some(r) = skip.peek().filter(|r| r.start <= i) {
            i = r.end;
            continue;
        }
        if b[i] == b'`' {
            let next = b.get(i + 1).copied().unwrap_or(b' ');
            if next.is_ascii_alphanumeric() && !ESCAPES.contains(&next) {
                edits.push((i..i + 1, String::new()));
            }
            // The escaped character is never itself a backtick to look at.
            i += 2;
            continue;
        }
        i += 1;
    }
    (!edits.is_empty()).then(|| apply_edits(text, &edits))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rewritten(text: &str) -> Option<String> {
        rewrite(&Src::new(text))
    }

    #[test]
    fn ignored_backticks_go() {
        assert_eq!(
            rewritten("I`E`X (\"Virt`ualAl`loc\") ; s`Et-`Item"),
            Some("IEX (\"VirtualAlloc\") ; sEt-Item".to_owned())
        );
        assert_eq!(rewritten("``X"), None);
    }

    #[test]
    fn escapes_verbatim_strings_and_comments_stay() {
        for text in [
            "\"a`nb`tc`0\"",
            "'I`E`X'",
            "# I`E`X\n$a",
            "Get-Item `\n  -Path x",
            "\"say `\"hi`\"\"",
            "$x = @'\nI`E`X\n'@",
        ] {
            assert_eq!(rewritten(text), None, "{text}");
        }
    }
}
