//! The text terms a set of queries can ask about, numbered, with a quick test of whether a
//! document token is one of them.
//!
//! A script block has thousands of tokens and a rule names a few dozen terms: instead of
//! keeping every token of a document (a `String` and a hash-set entry each), the plan and the
//! evaluator keep only the tokens the query can use, by id, and their positions. Most tokens
//! are turned away by their length and first byte, then by three of their bytes, before any
//! hashing. Pure: no I/O.

use rustc_hash::FxHashMap;

/// Lengths above this share one slot of the length filter.
const LONG: usize = 64;

/// Bits in the sketch of the terms' shapes (see `Vocabulary::shapes`).
const SHAPE_BITS: usize = 1 << 14;

/// Numbered set of terms (already analyzed: lowercased tokens).
#[derive(Clone, Debug)]
pub struct Vocabulary {
    ids: FxHashMap<String, u32>,
    terms: Vec<String>,
    /// `first_bytes[n]`: bit `b % 64` is set when some term of `n` bytes (`LONG` for any
    /// longer) starts with byte `b`: the first test, two instructions a token.
    first_bytes: [u64; LONG + 1],
    /// A bit set over the terms' shapes (length, first, second and last byte, hashed): the
    /// second test, for the tokens that pass the first. With a few rules the first turns most
    /// tokens away; with Elastic's 35 it lets four tokens in five through (their terms cover
    /// most lengths and letters), and the shapes about one in four, most of them terms.
    shapes: Box<[u64]>,
    /// Names these terms: a new number whenever a term is added (a clone keeps it, holding the
    /// same terms), so what was looked up in one vocabulary is never taken for another's.
    serial: u64,
}

/// The next `Vocabulary::serial`.
fn next_serial() -> u64 {
    static NEXT: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(1);
    NEXT.fetch_add(1, std::sync::atomic::Ordering::Relaxed)
}

impl Default for Vocabulary {
    fn default() -> Self {
        Vocabulary {
            serial: next_serial(),
            ids: FxHashMap::default(),
            terms: Vec::new(),
            first_bytes: [0; LONG + 1],
            shapes: vec![0; SHAPE_BITS / 64].into_boxed_slice(),
        }
    }
}

/// Where a token of these bytes, lowercased as ASCII, has its bit among the shapes (`None` for
/// an empty token).
#[inline]
fn shape_bit(bytes: &[u8]) -> Option<usize> {
    let (&first, &last) = (bytes.first()?, bytes.last()?);
    let second = bytes.get(1).copied().unwrap_or(0);
    let shape = (bytes.len().min(255) as u32)
        | u32::from(first.to_ascii_lowercase()) << 8
        | u32::from(second.to_ascii_lowercase()) << 16
        | u32::from(last.to_ascii_lowercase()) << 24;
    // Fibonacci hashing: the top bits of the product spread shapes that differ in one byte.
    Some((shape.wrapping_mul(0x9E37_79B1) >> (32 - SHAPE_BITS.trailing_zeros())) as usize)
}

impl Vocabulary {
    /// The id of `term`, adding it when new.
    pub fn insert(&mut self, term: &str) -> u32 {
        if let Some(&id) = self.ids.get(term) {
            return id;
        }
        let id = self.terms.len() as u32;
        self.serial = next_serial();
        self.ids.insert(term.to_owned(), id);
        self.terms.push(term.to_owned());
        if let Some(&first) = term.as_bytes().first() {
            self.first_bytes[term.len().min(LONG)] |= 1 << (first % 64);
        }
        if let Some(bit) = shape_bit(term.as_bytes()) {
            self.shapes[bit / 64] |= 1 << (bit % 64);
        }
        id
    }

    /// Whether a token of these bytes, lowercased as ASCII, may be one of the terms.
    #[inline]
    fn may_hold(&self, bytes: &[u8]) -> bool {
        let Some(first) = bytes.first() else {
            return false;
        };
        self.first_bytes[bytes.len().min(LONG)] & (1 << (first.to_ascii_lowercase() % 64)) != 0
            && shape_bit(bytes).is_some_and(|bit| self.shapes[bit / 64] & (1 << (bit % 64)) != 0)
    }

    /// The id of a document token, when it is one of the terms.
    #[inline]
    pub fn id(&self, token: &str) -> Option<u32> {
        if !self.may_hold(token.as_bytes()) {
            return None;
        }
        self.ids.get(token).copied()
    }

    /// The ids of all of `terms`, or `None` when one of them is not in the vocabulary.
    pub fn ids_of(&self, terms: &[String]) -> Option<Vec<u32>> {
        terms.iter().map(|t| self.id(t)).collect()
    }

    /// What names this vocabulary's terms (see the field).
    pub fn serial(&self) -> u64 {
        self.serial
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
    // The pattern analyzer's tokens are ASCII: judge each by its shape as written, and
    // lowercase only the few that pass.
    let fast = analyzer.for_each_raw_ascii_token(text, |raw, start, end| {
        if vocab.may_hold(raw.as_bytes()) {
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
    fn the_shape_filter_never_hides_a_term() {
        let long = "a".repeat(300);
        let v = vocab(&["x", &long]);
        assert_eq!(v.id("x"), Some(0));
        assert_eq!(v.id(&long), Some(1));
        assert_eq!(v.id(&"a".repeat(299)), None);
        assert_eq!(v.id("y"), None);
        assert_eq!(v.id(""), None);
        // Thousands of terms of every length and first, second and last byte, Unicode among
        // them: each is found as written, and through the raw-token path in capitals.
        let mut terms = Vec::new();
        for n in 0..3000u32 {
            let letters: String = (0..1 + n % 23)
                .map(|k| char::from(b'a' + ((n * 7 + k * 13) % 26) as u8))
                .collect();
            terms.push(match n % 5 {
                0 => format!("{letters}{}", n % 10),
                1 => format!("{}{letters}", n % 10),
                2 => format!("{letters}\u{e9}"),
                _ => letters,
            });
        }
        let refs: Vec<&str> = terms.iter().map(String::as_str).collect();
        let v = vocab(&refs);
        for t in &terms {
            assert!(v.id(t).is_some(), "{t}");
            if t.is_ascii() {
                let shouted = t.to_ascii_uppercase();
                let occ = occurrences(&v, Analyzer::Pattern, &shouted);
                assert_eq!(occ.len(), 1, "{shouted}");
                assert_eq!(v.term(occ[0].id), t.as_str());
            }
        }
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
