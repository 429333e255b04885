//! Log text never reaches the terminal raw: escape sequences (CSI, OSC 52, OSC 8, DCS), C0/C1
//! controls, BEL, backspace and carriage-return tricks, bidi overrides and isolates, zero-width
//! characters — in every TUI screen and in `scan --format table` and `csv`.

use pstriage::safe_text::is_unsafe;
use pstriage::session::{self, LoadOptions};
use pstriage::triage::Book;
use pstriage::tui::app::{App, Msg};
use pstriage::tui::views;
use ratatui::backend::TestBackend;
use ratatui::Terminal;
use std::path::PathBuf;
use std::sync::atomic::AtomicBool;

const HOSTILE: &[&str] = &[
    "\x1b[2J\x1b[H",                             // CSI: clear screen, home
    "\x1b]52;c;ZXZpbA==\x07",                    // OSC 52: write the clipboard
    "\x1b]8;;http://evil/\x1b\\x\x1b]8;;\x1b\\", // OSC 8 hyperlink
    "\x1bP+q544e\x1b\\",                         // DCS
    "\u{9b}31m",                                 // C1 CSI
    "bell\x07back\x08\x08\x08over\rwrite",
    "\u{202e}txt.exe\u{2066}iso\u{2069}",
    "zero\u{200b}width\u{feff}\u{200d}",
];

fn hostile_export() -> (tempfile::TempDir, PathBuf) {
    let tmp = tempfile::tempdir().unwrap();
    let evil = HOSTILE.concat();
    let doc = serde_json::json!({
        "@timestamp": "2024-05-21T10:00:00Z",
        "event": {"category": "process", "code": "4104"},
        "host": {"name": format!("host{evil}"), "os": {"type": "windows"}},
        "user": {"id": format!("S-1-5-21{evil}"), "name": format!("user{evil}")},
        "file": {"name": format!("a{evil}.ps1"), "directory": format!("C:\\{evil}"), "path": format!("C:\\{evil}\\a.ps1")},
        "powershell": {"file": {"script_block_id": format!("id{evil}"),
            "script_block_text": format!("{evil}\n[K]::OpenProcess(1)\n{evil}[K]::CreateRemoteThread(2) # {evil}")}},
        format!("weird{evil}key"): evil,
    });
    let path = tmp.path().join(format!("export{}.ndjson", "\u{202e}"));
    std::fs::write(&path, format!("{doc}\n")).unwrap();
    (tmp, path)
}

fn assert_clean(what: &str, text: &str) {
    if let Some(c) = text.chars().find(|&c| is_unsafe(c) && c != '\n') {
        panic!("{what} holds a raw U+{:04X}:\n{text}", c as u32);
    }
}

#[test]
fn no_screen_shows_raw_control_characters() {
    let (tmp, path) = hostile_export();
    let opts = LoadOptions {
        paths: vec![path],
        index_dir: Some(tmp.path().join("idx")),
        ..LoadOptions::default()
    };
    let ws = session::load_workspace(&opts, &mut |_| {}, &AtomicBool::new(false)).unwrap();
    assert_eq!(ws.alerts.len(), 1, "the hostile event triggers the rule");
    let mut app = App::new(Book::default(), None, false);
    app.update(Msg::Resize(120, 40));
    app.update(Msg::Loaded(Box::new(ws)));
    let key = |c: char| {
        Msg::Key(
            crossterm::event::KeyEvent::new(
                crossterm::event::KeyCode::Char(c),
                crossterm::event::KeyModifiers::NONE,
            ),
            0,
        )
    };
    for tab in ['1', '2', '3', '4', '5', '?'] {
        app.update(key(tab));
        for (w, h) in [(120, 40), (80, 24)] {
            let mut t = Terminal::new(TestBackend::new(w, h)).unwrap();
            t.draw(|f| views::render(&app, f)).unwrap();
            let buf = t.backend().buffer();
            let text: String = buf.content().iter().map(|c| c.symbol()).collect();
            assert_clean(&format!("tab {tab} at {w}x{h}"), &text);
        }
        if tab == '?' {
            app.update(key('x'));
        }
    }
    // Prompts echo what the analyst types, which may be pasted log text.
    app.update(key('/'));
    for c in HOSTILE.concat().chars() {
        app.update(key(c));
    }
    let mut t = Terminal::new(TestBackend::new(120, 40)).unwrap();
    t.draw(|f| views::render(&app, f)).unwrap();
    let text: String = t
        .backend()
        .buffer()
        .content()
        .iter()
        .map(|c| c.symbol())
        .collect();
    assert_clean("search prompt", &text);
}

#[test]
fn table_and_csv_output_are_clean() {
    let (tmp, path) = hostile_export();
    for format in ["table", "csv"] {
        let out = crate::support::pstriage()
            .args(["scan", "--format", format, "--index"])
            .arg(tmp.path().join(format))
            .arg(&path)
            .output()
            .unwrap();
        assert!(out.status.success());
        let stdout = String::from_utf8(out.stdout).unwrap();
        assert!(stdout.lines().count() >= 2, "{format}: {stdout}");
        assert_clean(format, &stdout);
        assert_clean(
            &format!("{format} stderr"),
            &String::from_utf8_lossy(&out.stderr),
        );
    }
}
