//! The TUI beyond the alert list, through `App::update` and `views::render`: the landing when
//! no rule fired (and the setup guidance without script blocks), the hunt view (query prompt,
//! errors at their column, results, verdicts, saved searches, bookmarks) and the context around
//! an alert or a timeline hour. Hunts run here as the runner runs them (`hunt::run`,
//! `hunt::around`) and come back as `Msg::HuntDone`.

use crate::support::{app_on, sample_app, screen};
use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use pstriage::index::{Dataset, Who};
use pstriage::tui::app::{App, Effect, Msg, View};
use pstriage::tui::hunt::HuntTab;
use std::path::{Path, PathBuf};

fn key(c: char) -> Msg {
    Msg::Key(KeyEvent::new(KeyCode::Char(c), KeyModifiers::NONE), 1_000)
}

fn code(c: KeyCode) -> Msg {
    Msg::Key(KeyEvent::new(c, KeyModifiers::NONE), 1_000)
}

fn typed(app: &mut App, text: &str) {
    for c in text.chars() {
        app.update(key(c));
    }
}

/// Carries out hunt effects as the runner does and feeds the answers back.
fn run_effects(app: &mut App, ds: &Dataset, effects: Vec<Effect>) {
    for e in effects {
        let Some((generation, result)) = pstriage::tui::hunt_answer(&e, ds) else {
            continue;
        };
        app.update(Msg::HuntDone {
            generation,
            result,
            took_ms: 7,
        });
    }
}

/// Types `query` into the hunt prompt (opened with `H`) and runs it.
fn hunt_for(app: &mut App, ds: &Dataset, query: &str) {
    if app.view != View::Hunt {
        app.update(key('H'));
    }
    if app.prompt.is_none() {
        app.update(key('/'));
    }
    typed(app, query);
    let effects = app.update(code(KeyCode::Enter));
    assert!(
        matches!(effects.as_slice(), [Effect::Hunt { hunt, .. }] if hunt.text == query),
        "{effects:?}"
    );
    run_effects(app, ds, effects);
}

fn write(dir: &Path, name: &str, lines: &[String]) -> PathBuf {
    let p = dir.join(name);
    std::fs::write(&p, lines.join("\n") + "\n").unwrap();
    p
}

fn doc(t: &str, host: &str, text: Option<&str>) -> String {
    let mut d = serde_json::json!({
        "@timestamp": t,
        "event": {"category": "process", "code": "4104"},
        "host": {"name": host, "os": {"type": "windows"}},
        "user": {"id": "S-1-5-21-1-2-3-1001"},
    });
    if let Some(text) = text {
        d["powershell"] = serde_json::json!({"file": {"script_block_text": text}});
    }
    d.to_string()
}

#[test]
fn the_landing_shows_what_loaded_when_no_rule_fired() {
    let tmp = tempfile::tempdir().unwrap();
    // The skipped record's message names its file: a path relative to the package root (where
    // integration tests run), the same in every checkout, keeps the snapshot stable.
    let target_tmp = Path::new(env!("CARGO_TARGET_TMPDIR"));
    let relative = target_tmp.strip_prefix(env!("CARGO_MANIFEST_DIR")).ok();
    let fixtures = relative.unwrap_or(target_tmp).join("landing-fixture");
    std::fs::create_dir_all(&fixtures).unwrap();
    let file = write(
        &fixtures,
        "quiet.ndjson",
        &[
            doc(
                "2024-05-20T10:00:00Z",
                "wks-1",
                Some("Get-Process | Select-Object -First 5"),
            ),
            doc("2024-05-20T11:00:00Z", "wks-2", Some("Get-Service WinRM")),
            doc(
                "2024-05-20T12:00:00Z",
                "wks-2",
                Some("Test-NetConnection dc01 -Port 445"),
            ),
            "{not json".to_owned(),
        ],
    );
    let (mut app, _ds) = app_on(vec![file], tmp.path());
    for (w, h) in [(120, 40), (80, 24)] {
        app.update(Msg::Resize(w, h));
        let s = screen(&app, w, h);
        assert!(s.contains("No rule fired on these 3 script blocks"), "{s}");
        assert!(!s.contains("match the filter"), "no filter is set:\n{s}");
        assert!(s.contains("records skipped: 1"), "{s}");
        assert!(s.contains("H  opens the hunt view"), "{s}");
        match relative {
            Some(_) => insta::assert_snapshot!(format!("landing_{w}x{h}"), s),
            None => println!(
                "snapshot not compared: CARGO_TARGET_DIR is outside the package, so the path in \
                 the screen differs per machine (the assertions above still ran)"
            ),
        }
    }
}

#[test]
fn without_script_blocks_the_setup_guidance_shows() {
    let tmp = tempfile::tempdir().unwrap();
    let file = write(
        tmp.path(),
        "no-4104.ndjson",
        &[doc("2024-05-20T10:00:00Z", "wks-1", None)],
    );
    let (mut app, _ds) = app_on(vec![file], tmp.path());
    app.update(Msg::Resize(80, 24));
    let s = screen(&app, 80, 24);
    assert!(s.contains("holds no script-block events"), "{s}");
    assert!(s.contains("Setup"), "{s}");
    assert!(s.contains("0 script blocks"), "{s}");
    for (w, h) in [(120, 40), (80, 24)] {
        app.update(Msg::Resize(w, h));
        insta::assert_snapshot!(format!("no_script_blocks_{w}x{h}"), screen(&app, w, h));
    }
}

#[test]
fn a_hunt_lists_every_matching_script_block_with_its_terms_marked() {
    let tmp = tempfile::tempdir().unwrap();
    let (mut app, ds) = sample_app(tmp.path());
    app.update(key('H'));
    assert_eq!(app.view, View::Hunt);
    assert!(
        app.prompt.is_some(),
        "the first visit opens the query prompt"
    );
    hunt_for(
        &mut app,
        &ds,
        "powershell.file.script_block_text:(VirtualAlloc and CreateThread)",
    );
    let listing = app.hunt.listing.as_ref().expect("results");
    // The sample's own hand-written account of its scripts: two blocks name both APIs.
    assert_eq!(listing.total, 2);
    let hosts: Vec<_> = listing
        .found
        .iter()
        .map(|f| f.host.clone().unwrap())
        .collect();
    assert_eq!(hosts, ["srv-db-02", "ws-fin-07"]);
    let d = app.hunt.derived.as_ref().expect("the first result is open");
    let terms: Vec<&str> = d.script.marks.iter().map(|m| m.2.as_str()).collect();
    assert!(
        terms.contains(&"virtualalloc") && terms.contains(&"createthread"),
        "{terms:?}"
    );
    for (w, h) in [(120, 40), (80, 24)] {
        app.update(Msg::Resize(w, h));
        let s = screen(&app, w, h);
        assert!(s.contains("Events 1/2"), "{s}");
        assert!(s.contains("«VirtualAlloc»"), "{s}");
        insta::assert_snapshot!(format!("hunt_{w}x{h}"), s);
    }
    // 2: the host's 48 hours up to the event, with the alerts of that window.
    app.update(Msg::Resize(120, 40));
    app.update(key('2'));
    assert_eq!(app.hunt.tab, HuntTab::Timeline);
    let s = screen(&app, 120, 40);
    assert!(s.contains("host srv-db-02"), "{s}");
    assert!(s.contains("▲ this event"), "{s}");
    let tl = &app.hunt.derived.as_ref().unwrap().timeline;
    let ws = app.workspace().unwrap();
    assert!(tl
        .window
        .iter()
        .all(|&j| ws.alerts[j].host.as_deref() == Some("srv-db-02")));
    app.update(key('1'));
    // j selects the second; r shows every rule's verdict on it.
    app.update(key('j'));
    app.update(key('r'));
    assert_eq!(app.hunt.tab, HuntTab::Rules);
    app.update(Msg::Resize(120, 40));
    let s = screen(&app, 120, 40);
    assert!(
        s.contains("Potential Process Injection via PowerShell"),
        "{s}"
    );
    assert!(s.contains("would fire on this event"), "{s}");
}

#[test]
fn a_query_that_does_not_parse_keeps_the_prompt_and_points_at_the_column() {
    let tmp = tempfile::tempdir().unwrap();
    let (mut app, _ds) = sample_app(tmp.path());
    app.update(key('H'));
    typed(&mut app, "host.name:(a or");
    let effects = app.update(code(KeyCode::Enter));
    assert!(effects.is_empty(), "nothing runs");
    assert!(
        app.prompt.is_some(),
        "the prompt stays open to fix the query"
    );
    let e = app.hunt.error.as_ref().expect("the error is kept");
    assert_eq!((e.line, e.column), (1, 16));
    let s = screen(&app, 120, 40);
    assert!(s.contains("line 1 column 16"), "{s}");
    // The caret sits under column 16 of the query as typed in the prompt.
    let query_row = s
        .lines()
        .position(|l| l.contains("host.name:(a or▏"))
        .unwrap();
    let query_col = s.lines().nth(query_row).unwrap().find("host.name").unwrap();
    let caret_line = s.lines().nth(query_row + 1).unwrap();
    let caret_col = caret_line.find('^').expect("a caret");
    let chars_before = |line: &str, byte: usize| line[..byte].chars().count();
    assert_eq!(
        chars_before(caret_line, caret_col)
            - chars_before(s.lines().nth(query_row).unwrap(), query_col),
        15
    );
    // Esc leaves the prompt; the view keeps its (empty) state.
    app.update(code(KeyCode::Esc));
    assert!(app.prompt.is_none());
}

#[test]
fn context_lists_the_hosts_script_blocks_around_an_alert() {
    let tmp = tempfile::tempdir().unwrap();
    let (mut app, ds) = sample_app(tmp.path());
    // The Invoke-Inject alert on win10-01 at 2024-05-21T14:07:12.431Z (4th by time).
    for _ in 0..3 {
        app.update(key('j'));
    }
    let alert_ord = {
        let ws = app.workspace().unwrap();
        ws.alerts[app.current().unwrap()].event.source.ord
    };
    let effects = app.update(key('C'));
    let at = 1_716_300_432_431i64;
    assert_eq!(
        effects,
        vec![Effect::Around {
            generation: 1,
            who: Who::Host("win10-01".into()),
            from_ms: at - 30 * 60_000,
            to_ms: at + 30 * 60_000,
        }]
    );
    run_effects(&mut app, &ds, effects);
    assert_eq!(app.view, View::Hunt);
    let found = &app.hunt.listing.as_ref().unwrap().found;
    // Every listed event is on the host, within the span, in time order, the alert among them.
    assert!(found.len() >= 2);
    for f in found {
        assert_eq!(f.host.as_deref(), Some("win10-01"));
        let t = f.time_ms.unwrap();
        assert!((at - 1_800_000..=at + 1_800_000).contains(&t));
    }
    assert!(found.windows(2).all(|w| w[0].time_ms <= w[1].time_ms));
    assert_eq!(
        app.hunt.current().unwrap().event.source.ord,
        alert_ord,
        "the alert is selected"
    );
    for (w, h) in [(120, 40), (80, 24)] {
        app.update(Msg::Resize(w, h));
        let s = screen(&app, w, h);
        assert!(s.contains("▶"), "the alert is marked:\n{s}");
        insta::assert_snapshot!(format!("context_{w}x{h}"), s);
    }
    // r on the alert's own event: the injection rule fires, and the verdict names the near
    // miss the sample plants on line 8 (`LoadLibraryW`, sample-data/EXPECTED.md).
    app.update(key('r'));
    let s = screen(&app, 120, 40);
    assert!(s.contains("1 of 2 loaded rules would fire"), "{s}");
    assert!(
        s.contains("near miss, line 8: 'LoadLibrary' is inside the token 'loadlibraryw'"),
        "{s}"
    );
    app.update(key('1'));
    // + widens to an hour each side; u switches to the alert's user.
    let wider = app.update(key('+'));
    assert!(matches!(&wider[..], [Effect::Around { from_ms, to_ms, .. }]
        if *from_ms == at - 3_600_000 && *to_ms == at + 3_600_000));
    run_effects(&mut app, &ds, wider);
    let by_user = app.update(key('u'));
    assert!(
        matches!(&by_user[..], [Effect::Around { who: Who::User(u), .. }] if u.starts_with("S-1-5-21"))
    );
    // H goes back to the alert list, selection kept.
    app.update(key('H'));
    assert_eq!(app.view, View::Alerts);
    assert_eq!(app.list.selected, 3);
}

#[test]
fn a_timeline_hour_opens_onto_its_events() {
    let tmp = tempfile::tempdir().unwrap();
    let (mut app, ds) = sample_app(tmp.path());
    for _ in 0..3 {
        app.update(key('j'));
    }
    app.update(key('2'));
    app.update(code(KeyCode::Tab));
    app.update(key('['));
    let effects = app.update(key('C'));
    let at = 1_716_300_432_431i64;
    // The hour before the alert's own hour: (at - 2h, at - 1h].
    assert!(
        matches!(&effects[..], [Effect::Around { from_ms, to_ms, .. }]
        if *from_ms == at - 2 * 3_600_000 + 1 && *to_ms == at - 3_600_000),
        "{effects:?}"
    );
    // The timeline counted this hour's events; the listing holds exactly those.
    let counted = app.detail.derived.as_ref().unwrap().timeline.volume[46];
    run_effects(&mut app, &ds, effects);
    assert_eq!(app.hunt.listing.as_ref().unwrap().total as u64, counted);
}

#[test]
fn bookmarks_and_saved_searches_are_kept_for_the_case() {
    let tmp = tempfile::tempdir().unwrap();
    let (mut app, ds) = sample_app(tmp.path());
    hunt_for(&mut app, &ds, "Get-Process");
    assert!(!app.hunt.is_empty());
    // b asks for a note; Enter saves the bookmark in the triage book.
    assert!(app.update(key('b')).is_empty());
    typed(&mut app, "loader");
    assert_eq!(app.update(code(KeyCode::Enter)), vec![Effect::SaveTriage]);
    let identity = app.hunt.current().unwrap().event.identity();
    let mark = &app.book.bookmarks[&identity];
    assert_eq!(mark.note, "loader");
    assert_eq!(mark.host, app.hunt.current().unwrap().host);
    // S saves the query under a name.
    app.update(key('S'));
    typed(&mut app, "iex");
    assert_eq!(app.update(code(KeyCode::Enter)), vec![Effect::SaveSearches]);
    assert_eq!(app.saved.get("iex").unwrap().query, "Get-Process");
    // The saved query comes back with ↑ in the prompt.
    app.update(key('/'));
    for _ in 0.."Get-Process".len() {
        app.update(code(KeyCode::Backspace));
    }
    app.update(code(KeyCode::Up));
    assert_eq!(
        app.prompt,
        Some(pstriage::tui::prompt::Prompt::Query {
            text: "Get-Process".into(),
            recalled: Some(0)
        })
    );
    // The report lists the bookmark.
    let ws = app.workspace().unwrap();
    let md = pstriage::report::markdown(ws, &app.book);
    assert!(md.contains("# Bookmarked script blocks"), "{md}");
    assert!(md.contains("> loader"), "{md}");
    let json = pstriage::report::json(ws, &app.book);
    let marks: Vec<_> = json
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["kind"] == "bookmark")
        .collect();
    assert_eq!(marks.len(), 1);
    assert_eq!(marks[0]["event_id"], identity.as_str());
}

#[test]
fn a_stale_hunt_answer_does_not_replace_a_newer_one() {
    let tmp = tempfile::tempdir().unwrap();
    let (mut app, ds) = sample_app(tmp.path());
    app.update(key('H'));
    typed(&mut app, "VirtualAlloc");
    let first = app.update(code(KeyCode::Enter));
    app.update(key('/'));
    for _ in 0.."VirtualAlloc".len() {
        app.update(code(KeyCode::Backspace));
    }
    typed(&mut app, "host.name:srv-db-02");
    let second = app.update(code(KeyCode::Enter));
    // The newer answer arrives first; the older one must not overwrite it.
    run_effects(&mut app, &ds, second);
    run_effects(&mut app, &ds, first);
    assert_eq!(app.hunt.hunt().unwrap().text, "host.name:srv-db-02");
    assert!(app
        .hunt
        .listing
        .as_ref()
        .unwrap()
        .found
        .iter()
        .all(|f| f.host.as_deref() == Some("srv-db-02")));
}
