//! Which bytes of a 64-byte block are of a kind, as the bits of a `u64`: the first step of
//! reading text a block at a time (the pattern analyzer's tokens, the decoder's quick look)
//! instead of with a test and a branch on every byte. Pure: no I/O, no knowledge of what the
//! kinds mean.
//!
//! The kind is tested into one flag byte per input byte (a loop over a fixed array, which the
//! compiler can do many bytes at a time when the test is a few comparisons), then each eight
//! flags are gathered into a byte by one multiplication.

/// Bit `i` set when `kind(block[i])`.
#[inline(always)]
pub fn of_block(block: &[u8; 64], kind: impl Fn(u8) -> bool) -> u64 {
    let mut flags = [0u8; 64];
    for (flag, &b) in flags.iter_mut().zip(block) {
        *flag = u8::from(kind(b));
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

/// [`of_block`] of a block of any length up to 64 (the last one of a text); the bits past its
/// end are clear.
#[inline(always)]
pub fn of_chunk(chunk: &[u8], kind: impl Fn(u8) -> bool) -> u64 {
    match <&[u8; 64]>::try_from(chunk) {
        Ok(full) => of_block(full, kind),
        Err(_) => {
            let len = chunk.len().min(64);
            let mut block = [0u8; 64];
            block[..len].copy_from_slice(&chunk[..len]);
            let kept = if len == 64 {
                u64::MAX
            } else {
                (1u64 << len) - 1
            };
            of_block(&block, kind) & kept
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn bytewise(chunk: &[u8], kind: impl Fn(u8) -> bool) -> u64 {
        chunk
            .iter()
            .enumerate()
            .filter(|(_, &b)| kind(b))
            .fold(0, |bits, (i, _)| bits | 1 << i)
    }

    #[test]
    fn every_byte_at_every_place_and_every_length() {
        let kinds: [fn(u8) -> bool; 3] = [|b| b == 0, |b| b.is_ascii_alphanumeric(), |b| b >= 0x80];
        for kind in kinds {
            for b in 0..=255u8 {
                for len in [0, 1, 7, 8, 9, 63, 64] {
                    for at in 0..len {
                        let mut chunk = vec![if at % 2 == 0 { b'a' } else { 0x80 }; len];
                        chunk[at] = b;
                        assert_eq!(
                            of_chunk(&chunk, kind),
                            bytewise(&chunk, kind),
                            "byte {b:#04x} at {at} of {len}"
                        );
                    }
                }
            }
        }
    }
}
