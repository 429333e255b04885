//! Counts in prose: `1 alert`, `3 alerts`. Pure.

/// `n` and the noun, plural (an added `s`) when `n` is not 1.
pub fn count_of(n: usize, noun: &str) -> String {
    format!("{n} {noun}{}", if n == 1 { "" } else { "s" })
}
