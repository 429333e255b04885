//! The case's own exception list, `exceptions.ndjson` beside `triage.json`: what the analyst
//! builds from alerts in the TUI, kept in Kibana's export format (so the file imports into
//! Kibana unchanged) and written atomically like the triage file.

use super::file::{self, ExceptionFile, Item, List};
use crate::triage::store::{write_atomically, StoreError};
use serde_json::json;
use std::path::{Path, PathBuf};

/// The list id of the case's own list.
pub const CASE_LIST_ID: &str = "pstriage-case-exceptions";

/// Where the case keeps it.
pub fn case_file(case_dir: &Path) -> PathBuf {
    case_dir.join("exceptions.ndjson")
}

/// The case's list as it is on disk (empty when there is none yet); problems in it are kept
/// in the result for the caller to show.
pub fn load(case_dir: &Path) -> std::io::Result<ExceptionFile> {
    match file::read(&case_file(case_dir)) {
        Ok(f) => Ok(f),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(ExceptionFile::default()),
        Err(e) => Err(e),
    }
}

/// The container of the case's list, made the way Kibana writes one.
pub fn case_list(now: &str) -> List {
    let json = json!({
        "created_at": now,
        "created_by": "pstriage",
        "description": "Exceptions made in pstriage from triaged alerts",
        "immutable": false,
        "list_id": CASE_LIST_ID,
        "name": "pstriage case exceptions",
        "namespace_type": "single",
        "os_types": [],
        "tags": ["pstriage"],
        "type": "detection",
        "updated_at": now,
        "updated_by": "pstriage",
        "version": 1,
    });
    List {
        list_id: CASE_LIST_ID.into(),
        namespace_type: "single".into(),
        name: "pstriage case exceptions".into(),
        description: "Exceptions made in pstriage from triaged alerts".into(),
        list_type: "detection".into(),
        json: json.as_object().cloned().unwrap_or_default(),
    }
}

/// Writes `lists` and `items` as the case's file (atomically: a crash leaves the old file).
pub fn save(case_dir: &Path, lists: &[List], items: &[Item]) -> Result<(), StoreError> {
    // `write_atomically` ends the file with the line break.
    let text = file::export(lists, items);
    write_atomically(&case_file(case_dir), text.trim_end_matches('\n').as_bytes())
}

/// Adds `item` to the case's list (made if missing) and saves; returns the file as saved.
pub fn add(case_dir: &Path, item: Item, now: &str) -> Result<ExceptionFile, AddError> {
    let mut f = load(case_dir).map_err(AddError::Read)?;
    if !f.lists.iter().any(|l| l.list_id == CASE_LIST_ID) {
        f.lists.push(case_list(now));
    }
    if f.items.iter().any(|i| i.item_id == item.item_id) {
        return Err(AddError::Duplicate(item.item_id));
    }
    f.items.push(item);
    save(case_dir, &f.lists, &f.items).map_err(AddError::Store)?;
    Ok(f)
}

/// Why an item could not be added.
#[derive(Debug, thiserror::Error)]
pub enum AddError {
    #[error("cannot read the case's exceptions: {0}")]
    Read(std::io::Error),
    #[error("an item {0:?} is already in the case's list")]
    Duplicate(String),
    #[error(transparent)]
    Store(StoreError),
}
