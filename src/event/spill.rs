//! `Spill`: a scratch file that holds the packed documents of a streaming scan's alerts, so
//! that the alert list keeps only where each document is instead of the document itself.
//!
//! A streaming scan cannot write an alert when it is found (alerts are listed in time order,
//! and exceptions and the rules over alerts see them all first), so without this every alert
//! carried its event in memory until the end (with Elastic's 35 KQL PowerShell rules on 100 MB,
//! 5 of the 28 MB the scan's peak grew by over the bundled rules'). The file is anonymous
//! (unlinked as soon as it is created, gone when the process ends), written once per batch of
//! alerts and read back only when an alert's document is read (the output line, an exception
//! entry).
//!
//! Must not interpret the bytes: it stores and returns what `PackedEvent` hands it. Where
//! positioned file I/O is not available (not Unix), or the scratch file cannot be made or
//! written, documents simply stay in memory.

use std::fs::File;
use std::io;
use std::sync::atomic::{AtomicU64, Ordering};

/// An anonymous scratch file that only grows: each write takes the next range of it.
#[derive(Debug)]
pub struct Spill {
    file: File,
    end: AtomicU64,
}

impl Spill {
    /// A new scratch file in the system's temporary directory.
    pub fn new() -> io::Result<Spill> {
        if !cfg!(unix) {
            return Err(io::Error::new(
                io::ErrorKind::Unsupported,
                "positioned writes are only used on Unix",
            ));
        }
        Ok(Spill {
            file: tempfile::tempfile()?,
            end: AtomicU64::new(0),
        })
    }

    /// Appends `bytes` and returns where they start. Threads may write at once: each takes
    /// its own range before writing.
    pub fn put(&self, bytes: &[u8]) -> io::Result<u64> {
        let at = self.end.fetch_add(bytes.len() as u64, Ordering::Relaxed);
        write_at(&self.file, bytes, at)?;
        Ok(at)
    }

    /// The `len` bytes written at `at`.
    pub fn get(&self, at: u64, len: usize) -> io::Result<Vec<u8>> {
        let mut buf = vec![0; len];
        read_at(&self.file, &mut buf, at)?;
        Ok(buf)
    }

    /// Bytes written so far (ranges of failed writes included).
    pub fn len(&self) -> u64 {
        self.end.load(Ordering::Relaxed)
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

#[cfg(unix)]
fn write_at(file: &File, bytes: &[u8], at: u64) -> io::Result<()> {
    std::os::unix::fs::FileExt::write_all_at(file, bytes, at)
}

#[cfg(unix)]
fn read_at(file: &File, buf: &mut [u8], at: u64) -> io::Result<()> {
    std::os::unix::fs::FileExt::read_exact_at(file, buf, at)
}

#[cfg(not(unix))]
fn write_at(_: &File, _: &[u8], _: u64) -> io::Result<()> {
    Err(io::ErrorKind::Unsupported.into())
}

#[cfg(not(unix))]
fn read_at(_: &File, _: &mut [u8], _: u64) -> io::Result<()> {
    Err(io::ErrorKind::Unsupported.into())
}

#[cfg(all(test, unix))]
mod tests {
    use super::*;
    use std::sync::Arc;

    #[test]
    fn returns_what_was_put_from_any_thread() {
        let spill = Arc::new(Spill::new().unwrap());
        let placed: Vec<(u64, Vec<u8>)> = std::thread::scope(|s| {
            let handles: Vec<_> = (0..4u8)
                .map(|t| {
                    let spill = spill.clone();
                    s.spawn(move || {
                        (0..200u16)
                            .map(|i| {
                                let bytes = vec![t; 1 + usize::from(i % 37)];
                                (spill.put(&bytes).unwrap(), bytes)
                            })
                            .collect::<Vec<_>>()
                    })
                })
                .collect();
            handles
                .into_iter()
                .flat_map(|h| h.join().unwrap())
                .collect()
        });
        for (at, bytes) in &placed {
            assert_eq!(&spill.get(*at, bytes.len()).unwrap(), bytes);
        }
        let total: usize = placed.iter().map(|(_, b)| b.len()).sum();
        assert_eq!(spill.len(), total as u64);
    }

    #[test]
    fn reading_past_the_end_is_an_error_not_zeros() {
        let spill = Spill::new().unwrap();
        let at = spill.put(b"abc").unwrap();
        assert!(spill.get(at, 4).is_err());
    }
}
