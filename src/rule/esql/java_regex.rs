//! `java.util.regex` patterns, as ES|QL's `replace` compiles them, run on `fancy-regex`.
//!
//! The two engines read the same text differently, so a pattern is translated, never passed
//! through: every construct is rewritten into one that means in `fancy-regex` what it means in
//! Java with default flags, and anything outside the supported set is an error naming it.
//! - `\d` `\w` `\s` (and `\D` `\W` `\S`) are ASCII-only in Java: `[0-9]`, `[a-zA-Z_0-9]`,
//!   `[ \t\n\x0B\f\r]`. Rust's would be Unicode-wide.
//! - `(?i)` folds ASCII letters only (no `UNICODE_CASE`): each ASCII letter becomes `[xX]`,
//!   classes gain the other case of their ASCII letters; `fancy-regex`'s own `(?i)` (Unicode
//!   folding: `k` would match the Kelvin sign) is never used.
//! - `.` excludes Java's line terminators `\n` `\r` U+0085 U+2028 U+2029 (Rust's only `\n`);
//!   `(?s)` lets it match anything.
//! - `$` (no `MULTILINE`) holds at the end, or before one final line terminator (`\r\n` counts
//!   as one, and never between its `\r` and `\n`).
//! - Lookahead/lookbehind, atomic groups, possessive and lazy quantifiers, named groups and
//!   backreferences keep their meaning (`fancy-regex` has them).
//! - Not supported (an error, so the rule is skipped with the reason): `(?m)`, `(?x)`, `(?u)`,
//!   `(?d)`, `(?U)`, `\b`/`\B` (Java's are Unicode-aware), `\p{…}`, `\G`, octal escapes,
//!   nested or intersected classes (`[a[b]]`, `&&`).
//!
//! `replace_all` then does what `Replace.process` does with the compiled pattern: the
//! replacement's `$n` / `${name}` insert groups and `\x` is a literal `x`; a text without a match
//! comes back as it is; a result longer than 1,048,576 UTF-16 units is refused (ES|QL returns
//! null with a warning). Java may overflow its stack on a pathological pattern; here a match
//! stops after a bounded number of backtracking steps, which is reported the same way.

use std::fmt::Write as _;

/// Backtracking steps allowed for one search: a pathological pattern or text costs at most this.
pub const BACKTRACK_LIMIT: usize = 1_000_000;

/// ES|QL's cap on a string a function builds (`ScalarFunction.MAX_BYTES_REF_RESULT_SIZE`),
/// counted by `Replace` in UTF-16 units.
pub const MAX_RESULT: usize = 1_048_576;

/// A compiled Java pattern.
#[derive(Clone, Debug)]
pub struct JavaRegex {
    /// As written in the query.
    pub source: String,
    regex: fancy_regex::Regex,
}

/// Why a `replace` gives null.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ReplaceError {
    TooLong,
    /// The search took more backtracking than `BACKTRACK_LIMIT` allows.
    Backtracking,
}

impl std::fmt::Display for ReplaceError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            ReplaceError::TooLong => write!(
                f,
                "creating strings with more than [{MAX_RESULT}] bytes is not supported"
            ),
            ReplaceError::Backtracking => write!(
                f,
                "the pattern needed more than {BACKTRACK_LIMIT} backtracking steps on this text"
            ),
        }
    }
}

impl JavaRegex {
    /// Compiles `pattern` with Java's default flags.
    pub fn new(pattern: &str) -> Result<JavaRegex, String> {
        let translated = translate(pattern)?;
        let regex = fancy_regex::RegexBuilder::new(&translated)
            .backtrack_limit(BACKTRACK_LIMIT)
            .build()
            .map_err(|e| format!("regex {pattern:?}: {e}"))?;
        Ok(JavaRegex {
            source: pattern.to_owned(),
            regex,
        })
    }

    /// The byte ranges of every match, left to right (what `Matcher.find` visits).
    pub fn find_all(&self, text: &str) -> Result<Vec<(usize, usize)>, ReplaceError> {
        self.regex
            .find_iter(text)
            .map(|m| {
                m.map(|m| (m.start(), m.end()))
                    .map_err(|_| ReplaceError::Backtracking)
            })
            .collect()
    }

    /// `Matcher.replaceAll(replacement)` under ES|QL's size cap.
    pub fn replace_all(&self, text: &str, replacement: &str) -> Result<String, ReplaceError> {
        let mut caps = self.regex.captures_iter(text).peekable();
        if caps.peek().is_none() {
            return Ok(text.to_owned());
        }
        let parts = parse_replacement(replacement);
        // As `Replace.process` estimates it: each `$` counts as one group of the match's size
        // and takes two characters off the constant part.
        let (mut constant, mut groups) = (utf16_len(replacement) as i64, 0i64);
        let mut chars = replacement.chars();
        while let Some(c) = chars.next() {
            if c == '$' {
                groups += 1;
                constant -= 2;
                chars.next();
            }
        }
        let total = utf16_len(text) as i64;
        let mut out = String::with_capacity(text.len());
        let (mut out_units, mut last) = (0i64, 0usize);
        for c in caps {
            let c = c.map_err(|_| ReplaceError::Backtracking)?;
            let m = c.get(0).expect("group 0 is the match");
            let match_units = utf16_len(m.as_str()) as i64;
            let before = utf16_len(&text[last..m.start()]) as i64;
            let remaining = total - utf16_len(&text[..m.end()]) as i64;
            if out_units + before + constant + groups * match_units + remaining > MAX_RESULT as i64
            {
                return Err(ReplaceError::TooLong);
            }
            out.push_str(&text[last..m.start()]);
            for part in &parts {
                match part {
                    Part::Text(t) => out.push_str(t),
                    Part::Group(g) => out.push_str(c.get(*g).map_or("", |m| m.as_str())),
                    Part::Named(n) => out.push_str(c.name(n).map_or("", |m| m.as_str())),
                }
            }
            out_units = utf16_len(&out) as i64;
            last = m.end();
        }
        out.push_str(&text[last..]);
        Ok(out)
    }
}

fn utf16_len(s: &str) -> usize {
    s.chars().map(char::len_utf16).sum()
}

enum Part {
    Text(String),
    Group(usize),
    Named(String),
}

/// Java's replacement syntax: `$n` (as many digits as name an existing group — here all of
/// them), `${name}`, and `\x` for a literal `x`.
fn parse_replacement(r: &str) -> Vec<Part> {
    let mut parts = Vec::new();
    let mut text = String::new();
    let mut chars = r.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '\\' => text.extend(chars.next()),
            '$' if chars.peek() == Some(&'{') => {
                chars.next();
                let name: String = chars.by_ref().take_while(|&c| c != '}').collect();
                parts.push(Part::Text(std::mem::take(&mut text)));
                parts.push(Part::Named(name));
            }
            '$' if chars.peek().is_some_and(char::is_ascii_digit) => {
                let mut n = 0usize;
                while let Some(d) = chars.peek().and_then(|c| c.to_digit(10)) {
                    n = n.saturating_mul(10).saturating_add(d as usize);
                    chars.next();
                }
                parts.push(Part::Text(std::mem::take(&mut text)));
                parts.push(Part::Group(n));
            }
            c => text.push(c),
        }
    }
    parts.push(Part::Text(text));
    parts
}

/// Java's default line terminators, for `.` and `$`.
const LINE_ENDS: &str = r"\n\r\x{85}\x{2028}\x{2029}";
const WORD: &str = "a-zA-Z_0-9";
/// `$` and `\Z` without `MULTILINE`: the end, or just before a final line terminator.
const END_OF_INPUT: &str = r"(?:(?=\r\n\z)|(?<!\r)(?=\n\z)|(?=[\r\x{85}\x{2028}\x{2029}]\z)|\z)";
const SPACE: &str = r" \t\n\x0B\x0C\r";

#[derive(Clone, Copy, Default)]
struct Flags {
    case_insensitive: bool,
    dot_all: bool,
}

/// Rewrites a Java pattern into a `fancy-regex` one with the same meaning (see the module header).
pub fn translate(pattern: &str) -> Result<String, String> {
    let chars: Vec<char> = pattern.chars().collect();
    let mut out = String::new();
    // Flags in force, one entry per open group (a group's inline flags end with it).
    let mut stack: Vec<Flags> = vec![Flags::default()];
    let mut i = 0;
    while i < chars.len() {
        let flags = *stack.last().expect("never empty");
        let c = chars[i];
        i += 1;
        match c {
            '\\' => {
                let Some(&e) = chars.get(i) else {
                    return Err("a pattern ending in a lone backslash".into());
                };
                i += 1;
                match e {
                    'd' => out.push_str("[0-9]"),
                    'D' => out.push_str("[^0-9]"),
                    'w' => write!(out, "[{WORD}]").unwrap_or(()),
                    'W' => write!(out, "[^{WORD}]").unwrap_or(()),
                    's' => write!(out, "[{SPACE}]").unwrap_or(()),
                    'S' => write!(out, "[^{SPACE}]").unwrap_or(()),
                    'A' => out.push_str(r"\A"),
                    'z' => out.push_str(r"\z"),
                    'Z' => out.push_str(END_OF_INPUT),
                    'Q' => {
                        let rest: String = chars[i..].iter().collect();
                        let end = rest.find(r"\E").unwrap_or(rest.len());
                        for l in rest[..end].chars() {
                            literal(&mut out, l, flags);
                        }
                        i += rest[..end].chars().count() + if end < rest.len() { 2 } else { 0 };
                    }
                    '1'..='9' => {
                        out.push('\\');
                        out.push(e);
                    }
                    'k' if chars.get(i) == Some(&'<') => {
                        let name: String =
                            chars[i + 1..].iter().take_while(|&&c| c != '>').collect();
                        write!(out, r"\k<{name}>").unwrap_or(());
                        i += name.chars().count() + 2;
                    }
                    _ => {
                        let (ch, used) = escaped_char(&chars[i - 1..])?;
                        i += used - 1;
                        literal(&mut out, ch, flags);
                    }
                }
            }
            '[' => {
                let (class, used) = class(&chars[i..], flags)?;
                out.push_str(&class);
                i += used;
            }
            '.' if flags.dot_all => out.push_str("(?s:.)"),
            '.' => write!(out, "[^{LINE_ENDS}]").unwrap_or(()),
            '^' => out.push('^'),
            '$' => out.push_str(END_OF_INPUT),
            '(' => {
                if chars.get(i) == Some(&'?') {
                    let (opened, used, new_flags) = group_opening(&chars[i + 1..], flags)?;
                    i += 1 + used;
                    match opened {
                        // `(?i)`: the flags change for the rest of the enclosing group.
                        None => {
                            *stack.last_mut().expect("never empty") = new_flags;
                            continue;
                        }
                        Some(open) => {
                            out.push_str(&open);
                            stack.push(new_flags);
                        }
                    }
                } else {
                    out.push('(');
                    stack.push(flags);
                }
            }
            ')' => {
                if stack.len() == 1 {
                    return Err("unmatched ')'".into());
                }
                stack.pop();
                out.push(')');
            }
            '|' | '*' | '+' | '?' => out.push(c),
            '{' => {
                let rest: String = chars[i..].iter().take_while(|&&c| c != '}').collect();
                let valid = !rest.is_empty()
                    && i + rest.chars().count() < chars.len()
                    && rest.split(',').count() <= 2
                    && rest.split(',').enumerate().all(|(n, p)| {
                        p.chars().all(|d| d.is_ascii_digit()) && (n > 0 || !p.is_empty())
                    });
                if !valid {
                    return Err(format!("illegal repetition at {{{rest}"));
                }
                write!(out, "{{{rest}}}").unwrap_or(());
                i += rest.chars().count() + 1;
            }
            c => literal(&mut out, c, flags),
        }
    }
    if stack.len() != 1 {
        return Err("unclosed group".into());
    }
    Ok(out)
}

/// What a group opening `(?` … says: the text to emit (None for a bare flag change) and the
/// flags inside. `rest` starts after `(?`; the count is of its characters used.
fn group_opening(rest: &[char], flags: Flags) -> Result<(Option<String>, usize, Flags), String> {
    let s: String = rest.iter().take(4).collect();
    for (java, ours) in [
        ("=", "(?="),
        ("!", "(?!"),
        ("<=", "(?<="),
        ("<!", "(?<!"),
        (">", "(?>"),
        (":", "(?:"),
    ] {
        if s.starts_with(java) {
            return Ok((Some(ours.into()), java.len(), flags));
        }
    }
    if rest.first() == Some(&'<') {
        let name: String = rest[1..].iter().take_while(|&&c| c != '>').collect();
        if name.is_empty() || !name.chars().all(|c| c.is_ascii_alphanumeric()) {
            return Err("a bad group name".into());
        }
        return Ok((
            Some(format!("(?P<{name}>")),
            name.chars().count() + 2,
            flags,
        ));
    }
    // Inline flags: `(?i)`, `(?-i)`, `(?is:`, …
    let mut new = flags;
    let mut on = true;
    for (n, &c) in rest.iter().enumerate() {
        match c {
            '-' => on = false,
            'i' => new.case_insensitive = on,
            's' => new.dot_all = on,
            ')' => return Ok((None, n + 1, new)),
            ':' => return Ok((Some("(?:".into()), n + 1, new)),
            other => return Err(format!("the inline flag '{other}' is not supported")),
        }
    }
    Err("unclosed group".into())
}

/// A Java escape standing for one character: `\t` `\n` `\r` `\f` `\a` `\e`, `\xhh`, `\x{h…}`,
/// `\uhhhh`, `\cX`, or an escaped non-letter. `at` starts at the character after `\`; the
/// count is of `at`'s characters used.
fn escaped_char(at: &[char]) -> Result<(char, usize), String> {
    let e = at[0];
    let hex = |digits: &[char]| -> Result<char, String> {
        let s: String = digits.iter().collect();
        u32::from_str_radix(&s, 16)
            .ok()
            .and_then(char::from_u32)
            .ok_or_else(|| format!("a bad escape \\{e}{s}"))
    };
    Ok(match e {
        't' => ('\t', 1),
        'n' => ('\n', 1),
        'r' => ('\r', 1),
        'f' => ('\x0C', 1),
        'a' => ('\x07', 1),
        'e' => ('\x1B', 1),
        'x' if at.get(1) == Some(&'{') => {
            let digits: Vec<char> = at[2..].iter().take_while(|&&c| c != '}').copied().collect();
            (hex(&digits)?, digits.len() + 3)
        }
        'x' if at.len() >= 3 => (hex(&at[1..3])?, 3),
        'u' if at.len() >= 5 => (hex(&at[1..5])?, 5),
        'c' if at.len() >= 2 => (char::from_u32(at[1] as u32 ^ 64).unwrap_or('\0'), 2),
        c if c.is_ascii_alphanumeric() => {
            return Err(format!("the escape \\{c} is not supported"));
        }
        c => (c, 1),
    })
}

/// One literal character, folded as Java's ASCII case-insensitivity would.
fn literal(out: &mut String, c: char, flags: Flags) {
    if flags.case_insensitive && c.is_ascii_alphabetic() {
        write!(
            out,
            "[{}{}]",
            c.to_ascii_lowercase(),
            c.to_ascii_uppercase()
        )
        .unwrap_or(());
    } else {
        push_class_char(out, c);
    }
}

/// `c` written so that it is itself both outside and inside a class.
fn push_class_char(out: &mut String, c: char) {
    if c.is_alphanumeric() {
        out.push(c);
    } else {
        write!(out, "\\x{{{:X}}}", c as u32).unwrap_or(());
    }
}

/// A character class; `rest` starts after `[`. Returns the class and the characters used
/// (through the closing `]`).
fn class(rest: &[char], flags: Flags) -> Result<(String, usize), String> {
    let mut i = 0;
    let negated = rest.first() == Some(&'^');
    if negated {
        i += 1;
    }
    // (low, high) ranges of the members written as characters, and ready-made pieces.
    let mut ranges: Vec<(char, char)> = Vec::new();
    let mut pieces = String::new();
    let mut first = true;
    loop {
        let Some(&c) = rest.get(i) else {
            return Err("an unclosed character class".into());
        };
        i += 1;
        let member = match c {
            ']' if !first => break,
            ']' => return Err("an empty character class".into()),
            '[' => return Err("nested character classes are not supported".into()),
            '&' if rest.get(i) == Some(&'&') => {
                return Err("class intersections (&&) are not supported".into())
            }
            '\\' => {
                let Some(&e) = rest.get(i) else {
                    return Err("an unclosed character class".into());
                };
                match e {
                    'd' => {
                        pieces.push_str("0-9");
                        i += 1;
                        None
                    }
                    'w' => {
                        pieces.push_str(WORD);
                        i += 1;
                        None
                    }
                    's' => {
                        pieces.push_str(SPACE);
                        i += 1;
                        None
                    }
                    'D' | 'W' | 'S' => {
                        return Err(format!("\\{e} inside a character class is not supported"))
                    }
                    _ => {
                        let (ch, used) = escaped_char(&rest[i..])?;
                        i += used;
                        Some(ch)
                    }
                }
            }
            c => Some(c),
        };
        first = false;
        let Some(low) = member else { continue };
        // A range `a-z` (a `-` before `]` is itself).
        if rest.get(i) == Some(&'-') && rest.get(i + 1).is_some_and(|&n| n != ']') {
            let (high, used) = match rest[i + 1] {
                '\\' => {
                    let (ch, used) = escaped_char(&rest[i + 2..])?;
                    (ch, used + 1)
                }
                '[' => return Err("nested character classes are not supported".into()),
                ch => (ch, 1),
            };
            if high < low {
                return Err(format!("an illegal character range {low}-{high}"));
            }
            i += 1 + used;
            ranges.push((low, high));
        } else {
            ranges.push((low, low));
        }
    }
    if flags.case_insensitive {
        let mut folded = Vec::new();
        for &(low, high) in &ranges {
            for (a, z) in [('a', 'z'), ('A', 'Z')] {
                let (l, h) = (low.max(a), high.min(z));
                if l <= h {
                    let swap = |c: char| {
                        if c.is_ascii_lowercase() {
                            c.to_ascii_uppercase()
                        } else {
                            c.to_ascii_lowercase()
                        }
                    };
                    folded.push((swap(l), swap(h)));
                }
            }
        }
        ranges.extend(folded);
        // `\w` already holds both cases; `\d` and `\s` have no letters.
    }
    let mut out = String::from(if negated { "[^" } else { "[" });
    for (low, high) in ranges {
        push_class_char(&mut out, low);
        if high != low {
            out.push('-');
            push_class_char(&mut out, high);
        }
    }
    out.push_str(&pieces);
    out.push(']');
    Ok((out, i))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn count(pattern: &str, text: &str) -> usize {
        JavaRegex::new(pattern)
            .unwrap()
            .find_all(text)
            .unwrap()
            .len()
    }

    #[test]
    fn classes_are_ascii_as_in_java() {
        // Expected counts from java.util.regex (shared/tools/java-regex).
        assert_eq!(
            count(r"\d", "1٣"),
            1,
            "Arabic-Indic digits are not \\d in Java"
        );
        assert_eq!(count(r"\w+", "é_a"), 1, "é is no word character");
        assert_eq!(count(r"\s", "a\u{a0}b c"), 1);
    }

    #[test]
    fn unsupported_constructs_are_named() {
        for (p, said) in [
            (r"(?m)^a", "inline flag 'm'"),
            (r"\bword", r"\b is not supported"),
            (r"[a[b]]", "nested"),
            (r"[a&&b]", "&&"),
            (r"a{,", "illegal repetition"),
        ] {
            let e = JavaRegex::new(p).unwrap_err();
            assert!(e.contains(said), "{p}: {e}");
        }
    }

    #[test]
    fn replacement_groups_and_escapes() {
        let r = JavaRegex::new(r"(a)(?<n>b)").unwrap();
        assert_eq!(r.replace_all("xaby", "[$2$1${n}\\$]").unwrap(), "x[bab$]y");
    }
}
