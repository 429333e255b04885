//! The TUI while the one pass runs (issue 11), through `App::update` with a fake loader: the
//! messages the real loader sends (`Started`, `Progress`, `Found` in any order, `Loaded`), fed
//! by hand, with keys in between.

use crate::support::screen;
use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use pstriage::alert::{Alert, AlertKind};
use pstriage::ingest::Progress;
use pstriage::triage::Book;
use pstriage::tui::app::{App, Effect, Msg, View};
use pstriage::workspace::Workspace;

fn key(c: char) -> Msg {
    Msg::Key(KeyEvent::new(KeyCode::Char(c), KeyModifiers::NONE), 1_000)
}

/// The sample's final workspace (what `Loaded` carries) and an app that has just heard
/// `Started`.
fn started() -> (App, Workspace, tempfile::TempDir) {
    let (ws, tmp) = crate::tui::workspace();
    let mut app = App::new(Book::default(), None, false);
    app.update(Msg::Resize(120, 40));
    let provisional = Workspace::provisional(ws.rules.clone(), ws.analyzer);
    app.update(Msg::Started(Box::new(provisional)));
    (app, ws, tmp)
}

/// The sample's Elastic alerts (what the one pass finds), in time order.
fn elastic(ws: &Workspace) -> Vec<Alert> {
    ws.alerts
        .iter()
        .filter(|a| a.kind == AlertKind::Elastic)
        .cloned()
        .collect()
}

fn reading(events: u64, pct: u64) -> Msg {
    Msg::Progress(Progress {
        files_total: 1,
        bytes_total: 100,
        bytes_done: pct,
        events,
        current: "sample-data/x.ndjson".into(),
        ..Progress::default()
    })
}

fn listed_ids(app: &App) -> Vec<String> {
    let ws = app.workspace().unwrap();
    app.list
        .rows
        .iter()
        .map(|&i| ws.alerts[i].id.clone())
        .collect()
}

fn selected_id(app: &App) -> String {
    let ws = app.workspace().unwrap();
    ws.alerts[app.current().unwrap()].id.clone()
}

#[test]
fn the_list_grows_in_time_order_while_loading_and_keeps_the_selection() {
    let (mut app, ws, _tmp) = started();
    assert!(app.loading());
    let first = screen(&app, 120, 40);
    assert!(first.contains("Loading exports"), "{first}");
    app.update(reading(9, 40));

    // The one pass finds the Elastic alerts; the later half arrives first (workers finish their
    // batches in any order).
    let elastic = elastic(&ws);
    assert_eq!(elastic.len(), 11);
    app.update(Msg::Found(elastic[6..].to_vec()));
    assert_eq!(app.list.rows.len(), 5);
    let shown = screen(&app, 120, 40);
    assert!(
        shown.contains("loading · 9 events read · 5 alerts so far · index: writing (40% read)"),
        "{shown}"
    );
    app.update(key('j'));
    app.update(key('j'));
    let picked = selected_id(&app);
    assert_eq!(picked, elastic[8].id);

    // The timeline's counts come from the index: the tab says so while it is written.
    app.update(key('2'));
    let shown = screen(&app, 120, 40);
    assert!(
        shown.contains("counted once the index is written (indexing… 40%)"),
        "{shown}"
    );
    app.update(key('1'));

    // Triage works on what is listed already.
    assert_eq!(app.update(key('s')), vec![Effect::SaveTriage]);

    // Earlier alerts go in before it: the selection stays on its alert.
    app.update(Msg::Found(elastic[..6].to_vec()));
    assert_eq!(selected_id(&app), picked);
    let ids: Vec<String> = elastic.iter().map(|a| a.id.clone()).collect();
    assert_eq!(listed_ids(&app), ids, "in time order, as the final list");

    // Reading done: the index is being committed.
    app.update(Msg::Progress(Progress {
        files_total: 1,
        files_done: 1,
        bytes_total: 100,
        bytes_done: 100,
        events: 31,
        ..Progress::default()
    }));
    let shown = screen(&app, 120, 40);
    assert!(
        shown.contains("11 alerts so far · index: committing…"),
        "{shown}"
    );

    // The final workspace: the split-script finding joins, the facts come, the selection and
    // its status stay.
    app.update(Msg::Loaded(Box::new(ws)));
    assert!(!app.loading());
    assert_eq!(app.list.rows.len(), 12);
    assert_eq!(selected_id(&app), picked);
    assert_eq!(
        pstriage::tui::app::statuses(&app)[app.list.selected],
        "acknowledged"
    );
    let done = screen(&app, 120, 40);
    assert!(!done.contains("so far"), "{done}");
    assert!(done.contains("287 events"), "{done}");
}

#[test]
fn a_hunt_asked_for_while_indexing_says_it_waits_for_the_index() {
    let (mut app, ws, _tmp) = started();
    app.update(reading(9, 40));
    app.update(key('H'));
    assert!(
        app.prompt.is_some(),
        "the hunt view opens on its query prompt"
    );
    for c in "host.name:*".chars() {
        app.update(key(c));
    }
    let effects = app.update(Msg::Key(
        KeyEvent::new(KeyCode::Enter, KeyModifiers::NONE),
        1_000,
    ));
    assert!(
        matches!(effects.as_slice(), [Effect::Hunt { .. }]),
        "the hunt is asked for; the runner holds it until the index is ready: {effects:?}"
    );
    assert_eq!(app.view, View::Hunt);
    let shown = screen(&app, 120, 40);
    assert!(
        shown.contains("waiting for the index: query host.name:* (indexing… 40%)"),
        "{shown}"
    );
    app.update(Msg::Loaded(Box::new(ws)));
    let shown = screen(&app, 120, 40);
    assert!(shown.contains("hunting: query host.name:* …"), "{shown}");
}

#[test]
fn quitting_while_loading_cancels_the_load_and_not_after() {
    let (mut app, ws, _tmp) = started();
    assert_eq!(app.update(key('q')), vec![Effect::CancelLoad]);
    assert!(app.quit);

    let (mut app, _, _tmp) = started();
    app.update(Msg::Loaded(Box::new(ws)));
    assert!(app.update(key('q')).is_empty());
    assert!(app.quit);
}

#[test]
fn an_untouched_list_stays_on_its_first_row_while_alerts_arrive() {
    let (mut app, ws, _tmp) = started();
    let elastic = elastic(&ws);
    // The first alerts heard are late ones; nobody has pressed a key.
    app.update(Msg::Found(elastic[6..].to_vec()));
    app.update(Msg::Found(elastic[..6].to_vec()));
    assert_eq!(app.list.selected, 0);
    assert_eq!(
        selected_id(&app),
        elastic[0].id,
        "the earliest alert, not the first heard"
    );
    // The detail pane follows: it shows the script of the alert now on the first row, not the
    // one that was there before (both sat at position 0 of the alert list).
    let shown = &app
        .detail
        .derived
        .as_ref()
        .expect("the selected alert's panes")
        .script;
    let expected = pstriage::tui::derived::script_text(&elastic[0].event.unpack(), 0);
    assert_eq!(shown.text, expected);
    app.update(Msg::Loaded(Box::new(ws)));
    assert_eq!(app.list.selected, 0);
}
