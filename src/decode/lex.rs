//! Just enough PowerShell lexing for the decoders: where the string literals and comments are,
//! what a literal's value is, and which literal a variable was last assigned. It does not parse
//! expressions or know what any command does.

use super::cursor::{assigned_var, back_space, before_char, eat, is_word, skip_space, skip_ws};
use std::ops::Range;

/// A quoted string literal.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Lit {
    /// With its quotes.
    pub span: Range<usize>,
    /// Between its quotes.
    pub inner: Range<usize>,
    /// The string PowerShell makes of it; `None` when it expands a variable or subexpression
    /// (its value is unknown without running it) or is never closed.
    pub value: Option<String>,
    /// Single-quoted strings are verbatim: a backtick in them is just a backtick.
    pub verbatim: bool,
}

/// A text with its literals and comments found, both in order.
pub(crate) struct Src<'a> {
    pub text: &'a str,
    pub lits: Vec<Lit>,
    pub comments: Vec<Range<usize>>,
}

impl<'a> Src<'a> {
    pub fn new(text: &'a str) -> Self {
        let (lits, comments) = lex(text);
        Src {
            text,
            lits,
            comments,
        }
    }

    /// The literal that opens exactly at `start`.
    pub fn lit_at(&self, start: usize) -> Option<&Lit> {
        let i = self.lits.partition_point(|l| l.span.start < start);
        self.lits.get(i).filter(|l| l.span.start == start)
    }

    /// The literal that closes exactly at `end`.
    pub fn lit_ending_at(&self, end: usize) -> Option<&Lit> {
        let i = self.lits.partition_point(|l| l.span.end < end);
        self.lits.get(i).filter(|l| l.span.end == end)
    }

    /// The literal or comment that `pos` lies inside, as a range.
    pub fn quoted_or_comment(&self, pos: usize) -> Option<Range<usize>> {
        let holds = |r: &&Range<usize>| r.start <= pos && pos < r.end;
        let i = self.lits.partition_point(|l| l.span.end <= pos);
        let j = self.comments.partition_point(|c| c.end <= pos);
        let lit = self.lits.get(i).map(|l| &l.span).filter(holds);
        lit.or_else(|| self.comments.get(j).filter(holds)).cloned()
    }

    pub fn in_code(&self, pos: usize) -> bool {
        self.quoted_or_comment(pos).is_none()
    }

    /// A literal with a known value at `i`, bare or in parentheses: `'x'` or `( 'x' )`.
    /// Returns it and where the expression ends.
    pub fn lit_expr_at(&self, i: usize) -> Option<(&Lit, usize)> {
        // A few levels of parentheses are real code; thousands are an attack on the stack.
        let mut at = i;
        let mut depth = 0;
        while let Some(open) = eat(self.text, at, "(").filter(|_| depth < 8) {
            at = skip_space(self.text, open);
            depth += 1;
        }
        let lit = self.lit_at(at).filter(|l| l.value.is_some())?;
        let mut end = lit.span.end;
        for _ in 0..depth {
            end = eat(self.text, skip_space(self.text, end), ")")?;
        }
        Some((lit, end))
    }

    /// The literal last assigned to `$name` before `before`: `$name = 'x'`, also with a cast
    /// or parentheses before the literal (`$a = [char[]]'x'`). Control flow is not followed.
    pub fn assigned_literal(&self, name: &str, before: usize) -> Option<&Lit> {
        let end = self.lits.partition_point(|l| l.span.end <= before);
        self.lits[..end]
            .iter()
            .rev()
            .take(4096)
            .find(|lit| lit.value.is_some() && assigns_to(self.text, lit.span.start, name))
    }
}

/// Whether the text just before `at` reads `$name =` (with an optional cast and parentheses).
fn assigns_to(text: &str, at: usize, name: &str) -> bool {
    let mut i = back_space(text, at);
    while let Some(j) = before_char(text, i, '(') {
        i = back_space(text, j);
    }
    if let Some(j) = before_cast(text, i) {
        i = back_space(text, j);
    }
    let Some(j) = before_char(text, i, '=') else {
        return false;
    };
    if j > 0 && matches!(text.as_bytes().get(j - 1), Some(b'=' | b'!' | b'<' | b'>')) {
        return false;
    }
    assigned_var(text, j) == Some(name.to_ascii_lowercase())
}

/// If the text before `i` ends with a type cast `[...]` (brackets nested, as in `[char[]]`),
/// where that cast starts.
fn before_cast(text: &str, i: usize) -> Option<usize> {
    let close = before_char(text, i, ']')?;
    let b = text.as_bytes();
    let mut depth = 0usize;
    let mut j = close + 1;
    while j > 0 {
        j -= 1;
        match b[j] {
            b']' => depth += 1,
            b'[' => {
                depth -= 1;
                if depth == 0 {
                    return Some(j);
                }
            }
            c if is_word(c) || c == b'.' => {}
            _ => return None,
        }
    }
    None
}

fn lex(text: &str) -> (Vec<Lit>, Vec<Range<usize>>) {
    let b = text.as_bytes();
    let (mut lits, mut comments) = (Vec::new(), Vec::new());
    let mut i = 0;
    while i < b.len() {
        match b[i] {
            b'<' if b.get(i + 1) == Some(&b'#') => {
                let end = text[i + 2..].find("#>").map_or(b.len(), |e| i + 2 + e + 2);
                comments.push(i..end);
                i = end;
            }
            b'#' if i == 0
                || matches!(b[i - 1], b';' | b'{' | b'}' | b'(' | b')' | b'|')
                || b[i - 1].is_ascii_whitespace() =>
            {
                let end = text[i..].find('\n').map_or(b.len(), |e| i + e);
                comments.push(i..end);
                i = end;
            }
            b'@' if matches!(b.get(i + 1), Some(b'\'' | b'"'))
                && matches!(b.get(skip_ws(text, i + 2)), Some(b'\n' | b'\r')) =>
            {
                let lit = here_string(text, i, b[i + 1] == b'\'');
                i = lit.span.end;
                lits.push(lit);
            }
            b'\'' => {
                let lit = verbatim(text, i);
                i = lit.span.end;
                lits.push(lit);
            }
            b'"' => {
                let lit = expandable(text, i);
                i = lit.span.end;
                lits.push(lit);
            }
            // An escaped quote in code opens no string; the escaped byte may be the start of a
            // multi-byte character, which no arm above matches, so stepping past it is safe.
            b'`' => i += 2,
            _ => i += 1,
        }
    }
    (lits, comments)
}

fn verbatim(text: &str, open: usize) -> Lit {
    let mut value = String::new();
    let mut i = open + 1;
    loop {
        let Some(q) = text[i..].find('\'') else {
            return unclosed(text, open, open + 1);
        };
        value.push_str(&text[i..i + q]);
        let close = i + q;
        if text.as_bytes().get(close + 1) == Some(&b'\'') {
            value.push('\'');
            i = close + 2;
        } else {
            return Lit {
                span: open..close + 1,
                inner: open + 1..close,
                value: Some(value),
                verbatim: true,
            };
        }
    }
}

fn expandable(text: &str, open: usize) -> Lit {
    let mut value = String::new();
    let mut expands = false;
    let mut chars = text[open + 1..].char_indices().peekable();
    while let Some((k, c)) = chars.next() {
        let at = open + 1 + k;
        match c {
            '`' => match chars.next() {
                Some((_, e)) => value.push(escape(e)),
                None => break,
            },
            '"' if chars.peek().is_some_and(|(_, n)| *n == '"') => {
                chars.next();
                value.push('"');
            }
            '"' => {
                return Lit {
                    span: open..at + 1,
                    inner: open + 1..at,
                    value: (!expands).then_some(value),
                    verbatim: false,
                }
            }
            '$' if chars.peek().is_some_and(|(_, n)| {
                n.is_alphanumeric() || matches!(n, '_' | '{' | '(' | ':')
            }) =>
            {
                expands = true;
                if chars.peek().is_some_and(|(_, n)| *n == '(') {
                    // Skip the subexpression so a quote inside it does not end the string.
                    let mut depth = 0usize;
                    for (_, s) in chars.by_ref() {
                        match s {
                            '(' => depth += 1,
                            ')' if depth <= 1 => break,
                            ')' => depth -= 1,
                            _ => {}
                        }
                    }
                }
            }
            _ => value.push(c),
        }
    }
    unclosed(text, open, open + 1)
}

fn here_string(text: &str, open: usize, verbatim: bool) -> Lit {
    let quote = if verbatim { "'@" } else { "\"@" };
    let body = text[open + 2..]
        .find('\n')
        .map_or(text.len(), |e| open + 2 + e + 1);
    let mut search = body;
    let close = loop {
        let Some(q) = text.get(search..).and_then(|t| t.find(quote)) else {
            return unclosed(text, open, body);
        };
        let at = search + q;
        if at == body || text.as_bytes().get(at - 1) == Some(&b'\n') {
            break at;
        }
        search = at + 1;
    };
    let inner_end = if close == body {
        body
    } else {
        let e = close - 1;
        if e > body && text.as_bytes().get(e - 1) == Some(&b'\r') {
            e - 1
        } else {
            e
        }
    };
    let raw = &text[body..inner_end];
    let value = if verbatim {
        Some(raw.to_owned())
    } else {
        expandable_value(raw)
    };
    Lit {
        span: open..close + 2,
        inner: body..inner_end,
        value,
        verbatim,
    }
}

/// The value of an expandable here-string body: escapes processed, `None` if it expands.
fn expandable_value(raw: &str) -> Option<String> {
    let mut out = String::new();
    let mut chars = raw.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '`' => out.push(escape(chars.next()?)),
            '$' if chars
                .peek()
                .is_some_and(|n| n.is_alphanumeric() || matches!(n, '_' | '{' | '(' | ':')) =>
            {
                return None
            }
            _ => out.push(c),
        }
    }
    Some(out)
}

fn unclosed(text: &str, open: usize, inner: usize) -> Lit {
    Lit {
        span: open..text.len(),
        inner: inner.min(text.len())..text.len(),
        value: None,
        verbatim: true,
    }
}

/// What a backtick escape means inside a double-quoted string (Windows PowerShell 5.1).
pub(crate) fn escape(c: char) -> char {
    match c {
        '0' => '\0',
        'a' => '\u{7}',
        'b' => '\u{8}',
        'f' => '\u{c}',
        'n' => '\n',
        'r' => '\r',
        't' => '\t',
        'v' => '\u{b}',
        other => other,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn values(text: &str) -> Vec<Option<String>> {
        Src::new(text).lits.into_iter().map(|l| l.value).collect()
    }

    #[test]
    fn literal_values_follow_powershell_quoting() {
        assert_eq!(
            values(r#"'it''s' "say ""hi""`t" "a`"b""#),
            vec![
                Some("it's".to_owned()),
                Some("say \"hi\"\t".to_owned()),
                Some("a\"b".to_owned())
            ]
        );
        assert_eq!(
            values(r#""$env:x" "cost `$5""#),
            vec![None, Some("cost $5".into())]
        );
    }

    #[test]
    fn quotes_in_comments_and_subexpressions_open_no_literal() {
        let text = "# don't\n'a' <# it's #> \"$(Get-X \"q\") b\" `'c";
        let src = Src::new(text);
        assert_eq!(src.lits.len(), 2);
        assert_eq!(src.lits[0].value.as_deref(), Some("a"));
        assert_eq!(src.lits[1].value, None);
        assert_eq!(src.comments.len(), 2);
    }

    #[test]
    fn here_strings_hold_their_body() {
        let src = Src::new("$s = @'\nline 'one'\n'@\n$t");
        assert_eq!(src.lits.len(), 1);
        assert_eq!(src.lits[0].value.as_deref(), Some("line 'one'"));
    }

    #[test]
    fn assignments_are_found_by_variable_name() {
        let text = "$x = 'first'; $X = [char[]]('second'); $y = 'other'; use $x";
        let src = Src::new(text);
        let lit = src.assigned_literal("x", text.len()).unwrap();
        assert_eq!(lit.value.as_deref(), Some("second"));
        assert!(src.assigned_literal("z", text.len()).is_none());
        assert!(Src::new("$x == 'a'").assigned_literal("x", 9).is_none());
    }
}
