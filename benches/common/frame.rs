//! Frame time of one key press on 100,000 alerts: `App::update` + `views::render` on ratatui's
//! headless TestBackend at 120×40, beside a render-only baseline measured in the same run.

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use pstriage::session::{self, LoadOptions};
use pstriage::triage::Book;
use pstriage::tui::app::{App, Msg};
use pstriage::tui::views;
use ratatui::backend::TestBackend;
use ratatui::Terminal;
use std::path::PathBuf;
use std::sync::atomic::AtomicBool;
use std::time::{Duration, Instant};

pub const ALERTS: usize = 100_000;
pub const PRESSES: usize = 2_000;

/// Median and p99 of render-only frames, then of key press + render frames.
pub struct FrameTimes {
    pub render_median: Duration,
    pub render_p99: Duration,
    pub key_median: Duration,
    pub key_p99: Duration,
}

fn percentile(v: &mut [Duration], p: f64) -> Duration {
    v.sort();
    v[((v.len() as f64 - 1.0) * p).round() as usize]
}

pub fn measure() -> FrameTimes {
    let tmp = tempfile::tempdir().expect("temp dir");
    let opts = LoadOptions {
        paths: vec![PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("sample-data")],
        index_dir: Some(tmp.path().join("idx")),
        ..LoadOptions::default()
    };
    let mut ws =
        session::load_workspace(&opts, &mut |_| {}, &AtomicBool::new(false)).expect("sample loads");
    let seed = ws.alerts.clone();
    ws.alerts = (0..ALERTS)
        .map(|i| {
            let mut a = seed[i % seed.len()].clone();
            a.id = format!("{:032x}", i);
            a.time_ms = a.time_ms.map(|t| t + i as i64 * 1_000);
            a
        })
        .collect();
    // The workspace keeps alerts in time order (the timeline relies on it).
    pstriage::detect::sort(&mut ws.alerts);
    let mut book = Book::default();
    for i in (0..ALERTS).step_by(3) {
        book.apply(
            &format!("{:032x}", i),
            &pstriage::triage::Action::SetStatus(pstriage::triage::Status::Acknowledged),
            0,
        );
    }
    let mut app = App::new(book, None, false);
    app.update(Msg::Resize(120, 40));
    app.update(Msg::Loaded(Box::new(ws)));
    let mut term = Terminal::new(TestBackend::new(120, 40)).expect("backend");
    let mut baseline = Vec::with_capacity(PRESSES);
    for _ in 0..PRESSES {
        let t = Instant::now();
        term.draw(|f| views::render(&app, f)).expect("draw");
        baseline.push(t.elapsed());
    }
    let mut frames = Vec::with_capacity(PRESSES);
    for n in 0..PRESSES {
        let code = if n % 50 < 40 {
            KeyCode::Char('j')
        } else {
            KeyCode::Char('k')
        };
        let t = Instant::now();
        app.update(Msg::Key(KeyEvent::new(code, KeyModifiers::NONE), 0));
        term.draw(|f| views::render(&app, f)).expect("draw");
        frames.push(t.elapsed());
    }
    FrameTimes {
        render_median: percentile(&mut baseline, 0.5),
        render_p99: percentile(&mut baseline, 0.99),
        key_median: percentile(&mut frames, 0.5),
        key_p99: percentile(&mut frames, 0.99),
    }
}
