//! The tantivy tokenizer for script-block text: our `analysis` tokens, with one twist for
//! speed — a token longer than [`LONG_TOKEN_BYTES`] (a base64 blob is one token of many KB
//! under the pattern analyzer) is indexed as a marked prefix instead of whole. A query value
//! that yields such a token searches the same prefix, which finds a superset of the documents;
//! the evaluator then confirms each against the real text, so results stay exact.

use crate::analysis::Analyzer;
use std::borrow::Cow;
use tantivy::tokenizer::{Token, TokenStream, Tokenizer};

/// Tokens longer than this many bytes are indexed by prefix.
pub const LONG_TOKEN_BYTES: usize = 64;

/// Marks a prefix term; no analyzer ever produces this character.
const LONG_MARK: char = '\u{1}';

/// The term under which a token is indexed.
pub fn index_term(token: &str) -> Cow<'_, str> {
    if token.len() <= LONG_TOKEN_BYTES {
        return Cow::Borrowed(token);
    }
    let mut cut = LONG_TOKEN_BYTES / 2;
    while !token.is_char_boundary(cut) {
        cut -= 1;
    }
    let mut s = String::with_capacity(cut + 1);
    s.push(LONG_MARK);
    s.push_str(&token[..cut]);
    Cow::Owned(s)
}

/// True when `term` is a prefix stand-in (the match it finds must be confirmed).
pub fn is_prefix_term(term: &str) -> bool {
    term.starts_with(LONG_MARK)
}

#[derive(Clone)]
pub(super) struct ScriptTokenizer {
    pub analyzer: Analyzer,
    tokens: Vec<Token>,
}

impl ScriptTokenizer {
    pub fn new(analyzer: Analyzer) -> Self {
        ScriptTokenizer {
            analyzer,
            tokens: Vec::new(),
        }
    }
}

pub(super) struct ScriptTokenStream<'a> {
    tokens: &'a mut Vec<Token>,
    next: usize,
}

impl Tokenizer for ScriptTokenizer {
    type TokenStream<'a> = ScriptTokenStream<'a>;

    fn token_stream<'a>(&'a mut self, text: &'a str) -> ScriptTokenStream<'a> {
        self.tokens.clear();
        let tokens = &mut self.tokens;
        self.analyzer.for_each_token(text, |t, start, end| {
            let position = tokens.len();
            tokens.push(Token {
                offset_from: start,
                offset_to: end,
                position,
                text: index_term(t).into_owned(),
                position_length: 1,
            });
        });
        ScriptTokenStream {
            tokens: &mut self.tokens,
            next: 0,
        }
    }
}

impl TokenStream for ScriptTokenStream<'_> {
    fn advance(&mut self) -> bool {
        self.next += 1;
        self.next <= self.tokens.len()
    }

    fn token(&self) -> &Token {
        &self.tokens[self.next - 1]
    }

    fn token_mut(&mut self) -> &mut Token {
        &mut self.tokens[self.next - 1]
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn long_tokens_become_marked_prefixes() {
        assert_eq!(index_term("virtualalloc"), "virtualalloc");
        let long = "a".repeat(200);
        let t = index_term(&long);
        assert!(is_prefix_term(&t));
        assert_eq!(t.len(), 1 + LONG_TOKEN_BYTES / 2);
        // Multi-byte characters are never cut in half.
        let wide = "é".repeat(100);
        assert!(index_term(&wide).chars().skip(1).all(|c| c == 'é'));
    }
}
