//! Saved hunting queries of a case: `searches.json` beside `triage.json`, written atomically
//! like it (`triage::store::write_atomically`). A file that cannot be read is never
//! overwritten: it opens read-only, as triage does.
//!
//! Holds names and query texts only; running them is `hunt`'s job.

use crate::triage::store::{write_atomically, StoreError};
use serde::{Deserialize, Serialize};
use std::path::{Path, PathBuf};

/// The file name inside a case directory.
pub const FILE_NAME: &str = "searches.json";

/// The format version this build writes; a newer file opens read-only.
const VERSION: u32 = 1;

/// One saved query.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct SavedSearch {
    pub name: String,
    pub query: String,
    /// When it was saved (epoch ms).
    pub saved_ms: i64,
}

/// Every saved query of a case, in the order they were first saved.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct SavedSearches {
    pub version: u32,
    pub searches: Vec<SavedSearch>,
}

impl Default for SavedSearches {
    fn default() -> Self {
        SavedSearches {
            version: VERSION,
            searches: Vec::new(),
        }
    }
}

/// Where the searches of a case are kept, and whether they may be written.
#[derive(Debug)]
pub struct SearchStore {
    pub path: PathBuf,
    /// Why the file may not be written (it exists but could not be read), if so.
    pub read_only: Option<String>,
}

impl SavedSearches {
    /// Opens the case's saved searches (none when the file does not exist yet).
    pub fn open(case_dir: &Path) -> (SearchStore, SavedSearches) {
        let path = case_dir.join(FILE_NAME);
        let (read_only, searches) = match std::fs::read(&path) {
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => (None, Self::default()),
            Err(e) => (
                Some(format!("{}: cannot read ({e})", path.display())),
                Self::default(),
            ),
            Ok(bytes) => match serde_json::from_slice::<SavedSearches>(&bytes) {
                Ok(s) if s.version <= VERSION => (None, s),
                Ok(s) => (
                    Some(format!(
                        "{}: written by a newer pstriage (version {})",
                        path.display(),
                        s.version
                    )),
                    s,
                ),
                Err(e) => (
                    Some(format!("{}: not a searches file ({e})", path.display())),
                    Self::default(),
                ),
            },
        };
        (SearchStore { path, read_only }, searches)
    }

    /// The search saved under `name`.
    pub fn get(&self, name: &str) -> Option<&SavedSearch> {
        self.searches.iter().find(|s| s.name == name)
    }

    /// The names, in order.
    pub fn names(&self) -> Vec<&str> {
        self.searches.iter().map(|s| s.name.as_str()).collect()
    }

    /// Saves `query` under `name`, replacing the query of that name where there is one.
    pub fn put(&mut self, name: &str, query: &str, now_ms: i64) {
        let entry = SavedSearch {
            name: name.to_owned(),
            query: query.to_owned(),
            saved_ms: now_ms,
        };
        match self.searches.iter_mut().find(|s| s.name == name) {
            Some(s) => *s = entry,
            None => self.searches.push(entry),
        }
    }

    /// Removes the search named `name`; true when there was one.
    pub fn remove(&mut self, name: &str) -> bool {
        let before = self.searches.len();
        self.searches.retain(|s| s.name != name);
        self.searches.len() != before
    }
}

impl SearchStore {
    /// Writes `searches` atomically, unless the file could not be read when it was opened.
    pub fn save(&self, searches: &SavedSearches) -> Result<(), StoreError> {
        if let Some(why) = &self.read_only {
            return Err(StoreError::ReadOnly(why.clone()));
        }
        let body = serde_json::to_vec_pretty(searches).unwrap_or_default();
        write_atomically(&self.path, &body)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn searches_round_trip_and_replace_by_name() {
        let tmp = tempfile::tempdir().unwrap();
        let (store, mut s) = SavedSearches::open(tmp.path());
        assert!(s.searches.is_empty());
        s.put(
            "mimikatz",
            "powershell.file.script_block_text:\"Invoke-Mimikatz\"",
            1,
        );
        s.put("system", "user.id:\"S-1-5-18\"", 2);
        s.put("mimikatz", "Invoke-Mimikatz", 3);
        store.save(&s).unwrap();
        let (_, again) = SavedSearches::open(tmp.path());
        assert_eq!(again, s);
        assert_eq!(again.names(), ["mimikatz", "system"]);
        assert_eq!(again.get("mimikatz").unwrap().query, "Invoke-Mimikatz");
        let mut again = again;
        assert!(again.remove("system"));
        assert!(!again.remove("system"));
    }

    #[test]
    fn an_unreadable_file_is_never_overwritten() {
        let tmp = tempfile::tempdir().unwrap();
        std::fs::write(tmp.path().join(FILE_NAME), b"[not json").unwrap();
        let (store, s) = SavedSearches::open(tmp.path());
        assert!(store.read_only.is_some());
        assert!(store.save(&s).is_err());
        assert_eq!(
            std::fs::read(tmp.path().join(FILE_NAME)).unwrap(),
            b"[not json"
        );
    }
}
