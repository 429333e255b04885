//! Replacement chains over a literal: `'VirXtuaXl'.Replace('X','')` (ordinal, case-sensitive)
//! and `'…' -replace 'x','y'` (`-ireplace` ignores case as `-replace` does, `-creplace` does
//! not). A `-replace` pattern is used only when it is a plain string, regex escapes of symbols
//! (`\.`) allowed; a replacement with `$` (a group reference) is not evaluated. The chain is
//! rewritten up to its last step that could be applied.

use super::cursor::{apply_edits, back_space, eat, eat_ci, is_word, quoted, skip_space, skip_ws};
use super::lex::Src;
use super::limits::MAX_MASKED_VALUE;

pub(crate) fn rewrite(src: &Src) -> Option<String> {
    let text = src.text;
    let mut edits = Vec::new();
    let mut done = 0;
    for lit in &src.lits {
        if lit.span.start < done {
            continue;
        }
        // The subject: this literal, or this literal in parentheses.
        let (start, subject_end) = match src.lit_expr_at(lit.span.start) {
            Some((_, end)) => {
                let before = back_space(text, lit.span.start);
                match text.get(..before).filter(|t| t.ends_with('(')) {
                    Some(_) => match src.lit_expr_at(before - 1) {
                        Some((_, wrapped_end)) => (before - 1, wrapped_end),
                        None => (lit.span.start, end),
                    },
                    None => (lit.span.start, end),
                }
            }
            None => continue,
        };
        let Some(mut value) = lit.value.clone() else {
            continue;
        };
        let operator_ok = operand_may_start(text, start);
        let mut end = subject_end;
        let mut steps = 0;
        while let Some((next, next_end)) = step(src, end, &value, operator_ok) {
            value = next;
            end = next_end;
            steps += 1;
        }
        if steps == 0 || matches!(text.as_bytes().get(skip_ws(text, end)), Some(b'.' | b'[')) {
            continue;
        }
        done = end;
        edits.push((start..end, quoted(&value)));
    }
    (!edits.is_empty()).then(|| apply_edits(text, &edits))
}

/// Whether an operator after the subject applies to the subject alone: not when an arithmetic
/// operator or a comma before it would bind first (`$x + 'a' -replace …`).
fn operand_may_start(text: &str, start: usize) -> bool {
    let before = back_space(text, start);
    !text
        .get(..before)
        .and_then(|t| t.chars().next_back())
        .is_some_and(|c| matches!(c, '+' | '-' | '*' | '/' | '%' | ',' | '.'))
}

/// One `.Replace(a, b)` or `-replace a, b` after `at`: the new value and where the step ends.
fn step(src: &Src, at: usize, value: &str, operator_ok: bool) -> Option<(String, usize)> {
    let text = src.text;
    if let Some(name) = eat(text, skip_ws(text, at), ".") {
        let open = eat(text, skip_ws(text, eat_ci(text, name, "replace")?), "(")?;
        let (from, to, end) = two_literals(src, skip_space(text, open))?;
        let close = eat(text, skip_space(text, end), ")")?;
        if from.is_empty() || grows_past_cap(value, from.len(), to.len()) {
            return None;
        }
        return Some((value.replace(from, to), close));
    }
    if !operator_ok {
        return None;
    }
    let op = skip_space(text, at);
    let (after, ignore_case) = [
        ("-replace", true),
        ("-ireplace", true),
        ("-creplace", false),
    ]
    .iter()
    .find_map(|(name, ci)| eat_ci(text, op, name).map(|e| (e, *ci)))?;
    if text.as_bytes().get(after).is_some_and(|c| is_word(*c)) {
        return None;
    }
    let (pattern, to, end) = two_literals(src, skip_space(text, after))?;
    let from = plain_pattern(pattern)?;
    if to.contains('$') || from.is_empty() || grows_past_cap(value, from.len(), to.len()) {
        return None;
    }
    Some((replace_all(value, &from, to, ignore_case), end))
}

/// Whether replacing every `from` (of `from_len` bytes) in `value` by `to_len` bytes could make
/// it longer than `MAX_MASKED_VALUE` (bounded before anything is built: at most one match per
/// `from_len` bytes, each adding `to_len - from_len`).
fn grows_past_cap(value: &str, from_len: usize, to_len: usize) -> bool {
    let matches = value.len() / from_len.max(1);
    let growth = to_len.saturating_sub(from_len);
    value.len().saturating_add(matches.saturating_mul(growth)) > MAX_MASKED_VALUE
}

/// `'a', 'b'` (each maybe in parentheses).
fn two_literals<'s>(src: &'s Src, i: usize) -> Option<(&'s str, &'s str, usize)> {
    let text = src.text;
    let (a, a_end) = src.lit_expr_at(i)?;
    let comma = eat(text, skip_space(text, a_end), ",")?;
    let (b, b_end) = src.lit_expr_at(skip_space(text, comma))?;
    Some((a.value.as_deref()?, b.value.as_deref()?, b_end))
}

/// The string a regex matches when it is a plain string: symbols escaped with `\` become
/// themselves; any unescaped metacharacter or a class escape (`\d`) makes it no plain string.
fn plain_pattern(pattern: &str) -> Option<String> {
    let mut out = String::new();
    let mut chars = pattern.chars();
    while let Some(c) = chars.next() {
        match c {
            '\\' => match chars.next()? {
                e if e.is_alphanumeric() || e == '_' => return None,
                e => out.push(e),
            },
            '^' | '$' | '.' | '|' | '?' | '*' | '+' | '(' | ')' | '[' | ']' | '{' | '}' | '#' => {
                return None
            }
            c => out.push(c),
        }
    }
    Some(out)
}

/// Every non-overlapping match of `from`, left to right.
fn replace_all(value: &str, from: &str, to: &str, ignore_case: bool) -> String {
    if !ignore_case {
        return value.replace(from, to);
    }
    let fold = |s: &str| {
        s.chars()
            .flat_map(char::to_lowercase)
            .collect::<Vec<char>>()
    };
    let (hay, needle) = (value.chars().collect::<Vec<char>>(), fold(from));
    let mut out = String::with_capacity(value.len());
    let mut i = 0;
    while i < hay.len() {
        let window = hay.get(i..i + needle.len());
        let matched = window.is_some_and(|w| {
            w.len() == needle.len()
                && w.iter()
                    .zip(&needle)
                    .all(|(h, n)| h.to_lowercase().eq(std::iter::once(*n)))
        });
        if matched {
            out.push_str(to);
            i += needle.len();
        } else {
            out.push(hay[i]);
            i += 1;
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rewritten(text: &str) -> Option<String> {
        rewrite(&Src::new(text))
    }

    #[test]
    fn method_and_operator_chains_apply_in_order() {
        assert_eq!(
            rewritten("[K]::('VirQtuaQlAlloc'.Replace('Q','')) "),
            Some("[K]::('VirtualAlloc') ".to_owned())
        );
        assert_eq!(
            rewritten("$c = ('IZZX').Replace('ZZ','E') -replace 'x','X' -creplace 'x','y'"),
            Some("$c = 'IEX'".to_owned())
        );
        assert_eq!(
            rewritten("'a.b.c' -replace '\\.', '-'"),
            Some("'a-b-c'".to_owned())
        );
        assert_eq!(
            rewritten("'Get-XXProcess' -iReplace 'xx',''"),
            Some("'Get-Process'".to_owned())
        );
    }

    #[test]
    fn a_chain_that_would_grow_past_the_cap_is_left_as_written() {
        // Each step doubles the string: 2^30 bytes after 30 steps, were it applied. The chain
        // stops before the cap and the rest of it would apply to the result, so nothing is
        // rewritten (and nothing that large is built).
        let text = format!("'x'{}", ".Replace('x','xx')".repeat(30));
        assert_eq!(rewritten(&text), None);
        // Under the cap the same chain is rewritten.
        let short = format!("'x'{}", ".Replace('x','xx')".repeat(3));
        assert_eq!(rewritten(&short), Some("'xxxxxxxx'".to_owned()));
    }

    #[test]
    fn regexes_group_references_and_variables_are_left() {
        for text in [
            "'abc' -replace 'a.c','x'",
            "'abc' -replace '\\w','x'",
            "'abc' -replace 'a','$1'",
            "'abc'.Replace($a,'x')",
            "'abc'.Replace('','x')",
            "$x + 'abc' -replace 'a','b'",
            "'abc'.Replace('a','b').Length",
        ] {
            assert_eq!(rewritten(text), None, "{text}");
        }
    }
}
