//! Strings spelled as character codes: `[char[]](73,69,88) -join ''`, `[string]::Join('',
//! [char[]](…))`, `(73,69,88) | % { [char]$_ }`, `[char]73+[char]0x45`. Decimal and `0x` codes.
//! The layer is the spelled string (the `-join` around it only glues it together); a code that
//! is no character stops the branch.

use super::cursor::{eat, eat_ci, find_ci, number_at, skip_space, skip_ws};
use super::driver::{Found, Then, MAX_FINDINGS};
use super::lex::Src;
use super::{Content, LayerKind};
use std::ops::Range;

pub(crate) fn find(src: &Src) -> Vec<Found> {
    let mut found = Vec::new();
    array_casts(src, &mut found);
    piped_lists(src, &mut found);
    char_sums(src, &mut found);
    found
}

/// `[char[]](…)` and `[System.Char[]]@(…)`.
fn array_casts(src: &Src, found: &mut Vec<Found>) {
    let text = src.text;
    for at in find_ci(text, "char[]]") {
        if found.len() >= MAX_FINDINGS {
            break;
        }
        let open = if at >= 1 && text.as_bytes().get(at - 1) == Some(&b'[') {
            at - 1
        } else if at >= 8 && eat_ci(text, at - 8, "[system.") == Some(at) {
            at - 8
        } else {
            continue;
        };
        if !src.in_code(open) {
            continue;
        }
        let mut list = skip_ws(text, at + "char[]]".len());
        if let Some(after) = eat(text, list, "@") {
            list = after;
        }
        if let Some((codes, end)) = number_list(text, list) {
            found.push(spelled(open..end, &codes));
        }
    }
}

/// `(73,69,88) | % { [char]$_ }` (also `ForEach-Object`, `foreach`, `@(…)`).
fn piped_lists(src: &Src, found: &mut Vec<Found>) {
    let text = src.text;
    let b = text.as_bytes();
    for at in memchr::memchr_iter(b'(', b) {
        if found.len() >= MAX_FINDINGS {
            break;
        }
        if (at > 0 && b.get(at - 1) == Some(&b']')) || !src.in_code(at) {
            continue;
        }
        let Some((codes, end)) = number_list(text, at) else {
            continue;
        };
        let Some(pipe) = eat(text, skip_ws(text, end), "|") else {
            continue;
        };
        let each = skip_ws(text, pipe);
        let Some(each) = ["foreach-object", "foreach", "%"]
            .iter()
            .find_map(|w| eat_ci(text, each, w))
        else {
            continue;
        };
        let Some(close) = eat(text, skip_ws(text, each), "{")
            .and_then(|i| eat_ci(text, skip_space(text, i), "[char]"))
            .and_then(|i| eat(text, skip_ws(text, i), "$_"))
            .and_then(|i| eat(text, skip_space(text, i), "}"))
        else {
            continue;
        };
        let start = if at > 0 && b.get(at - 1) == Some(&b'@') {
            at - 1
        } else {
            at
        };
        found.push(spelled(start..close, &codes));
    }
}

/// `[char]73+[char](69)+[char]0x58`: two or more casts of numbers joined by `+`.
fn char_sums(src: &Src, found: &mut Vec<Found>) {
    let text = src.text;
    let mut done = 0;
    for at in find_ci(text, "[char]") {
        if found.len() >= MAX_FINDINGS {
            break;
        }
        if at < done || !src.in_code(at) {
            continue;
        }
        let mut codes = Vec::new();
        let mut end = at;
        let mut next = Some(at);
        while let Some(cast) = next {
            let Some(code_at) = eat_ci(text, cast, "[char]") else {
                break;
            };
            let Some((code, code_end)) = cast_operand(text, skip_ws(text, code_at)) else {
                break;
            };
            codes.push(code);
            end = code_end;
            next = eat(text, skip_space(text, code_end), "+").map(|p| skip_space(text, p));
        }
        if codes.len() >= 2 {
            done = end;
            found.push(spelled(at..end, &codes));
        }
    }
}

/// `72` or `(72)` after a `[char]` cast.
fn cast_operand(text: &str, i: usize) -> Option<(u64, usize)> {
    if let Some(open) = eat(text, i, "(") {
        let (n, end) = number_at(text, skip_ws(text, open))?;
        let close = eat(text, skip_ws(text, end), ")")?;
        return Some((n, close));
    }
    number_at(text, i)
}

/// `( n, n, … )` with two or more numbers, across lines: the numbers and where it ends.
fn number_list(text: &str, i: usize) -> Option<(Vec<u64>, usize)> {
    let mut at = skip_space(text, eat(text, i, "(")?);
    let mut codes = Vec::new();
    loop {
        let (n, end) = number_at(text, at)?;
        codes.push(n);
        at = skip_space(text, end);
        match eat(text, at, ",") {
            Some(comma) => at = skip_space(text, comma),
            None => break,
        }
    }
    let close = eat(text, at, ")")?;
    (codes.len() >= 2).then_some((codes, close))
}

/// The string the codes spell; PowerShell's `[char]` is one UTF-16 unit, so a surrogate or a
/// code over 0xFFFF is not a character.
fn spelled(span: Range<usize>, codes: &[u64]) -> Found {
    let outcome = codes
        .iter()
        .map(|&n| {
            u32::try_from(n)
                .ok()
                .filter(|&n| n <= 0xFFFF)
                .and_then(char::from_u32)
                .ok_or_else(|| format!("{n} is not a character code"))
        })
        .collect::<Result<String, String>>()
        .map(Content::Text);
    Found {
        span,
        kind: LayerKind::CharCodes,
        outcome,
        then: Then::default(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn spelled_in(script: &str) -> Vec<(String, Result<String, String>)> {
        find(&Src::new(script))
            .into_iter()
            .map(|f| {
                let text = f
                    .outcome
                    .map(|c| c.as_text().unwrap_or_default().to_owned());
                (script[f.span].to_owned(), text)
            })
            .collect()
    }

    #[test]
    fn every_spelling_decodes() {
        let iex = Ok("IEX".to_owned());
        for (script, span) in [
            ("& ([char[]](73,69,88) -join '')", "[char[]](73,69,88)"),
            (
                "-join [CHAR[]]@( 0x49, 69,\n 88 )",
                "[CHAR[]]@( 0x49, 69,\n 88 )",
            ),
            (
                "[string]::Join('', [System.Char[]](73,69,88))",
                "[System.Char[]](73,69,88)",
            ),
            (
                "-join ((73,69,88) | % { [char]$_ })",
                "(73,69,88) | % { [char]$_ }",
            ),
            (
                "(@(73,69,88)|ForEach-Object{[char]$_}) -join ''",
                "@(73,69,88)|ForEach-Object{[char]$_}",
            ),
            (
                "&([char]73+[char](69) + [Char]0x58)",
                "[char]73+[char](69) + [Char]0x58",
            ),
        ] {
            assert_eq!(
                spelled_in(script),
                vec![(span.to_owned(), iex.clone())],
                "{script}"
            );
        }
    }

    #[test]
    fn single_codes_strings_and_bad_codes() {
        assert!(spelled_in("[char]34 + $x").is_empty());
        assert!(spelled_in("'[char[]](73,69,88)'").is_empty());
        assert!(spelled_in("(1,2) | % { $_ * 2 }").is_empty());
        let bad = spelled_in("[char[]](73,55296)");
        assert_eq!(bad[0].1, Err("55296 is not a character code".to_owned()));
    }
}
