//! Findings on decoded layers (`scan --decoded`, the TUI's second phase and Decoded tab): a
//! loader whose logged text holds no rule term, but whose `-EncodedCommand` or gzip payload does,
//! gives a `decoded` finding linked to the block PowerShell logged when it ran the payload; the
//! Decoded tab shows the layers, the rule terms marked and both links. Without `--decoded`,
//! `scan` stays Elastic-exact.

use crate::decode::{b64, gzip, gzip_loader, utf16le};
use crate::support::screen;
use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use pstriage::session::{self, LoadOptions};
use pstriage::triage::Book;
use pstriage::tui::app::{App, Msg};
use std::path::{Path, PathBuf};
use std::sync::atomic::AtomicBool;

/// The payload: both groups of the injection rule, so Elastic alerts on it where it is logged.
const PAYLOAD: &str =
    "$k = [K32]::VirtualAlloc(0, 4096, 0x3000, 0x40)\n[K32]::CreateThread(0, 0, $k, 0, 0, 0)";

fn doc(t: &str, id: &str, text: &str) -> String {
    serde_json::json!({
        "@timestamp": t,
        "event": {"category": "process", "code": "4104"},
        "host": {"name": "wks-7", "os": {"type": "windows"}},
        "user": {"id": "S-1-5-21-1-2-3-1001"},
        "powershell": {"file": {"script_block_id": id, "script_block_text": text}, "sequence": 1, "total": 1},
    })
    .to_string()
}

/// A loader (`-EncodedCommand`) at 10:00, the payload it ran logged at 10:00:01, and a gzip
/// loader at 11:00 whose payload was never logged.
pub fn case(dir: &Path) -> PathBuf {
    let enc = format!("powershell.exe -NoProfile -enc {}", b64(&utf16le(PAYLOAD)));
    let lines = [
        doc("2024-06-01T10:00:00Z", "loader-1", &enc),
        doc("2024-06-01T10:00:01Z", "payload-1", PAYLOAD),
        doc(
            "2024-06-01T11:00:00Z",
            "loader-2",
            &gzip_loader(&gzip(PAYLOAD.as_bytes())),
        ),
    ];
    let p = dir.join("loaders.ndjson");
    std::fs::write(&p, lines.join("\n") + "\n").unwrap();
    p
}

/// `pstriage scan --format ndjson` over `inputs` with `args`; it must succeed.
fn run_scan(args: &[&str], inputs: &[PathBuf], index: &Path) -> std::process::Output {
    let out = crate::support::pstriage()
        .args(["scan", "--format", "ndjson", "--index"])
        .arg(index)
        .args(args)
        .args(inputs)
        .output()
        .unwrap();
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    out
}

fn scan(args: &[&str], dir: &Path) -> Vec<serde_json::Value> {
    let out = run_scan(args, &[case(dir)], &dir.join("idx"));
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect()
}

fn id(a: &serde_json::Value) -> &str {
    a["powershell"]["file"]["script_block_id"]
        .as_str()
        .unwrap_or("")
}

#[test]
fn decoded_findings_name_their_layers_and_what_the_payload_was_logged_as() {
    let tmp = tempfile::tempdir().unwrap();
    // Elastic-exact: only the logged payload alerts.
    let plain = scan(&[], tmp.path());
    assert_eq!(plain.len(), 1);
    assert_eq!(id(&plain[0]), "payload-1");
    assert_eq!(plain[0]["pstriage.kind"], "elastic");

    let all = scan(&["--decoded"], tmp.path());
    assert_eq!(all.len(), 3, "{all:#?}");
    let decoded: Vec<_> = all
        .iter()
        .filter(|a| a["pstriage.kind"] == "decoded")
        .collect();
    assert_eq!(decoded.len(), 2);
    let enc = decoded
        .iter()
        .find(|a| id(a) == "loader-1")
        .expect("the -enc loader");
    assert_eq!(
        enc["pstriage.decoded.layers"],
        serde_json::json!(["encoded-command"])
    );
    assert_eq!(enc["pstriage.decoded.logged_as"], "payload-1");
    assert_eq!(
        enc["kibana.alert.rule.name"],
        "Potential Process Injection via PowerShell"
    );
    // The finding reads the decoded text, and keeps the loader's place in the export.
    assert_eq!(enc["powershell"]["file"]["script_block_text"], PAYLOAD);
    assert_eq!(enc["pstriage.source.line"], 1);
    let gz = decoded
        .iter()
        .find(|a| id(a) == "loader-2")
        .expect("the gzip loader");
    let layers: Vec<&str> = gz["pstriage.decoded.layers"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_str().unwrap())
        .collect();
    assert_eq!(layers.last(), Some(&"gzip"), "{layers:?}");
    // Same host, same text as the logged payload: linked too.
    assert_eq!(gz["pstriage.decoded.logged_as"], "payload-1");
    // Findings are sorted with the alerts: by time.
    let times: Vec<&str> = all
        .iter()
        .map(|a| a["@timestamp"].as_str().unwrap())
        .collect();
    assert!(times.windows(2).all(|w| w[0] <= w[1]), "{times:?}");
}

/// A loader logged in two fragments, its `-enc` argument cut between them: only the
/// reassembled script decodes.
fn split_loader(dir: &Path) -> PathBuf {
    let enc = format!("powershell.exe -enc {}", b64(&utf16le(PAYLOAD)));
    let (first, second) = enc.split_at(enc.len() / 2);
    let fragment = |seq: u64, text: &str| {
        serde_json::json!({
            "@timestamp": "2024-06-01T12:00:00Z",
            "event": {"category": "process", "code": "4104"},
            "host": {"name": "wks-9", "os": {"type": "windows"}},
            "powershell": {"file": {"script_block_id": "split-1", "script_block_text": text}, "sequence": seq, "total": 2},
        })
        .to_string()
    };
    let p = dir.join("split-loader.ndjson");
    std::fs::write(
        &p,
        format!("{}\n{}\n", fragment(2, second), fragment(1, first)),
    )
    .unwrap();
    p
}

#[test]
fn streaming_gives_the_same_decoded_findings_byte_for_byte() {
    let tmp = tempfile::tempdir().unwrap();
    let inputs = [
        case(tmp.path()),
        split_loader(tmp.path()),
        PathBuf::from("sample-data"),
        PathBuf::from("tests/data/fragments"),
        PathBuf::from("tests/data/inputs"),
    ];
    let index = tmp.path().join("idx");
    let run = |extra: &[&str]| run_scan(&[&["--decoded"], extra].concat(), &inputs, &index);
    let indexed = run(&[]);
    let streamed = run(&["--stream"]);
    let text = String::from_utf8_lossy(&indexed.stdout);
    assert_eq!(text, String::from_utf8_lossy(&streamed.stdout));
    let decoded: Vec<serde_json::Value> = text
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .filter(|a: &serde_json::Value| a["pstriage.kind"] == "decoded")
        .collect();
    let ids: Vec<&str> = decoded.iter().map(id).collect();
    assert!(
        ids.contains(&"loader-1") && ids.contains(&"loader-2"),
        "{ids:?}"
    );
    assert!(
        ids.contains(&"split-1"),
        "the reassembled loader decodes: {ids:?}"
    );
    // The summary line says the same in both modes.
    let summary = |o: &std::process::Output| {
        String::from_utf8_lossy(&o.stderr)
            .lines()
            .find(|l| l.contains("decoded:"))
            .map(str::to_owned)
    };
    assert!(summary(&indexed).is_some());
    assert_eq!(summary(&indexed), summary(&streamed));
}

#[test]
fn the_decoded_tab_shows_layers_marks_and_both_links() {
    let tmp = tempfile::tempdir().unwrap();
    let opts = LoadOptions {
        paths: vec![case(tmp.path())],
        index_dir: Some(tmp.path().join("idx")),
        ..LoadOptions::default()
    };
    // As the TUI loads: first phase, second phase, then the decoded pass.
    let (ws, ds) = session::load_first_phase(&opts, &mut |_| {}, &AtomicBool::new(false)).unwrap();
    let phase = ws.second_phase();
    let mut app = App::new(Book::default(), None, false);
    app.update(Msg::Resize(120, 40));
    app.update(Msg::Loaded(Box::new(ws)));
    let second = phase.run(&ds).unwrap();
    let decoded = phase.decode(&ds, &second.scripts).unwrap();
    app.update(Msg::SecondPhase(Box::new(second)));
    let kinds = |app: &App| -> Vec<&'static str> {
        let ws = app.workspace().unwrap();
        app.list
            .rows
            .iter()
            .map(|&i| ws.alerts[i].kind.name())
            .collect()
    };
    assert_eq!(kinds(&app), ["elastic"]);
    app.update(Msg::Decoded(Box::new(decoded)));
    // The decoded pass added the two findings around the Elastic alert, which stays selected.
    assert_eq!(kinds(&app), ["decoded", "elastic", "decoded"]);
    assert_eq!(app.list.selected, 1);
    app.update(Msg::Key(
        KeyEvent::new(KeyCode::Char('g'), KeyModifiers::NONE),
        0,
    ));
    let key = |c| Msg::Key(KeyEvent::new(KeyCode::Char(c), KeyModifiers::NONE), 0);
    // The loader's finding, Decoded tab.
    app.update(key('6'));
    let d = app
        .detail
        .decoded
        .as_ref()
        .expect("made when the tab opens");
    assert_eq!(d.layers.len(), 1);
    assert_eq!(d.layers[0].kind, "encoded-command");
    assert_eq!(d.layers[0].logged_as.as_deref(), Some("payload-1"));
    let s = screen(&app, 120, 40);
    assert!(s.contains("[decoded]"), "{s}");
    assert!(s.contains("encoded-command"), "{s}");
    assert!(s.contains("logged as payload-1"), "{s}");
    assert!(s.contains("VirtualAlloc(0, 4096"), "{s}");
    // The payload's own alert: decoded from the loader.
    app.update(key('j'));
    let d = app.detail.decoded.as_ref().unwrap();
    assert_eq!(
        d.decoded_from.as_deref(),
        Some("loader-1 (encoded-command)")
    );
    let s = screen(&app, 120, 40);
    assert!(s.contains("decoded from loader-1"), "{s}");
    assert!(!s.contains('\u{1b}'));
}

/// Invoke-Obfuscation output from public logs (`../shared/real-data`): every script block that
/// visibly carries a base64 literal handed to `FromBase64String`, or a `[char[]]` code list,
/// decodes to at least one layer of that kind. Prints the tally per layer kind.
#[test]
fn real_obfuscated_scripts_decode() {
    let Some(root) = crate::support::real_data() else {
        return;
    };
    let files = [
        "evtx/deepbluecli/Powershell-Invoke-Obfuscation-encoding-menu.evtx",
        "evtx/deepbluecli/Powershell-Invoke-Obfuscation-many.evtx",
        "evtx/deepbluecli/Powershell-Invoke-Obfuscation-string-menu.evtx",
        "evtx/revoke-obfuscation/demo.evtx",
    ];
    let paths: Vec<PathBuf> = files.iter().map(|f| root.join(f)).collect();
    let (events, _) = crate::support::load(&paths);
    let mut tally: std::collections::BTreeMap<&str, usize> = Default::default();
    let (mut texts, mut with_layers, mut base64_blocks, mut char_blocks) = (0, 0, 0, 0);
    for e in &events {
        let f = pstriage::ecs::Fields::of_lenient(&e.doc);
        let Some(text) = f.first(pstriage::ecs::names::SCRIPT_BLOCK_TEXT) else {
            continue;
        };
        texts += 1;
        let tree = pstriage::decode::decode(&text, &pstriage::decode::Limits::default());
        with_layers += usize::from(!tree.layers.is_empty());
        for l in &tree.layers {
            *tally.entry(l.kind.name()).or_default() += 1;
        }
        let kinds: Vec<&str> = tree.layers.iter().map(|l| l.kind.name()).collect();
        // Read here without the decoder: a FromBase64String call on a quoted literal of 40+
        // base64 characters.
        let lower = text.to_lowercase();
        if let Some(at) = lower.find("frombase64string(") {
            let rest = &text[at + "frombase64string(".len()..];
            let rest = rest.trim_start_matches(['(', ' ', '\'', '"']);
            let run = rest
                .chars()
                .take_while(|c| c.is_ascii_alphanumeric() || matches!(c, '+' | '/' | '='))
                .count();
            if run >= 40 {
                base64_blocks += 1;
                assert!(
                    kinds.iter().any(|k| k.starts_with("base64")),
                    "a FromBase64String literal of {run} chars gave {kinds:?}:\n{}",
                    text.chars().take(300).collect::<String>()
                );
            }
        }
        // `[char]N + [char]N + [char]N…`: three codes joined by `+`, found here by hand.
        if char_chain(&lower) {
            char_blocks += 1;
            assert!(
                kinds.contains(&"char-codes"),
                "a [char] chain gave {kinds:?}:\n{}",
                text.chars().take(300).collect::<String>()
            );
        }
    }
    println!(
        "real obfuscated scripts: {texts} script texts, {with_layers} with layers; \
         {base64_blocks} FromBase64String literals, {char_blocks} [char] chains; layers by kind: {tally:?}"
    );
    // The manifest's counts of 4104 events in these files (66 + 302 + 4 + 31).
    assert_eq!(texts, 403);
    assert!(char_blocks > 0, "the fixtures hold [char] chains");
}

/// Whether `lower` holds `[char]N`, then `+ [char]N` twice more (spaces allowed around `+`).
fn char_chain(lower: &str) -> bool {
    let mut at = 0;
    while let Some(i) = lower[at..].find("[char]") {
        let mut rest = &lower[at + i..];
        let mut joined = 0;
        while let Some(after) = rest.strip_prefix("[char]") {
            let digits = after.chars().take_while(char::is_ascii_digit).count();
            if digits == 0 {
                break;
            }
            joined += 1;
            let tail = after[digits..].trim_start();
            match tail.strip_prefix('+') {
                Some(next) => rest = next.trim_start(),
                None => break,
            }
        }
        if joined >= 3 {
            return true;
        }
        at += i + "[char]".len();
    }
    false
}
