//! Counts over a document's text that several ES|QL rules read — its length in code points,
//! how often each byte occurs — taken once per document and shared by every rule's pipeline.
//!
//! Elastic's obfuscation rules each measure the script (`length(script_block_text)`) and the
//! proportion rules each count a character class over it: with all of them loaded, the same
//! long text was walked a dozen times per document. A [`TextMemo`] lives as long as one
//! document's evaluation and answers every rule from one walk.
//!
//! Pure counting: what a count means for a pattern or a `length` is the callers' business.

use std::cell::RefCell;
use std::rc::Rc;

/// How many times each byte value occurs in a text.
pub struct ByteCounts([usize; 256]);

impl ByteCounts {
    pub fn of(text: &str) -> ByteCounts {
        // Four tables, merged at the end: consecutive equal bytes (runs of spaces, of
        // base64 letters) would otherwise wait on each other's increment.
        let mut tables = [[0usize; 256]; 4];
        let bytes = text.as_bytes();
        let mut quads = bytes.chunks_exact(4);
        for q in &mut quads {
            tables[0][usize::from(q[0])] += 1;
            tables[1][usize::from(q[1])] += 1;
            tables[2][usize::from(q[2])] += 1;
            tables[3][usize::from(q[3])] += 1;
        }
        for &b in quads.remainder() {
            tables[0][usize::from(b)] += 1;
        }
        let mut counts = [0usize; 256];
        for (i, slot) in counts.iter_mut().enumerate() {
            *slot = tables.iter().map(|t| t[i]).sum();
        }
        ByteCounts(counts)
    }

    /// How many times `b` occurs.
    pub fn of_byte(&self, b: u8) -> usize {
        self.0[usize::from(b)]
    }

    /// Code points of the text: every byte but UTF-8's continuation bytes starts one.
    pub fn chars(&self) -> usize {
        self.0.iter().sum::<usize>() - self.0[0x80..0xC0].iter().sum::<usize>()
    }

    /// Code points outside ASCII: UTF-8 starts each with a byte from 0xC0 up.
    pub fn non_ascii_chars(&self) -> usize {
        self.0[0xC0..].iter().sum()
    }

    /// The text's length in UTF-16 units: one per code point, two for those UTF-8 writes in
    /// four bytes (lead byte 0xF0 and up).
    pub fn utf16_units(&self) -> usize {
        self.chars() + self.0[0xF0..].iter().sum::<usize>()
    }
}

/// The counts of the texts of one document read so far, each counted once. Texts are known
/// by address: they are borrowed from the document, which outlives the memo.
#[derive(Default)]
pub struct TextMemo<'a> {
    seen: RefCell<Vec<Counted<'a>>>,
}

struct Counted<'a> {
    text: &'a str,
    chars: Option<usize>,
    bytes: Option<Rc<ByteCounts>>,
}

impl<'a> TextMemo<'a> {
    /// `text.chars().count()`, counted once.
    pub fn chars(&self, text: &'a str) -> usize {
        self.with(text, |c| {
            if let Some(n) = c.chars {
                return n;
            }
            let n = match &c.bytes {
                Some(bytes) => bytes.chars(),
                None => text.chars().count(),
            };
            c.chars = Some(n);
            n
        })
    }

    /// `ByteCounts::of(text)`, counted once.
    pub fn bytes(&self, text: &'a str) -> Rc<ByteCounts> {
        self.with(text, |c| {
            c.bytes
                .get_or_insert_with(|| Rc::new(ByteCounts::of(text)))
                .clone()
        })
    }

    fn with<T>(&self, text: &'a str, f: impl FnOnce(&mut Counted<'a>) -> T) -> T {
        let mut seen = self.seen.borrow_mut();
        let at = match seen.iter().position(|c| std::ptr::eq(c.text, text)) {
            Some(at) => at,
            None => {
                seen.push(Counted {
                    text,
                    chars: None,
                    bytes: None,
                });
                seen.len() - 1
            }
        };
        f(&mut seen[at])
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn byte_counts_give_the_lengths_the_standard_library_gives() {
        let texts = [
            String::new(),
            "a".to_owned(),
            "abc".to_owned(),
            "I`nv`oke \u{e9}\u{20ac}\u{1F525} ".repeat(37),
            "\u{10FFFF}\u{80}\u{7FF}\u{800}\u{FFFF}\u{10000}".to_owned(),
        ];
        for text in &texts {
            let counts = ByteCounts::of(text);
            assert_eq!(counts.chars(), text.chars().count(), "{text:?}");
            assert_eq!(
                counts.utf16_units(),
                text.encode_utf16().count(),
                "{text:?}"
            );
            assert_eq!(
                counts.non_ascii_chars(),
                text.chars().filter(|c| !c.is_ascii()).count()
            );
            for b in [b'`', b' ', b'a', 0xF0] {
                assert_eq!(counts.of_byte(b), text.bytes().filter(|&x| x == b).count());
            }
        }
    }

    #[test]
    fn a_memo_counts_each_text_once_and_tells_texts_apart() {
        let doc = "first text".to_owned() + "\u{e9}";
        let (a, b) = doc.split_at(5);
        let memo = TextMemo::default();
        assert_eq!(memo.chars(a), 5);
        assert_eq!(memo.chars(b), 6);
        // The same bytes at another address are another text.
        let whole: &str = &doc;
        assert_eq!(memo.chars(whole), 11);
        assert_eq!(memo.bytes(whole).chars(), 11);
        assert!(Rc::ptr_eq(&memo.bytes(whole), &memo.bytes(whole)));
        assert_eq!(memo.seen.borrow().len(), 3);
    }
}
