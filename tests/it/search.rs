//! Hunting (`hunt`, `pstriage search`): over every fixture and both analyzers, a hunt returns
//! exactly the events the evaluator accepts, in time order; the command's formats, counts, exit
//! codes and saved searches. Expected counts of the CLI checks are worked out from the raw JSON
//! in the test itself, not from the engine.

use pstriage::analysis::Analyzer;
use pstriage::ecs::Fields;
use pstriage::hunt::{self, Hunt};
use pstriage::rule::kql::{evaluate, parse};
use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::process::Output;

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// A dozen query shapes: term, phrase, and/or/not, wildcard, keyword, bare value (every field),
/// date range, numeric range, existence, grouping on one field.
const HUNTS: &[&str] = &[
    "powershell.file.script_block_text:(VirtualAlloc and CreateThread)",
    "host.name:win10-01 and powershell.file.script_block_text:\"Invoke-Mimikatz\"",
    "user.id:\"S-1-5-18\"",
    "@timestamp >= \"2024-05-21\" and @timestamp < \"2024-05-21T12:00:00Z\"",
    "powershell.file.script_block_text:Invoke-*",
    "VirtualAlloc",
    "\"Reflection.Emit\"",
    "not powershell.file.script_block_text:*",
    "powershell.file.script_block_id:* and not powershell.total:1",
    "host.name:(srv-db-02 or ws-fin-07) and powershell.file.script_block_text:(OpenProcess or GetProcAddress)",
    "powershell.sequence >= 2",
    "event.code:4104 and not (host.name:win10-01 or user.id:S-1-5-18)",
    "",
];

fn check(analyzer: Analyzer) {
    let tmp = tempfile::tempdir().unwrap();
    let (ds, events) = crate::support::fixture_dataset(analyzer, &tmp.path().join("idx"));
    let mut non_empty = 0;
    for q in HUNTS {
        let expr = parse(q).unwrap();
        let by_evaluator: BTreeSet<_> = events
            .iter()
            .filter(|(_, e)| evaluate(&expr, &Fields::of_lenient(&e.doc), analyzer).held)
            .map(|(a, _)| *a)
            .collect();
        let hunt = Hunt::parse(q).unwrap();
        let results = hunt::run(&ds, &hunt, None).unwrap();
        let found: BTreeSet<_> = results.found.iter().map(|f| f.addr).collect();
        assert_eq!(found, by_evaluator, "{analyzer}: hunt differs on {q:?}");
        assert_eq!(
            results.total,
            by_evaluator.len(),
            "{analyzer}: total of {q:?}"
        );
        assert_eq!(hunt::count(&ds, &hunt).unwrap(), results.total, "{q:?}");
        // Time order, then reading order.
        let keys: Vec<_> = results
            .found
            .iter()
            .map(|f| (f.time_ms, f.event.source.ord))
            .collect();
        assert!(keys.windows(2).all(|w| w[0] <= w[1]), "{q:?} out of order");
        // A limit keeps the earliest, and still counts them all.
        let first = hunt::run(&ds, &hunt, Some(2)).unwrap();
        assert_eq!(first.total, results.total);
        let want: Vec<_> = results.found.iter().take(2).map(|f| f.addr).collect();
        let got: Vec<_> = first.found.iter().map(|f| f.addr).collect();
        assert_eq!(got, want, "{q:?} with a limit");
        non_empty += usize::from(!by_evaluator.is_empty());
    }
    assert!(non_empty >= 10, "only {non_empty} queries matched anything");
}

#[test]
fn a_hunt_equals_the_evaluator_pattern() {
    check(Analyzer::Pattern);
}

#[test]
fn a_hunt_equals_the_evaluator_standard() {
    check(Analyzer::Standard);
}

fn pstriage(args: &[&str], dir: &Path) -> Output {
    crate::support::pstriage()
        .args(args)
        .arg("--index")
        .arg(dir.join("idx"))
        .env("XDG_DATA_HOME", dir.join("data"))
        .env("XDG_CACHE_HOME", dir.join("cache"))
        .current_dir(root())
        .output()
        .expect("runs")
}

fn sample() -> String {
    root()
        .join("sample-data/winlogbeat-powershell-2024.05.20-22.ndjson")
        .display()
        .to_string()
}

/// The sample's documents, read here without the engine.
fn sample_docs() -> Vec<serde_json::Value> {
    std::fs::read_to_string(sample())
        .unwrap()
        .lines()
        .filter(|l| !l.trim().is_empty())
        .map(|l| serde_json::from_str(l).unwrap())
        .collect()
}

#[test]
fn count_and_ndjson_agree_with_the_raw_documents() {
    let tmp = tempfile::tempdir().unwrap();
    let on_host = sample_docs()
        .iter()
        .filter(|d| d["host"]["name"] == "win10-01")
        .count();
    assert!(on_host > 5);
    let out = pstriage(
        &["search", "--count", "host.name:win10-01", &sample()],
        tmp.path(),
    );
    assert_eq!(out.status.code(), Some(0));
    assert_eq!(
        String::from_utf8_lossy(&out.stdout).trim(),
        on_host.to_string()
    );

    let out = pstriage(
        &[
            "search",
            "--format",
            "ndjson",
            "host.name:win10-01",
            &sample(),
        ],
        tmp.path(),
    );
    let lines: Vec<serde_json::Value> = String::from_utf8_lossy(&out.stdout)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(lines.len(), on_host);
    let mut last = String::new();
    for doc in &lines {
        assert_eq!(doc["host"]["name"], "win10-01");
        assert!(doc["pstriage.source.path"]
            .as_str()
            .unwrap()
            .ends_with(".ndjson"));
        assert!(doc["pstriage.source.line"].as_u64().unwrap() >= 1);
        assert!(!doc["pstriage.event_id"].as_str().unwrap().is_empty());
        let t = doc["@timestamp"].as_str().unwrap().to_owned();
        assert!(t >= last, "time order");
        last = t;
    }
    // The line number points at the document it came from.
    let text = std::fs::read_to_string(sample()).unwrap();
    let line = lines[0]["pstriage.source.line"].as_u64().unwrap() as usize;
    let raw: serde_json::Value = serde_json::from_str(text.lines().nth(line - 1).unwrap()).unwrap();
    assert_eq!(raw["@timestamp"], lines[0]["@timestamp"]);
}

#[test]
fn no_match_is_success_and_a_bad_query_exits_2_with_its_column() {
    let tmp = tempfile::tempdir().unwrap();
    let out = pstriage(&["search", "host.name:nowhere", &sample()], tmp.path());
    assert_eq!(out.status.code(), Some(0));
    assert!(String::from_utf8_lossy(&out.stdout).contains("(no matching events)"));
    let out = pstriage(&["search", "host.name:(a or", &sample()], tmp.path());
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("query:1:"), "{err}");
}

#[test]
fn table_and_csv_show_time_host_and_the_term_in_context() {
    let tmp = tempfile::tempdir().unwrap();
    let q = "powershell.file.script_block_text:(VirtualAlloc and CreateThread)";
    let out = pstriage(&["search", q, &sample()], tmp.path());
    let table = String::from_utf8_lossy(&out.stdout);
    let rows: Vec<&str> = table.lines().collect();
    assert!(rows[0].starts_with("TIME"), "{table}");
    assert!(rows.len() > 1);
    for r in &rows[1..] {
        assert!(
            r.contains('«') && r.contains('»'),
            "term marked in context: {r}"
        );
    }
    let out = pstriage(&["search", "--format", "csv", q, &sample()], tmp.path());
    let csv = String::from_utf8_lossy(&out.stdout);
    assert!(csv.starts_with("time,host,user,script_block_id,part,context,event_id,source"));
    assert_eq!(csv.lines().count(), rows.len());
}

#[test]
fn a_saved_search_runs_by_name_and_lives_beside_triage() {
    let tmp = tempfile::tempdir().unwrap();
    let case = tmp.path().join("case");
    let case = case.to_str().unwrap();
    let out = pstriage(
        &[
            "search",
            "--case",
            case,
            "--save",
            "srv",
            "--count",
            "host.name:srv-db-02",
            &sample(),
        ],
        tmp.path(),
    );
    assert_eq!(out.status.code(), Some(0));
    let saved: serde_json::Value =
        serde_json::from_slice(&std::fs::read(tmp.path().join("case/searches.json")).unwrap())
            .unwrap();
    assert_eq!(saved["searches"][0]["query"], "host.name:srv-db-02");
    let again = pstriage(
        &[
            "search",
            "--case",
            case,
            "--saved",
            "srv",
            "--count",
            &sample(),
        ],
        tmp.path(),
    );
    assert_eq!(again.status.code(), Some(0));
    assert_eq!(again.stdout, out.stdout);
    let missing = pstriage(
        &["search", "--case", case, "--saved", "nope", &sample()],
        tmp.path(),
    );
    assert_eq!(missing.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&missing.stderr).contains("saved: srv"));
}

/// Elasticsearch keeps a document whose string holds a lone surrogate escape (Lucene indexes it
/// as U+FFFD), so its alert is raised; so must we, in NDJSON and in a JSON array.
#[test]
fn a_lone_surrogate_escape_does_not_hide_an_alert() {
    let tmp = tempfile::tempdir().unwrap();
    let doc = r#"{"@timestamp":"2024-05-20T10:00:00Z","event":{"code":"4104","category":"process"},"host":{"name":"h1","os":{"type":"windows"}},"powershell":{"file":{"script_block_text":"[K32]::VirtualAlloc(0) \ud800 [K32]::CreateThread(0)"}}}"#;
    let nd = tmp.path().join("lone.ndjson");
    std::fs::write(&nd, format!("{doc}\n")).unwrap();
    let arr = tmp.path().join("lone-array.json");
    std::fs::write(&arr, format!("[{doc}, {doc}]")).unwrap();
    for (path, n) in [(&nd, 1), (&arr, 2)] {
        let out = pstriage(
            &["scan", "--format", "ndjson", path.to_str().unwrap()],
            tmp.path(),
        );
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(0), "{err}");
        let alerts: Vec<serde_json::Value> = String::from_utf8_lossy(&out.stdout)
            .lines()
            .map(|l| serde_json::from_str(l).unwrap())
            .collect();
        assert_eq!(alerts.len(), n, "{}: {err}", path.display());
        assert_eq!(
            alerts[0]["kibana.alert.rule.name"],
            "Potential Process Injection via PowerShell"
        );
        let text = alerts[0]["powershell"]["file"]["script_block_text"]
            .as_str()
            .unwrap();
        assert!(text.contains('\u{FFFD}'), "{text}");
    }
}

/// A fatal error keeps its own line breaks (one `pstriage:` line each), while log text inside
/// it stays escaped.
#[test]
fn a_fatal_error_prints_its_lines_not_escaped_line_breaks() {
    let tmp = tempfile::tempdir().unwrap();
    let out = pstriage(&["scan", "/nonexistent/exports"], tmp.path());
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(!err.contains('\u{240A}'), "no ␊ in: {err}");
    let lines: Vec<&str> = err.lines().collect();
    assert!(lines.len() >= 2, "{err}");
    assert!(lines.iter().all(|l| l.starts_with("pstriage: ")), "{err}");
    assert!(
        lines.iter().any(|l| l.contains("/nonexistent/exports")),
        "{err}"
    );
}
