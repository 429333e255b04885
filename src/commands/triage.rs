//! `pstriage triage`: the same `Book::apply` + `Store::save` the TUI uses, for one alert id or
//! every alert a filter selects.

use super::{case_dir, count_of, paths_or_sample, say, LoadArgs};
use crate::session;
use crate::triage::store::Store;
use crate::triage::{Action, Status, CLOSING_REASONS};
use clap::builder::PossibleValuesParser;
use clap::Args;
use std::path::PathBuf;
use std::sync::atomic::AtomicBool;

#[derive(Args, Debug)]
pub struct TriageArgs {
    /// The alert id (as `scan --format ndjson` prints it in pstriage.alert_id).
    #[arg(long, value_name = "ID")]
    pub alert: Vec<String>,
    /// Every alert on this host.
    #[arg(long)]
    pub host: Option<String>,
    /// Every alert of this rule (name or rule_id).
    #[arg(long)]
    pub rule: Option<String>,
    /// Every alert (needed when no other selector is given, so nothing changes by accident).
    #[arg(long)]
    pub all: bool,
    /// New status: open or acknowledged (use --close to close).
    #[arg(long, value_parser = ["open", "acknowledged"])]
    pub status: Option<String>,
    /// Close with a reason.
    #[arg(long, value_parser = PossibleValuesParser::new(CLOSING_REASONS))]
    pub close: Option<String>,
    /// Replace the note.
    #[arg(long)]
    pub note: Option<String>,
    /// Tick checklist step N (1-based; repeatable).
    #[arg(long, value_name = "N")]
    pub tick: Vec<usize>,
    /// Untick checklist step N (1-based; repeatable).
    #[arg(long, value_name = "N")]
    pub untick: Vec<usize>,
    /// Triage directory (default: $XDG_DATA_HOME/pstriage).
    #[arg(long, value_name = "DIR")]
    pub case: Option<PathBuf>,
    /// Exports (none: the bundled sample data).
    pub paths: Vec<PathBuf>,
}

/// The triage actions the flags ask for, in a fixed order.
fn actions_of(args: &TriageArgs) -> anyhow::Result<Vec<Action>> {
    let mut actions = Vec::new();
    if let Some(s) = &args.status {
        actions.push(Action::SetStatus(if s == "open" {
            Status::Open
        } else {
            Status::Acknowledged
        }));
    }
    if let Some(r) = &args.close {
        actions.push(Action::Close(r.clone()));
    }
    if let Some(n) = &args.note {
        actions.push(Action::SetNote(n.clone()));
    }
    for (steps, tick) in [(&args.tick, true), (&args.untick, false)] {
        for &n in steps {
            anyhow::ensure!(n >= 1, "--tick and --untick count steps from 1");
            actions.push(if tick {
                Action::Tick(n - 1)
            } else {
                Action::Untick(n - 1)
            });
        }
    }
    anyhow::ensure!(
        !actions.is_empty(),
        "nothing to change: give --status, --close, --note, --tick or --untick"
    );
    Ok(actions)
}

pub fn run(load: &LoadArgs, args: TriageArgs) -> anyhow::Result<()> {
    let actions = actions_of(&args)?;
    let selects = !args.alert.is_empty() || args.host.is_some() || args.rule.is_some();
    anyhow::ensure!(
        selects || args.all,
        "choose the alerts: --alert ID, --host, --rule, or --all"
    );

    let opts = load.options(paths_or_sample(args.paths.clone())?);
    let mut ws = session::load_workspace(&opts, &mut |_| {}, &AtomicBool::new(false))?;
    let case = case_dir(args.case.clone())?;
    // The alerts the TUI lists: exceptions marked, and the rules over alerts run on the rest.
    let (exceptions, _) = session::load_exceptions(&opts, Some(&case))?;
    let (rules, analyzer) = (&ws.rules, ws.analyzer);
    let now = crate::exceptions::now_ms();
    crate::detect::mark_and_correlate(&mut ws.alerts, rules, analyzer, &exceptions, now);
    let (store, mut book) = Store::open(&case);
    if let Some(why) = &store.read_only {
        anyhow::bail!("{why}");
    }
    let _lock = store.lock()?;
    for id in &args.alert {
        anyhow::ensure!(
            ws.alerts.iter().any(|a| &a.id == id),
            "no alert with id {id} in these exports"
        );
    }
    let chosen: Vec<usize> = (0..ws.alerts.len())
        .filter(|&i| {
            let a = &ws.alerts[i];
            let r = &ws.rules[a.rule].meta;
            (args.alert.is_empty() || args.alert.contains(&a.id))
                && args
                    .host
                    .as_ref()
                    .is_none_or(|h| a.host.as_ref() == Some(h))
                && args
                    .rule
                    .as_ref()
                    .is_none_or(|x| &r.name == x || &r.rule_id == x)
        })
        .collect();
    for &i in &chosen {
        let steps = ws.guides[ws.alerts[i].rule].en.steps.len();
        for a in &actions {
            if let Action::Tick(n) | Action::Untick(n) = a {
                anyhow::ensure!(
                    *n < steps,
                    "step {} does not exist: the rule has {steps} steps",
                    n + 1
                );
            }
        }
    }
    let now = chrono::Utc::now().timestamp_millis();
    let mut changed = 0;
    for &i in &chosen {
        for a in &actions {
            changed += usize::from(book.apply(&ws.alerts[i].id, a, now));
        }
    }
    if changed > 0 {
        store.save(&book)?;
    }
    say(format_args!(
        "{} selected, {} saved to {}",
        count_of(chosen.len(), "alert"),
        count_of(changed, "change"),
        store.path.display()
    ));
    Ok(())
}
