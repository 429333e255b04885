//! Turning command-line paths into the list of files to read: directories are walked
//! recursively (symlink loops are detected), files keep the order the user gave.

use super::IngestReport;
use std::collections::HashSet;
use std::fs;
use std::path::{Path, PathBuf};
use std::time::UNIX_EPOCH;

/// One file to read, with what identifies its content for the index cache.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct InputFile {
    pub path: PathBuf,
    /// The path as shown to the user (and stored with each event).
    pub display: String,
    pub size: u64,
    /// Modification time, nanoseconds since the epoch.
    pub mtime_ns: u128,
}

/// Extensions read when walking a directory (explicit file arguments are always read).
const EXTENSIONS: &[&str] = &["ndjson", "jsonl", "json", "gz", "evtx"];

/// Expands the paths given on the command line into files (directories recursed), reporting
/// what cannot be read.
pub fn collect_inputs(paths: &[PathBuf], report: &mut IngestReport) -> Vec<InputFile> {
    let mut out = Vec::new();
    let mut seen_dirs = HashSet::new();
    for path in paths {
        match fs::metadata(path) {
            Ok(meta) if meta.is_dir() => walk(path, &mut seen_dirs, &mut out, report),
            Ok(meta) => out.push(input_file(path, &meta)),
            Err(e) => report.note(path.display().to_string(), format!("cannot read: {e}")),
        }
    }
    out
}

fn walk(
    dir: &Path,
    seen: &mut HashSet<PathBuf>,
    out: &mut Vec<InputFile>,
    report: &mut IngestReport,
) {
    let canonical = match fs::canonicalize(dir) {
        Ok(c) => c,
        Err(e) => {
            report.note(
                dir.display().to_string(),
                format!("cannot read directory: {e}"),
            );
            return;
        }
    };
    if !seen.insert(canonical) {
        report.note(
            dir.display().to_string(),
            "directory already visited (symlink loop?), skipped",
        );
        return;
    }
    let entries = match fs::read_dir(dir) {
        Ok(e) => e,
        Err(e) => {
            report.note(
                dir.display().to_string(),
                format!("cannot read directory: {e}"),
            );
            return;
        }
    };
    let mut children: Vec<PathBuf> = entries.filter_map(|e| e.ok().map(|e| e.path())).collect();
    children.sort();
    for child in children {
        match fs::metadata(&child) {
            Ok(meta) if meta.is_dir() => walk(&child, seen, out, report),
            Ok(meta) if meta.is_file() && has_known_extension(&child) => {
                out.push(input_file(&child, &meta))
            }
            Ok(_) => {}
            Err(e) => report.note(child.display().to_string(), format!("cannot read: {e}")),
        }
    }
}

fn has_known_extension(path: &Path) -> bool {
    path.extension()
        .and_then(|e| e.to_str())
        .is_some_and(|e| EXTENSIONS.iter().any(|k| k.eq_ignore_ascii_case(e)))
}

fn input_file(path: &Path, meta: &fs::Metadata) -> InputFile {
    let mtime_ns = meta
        .modified()
        .ok()
        .and_then(|t| t.duration_since(UNIX_EPOCH).ok())
        .map(|d| d.as_nanos())
        .unwrap_or(0);
    InputFile {
        path: path.to_path_buf(),
        display: path.display().to_string(),
        size: meta.len(),
        mtime_ns,
    }
}
