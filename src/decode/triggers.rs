//! A quick look at a text before any pass or finder runs: which of them could possibly change
//! or find something in it. Most script blocks hold none of the tokens a layer starts from, and
//! lexing and rewriting every one of them would cost as much as reading the export again.
//!
//! Each flag is a superset of its pass's or finder's own condition, checked on bytes without
//! lexing: it may let a pass run for nothing, never hold back one that would change the text or
//! find a layer. So `decode` gives the same tree as running everything (a property test holds
//! it to that); a change to a pass's condition must loosen its trigger here too.

use super::base64;
use super::cursor::{eat, eat_ci, ends_with_ci, is_word, skip_ws};
use memchr::memmem;

/// Which passes and finders may apply to a text.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(crate) struct Triggers {
    /// A backtick before a letter or digit that is not an escape.
    pub backtick: bool,
    /// A `+` between a literal's end and another literal's start.
    pub concat: bool,
    /// `-f` as an operator just after a literal.
    pub format: bool,
    /// `replace` anywhere (`.Replace(`, `-replace`, `-ireplace`, `-creplace`).
    pub replace: bool,
    /// A `-EncodedCommand` flag (any prefix, `-ec`, `/`, en dash).
    pub encoded_command: bool,
    /// `FromBase64String`.
    pub convert: bool,
    /// A literal that opens with a long run of base64.
    pub bare: bool,
    /// `[char]` or `char[]]`.
    pub charcodes: bool,
    /// `[-1..` or `array]::reverse`.
    pub reverse: bool,
}

impl Triggers {
    /// Every pass and finder on: what a text gets without the quick look.
    pub fn all() -> Self {
        Triggers {
            backtick: true,
            concat: true,
            format: true,
            replace: true,
            encoded_command: true,
            convert: true,
            bare: true,
            charcodes: true,
            reverse: true,
        }
    }

    /// The triggers found in `text`; `min_bare` is the shortest bare base64 literal decoded.
    /// One walk over the text, 64 bytes at a time: the bytes a trigger can start at (dashes
    /// and slashes, backticks, `+`, `[`, quotes) found as the bits of a mask, the words around
    /// each checked. Lexing is what costs, and most texts never get that far.
    pub fn of(text: &str, min_bare: usize) -> Self {
        let b = text.as_bytes();
        let mut t = Triggers {
            // `frombase` is 8 bytes before the `64`, `string` 6 after it.
            convert: memmem::find_iter(b, b"64")
                .any(|i| i >= 8 && ends_with_ci(text, i + 8, "frombase64string")),
            ..Triggers::default()
        };
        let min_bare = min_bare.max(4);
        for (k, chunk) in b.chunks(64).enumerate() {
            let mut starts = crate::byte_mask::of_chunk(chunk, may_start_trigger);
            while starts != 0 {
                let i = k * 64 + starts.trailing_zeros() as usize;
                starts &= starts - 1;
                t.look_at(text, i, min_bare);
            }
            if t.all_but_convert() {
                break;
            }
        }
        t
    }

    /// Checks the trigger that may start at byte `i` (one [`may_start_trigger`] is true of).
    /// A flag once set is not checked again (`-`, `+`, `[` and quotes are common).
    fn look_at(&mut self, text: &str, i: usize, min_bare: usize) {
        let b = text.as_bytes();
        match b[i] {
            b'-' | b'/' | 0xE2 => {
                self.encoded_command = self.encoded_command || encoded_command_flag(text, i);
            }
            b'`' => self.backtick = self.backtick || ignored_backtick(b, i),
            b'+' => self.concat = self.concat || plus_between_literals(b, i),
            b'[' if self.reverse && self.charcodes => {}
            b'[' => {
                // Backwards ranges, char casts and `[Array]::Reverse`.
                let after = i + 1;
                self.reverse |= negative_range(text, after)
                    || eat_ci(text, after, "array]::reverse").is_some()
                    || eat_ci(text, after, "system.array]::reverse").is_some();
                self.charcodes |= eat_ci(text, after, "char]").is_some()
                    || (ends_with_ci(text, i, "char") && eat(text, after, "]]").is_some());
            }
            _ if self.bare && self.format && self.replace => {}
            _ => {
                // A quote, where every literal opens and closes: a long base64 value after
                // one, and `-f` or a `.Replace` / `-replace` step after one.
                self.bare = self.bare || literal_opening_with_base64(b, i, min_bare);
                // Past the quote, and the `@` when it closes a here-string.
                let end = if b.get(i + 1) == Some(&b'@') {
                    i + 2
                } else {
                    i + 1
                };
                self.format = self.format || format_operator(b, skip_ws(text, end));
                self.replace = self.replace || replace_step(text, end);
            }
        }
    }

    /// Whether every flag the walk sets is set: nothing left to look for.
    fn all_but_convert(&self) -> bool {
        let Triggers {
            backtick,
            concat,
            format,
            replace,
            encoded_command,
            convert: _,
            bare,
            charcodes,
            reverse,
        } = *self;
        backtick && concat && format && replace && encoded_command && bare && charcodes && reverse
    }

    /// Whether a mask pass may rewrite the text.
    pub fn any_mask(&self) -> bool {
        self.backtick || self.concat || self.format || self.replace
    }

    /// Whether a payload finder may find something.
    pub fn any_payload(&self) -> bool {
        self.encoded_command || self.convert || self.bare || self.charcodes || self.reverse
    }
}

/// A byte some trigger starts at: the dash of a `-EncodedCommand` flag (`-`, `/`, the first
/// byte of an en dash), a backtick, a `+`, a `[`, a quote. Comparisons only (see `byte_mask`).
#[inline(always)]
fn may_start_trigger(c: u8) -> bool {
    (c == b'-')
        | (c == b'/')
        | (c == 0xE2)
        | (c == b'`')
        | (c == b'+')
        | (c == b'[')
        | (c == b'\'')
        | (c == b'"')
}

/// A backtick at `i` before a letter or digit that is no escape of a double-quoted string.
fn ignored_backtick(b: &[u8], i: usize) -> bool {
    b.get(i + 1)
        .is_some_and(|&c| c.is_ascii_alphanumeric() && !b"0abfnrtv".contains(&c))
}

/// White space as `str::trim` sees it among ASCII bytes (vertical tab included).
fn is_trimmed(c: u8) -> bool {
    matches!(c, b'\t'..=b'\r' | b' ')
}

/// A byte that may end or open a literal next to a `+`: a quote, the `@` of a here-string, or
/// any non-ASCII byte (which might be Unicode white space that `trim` would skip).
fn may_border_literal(c: u8) -> bool {
    matches!(c, b'\'' | b'"' | b'@') || !c.is_ascii()
}

/// The `+` at `i` may join two literals.
fn plus_between_literals(b: &[u8], i: usize) -> bool {
    let before = b[..i].iter().rev().find(|&&c| !is_trimmed(c));
    let after = b[i + 1..].iter().find(|&&c| !is_trimmed(c));
    before.is_some_and(|&c| may_border_literal(c)) && after.is_some_and(|&c| may_border_literal(c))
}

/// `-f` at `i` (spaces after a literal's end), not followed by a word character or `-`, as
/// `format` reads its operator.
fn format_operator(b: &[u8], i: usize) -> bool {
    b.get(i) == Some(&b'-')
        && matches!(b.get(i + 1), Some(b'f' | b'F'))
        && !b.get(i + 2).is_some_and(|&c| is_word(c) || c == b'-')
}

/// A replacement step after a literal's end at `end`: past white space and the closing
/// parentheses around the literal, `.Replace` or `-replace` (also `-ireplace`, `-creplace`).
fn replace_step(text: &str, end: usize) -> bool {
    let b = text.as_bytes();
    let mut i = end;
    while b
        .get(i)
        .is_some_and(|&c| c.is_ascii_whitespace() || c == b')')
    {
        i += 1;
    }
    let name = match (b.get(i), b.get(i + 1)) {
        (Some(b'.'), _) => i + 1,
        (Some(b'-'), Some(b'i' | b'I' | b'c' | b'C')) => i + 2,
        (Some(b'-'), _) => i + 1,
        _ => return false,
    };
    eat_ci(text, name, "replace").is_some()
}

/// Spaces, `-1`, spaces, `..` from `at` (just after a `[`): a backwards index range.
fn negative_range(text: &str, at: usize) -> bool {
    eat(text, skip_ws(text, at), "-1").is_some_and(|i| eat(text, skip_ws(text, i), "..").is_some())
}

/// A `-EncodedCommand` flag at `i`: `-`, `/` or an en dash, then a prefix of the name (or
/// `ec`), then white space or a quote.
fn encoded_command_flag(text: &str, i: usize) -> bool {
    const NAME: &str = "encodedcommand";
    let b = text.as_bytes();
    let after = match b[i] {
        b'-' | b'/' => i + 1,
        0xE2 if b.get(i + 1..i + 3) == Some(&[0x80, 0x93]) => i + 3,
        _ => return false,
    };
    if !matches!(b.get(after), Some(b'e' | b'E')) {
        return false;
    }
    let mut end = after;
    while b.get(end).is_some_and(u8::is_ascii_alphabetic) {
        end += 1;
    }
    let flag = &text[after..end];
    let named = flag.eq_ignore_ascii_case("ec")
        || NAME
            .get(..flag.len())
            .is_some_and(|p| p.eq_ignore_ascii_case(flag));
    named
        && b.get(end)
            .is_some_and(|c| c.is_ascii_whitespace() || matches!(c, b'\'' | b'"'))
}

/// A literal opening at the quote `q` whose value could be `min` or more base64 bytes: that
/// many alphabet bytes after the quote (for a here-string `@'`, on the line after it), where a
/// backtick and the byte after it count as one (a double-quoted `` `A `` is `A`).
fn literal_opening_with_base64(b: &[u8], q: usize, min: usize) -> bool {
    let run_from = |mut j: usize| {
        let mut run = 0;
        loop {
            match b.get(j) {
                Some(b'`') if j + 1 < b.len() => j += 2,
                Some(&c) if base64::in_alphabet(c) => j += 1,
                _ => return false,
            }
            run += 1;
            if run >= min {
                return true;
            }
        }
    };
    let here_string_body = || Some(q + memchr::memchr(b'\n', &b[q..])? + 1);
    run_from(q + 1) || (q > 0 && b[q - 1] == b'@' && here_string_body().is_some_and(run_from))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The quick look as four separate scans (`64`; dashes; backticks, `+` and `[`; quotes),
    /// as it was before the single walk: kept as the reference.
    fn of_by_four_scans(text: &str, min_bare: usize) -> Triggers {
        let b = text.as_bytes();
        let mut t = Triggers {
            convert: memmem::find_iter(b, b"64")
                .any(|i| i >= 8 && ends_with_ci(text, i + 8, "frombase64string")),
            encoded_command: memchr::memchr3_iter(b'-', b'/', 0xE2, b)
                .any(|i| encoded_command_flag(text, i)),
            ..Triggers::default()
        };
        for i in memchr::memchr3_iter(b'`', b'+', b'[', b) {
            t.look_at(text, i, min_bare.max(4));
        }
        for q in memchr::memchr2_iter(b'\'', b'"', b) {
            t.look_at(text, q, min_bare.max(4));
        }
        t
    }

    #[test]
    fn one_walk_finds_what_the_four_scans_found() {
        let pieces = [
            "I`EX",
            "'a'",
            " + ",
            "\"b\"",
            " -f ",
            "-enc ",
            "/e ",
            "\u{2013}ec ",
            "[char]72",
            "char[]]",
            "[Array]::Reverse",
            "[ -1 ..",
            "'QUJDREVGR0hJSktMTU5PUFFSU1RV'",
            ".Replace(",
            "-creplace",
            "FromBase64String",
            "@'\n",
            "é",
            "🔥",
            "$x",
            "\n",
            "(",
        ];
        for text in crate::mixed_texts::mixed_texts(&pieces, 2000, 61, 0x9e37_79b9_7f4a_7c15) {
            assert_eq!(
                Triggers::of(&text, 16),
                of_by_four_scans(&text, 16),
                "{text:?}"
            );
        }
    }

    #[test]
    fn plain_administration_triggers_nothing() {
        for text in [
            "Get-Process | Where-Object { $_.CPU -gt 10 } | Select-Object Name, Id",
            "Get-ChildItem C:\\Logs -ErrorAction SilentlyContinue -Exclude *.tmp -Force",
            "if ($a -eq 2) { Write-Host done }; $i++; $n = $a + $b; $x[-1]",
            "Get-Item `\n  -Path x  # SIG # MIIxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx",
            "$f = Get-Item -Filter '*.ps1' -File",
        ] {
            assert_eq!(Triggers::of(text, 40), Triggers::default(), "{text}");
        }
    }

    #[test]
    fn each_trigger_is_seen() {
        type Seen = fn(&Triggers) -> bool;
        let cases: [(&str, Seen); 20] = [
            ("I`EX", |t| t.backtick),
            ("'a' + 'b'", |t| t.concat),
            ("'a'\u{a0}+\u{a0}'b'", |t| t.concat),
            ("@'\nx\n'@+'b'", |t| t.concat),
            ("'{0}' -F 'x'", |t| t.format),
            ("'x'.RePlace('a','b')", |t| t.replace),
            ("'x' -CREPLACE 'a','b'", |t| t.replace),
            ("[Convert]::FROMBASE64STRING($s)", |t| t.convert),
            ("[CHAR]72", |t| t.charcodes),
            ("[System.Char[]](73)", |t| t.charcodes),
            ("[Array]::Reverse($a)", |t| t.reverse),
            ("[system.array]::reverse($a)", |t| t.reverse),
            ("'abc'[ -1 .. -3]", |t| t.reverse),
            ("powershell -enc JAB4AD0AMQA=", |t| t.encoded_command),
            ("powershell /EncodedCommand JAB4", |t| t.encoded_command),
            ("powershell \u{2013}ec JAB4", |t| t.encoded_command),
            (
                "$x = \"QUJDREVG`R0hJSktMTU5PUFFSU1RVVldYWVphYmNkZWZnaGlqa2xt\"",
                |t| t.bare,
            ),
            (
                "$x = @'  \r\nQUJDREVGR0hJSktMTU5PUFFSU1RVVldYWVphYmNkZWZnaGlqa2xt\n'@",
                |t| t.bare,
            ),
            ("'a'\n+ \"b\"", |t| t.concat),
            ("$s = 'x'\t-f 1", |t| t.format),
        ];
        for (text, seen) in cases {
            assert!(seen(&Triggers::of(text, 40)), "{text}");
        }
    }
}
