//! Strings written backwards and reversed at run time: `'XEI'[-1..-3]`, `$s[-1..-($s.Length)]`
//! and `[Array]::Reverse($a)` on a variable assigned a literal earlier in the same text (the last
//! assignment before the use; control flow is not followed). The layer is the reversed string.

use super::cursor::{
    back_space, before_char, eat, eat_ci, find_ci, is_word, number_at, skip_ws, var_at,
};
use super::driver::{Found, Then, MAX_FINDINGS};
use super::lex::Src;
use super::{Content, LayerKind};
use std::ops::Range;

pub(crate) fn find(src: &Src) -> Vec<Found> {
    let mut found = Vec::new();
    negative_ranges(src, &mut found);
    array_reverse(src, &mut found);
    found
}

/// `subject[-1..-N]`, where the subject is a literal, a parenthesised literal or a variable.
fn negative_ranges(src: &Src, found: &mut Vec<Found>) {
    let text = src.text;
    for at in memchr::memchr_iter(b'[', text.as_bytes()) {
        if found.len() >= MAX_FINDINGS {
            break;
        }
        if !src.in_code(at) {
            continue;
        }
        let Some((count, end)) = backwards_range(text, at + 1) else {
            continue;
        };
        let Some((start, value)) = subject_before(src, at) else {
            continue;
        };
        found.push(reversed(start..end, value, count));
    }
}

/// `-1..-N]` (spaces allowed) from `i`: N when it is a number (`None` when it is the length
/// of something), and where the `]` ends.
fn backwards_range(text: &str, i: usize) -> Option<(Option<usize>, usize)> {
    let i = eat(text, skip_ws(text, i), "-1")?;
    let i = eat(text, skip_ws(text, i), "..")?;
    let i = eat(text, skip_ws(text, i), "-")?;
    let i = skip_ws(text, i);
    let (count, end) = if let Some((n, end)) = number_at(text, i) {
        (Some(usize::try_from(n).unwrap_or(usize::MAX)), end)
    } else if let Some(open) = eat(text, i, "(") {
        // `-($s.Length)`: the length of something, never far away.
        let mut window = text.get(open..)?.bytes().take(256);
        let close = window.position(|c| c == b')')? + open + 1;
        (None, close)
    } else {
        // `-$s.Length`
        let (_, mut end) = var_at(text, i)?;
        while let Some(dot) = eat(text, end, ".") {
            let b = text.as_bytes();
            end = dot;
            while b.get(end).is_some_and(|c| is_word(*c)) {
                end += 1;
            }
        }
        (None, end)
    };
    let close = eat(text, skip_ws(text, end), "]")?;
    Some((count, close))
}

/// The string indexed at `bracket`, and where its expression starts.
fn subject_before<'s>(src: &'s Src, bracket: usize) -> Option<(usize, &'s str)> {
    let text = src.text;
    if let Some(lit) = src.lit_ending_at(bracket) {
        return Some((lit.span.start, lit.value.as_deref()?));
    }
    if let Some(close) = before_char(text, bracket, ')') {
        let lit = src.lit_ending_at(back_space(text, close))?;
        let open = before_char(text, back_space(text, lit.span.start), '(')?;
        return Some((open, lit.value.as_deref()?));
    }
    let b = text.as_bytes();
    let mut start = bracket;
    while start > 0 && b.get(start - 1).is_some_and(|c| is_word(*c) || *c == b':') {
        start -= 1;
    }
    let dollar = before_char(text, start, '$')?;
    let (name, _) = var_at(text, dollar)?;
    let lit = src.assigned_literal(&name, dollar)?;
    Some((dollar, lit.value.as_deref()?))
}

/// `[Array]::Reverse($a)` with `$a` assigned a literal (as chars) before it.
fn array_reverse(src: &Src, found: &mut Vec<Found>) {
    let text = src.text;
    for at in find_ci(text, "array]::reverse") {
        if found.len() >= MAX_FINDINGS {
            break;
        }
        let start = if eat(text, at.saturating_sub(1), "[") == Some(at) {
            at - 1
        } else if at >= 8 && eat_ci(text, at - 8, "[system.") == Some(at) {
            at - 8
        } else {
            continue;
        };
        if !src.in_code(start) {
            continue;
        }
        let Some(open) = eat(text, skip_ws(text, at + "array]::reverse".len()), "(") else {
            continue;
        };
        let Some((name, var_end)) = var_at(text, skip_ws(text, open)) else {
            continue;
        };
        let Some(close) = eat(text, skip_ws(text, var_end), ")") else {
            continue;
        };
        let Some(value) = src
            .assigned_literal(&name, start)
            .and_then(|l| l.value.as_deref())
        else {
            continue;
        };
        found.push(reversed(start..close, value, None));
    }
}

/// The last `count` characters of `value` (all when `None`), last first.
fn reversed(span: Range<usize>, value: &str, count: Option<usize>) -> Found {
    let last_first = value.chars().rev().take(count.unwrap_or(usize::MAX));
    Found {
        span,
        kind: LayerKind::Reverse,
        outcome: Ok(Content::Text(last_first.collect())),
        then: Then::default(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn reversed_in(script: &str) -> Vec<(&str, String)> {
        find(&Src::new(script))
            .into_iter()
            .map(|f| {
                let text = f.outcome.unwrap().as_text().unwrap().to_owned();
                (&script[f.span], text)
            })
            .collect()
    }

    #[test]
    fn indexing_backwards_reverses() {
        assert_eq!(
            reversed_in("-join 'XEI'[-1..-3] | iex"),
            vec![("'XEI'[-1..-3]", "IEX".to_owned())]
        );
        assert_eq!(
            reversed_in("('olleh')[ -1 .. -100 ]"),
            vec![("('olleh')[ -1 .. -100 ]", "hello".to_owned())]
        );
        assert_eq!(
            reversed_in("'abcdef'[-1..-2]"),
            vec![("'abcdef'[-1..-2]", "fe".to_owned())]
        );
        let script = "$s = 'tsoH-etirW'; $x = 'no'\n$r = $s[-1..-($s.Length)] -join ''";
        assert_eq!(
            reversed_in(script),
            vec![("$s[-1..-($s.Length)]", "Write-Host".to_owned())]
        );
        assert_eq!(
            reversed_in("$s='cba';-join $s[-1..-$s.Length]"),
            vec![("$s[-1..-$s.Length]", "abc".to_owned())]
        );
    }

    #[test]
    fn array_reverse_uses_the_assigned_literal() {
        let script = "$a = 'ssecorP-teG'.ToCharArray(); [Array]::Reverse($a); -join $a";
        assert_eq!(
            reversed_in(script),
            vec![("[Array]::Reverse($a)", "Get-Process".to_owned())]
        );
    }

    #[test]
    fn unknown_subjects_are_left_alone() {
        assert!(reversed_in("$args[-1..-3]").is_empty());
        assert!(reversed_in("$s = 'abc'; $s[0..2]").is_empty());
        assert!(reversed_in("'x[-1..-3]'").is_empty());
    }
}
