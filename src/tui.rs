//! The interactive terminal UI. `run` owns the terminal (restored on quit, on error and on a
//! panic in any thread), a worker thread that loads the data, and the event loop that feeds
//! `app::update` and draws `views::render`. The only module that touches ratatui or crossterm.

pub mod app;
pub mod derived;
pub mod exception_draft;
pub mod hunt;
pub mod keymap;
pub mod layers;
pub mod list;
pub mod prompt;
pub mod train;
pub mod views;

use crate::i18n::{t, tf};
use crate::index::Dataset;
use crate::saved_searches::SavedSearches;
use crate::session::{self, LoadOptions};
use crate::triage::store::Store;
use app::{App, Effect, Msg};
use crossterm::event::{self, DisableMouseCapture, EnableMouseCapture, Event};
use crossterm::execute;
use crossterm::terminal::{
    disable_raw_mode, enable_raw_mode, EnterAlternateScreen, LeaveAlternateScreen,
};
use std::io;
use std::path::Path;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{mpsc, Arc, OnceLock};
use std::time::{Duration, Instant};

/// The open dataset, handed from the loader to the hunts once the first phase is done.
type DatasetCell = Arc<OnceLock<Arc<Dataset>>>;

pub(crate) fn restore_terminal() {
    let _ = disable_raw_mode();
    let _ = execute!(
        io::stdout(),
        LeaveAlternateScreen,
        DisableMouseCapture,
        crossterm::cursor::Show
    );
}

fn now_ms() -> i64 {
    chrono::Utc::now().timestamp_millis()
}

/// Opens the TUI on `opts.paths`; triage is kept in `case_dir`.
pub fn run(opts: LoadOptions, case_dir: &Path) -> anyhow::Result<()> {
    let (mut store, book) = Store::open(case_dir);
    // Held for the whole session; a second instance on the same case opens read-only.
    let _lock = match store.lock() {
        Ok(f) => Some(f),
        Err(why) => {
            store
                .read_only
                .get_or_insert(tf("msg.opened_read_only", &[("why", &why)]));
            None
        }
    };
    let no_color = std::env::var_os("NO_COLOR").is_some_and(|v| !v.is_empty());
    let mut app = App::new(book, store.read_only.clone(), no_color);
    let (exceptions, notes) = crate::session::load_exceptions(&opts, Some(case_dir))?;
    app.exceptions = exceptions;
    if !notes.is_empty() {
        app.message = Some(tf(
            "msg.exception_problems",
            &[("first", &notes[0]), ("more", &(notes.len() - 1))],
        ));
    }
    let (searches, saved) = SavedSearches::open(case_dir);
    app.saved = saved;
    if let Some(why) = &searches.read_only {
        app.message = Some(tf("msg.searches_read_only", &[("why", why)]));
    }

    let previous_hook = std::panic::take_hook();
    std::panic::set_hook(Box::new(move |info| {
        // The loader's panics are caught and shown as an error screen; any other thread's panic
        // ends the program, so the terminal is given back first.
        let thread = std::thread::current();
        if thread.name() == Some(LOADER_THREAD) {
            return;
        }
        restore_terminal();
        previous_hook(info);
        if thread.name() != Some("main") {
            std::process::exit(101);
        }
    }));
    enable_raw_mode()?;
    execute!(io::stdout(), EnterAlternateScreen, EnableMouseCapture)?;
    let result = event_loop(&mut app, opts, &store, &searches, case_dir);
    restore_terminal();
    result
}

fn event_loop(
    app: &mut App,
    opts: LoadOptions,
    store: &Store,
    searches: &crate::saved_searches::SearchStore,
    case_dir: &Path,
) -> anyhow::Result<()> {
    let backend = ratatui::backend::CrosstermBackend::new(io::stdout());
    let mut terminal = ratatui::Terminal::new(backend)?;
    let size = terminal.size()?;
    app.update(Msg::Resize(size.width, size.height));

    let (tx, rx) = mpsc::channel::<Msg>();
    let cancel = Arc::new(AtomicBool::new(false));
    let dataset: DatasetCell = Arc::default();
    spawn_loader(opts, tx.clone(), cancel.clone(), dataset.clone());
    let hunt_tx = tx.clone();
    let input_tx = tx.clone();
    std::thread::spawn(move || loop {
        match event::poll(Duration::from_millis(250)) {
            Ok(true) => {
                let msg = match event::read() {
                    Ok(Event::Key(k)) if k.kind == event::KeyEventKind::Press => {
                        Msg::Key(k, now_ms())
                    }
                    Ok(Event::Mouse(m)) => Msg::Mouse(m),
                    Ok(Event::Resize(w, h)) => Msg::Resize(w, h),
                    Ok(_) => continue,
                    Err(_) => Msg::InputClosed,
                };
                let closed = matches!(msg, Msg::InputClosed);
                if input_tx.send(msg).is_err() || closed {
                    return;
                }
            }
            Ok(false) => {}
            Err(_) => {
                let _ = input_tx.send(Msg::InputClosed);
                return;
            }
        }
    });
    // The loop itself keeps `hunt_tx`; a dead input thread says so with `Msg::InputClosed`.
    drop(tx);

    let mut waiting = Vec::new();
    loop {
        terminal.draw(|f| views::render(app, f))?;
        let Ok(msg) = rx.recv() else { break };
        let mut effects = app.update(msg);
        // Drain what is queued so a burst of keys draws once.
        while let Ok(more) = rx.try_recv() {
            effects.extend(app.update(more));
        }
        for effect in effects {
            match effect {
                Effect::SaveTriage => {
                    let result = store.save(&app.book).err().map(|e| e.to_string());
                    app.update(Msg::Saved(result));
                }
                Effect::SaveSearches => {
                    let result = searches.save(&app.saved).err().map(|e| e.to_string());
                    if result.is_some() {
                        app.update(Msg::Saved(result));
                    }
                }
                Effect::SaveException(item) => {
                    let now = crate::ecs::format_millis(crate::exceptions::now_ms());
                    let result = crate::exceptions::case::add(case_dir, (*item).clone(), &now)
                        .map(|_| item)
                        .map_err(|e| e.to_string());
                    app.update(Msg::ExceptionSaved(result));
                }
                Effect::CancelLoad => cancel.store(true, Ordering::Relaxed),
                // A hunt asked for while the index is still being written waits for it (the
                // hunt view says "indexing…" meanwhile).
                Effect::Hunt { .. } | Effect::Around { .. } => waiting.push(effect),
            }
        }
        if let Some(ds) = dataset.get() {
            for effect in waiting.drain(..) {
                spawn_hunt(effect, ds.clone(), hunt_tx.clone());
            }
        }
        if app.quit {
            break;
        }
    }
    Ok(())
}

/// Runs a hunt or a context listing on its own thread and sends the answer back. Hunts are
/// read-only on a finished index, so several may run at once; the app keeps the newest.
fn spawn_hunt(effect: Effect, ds: Arc<Dataset>, tx: mpsc::Sender<Msg>) {
    std::thread::spawn(move || {
        let started = Instant::now();
        if let Some((generation, result)) = hunt_answer(&effect, &ds) {
            let _ = tx.send(Msg::HuntDone {
                generation,
                result,
                took_ms: started.elapsed().as_millis() as u64,
            });
        }
    });
}

/// Carries out a hunt or a context listing on `ds`: the generation its answer must carry and
/// the answer (`None` for any other effect). The runner calls it on a thread of its own.
pub fn hunt_answer(
    effect: &Effect,
    ds: &Dataset,
) -> Option<(u64, Result<crate::hunt::Results, String>)> {
    let (generation, result) = match effect {
        Effect::Hunt { generation, hunt } => (
            *generation,
            crate::hunt::run(ds, hunt, Some(hunt::LIST_LIMIT)),
        ),
        Effect::Around {
            generation,
            who,
            from_ms,
            to_ms,
        } => (
            *generation,
            crate::hunt::around(ds, who, *from_ms, *to_ms, Some(hunt::LIST_LIMIT)),
        ),
        _ => return None,
    };
    Some((generation, result.map_err(|e| e.to_string())))
}

/// Name of the worker thread that loads the data.
const LOADER_THREAD: &str = "pstriage-loader";

fn spawn_loader(
    opts: LoadOptions,
    tx: mpsc::Sender<Msg>,
    cancel: Arc<AtomicBool>,
    dataset: DatasetCell,
) {
    let builder = std::thread::Builder::new().name(LOADER_THREAD.into());
    let spawned = builder.spawn(move || {
        let outcome = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            load(&opts, &tx, &cancel, &dataset)
        }));
        let msg = match outcome {
            Ok(Ok(())) => return,
            Ok(Err(e)) => Msg::Failed(format!("{e:#}")),
            Err(_) => Msg::Failed(t("msg.loader_crashed").into()),
        };
        let _ = tx.send(msg);
    });
    if let Err(e) = spawned {
        eprintln!("pstriage: {}", tf("msg.no_loader", &[("why", &e)]));
    }
}

/// Loads in phases: the rules (the screen opens on them), the one pass (alerts sent as they are
/// found, while the index is written), then the reassembled scripts and split-script findings,
/// then the decoded pass, which can take a while on big exports.
fn load(
    opts: &LoadOptions,
    tx: &mpsc::Sender<Msg>,
    cancel: &AtomicBool,
    dataset: &DatasetCell,
) -> anyhow::Result<()> {
    let mut progress = |p: &crate::ingest::Progress| {
        let _ = tx.send(Msg::Progress(p.clone()));
    };
    let rules = session::load_rules(opts)?;
    let provisional = crate::workspace::Workspace::provisional(rules.rules.clone(), opts.analyzer);
    let _ = tx.send(Msg::Started(Box::new(provisional)));
    let found = |alerts: &[crate::alert::Alert]| {
        let _ = tx.send(Msg::Found(alerts.to_vec()));
    };
    let first = session::first_phase(opts, rules, &mut progress, Some(&found), cancel)?;
    let (ws, ds) = (first.ws, first.ds);
    let ds = Arc::new(ds);
    let _ = dataset.set(ds.clone());
    let second = ws.second_phase();
    let _ = tx.send(Msg::Loaded(Box::new(ws)));
    let result = second.run(&ds)?;
    let scripts = result.scripts.clone();
    let _ = tx.send(Msg::SecondPhase(Box::new(result)));
    // A cold load decoded on its way; a reused index is read once more for it.
    let decoded = match first.decoded {
        Some(pass) => pass,
        None => second.decode(&ds, &scripts)?,
    };
    let _ = tx.send(Msg::Decoded(Box::new(decoded)));
    Ok(())
}
