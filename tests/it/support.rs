//! Helpers shared by the integration tests.

use pstriage::event::Event;
use pstriage::ingest::{self, IngestReport};
use std::path::PathBuf;
use std::sync::atomic::AtomicBool;

/// Loads `paths` as the engine would, returning the events and everything reported (what
/// resolving the paths said, then what reading them said). A load with no readable input
/// returns no events and the reasons.
pub fn load(paths: &[PathBuf]) -> (Vec<Event>, IngestReport) {
    let mut report = IngestReport::default();
    let inputs = ingest::collect_inputs(paths, &mut report);
    let mut events = Vec::new();
    match ingest::ingest(
        &inputs,
        &mut |e| events.push(e),
        &mut |_| {},
        &AtomicBool::new(false),
    ) {
        Ok(r) => report.absorb(r),
        Err(ingest::IngestError::NoInput(d)) => report.diagnostics = d,
        Err(e) => panic!("{e}"),
    }
    (events, report)
}

/// `../shared/real-data` (public logs, read in place), or `None` after printing a `skipped:` line
/// when it is absent. Under CI (`CI=true`) it is always present, so its absence there panics:
/// a test that skipped in CI would pass while checking nothing.
pub fn real_data() -> Option<PathBuf> {
    let ci = std::env::var("CI").is_ok_and(|v| v == "true");
    data_set_or_skip(
        PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../shared/real-data"),
        ci,
    )
}

fn data_set_or_skip(dir: PathBuf, ci: bool) -> Option<PathBuf> {
    if dir.join("MANIFEST.tsv").is_file() {
        return Some(dir);
    }
    let why = format!(
        "{} is absent (no MANIFEST.tsv); it sits beside the checkout",
        dir.display()
    );
    if ci {
        panic!("CI=true but {why}");
    }
    println!("skipped: {why}");
    None
}

#[test]
fn absent_real_data_skips_locally_and_fails_under_ci() {
    let tmp = tempfile::tempdir().unwrap();
    let absent = tmp.path().join("real-data");
    assert_eq!(data_set_or_skip(absent.clone(), false), None);
    let ci = std::panic::catch_unwind(|| data_set_or_skip(absent.clone(), true));
    assert!(ci.is_err(), "under CI a missing data set fails the test");
    std::fs::create_dir(&absent).unwrap();
    std::fs::write(absent.join("MANIFEST.tsv"), "file\n").unwrap();
    assert_eq!(data_set_or_skip(absent.clone(), true), Some(absent));
}

/// The sample data and every input fixture, indexed with `analyzer` in `index_dir`, with every
/// event loaded back: what the engine-path and hunt tests compare the evaluator against.
pub fn fixture_dataset(
    analyzer: pstriage::analysis::Analyzer,
    index_dir: &std::path::Path,
) -> (
    pstriage::index::Dataset,
    Vec<(pstriage::index::EventAddr, Event)>,
) {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    let opts = pstriage::session::LoadOptions {
        paths: vec![root.join("sample-data"), root.join("tests/data/inputs")],
        analyzer,
        index_dir: Some(index_dir.to_path_buf()),
        ..Default::default()
    };
    let ds = pstriage::session::open_dataset(&opts, &mut |_| {}, &AtomicBool::new(false))
        .expect("the fixtures open");
    let events = ds
        .all_events()
        .unwrap()
        .into_iter()
        .map(|a| (a, ds.event(a).unwrap()))
        .collect();
    (ds, events)
}

/// The `pstriage` binary, set to speak English whatever the machine's locale (the tests read
/// its English output; `tests/it/i18n.rs` sets the language itself).
pub fn pstriage() -> std::process::Command {
    let mut cmd = std::process::Command::new(env!("CARGO_BIN_EXE_pstriage"));
    cmd.env_remove("LC_MESSAGES")
        .env_remove("LANG")
        .env("LC_ALL", "C.UTF-8");
    cmd
}

/// What a TUI frame of `w`×`h` shows, as text (one line per row).
pub fn screen(app: &pstriage::tui::app::App, w: u16, h: u16) -> String {
    let mut t = ratatui::Terminal::new(ratatui::backend::TestBackend::new(w, h)).unwrap();
    t.draw(|f| pstriage::tui::views::render(app, f)).unwrap();
    buffer_text(t.backend().buffer())
}

/// A buffer as the terminal shows it, one line per row: a double-width character (CJK) takes
/// its own cell and hides the next one, so that cell is not written out.
pub fn buffer_text(buf: &ratatui::buffer::Buffer) -> String {
    use unicode_width::UnicodeWidthStr;
    let mut s = String::new();
    for y in 0..buf.area.height {
        let mut hidden = 0;
        for x in 0..buf.area.width {
            if hidden > 0 {
                hidden -= 1;
                continue;
            }
            let symbol = buf[(x, y)].symbol();
            hidden = symbol.width().saturating_sub(1);
            s.push_str(symbol);
        }
        s.push('\n');
    }
    s
}

/// The JSON values of a JSON-lines file under `tests/data/` (blank lines skipped).
pub fn data_lines(relative: &str) -> Vec<serde_json::Value> {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/data")
        .join(relative);
    json_lines(&std::fs::read_to_string(&path).unwrap())
}

/// Every non-blank line of `text` parsed as JSON (ndjson output, fixtures).
pub fn json_lines(text: &str) -> Vec<serde_json::Value> {
    text.lines()
        .filter(|l| !l.trim().is_empty())
        .map(|l| serde_json::from_str(l).expect("every line is JSON"))
        .collect()
}

/// Runs the binary with `args`; asserts it succeeds and returns its ndjson output parsed.
pub fn run_ndjson(args: &[&std::ffi::OsStr]) -> Vec<serde_json::Value> {
    run_ndjson_said(args).0
}

/// `run_ndjson`, with what the run said on stderr.
pub fn run_ndjson_said(args: &[&std::ffi::OsStr]) -> (Vec<serde_json::Value>, String) {
    let out = pstriage().args(args).output().expect("runs");
    let said = String::from_utf8_lossy(&out.stderr).into_owned();
    assert!(out.status.success(), "{said}");
    (json_lines(&String::from_utf8_lossy(&out.stdout)), said)
}

/// A TUI app loaded on `paths` (index in `tmp`) at 120×40, and the dataset its hunts run on.
pub fn app_on(
    paths: Vec<PathBuf>,
    tmp: &std::path::Path,
) -> (pstriage::tui::app::App, pstriage::index::Dataset) {
    use pstriage::session::{self, LoadOptions};
    use pstriage::tui::app::{App, Msg};
    use std::sync::atomic::AtomicBool;
    let opts = LoadOptions {
        paths,
        index_dir: Some(tmp.join("idx")),
        ..LoadOptions::default()
    };
    let ws = session::load_workspace(&opts, &mut |_| {}, &AtomicBool::new(false)).unwrap();
    let ds = session::open_dataset(&opts, &mut |_| {}, &AtomicBool::new(false)).unwrap();
    let mut app = App::new(pstriage::triage::Book::default(), None, false);
    app.update(Msg::Resize(120, 40));
    app.update(Msg::Loaded(Box::new(ws)));
    (app, ds)
}

/// `app_on` the bundled sample, by a relative path so the screens are the same on every machine.
pub fn sample_app(tmp: &std::path::Path) -> (pstriage::tui::app::App, pstriage::index::Dataset) {
    app_on(vec![PathBuf::from("sample-data")], tmp)
}
