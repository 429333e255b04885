//! Elasticsearch's `standard` analyzer: Unicode UAX#29 word boundaries (as Lucene's
//! StandardTokenizer applies them), lowercase per code point, and tokens longer than 255
//! characters cut every 255 characters.
//!
//! UAX#29 yields segments for everything, punctuation and spaces included; Lucene keeps only the
//! word-like ones (letters, digits, ideographs, kana, hangul, emoji).

use unicode_segmentation::UnicodeSegmentation;

const MAX_TOKEN_CHARS: usize = 255;

pub(super) fn for_each_token(text: &str, mut emit: impl FnMut(&str, usize, usize)) {
    let mut buf = String::new();
    for (offset, segment) in text.split_word_bound_indices() {
        if !segment.chars().any(is_word_char) {
            continue;
        }
        // Cut over-long words every 255 characters, as Lucene's max_token_length does.
        let mut piece_start = 0;
        let mut count = 0;
        buf.clear();
        for (i, c) in segment.char_indices() {
            if count == MAX_TOKEN_CHARS {
                emit(&buf, offset + piece_start, offset + i);
                buf.clear();
                piece_start = i;
                count = 0;
            }
            push_lowercase(&mut buf, c);
            count += 1;
        }
        emit(&buf, offset + piece_start, offset + segment.len());
    }
}

/// Java's `Character.toLowerCase`: one code point in, one out (so `İ` becomes `i`, not `i̇`).
fn push_lowercase(buf: &mut String, c: char) {
    if c.is_ascii() {
        buf.push(c.to_ascii_lowercase());
    } else {
        buf.push(c.to_lowercase().next().unwrap_or(c));
    }
}

fn is_word_char(c: char) -> bool {
    c.is_alphanumeric() || is_emoji(c)
}

/// Extended pictographic code points Lucene tags as `<EMOJI>` tokens.
fn is_emoji(c: char) -> bool {
    matches!(c as u32, 0x1F000..=0x1FAFF | 0x2600..=0x27BF | 0x2B00..=0x2BFF)
}
