//! The pattern analyzer `[\W&&[^-]]+` + lowercase: a token is a maximal run of ASCII
//! `[A-Za-z0-9_-]`; every other character (all of non-ASCII included) separates tokens.

/// `TOKEN_BYTE[b]`: `b` is ASCII `[A-Za-z0-9_-]` (what `is_token_byte` computes; the tests
/// hold it to this table).
#[cfg(test)]
static TOKEN_BYTE: [bool; 256] = {
    let mut t = [false; 256];
    let mut b = 0;
    while b < 256 {
        let c = b as u8;
        t[b] = c.is_ascii_alphanumeric() || c == b'_' || c == b'-';
        b += 1;
    }
    t
};

/// Calls `emit(start, end)` for the byte range of every token, in order. A token is pure
/// ASCII, so its lowercased text is as long as its range: callers can judge a token by its
/// length before lowercasing it.
///
/// Every script byte passes here (for the rules, and again for the index), so the text is
/// taken 64 bytes at a time: a mask of its token bytes (`byte_mask`), then the places where
/// that mask changes, found by counting zeros, instead of a test and a branch on every byte.
pub(super) fn for_each_span(text: &str, mut emit: impl FnMut(usize, usize)) {
    let bytes = text.as_bytes();
    let mut open: Option<usize> = None;
    for (k, block) in bytes.chunks(64).enumerate() {
        let base = k * 64;
        let bits = crate::byte_mask::of_chunk(block, is_token_byte);
        // A set bit where a byte differs in kind from the byte before it.
        let mut changes = bits ^ (bits << 1 | u64::from(open.is_some()));
        while changes != 0 {
            let at = base + changes.trailing_zeros() as usize;
            changes &= changes - 1;
            match open.take() {
                Some(start) => emit(start, at),
                None => open = Some(at),
            }
        }
    }
    if let Some(start) = open {
        emit(start, bytes.len());
    }
}

pub(super) fn for_each_token(text: &str, mut emit: impl FnMut(&str, usize, usize)) {
    let mut buf = String::new();
    for_each_span(text, |start, end| {
        // The run is pure ASCII, so slicing at these byte offsets is always on char boundaries.
        buf.clear();
        buf.push_str(&text[start..end]);
        buf.make_ascii_lowercase();
        emit(&buf, start, end);
    });
}

/// ASCII `[A-Za-z0-9_-]`, by comparisons only (see `byte_mask`).
#[inline(always)]
fn is_token_byte(b: u8) -> bool {
    let letter = (b | 0x20).wrapping_sub(b'a') < 26;
    let digit = b.wrapping_sub(b'0') < 10;
    letter | digit | (b == b'_') | (b == b'-')
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The byte-at-a-time walk the blocks replace: the reference.
    fn spans_bytewise(text: &str) -> Vec<(usize, usize)> {
        let bytes = text.as_bytes();
        let (mut out, mut i) = (Vec::new(), 0);
        while i < bytes.len() {
            if !TOKEN_BYTE[bytes[i] as usize] {
                i += 1;
                continue;
            }
            let start = i;
            while i < bytes.len() && TOKEN_BYTE[bytes[i] as usize] {
                i += 1;
            }
            out.push((start, i));
        }
        out
    }

    fn spans(text: &str) -> Vec<(usize, usize)> {
        let mut out = Vec::new();
        for_each_span(text, |s, e| out.push((s, e)));
        out
    }

    #[test]
    fn the_comparisons_are_the_table() {
        for b in 0..=255u8 {
            assert_eq!(is_token_byte(b), TOKEN_BYTE[b as usize], "byte {b:#04x}");
        }
    }

    #[test]
    fn spans_across_block_edges_are_those_of_the_bytewise_walk() {
        // Tokens ending, starting and running through bytes 63/64 and 127/128.
        for len in [0, 1, 62, 63, 64, 65, 127, 128, 129, 200] {
            for offset in 0..3 {
                let text: String = (0..len)
                    .map(|i| if (i + offset) % 5 == 0 { ' ' } else { 'a' })
                    .collect();
                assert_eq!(spans(&text), spans_bytewise(&text), "{len} {offset}");
                let solid = "x".repeat(len);
                assert_eq!(spans(&solid), spans_bytewise(&solid));
            }
        }
    }

    #[test]
    fn spans_of_mixed_texts_are_those_of_the_bytewise_walk() {
        // A fixed pseudo-random mix of token bytes, separators and multi-byte characters.
        let pieces = [
            "a",
            "Z",
            "0",
            "_",
            "-",
            " ",
            "\n",
            "(",
            "é",
            "🔥",
            "`",
            "ß",
            "\u{0}",
            "VirtualAlloc",
        ];
        for text in crate::mixed_texts::mixed_texts(&pieces, 500, 97 * 3, 0x2545_f491_4f6c_dd1d) {
            assert_eq!(spans(&text), spans_bytewise(&text), "{text:?}");
        }
    }
}
