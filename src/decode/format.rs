//! The format operator over literals: `"{1}{0}" -f 'Alloc','Virtual'` becomes `'VirtualAlloc'`.
//! Only plain indexes (`{0}`) and doubled braces are understood; an alignment or format spec
//! (`{0,5}`, `{0:x}`), a missing argument or an argument that is not a literal leaves the
//! expression as written.

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
        let Some(pattern) = lit.value.as_deref() else {
            continue;
        };
        let Some(op_end) = eat_ci(text, skip_ws(text, lit.span.end), "-f") else {
            continue;
        };
        if text
            .as_bytes()
            .get(op_end)
            .is_some_and(|c| is_word(*c) || *c == b'-')
        {
            continue;
        }
        // A member access on the pattern (`$x.'{0}'`) would bind first.
        if text
            .get(..back_space(text, lit.span.start))
            .is_some_and(|t| t.ends_with('.'))
        {
            continue;
        }
        let Some((args, end)) = literal_arguments(src, skip_space(text, op_end)) else {
            continue;
        };
        let Some(formatted) = format(pattern, &args) else {
            continue;
        };
        done = end;
        edits.push((lit.span.start..end, quoted(&formatted)));
    }
    (!edits.is_empty()).then(|| apply_edits(text, &edits))
}

/// `'a', ('b'), "c"`: the values, and where the list ends; `None` if any item is not a literal
/// or the last one is followed by a member access or index.
fn literal_arguments<'s>(src: &'s Src, i: usize) -> Option<(Vec<&'s str>, usize)> {
    let text = src.text;
    let mut args = Vec::new();
    let mut at = i;
    loop {
        let (lit, end) = src.lit_expr_at(at)?;
        args.push(lit.value.as_deref()?);
        let next = skip_ws(text, end);
        match eat(text, next, ",") {
            Some(comma) => at = skip_space(text, comma),
            None => {
                return (!matches!(text.as_bytes().get(next), Some(b'.' | b'[')))
                    .then_some((args, end));
            }
        }
    }
}

/// .NET composite formatting with plain indexes only.
fn format(pattern: &str, args: &[&str]) -> Option<String> {
    let mut out = String::with_capacity(pattern.len());
    let mut chars = pattern.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '{' if chars.peek() == Some(&'{') => {
                chars.next();
                out.push('{');
            }
            '{' => {
                let mut index = String::new();
                loop {
                    match chars.next()? {
                        '}' => break,
                        d if d.is_ascii_digit() && index.len() < 6 => index.push(d),
                        _ => return None,
                    }
                }
                out.push_str(args.get(index.parse::<usize>().ok()?)?);
                if out.len() > MAX_MASKED_VALUE {
                    return None;
                }
            }
            '}' if chars.peek() == Some(&'}') => {
                chars.next();
                out.push('}');
            }
            '}' => return None,
            _ => out.push(c),
        }
    }
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rewritten(text: &str) -> Option<String> {
        rewrite(&Src::new(text))
    }

    #[test]
    fn indexes_pick_arguments() {
        assert_eq!(
            rewritten("[K]::(\"{1}{0}\" -f 'Alloc','Virtual')"),
            Some("[K]::('VirtualAlloc')".to_owned())
        );
        assert_eq!(
            rewritten("('{0}{{x}}{0}' -F ('ab'), \"c\")"),
            Some("('ab{x}ab')".to_owned())
        );
        assert_eq!(
            rewritten("'{2}{0}' -f 'a',\n 'b', 'c' ; '{0}' -f 'd'"),
            Some("'ca' ; 'd'".to_owned())
        );
    }

    #[test]
    fn anything_else_is_left_as_written() {
        for text in [
            "'{0,5}' -f 'a'",
            "'{0:x}' -f 255",
            "'{1}' -f 'a'",
            "'{0}}' -f 'a'",
            "'{0}' -f $a",
            "'{0}{1}' -f 'a',$b",
            "'{0}' -f 'a'.ToUpper()",
            "'{0}' -foo 'a'",
        ] {
            assert_eq!(rewritten(text), None, "{text}");
        }
    }
}
