//! Headless triage (`pstriage triage`) and the report (`pstriage report`): the same code path
//! as the TUI, checked through the binary.

use std::path::{Path, PathBuf};
use std::process::Output;

fn run(args: &[&str], tmp: &Path) -> Output {
    crate::support::pstriage()
        .args(args)
        .arg("--index")
        .arg(tmp.join("idx"))
        .arg("--case")
        .arg(tmp.join("case"))
        .arg(PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("sample-data"))
        .output()
        .expect("runs")
}

fn report(tmp: &Path) -> Vec<serde_json::Value> {
    let out = run(&["report", "--format", "json"], tmp);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).expect("report is JSON")
}

#[test]
fn headless_changes_show_in_the_report() {
    let tmp = tempfile::tempdir().unwrap();
    let before = report(tmp.path());
    assert_eq!(
        before.len(),
        12,
        "11 Elastic alerts and 1 split-script finding"
    );
    assert!(before.iter().all(|a| a["status"] == "open"));
    let id = before
        .iter()
        .find(|a| a["host"] == "win10-01" && a["rule_id"] == "2e29e96a-b67c-455a-afe4-de6183431d0d")
        .unwrap()["alert_id"]
        .as_str()
        .unwrap()
        .to_owned();
    let out = run(
        &[
            "triage",
            "--alert",
            &id,
            "--close",
            "true_positive",
            "--note",
            "explorer.exe injected",
            "--tick",
            "1",
            "--tick",
            "4",
        ],
        tmp.path(),
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let out = run(
        &[
            "triage",
            "--host",
            "srv-file-01",
            "--status",
            "acknowledged",
        ],
        tmp.path(),
    );
    assert!(out.status.success());

    let after = report(tmp.path());
    let a = after.iter().find(|a| a["alert_id"] == id.as_str()).unwrap();
    assert_eq!(a["status"], "closed");
    assert_eq!(a["closing_reason"], "true_positive");
    assert_eq!(a["note"], "explorer.exe injected");
    let steps: Vec<u64> = a["ticked_steps"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["step"].as_u64().unwrap())
        .collect();
    assert_eq!(steps, [1, 4]);
    assert_eq!(
        after
            .iter()
            .filter(|a| a["status"] == "acknowledged")
            .count(),
        2
    );

    let md = run(&["report"], tmp.path());
    let md = String::from_utf8_lossy(&md.stdout);
    assert!(md.contains("- status: **closed** (true_positive)"));
    assert!(md.contains("  - [x] Look at the other alerts"));
    assert!(md.contains("> explorer.exe injected"));
}

#[test]
fn bad_requests_change_nothing() {
    let tmp = tempfile::tempdir().unwrap();
    for args in [
        vec!["triage", "--status", "acknowledged"], // no selector
        vec!["triage", "--all"],                    // no change
        vec!["triage", "--all", "--tick", "99"],    // no such step
        vec!["triage", "--alert", "nope", "--status", "acknowledged"], // unknown id
    ] {
        let out = run(&args, tmp.path());
        assert_eq!(out.status.code(), Some(2), "{args:?}");
    }
    assert!(!tmp.path().join("case/triage.json").exists());
}

#[test]
fn a_case_in_use_is_refused() {
    let tmp = tempfile::tempdir().unwrap();
    let (store, _) = pstriage::triage::store::Store::open(&tmp.path().join("case"));
    let _held = store.lock().unwrap();
    let out = run(&["triage", "--all", "--status", "acknowledged"], tmp.path());
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("in use"));
}
