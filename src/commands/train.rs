//! `pstriage train`: a training session for new SOC staff on any export (the bundled sample by
//! default), scored and saved per trainee; `--report` prints the trainer's summary. This module
//! deals the deck and keeps the files; the session itself runs on `tui::train`.

use super::{case_dir, paths_or_sample, say, LoadArgs};
use crate::i18n::tf;
use crate::training::{self, Session, TraineeFile};
use anyhow::Context;
use clap::Args;
use std::path::{Path, PathBuf};
use std::sync::atomic::AtomicBool;

#[derive(Args, Debug)]
pub struct TrainArgs {
    /// Who is training (default: "trainee"): their sessions are kept in training/NAME.json in
    /// the data directory.
    #[arg(long)]
    pub trainee: Option<String>,
    /// Cards in the session (about 40 % alerts, 40 % near misses, 20 % benign blocks).
    #[arg(long, default_value_t = 10)]
    pub cards: usize,
    /// The deck's order: the same seed and export give the same cards in the same order
    /// (default: from the clock; the session records it).
    #[arg(long)]
    pub seed: Option<u64>,
    /// The rule to train on, by name (case-insensitive, part of it is enough); default: the
    /// first loaded rule (Potential Process Injection via PowerShell).
    #[arg(long)]
    pub rule: Option<String>,
    /// Print the trainer's report (Markdown: sessions, scores, most-missed API names) of every
    /// trainee, or of --trainee when it is given, and exit.
    #[arg(long)]
    pub report: bool,
    /// Data directory (default: $XDG_DATA_HOME/pstriage). Example: --case ./academy
    #[arg(long, value_name = "DIR")]
    pub case: Option<PathBuf>,
    /// Exports to draw the cards from (none: the bundled sample data).
    pub paths: Vec<PathBuf>,
}

/// What `train` is to do: print the report, or run a session (on the terminal, which the
/// caller owns).
pub enum Plan {
    Report(String),
    Session(SessionPlan),
}

/// A session ready to run: the deck, the session record to fill, and where it is saved.
pub struct SessionPlan {
    pub deck: Vec<training::Card>,
    pub session: Session,
    pub trainee: String,
    pub path: PathBuf,
}

/// Reads the trainee files for `--report`, or loads the rules and the exports and deals the
/// deck for a session.
pub fn plan(load: &LoadArgs, args: TrainArgs) -> anyhow::Result<Plan> {
    let dir = case_dir(args.case.clone())?.join("training");
    if args.report {
        let files = read_trainees(&dir, args.trainee.as_deref())?;
        return Ok(Plan::Report(training::report(&files)));
    }
    let trainee = args.trainee.unwrap_or_else(|| "trainee".into());
    let opts = load.options(paths_or_sample(args.paths)?);
    let set = crate::session::load_rules(&opts)?;
    let rule = match &args.rule {
        Some(name) => set
            .rules
            .iter()
            .find(|r| r.meta.name.to_lowercase().contains(&name.to_lowercase())),
        None => set.rules.first(),
    }
    .filter(|r| !r.over_alerts())
    .context("no loaded rule of that name that reads events (see `pstriage rules`)")?;
    let mut report = crate::ingest::IngestReport::default();
    let inputs = crate::ingest::collect_inputs(&opts.paths, &mut report);
    let mut events = Vec::new();
    let read = crate::ingest::ingest(
        &inputs,
        &mut |e| events.push(e),
        &mut |_| {},
        &AtomicBool::new(false),
    )?;
    read.diagnostics.iter().for_each(say);
    let seed = args.seed.unwrap_or_else(|| {
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_secs())
    });
    let deck = training::build_deck(&events, rule, opts.analyzer, seed, args.cards);
    anyhow::ensure!(
        !deck.is_empty(),
        "no script blocks in the input to make cards from"
    );
    Ok(Plan::Session(SessionPlan {
        deck,
        session: Session {
            started: crate::ecs::format_millis(chrono::Utc::now().timestamp_millis()),
            rule: rule.meta.name.clone(),
            seed,
            cards: Vec::new(),
        },
        path: dir.join(training::file_name(&trainee)),
        trainee,
    }))
}

/// The line said when a session ends.
pub fn finish(trainee: &str, scores: &[training::CardScore], seed: u64, saved: Option<&Path>) {
    let points: u32 = scores.iter().map(training::CardScore::points).sum();
    let n = scores.len();
    let cards = tf(
        if n == 1 {
            "train.cards_one"
        } else {
            "train.cards_other"
        },
        &[("n", &n)],
    );
    let saved = saved
        .map(|p| tf("train.finish_saved", &[("path", &p.display())]))
        .unwrap_or_default();
    say(tf(
        "train.finish",
        &[
            ("trainee", &trainee),
            ("points", &points),
            ("max", &(2 * n)),
            ("cards", &cards),
            ("saved", &saved),
            ("seed", &seed),
        ],
    ));
}

/// Appends `session` to the trainee's file (written atomically; an unreadable file is kept
/// aside, never overwritten).
pub fn save(path: &Path, trainee: &str, session: Session) -> anyhow::Result<()> {
    let mut file = match std::fs::read(path) {
        Ok(bytes) => serde_json::from_slice::<TraineeFile>(&bytes).with_context(|| {
            format!(
                "{} is not a trainee file; move it away to start a new one",
                path.display()
            )
        })?,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => TraineeFile {
            trainee: trainee.to_owned(),
            sessions: Vec::new(),
        },
        Err(e) => return Err(e).with_context(|| format!("reading {}", path.display())),
    };
    file.sessions.push(session);
    let body = serde_json::to_vec_pretty(&file)?;
    crate::triage::store::write_atomically(path, &body)?;
    Ok(())
}

/// The trainee files in `dir` (only `only`'s when given), sorted by name; unreadable ones are
/// said on stderr and left out.
pub fn read_trainees(dir: &Path, only: Option<&str>) -> anyhow::Result<Vec<TraineeFile>> {
    let mut names: Vec<PathBuf> = match std::fs::read_dir(dir) {
        Ok(entries) => entries
            .filter_map(|e| e.ok().map(|e| e.path()))
            .filter(|p| p.extension().is_some_and(|x| x == "json"))
            .collect(),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Vec::new(),
        Err(e) => return Err(e).with_context(|| format!("reading {}", dir.display())),
    };
    if let Some(t) = only {
        names.retain(|p| p.file_name() == Some(training::file_name(t).as_ref()));
    }
    names.sort();
    let mut out = Vec::new();
    for p in names {
        match std::fs::read(&p)
            .map_err(anyhow::Error::from)
            .and_then(|b| Ok(serde_json::from_slice::<TraineeFile>(&b)?))
        {
            Ok(f) => out.push(f),
            Err(e) => say(format_args!("{}: not a trainee file: {e}", p.display())),
        }
    }
    Ok(out)
}
