//! How many worker threads the pipeline runs: `--threads N`, or else what the machine offers
//! (`std::thread::available_parallelism`, at most `MAX`). Read where work is spread — NDJSON
//! parsing, EVTX parsing, rule evaluation, the decoded pass, hunting, the index writer — and set
//! once at startup. Must not spawn anything itself: it only answers "how many".

use std::sync::atomic::{AtomicUsize, Ordering};

/// The most workers the default takes: beyond it the reading thread and the output are the
/// limit, and each worker holds its batches in memory.
pub const MAX: usize = 8;

/// `--threads` accepts at most this many.
pub const MAX_ASKED: usize = 64;

/// 0: not set, the machine decides.
static ASKED: AtomicUsize = AtomicUsize::new(0);

/// Sets the worker count for the process (`None`: the machine's default).
pub fn set(asked: Option<usize>) {
    ASKED.store(
        asked.map_or(0, |n| n.clamp(1, MAX_ASKED)),
        Ordering::Relaxed,
    );
}

/// Worker threads to use.
pub fn workers() -> usize {
    match ASKED.load(Ordering::Relaxed) {
        0 => machine_default(),
        n => n,
    }
}

/// What the machine offers, between 1 and `MAX` (2 when it cannot tell). Asked once: the
/// answer reads the CPU affinity and cgroup quota files, and every hunt and load asks.
pub fn machine_default() -> usize {
    static CORES: std::sync::OnceLock<usize> = std::sync::OnceLock::new();
    *CORES.get_or_init(|| {
        std::thread::available_parallelism()
            .map_or(2, |n| n.get())
            .clamp(1, MAX)
    })
}

/// `--threads` as clap reads it: a whole number from 1 to `MAX_ASKED`.
pub fn parse(s: &str) -> Result<usize, String> {
    match s.trim().parse::<usize>() {
        Ok(n) if (1..=MAX_ASKED).contains(&n) => Ok(n),
        _ => Err(format!("expected a whole number from 1 to {MAX_ASKED}")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_default_follows_the_machine_within_bounds_and_the_flag_is_checked() {
        let d = machine_default();
        assert!((1..=MAX).contains(&d));
        assert_eq!(parse("3"), Ok(3));
        assert_eq!(parse(" 1 "), Ok(1));
        for bad in ["0", "-1", "65", "two", ""] {
            assert!(parse(bad).is_err(), "{bad:?}");
        }
    }
}
