//! Remembers that an index directory's files passed their checksums, so reopening an unchanged
//! index does not read every byte again (on 1M events that is ~1 GB of CRC32 before the first
//! frame).
//!
//! The stamp lists each file's name, size, mtime and ctime. Any write to a file through the
//! file system changes its ctime (which no tool can set back), so a file modified since the
//! last verification always gets its checksums verified again. What the stamp cannot see is
//! damage below the file system (a flipped bit on the medium with no write): that is left to
//! the file system and the disk, as for every other file the analyst has.
//! Must not decide anything else about the index (staleness is the manifest's job).

use std::fs;
use std::path::Path;

/// Name of the stamp file inside the index directory.
const STAMP: &str = "verified.stamp";

/// The current stamp of `dir`: one line per file, sorted. `None` when the directory cannot be
/// listed or a file's metadata cannot be read.
fn stamp(dir: &Path) -> Option<String> {
    let mut lines = Vec::new();
    for entry in fs::read_dir(dir).ok()? {
        let entry = entry.ok()?;
        let name = entry.file_name().to_string_lossy().into_owned();
        // The stamp itself, and tantivy's lock files (created and emptied by every open).
        if name == STAMP || name.ends_with(".lock") {
            continue;
        }
        let meta = entry.metadata().ok()?;
        lines.push(format!("{name}\t{}\t{}", meta.len(), times(&meta)));
    }
    lines.sort();
    Some(lines.join("\n"))
}

#[cfg(unix)]
fn times(meta: &fs::Metadata) -> String {
    use std::os::unix::fs::MetadataExt;
    format!(
        "{}.{:09}\t{}.{:09}",
        meta.mtime(),
        meta.mtime_nsec(),
        meta.ctime(),
        meta.ctime_nsec()
    )
}

#[cfg(not(unix))]
fn times(meta: &fs::Metadata) -> String {
    meta.modified()
        .ok()
        .and_then(|t| t.duration_since(std::time::UNIX_EPOCH).ok())
        .map(|d| format!("{}.{:09}", d.as_secs(), d.subsec_nanos()))
        .unwrap_or_default()
}

/// True when every file of `dir` is exactly as it was when its checksums last passed.
pub(super) fn unchanged_since_verified(dir: &Path) -> bool {
    match (fs::read_to_string(dir.join(STAMP)), stamp(dir)) {
        (Ok(saved), Some(now)) => saved == now,
        _ => false,
    }
}

/// Records that `dir`'s files are verified as they are now. Best effort: a read-only index
/// directory only means the checksums are verified again next time.
pub(super) fn record(dir: &Path) {
    if let Some(now) = stamp(dir) {
        let tmp = dir.join(format!("{STAMP}.tmp"));
        if fs::write(&tmp, now).is_ok() && fs::rename(&tmp, dir.join(STAMP)).is_err() {
            let _ = fs::remove_file(&tmp);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_write_to_any_file_invalidates_the_stamp() {
        let tmp = tempfile::tempdir().unwrap();
        let file = tmp.path().join("seg.store");
        fs::write(&file, b"0123456789").unwrap();
        fs::write(tmp.path().join(".tantivy-meta.lock"), b"").unwrap();
        assert!(!unchanged_since_verified(tmp.path()), "no stamp yet");
        record(tmp.path());
        assert!(unchanged_since_verified(tmp.path()));
        // Lock files come and go with every open: they do not count.
        fs::write(tmp.path().join(".tantivy-writer.lock"), b"").unwrap();
        assert!(unchanged_since_verified(tmp.path()));
        // Same size, same content length, rewritten: ctime moves even if mtime were reset.
        std::thread::sleep(std::time::Duration::from_millis(20));
        fs::write(&file, b"0123456789").unwrap();
        assert!(!unchanged_since_verified(tmp.path()));
        record(tmp.path());
        fs::write(tmp.path().join("new.idx"), b"x").unwrap();
        assert!(!unchanged_since_verified(tmp.path()), "a new file");
    }
}
