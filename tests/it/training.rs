//! Training mode through its seams: a deck from the bundled sample, answered with key presses
//! through `TrainApp::update` and drawn on ratatui's TestBackend; the session saved and read
//! back; the trainer's report from the binary.

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use pstriage::analysis::Analyzer;
use pstriage::training::{self, CardKind, Session};
use pstriage::tui::train::{Effect, Step, TrainApp};
use std::path::PathBuf;

fn key(c: char) -> KeyEvent {
    KeyEvent::new(KeyCode::Char(c), KeyModifiers::NONE)
}

fn enter() -> KeyEvent {
    KeyEvent::new(KeyCode::Enter, KeyModifiers::NONE)
}

fn sample_deck(seed: u64, cards: usize) -> Vec<training::Card> {
    let (events, _) =
        crate::support::load(&[PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("sample-data")]);
    let rule = &pstriage::rule::bundled()[0];
    training::build_deck(&events, rule, Analyzer::Pattern, seed, cards)
}

fn session() -> Session {
    Session {
        started: "2026-12-04T09:00:00.000Z".into(),
        rule: "Potential Process Injection via PowerShell".into(),
        seed: 11,
        cards: Vec::new(),
    }
}

fn draw(app: &mut TrainApp) -> String {
    let mut t = ratatui::Terminal::new(ratatui::backend::TestBackend::new(120, 36)).unwrap();
    t.draw(|f| app.render(f)).unwrap();
    crate::support::buffer_text(t.backend().buffer())
}

#[test]
fn the_sample_makes_a_balanced_deck_the_same_for_a_seed() {
    let a = sample_deck(11, 10);
    let b = sample_deck(11, 10);
    let ids = |d: &[training::Card]| d.iter().map(|c| c.event.identity()).collect::<Vec<_>>();
    assert_eq!(ids(&a), ids(&b));
    assert_eq!(a.len(), 10);
    assert!(a.iter().any(|c| c.kind == CardKind::Alert));
    assert!(a.iter().any(|c| c.kind == CardKind::NearMiss));
    assert!(a.iter().any(|c| c.kind == CardKind::Benign));
}

#[test]
fn a_session_answered_by_keys_is_scored_revealed_and_saved_once() {
    let deck = sample_deck(11, 4);
    let truth: Vec<(bool, Vec<String>, Vec<String>)> = deck
        .iter()
        .map(|c| (c.fires(), c.fired_by.clone(), c.choices.clone()))
        .collect();
    let mut app = TrainApp::new(deck, "ana", session(), true);
    // Before the reveal nothing of the rule shows: no name, no marks' legend.
    let s = draw(&mut app);
    assert!(
        s.contains("card 1/4") && s.contains("Would the rule fire"),
        "{s}"
    );
    assert!(
        !s.contains("Potential Process Injection") && !s.contains("marks"),
        "{s}"
    );
    let mut effects = Vec::new();
    for (n, (fires, fired_by, choices)) in truth.iter().enumerate() {
        if *fires {
            // Say yes and pick exactly the names that make it fire.
            effects.extend(app.update(key('y')));
            for (i, c) in choices.iter().enumerate() {
                if fired_by.iter().any(|f| f.eq_ignore_ascii_case(c)) {
                    effects.extend(app.update(key(' ')));
                }
                if i + 1 < choices.len() {
                    effects.extend(app.update(key('j')));
                }
            }
            effects.extend(app.update(enter()));
        } else {
            // Wrongly say it fires, picking nothing.
            effects.extend(app.update(key('y')));
            effects.extend(app.update(enter()));
        }
        let Step::Reveal(score) = &app.step else {
            panic!("card {n}: {:?}", app.step)
        };
        assert_eq!(score.verdict_right, *fires, "card {n}");
        assert_eq!(score.points(), if *fires { 2 } else { 1 }, "card {n}");
        let s = draw(&mut app);
        assert!(
            s.contains("Potential Process Injection via PowerShell"),
            "{s}"
        );
        assert!(
            s.contains(if *fires {
                "Why it fires"
            } else {
                "Why it does not fire"
            }),
            "{s}"
        );
        effects.extend(app.update(enter()));
    }
    assert_eq!(app.step, Step::Done);
    assert_eq!(effects.len(), 1, "saved once, at the end");
    let Effect::Save(saved) = &effects[0];
    assert_eq!(saved.cards.len(), 4);
    let want: u32 = truth.iter().map(|t| if t.0 { 2 } else { 1 }).sum();
    assert_eq!(saved.points(), want);
    // Quitting now saves nothing more.
    assert!(app.update(key('q')).is_empty());
    assert!(app.quit);
}

#[test]
fn quitting_midway_saves_the_cards_answered() {
    let mut app = TrainApp::new(sample_deck(5, 6), "bo", session(), true);
    app.update(key('n'));
    let effects = app.update(key('q'));
    assert!(matches!(&effects[..], [Effect::Save(s)] if s.cards.len() == 1));
}

#[test]
fn sessions_append_atomically_and_the_report_sums_them() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("training");
    let path = dir.join(training::file_name("ana"));
    let mut s = session();
    s.cards.push(training::CardScore {
        event: "id:x".into(),
        kind: CardKind::Alert,
        verdict_right: true,
        missed: vec!["NtCreateThreadEx".into()],
        wrong: vec![],
    });
    pstriage::commands::train::save(&path, "ana", s.clone()).unwrap();
    pstriage::commands::train::save(&path, "ana", s).unwrap();
    let files = pstriage::commands::train::read_trainees(&dir, None).unwrap();
    assert_eq!(files.len(), 1);
    assert_eq!(files[0].sessions.len(), 2);
    // A file that is not a trainee file is never overwritten.
    std::fs::write(dir.join("cy.json"), "not json").unwrap();
    assert!(pstriage::commands::train::save(&dir.join("cy.json"), "cy", session()).is_err());
    assert_eq!(
        std::fs::read_to_string(dir.join("cy.json")).unwrap(),
        "not json"
    );
    let out = crate::support::pstriage()
        .args(["train", "--report", "--case"])
        .arg(tmp.path())
        .output()
        .unwrap();
    assert!(out.status.success());
    let md = String::from_utf8_lossy(&out.stdout);
    assert!(md.contains("## ana"), "{md}");
    assert!(md.contains("- NtCreateThreadEx: missed 2×"), "{md}");
    assert!(String::from_utf8_lossy(&out.stderr).contains("cy.json: not a trainee file"));
}

#[test]
fn a_hostile_rule_name_never_reaches_the_terminal_raw() {
    let mut s = session();
    s.rule = "Evil\u{1b}]0;owned\u{7}\u{1b}[2J rule".into();
    let mut app = TrainApp::new(sample_deck(5, 2), "mal\u{1b}[31mory", s, true);
    app.update(key('n'));
    let screen = draw(&mut app);
    assert!(
        !screen.contains('\u{1b}') && !screen.contains('\u{7}'),
        "{screen:?}"
    );
    assert!(screen.contains("Evil"), "{screen}");
}
