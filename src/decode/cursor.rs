//! Small cursor helpers for reading code around a position: skip spaces, match a word in any
//! case, read a number or a variable, quote a value, apply edits. Byte positions in, byte
//! positions out; every read is bounds-checked, so a bad position gives `None`, not a panic.

use std::ops::Range;

/// The variable (lowercased, without `$`) written just before `eq`, the position of an `=`.
pub(crate) fn assigned_var(text: &str, eq: usize) -> Option<String> {
    let end = back_space(text, eq);
    let b = text.as_bytes();
    let mut start = end;
    while start > 0 && b.get(start - 1).is_some_and(|c| is_word(*c) || *c == b':') {
        start -= 1;
    }
    if start == end || start == 0 || b.get(start - 1) != Some(&b'$') {
        return None;
    }
    Some(text.get(start..end)?.to_ascii_lowercase())
}

/// If `text[..i]` ends with `c`, its position.
pub(crate) fn before_char(text: &str, i: usize, c: char) -> Option<usize> {
    text.get(..i)?.ends_with(c).then(|| i - c.len_utf8())
}

pub(crate) fn is_word(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b == b'_'
}

/// Past spaces and tabs from `i`.
pub(crate) fn skip_ws(text: &str, i: usize) -> usize {
    let b = text.as_bytes();
    let mut i = i;
    while matches!(b.get(i), Some(b' ' | b'\t')) {
        i += 1;
    }
    i
}

/// Past any whitespace, newlines included, from `i`.
pub(crate) fn skip_space(text: &str, i: usize) -> usize {
    let b = text.as_bytes();
    let mut i = i;
    while b.get(i).is_some_and(u8::is_ascii_whitespace) {
        i += 1;
    }
    i
}

/// Back over any whitespace before `i`.
pub(crate) fn back_space(text: &str, i: usize) -> usize {
    let b = text.as_bytes();
    let mut i = i.min(b.len());
    while i > 0 && b[i - 1].is_ascii_whitespace() {
        i -= 1;
    }
    i
}

/// `word` (ASCII, any case) at `i`: where it ends.
pub(crate) fn eat_ci(text: &str, i: usize, word: &str) -> Option<usize> {
    let got = text.as_bytes().get(i..i.checked_add(word.len())?)?;
    got.eq_ignore_ascii_case(word.as_bytes())
        .then_some(i + word.len())
}

/// `word` exactly at `i`: where it ends.
pub(crate) fn eat(text: &str, i: usize, word: &str) -> Option<usize> {
    text.get(i..)?.starts_with(word).then_some(i + word.len())
}

/// Whether `text[..i]` ends with `word` (ASCII, any case).
pub(crate) fn ends_with_ci(text: &str, i: usize, word: &str) -> bool {
    i.checked_sub(word.len())
        .and_then(|s| text.as_bytes().get(s..i))
        .is_some_and(|b| b.eq_ignore_ascii_case(word.as_bytes()))
}

/// Every position of `needle` (ASCII, any case) in `text`.
pub(crate) fn find_ci<'t>(text: &'t str, needle: &'t str) -> impl Iterator<Item = usize> + 't {
    let first = needle.as_bytes().first().copied().unwrap_or(0);
    memchr::memchr2_iter(
        first.to_ascii_lowercase(),
        first.to_ascii_uppercase(),
        text.as_bytes(),
    )
    .filter(move |&i| eat_ci(text, i, needle).is_some())
}

/// A decimal or `0x` hexadecimal integer at `i` that ends at a non-word character.
pub(crate) fn number_at(text: &str, i: usize) -> Option<(u64, usize)> {
    let b = text.as_bytes();
    let (digits, radix) = match eat_ci(text, i, "0x") {
        Some(j) => (j, 16),
        None => (i, 10),
    };
    let mut end = digits;
    while b.get(end).is_some_and(|c| (*c as char).is_digit(radix)) {
        end += 1;
    }
    if end == digits || b.get(end).is_some_and(|c| is_word(*c)) {
        return None;
    }
    let n = u64::from_str_radix(text.get(digits..end)?, radix).ok()?;
    Some((n, end))
}

/// A variable `$name` at `i`: its name lowercased and where it ends.
pub(crate) fn var_at(text: &str, i: usize) -> Option<(String, usize)> {
    let start = eat(text, i, "$")?;
    let b = text.as_bytes();
    let mut end = start;
    while b.get(end).is_some_and(|c| is_word(*c) || *c == b':') {
        end += 1;
    }
    (end > start).then(|| (text[start..end].to_ascii_lowercase(), end))
}

/// A single-quoted literal value, for writing a decoded string back into a script.
pub(crate) fn quoted(value: &str) -> String {
    let mut out = String::with_capacity(value.len() + 2);
    out.push('\'');
    for c in value.chars() {
        // PowerShell closes a verbatim string on any of these quotes; doubling escapes them.
        if matches!(c, '\'' | '\u{2018}' | '\u{2019}' | '\u{201a}' | '\u{201b}') {
            out.push(c);
        }
        out.push(c);
    }
    out.push('\'');
    out
}

/// Replaces each range (sorted, not overlapping) by its string.
pub(crate) fn apply_edits(text: &str, edits: &[(Range<usize>, String)]) -> String {
    let mut out = String::with_capacity(text.len());
    let mut at = 0;
    for (range, with) in edits {
        if range.start < at {
            continue;
        }
        out.push_str(text.get(at..range.start).unwrap_or(""));
        out.push_str(with);
        at = range.end;
    }
    out.push_str(text.get(at..).unwrap_or(""));
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_and_quoting_helpers() {
        assert_eq!(number_at("0x41,", 0), Some((65, 4)));
        assert_eq!(number_at("72)", 0), Some((72, 2)));
        assert_eq!(number_at("7a", 0), None);
        assert_eq!(quoted("it's"), "'it''s'");
        assert_eq!(
            apply_edits("abcdef", &[(1..2, "X".into()), (4..6, String::new())]),
            "aXcd"
        );
    }
}
