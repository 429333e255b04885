//! Exceptions in the TUI, through `App::update`: `x` drafts an item from the selected alert,
//! the impact preview counts what the item would suppress (checked against the alerts' own
//! fields), saving writes the case's `exceptions.ndjson` in Kibana's format and the alerts it
//! suppresses leave the list (`X` shows them, marked).

use crate::support::screen;
use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use pstriage::session::{self, LoadOptions};
use pstriage::triage::Book;
use pstriage::tui::app::{App, Effect, Msg};
use std::path::PathBuf;
use std::sync::atomic::AtomicBool;

fn press(app: &mut App, code: KeyCode) -> Vec<Effect> {
    app.update(Msg::Key(
        KeyEvent::new(code, KeyModifiers::NONE),
        1_764_000_000_000,
    ))
}

fn ready_app(tmp: &std::path::Path) -> App {
    let opts = LoadOptions {
        paths: vec![PathBuf::from("sample-data")],
        index_dir: Some(tmp.join("idx")),
        ..LoadOptions::default()
    };
    let ws = session::load_workspace(&opts, &mut |_| {}, &AtomicBool::new(false)).unwrap();
    let mut app = App::new(Book::default(), None, false);
    app.update(Msg::Resize(120, 40));
    app.update(Msg::Loaded(Box::new(ws)));
    app
}

/// Selects the first listed alert on `host`.
fn select_host(app: &mut App, host: &str) {
    let ws = app.workspace().unwrap();
    let pos = app
        .list
        .rows
        .iter()
        .position(|&i| ws.alerts[i].host.as_deref() == Some(host))
        .expect("an alert on the host");
    for _ in 0..pos {
        press(app, KeyCode::Char('j'));
    }
}

#[test]
fn an_exception_drafted_from_an_alert_shows_its_impact_and_applies_once_saved() {
    let tmp = tempfile::tempdir().unwrap();
    let mut app = ready_app(tmp.path());
    let listed = app.list.rows.len();
    select_host(&mut app, "srv-db-02");
    press(&mut app, KeyCode::Char('x'));
    let draft = app.draft.as_ref().expect("x opens a draft");
    // Proposed: host.name (ticked), then fields to add.
    let ws = app.workspace().unwrap();
    let on_host: Vec<usize> = (0..ws.alerts.len())
        .filter(|&i| ws.alerts[i].host.as_deref() == Some("srv-db-02"))
        .collect();
    let total = ws.alerts.len();
    assert_eq!(draft.impact.alerts, on_host);
    assert_eq!((draft.impact.hosts, draft.impact.users), (1, 1));
    let shown = screen(&app, 120, 40);
    assert!(
        shown.contains(&format!(
            "this hides {} of {} alerts on 1 hosts and 1 users",
            on_host.len(),
            total
        )),
        "{shown}"
    );
    assert!(shown.contains("[x] host.name is \"srv-db-02\""), "{shown}");

    // "is not" on the host: every other alert instead.
    press(&mut app, KeyCode::Char('!'));
    let other = total - on_host.len();
    assert_eq!(app.draft.as_ref().unwrap().impact.alerts.len(), other);
    press(&mut app, KeyCode::Char('!'));
    // Adding the user narrows it to alerts with both (here the same ones).
    press(&mut app, KeyCode::Down);
    press(&mut app, KeyCode::Char(' '));
    let d = app.draft.as_ref().unwrap();
    assert_eq!(d.entries().len(), 2);
    assert_eq!(d.impact.alerts, on_host);
    // Renamed, then saved.
    press(&mut app, KeyCode::Char('n'));
    press(&mut app, KeyCode::Char('u')); // typed after the proposed name
    press(&mut app, KeyCode::Enter);
    let effects = press(&mut app, KeyCode::Enter);
    let [Effect::SaveException(item)] = effects.as_slice() else {
        panic!("Enter saves: {effects:?}");
    };
    assert!(item.name.ends_with('u'), "{}", item.name);
    assert!(app.draft.is_none());

    // The runner's part: the case file, then the answer.
    let case = tmp.path().join("case");
    pstriage::exceptions::case::add(&case, (**item).clone(), "2026-12-03T10:00:00.000Z").unwrap();
    app.update(Msg::ExceptionSaved(Ok(item.clone())));
    assert_eq!(app.list.rows.len(), listed - on_host.len());
    assert_eq!(app.list.suppressed, on_host.len());
    let ws = app.workspace().unwrap();
    for &i in &on_host {
        assert_eq!(
            ws.alerts[i]
                .suppressed_by
                .as_ref()
                .map(|s| s.item_id.as_str()),
            Some(item.item_id.as_str())
        );
    }
    // X lists them again, marked.
    press(&mut app, KeyCode::Char('X'));
    assert_eq!(app.list.rows.len(), listed);
    assert!(screen(&app, 120, 40).contains("[suppressed]"));

    // The file is a Kibana export: container, the item, the summary; and it reads back.
    let text = std::fs::read_to_string(case.join("exceptions.ndjson")).unwrap();
    assert_eq!(text.lines().count(), 3, "{text}");
    let back = pstriage::exceptions::parse(&text, "exceptions.ndjson");
    assert!(back.problems.is_empty(), "{:?}", back.problems);
    assert_eq!(back.items[0].entries, item.entries);
    assert_eq!(back.lists[0].list_type, "detection");
}

#[test]
fn a_read_only_case_drafts_nothing() {
    let tmp = tempfile::tempdir().unwrap();
    let mut app = ready_app(tmp.path());
    app.read_only = Some("triage.json could not be read".into());
    press(&mut app, KeyCode::Char('x'));
    assert!(app.draft.is_none());
    assert!(app.message.as_deref().unwrap_or("").contains("read-only"));
}

#[test]
fn esc_leaves_the_draft_without_saving() {
    let tmp = tempfile::tempdir().unwrap();
    let mut app = ready_app(tmp.path());
    press(&mut app, KeyCode::Char('x'));
    assert!(app.draft.is_some());
    assert!(press(&mut app, KeyCode::Esc).is_empty());
    assert!(app.draft.is_none());
    assert_eq!(app.list.suppressed, 0);
}
