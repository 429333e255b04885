//! The pattern analyzer `[\W&&[^-]]+` + lowercase: a token is a maximal run of ASCII
//! `[A-Za-z0-9_-]`; every other character (all of non-ASCII included) separates tokens.

/// `TOKEN_BYTE[b]`: `b` is ASCII `[A-Za-z0-9_-]` (what `token_bits` computes; the tests
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
/// taken 64 bytes at a time: a mask of its token bytes, then the places where that mask
/// changes, found by counting zeros, instead of a test and a branch on every byte.
pub(super) fn for_each_span(text: &str, mut emit: impl FnMut(usize, usize)) {
    let bytes = text.as_bytes();
    let mut open: Option<usize> = None;
    for (k, block) in bytes.chunks(64).enumerate() {
        let base = k * 64;
        let bits = match <&[u8; 64]>::try_from(block) {
            Ok(full) => token_bits(full),
            Err(_) => token_bits_of_tail(block),
        };
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

/// Bit `i` set when `block[i]` is a token byte, ASCII `[A-Za-z0-9_-]`: compares without a
/// table into one flag byte each (a loop over a fixed array, which the compiler can do many
/// bytes at a time), then each eight flags gathered into a byte by one multiplication.
#[inline]
fn token_bits(block: &[u8; 64]) -> u64 {
    let mut flags = [0u8; 64];
    for (flag, &b) in flags.iter_mut().zip(block) {
        let letter = (b | 0x20).wrapping_sub(b'a') < 26;
        let digit = b.wrapping_sub(b'0') < 10;
        *flag = u8::from(letter | digit | (b == b'_') | (b == b'-'));
    }
    let mut bits = 0u64;
    for (k, eight) in flags.chunks_exact(8).enumerate() {
        // Flag i (0 or 1, in byte i) times 2^(56 - 7i) lands on bit 56 + i; the other
        // products fall below bit 56 without carrying, or above bit 63.
        let word = u64::from_le_bytes([
            eight[0], eight[1], eight[2], eight[3], eight[4], eight[5], eight[6], eight[7],
        ]);
        bits |= (word.wrapping_mul(0x0102_0408_1020_4080) >> 56) << (8 * k);
    }
    bits
}

/// [`token_bits`] of the last, shorter block (the missing bytes are no token bytes).
fn token_bits_of_tail(tail: &[u8]) -> u64 {
    let mut block = [0u8; 64];
    block[..tail.len()].copy_from_slice(tail);
    token_bits(&block)
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
    fn the_mask_is_the_table() {
        for b in 0..=255u8 {
            // At every place of a block, among bytes of both kinds.
            for at in [0, 7, 8, 31, 56, 63] {
                let mut block = [if at % 2 == 0 { b'a' } else { b' ' }; 64];
                block[at] = b;
                let bit = token_bits(&block) >> at & 1 == 1;
                assert_eq!(bit, TOKEN_BYTE[b as usize], "byte {b:#04x} at {at}");
            }
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
        let mut state = 0x2545_f491_4f6c_dd1du64;
        for round in 0..500 {
            let mut text = String::new();
            for _ in 0..(round % 97) * 3 {
                state ^= state << 13;
                state ^= state >> 7;
                state ^= state << 17;
                text.push_str(pieces[(state % pieces.len() as u64) as usize]);
            }
            assert_eq!(spans(&text), spans_bytewise(&text), "{text:?}");
        }
    }
}
