//! The one pass (issue 11): a cold load evaluates the rules on the events it indexes. Its alerts
//! must be the bytes the index's candidates give on a warm load and the bytes of
//! `scan --stream`; what it hands on while loading must be exactly the final set; and a
//! cancelled load must leave nothing a later run takes for a complete index.

use pstriage::alert::Alert;
use pstriage::decode::Limits;
use pstriage::detect::DecodedPass;
use pstriage::output::{self, Format};
use pstriage::session::{self, LoadOptions};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Mutex;

#[path = "../../benches/common/corpus.rs"]
#[allow(dead_code)]
mod corpus;

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn ndjson(alerts: &[Alert], rules: &[pstriage::rule::Rule]) -> String {
    let mut out = Vec::new();
    output::write(&mut out, Format::Ndjson, alerts, rules).unwrap();
    String::from_utf8(out).unwrap()
}

/// A decoded pass as comparable text: its findings as ndjson, the logged-as links, the counts.
fn decoded_summary(pass: &DecodedPass, rules: &[pstriage::rule::Rule]) -> String {
    let mut links: Vec<String> = pass
        .decoded_from
        .keys()
        .map(|(host, id)| format!("{host}/{id}"))
        .collect();
    links.sort();
    format!(
        "{}links {links:?}\ntexts {} with layers {}\n",
        ndjson(&pass.findings, rules),
        pass.texts,
        pass.with_layers
    )
}

/// The alerts of a cold load (one pass), a warm load of the same index (candidates), and a
/// stream, as ndjson, and the alerts the cold load handed on while loading. The one pass also
/// decodes: its decoded pass must be the one made by reading the index again.
fn three_ways(
    paths: Vec<PathBuf>,
    rule_paths: Vec<PathBuf>,
    index: &Path,
) -> (String, String, String, Vec<Alert>, String) {
    let opts = LoadOptions {
        paths,
        rule_paths,
        index_dir: Some(index.to_path_buf()),
        ..Default::default()
    };
    let rules = session::load_rules(&opts).unwrap().rules;
    let heard = Mutex::new(Vec::new());
    let found = |a: &[Alert]| heard.lock().unwrap().extend_from_slice(a);
    let no = AtomicBool::new(false);
    let cold = session::open_and_detect(&opts, &rules, &mut |_| {}, Some(&found), &no).unwrap();
    assert!(!cold.ds.reused(), "the first load builds the index");
    drop(cold.ds);
    let warm = session::open_and_detect(&opts, &rules, &mut |_| {}, None, &no).unwrap();
    assert!(warm.ds.reused(), "the second load reuses it");
    let scripts = pstriage::detect::scripts(&warm.ds).unwrap();
    let from_index =
        pstriage::detect::decoded_pass(&warm.ds, &rules, &scripts, &Limits::default()).unwrap();
    let in_one_pass = decoded_summary(&cold.decoded.expect("the one pass decodes"), &rules);
    assert_eq!(
        in_one_pass,
        decoded_summary(&from_index, &rules),
        "the one pass's decoded pass against the index's"
    );
    let mut report = Default::default();
    let inputs = pstriage::ingest::collect_inputs(&opts.paths, &mut report);
    // Streamed with the documents spilled to a scratch file, as `scan --stream` does.
    let spill = std::sync::Arc::new(pstriage::event::Spill::new().expect("a scratch file"));
    let streamed =
        pstriage::detect::stream(&inputs, &rules, opts.analyzer, None, Some(&spill), &no).unwrap();
    assert!(
        streamed.alerts.is_empty() || !spill.is_empty(),
        "alert documents spilled"
    );
    (
        ndjson(&cold.alerts, &rules),
        ndjson(&warm.alerts, &rules),
        ndjson(&streamed.alerts, &rules),
        heard.into_inner().unwrap(),
        in_one_pass,
    )
}

/// Asserts the three ways agree; returns the decoded pass's summary.
fn assert_same_three_ways(
    paths: Vec<PathBuf>,
    rule_paths: Vec<PathBuf>,
    at_least: usize,
) -> String {
    let tmp = tempfile::tempdir().unwrap();
    let (cold, warm, stream, heard, decoded) =
        three_ways(paths, rule_paths, &tmp.path().join("idx"));
    assert!(
        cold.lines().count() >= at_least,
        "expected at least {at_least} alerts, got {}",
        cold.lines().count()
    );
    assert_eq!(cold, warm, "one pass against the index's candidates");
    assert_eq!(cold, stream, "one pass against scan --stream");
    // What the TUI hears while loading is every final alert, each once.
    let mut heard: Vec<String> = heard.into_iter().map(|a| a.id).collect();
    heard.sort();
    let mut ids: Vec<String> = cold
        .lines()
        .map(|l| {
            let v: serde_json::Value = serde_json::from_str(l).unwrap();
            v["pstriage.alert_id"].as_str().unwrap().to_owned()
        })
        .collect();
    ids.sort();
    assert_eq!(heard, ids);
    decoded
}

#[test]
fn one_pass_candidates_and_stream_agree_on_the_sample_and_fixtures() {
    let r = root();
    assert_same_three_ways(
        vec![
            r.join("sample-data"),
            r.join("tests/data/fragments"),
            r.join("tests/data/inputs"),
        ],
        Vec::new(),
        12,
    );
}

fn generated_corpus(dir: &Path, seed: u64, bytes: u64) -> PathBuf {
    let path = dir.join(format!("corpus-{seed}.ndjson"));
    let mut file = std::io::BufWriter::new(std::fs::File::create(&path).unwrap());
    corpus::write(&mut file, seed, bytes).unwrap();
    path
}

#[test]
fn one_pass_candidates_and_stream_agree_on_a_generated_corpus() {
    let tmp = tempfile::tempdir().unwrap();
    let path = generated_corpus(tmp.path(), 4104, 4 << 20);
    // The corpus's injection loaders and PSReflect blocks (about 1 % of its events).
    assert_same_three_ways(vec![path], Vec::new(), 10);
}

#[test]
fn one_pass_candidates_and_stream_agree_with_the_esql_rules_loaded() {
    let tmp = tempfile::tempdir().unwrap();
    let path = generated_corpus(tmp.path(), 11, 2 << 20);
    let rules = root().join("tests/data/esql/rules");
    // The obfuscated blocks make the ES|QL family fire well beyond the two bundled rules.
    assert_same_three_ways(vec![path], vec![rules], 40);
}

#[test]
fn the_one_pass_decodes_loaders_as_the_index_pass_does() {
    let tmp = tempfile::tempdir().unwrap();
    // Loaders whose payloads the rule finds only once decoded, and the payload logged again.
    let loaders = crate::decoded_findings::case(tmp.path());
    let decoded = assert_same_three_ways(vec![loaders, root().join("sample-data")], Vec::new(), 12);
    assert_eq!(
        decoded.matches("\"pstriage.kind\":\"decoded\"").count(),
        2,
        "both loaders' payloads fire the rule once decoded:\n{decoded}"
    );
    assert!(decoded.contains("links [\"wks-7/payload-1\"]"), "{decoded}");
}

#[test]
fn a_cancelled_load_leaves_no_index_a_later_run_trusts() {
    let tmp = tempfile::tempdir().unwrap();
    let first = generated_corpus(tmp.path(), 7, 1 << 20);
    let second = generated_corpus(tmp.path(), 8, 1 << 20);
    let opts = LoadOptions {
        paths: vec![first, second],
        index_dir: Some(tmp.path().join("idx")),
        ..Default::default()
    };
    let rules = session::load_rules(&opts).unwrap().rules;
    let cancel = AtomicBool::new(false);
    // A listener makes it the one pass, as in the TUI.
    let listener = |_: &[Alert]| {};
    // Cancelled as `q` does it, from outside the load, once the first file is in.
    let mut progress = |p: &pstriage::ingest::Progress| {
        if p.files_done == 1 {
            cancel.store(true, Ordering::Relaxed);
        }
    };
    let cancelled =
        session::open_and_detect(&opts, &rules, &mut progress, Some(&listener), &cancel);
    assert!(
        matches!(
            cancelled,
            Err(session::LoadError::Open(
                pstriage::index::OpenError::Ingest(pstriage::ingest::IngestError::Cancelled)
            ))
        ),
        "the load stops as cancelled"
    );
    assert!(
        !tmp.path().join("idx/manifest.json").exists(),
        "no manifest: nothing marks the partial index complete"
    );
    let no = AtomicBool::new(false);
    let again = session::open_and_detect(&opts, &rules, &mut |_| {}, Some(&listener), &no).unwrap();
    let (ds, alerts) = (again.ds, again.alerts);
    assert!(!ds.reused(), "the next run builds again");
    let (events, _) = crate::support::load(&opts.paths);
    assert_eq!(
        ds.num_events(),
        events.len() as u64,
        "every event, not a part"
    );
    let streamed = {
        let mut report = Default::default();
        let inputs = pstriage::ingest::collect_inputs(&opts.paths, &mut report);
        pstriage::detect::stream(&inputs, &rules, opts.analyzer, None, None, &no).unwrap()
    };
    assert_eq!(ndjson(&alerts, &rules), ndjson(&streamed.alerts, &rules));
}
