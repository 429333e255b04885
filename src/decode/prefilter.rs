//! A quick look at a script before any decoder runs: most script blocks hold none of the
//! tokens a layer starts from, and lexing and rewriting them all would cost as much as reading
//! the export. The check is a superset of every finder's trigger — it may let a plain script
//! through, never hold back one with a layer — so `decode` gives the same tree with or without it.

use super::base64;
use aho_corasick::AhoCorasick;
use std::sync::LazyLock;

/// The words (ASCII case-insensitive) without which no finder or mask matches: backticks,
/// `+` (concatenation), `-f` (format), `replace`, `FromBase64String`, `char` (char codes), and
/// `reverse` / `-1` (reversal).
static TRIGGERS: LazyLock<Option<AhoCorasick>> = LazyLock::new(|| {
    AhoCorasick::builder()
        .ascii_case_insensitive(true)
        .build([
            "`",
            "+",
            "-f",
            "replace",
            "frombase64string",
            "char",
            "reverse",
            "-1",
        ])
        .ok()
});

/// Whether `text` may hold a layer; `min_run` is the shortest bare base64 literal decoded.
pub(crate) fn may_hold_layers(text: &str, min_run: usize) -> bool {
    match &*TRIGGERS {
        Some(ac) if ac.is_match(text) => return true,
        Some(_) => {}
        // Cannot happen with these fixed patterns; decode everything rather than nothing.
        None => return true,
    }
    encoded_command_flag(text) || base64_run(text.as_bytes(), min_run.max(4))
}

/// A `-EncodedCommand` flag: `-`, `/` or an en dash, then a prefix of the name (or `ec`),
/// then white space or a quote.
fn encoded_command_flag(text: &str) -> bool {
    const NAME: &str = "encodedcommand";
    let b = text.as_bytes();
    let mut i = 0;
    while i < b.len() {
        let after = match b[i] {
            b'-' | b'/' => i + 1,
            0xE2 if b.get(i + 1..i + 3) == Some(&[0x80, 0x93]) => i + 3,
            _ => {
                i += 1;
                continue;
            }
        };
        let mut end = after;
        while b.get(end).is_some_and(u8::is_ascii_alphabetic) {
            end += 1;
        }
        let flag = &text[after..end];
        let named = !flag.is_empty()
            && (flag.eq_ignore_ascii_case("ec")
                || NAME
                    .get(..flag.len())
                    .is_some_and(|p| p.eq_ignore_ascii_case(flag)));
        if named
            && b.get(end)
                .is_some_and(|c| c.is_ascii_whitespace() || matches!(c, b'\'' | b'"'))
        {
            return true;
        }
        i = end.max(i + 1);
    }
    false
}

/// A run of at least `min` base64 alphabet bytes.
fn base64_run(b: &[u8], min: usize) -> bool {
    let mut run = 0;
    for &c in b {
        if base64::in_alphabet(c) {
            run += 1;
            if run >= min {
                return true;
            }
        } else {
            run = 0;
        }
    }
    false
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plain_administration_is_passed_over() {
        for text in [
            "Get-Process | Where-Object { $_.CPU -gt 10 } | Select-Object Name, Id",
            "Get-ChildItem C:\\Logs -ErrorAction SilentlyContinue -Exclude *.tmp",
            "if ($a -eq 2) { Write-Host done }",
        ] {
            assert!(!may_hold_layers(text, 40), "{text}");
        }
    }

    #[test]
    fn every_trigger_lets_the_text_through() {
        for text in [
            "I`EX",
            "'a'+'b'",
            "'{0}' -F 'x'",
            "'x'.RePlace('a','b')",
            "[Convert]::FROMBASE64STRING($s)",
            "[CHAR]72",
            "[Array]::Reverse($a)",
            "'abc'[-1..-3]",
            "powershell -enc JAB4AD0AMQA=",
            "powershell /EncodedCommand JAB4",
            "powershell \u{2013}ec JAB4",
            "$x = 'QUJDREVGR0hJSktMTU5PUFFSU1RVVldYWVphYmNkZWZnaGlqa2xt'",
        ] {
            assert!(may_hold_layers(text, 40), "{text}");
        }
    }
}
