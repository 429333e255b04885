//! `rlike`: Lucene's regular-expression syntax (`RegExp`, as ES|QL builds it), matched against
//! the whole value, case-sensitively, code point by code point.
//!
//! The syntax, read by precedence: `|` (union) < concatenation < repeats (`*` `+` `?` `{n}`
//! `{n,}` `{n,m}`, which stack) < classes `[a-z]` `[^…]` < atoms: `.` (any code point, line ends
//! included), `@` (any string), `#` (the empty language), `"…"` (a literal string), `()` (the
//! empty string), `\c` (the character `c`), and the predefined classes `\d` `\s` `\w` and their
//! negations, which are ASCII (`\s` is space, tab, `\n`, `\r` only). There are no anchors: the
//! whole value must match.
//!
//! The pattern is parsed here and written out for the `regex` crate (a linear-time engine), so
//! every construct means exactly what Lucene's automaton means. The operators that have no
//! regex form — `&` (intersection), `~` (complement, which ES|QL enables) and `<n-m>`
//! (numeric intervals) — are refused with their name; so is what Lucene itself refuses (a bad
//! range, an unknown `\x` class).
//!
//! Pure; compiled once with the query.

/// A compiled `rlike` pattern.
#[derive(Clone, Debug)]
pub struct LuceneRegexp {
    regex: regex::Regex,
}

impl LuceneRegexp {
    pub fn new(pattern: &str) -> Result<LuceneRegexp, String> {
        let mut p = Parser {
            chars: pattern.chars().collect(),
            at: 0,
        };
        // The empty pattern is the empty string (elsewhere every operand needs a character).
        let body = if p.chars.is_empty() {
            String::new()
        } else {
            p.union()?
        };
        if p.at < p.chars.len() {
            return Err(format!(
                "rlike: unexpected '{}' at position {}",
                p.chars[p.at], p.at
            ));
        }
        let regex = regex::RegexBuilder::new(&format!(r"\A(?s:{body})\z"))
            .size_limit(1 << 24)
            .build()
            .map_err(|e| format!("rlike: {e}"))?;
        Ok(LuceneRegexp { regex })
    }

    /// Whether the whole of `text` matches.
    pub fn matches(&self, text: &str) -> bool {
        self.regex.is_match(text)
    }
}

struct Parser {
    chars: Vec<char>,
    at: usize,
}

/// A regex that matches nothing (Lucene's `#`, or an empty class).
const NOTHING: &str = r"[^\x00-\x{10FFFF}]";

impl Parser {
    fn peek(&self) -> Option<char> {
        self.chars.get(self.at).copied()
    }

    fn eat(&mut self, c: char) -> bool {
        let yes = self.peek() == Some(c);
        if yes {
            self.at += 1;
        }
        yes
    }

    fn next(&mut self) -> Result<char, String> {
        let c = self
            .peek()
            .ok_or_else(|| "rlike: unexpected end of pattern".to_owned())?;
        self.at += 1;
        Ok(c)
    }

    fn union(&mut self) -> Result<String, String> {
        let mut parts = vec![self.concatenation()?];
        while self.eat('|') {
            parts.push(self.concatenation()?);
        }
        Ok(if parts.len() == 1 {
            parts.pop().unwrap_or_default()
        } else {
            format!("(?:{})", parts.join("|"))
        })
    }

    /// One or more repeats; a `|` or `)` where an operand must start is that character.
    fn concatenation(&mut self) -> Result<String, String> {
        let mut out = self.repeat()?;
        while let Some(c) = self.peek() {
            match c {
                '|' | ')' => break,
                '&' => return Err("rlike: the intersection operator '&' not supported".into()),
                _ => out.push_str(&self.repeat()?),
            }
        }
        Ok(format!("(?:{out})"))
    }

    fn repeat(&mut self) -> Result<String, String> {
        let mut e = self.complement()?;
        loop {
            let op = match self.peek() {
                Some(c @ ('*' | '+' | '?')) => {
                    self.at += 1;
                    c.to_string()
                }
                Some('{') => {
                    self.at += 1;
                    let n = self.number()?;
                    let op = if self.eat(',') {
                        if self.peek() == Some('}') {
                            format!("{{{n},}}")
                        } else {
                            let m = self.number()?;
                            if m < n {
                                // Lucene's repeat of an inverted range accepts nothing.
                                self.eat('}');
                                e = NOTHING.into();
                                continue;
                            }
                            format!("{{{n},{m}}}")
                        }
                    } else {
                        format!("{{{n}}}")
                    };
                    if !self.eat('}') {
                        return Err(format!("rlike: expected '}}' at position {}", self.at));
                    }
                    op
                }
                _ => return Ok(e),
            };
            e = format!("(?:{e}){op}");
        }
    }

    fn number(&mut self) -> Result<u32, String> {
        let start = self.at;
        while self.peek().is_some_and(|c| c.is_ascii_digit()) {
            self.at += 1;
        }
        let digits: String = self.chars[start..self.at].iter().collect();
        digits
            .parse()
            .map_err(|_| format!("rlike: expected a repeat count at position {start}"))
    }

    fn complement(&mut self) -> Result<String, String> {
        if self.peek() == Some('~') {
            return Err("rlike: the complement operator '~' not supported".into());
        }
        self.class_or_simple()
    }

    fn class_or_simple(&mut self) -> Result<String, String> {
        if !self.eat('[') {
            return self.simple();
        }
        let negated = self.eat('^');
        let mut items = String::new();
        loop {
            match self.peek() {
                None => return Err("rlike: expected ']' at the end".into()),
                Some(']') if !items.is_empty() => break,
                _ => {}
            }
            if let Some(class) = self.predefined()? {
                items.push_str(class);
                continue;
            }
            let from = self.class_char()?;
            if self.eat('-') {
                let to = self.class_char()?;
                if from > to {
                    return Err(format!("rlike: the range {from}-{to} runs backwards"));
                }
                items.push_str(&format!("{}-{}", escaped(from), escaped(to)));
            } else {
                items.push_str(&escaped(from));
            }
        }
        self.at += 1;
        Ok(format!("[{}{items}]", if negated { "^" } else { "" }))
    }

    /// A character inside a class: `\c` is `c`.
    fn class_char(&mut self) -> Result<char, String> {
        match self.next()? {
            '\\' => self.next(),
            c => Ok(c),
        }
    }

    /// `\d` `\D` `\s` `\S` `\w` `\W` (as class items); `\` before any other letter is refused,
    /// as Lucene does. Consumes nothing unless it answers.
    fn predefined(&mut self) -> Result<Option<&'static str>, String> {
        if self.peek() != Some('\\') {
            return Ok(None);
        }
        let Some(&c) = self.chars.get(self.at + 1) else {
            return Ok(None);
        };
        let class = match c {
            'd' => r"0-9",
            'D' => r"\x00-/:-\x{10FFFF}",
            's' => r"\t\n\r ",
            'S' => r"\x00-\x08\x0B\x0C\x0E-\x1F!-\x{10FFFF}",
            'w' => r"0-9A-Z_a-z",
            'W' => r"\x00-/:-@\[-\^`\{-\x{10FFFF}",
            c if c.is_ascii_alphabetic() => {
                return Err(format!("rlike: invalid character class \\{c}"))
            }
            _ => return Ok(None),
        };
        self.at += 2;
        Ok(Some(class))
    }

    fn simple(&mut self) -> Result<String, String> {
        if let Some(class) = self.predefined()? {
            return Ok(format!("[{class}]"));
        }
        let c = self.next()?;
        Ok(match c {
            '.' => ".".into(),
            '@' => ".*".into(),
            '#' => NOTHING.into(),
            '<' => return Err("rlike: numeric intervals '<n-m>' not supported".into()),
            '"' => {
                let start = self.at;
                while self.peek().is_some_and(|c| c != '"') {
                    self.at += 1;
                }
                if !self.eat('"') {
                    return Err(format!("rlike: expected '\"' at position {}", self.at));
                }
                let text: String = self.chars[start..self.at - 1].iter().collect();
                format!("(?:{})", regex::escape(&text))
            }
            '(' => {
                if self.eat(')') {
                    return Ok("(?:)".into());
                }
                let inner = self.union()?;
                if !self.eat(')') {
                    return Err(format!("rlike: expected ')' at position {}", self.at));
                }
                inner
            }
            '\\' => escaped(self.next()?),
            c => escaped(c),
        })
    }
}

fn escaped(c: char) -> String {
    regex::escape(c.encode_utf8(&mut [0; 4]))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn m(p: &str, s: &str) -> bool {
        LuceneRegexp::new(p).unwrap().matches(s)
    }

    #[test]
    fn the_whole_value_must_match() {
        assert!(m("Invoke-.*", "Invoke-Expression"));
        assert!(!m("Invoke", "Invoke-Expression"));
        assert!(m(".*iex.*", "a\niex\r\n"), "'.' crosses line ends");
        assert!(!m("IEX", "iex"), "case-sensitive");
    }

    #[test]
    fn lucene_atoms() {
        assert!(m(r#""a.b"c"#, "a.bc"));
        assert!(!m(r#""a.b""#, "axb"));
        assert!(m("a@", "anything at all"));
        assert!(!m("a#", "a"));
        assert!(m("a()b", "ab"));
        assert!(m(r"\d+\s\w", "42\tx"));
        assert!(!m(r"\s", "\u{0B}"), "\\s is space, tab, \\n and \\r only");
        assert!(!m(r"\w", "é"), "\\w is ASCII");
        assert!(m(r"[^a-c]", "é"));
        assert!(m(r"a{2,3}b**", "aaab"));
        assert!(m(r"[\d.]+", "1.2"));
    }

    #[test]
    fn operators_without_a_regex_form_are_refused_by_name() {
        for (p, said) in [
            ("a&b", "'&'"),
            ("~a", "'~'"),
            ("<1-5>", "intervals"),
            (r"\q", "invalid character class"),
            ("[z-a]", "backwards"),
            ("(a", "expected ')'"),
            ("a|", "end of pattern"),
        ] {
            let e = LuceneRegexp::new(p).unwrap_err();
            assert!(e.contains(said), "{p}: {e}");
        }
    }
}
