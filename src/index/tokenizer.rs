//! The tantivy tokenizer for script-block text: our `analysis` tokens, with one twist for
//! speed — a token longer than [`LONG_TOKEN_BYTES`] (a base64 blob is one token of many KB
//! under the pattern analyzer, and every blob is unique) is indexed as one shared marker term
//! at its position instead of whole: unique long terms were most of the cost of building the
//! term dictionary. A query value that yields such a token searches the marker, which finds a
//! superset of the documents (every document with some long token there); the evaluator then
//! confirms each against the real text, so results stay exact.
//!
//! Each distinct term is handed to tantivy once per document: the field keeps document ids
//! only (no positions, no frequencies), so a repeat adds nothing to the index but costs a
//! lookup in tantivy's term table (a script block repeats its tokens 5.6 times on average).

use crate::analysis::Analyzer;
use std::borrow::Cow;
use tantivy::tokenizer::{Token, TokenStream, Tokenizer};

/// Tokens longer than this many bytes share the marker term. Every API name the bundled rules
/// look for is shorter (the longest, `getdelegateforfunctionpointer`, has 29), so their
/// searches stay exact; random-looking tokens (encoded data) are mostly longer.
pub const LONG_TOKEN_BYTES: usize = 32;

/// Marks a prefix term; no analyzer ever produces this character.
const LONG_MARK: char = '\u{1}';

/// The marker term every long token is indexed under.
const LONG_TERM: &str = "\u{1}long";

/// The term under which a token is indexed.
pub fn index_term(token: &str) -> Cow<'_, str> {
    if token.len() <= LONG_TOKEN_BYTES {
        Cow::Borrowed(token)
    } else {
        Cow::Borrowed(LONG_TERM)
    }
}

/// True when `term` is a prefix stand-in (the match it finds must be confirmed).
pub fn is_prefix_term(term: &str) -> bool {
    term.starts_with(LONG_MARK)
}

#[derive(Clone)]
pub(super) struct ScriptTokenizer {
    pub analyzer: Analyzer,
    /// Reused across documents: token strings keep their capacity, so a document's tokens cost
    /// no allocation once the buffer has grown.
    tokens: Vec<Token>,
    /// The terms of the current document already handed on, as places in `tokens`, which
    /// hold their text: a repeated term is found without copying or allocating any term.
    seen: hashbrown::HashTable<usize>,
}

/// The hash `seen` keeps a term under.
fn term_hash(term: &str) -> u64 {
    use std::hash::BuildHasher;
    rustc_hash::FxBuildHasher.hash_one(term)
}

impl ScriptTokenizer {
    pub fn new(analyzer: Analyzer) -> Self {
        ScriptTokenizer {
            analyzer,
            tokens: Vec::new(),
            seen: Default::default(),
        }
    }
}

pub(super) struct ScriptTokenStream<'a> {
    tokens: &'a mut [Token],
    next: usize,
}

impl Tokenizer for ScriptTokenizer {
    type TokenStream<'a> = ScriptTokenStream<'a>;

    fn token_stream<'a>(&'a mut self, text: &'a str) -> ScriptTokenStream<'a> {
        let (tokens, seen) = (&mut self.tokens, &mut self.seen);
        seen.clear();
        let mut len = 0;
        self.analyzer.for_each_token(text, |t, start, end| {
            let term = index_term(t);
            let hash = term_hash(&term);
            if seen.find(hash, |&i| tokens[i].text == *term).is_some() {
                return;
            }
            if len == tokens.len() {
                tokens.push(Token::default());
            }
            let slot = &mut tokens[len];
            slot.offset_from = start;
            slot.offset_to = end;
            slot.position = len;
            slot.position_length = 1;
            slot.text.clear();
            slot.text.push_str(&term);
            seen.insert_unique(hash, len, |&i| term_hash(&tokens[i].text));
            len += 1;
        });
        ScriptTokenStream {
            tokens: &mut self.tokens[..len],
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
    fn long_tokens_share_one_marker_term() {
        assert_eq!(index_term("virtualalloc"), "virtualalloc");
        let exactly = "a".repeat(LONG_TOKEN_BYTES);
        assert_eq!(index_term(&exactly), exactly.as_str());
        let long = "a".repeat(200);
        assert!(is_prefix_term(&index_term(&long)));
        assert_eq!(index_term(&long), index_term(&"é".repeat(100)));
    }
}
