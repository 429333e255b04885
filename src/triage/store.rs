//! Saving triage: one JSON file written atomically (temp file in the same directory, fsync,
//! rename, fsync of the directory), so a crash leaves either the old or the new file, never a
//! torn one. A file that cannot be read is never overwritten: the store opens read-only.
//! `write_atomically` is shared with the case's other files (saved searches).

use super::Book;
use std::fs::{self, File};
use std::io::Write;
use std::path::{Path, PathBuf};

/// The file name inside a case directory.
pub const FILE_NAME: &str = "triage.json";

/// The lock file that keeps two instances from writing one case.
pub const LOCK_NAME: &str = "triage.lock";

/// Why triage could not be locked or saved.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("the case {0} is in use by another pstriage")]
    InUse(PathBuf),
    #[error("cannot lock {0}: {1}")]
    Lock(PathBuf, std::io::Error),
    #[error("not saved: {0}")]
    ReadOnly(String),
    #[error("not saved: cannot write in {0}: {1}")]
    Write(PathBuf, std::io::Error),
}

/// A triage file and whether it may be written.
#[derive(Debug)]
pub struct Store {
    pub path: PathBuf,
    /// Why the store is read-only (the file exists but could not be read), if it is.
    pub read_only: Option<String>,
}

/// Default case directory: `$XDG_DATA_HOME/pstriage` (triage outlives any cache).
pub fn default_case_dir() -> Option<PathBuf> {
    dirs::data_dir().map(|d| d.join("pstriage"))
}

impl Store {
    /// Opens the triage file in `case_dir`, loading what it holds.
    pub fn open(case_dir: &Path) -> (Store, Book) {
        let path = case_dir.join(FILE_NAME);
        match fs::read(&path) {
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => (
                Store {
                    path,
                    read_only: None,
                },
                Book::default(),
            ),
            Err(e) => {
                let why = format!(
                    "{}: cannot read ({e}); opened read-only, the file is left untouched",
                    path.display()
                );
                (
                    Store {
                        path,
                        read_only: Some(why),
                    },
                    Book::default(),
                )
            }
            Ok(bytes) => {
                match serde_json::from_slice::<Book>(&bytes) {
                    Ok(book) if book.version <= super::VERSION => (
                        Store {
                            path,
                            read_only: None,
                        },
                        book,
                    ),
                    Ok(book) => {
                        let why = format!(
                            "{}: written by a newer pstriage (version {}); opened read-only",
                            path.display(),
                            book.version
                        );
                        (
                            Store {
                                path,
                                read_only: Some(why),
                            },
                            book,
                        )
                    }
                    Err(e) => {
                        let why = format!("{}: not a triage file ({e}); opened read-only, the file is left untouched", path.display());
                        (
                            Store {
                                path,
                                read_only: Some(why),
                            },
                            Book::default(),
                        )
                    }
                }
            }
        }
    }

    /// Takes the case lock (`triage.lock` beside the file) so a second pstriage on the same
    /// case cannot write over this one. The lock lasts as long as the returned file is open.
    pub fn lock(&self) -> Result<File, StoreError> {
        let dir = self.path.parent().unwrap_or(Path::new("."));
        let lock_path = dir.join(LOCK_NAME);
        let failed = |e| StoreError::Lock(lock_path.clone(), e);
        fs::create_dir_all(dir).map_err(failed)?;
        let f = fs::OpenOptions::new()
            .create(true)
            .truncate(false)
            .write(true)
            .open(&lock_path)
            .map_err(failed)?;
        match f.try_lock() {
            Ok(()) => Ok(f),
            Err(fs::TryLockError::WouldBlock) => Err(StoreError::InUse(dir.to_path_buf())),
            Err(fs::TryLockError::Error(e)) => Err(failed(e)),
        }
    }

    /// Writes `book` atomically. Fails (leaving the previous file intact) when read-only, when
    /// the directory cannot be written, or when the disk is full.
    pub fn save(&self, book: &Book) -> Result<(), StoreError> {
        if let Some(why) = &self.read_only {
            return Err(StoreError::ReadOnly(why.clone()));
        }
        let body = serde_json::to_vec_pretty(book).unwrap_or_default();
        write_atomically(&self.path, &body)
    }
}

/// Replaces `path` with `body` (and a final newline) so that a crash leaves the old file or the
/// new one: temp file in the same directory, fsync, rename, fsync of the directory.
pub fn write_atomically(path: &Path, body: &[u8]) -> Result<(), StoreError> {
    let dir = path.parent().unwrap_or(Path::new("."));
    let fail = |e| StoreError::Write(dir.to_path_buf(), e);
    fs::create_dir_all(dir).map_err(fail)?;
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let tmp = dir.join(format!(".{name}.{}.tmp", std::process::id()));
    let write = || -> std::io::Result<()> {
        let mut f = File::create(&tmp)?;
        f.write_all(body)?;
        f.write_all(b"\n")?;
        f.sync_all()?;
        fs::rename(&tmp, path)?;
        if let Ok(d) = File::open(dir) {
            let _ = d.sync_all();
        }
        Ok(())
    };
    write().map_err(|e| {
        let _ = fs::remove_file(&tmp);
        fail(e)
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::triage::{Action, Status};

    #[test]
    fn save_and_reload() {
        let tmp = tempfile::tempdir().unwrap();
        let (store, mut book) = Store::open(tmp.path());
        assert!(store.read_only.is_none());
        book.apply("x", &Action::SetStatus(Status::Acknowledged), 7);
        store.save(&book).unwrap();
        let (_, again) = Store::open(tmp.path());
        assert_eq!(again, book);
        let leftovers: Vec<_> = fs::read_dir(tmp.path())
            .unwrap()
            .filter_map(|e| e.ok())
            .map(|e| e.file_name())
            .collect();
        assert_eq!(
            leftovers,
            [std::ffi::OsString::from(FILE_NAME)],
            "no temp files left behind"
        );
    }

    #[test]
    fn a_second_lock_on_the_same_case_is_refused() {
        let tmp = tempfile::tempdir().unwrap();
        let (a, _) = Store::open(tmp.path());
        let (b, _) = Store::open(tmp.path());
        let held = a.lock().expect("first lock");
        assert!(matches!(b.lock().unwrap_err(), StoreError::InUse(_)));
        drop(held);
        assert!(b.lock().is_ok());
    }

    #[test]
    fn an_unreadable_file_opens_read_only_and_is_never_overwritten() {
        let tmp = tempfile::tempdir().unwrap();
        let path = tmp.path().join(FILE_NAME);
        fs::write(&path, b"{ this is not json").unwrap();
        let (store, book) = Store::open(tmp.path());
        assert!(store.read_only.is_some());
        assert!(store.save(&book).is_err());
        assert_eq!(fs::read(&path).unwrap(), b"{ this is not json");
    }
}
