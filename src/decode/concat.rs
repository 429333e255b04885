//! Strings split into literals and glued with `+` (`'Vir'+'tual'+"Alloc"`): two or more
//! adjacent literals joined into one. Joining must not change what PowerShell computes, so a
//! run is left alone, or shortened, where a neighbour binds tighter than `+`: `-f` and `.`
//! or `[` after it, `*` `/` `%` around it, and `,` (an array) outside a method call's
//! arguments.

use super::cursor::{apply_edits, back_space, eat_ci, is_word, quoted, skip_space};
use super::lex::{Lit, Src};

pub(crate) fn rewrite(src: &Src) -> Option<String> {
    let text = src.text;
    let in_call = in_call_flags(src);
    let mut edits = Vec::new();
    let mut i = 0;
    while i < src.lits.len() {
        let mut j = i;
        while src
            .lits
            .get(j + 1)
            .is_some_and(|next| joined_by_plus(text, &src.lits[j], next) && next.value.is_some())
            && src.lits[j].value.is_some()
        {
            j += 1;
        }
        let (mut first, mut last) = (i, j);
        i = j + 1;
        if last == first {
            continue;
        }
        let call = |k: usize| in_call.get(k).copied().unwrap_or(false);
        if binds_before(text, src.lits[first].span.start, call(first)) {
            first += 1;
        }
        if binds_after(text, src.lits[last].span.end, call(last)) {
            last -= 1;
        }
        if last <= first {
            continue;
        }
        let run = &src.lits[first..=last];
        let joined: String = run.iter().filter_map(|l| l.value.as_deref()).collect();
        edits.push((
            run[0].span.start..run[run.len() - 1].span.end,
            quoted(&joined),
        ));
    }
    (!edits.is_empty()).then(|| apply_edits(text, &edits))
}

fn joined_by_plus(text: &str, a: &Lit, b: &Lit) -> bool {
    text.get(a.span.end..b.span.start)
        .is_some_and(|between| between.trim() == "+")
}

/// Whether what comes before `start` takes the first literal away from the `+`.
fn binds_before(text: &str, start: usize, in_call: bool) -> bool {
    let at = back_space(text, start);
    let Some(prev) = text.get(..at).and_then(|t| t.chars().next_back()) else {
        return false;
    };
    match prev {
        '*' | '/' | '%' | '.' | '[' | '-' => true,
        ',' => !in_call,
        _ => ends_with_operator(text, at, "f"),
    }
}

/// Whether what comes after `end` takes the last literal away from the `+`.
fn binds_after(text: &str, end: usize, in_call: bool) -> bool {
    let at = skip_space(text, end);
    match text.as_bytes().get(at) {
        Some(b'*' | b'/' | b'%' | b'.' | b'[') => true,
        Some(b',') => !in_call,
        Some(b'-') => eat_ci(text, at, "-f")
            .is_some_and(|e| !text.as_bytes().get(e).is_some_and(|c| is_word(*c))),
        _ => false,
    }
}

/// `-name` as an operator just before `at`.
fn ends_with_operator(text: &str, at: usize, name: &str) -> bool {
    let Some(dash) = at.checked_sub(name.len() + 1) else {
        return false;
    };
    eat_ci(text, dash, &format!("-{name}")) == Some(at)
        && (dash == 0
            || text
                .as_bytes()
                .get(dash - 1)
                .is_some_and(u8::is_ascii_whitespace))
}

/// For each literal, whether it sits directly inside the parentheses of a method call
/// (`.Replace(…)`, or a computed name `::('Name')(…)`), where a comma separates arguments
/// instead of building an array. One pass over the code, skipping strings and comments.
fn in_call_flags(src: &Src) -> Vec<bool> {
    let b = src.text.as_bytes();
    let mut open: Vec<bool> = Vec::new();
    let mut flags = Vec::with_capacity(src.lits.len());
    let mut lits = src.lits.iter().peekable();
    let mut comments = src.comments.iter().peekable();
    let mut i = 0;
    while i < b.len() {
        if let Some(l) = lits.next_if(|l| l.span.start <= i) {
            flags.push(open.last() == Some(&true));
            i = l.span.end.max(i + 1);
            continue;
        }
        if let Some(c) = comments.next_if(|c| c.start <= i) {
            i = c.end.max(i + 1);
            continue;
        }
        match b[i] {
            b'(' => open.push(i > 0 && (is_word(b[i - 1]) || b[i - 1] == b')')),
            b')' => {
                open.pop();
            }
            _ => {}
        }
        i += 1;
    }
    flags.resize(src.lits.len(), false);
    flags
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rewritten(text: &str) -> Option<String> {
        rewrite(&Src::new(text))
    }

    #[test]
    fn adjacent_literals_join() {
        assert_eq!(
            rewritten("[K]::('Vir'+ 'tual' +\n\"Alloc\")($a, 'it''s' + 'x')"),
            Some("[K]::('VirtualAlloc')($a, 'it''sx')".to_owned())
        );
        assert_eq!(
            rewritten("$s.Replace('a'+'b', 'c'+'d')"),
            Some("$s.Replace('ab', 'cd')".to_owned())
        );
    }

    #[test]
    fn tighter_neighbours_keep_their_literal() {
        assert_eq!(
            rewritten("'x'+'{0}' -f 'y'"),
            None,
            "-f takes '{{0}}' first"
        );
        assert_eq!(
            rewritten("'a'+'b'+'{0}' -f 'y'"),
            Some("'ab'+'{0}' -f 'y'".to_owned())
        );
        assert_eq!(rewritten("'a'+'b'.Length"), None);
        assert_eq!(rewritten("3 * 'a' + 'b'"), None);
        assert_eq!(rewritten("$x = 'a','b'+'c'"), None);
        assert_eq!(rewritten("'a' + \"$b\" + 'c'"), None);
        assert_eq!(rewritten("'a' - 'b'"), None);
    }
}
