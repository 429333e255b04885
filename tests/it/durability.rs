//! Saved triage survives: SIGKILL at random moments while saving, a full disk, a read-only
//! directory; a damaged index is rebuilt from the exports and triage is untouched.

use pstriage::triage::store::{Store, FILE_NAME};
use pstriage::triage::{Action, Book, Status};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

fn bin() -> Command {
    crate::support::pstriage()
}

fn sample() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("sample-data")
}

fn first_alert_id(index: &Path) -> String {
    let out = bin()
        .args(["scan", "--format", "ndjson", "--index"])
        .arg(index)
        .arg(sample())
        .output()
        .unwrap();
    let line = String::from_utf8_lossy(&out.stdout)
        .lines()
        .next()
        .unwrap()
        .to_owned();
    let v: serde_json::Value = serde_json::from_str(&line).unwrap();
    v["pstriage.alert_id"].as_str().unwrap().to_owned()
}

/// A cheap deterministic sequence of pauses (no RNG crate needed).
fn pause(i: u64) -> Duration {
    Duration::from_micros((i.wrapping_mul(2_654_435_761) % 120_000) + 2_000)
}

#[test]
fn sigkill_while_saving_never_loses_an_acknowledged_change() {
    let tmp = tempfile::tempdir().unwrap();
    let (index, case) = (tmp.path().join("idx"), tmp.path().join("case"));
    let id = first_alert_id(&index);
    let mut acknowledged: Vec<u64> = Vec::new();
    for i in 0..120u64 {
        let mut child = bin()
            .args([
                "triage",
                "--alert",
                &id,
                "--note",
                &format!("note {i}"),
                "--index",
            ])
            .arg(&index)
            .arg("--case")
            .arg(&case)
            .arg(sample())
            .stderr(std::process::Stdio::null())
            .spawn()
            .unwrap();
        std::thread::sleep(pause(i));
        let _ = child.kill();
        let status = child.wait().unwrap();
        if status.success() {
            acknowledged.push(i);
        }
        let path = case.join(FILE_NAME);
        if path.exists() {
            let text = std::fs::read_to_string(&path).unwrap();
            let book: Book = serde_json::from_str(&text)
                .unwrap_or_else(|e| panic!("torn triage file after kill {i}: {e}"));
            let t = book.get(&id).expect("the alert's triage");
            let note_no: u64 = t.note.trim_start_matches("note ").parse().unwrap();
            if let Some(&last) = acknowledged.last() {
                assert!(
                    note_no >= last,
                    "acknowledged note {last} lost, file has {note_no}"
                );
            }
            let edits = t.history.iter().filter(|c| c.what == "note edited").count();
            assert!(
                edits >= acknowledged.len(),
                "{edits} edits saved, {} acknowledged",
                acknowledged.len()
            );
        }
    }
    assert!(!acknowledged.is_empty(), "some runs finish before the kill");
    assert!(acknowledged.len() < 120, "some runs are killed mid-way");
}

/// Mounts a small tmpfs (root only); `None` when this machine does not allow it.
struct Tmpfs(PathBuf);

impl Tmpfs {
    fn mount(dir: PathBuf, size: &str) -> Option<Tmpfs> {
        std::fs::create_dir_all(&dir).ok()?;
        let ok = Command::new("mount")
            .args(["-t", "tmpfs", "-o", &format!("size={size}"), "tmpfs"])
            .arg(&dir)
            .status()
            .ok()?
            .success();
        ok.then_some(Tmpfs(dir))
    }
}

impl Drop for Tmpfs {
    fn drop(&mut self) {
        let _ = Command::new("umount").arg(&self.0).status();
    }
}

fn book_with(status: Status) -> Book {
    let mut b = Book::default();
    b.apply("alert-1", &Action::SetStatus(status), 1);
    b
}

#[test]
fn a_full_disk_or_read_only_directory_keeps_the_previous_file() {
    let tmp = tempfile::tempdir().unwrap();
    let Some(fs) = Tmpfs::mount(tmp.path().join("small"), "64k") else {
        println!(
            "skipped: mounting a small tmpfs needs root; the not-a-directory case below still runs"
        );
        return;
    };
    let (store, _) = Store::open(&fs.0);
    let first = book_with(Status::Acknowledged);
    store.save(&first).unwrap();
    // Fill the disk, then try to save a change.
    let _ = std::fs::write(fs.0.join("filler"), vec![0u8; 128 * 1024]);
    let mut second = first.clone();
    second.apply("alert-1", &Action::SetNote("x".repeat(60_000)), 2);
    let err = store.save(&second).unwrap_err().to_string();
    assert!(err.starts_with("not saved"), "{err}");
    let (_, on_disk) = Store::open(&fs.0);
    assert_eq!(on_disk, first, "the previous file is intact");
    let _ = std::fs::remove_file(fs.0.join("filler"));

    // Read-only.
    assert!(Command::new("mount")
        .args(["-o", "remount,ro"])
        .arg(&fs.0)
        .status()
        .unwrap()
        .success());
    let err = store.save(&second).unwrap_err().to_string();
    assert!(err.contains("not saved"), "{err}");
    assert_eq!(Store::open(&fs.0).1, first);
}

#[test]
fn a_save_that_cannot_create_its_directory_fails_visibly() {
    let tmp = tempfile::tempdir().unwrap();
    let blocker = tmp.path().join("case");
    std::fs::write(&blocker, b"a file where the case directory should be").unwrap();
    let (store, book) = Store::open(&blocker.join("inner"));
    assert!(store
        .save(&book)
        .unwrap_err()
        .to_string()
        .starts_with("not saved"));
}

#[test]
fn a_damaged_index_is_rebuilt_and_triage_is_untouched() {
    let tmp = tempfile::tempdir().unwrap();
    let (index, case) = (tmp.path().join("idx"), tmp.path().join("case"));
    let id = first_alert_id(&index);
    let ok = bin()
        .args([
            "triage",
            "--alert",
            &id,
            "--status",
            "acknowledged",
            "--index",
        ])
        .arg(&index)
        .arg("--case")
        .arg(&case)
        .arg(sample())
        .status()
        .unwrap();
    assert!(ok.success());
    let triage_before = std::fs::read(case.join(FILE_NAME)).unwrap();
    // Damage the biggest file of the index (the document store).
    let biggest = std::fs::read_dir(&index)
        .unwrap()
        .flatten()
        .max_by_key(|e| e.metadata().map(|m| m.len()).unwrap_or(0))
        .unwrap()
        .path();
    let mut bytes = std::fs::read(&biggest).unwrap();
    let mid = bytes.len() / 2;
    for b in &mut bytes[mid..mid + 64] {
        *b ^= 0xA5;
    }
    std::fs::write(&biggest, bytes).unwrap();
    let out = bin()
        .args(["scan", "--format", "ndjson", "--index"])
        .arg(&index)
        .arg(sample())
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("damaged") && stderr.contains("rebuilt"),
        "{stderr}"
    );
    assert_eq!(String::from_utf8_lossy(&out.stdout).lines().count(), 11);
    assert_eq!(std::fs::read(case.join(FILE_NAME)).unwrap(), triage_before);
}
