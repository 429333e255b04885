//! The text terms a set of queries can ask about, numbered, with a quick test of whether a
//! document token is one of them.
//!
//! A script block has thousands of tokens and a rule names a few dozen terms: instead of
//! keeping every token of a document (a `String` and a hash-set entry each), the plan and the
//! evaluator keep only the tokens the query can use, by id, and their positions. Most tokens
//! are turned away by their length alone, before any hashing. Pure: no I/O.

use rustc_hash::FxHashMap;

/// Lengths above this share one slot of the length filter.
const LONG: usize = 64;

/// Numbered set of terms (already analyzed: lowercased tokens).
#[derive(Clone, Debug)]
pub struct Vocabulary {
    ids: FxHashMap<String, u32>,
    terms: Vec<String>,
    /// `first_bytes[n]`: bit `b % 64` is set when some term of `n` bytes (`LONG` for any
    /// longer) starts with byte `b`. Most tokens fail this test and are never hashed.
    first_bytes: [u64; LONG + 1],
}

impl Default for Vocabulary {
    fn default() -> Self {
        Vocabulary {
            ids: FxHashMap::default(),
            terms: Vec::new(),
            first_bytes: [0; LONG + 1],
        }
    }
}

impl Vocabulary {
    /// The id of `term`, adding it when new.
    pub fn insert(&mut self, term: &str) -> u32 {
        if let Some(&id) = self.ids.get(term) {
            return id;
        }
        let id = self.terms.len() as u32;
        self.ids.insert(term.to_owned(), id);
        self.terms.push(term.to_owned());
        if let Some(&first) = term.as_bytes().first() {
            self.first_bytes[term.len().min(LONG)] |= 1 << (first % 64);
        }
        id
    }

    /// Whether a term of `len` bytes starting with `first` may be in the vocabulary.
    #[inline]
    fn may_hold(&self, len: usize, first: u8) -> bool {
        self.first_bytes[len.min(LONG)] & (1 << (first % 64)) != 0
    }

    /// The id of a document token, when it is one of the terms.
    #[inline]
    pub fn id(&self, token: &str) -> Option<u32> {
        let first = *token.as_bytes().first()?;
        if !self.may_hold(token.len(), first) {
            return None;
        }
        self.ids.get(token).copied()
    }

    /// The ids of all of `terms`, or `None` when one of them is not in the vocabulary.
    pub fn ids_of(&self, terms: &[String]) -> Option<Vec<u32>> {
        terms.iter().map(|t| self.id(t)).collect()
    }

    /// All terms, by id.
    pub fn terms(&self) -> impl Iterator<Item = &str> {
        self.terms.iter().map(String::as_str)
    }

    /// The term numbered `id`.
    pub fn term(&self, id: u32) -> &str {
        &self.terms[id as usize]
    }

    pub fn len(&self) -> usize {
        self.terms.len()
    }

    pub fn is_empty(&self) -> bool {
        self.terms.is_empty()
    }
}

/// Where the terms of a vocabulary occur in one text: (position in the token stream, term id,
/// byte range). Tokens that are not terms only advance the position, so adjacency (phrases)
/// stays exact.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Occurrence {
    pub position: u32,
    pub id: u32,
    pub start: usize,
    pub end: usize,
}

/// The occurrences of `vocab`'s terms in `text` under `analyzer`, in text order.
pub fn occurrences(
    vocab: &Vocabulary,
    analyzer: crate::analysis::Analyzer,
    text: &str,
) -> Vec<Occurrence> {
    let mut out = Vec::new();
    let mut position = 0u32;
    let mut lowered = String::new();
    // The pattern analyzer's tokens are ASCII: judge each by its length and first byte as
    // written, and lowercase only the few that pass.
    let fast = analyzer.for_each_raw_ascii_token(text, |raw, start, end| {
        let first = raw.as_bytes()[0].to_ascii_lowercase();
        if vocab.may_hold(raw.len(), first) {
            lowered.clear();
            lowered.push_str(raw);
            lowered.make_ascii_lowercase();
            if let Some(id) = vocab.ids.get(lowered.as_str()) {
                out.push(Occurrence {
                    position,
                    id: *id,
                    start,
                    end,
                });
            }
        }
        position += 1;
    });
    if fast.is_none() {
        analyzer.for_each_token(text, |token, start, end| {
            if let Some(id) = vocab.id(token) {
                out.push(Occurrence {
                    position,
                    id,
                    start,
                    end,
                });
            }
            position += 1;
        });
    }
    out
}

/// Whether `phrase` (term ids) occurs at adjacent positions, in order, in `occ`.
pub fn has_phrase(occ: &[Occurrence], phrase: &[u32]) -> bool {
    phrase_starts(occ, phrase).next().is_some()
}

/// Indexes into `occ` where `phrase` begins. Only vocabulary tokens are in `occ`, and every
/// phrase term is one, so a phrase's tokens are consecutive entries with consecutive positions.
pub fn phrase_starts<'a>(
    occ: &'a [Occurrence],
    phrase: &'a [u32],
) -> impl Iterator<Item = usize> + 'a {
    (0..occ.len()).filter(move |&i| {
        !phrase.is_empty()
            && i + phrase.len() <= occ.len()
            && phrase.iter().enumerate().all(|(k, &id)| {
                let o = occ[i + k];
                o.id == id && o.position == occ[i].position + k as u32
            })
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::analysis::Analyzer;

    fn vocab(terms: &[&str]) -> Vocabulary {
        let mut v = Vocabulary::default();
        for t in terms {
            v.insert(t);
        }
        v
    }

    #[test]
    fn only_terms_are_kept_and_positions_count_every_token() {
        let v = vocab(&["virtualalloc", "createthread"]);
        let text = "$a = [K]::VirtualAlloc(0); [K]::CreateThread($a)";
        let occ = occurrences(&v, Analyzer::Pattern, text);
        let seen: Vec<(&str, u32)> = occ
            .iter()
            .map(|o| (&text[o.start..o.end], o.position))
            .collect();
        // Tokens: a k virtualalloc 0 k createthread a
        assert_eq!(seen, [("VirtualAlloc", 2), ("CreateThread", 5)]);
    }

    #[test]
    fn phrases_need_adjacent_positions() {
        let v = vocab(&["reflection", "emit", "opcodes"]);
        let ids = v
            .ids_of(&["reflection".into(), "emit".into(), "opcodes".into()])
            .unwrap();
        let yes = occurrences(&v, Analyzer::Pattern, "[Reflection.Emit.OpCodes]::Ldarg_0");
        assert!(has_phrase(&yes, &ids));
        // Same terms in order, but another token between two of them.
        let gap = occurrences(&v, Analyzer::Pattern, "Reflection.Emit.X.OpCodes");
        assert!(!has_phrase(&gap, &ids));
        let reversed = occurrences(&v, Analyzer::Pattern, "OpCodes.Emit.Reflection");
        assert!(!has_phrase(&reversed, &ids));
    }

    #[test]
    fn length_filter_never_hides_a_term() {
        let long = "a".repeat(100);
        let v = vocab(&["x", &long]);
        assert_eq!(v.id("x"), Some(0));
        assert_eq!(v.id(&long), Some(1));
        assert_eq!(v.id(&"a".repeat(99)), None);
        assert_eq!(v.id("y"), None);
        assert_eq!(v.id(""), None);
    }

    #[test]
    fn both_analyzers_find_the_same_terms_as_their_full_token_streams() {
        // The pattern analyzer takes the raw-token shortcut; the result must equal filtering
        // its full token stream (the form the index and the golden fixtures use).
        let text = "$K = [Kernel32]::VirtualAlloc(0); $x.VIRTUALALLOC; Invoke-VirtualAlloc; \
                    Ａｂｃ İstanbul VirtualAlloc_x 0virtualalloc reflection.emit";
        let v = vocab(&[
            "virtualalloc",
            "reflection",
            "emit",
            "invoke-virtualalloc",
            "istanbul",
        ]);
        for analyzer in [Analyzer::Pattern, Analyzer::Standard] {
            let expected: Vec<Occurrence> = analyzer
                .tokens(text)
                .into_iter()
                .filter_map(|t| {
                    v.id(&t.text).map(|id| Occurrence {
                        position: t.position,
                        id,
                        start: t.start,
                        end: t.end,
                    })
                })
                .collect();
            let got = occurrences(&v, analyzer, text);
            assert_eq!(got, expected, "{analyzer}");
            assert!(!got.is_empty(), "{analyzer}");
        }
    }
}
