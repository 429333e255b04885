//! ES|QL tokens: identifiers (dotted field names, `` `quoted` `` ones), numbers, strings
//! (`"…"` with `\\` `\"` `\n` `\r` `\t` escapes, `"""…"""` taken as written), operators and
//! `|`; `//` and `/* */` comments are skipped. Every token keeps its byte range, so a command
//! can be shown as written and `from`/`keep` can read their raw text.

#[derive(Clone, Debug, PartialEq)]
pub enum Tok {
    Ident(String),
    Int(i64),
    Double(f64),
    Str(String),
    Pipe,
    Comma,
    LParen,
    RParen,
    /// `==` `!=` `<` `<=` `>` `>=`
    Cmp(&'static str),
    Assign,
    Plus,
    Minus,
    Star,
    Slash,
    Percent,
    /// `::`
    Cast,
    /// `:` (full-text match)
    Colon,
    /// Anything else `from` and `keep` may hold (`.`, `@`…), read raw by the parser.
    Other(char),
}

#[derive(Clone, Debug, PartialEq)]
pub struct Token {
    pub tok: Tok,
    pub start: usize,
    pub end: usize,
}

/// Splits `src` into tokens.
pub fn lex(src: &str) -> Result<Vec<Token>, String> {
    let b = src.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    while i < b.len() {
        let c = b[i];
        let start = i;
        if c.is_ascii_whitespace() {
            i += 1;
            continue;
        }
        if src[i..].starts_with("//") {
            i = src[i..].find('\n').map_or(b.len(), |n| i + n);
            continue;
        }
        if src[i..].starts_with("/*") {
            i = src[i + 2..]
                .find("*/")
                .map(|n| i + 2 + n + 2)
                .ok_or_else(|| format!("an unclosed comment at {start}"))?;
            continue;
        }
        let tok = if src[i..].starts_with("\"\"\"") {
            let end = src[i + 3..]
                .find("\"\"\"")
                .ok_or_else(|| format!("an unclosed \"\"\" string at {start}"))?;
            let s = src[i + 3..i + 3 + end].to_owned();
            i += 3 + end + 3;
            Tok::Str(s)
        } else if c == b'"' {
            let (s, used) =
                quoted(&src[i + 1..]).ok_or_else(|| format!("an unclosed string at {start}"))?;
            i += 1 + used;
            Tok::Str(s)
        } else if c == b'`' {
            let end = src[i + 1..]
                .find('`')
                .ok_or_else(|| format!("an unclosed `identifier` at {start}"))?;
            let s = src[i + 1..i + 1 + end].to_owned();
            i += end + 2;
            Tok::Ident(s)
        } else if c.is_ascii_digit() {
            let mut j = i;
            while j < b.len() && b[j].is_ascii_digit() {
                j += 1;
            }
            let mut decimal = false;
            if j + 1 < b.len() && b[j] == b'.' && b[j + 1].is_ascii_digit() {
                decimal = true;
                j += 1;
                while j < b.len() && b[j].is_ascii_digit() {
                    j += 1;
                }
            }
            if j < b.len() && (b[j] == b'e' || b[j] == b'E') {
                let mut k = j + 1;
                if k < b.len() && (b[k] == b'+' || b[k] == b'-') {
                    k += 1;
                }
                if k < b.len() && b[k].is_ascii_digit() {
                    decimal = true;
                    j = k;
                    while j < b.len() && b[j].is_ascii_digit() {
                        j += 1;
                    }
                }
            }
            let text = &src[i..j];
            i = j;
            if decimal {
                Tok::Double(text.parse().map_err(|_| format!("a bad number {text}"))?)
            } else {
                match text.parse() {
                    Ok(n) => Tok::Int(n),
                    // As ES|QL: an integer literal past the long range is a double.
                    Err(_) => {
                        Tok::Double(text.parse().map_err(|_| format!("a bad number {text}"))?)
                    }
                }
            }
        } else if c.is_ascii_alphabetic() || c == b'_' || c == b'@' {
            let mut j = i;
            while j < b.len()
                && (b[j].is_ascii_alphanumeric() || matches!(b[j], b'_' | b'.' | b'@'))
            {
                j += 1;
            }
            // A trailing `.` is not part of the name (`keep a.*` reads `a.` then `*` raw).
            let s = src[i..j].to_owned();
            i = j;
            Tok::Ident(s)
        } else {
            let two = src.get(i..i + 2).unwrap_or("");
            let (tok, len) = match two {
                "==" => (Tok::Cmp("=="), 2),
                "!=" => (Tok::Cmp("!="), 2),
                "<=" => (Tok::Cmp("<="), 2),
                ">=" => (Tok::Cmp(">="), 2),
                "::" => (Tok::Cast, 2),
                _ => match c {
                    b'<' => (Tok::Cmp("<"), 1),
                    b'>' => (Tok::Cmp(">"), 1),
                    b'|' => (Tok::Pipe, 1),
                    b',' => (Tok::Comma, 1),
                    b'(' => (Tok::LParen, 1),
                    b')' => (Tok::RParen, 1),
                    b'=' => (Tok::Assign, 1),
                    b'+' => (Tok::Plus, 1),
                    b'-' => (Tok::Minus, 1),
                    b'*' => (Tok::Star, 1),
                    b'/' => (Tok::Slash, 1),
                    b'%' => (Tok::Percent, 1),
                    b':' => (Tok::Colon, 1),
                    _ => {
                        let ch = src[i..].chars().next().unwrap_or('?');
                        (Tok::Other(ch), ch.len_utf8())
                    }
                },
            };
            i += len;
            tok
        };
        out.push(Token { tok, start, end: i });
    }
    Ok(out)
}

/// A `"…"` string's value and the bytes used through the closing quote (`s` starts after the
/// opening one).
fn quoted(s: &str) -> Option<(String, usize)> {
    let mut out = String::new();
    let mut chars = s.char_indices();
    while let Some((n, c)) = chars.next() {
        match c {
            '"' => return Some((out, n + 1)),
            '\\' => {
                let (_, e) = chars.next()?;
                out.push(match e {
                    'n' => '\n',
                    'r' => '\r',
                    't' => '\t',
                    other => other,
                });
            }
            c => out.push(c),
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    fn toks(s: &str) -> Vec<Tok> {
        lex(s).unwrap().into_iter().map(|t| t.tok).collect()
    }

    #[test]
    fn strings_keep_triple_quoted_text_as_written() {
        assert_eq!(
            toks(r#"replace(x, """\d+"\n""", "a\\b\"c\n")"#),
            [
                Tok::Ident("replace".into()),
                Tok::LParen,
                Tok::Ident("x".into()),
                Tok::Comma,
                Tok::Str(r#"\d+"\n"#.into()),
                Tok::Comma,
                Tok::Str("a\\b\"c\n".into()),
                Tok::RParen
            ]
        );
    }

    #[test]
    fn comments_are_skipped_and_numbers_typed() {
        assert_eq!(
            toks("a >= 20 // x | y\n| b::double / 0.5"),
            [
                Tok::Ident("a".into()),
                Tok::Cmp(">="),
                Tok::Int(20),
                Tok::Pipe,
                Tok::Ident("b".into()),
                Tok::Cast,
                Tok::Ident("double".into()),
                Tok::Slash,
                Tok::Double(0.5)
            ]
        );
    }
}
