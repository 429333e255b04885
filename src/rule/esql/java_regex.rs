//! `java.util.regex` patterns, as ES|QL's `replace` compiles them, run on `fancy-regex` (or on
//! the `regex` crate alone when the translated pattern needs no backtracking construct).
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

use super::text_counts::ByteCounts;
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
    engines: Engines,
    /// When the pattern is one character out of a set (`[0-9]`, `🔥`): its ranges, so matches
    /// are found by one pass over the characters (a regex engine pays per match, and the
    /// rules' counting idiom replaces every digit or symbol of a script).
    single: Option<Vec<(char, char)>>,
}

/// One match's groups as byte ranges (group 0 the match), `None` for a group that took no part.
type Groups = Vec<Option<(usize, usize)>>;

/// The engines a pattern runs on.
#[derive(Clone, Debug)]
enum Engines {
    /// Nothing needed relaxing (see [`relax`]): the linear-time engine runs the pattern itself,
    /// and the backtracking one is never built (compiling a case-folded pattern for it was most
    /// of the cost of loading an ES|QL rule).
    Linear(regex::Regex),
    /// The backtracking engine, and a linear-time pattern matching wherever it might (`None`
    /// when none could be made): a text that pattern does not match has no match at all, and
    /// elsewhere the backtracking engine starts only at its matches.
    Backtracking {
        regex: fancy_regex::Regex,
        quick: Option<regex::Regex>,
    },
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
        let translated = fold_lookaheads(&translate(pattern)?);
        let relaxed = relax(&translated);
        let quick = relaxed.as_deref().and_then(|r| regex::Regex::new(r).ok());
        let engines = match quick {
            Some(quick) if relaxed.as_deref() == Some(translated.as_str()) => {
                Engines::Linear(quick)
            }
            quick => Engines::Backtracking {
                regex: fancy_regex::RegexBuilder::new(&translated)
                    .backtrack_limit(BACKTRACK_LIMIT)
                    .build()
                    .map_err(|e| format!("regex {pattern:?}: {e}"))?,
                quick,
            },
        };
        Ok(JavaRegex {
            source: pattern.to_owned(),
            engines,
            single: single_char_set(&translated),
        })
    }

    /// False when the text certainly holds no match.
    fn may_match(&self, text: &str) -> bool {
        match &self.engines {
            Engines::Linear(quick)
            | Engines::Backtracking {
                quick: Some(quick), ..
            } => quick.is_match(text),
            Engines::Backtracking { quick: None, .. } => true,
        }
    }

    /// Whether the pattern runs on the linear-time engine alone.
    pub fn is_linear(&self) -> bool {
        matches!(self.engines, Engines::Linear(_))
    }

    /// The byte ranges of every match, left to right (what `Matcher.find` visits).
    pub fn find_all(&self, text: &str) -> Result<Vec<(usize, usize)>, ReplaceError> {
        if let Some(set) = &self.single {
            return Ok(text
                .char_indices()
                .filter(|&(_, c)| in_set(set, c))
                .map(|(at, c)| (at, at + c.len_utf8()))
                .collect());
        }
        // No `may_match` first: each engine's own search below is that test, and a text that
        // matches would be read twice up to its first match.
        let (regex, quick) = match &self.engines {
            Engines::Linear(quick) => {
                return Ok(quick
                    .find_iter(text)
                    .map(|m| (m.start(), m.end()))
                    .collect())
            }
            Engines::Backtracking { regex, quick: None } => {
                return regex
                    .find_iter(text)
                    .map(|m| {
                        m.map(|m| (m.start(), m.end()))
                            .map_err(|_| ReplaceError::Backtracking)
                    })
                    .collect()
            }
            Engines::Backtracking {
                regex,
                quick: Some(quick),
            } => (regex, quick),
        };
        // The backtracking engine starts only where the relaxed pattern finds a match: the
        // leftmost real match at or after `pos` is also a relaxed one, so nothing before the
        // relaxed match's start can hold a real one.
        let mut out = Vec::new();
        let mut pos = 0;
        while pos <= text.len() {
            let Some(candidate) = quick.find_at(text, pos) else {
                break;
            };
            let found = regex
                .find_from_pos(text, candidate.start())
                .map_err(|_| ReplaceError::Backtracking)?;
            let Some(m) = found else { break };
            out.push((m.start(), m.end()));
            pos = if m.end() > m.start() {
                m.end()
            } else {
                m.end() + text[m.end()..].chars().next().map_or(1, char::len_utf8)
            };
        }
        Ok(out)
    }

    /// Each match's groups.
    fn captures(&self, text: &str) -> Result<Vec<Groups>, ReplaceError> {
        match &self.engines {
            Engines::Linear(quick) => Ok(quick
                .captures_iter(text)
                .map(|c| c.iter().map(|m| m.map(|m| (m.start(), m.end()))).collect())
                .collect()),
            Engines::Backtracking { regex, .. } => regex
                .captures_iter(text)
                .map(|c| {
                    c.map(|c| c.iter().map(|m| m.map(|m| (m.start(), m.end()))).collect())
                        .map_err(|_| ReplaceError::Backtracking)
                })
                .collect(),
        }
    }

    /// The pattern's group names by group number (`None` for an unnamed group).
    fn group_names(&self) -> Box<dyn Iterator<Item = Option<&str>> + '_> {
        match &self.engines {
            Engines::Linear(quick) => Box::new(quick.capture_names()),
            Engines::Backtracking { regex, .. } => Box::new(regex.capture_names()),
        }
    }

    /// When the pattern is one character out of a set and `replacement` one plain character:
    /// the set, and that character (what `mask_counts` needs).
    pub fn one_char_mask(&self, replacement: &str) -> Option<(&[(char, char)], char)> {
        Some((self.one_char_set()?, plain_char(replacement)?))
    }

    /// The character ranges of a pattern that is one character out of a set.
    pub fn one_char_set(&self) -> Option<&[(char, char)]> {
        self.single.as_deref()
    }

    /// `Matcher.replaceAll(replacement)` under ES|QL's size cap.
    pub fn replace_all(&self, text: &str, replacement: &str) -> Result<String, ReplaceError> {
        if !self.may_match(text) {
            return Ok(text.to_owned());
        }
        let parts = parse_replacement(replacement);
        if let (Some(set), [Part::Text(with)]) = (&self.single, parts.as_slice()) {
            return replace_chars(set, text, with);
        }
        let uses_groups = parts.iter().any(|p| !matches!(p, Part::Text(_)));
        // Group values only when the replacement inserts some (captures cost more).
        let (spans, captures) = if uses_groups {
            let caps = self.captures(text)?;
            let spans = caps
                .iter()
                .map(|c| c.first().copied().flatten().unwrap_or((0, 0)))
                .collect::<Vec<_>>();
            (spans, caps)
        } else {
            (self.find_all(text)?, Vec::new())
        };
        let group_named = |name: &str| self.group_names().position(|n| n == Some(name));
        if spans.is_empty() {
            return Ok(text.to_owned());
        }
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
        // Room for every replacement as written (group values may still grow it).
        let mut out = String::with_capacity(text.len() + spans.len() * replacement.len());
        // Running UTF-16 lengths: of `out`, and of `text` up to `last` (each counted once).
        let (mut out_units, mut last, mut consumed) = (0i64, 0usize, 0i64);
        for (n, &(start, end)) in spans.iter().enumerate() {
            let before = utf16_len(&text[last..start]) as i64;
            let match_units = utf16_len(&text[start..end]) as i64;
            let remaining = total - (consumed + before + match_units);
            // Java's check counts what is built so far (not yet the text before this match),
            // the replacement, and the text after the match.
            if out_units + constant + groups * match_units + remaining > MAX_RESULT as i64 {
                return Err(ReplaceError::TooLong);
            }
            out.push_str(&text[last..start]);
            let replaced_from = out.len();
            for part in &parts {
                let group = |c: &[Option<(usize, usize)>], g: Option<usize>| {
                    g.and_then(|g| c.get(g).copied().flatten())
                        .map_or("", |(s, e)| &text[s..e])
                };
                match (part, captures.get(n)) {
                    (Part::Text(t), _) => out.push_str(t),
                    (Part::Group(g), Some(c)) => out.push_str(group(c, Some(*g))),
                    (Part::Named(name), Some(c)) => out.push_str(group(c, group_named(name))),
                    _ => {}
                }
            }
            out_units += before + utf16_len(&out[replaced_from..]) as i64;
            consumed += before + match_units;
            last = end;
        }
        out.push_str(&text[last..]);
        Ok(out)
    }
}

/// The character a replacement of one plain character inserts (no `$` group, no `\\` escape).
pub fn plain_char(replacement: &str) -> Option<char> {
    let mut chars = replacement.chars();
    match (chars.next(), chars.next()) {
        (Some(c), None) if c != '$' && c != '\\' => Some(c),
        _ => None,
    }
}

/// What `replace(text, pattern, with)` would hold, `with` one plain character and `spans` the
/// pattern's matches (`find_all`), counted without building it (`text_chars`: the text's
/// length in code points): `Err` when the result could reach the size cap (the ordinary path
/// then decides, as `replace_all` would).
pub(crate) fn span_mask_counts(
    text: &str,
    text_chars: usize,
    spans: &[(usize, usize)],
    with: char,
) -> Result<MaskCounts, ReplaceError> {
    // Every check `replace_all` makes is at most the text with each match turned into `with`
    // on top of it: under the cap, none can fail.
    // A text has at least as many bytes as UTF-16 units: its length bounds them without a pass.
    let added = spans.len() * with.len_utf16();
    if text.len() + added > MAX_RESULT && utf16_len(text) + added > MAX_RESULT {
        return Err(ReplaceError::TooLong);
    }
    let (mut matched_chars, mut with_in_matches) = (0, 0);
    for &(start, end) in spans {
        matched_chars += text[start..end].chars().count();
        with_in_matches += occurrences(&text[start..end], with);
    }
    let chars = text_chars - matched_chars + spans.len();
    Ok(MaskCounts {
        chars,
        unmasked: chars - spans.len() - (occurrences(text, with) - with_in_matches),
    })
}

/// How many times `c` occurs in `text`. The mask character of Elastic's rules (🔥) is seldom
/// in a script: its first byte is looked for alone, which is cheaper than the whole character.
fn occurrences(text: &str, c: char) -> usize {
    let mut buf = [0u8; 4];
    let bytes = c.encode_utf8(&mut buf).as_bytes();
    match memchr::memchr(bytes[0], text.as_bytes()) {
        None => 0,
        Some(first) => memchr::memmem::find_iter(&text.as_bytes()[first..], bytes).count(),
    }
}

/// `text` with each of `spans` (in order, not overlapping) replaced by `with`: what
/// `replace_all` builds for a replacement of one plain character.
pub(crate) fn splice(text: &str, spans: &[(usize, usize)], with: char) -> String {
    let mut out = String::with_capacity(text.len());
    let mut last = 0;
    for &(start, end) in spans {
        out.push_str(&text[last..start]);
        out.push(with);
        last = end;
    }
    out.push_str(&text[last..]);
    out
}

/// The UTF-16 length of `s`: one unit per character, two for those outside the BMP (the
/// ones UTF-8 writes in four bytes), counted on bytes.
fn utf16_len(s: &str) -> usize {
    s.bytes()
        .map(|b| usize::from((b & 0xC0) != 0x80) + usize::from(b >= 0xF0))
        .sum()
}

/// `replace_all` for a one-character pattern and a replacement without groups: one pass, the
/// same size check per match as `Replace.process`.
pub(super) fn replace_chars(
    set: &[(char, char)],
    text: &str,
    with: &str,
) -> Result<String, ReplaceError> {
    let mut out = String::with_capacity(text.len());
    // Where the unmatched text since the last match starts (copied in one piece).
    let mut run = 0;
    walk_set(set, text, utf16_len(with) as i64, |start, len, matched| {
        if matched {
            out.push_str(&text[run..start]);
            out.push_str(with);
            run = start + len;
        }
    })?;
    if run == 0 {
        return Ok(text.to_owned());
    }
    out.push_str(&text[run..]);
    Ok(out)
}

/// What `replace(text, pattern, with)` would hold when the pattern is one character out of a
/// set and `with` is one character, counted without building it: the counting idiom of
/// Elastic's proportion rules (`length(x) - length(replace(x, "🔥", ""))`) needs no more.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct MaskCounts {
    /// Characters of the result (one stands for each character of the text).
    pub chars: usize,
    /// Characters of the result other than `with`.
    pub unmasked: usize,
}

/// `MaskCounts` of `text` (whose bytes are counted in `bytes`) under `set` and `with` (one
/// character), with `replace_chars`'s size check: `Err` when the result would be over the cap
/// (the column is null).
pub(super) fn mask_counts(
    set: &[(char, char)],
    text: &str,
    bytes: &ByteCounts,
    with: char,
) -> Result<MaskCounts, ReplaceError> {
    // No result can reach the cap when every character turned into `with` would not: count
    // without the running size.
    // A text has at least as many bytes as UTF-16 units: its length in bytes bounds them
    // without a pass over it.
    let with_units = with.len_utf16().max(1) as i64;
    let fits = |units: usize| units as i64 * with_units <= MAX_RESULT as i64;
    if fits(text.len()) || fits(bytes.utf16_units()) {
        return Ok(counted_from_bytes(set, text, bytes, with)
            .unwrap_or_else(|| count_masked(set, text, with)));
    }
    let mut counts = MaskCounts {
        chars: 0,
        unmasked: 0,
    };
    let mut buf = [0u8; 4];
    let with_bytes = with.encode_utf8(&mut buf).as_bytes();
    walk_set(set, text, with.len_utf16() as i64, |start, len, matched| {
        counts.chars += 1;
        if !matched && &text.as_bytes()[start..start + len] != with_bytes {
            counts.unmasked += 1;
        }
    })?;
    Ok(counts)
}

/// Whether `c` is in `set` (character ranges, ends included).
fn in_set(set: &[(char, char)], c: char) -> bool {
    set.iter().any(|&(lo, hi)| lo <= c && c <= hi)
}

/// `MaskCounts` without the size check, read off the text's byte counts when `set` holds
/// every character beyond ASCII or none of them (the classes of Elastic's rules: `[0-9]`,
/// `[^0-9A-Za-z\s#=-]`); `None` for a set that holds some.
fn counted_from_bytes(
    set: &[(char, char)],
    text: &str,
    bytes: &ByteCounts,
    with: char,
) -> Option<MaskCounts> {
    let holds_non_ascii = holds_all_beyond_ascii(set)?;
    let mut unmasked: usize = (0..0x80u8)
        .map(char::from)
        .filter(|&c| !in_set(set, c) && c != with)
        .map(|c| bytes.of_byte(c as u8))
        .sum();
    if !holds_non_ascii {
        unmasked += bytes.non_ascii_chars();
        if !with.is_ascii() {
            // `with` is among them and stays itself: not unmasked.
            unmasked -= occurrences(text, with);
        }
    }
    Some(MaskCounts {
        chars: bytes.chars(),
        unmasked,
    })
}

/// `Some(true)` when `set` (ranges in order, not overlapping: a parsed class) holds every
/// character beyond ASCII, `Some(false)` when it holds none, `None` otherwise.
fn holds_all_beyond_ascii(set: &[(char, char)]) -> Option<bool> {
    const SURROGATES: (u32, u32) = (0xD800, 0xDFFF);
    let beyond = |lo: u32, hi: u32| {
        let lo = lo.max(0x80);
        if hi < lo {
            return 0;
        }
        let surrogates = hi
            .min(SURROGATES.1)
            .saturating_add(1)
            .saturating_sub(lo.max(SURROGATES.0));
        hi - lo + 1 - surrogates
    };
    let held: u32 = set
        .iter()
        .map(|&(lo, hi)| beyond(lo as u32, hi as u32))
        .sum();
    match held {
        0 => Some(false),
        n if n == beyond(0x80, char::MAX as u32) => Some(true),
        _ => None,
    }
}

/// `MaskCounts` without the size check: ASCII by a table, the rest decoded.
fn count_masked(set: &[(char, char)], text: &str, with: char) -> MaskCounts {
    // Per ASCII byte: 1 when it stays and is not `with`, else 0.
    let mut stays = [0usize; 128];
    for (b, slot) in stays.iter_mut().enumerate() {
        let c = char::from(b as u8);
        *slot = usize::from(!in_set(set, c) && c != with);
    }
    let bytes = text.as_bytes();
    if text.is_ascii() {
        // One character a byte: the table alone, in chunks the compiler can keep in registers.
        let unmasked = bytes
            .chunks(256)
            .map(|chunk| chunk.iter().map(|&b| stays[usize::from(b)]).sum::<usize>())
            .sum();
        return MaskCounts {
            chars: bytes.len(),
            unmasked,
        };
    }
    let (mut chars, mut unmasked) = (0, 0);
    let mut i = 0;
    while i < bytes.len() {
        let b = bytes[i];
        if b < 0x80 {
            unmasked += stays[usize::from(b)];
            i += 1;
        } else {
            let c = text[i..].chars().next().unwrap_or_default();
            unmasked += usize::from(!in_set(set, c) && c != with);
            i += c.len_utf8();
        }
        chars += 1;
    }
    MaskCounts { chars, unmasked }
}

/// Calls `visit(start, len, matched)` for each character of `text`, in order, `matched` when
/// it is in `set`; stops with `TooLong` where `Replace.process` would (each match replaced by
/// `with_units` UTF-16 units).
fn walk_set(
    set: &[(char, char)],
    text: &str,
    with_units: i64,
    mut visit: impl FnMut(usize, usize, bool),
) -> Result<(), ReplaceError> {
    let total = utf16_len(text) as i64;
    let mut ascii = [false; 128];
    for (b, member) in ascii.iter_mut().enumerate() {
        let c = char::from(b as u8);
        *member = in_set(set, c);
    }
    let bytes = text.as_bytes();
    // UTF-16 units: built up to the end of the last replacement, and read of `text`; `run`
    // is where the unmatched text since the last match starts.
    let (mut built, mut consumed, mut run) = (0i64, 0i64, 0usize);
    let mut i = 0;
    while i < bytes.len() {
        let (matched, len, units) = if bytes[i] < 0x80 {
            (ascii[usize::from(bytes[i])], 1, 1)
        } else {
            let c = text[i..].chars().next().unwrap_or_default();
            let hit = in_set(set, c);
            (hit, c.len_utf8(), c.len_utf16() as i64)
        };
        consumed += units;
        if matched {
            if built + with_units + (total - consumed) > MAX_RESULT as i64 {
                return Err(ReplaceError::TooLong);
            }
            built += utf16_len(&text[run..i]) as i64 + with_units;
            run = i + len;
        }
        visit(i, len, matched);
        i += len;
    }
    Ok(())
}

/// `(?!A|B|…)X`, where each alternative and `X` match exactly one character and `X` has no
/// quantifier, matches one character of `X` that no alternative matches: it is written as that
/// class. The backtick rule's `` `(?![rntb]|\r|\n|\d)[A-Za-z0-9_-] `` then needs no
/// lookaround, so the linear engine finds its matches instead of the backtracking one. Any
/// other lookahead is left as it is. Works on `translate`'s output, where every literal
/// non-alphanumeric character is an `\x{…}` escape, so each `(` `|` `[` left is syntax.
fn fold_lookaheads(translated: &str) -> String {
    let mut out = String::with_capacity(translated.len());
    let mut rest = translated;
    while let Some(at) = rest.find("(?!") {
        out.push_str(&rest[..at]);
        let after = &rest[at..];
        match fold_one(after) {
            Some((class, used)) => {
                out.push_str(&class);
                rest = &after[used..];
            }
            None => {
                out.push_str("(?!");
                rest = &after[3..];
            }
        }
    }
    out.push_str(rest);
    out
}

/// For `(?!…)X…` at the start of `s`: the class it folds into and the bytes it replaces.
fn fold_one(s: &str) -> Option<(String, usize)> {
    use regex_syntax::hir::{ClassUnicode, ClassUnicodeRange};
    let body_start = 3;
    let mut alternatives = Vec::new();
    let mut start = body_start;
    let mut i = body_start;
    let bytes = s.as_bytes();
    let close = loop {
        match *bytes.get(i)? {
            b'(' => return None,
            b')' => {
                alternatives.push(&s[start..i]);
                break i;
            }
            b'|' => {
                alternatives.push(&s[start..i]);
                start = i + 1;
                i += 1;
            }
            _ => i += atom_len(&s[i..])?,
        }
    };
    let x_start = close + 1;
    let x_len = atom_len(&s[x_start..])?;
    let x = &s[x_start..x_start + x_len];
    if s[x_start + x_len..].starts_with(['*', '+', '?', '{']) {
        return None;
    }
    let to_class = |ranges: Vec<(char, char)>| {
        ClassUnicode::new(
            ranges
                .into_iter()
                .map(|(lo, hi)| ClassUnicodeRange::new(lo, hi)),
        )
    };
    let mut kept = to_class(single_char_set(x)?);
    for a in alternatives {
        kept.difference(&to_class(single_char_set(a)?));
    }
    if kept.ranges().is_empty() {
        return None;
    }
    let mut class = String::from("[");
    for r in kept.ranges() {
        write!(
            class,
            r"\x{{{:x}}}-\x{{{:x}}}",
            u32::from(r.start()),
            u32::from(r.end())
        )
        .unwrap_or(());
    }
    class.push(']');
    Some((class, x_start + x_len))
}

/// The length in bytes of the one atom `s` starts with: a class, an escape, or a character.
fn atom_len(s: &str) -> Option<usize> {
    let bytes = s.as_bytes();
    match *bytes.first()? {
        b'[' => {
            let mut j = 1;
            // A `]` right after `[` or `[^` is a member, not the end.
            if bytes.get(j) == Some(&b'^') {
                j += 1;
            }
            if bytes.get(j) == Some(&b']') {
                j += 1;
            }
            loop {
                match *bytes.get(j)? {
                    b'\\' => j += escape_len(&s[j..])?,
                    b'[' => return None,
                    b']' => return Some(j + 1),
                    _ => j += s[j..].chars().next()?.len_utf8(),
                }
            }
        }
        b'\\' => escape_len(s),
        _ => Some(s.chars().next()?.len_utf8()),
    }
}

/// The length of the escape `s` starts with (`\x{…}` or a backslash and one character).
fn escape_len(s: &str) -> Option<usize> {
    if s.starts_with("\\x{") {
        return Some(s.find('}')? + 1);
    }
    Some(1 + s[1..].chars().next()?.len_utf8())
}

/// The character ranges of a pattern that is one character out of a set, else `None`.
fn single_char_set(translated: &str) -> Option<Vec<(char, char)>> {
    use regex_syntax::hir::{Class, HirKind, Literal};
    let hir = regex_syntax::parse(translated).ok()?;
    match hir.kind() {
        HirKind::Class(Class::Unicode(c)) => Some(c.iter().map(|r| (r.start(), r.end())).collect()),
        HirKind::Literal(Literal(bytes)) => {
            let s = std::str::from_utf8(bytes).ok()?;
            let mut chars = s.chars();
            match (chars.next(), chars.next()) {
                (Some(c), None) => Some(vec![(c, c)]),
                _ => None,
            }
        }
        _ => None,
    }
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

/// A looser form of a translated pattern that the `regex` crate runs in linear time, matching
/// at least wherever the pattern does: lookarounds are dropped (a condition less), atomic
/// groups become plain ones and possessive quantifiers greedy ones (what they match, a
/// backtracking quantifier can match too). `None` when the pattern refers back to a group.
/// Relies on `translate` writing every literal non-alphanumeric character as `\x{…}`, so
/// each `(` `)` `[` `]` `+` left is syntax.
fn relax(translated: &str) -> Option<String> {
    let c: Vec<char> = translated.chars().collect();
    let mut out = String::new();
    let mut i = 0;
    // Whether the previous token was a quantifier (a `+` after it makes it possessive).
    let mut after_quantifier = false;
    while i < c.len() {
        let ch = c[i];
        match ch {
            '\\' => {
                let next = *c.get(i + 1)?;
                if next.is_ascii_digit() || next == 'k' {
                    return None;
                }
                let end = if next == 'x' && c.get(i + 2) == Some(&'{') {
                    i + c[i..].iter().position(|&x| x == '}')?
                } else {
                    i + 1
                };
                out.extend(&c[i..=end]);
                i = end + 1;
                after_quantifier = false;
            }
            '[' => {
                let mut j = i + 1;
                while c.get(j)? != &']' || j == i + 1 {
                    j += if c[j] == '\\' { 2 } else { 1 };
                }
                out.extend(&c[i..=j]);
                i = j + 1;
                after_quantifier = false;
            }
            '(' if c.get(i + 1) == Some(&'?') => {
                let rest: String = c[i + 2..c.len().min(i + 5)].iter().collect();
                if ["=", "!", "<=", "<!"].iter().any(|p| rest.starts_with(p)) {
                    // Skip the whole lookaround, nested groups included.
                    let mut depth = 0;
                    let mut j = i;
                    loop {
                        match c.get(j)? {
                            '\\' => j += 1,
                            '[' => {
                                j += 1;
                                while c.get(j)? != &']' {
                                    j += if c[j] == '\\' { 2 } else { 1 };
                                }
                            }
                            '(' => depth += 1,
                            ')' => {
                                depth -= 1;
                                if depth == 0 {
                                    break;
                                }
                            }
                            _ => {}
                        }
                        j += 1;
                    }
                    i = j + 1;
                    after_quantifier = false;
                    continue;
                }
                if rest.starts_with('>') {
                    out.push_str("(?:");
                    i += 3;
                } else {
                    out.push(ch);
                    i += 1;
                }
                after_quantifier = false;
            }
            '+' if after_quantifier => {
                i += 1;
                after_quantifier = false;
            }
            '*' | '+' | '?' | '}' => {
                out.push(ch);
                i += 1;
                after_quantifier = true;
            }
            '{' => {
                let j = i + c[i..].iter().position(|&x| x == '}')?;
                out.extend(&c[i..=j]);
                i = j + 1;
                after_quantifier = true;
            }
            _ => {
                out.push(ch);
                i += 1;
                after_quantifier = false;
            }
        }
    }
    Some(out)
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
    let Some(&e) = at.first() else {
        return Err("a trailing backslash".into());
    };
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
    fn the_quick_check_relaxes_what_regex_cannot_run() {
        let t = |p: &str| relax(&translate(p).unwrap());
        assert_eq!(t(r"\d++a").as_deref(), Some("[0-9]+a"));
        assert_eq!(t(r"a(?![rn]|\d)b").as_deref(), Some("ab"));
        assert_eq!(t(r"(?>a|b)c").as_deref(), Some("(?:a|b)c"));
        assert_eq!(t(r"(a)\1"), None);
        // The relaxed form must itself compile for the `regex` crate.
        for p in [
            r"x$",
            r"(?i)k[a-c]+",
            r"[\s\$\{\}]",
            r"\$\{(\w++`){2,}\w++\}",
        ] {
            let r = t(p).unwrap();
            assert!(regex::Regex::new(&r).is_ok(), "{p} → {r}");
        }
    }

    #[test]
    fn a_lookahead_before_one_character_folds_into_its_class() {
        let backtick = JavaRegex::new(r"[A-Za-z0-9_-]`(?![rntb]|\r|\n|\d)[A-Za-z0-9_-]").unwrap();
        assert!(
            backtick.is_linear(),
            "no lookaround left: the linear engine finds the matches"
        );
        // Other lookaheads stay: a group, a quantified character, a longer alternative.
        for kept in [r"a(?!bc)d", r"a(?![0-9])b+", r"a(?!(b))c", r"a(?!b)"] {
            assert!(translate(kept).unwrap().contains("(?!"), "{kept}");
            assert!(
                fold_lookaheads(&translate(kept).unwrap()).contains("(?!"),
                "{kept}"
            );
        }
        // The folded pattern finds what the lookahead finds, on every text over an alphabet
        // holding each excluded character, a kept one, and the class's edges.
        let original = fancy_regex::Regex::new(
            &translate(r"[A-Za-z0-9_-]`(?![rntb]|\r|\n|\d)[A-Za-z0-9_-]").unwrap(),
        )
        .unwrap();
        let alphabet = [
            'a', 'r', 'n', 't', 'b', '7', '-', '_', '`', '\r', '\n', 'Z', 'é',
        ];
        let mut texts = vec![String::new()];
        for _ in 0..4 {
            texts = texts
                .iter()
                .flat_map(|t| alphabet.iter().map(move |c| format!("{t}{c}")))
                .collect();
            for t in &texts {
                let want: Vec<(usize, usize)> = original
                    .find_iter(t)
                    .map(|m| m.map(|m| (m.start(), m.end())).unwrap())
                    .collect();
                assert_eq!(backtick.find_all(t).unwrap(), want, "{t:?}");
            }
        }
    }

    #[test]
    fn one_character_patterns_take_the_short_way() {
        // The tight count and the size-checked walk agree, and match a built replacement.
        let text = "a1\u{1F525}é2".repeat(50);
        let set = [('0', '9')];
        let tight = count_masked(&set, &text, '\u{1F525}');
        let mut walked = MaskCounts {
            chars: 0,
            unmasked: 0,
        };
        walk_set(&set, &text, 2, |start, len, matched| {
            walked.chars += 1;
            walked.unmasked += usize::from(!matched && &text[start..start + len] != "\u{1F525}");
        })
        .unwrap();
        assert_eq!(tight, walked);
        let bytes = ByteCounts::of(&text);
        assert_eq!(mask_counts(&set, &text, &bytes, '\u{1F525}'), Ok(tight));
        let built = replace_chars(&set, &text, "\u{1F525}").unwrap();
        assert_eq!(tight.chars, built.chars().count());
        assert_eq!(
            tight.unmasked,
            built.chars().filter(|&c| c != '\u{1F525}').count()
        );
        // Found by fuzzing: a range whose high end is a backslash at the very end.
        assert!(JavaRegex::new("[a-\\").is_err());
        assert!(JavaRegex::new("[0-9]").unwrap().single.is_some());
        assert!(JavaRegex::new("\u{1F525}").unwrap().single.is_some());
        assert!(JavaRegex::new("(?i)k").unwrap().single.is_some());
        assert!(JavaRegex::new("ab").unwrap().single.is_none());
        assert_eq!(utf16_len("a\u{e9}\u{1F525}"), 4);
    }

    #[test]
    fn classes_are_counted_from_byte_counts_as_character_by_character() {
        // Sets holding every character beyond ASCII, none, or some (which the byte counts
        // cannot answer); mask characters inside and outside ASCII, present in the text.
        let text = "a1 \u{1F525}\u{e9}2#=-\u{2028}\t`x\u{10FFFF}".repeat(9);
        let bytes = ByteCounts::of(&text);
        let classes = [
            ("[0-9]", Some(false)),
            (r"[^0-9A-Za-z\s#=-]", Some(true)),
            (
                r#"[\s\$\{\}\+\@\=\(\)\^\\\"~\[\]\?\./%#\`\'\;\-\!\*]"#,
                Some(false),
            ),
            ("[^a]", Some(true)),
            (r"[\x{80}-\x{10FFFF}]", Some(true)),
            (r"[^\x{e9}]", None),
            ("\u{e9}", None),
        ];
        for (pattern, beyond) in classes {
            let set = JavaRegex::new(pattern).unwrap().single.unwrap();
            assert_eq!(holds_all_beyond_ascii(&set), beyond, "{pattern}");
            for with in ['\u{1F525}', '#', 'x', '\u{e9}'] {
                let by_bytes = counted_from_bytes(&set, &text, &bytes, with);
                assert_eq!(by_bytes.is_some(), beyond.is_some());
                if let Some(counts) = by_bytes {
                    assert_eq!(counts, count_masked(&set, &text, with), "{pattern} {with}");
                }
            }
        }
    }

    #[test]
    fn matches_are_counted_as_the_built_replacement_holds_them() {
        // The counting idiom's two lengths, counted on the matches, against the replacement
        // built and measured; the text already holds the mask character in places.
        let fire = '\u{1F525}';
        let texts = [
            "I`nv`oke-Ex`pression `n `t w`r`ite \u{1F525} \u{e9}`x".repeat(20),
            "$a[-1..-4] -join '' ; $b[- 1..0]\u{1F525}".to_owned(),
            String::new(),
            "xxyxx".to_owned(),
        ];
        let patterns = [
            r"[A-Za-z0-9_-]`(?![rntb]|\r|\n|\d)[A-Za-z0-9_-]",
            r"\$\w+\[\-\s?1\.\.",
            r"(?i)(ekovni|I`N)",
            "x*",
            "\u{1F525}",
        ];
        for pattern in patterns {
            let r = JavaRegex::new(pattern).unwrap();
            for text in &texts {
                let spans = r.find_all(text).unwrap();
                let counted = span_mask_counts(text, text.chars().count(), &spans, fire).unwrap();
                let built = r.replace_all(text, &fire.to_string()).unwrap();
                assert_eq!(splice(text, &spans, fire), built, "{pattern} on {text:?}");
                assert_eq!(counted.chars, built.chars().count(), "{pattern}");
                assert_eq!(
                    counted.unmasked,
                    built.chars().filter(|&c| c != fire).count(),
                    "{pattern} on {text:?}"
                );
            }
        }
        // Near the cap the count gives way to the ordinary path, which decides.
        let big = "b".repeat(MAX_RESULT);
        let spans = JavaRegex::new("b").unwrap().find_all(&big).unwrap();
        assert!(span_mask_counts(&big, big.len(), &spans, fire).is_err());
        assert_eq!(plain_char("$"), None);
        assert_eq!(plain_char("\\"), None);
        assert_eq!(plain_char("ab"), None);
        assert_eq!(plain_char("\u{1F525}"), Some(fire));
    }

    #[test]
    fn the_size_cap_counts_as_replace_process_does() {
        // Elasticsearch's `Replace.process` checks, before each replacement: what is built so
        // far (up to the previous match) + the replacement + the text after the match, in
        // UTF-16 units, against 1,048,576; the text between two matches is not counted.
        let big = "a".repeat(MAX_RESULT);
        for pattern in ["b", "b+"] {
            let r = JavaRegex::new(pattern).unwrap();
            let fire = "\u{1F525}";
            // A match at the very end: 0 + 2 + 0 passes, and the result is over the cap.
            let out = r.replace_all(&format!("{big}b"), fire).unwrap();
            assert_eq!(utf16_len(&out), MAX_RESULT + 2, "{pattern}");
            // At the start: 0 + 2 + 1,048,576 is over: null.
            assert_eq!(
                r.replace_all(&format!("b{big}"), fire),
                Err(ReplaceError::TooLong),
                "{pattern}"
            );
            // Replacing with nothing at the start: 0 + 0 + 1,048,576 is not over.
            assert!(r.replace_all(&format!("b{big}"), "").is_ok(), "{pattern}");
        }
    }

    #[test]
    fn replacement_groups_and_escapes() {
        // Expected values from java.util.regex (shared/tools/java-regex), on either engine.
        let r = JavaRegex::new(r"(a)(?<n>b)").unwrap();
        assert!(r.is_linear());
        assert_eq!(r.replace_all("xaby", "[$2$1${n}\\$]").unwrap(), "x[bab$]y");
        let r = JavaRegex::new(r"(a)(?=b)|(?<n>c)").unwrap();
        assert!(!r.is_linear());
        assert_eq!(r.replace_all("xabyacb", "<$1${n}>").unwrap(), "x<a>bya<c>b");
    }
}
