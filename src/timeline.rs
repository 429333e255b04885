//! Hourly buckets over a window ending at an instant: the 48-hour host/user timeline. Pure.

/// One hour in milliseconds.
pub const HOUR_MS: i64 = 3_600_000;

/// Counts of `times` (epoch ms) in `hours` hourly buckets ending at `end` (inclusive): bucket
/// `hours - 1` holds `(end - 1h, end]`, bucket 0 the oldest hour.
pub fn buckets(times: &[i64], end: i64, hours: usize) -> Vec<u64> {
    let mut out = vec![0u64; hours];
    let start = end - hours as i64 * HOUR_MS;
    for &t in times {
        if t > start && t <= end {
            let idx = ((t - start - 1) / HOUR_MS) as usize;
            if let Some(b) = out.get_mut(idx) {
                *b += 1;
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn edges_fall_in_the_right_hour() {
        let end = 100 * HOUR_MS;
        let b = buckets(
            &[
                end,
                end - 1,
                end - HOUR_MS,
                end - HOUR_MS + 1,
                end - 48 * HOUR_MS,
                end + 1,
            ],
            end,
            48,
        );
        assert_eq!(b[47], 3, "(end-1h, end]");
        assert_eq!(b[46], 1);
        assert_eq!(
            b.iter().sum::<u64>(),
            4,
            "the window start and the future are outside"
        );
    }
}
