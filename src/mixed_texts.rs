//! Test texts: reproducible mixes of given pieces, for holding a fast scan to a plain one (the
//! pattern analyzer's blocks, the decoder's quick look). Test-only; no randomness from outside.

/// `rounds` texts, the `n`th made of `n % most` pieces drawn from `pieces` by a fixed
/// xorshift sequence (`seed` must not be zero).
pub fn mixed_texts<'a>(
    pieces: &'a [&'a str],
    rounds: usize,
    most: usize,
    seed: u64,
) -> impl Iterator<Item = String> + 'a {
    let mut state = seed;
    (0..rounds).map(move |round| {
        let mut text = String::new();
        for _ in 0..round % most.max(1) {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            text.push_str(pieces[(state % pieces.len() as u64) as usize]);
        }
        text
    })
}
