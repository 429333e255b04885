//! What every command does first: load the rules (bundled + `--rules`) and open the dataset
//! (resolve paths, reuse or build the index). Shared by `scan`, `report`, `triage` and the TUI.

use crate::alert::Alert;
use crate::analysis::Analyzer;
use crate::detect::{self, DecodedPass, Decoder, Evaluator, OnFound};
use crate::i18n::{t, tf};
use crate::index::{self, Dataset, OpenError, OpenOptions};
use crate::ingest::{self, IngestReport, Progress};
use crate::rule::{self, Loaded, Rule};
use crate::workspace::Workspace;
use std::fs;
use std::path::{Path, PathBuf};
use std::sync::atomic::AtomicBool;

/// Options common to every command that loads data.
#[derive(Clone, Debug, Default)]
pub struct LoadOptions {
    pub paths: Vec<PathBuf>,
    pub analyzer: Analyzer,
    pub rule_paths: Vec<PathBuf>,
    pub no_default_rules: bool,
    pub index_dir: Option<PathBuf>,
    pub cache_root: Option<PathBuf>,
    /// Kibana exception-list exports whose items apply to every loaded rule.
    pub exceptions: Vec<PathBuf>,
}

/// Rules that loaded, and the notes on those that did not run.
pub struct RuleSet {
    pub rules: Vec<Rule>,
    /// `rule 'X' (path): skipped: reason` lines.
    pub skipped: Vec<String>,
    /// `rule 'X' (path): note: …` lines: what loading a rule that runs found worth saying.
    pub notes: Vec<String>,
}

impl RuleSet {
    /// Every line to tell the user: the skipped rules, then the notes.
    pub fn said(&self) -> impl Iterator<Item = &String> {
        self.skipped.iter().chain(&self.notes)
    }
}

/// A rule problem that stops the run.
#[derive(Debug, thiserror::Error)]
pub enum RulesError {
    #[error(transparent)]
    Rule(#[from] rule::RuleError),
    #[error("{}", tf("errors.rules_unreadable", &[("path", &.0.display()), ("why", &.1)]))]
    Io(PathBuf, std::io::Error),
    #[error("{}", t("errors.no_rules"))]
    None,
}

/// Loads the bundled rules (unless disabled) and every `.toml` under the `--rules` paths.
/// The exception items in force: those of `opts.exceptions` (a file that cannot be read stops
/// the run: a typo must not silently suppress nothing) and of the case's own
/// `exceptions.ndjson` when `case` is given (one that cannot be read is a note: the case still
/// opens, and nothing overwrites that file), with a line for each item that could not be read.
pub fn load_exceptions(
    opts: &LoadOptions,
    case: Option<&std::path::Path>,
) -> Result<(crate::exceptions::Exceptions, Vec<String>), ExceptionsError> {
    use crate::exceptions::{self, Exceptions};
    let mut files = Vec::new();
    let mut notes = Vec::new();
    for p in &opts.exceptions {
        files.push(exceptions::read(p).map_err(|e| ExceptionsError(p.clone(), e))?);
    }
    if let Some(case) = case {
        match exceptions::case::load(case) {
            Ok(file) => files.push(file),
            Err(e) => notes.push(ExceptionsError(exceptions::case_file(case), e).to_string()),
        }
    }
    let mut set = Exceptions::default();
    for file in files {
        notes.extend(file.problems.iter().map(ToString::to_string));
        set.add(file);
    }
    Ok((set, notes))
}

/// An exception file that cannot be read.
#[derive(Debug, thiserror::Error)]
#[error("{path}: cannot read exceptions: {err}", path = .0.display(), err = .1)]
pub struct ExceptionsError(pub PathBuf, pub std::io::Error);

pub fn load_rules(opts: &LoadOptions) -> Result<RuleSet, RulesError> {
    let mut rules = if opts.no_default_rules {
        Vec::new()
    } else {
        rule::bundled()
    };
    let (mut skipped, mut notes) = (Vec::new(), Vec::new());
    let mut files = Vec::new();
    for p in &opts.rule_paths {
        collect_toml(p, &mut files)?;
    }
    for f in files {
        let text = fs::read_to_string(&f).map_err(|e| RulesError::Io(f.clone(), e))?;
        match rule::load(&text, &f.display().to_string())? {
            Loaded::Rule(r) => {
                notes.extend(r.load_notes.iter().map(|n| {
                    tf(
                        "errors.rule_note",
                        &[("rule", &r.meta.name), ("path", &f.display()), ("note", n)],
                    )
                }));
                // A file with the id of a bundled rule replaces it.
                rules.retain(|x| x.meta.rule_id != r.meta.rule_id);
                rules.push(*r);
            }
            Loaded::Skipped { name, reason } => skipped.push(tf(
                "errors.rule_skipped",
                &[("rule", &name), ("path", &f.display()), ("why", &reason)],
            )),
        }
    }
    if rules.is_empty() {
        return Err(RulesError::None);
    }
    Ok(RuleSet {
        rules,
        skipped,
        notes,
    })
}

fn collect_toml(p: &Path, out: &mut Vec<PathBuf>) -> Result<(), RulesError> {
    let meta = fs::metadata(p).map_err(|e| RulesError::Io(p.to_path_buf(), e))?;
    if meta.is_file() {
        out.push(p.to_path_buf());
        return Ok(());
    }
    let mut entries: Vec<PathBuf> = fs::read_dir(p)
        .map_err(|e| RulesError::Io(p.to_path_buf(), e))?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .collect();
    entries.sort();
    for e in entries {
        if e.is_dir() {
            collect_toml(&e, out)?;
        } else if e.extension().is_some_and(|x| x == "toml") {
            out.push(e);
        }
    }
    Ok(())
}

/// Why a case could not be loaded.
#[derive(Debug, thiserror::Error)]
pub enum LoadError {
    #[error(transparent)]
    Rules(#[from] RulesError),
    #[error(transparent)]
    Open(#[from] OpenError),
    #[error("{}", tf("errors.running_rules", &[("why", &.0)]))]
    Index(#[from] index::IndexError),
}

/// Loads the rules, opens the dataset and runs the rules: everything the TUI and `report` show.
pub fn load_workspace(
    opts: &LoadOptions,
    progress: &mut dyn FnMut(&Progress),
    cancel: &AtomicBool,
) -> Result<Workspace, LoadError> {
    let (mut ws, ds) = load_first_phase(opts, progress, cancel)?;
    let phase = ws.second_phase();
    let second = phase.run(&ds)?;
    let decoded = phase.decode(&ds, &second.scripts)?;
    ws.merge(second);
    ws.merge_decoded(decoded);
    Ok(ws)
}

/// The first phase of `load_workspace` (what the first frame needs), with the dataset for
/// the second (`Workspace::reassemble`).
pub fn load_first_phase(
    opts: &LoadOptions,
    progress: &mut dyn FnMut(&Progress),
    cancel: &AtomicBool,
) -> Result<(Workspace, Dataset), LoadError> {
    let first = first_phase(opts, load_rules(opts)?, progress, None, cancel)?;
    Ok((first.ws, first.ds))
}

/// What the first phase gives.
pub struct FirstPhase {
    pub ws: Workspace,
    pub ds: Dataset,
    /// The decoded pass, when the one pass made it on the way (see `open_and_detect`); else
    /// it is run on the dataset (`SecondPhase::decode`).
    pub decoded: Option<DecodedPass>,
}

/// The first phase with rules already loaded; `found` hears each batch of alerts as the one
/// pass finds them (see `open_and_detect`).
pub fn first_phase(
    opts: &LoadOptions,
    set: RuleSet,
    progress: &mut dyn FnMut(&Progress),
    found: Option<OnFound>,
    cancel: &AtomicBool,
) -> Result<FirstPhase, LoadError> {
    let RuleSet {
        rules,
        skipped,
        notes,
    } = set;
    let detected = open_and_detect(opts, &rules, progress, found, cancel)?;
    let mut ws = Workspace::build(&detected.ds, rules, detected.alerts)?;
    ws.diagnostics.extend(skipped.iter().chain(&notes).cloned());
    ws.skipped_rules = skipped;
    Ok(FirstPhase {
        ws,
        ds: detected.ds,
        decoded: detected.decoded,
    })
}

/// Passes on what opening `ds` reported: why it was rebuilt, and the problems in the exports
/// (`path:line: reason`), capped as loading capped them.
pub fn report_loading(ds: &Dataset, mut say: impl FnMut(&dyn std::fmt::Display)) {
    if let Some(why) = ds.rebuilt_because() {
        say(&why);
    }
    let report = &ds.manifest().report;
    for d in &report.diagnostics {
        say(d);
    }
    if report.diagnostics_dropped > 0 {
        say(&format_args!(
            "… and {} more problems not listed",
            report.diagnostics_dropped
        ));
    }
}

/// Resolves the input paths and opens (or builds) their index.
pub fn open_dataset(
    opts: &LoadOptions,
    progress: &mut dyn FnMut(&Progress),
    cancel: &AtomicBool,
) -> Result<Dataset, OpenError> {
    open_tapped(opts, progress, &mut |_| {}, cancel)
}

fn open_tapped(
    opts: &LoadOptions,
    progress: &mut dyn FnMut(&Progress),
    tap: &mut dyn index::Tap,
    cancel: &AtomicBool,
) -> Result<Dataset, OpenError> {
    let mut report = IngestReport::default();
    let inputs = ingest::collect_inputs(&opts.paths, &mut report);
    let open = OpenOptions {
        analyzer: opts.analyzer,
        index_dir: opts.index_dir.clone(),
        cache_root: opts.cache_root.clone(),
    };
    index::open_or_build(&inputs, report, &open, progress, tap, cancel)
}

/// What `open_and_detect` found.
pub struct Detected {
    pub ds: Dataset,
    /// Sorted (`detect::sort`).
    pub alerts: Vec<Alert>,
    /// The decoded pass, when the load was one pass (which decodes each script block as it
    /// checks it, as `scan --stream --decoded` does).
    pub decoded: Option<DecodedPass>,
}

/// Opens the dataset and raises the alerts of `rules` over it. With someone to hear alerts as
/// they are found (`found`: the TUI's list) and an index to build, in one pass: the events are
/// checked on the evaluator's workers as they are indexed — and their script blocks decoded,
/// so the decoded pass needs no second read of the index — each batch's alerts go to `found`
/// at once, and all are final before the index is committed. Otherwise the index's candidates
/// answer (`detect::run`), and `found` hears nothing: checking every event with every rule
/// costs more CPU than confirming the few hundred candidates of a finished index (a cold
/// `scan` of 100 MB took 1.74 s in one pass against 1.56 s on two cores), so a command that
/// shows nothing before the end does not pay for it. Either way the alerts are the same, in
/// the same order.
pub fn open_and_detect(
    opts: &LoadOptions,
    rules: &[Rule],
    progress: &mut dyn FnMut(&Progress),
    found: Option<OnFound>,
    cancel: &AtomicBool,
) -> Result<Detected, LoadError> {
    let candidates = |ds: Dataset| -> Result<Detected, LoadError> {
        let alerts = detect::run(&ds, rules)?;
        Ok(Detected {
            ds,
            alerts,
            decoded: None,
        })
    };
    if found.is_none() {
        return candidates(open_dataset(opts, progress, cancel)?);
    }
    let decoder = Decoder::new(rules, opts.analyzer, crate::decode::Limits::default());
    std::thread::scope(|scope| {
        let mut evaluator =
            Evaluator::start(scope, rules, opts.analyzer, Some(&decoder), found, None);
        let ds = open_tapped(opts, progress, &mut evaluator, cancel)?;
        if ds.reused() {
            drop(evaluator);
            return candidates(ds);
        }
        let evaluated = evaluator.finish();
        Ok(Detected {
            ds,
            alerts: evaluated.alerts,
            decoded: evaluated.decoded,
        })
    })
}
