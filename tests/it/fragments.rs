//! Fragment reassembly and split-script findings on our own fixtures (tests/data/fragments):
//! an API name cut by a fragment boundary, the two groups in different fragments, a missing
//! fragment, a fragment that alerts on its own; plus raw-event JSON in both shapes.

use std::path::Path;

fn scan(extra: &[&str], tmp: &Path) -> (Vec<serde_json::Value>, String) {
    let out = crate::support::pstriage()
        .args(["scan", "--format", "ndjson"])
        .args(extra)
        .arg("--index")
        .arg(tmp.join(extra.len().to_string()))
        .arg(Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/fragments"))
        .output()
        .unwrap();
    assert!(out.status.success());
    let docs = String::from_utf8_lossy(&out.stdout)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    (docs, String::from_utf8_lossy(&out.stderr).into_owned())
}

#[test]
fn plain_scan_is_elastic_exact() {
    let tmp = tempfile::tempdir().unwrap();
    let (docs, _) = scan(&[], tmp.path());
    // Fragment 2 of script 4, the flat NXLog event and the Winlogbeat raw event.
    assert_eq!(docs.len(), 3);
    assert!(docs.iter().all(|d| d["pstriage.kind"] == "elastic"));
    let hosts: Vec<&str> = docs
        .iter()
        .map(|d| d["host.name"].as_str().unwrap())
        .collect();
    assert_eq!(hosts, ["ws-lab-01", "DC01.lab.local", "ws-lab-02"]);
}

#[test]
fn reassembled_scan_adds_the_split_script_findings() {
    let tmp = tempfile::tempdir().unwrap();
    let (docs, stderr) = scan(&["--reassembled"], tmp.path());
    assert!(
        stderr.contains("4 multi-fragment scripts (1 partial), 3 split-script findings"),
        "{stderr}"
    );
    let split: Vec<_> = docs
        .iter()
        .filter(|d| d["pstriage.kind"] == "split_script")
        .collect();
    assert_eq!(split.len(), 3);
    let ids: Vec<&str> = split
        .iter()
        .map(|d| d["powershell.file.script_block_id"].as_str().unwrap())
        .collect();
    assert_eq!(
        ids,
        [
            "11111111-aaaa-4aaa-8aaa-000000000001",
            "22222222-bbbb-4bbb-8bbb-000000000002",
            "33333333-cccc-4ccc-8ccc-000000000003"
        ]
    );
    assert_eq!(
        split[0]["pstriage.matched_terms"],
        serde_json::json!(["VirtualAlloc", "CreateThread"])
    );
    assert_eq!(split[2]["pstriage.script.missing"], serde_json::json!([2]));
    assert_eq!(split[2]["pstriage.script.total"], 3);
    // The script whose fragment alerted on its own gets no second, split-script alert.
    assert!(!ids.contains(&"44444444-dddd-4ddd-8ddd-000000000004"));
}

#[test]
fn raw_event_json_maps_to_the_fields_the_rule_reads() {
    let tmp = tempfile::tempdir().unwrap();
    let (docs, _) = scan(&[], tmp.path());
    let flat = docs
        .iter()
        .find(|d| d["host.name"] == "DC01.lab.local")
        .unwrap();
    assert_eq!(flat["user.id"], "S-1-5-21-77-500");
    assert_eq!(flat["file"]["name"], "inj.ps1");
    assert_eq!(flat["powershell"]["sequence"], 1);
    assert_eq!(
        flat["kibana.alert.reason"],
        "process event with file inj.ps1, on DC01.lab.local created medium alert Potential Process Injection via PowerShell."
    );
    let wlb = docs.iter().find(|d| d["host.name"] == "ws-lab-02").unwrap();
    assert_eq!(wlb["event"]["code"], "4104");
    assert_eq!(wlb["event"]["category"], "process");
    assert!(
        wlb.get("file").is_none(),
        "an empty Path gives no file fields"
    );
}
