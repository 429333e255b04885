//! Strings split into literals and glued with `+` (`'Vir'+'tual'+"Alloc"`): two or more
//! adjacent literals joined into one. Joining must not change what PowerShell computes, so a
//! run is left alone, or shortened, where a neighbour binds tighter than `+`: `-f` and `.`
//! or `[` after it, `*` `/` `%` around it, and `,` (an array) outside a method call's
//! arguments.

use super::lex::{apply_edits, back_space, eat_ci, is_word, quoted, skip_space, Lit, Src};

pub(crate) fn rewrite(src: &Src) -> Option<String> {
    let text = src.text;
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
        if binds_before(src, src.lits[first].span.start) {
            first += 1;
        }
        if binds_after(src, src.lits[last].span.end) {
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
fn binds_before(src: &Src, start: usize) -> bool {
    let text = src.text;
    let at = back_space(text, start);
    let Some(prev) = text.get(..at).and_then(|t| t.chars().next_back()) else {
        return false;
    };
    match prev {
        '*' | '/' | '%' | '.' | '[' | '-' => true,
        ',' => !in_call_arguments(src, at),
        _ => ends_with_operator(text, at, "f"),
    }
}

/// Whether what comes after `end` takes the last literal away from the `+`.
fn binds_after(src: &Src, end: usize) -> bool {
    let text = src.text;
    let at = skip_space(text, end);
    match text.as_bytes().get(at) {
        Some(b'*' | b'/' | b'%' | b'.' | b'[') => true,
        Some(b',') => !in_call_arguments(src, end),
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

/// Whether `at` is directly inside the parentheses of a method call (`.Replace(…)`), where a
/// comma separates arguments instead of building an array. Looks back a bounded distance.
fn in_call_arguments(src: &Src, at: usize) -> bool {
    let b = src.text.as_bytes();
    let mut depth = 0usize;
    let mut i = at.min(b.len());
    let floor = i.saturating_sub(4096);
    while i > floor {
        i -= 1;
        if let Some(r) = src.quoted_or_comment(i) {
            i = r.start;
            continue;
        }
        match b[i] {
            b')' => depth += 1,
            b'(' if depth == 0 => {
                // `.Name(` or a computed name `::('Name')(`.
                return i > 0 && b.get(i - 1).is_some_and(|c| is_word(*c) || *c == b')');
            }
            b'(' => depth -= 1,
            _ => {}
        }
    }
    false
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
