//! KQL tokens, following Kibana's grammar (`kuery.peggy`) to the letter: an unquoted value may
//! hold spaces and ends before a special character or a keyword (` or `, ` and `, `not `),
//! keywords are case-insensitive, and escapes differ between quoted and unquoted values.

use super::ast::{Literal, Piece};
use super::parser::KqlError;
use crate::i18n::t;

#[derive(Clone, Debug, PartialEq)]
pub(super) enum Tok {
    LParen,
    RParen,
    LBrace,
    RBrace,
    Colon,
    Lt,
    Lte,
    Gt,
    Gte,
    Or,
    And,
    Not,
    Value(Literal),
    Eof,
}

/// A token and the byte offset where it starts.
#[derive(Clone, Debug)]
pub(super) struct Spanned {
    pub tok: Tok,
    pub at: usize,
}

/// KQL's whitespace: space, tab, CR, LF and no-break space.
pub(super) fn is_space(c: char) -> bool {
    matches!(c, ' ' | '\t' | '\r' | '\n' | '\u{a0}')
}

fn is_special(c: char) -> bool {
    matches!(
        c,
        '\\' | '(' | ')' | ':' | '<' | '>' | '"' | '*' | '{' | '}'
    )
}

pub(super) struct Lexer<'a> {
    src: &'a str,
    pos: usize,
}

impl<'a> Lexer<'a> {
    pub fn new(src: &'a str) -> Self {
        Lexer { src, pos: 0 }
    }

    fn rest(&self) -> &'a str {
        &self.src[self.pos..]
    }

    fn err(&self, at: usize, msg: impl Into<String>) -> KqlError {
        KqlError::at(self.src, at, msg)
    }

    /// `word` (case-insensitive) followed by at least one space, at `s`.
    fn word_then_space(s: &str, word: &str) -> bool {
        s.len() > word.len()
            && s.is_char_boundary(word.len())
            && s[..word.len()].eq_ignore_ascii_case(word)
            && s[word.len()..].starts_with(is_space)
    }

    /// The grammar's `Keyword` lookahead at `s`: `Space+ or Space+`, `Space+ and Space+`, or
    /// `not Space+`.
    fn keyword_ahead(s: &str) -> bool {
        let after_space = s.trim_start_matches(is_space);
        (after_space.len() < s.len()
            && (Self::word_then_space(after_space, "or")
                || Self::word_then_space(after_space, "and")))
            || Self::word_then_space(s, "not")
    }

    pub fn tokenize(mut self) -> Result<Vec<Spanned>, KqlError> {
        let mut out = Vec::new();
        loop {
            let before = self.pos;
            self.pos += self.rest().len() - self.rest().trim_start_matches(is_space).len();
            let skipped_space = self.pos > before;
            let at = self.pos;
            let rest = self.rest();
            let Some(c) = rest.chars().next() else {
                out.push(Spanned { tok: Tok::Eof, at });
                return Ok(out);
            };
            let (tok, len) = if skipped_space && Self::word_then_space(rest, "or") {
                (Tok::Or, 2)
            } else if skipped_space && Self::word_then_space(rest, "and") {
                (Tok::And, 3)
            } else if Self::word_then_space(rest, "not") {
                (Tok::Not, 3)
            } else {
                match c {
                    '(' => (Tok::LParen, 1),
                    ')' => (Tok::RParen, 1),
                    '{' => (Tok::LBrace, 1),
                    '}' => (Tok::RBrace, 1),
                    ':' => (Tok::Colon, 1),
                    '<' if rest.starts_with("<=") => (Tok::Lte, 2),
                    '>' if rest.starts_with(">=") => (Tok::Gte, 2),
                    '<' => (Tok::Lt, 1),
                    '>' => (Tok::Gt, 1),
                    '"' => {
                        let lit = self.quoted()?;
                        out.push(Spanned {
                            tok: Tok::Value(lit),
                            at,
                        });
                        continue;
                    }
                    _ => {
                        let lit = self.unquoted()?;
                        out.push(Spanned {
                            tok: Tok::Value(lit),
                            at,
                        });
                        continue;
                    }
                }
            };
            self.pos += len;
            out.push(Spanned { tok, at });
        }
    }

    /// `"…"` with `\\` `\"` `\t` `\r` `\n` `\uXXXX`; any other `\x` stays as the two characters.
    fn quoted(&mut self) -> Result<Literal, KqlError> {
        let start = self.pos;
        self.pos += 1;
        let mut text = String::new();
        loop {
            let rest = self.rest();
            let Some(c) = rest.chars().next() else {
                return Err(self.err(start, t("kql.unterminated")));
            };
            if c == '"' {
                self.pos += 1;
                return Ok(Literal::new(text, true, None));
            }
            if c == '\\' {
                if let Some((ch, len)) = escaped_whitespace(rest).or_else(|| unicode_escape(rest)) {
                    text.push(ch);
                    self.pos += len;
                    continue;
                }
                if let Some(e @ ('\\' | '"')) = rest[1..].chars().next() {
                    text.push(e);
                    self.pos += 2;
                    continue;
                }
            }
            text.push(c);
            self.pos += c.len_utf8();
        }
    }

    /// An unquoted value: runs to a special character or a keyword; trimmed.
    fn unquoted(&mut self) -> Result<Literal, KqlError> {
        let mut pieces: Vec<Piece> = Vec::new();
        let mut current = String::new();
        let mut has_wildcard = false;
        loop {
            let rest = self.rest();
            let Some(c) = rest.chars().next() else { break };
            if c == '\\' {
                if let Some((ch, len)) = escaped_whitespace(rest).or_else(|| unicode_escape(rest)) {
                    current.push(ch);
                    self.pos += len;
                    continue;
                }
                match rest[1..].chars().next() {
                    Some(e) if is_special(e) => {
                        current.push(e);
                        self.pos += 1 + e.len_utf8();
                        continue;
                    }
                    _ => {}
                }
                if let Some(word) = ["or", "and", "not"].iter().find(|w| {
                    rest.get(1..=w.len())
                        .is_some_and(|s| s.eq_ignore_ascii_case(w))
                }) {
                    current.push_str(&rest[1..=word.len()]);
                    self.pos += 1 + word.len();
                    continue;
                }
                return Err(self.err(self.pos, t("kql.bad_escape")));
            }
            if c == '*' {
                has_wildcard = true;
                if !current.is_empty() {
                    pieces.push(Piece::Text(std::mem::take(&mut current)));
                }
                pieces.push(Piece::Any);
                self.pos += 1;
                continue;
            }
            if is_special(c) || Self::keyword_ahead(rest) {
                break;
            }
            current.push(c);
            self.pos += c.len_utf8();
        }
        if !current.is_empty() {
            pieces.push(Piece::Text(current));
        }
        // Kibana trims the joined value (JavaScript's trim: every Unicode space).
        trim_pieces(&mut pieces);
        let text: String = pieces
            .iter()
            .map(|p| match p {
                Piece::Text(t) => t.as_str(),
                Piece::Any => "*",
            })
            .collect();
        if text.is_empty() && !has_wildcard {
            return Err(self.err(self.pos, t("kql.expected_value")));
        }
        Ok(Literal::new(text, false, has_wildcard.then_some(pieces)))
    }
}

fn trim_pieces(pieces: &mut Vec<Piece>) {
    if let Some(Piece::Text(t)) = pieces.first_mut() {
        *t = t.trim_start().to_owned();
    }
    if let Some(Piece::Text(t)) = pieces.last_mut() {
        *t = t.trim_end().to_owned();
    }
    pieces.retain(|p| !matches!(p, Piece::Text(t) if t.is_empty()));
}

fn escaped_whitespace(s: &str) -> Option<(char, usize)> {
    match s.as_bytes().get(..2)? {
        b"\\t" => Some(('\t', 2)),
        b"\\r" => Some(('\r', 2)),
        b"\\n" => Some(('\n', 2)),
        _ => None,
    }
}

/// `\uXXXX` (hex digits in either case).
fn unicode_escape(s: &str) -> Option<(char, usize)> {
    let hex = s.strip_prefix("\\u")?.get(..4)?;
    if !hex.bytes().all(|b| b.is_ascii_hexdigit()) {
        return None;
    }
    let code = u32::from_str_radix(hex, 16).ok()?;
    // A lone surrogate cannot be a Rust char; JavaScript would keep it, we use U+FFFD.
    Some((char::from_u32(code).unwrap_or('\u{fffd}'), 6))
}
