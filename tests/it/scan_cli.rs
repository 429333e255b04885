//! `pstriage scan` as a binary: the sample data's alerts (worked out by hand in
//! sample-data/EXPECTED.md), every output format, exit codes, and index reuse.

use std::path::{Path, PathBuf};
use std::process::Output;

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn pstriage(args: &[&str], index: &Path) -> Output {
    crate::support::pstriage()
        .args(args)
        .arg("--index")
        .arg(index)
        .current_dir(root())
        .output()
        .expect("runs")
}

fn alerts(out: &Output) -> Vec<serde_json::Value> {
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .map(|l| serde_json::from_str(l).expect("every ndjson line parses"))
        .collect()
}

fn key(a: &serde_json::Value) -> (String, String, String) {
    let s = |k: &str| a[k].as_str().unwrap_or_default().to_owned();
    (
        s("kibana.alert.original_time"),
        s("host.name"),
        s("kibana.alert.rule.name"),
    )
}

const INJ: &str = "Potential Process Injection via PowerShell";
const PSR: &str = "PowerShell PSReflect Script";

#[test]
fn sample_data_raises_the_hand_checked_alerts() {
    let tmp = tempfile::tempdir().unwrap();
    let out = pstriage(&["scan", "--format", "ndjson", "sample-data"], tmp.path());
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let got: Vec<_> = alerts(&out).iter().map(key).collect();
    let want: Vec<(String, String, String)> = [
        ("2024-05-20T10:09:01.500Z", "srv-file-01", INJ),
        ("2024-05-20T10:14:01.500Z", "srv-file-01", INJ),
        ("2024-05-21T14:05:50.010Z", "win10-01", PSR),
        ("2024-05-21T14:07:12.431Z", "win10-01", INJ),
        ("2024-05-21T17:55:02.000Z", "ws-fin-07", INJ),
        ("2024-05-22T02:13:55.007Z", "srv-db-02", INJ),
        ("2024-05-22T02:20:00.002Z", "srv-db-02", INJ),
        ("2024-05-22T09:41:03.088Z", "ws-fin-07", INJ),
        ("2024-05-22T09:44:18.250Z", "ws-fin-07", INJ),
        ("2024-05-22T09:44:18.250Z", "ws-fin-07", PSR),
        ("2024-05-22T15:45:00.000Z", "ws-dev-03", INJ),
    ]
    .iter()
    .map(|(t, h, r)| (t.to_string(), h.to_string(), r.to_string()))
    .collect();
    assert_eq!(got, want);
}

#[test]
fn alert_documents_carry_the_elastic_fields() {
    let tmp = tempfile::tempdir().unwrap();
    let out = pstriage(&["scan", "--format", "ndjson", "sample-data"], tmp.path());
    let docs = alerts(&out);
    let a = docs
        .iter()
        .find(|a| a["host.name"] == "win10-01" && a["kibana.alert.rule.name"] == INJ)
        .expect("the Invoke-Inject alert");
    assert_eq!(
        a["kibana.alert.rule.rule_id"],
        "2e29e96a-b67c-455a-afe4-de6183431d0d"
    );
    assert_eq!(a["kibana.alert.rule.version"], 110);
    assert_eq!(a["kibana.alert.severity"], "medium");
    assert_eq!(a["kibana.alert.risk_score"], 47);
    assert_eq!(a["kibana.alert.workflow_status"], "open");
    assert_eq!(
        a["kibana.alert.reason"],
        "process event with file Invoke-Inject.ps1, on win10-01 created medium alert Potential Process Injection via PowerShell."
    );
    assert_eq!(
        a["pstriage.matched_terms"],
        serde_json::json!([
            "VirtualAllocEx",
            "OpenProcess",
            "WriteProcessMemory",
            "CreateRemoteThread"
        ])
    );
    assert_eq!(a["kibana.alert.rule.threat"][0]["tactic"]["id"], "TA0005");
    assert!(a["pstriage.source.path"]
        .as_str()
        .unwrap()
        .ends_with(".ndjson"));
    assert!(a["pstriage.source.line"].as_u64().unwrap() >= 1);
    assert_eq!(a["pstriage.alert_id"].as_str().unwrap().len(), 32);
    assert!(a["user.id"].as_str().unwrap().starts_with("S-1-5-21-"));
    assert!(a["powershell.file.script_block_id"].is_string());
}

#[test]
fn standard_analyzer_changes_the_alert_set() {
    let tmp = tempfile::tempdir().unwrap();
    let out = pstriage(
        &[
            "scan",
            "--format",
            "ndjson",
            "--analyzer",
            "standard",
            "sample-data",
        ],
        tmp.path(),
    );
    let docs = alerts(&out);
    assert_eq!(docs.len(), 10, "see sample-data/EXPECTED.md");
    assert!(
        docs.iter().any(|a| a["host.name"] == "win10-02"),
        "Invoke-VirtualAlloc alerts under standard"
    );
}

#[test]
fn second_scan_reuses_the_index_and_ids_are_stable() {
    let tmp = tempfile::tempdir().unwrap();
    let first = pstriage(&["scan", "--format", "ndjson", "sample-data"], tmp.path());
    let second = pstriage(&["scan", "--format", "ndjson", "sample-data"], tmp.path());
    assert!(String::from_utf8_lossy(&first.stderr).contains("index built"));
    assert!(String::from_utf8_lossy(&second.stderr).contains("index reused"));
    let ids = |o: &Output| {
        alerts(o)
            .iter()
            .map(|a| a["pstriage.alert_id"].clone())
            .collect::<Vec<_>>()
    };
    assert_eq!(ids(&first), ids(&second));
}

#[test]
fn table_json_and_csv_formats() {
    let tmp = tempfile::tempdir().unwrap();
    let table = pstriage(&["scan", "sample-data"], tmp.path());
    let text = String::from_utf8_lossy(&table.stdout);
    assert!(text.starts_with("TIME"));
    assert_eq!(text.lines().count(), 12);
    let json = pstriage(&["scan", "--format", "json", "sample-data"], tmp.path());
    let arr: Vec<serde_json::Value> = serde_json::from_slice(&json.stdout).expect("json array");
    assert_eq!(arr.len(), 11);
    let csv = pstriage(&["scan", "--format", "csv", "sample-data"], tmp.path());
    let csv = String::from_utf8_lossy(&csv.stdout);
    assert!(
        csv.starts_with("time,host,user,rule,severity,risk_score,matched_terms,alert_id,source")
    );
    assert_eq!(csv.lines().count(), 12);
}

#[test]
fn fatal_errors_exit_2_and_bad_records_do_not() {
    let tmp = tempfile::tempdir().unwrap();
    let missing = pstriage(&["scan", "no/such/path.ndjson"], tmp.path());
    assert_eq!(missing.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&missing.stderr).contains("no/such/path.ndjson"));

    let rules = tmp.path().join("bad.toml");
    std::fs::write(&rules, "[rule]\nname='Broken'\nrule_id='x'\nseverity='low'\nrisk_score=1\ntype='query'\nlanguage='kuery'\nquery='a:(b'\n").unwrap();
    let bad_rule = pstriage(
        &["scan", "--rules", rules.to_str().unwrap(), "sample-data"],
        &tmp.path().join("i2"),
    );
    assert_eq!(bad_rule.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&bad_rule.stderr).contains("query:1:"));

    let bad_args = pstriage(
        &["scan", "--analyzer", "whitespace", "sample-data"],
        &tmp.path().join("i3"),
    );
    assert_eq!(bad_args.status.code(), Some(2));

    let mixed = pstriage(
        &["scan", "tests/data/inputs/mixed.ndjson"],
        &tmp.path().join("i4"),
    );
    assert_eq!(mixed.status.code(), Some(0));
    let err = String::from_utf8_lossy(&mixed.stderr);
    assert!(err.contains("mixed.ndjson:4: invalid JSON"), "{err}");
    assert!(
        err.contains("loaded 4 records") && err.contains("skipped 5"),
        "{err}"
    );
}

#[test]
fn an_eql_rule_is_reported_as_skipped_by_name() {
    let tmp = tempfile::tempdir().unwrap();
    let rules = tmp.path().join("eql.toml");
    std::fs::write(&rules, "[rule]\nname='Some EQL Rule'\nrule_id='y'\nseverity='low'\nrisk_score=1\ntype='eql'\nlanguage='eql'\nquery='process where true'\n").unwrap();
    let out = pstriage(
        &["scan", "--rules", rules.to_str().unwrap(), "sample-data"],
        &tmp.path().join("idx"),
    );
    assert!(out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("rule 'Some EQL Rule'"));
}

#[test]
fn no_public_real_world_export_raises_the_seed_rule() {
    let Some(data) = crate::support::real_data() else {
        return;
    };
    let real = data.join("json");
    assert!(
        real.is_dir(),
        "{} is missing from the data set",
        real.display()
    );
    let tmp = tempfile::tempdir().unwrap();
    let out = pstriage(
        &["scan", "--format", "ndjson", real.to_str().unwrap()],
        tmp.path(),
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let seed: Vec<_> = alerts(&out)
        .into_iter()
        .filter(|a| a["kibana.alert.rule.name"] == INJ)
        .collect();
    assert!(
        seed.is_empty(),
        "the real-data README says no file triggers the seed rule: {seed:?}"
    );
}

#[test]
fn streaming_gives_the_same_alerts_byte_for_byte() {
    let tmp = tempfile::tempdir().unwrap();
    let inputs = ["sample-data", "tests/data/fragments", "tests/data/inputs"];
    let mut indexed = vec!["scan", "--format", "ndjson"];
    indexed.extend(inputs);
    let mut streamed = vec!["scan", "--stream", "--format", "ndjson"];
    streamed.extend(inputs);
    let a = pstriage(&indexed, &tmp.path().join("a"));
    let b = pstriage(&streamed, &tmp.path().join("b"));
    assert!(a.status.success() && b.status.success());
    assert!(!a.stdout.is_empty());
    assert_eq!(
        String::from_utf8_lossy(&a.stdout),
        String::from_utf8_lossy(&b.stdout)
    );
    assert!(String::from_utf8_lossy(&b.stderr).contains("streamed (no index)"));
    assert!(!tmp.path().join("b").exists(), "--stream builds no index");
}

/// The streaming scan keeps its alerts' events in a scratch file in the temporary directory;
/// without one it keeps them in memory, says so, and prints the same alerts.
#[test]
fn streaming_without_a_scratch_file_says_so_and_gives_the_same_alerts() {
    let tmp = tempfile::tempdir().unwrap();
    let args = [
        "scan",
        "--stream",
        "--format",
        "ndjson",
        "sample-data",
        "tests/data/fragments",
    ];
    let with = pstriage(&args, &tmp.path().join("a"));
    let without = crate::support::pstriage()
        .args(args)
        .env("TMPDIR", tmp.path().join("no-such-directory"))
        .current_dir(root())
        .output()
        .expect("runs");
    assert!(with.status.success() && without.status.success());
    assert!(!with.stdout.is_empty());
    assert_eq!(
        String::from_utf8_lossy(&with.stdout),
        String::from_utf8_lossy(&without.stdout)
    );
    let said = String::from_utf8_lossy(&without.stderr);
    assert!(
        said.contains("no scratch file for the alerts' documents")
            && said.contains("kept in memory"),
        "{said}"
    );
    assert!(!String::from_utf8_lossy(&with.stderr).contains("no scratch file"));
}

#[test]
fn a_burst_over_max_signals_is_flagged_but_fully_listed() {
    let tmp = tempfile::tempdir().unwrap();
    let path = tmp.path().join("burst.ndjson");
    let mut text = String::new();
    for i in 0..350 {
        // 350 injections between 10:51:30 and 10:51:31: the 10:55 and 11:00 runs see them.
        text.push_str(&format!(
            "{{\"@timestamp\":\"2024-05-21T10:51:30.{:03}Z\",\"event\":{{\"category\":\"process\"}},\"host\":{{\"name\":\"h{i}\",\"os\":{{\"type\":\"windows\"}}}},\"powershell\":{{\"file\":{{\"script_block_text\":\"[K]::OpenProcess({i}); [K]::CreateRemoteThread(0)\"}}}}}}\n",
            i % 1000
        ));
    }
    std::fs::write(&path, text).unwrap();
    let out = pstriage(
        &["scan", "--format", "ndjson", path.to_str().unwrap()],
        &tmp.path().join("idx"),
    );
    assert!(out.status.success());
    assert_eq!(alerts(&out).len(), 350);
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("350 matches, but Elastic would have raised only 200 of them"),
        "{err}"
    );
}

#[test]
fn rules_glossary_prints_every_bundled_name_with_its_technique() {
    let out = crate::support::pstriage()
        .args(["rules", "--glossary"])
        .output()
        .unwrap();
    assert!(out.status.success());
    let text = String::from_utf8_lossy(&out.stdout);
    assert_eq!(text.matches("\n### ").count(), 28, "19 + 9 names:\n{text}");
    assert!(text.contains("### GetDelegateForFunctionPointer"), "{text}");
    assert!(text.contains("group: PSReflect"), "{text}");
}

/// `--threads` only changes how the work is spread: the stream, the indexed scan and the
/// decoded findings are the same bytes on one thread as on three (and on the default). The
/// inputs mix NDJSON (parsed on workers), whole documents, gzip and, when the real-data set sits
/// beside the checkout, EVTX (the evtx crate's own threads).
#[test]
fn the_thread_count_changes_no_byte_of_the_output() {
    let mut inputs = vec![root().join("sample-data"), root().join("tests/data/inputs")];
    if let Some(real) = crate::support::real_data() {
        inputs.push(real.join("evtx/deepbluecli/Powershell-Invoke-Obfuscation-string-menu.evtx"));
        inputs.push(real.join(
            "evtx/evtx-attack-samples/Credential Access/phish_windows_credentials_powershell_scriptblockLog_4104.evtx",
        ));
    }
    let tmp = tempfile::tempdir().unwrap();
    for mode in [&["--stream"][..], &[][..], &["--stream", "--decoded"][..]] {
        let mut outputs = Vec::new();
        for threads in [None, Some("1"), Some("3")] {
            let index =
                tmp.path()
                    .join(format!("idx-{}-{}", mode.join(""), threads.unwrap_or("d")));
            let mut args = vec!["scan", "--format", "ndjson"];
            args.extend(mode);
            if let Some(n) = threads {
                args.extend(["--threads", n]);
            }
            args.extend(inputs.iter().map(|p| p.to_str().expect("UTF-8 paths")));
            let out = pstriage(&args, &index);
            assert!(
                out.status.success(),
                "{}",
                String::from_utf8_lossy(&out.stderr)
            );
            assert!(!out.stdout.is_empty(), "{mode:?} found alerts");
            outputs.push(out.stdout);
        }
        assert_eq!(outputs[0], outputs[1], "{mode:?}: default and --threads 1");
        assert_eq!(outputs[0], outputs[2], "{mode:?}: default and --threads 3");
    }
}
