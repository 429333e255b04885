//! `pstriage scan`: the alerts the rules raise over the exports, on stdout; what loading
//! reported, on stderr.

use super::{count_of, say, LoadArgs};
use crate::alert::Alert;
use crate::output::{self, Format};
use crate::rule::Rule;
use crate::session::{self, LoadOptions};
use anyhow::Context;
use clap::Args;
use std::io::Write;
use std::path::PathBuf;
use std::sync::atomic::AtomicBool;
use std::sync::Arc;
use std::time::Instant;

#[derive(Args, Debug)]
pub struct ScanArgs {
    /// Output format: `table` (aligned columns), `ndjson` (one Elastic alert document per
    /// line), `json` (an array of them) or `csv`. Example: --format ndjson
    #[arg(long, value_enum, default_value = "table")]
    pub format: Format,
    /// Also report split-script findings: rules that match a script reassembled from its
    /// 4104 fragments while no single fragment does (Elastic never raises these; they carry
    /// pstriage.kind "split_script"). Without it, scan is Elastic-exact.
    #[arg(long)]
    pub reassembled: bool,
    /// Evaluate the rules while reading, without building an index: for pipelines that only
    /// want the alerts. Same alerts (and, with --decoded, the same decoded-layer findings) as
    /// the indexed scan.
    #[arg(long, conflicts_with = "reassembled")]
    pub stream: bool,
    /// Also report decoded-layer findings: rules that match a layer the script decodes to
    /// (base64, -EncodedCommand, gzip/deflate, char codes, reversal, masks, XOR; decoded
    /// statically, never run) while the logged text does not. They carry pstriage.kind
    /// "decoded", pstriage.decoded.layers and pstriage.decoded.logged_as. Beyond Elastic.
    #[arg(long)]
    pub decoded: bool,
    /// Also print the alerts that an exception item (--exceptions) suppresses, with
    /// pstriage.suppressed_by naming the item. Without it they are left out, as Elastic does.
    #[arg(long)]
    pub with_suppressed: bool,
    /// Export files or directories (recursed).
    #[arg(required = true)]
    pub paths: Vec<PathBuf>,
}

pub fn run(load: &LoadArgs, args: ScanArgs) -> anyhow::Result<()> {
    let opts = load.options(args.paths);
    if args.stream {
        scan_stream(opts, args.format, args.decoded, args.with_suppressed)
    } else {
        scan_indexed(
            opts,
            args.format,
            args.reassembled,
            args.decoded,
            args.with_suppressed,
        )
    }
}

/// Elastic caps each run at max_signals new alerts: say when a burst would have been cut.
fn warn_max_signals(alerts: &[Alert], rules: &[Rule]) {
    for (i, matches, dropped) in crate::schedule::max_signals_overflow(alerts, rules) {
        let m = &rules[i].meta;
        say(format_args!(
            "rule '{}': {matches} matches, but Elastic would have raised only {} of them: bursts of more than {} \
             new alerts in one {} run are cut (runs assumed aligned to the clock); all {matches} are listed",
            m.name,
            matches - dropped,
            m.max_signals,
            m.interval
        ));
    }
}

/// `scan --stream`: rules evaluated while reading, no index.
fn scan_stream(
    opts: LoadOptions,
    format: Format,
    decoded: bool,
    with_suppressed: bool,
) -> anyhow::Result<()> {
    let started = Instant::now();
    let set = session::load_rules(&opts)?;
    set.said().for_each(say);
    let mut report = crate::ingest::IngestReport::default();
    let inputs = crate::ingest::collect_inputs(&opts.paths, &mut report);
    let decoder = decoded.then(|| {
        crate::detect::Decoder::new(&set.rules, opts.analyzer, crate::decode::Limits::default())
    });
    // Alerts are written in time order once all are in: until then their documents wait in a
    // scratch file rather than in memory.
    let spill = match crate::event::Spill::new() {
        Ok(spill) => Some(Arc::new(spill)),
        Err(e) => {
            say(format_args!(
                "no scratch file for the alerts' documents in {} ({e}): they are kept in memory",
                std::env::temp_dir().display()
            ));
            None
        }
    };
    let streamed = crate::detect::stream(
        &inputs,
        &set.rules,
        opts.analyzer,
        decoder.as_ref(),
        spill.as_ref(),
        &AtomicBool::new(false),
    )?;
    report
        .diagnostics
        .iter()
        .chain(&streamed.report.diagnostics)
        .for_each(say);
    let mut alerts = streamed.alerts;
    if let Some(pass) = streamed.decoded {
        say_decoded(&pass);
        alerts.extend(pass.findings);
        crate::detect::sort(&mut alerts);
    }
    apply_exceptions(&opts, &mut alerts, &set.rules, with_suppressed)?;
    let how = format!("{}; streamed (no index)", streamed.report.summary());
    finish(&alerts, &set.rules, format, &how, started)
}

/// Marks the alerts the `--exceptions` items suppress, runs the rules over alerts on the rest,
/// says how many each item took, and leaves them out unless `with_suppressed`.
fn apply_exceptions(
    opts: &LoadOptions,
    alerts: &mut Vec<Alert>,
    rules: &[Rule],
    with_suppressed: bool,
) -> anyhow::Result<()> {
    let (set, notes) = session::load_exceptions(opts, None)?;
    notes.iter().for_each(say);
    let now = crate::exceptions::now_ms();
    crate::detect::mark_and_correlate(alerts, rules, opts.analyzer, &set, now);
    if set.is_empty() {
        return Ok(());
    }
    let tally = crate::exceptions::tally(alerts);
    let total: usize = tally.iter().map(|(_, n)| n).sum();
    let detail: Vec<String> = tally
        .iter()
        .map(|(s, n)| format!("{:?} ({}/{}): {n}", s.item_name, s.list_id, s.item_id))
        .collect();
    say(format_args!(
        "exceptions: {} in force; {} suppressed{}{}",
        count_of(set.in_force(now), "item"),
        count_of(total, "alert"),
        if detail.is_empty() { "" } else { ": " },
        detail.join(", ")
    ));
    if !with_suppressed {
        alerts.retain(|a| a.suppressed_by.is_none());
    }
    Ok(())
}

/// The decoded pass's summary line.
fn say_decoded(pass: &crate::detect::DecodedPass) {
    say(format_args!(
        "{} decoded: {} with encoded, compressed or masked layers, {} of them logged again when run; {}",
        count_of(pass.texts, "script text"),
        pass.with_layers,
        pass.decoded_from.len(),
        count_of(pass.findings.len(), "decoded-layer finding")
    ));
}

fn scan_indexed(
    opts: LoadOptions,
    format: Format,
    reassembled: bool,
    decoded: bool,
    with_suppressed: bool,
) -> anyhow::Result<()> {
    let started = Instant::now();
    let set = session::load_rules(&opts)?;
    set.said().for_each(say);
    let ds = session::open_dataset(&opts, &mut |_| {}, &AtomicBool::new(false))?;
    session::report_loading(&ds, |m| say(m));
    let mut alerts = crate::detect::run(&ds, &set.rules).context("running the rules")?;
    let mut scripts = None;
    if reassembled {
        let before = alerts.len();
        let all = crate::detect::add_split_findings(&ds, &set.rules, &mut alerts)
            .context("reassembling scripts")?;
        say(format_args!(
            "{} multi-fragment scripts ({} partial), {}",
            all.len(),
            all.iter().filter(|s| s.is_partial()).count(),
            count_of(alerts.len() - before, "split-script finding")
        ));
        scripts = Some(all);
    }
    if decoded {
        let scripts = match scripts {
            Some(s) => s,
            None => crate::detect::scripts(&ds).context("reassembling scripts")?,
        };
        let pass = crate::detect::decoded_pass(
            &ds,
            &set.rules,
            &scripts,
            &crate::decode::Limits::default(),
        )
        .context("decoding script blocks")?;
        say_decoded(&pass);
        alerts.extend(pass.findings);
        crate::detect::sort(&mut alerts);
    }
    apply_exceptions(&opts, &mut alerts, &set.rules, with_suppressed)?;
    let how = format!(
        "{}; index {} ({})",
        ds.manifest().report.summary(),
        if ds.reused() { "reused" } else { "built" },
        ds.dir().display()
    );
    finish(&alerts, &set.rules, format, &how, started)
}

/// What every scan ends with: the max_signals warning, the alerts on stdout, a summary line.
fn finish(
    alerts: &[Alert],
    rules: &[Rule],
    format: Format,
    how: &str,
    started: Instant,
) -> anyhow::Result<()> {
    warn_max_signals(alerts, rules);
    let stdout = std::io::stdout();
    let mut out = std::io::BufWriter::new(stdout.lock());
    output::write(&mut out, format, alerts, rules).context("writing the alerts")?;
    out.flush().context("writing the alerts")?;
    say(format_args!(
        "{how}; {} from {} in {:.2}s",
        count_of(alerts.len(), "alert"),
        count_of(rules.len(), "rule"),
        started.elapsed().as_secs_f64()
    ));
    Ok(())
}
