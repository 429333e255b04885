//! The `pstriage` binary: parses the command line, runs the TUI or a headless command, prints
//! errors and sets the exit code (0 done, 2 fatal). All the work lives in the library.

use anyhow::Context;
use clap::{Args, Parser, Subcommand};
use pstriage::analysis::Analyzer;
use pstriage::output::{self, Format};
use pstriage::session::{self, LoadOptions};
use pstriage::triage::store::{default_case_dir, Store};
use pstriage::triage::{Action, Status};
use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::atomic::AtomicBool;
use std::time::Instant;

const AFTER_HELP: &str = "\
Examples:
  pstriage                              open the TUI on the bundled sample data
  pstriage exports/                     open the TUI on every export under exports/
  pstriage scan winlogbeat.ndjson.gz    print the alerts Elastic would raise
  pstriage scan --format ndjson dump.json | jq .
";

/// Triage PowerShell script-block (event 4104) alerts offline, with Elastic's rule semantics.
#[derive(Parser, Debug)]
#[command(name = "pstriage", version, after_help = AFTER_HELP)]
struct Cli {
    #[command(subcommand)]
    command: Option<Command>,
    #[command(flatten)]
    load: LoadArgs,
    /// Exports to open in the TUI (files or directories); none opens the bundled sample data.
    paths: Vec<PathBuf>,
    /// Keep the triage file (triage.json) in DIR instead of $XDG_DATA_HOME/pstriage.
    /// Example: --case ./case-2024-117
    #[arg(long, value_name = "DIR")]
    case: Option<PathBuf>,
}

/// Prints a message on stderr, made safe for the terminal (it may quote log text or paths).
fn say(msg: impl std::fmt::Display) {
    eprintln!("pstriage: {}", pstriage::safe_text::line(&msg.to_string()));
}

fn default_paths(paths: Vec<PathBuf>) -> anyhow::Result<Vec<PathBuf>> {
    Ok(if paths.is_empty() {
        vec![sample_data()?]
    } else {
        paths
    })
}

fn case_dir(case: Option<PathBuf>) -> anyhow::Result<PathBuf> {
    match case {
        Some(d) => Ok(d),
        None => {
            default_case_dir().context("no data directory for the triage file: pass --case DIR")
        }
    }
}

/// `pstriage triage`: the same `Book::apply` + `Store::save` the TUI uses.
fn triage(load: &LoadArgs, args: TriageArgs) -> anyhow::Result<()> {
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
    for &n in &args.tick {
        anyhow::ensure!(n >= 1, "--tick counts steps from 1");
        actions.push(Action::Tick(n - 1));
    }
    for &n in &args.untick {
        anyhow::ensure!(n >= 1, "--untick counts steps from 1");
        actions.push(Action::Untick(n - 1));
    }
    anyhow::ensure!(
        !actions.is_empty(),
        "nothing to change: give --status, --close, --note, --tick or --untick"
    );
    let selects = !args.alert.is_empty() || args.host.is_some() || args.rule.is_some();
    anyhow::ensure!(
        selects || args.all,
        "choose the alerts: --alert ID, --host, --rule, or --all"
    );

    let opts = load_options(load, default_paths(args.paths.clone())?);
    let ws = session::load_workspace(&opts, &mut |_| {}, &AtomicBool::new(false))?;
    let (store, mut book) = Store::open(&case_dir(args.case.clone())?);
    if let Some(why) = &store.read_only {
        anyhow::bail!("{why}");
    }
    let _lock = store
        .lock()
        .map_err(|e| anyhow::anyhow!(e.replace("; opened read-only", "")))?;
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
        let steps = ws.guides[ws.alerts[i].rule].steps.len();
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
        store.save(&book).map_err(|e| anyhow::anyhow!(e))?;
    }
    say(format_args!(
        "{} alert{} selected, {changed} change{} saved to {}",
        chosen.len(),
        if chosen.len() == 1 { "" } else { "s" },
        if changed == 1 { "" } else { "s" },
        store.path.display()
    ));
    Ok(())
}

/// The sample export, compiled into the binary so `pstriage` works from any directory.
const SAMPLE: &[u8] = include_bytes!("../sample-data/winlogbeat-powershell-2024.05.20-22.ndjson");

/// Writes the bundled sample to the cache directory (once) and returns its path.
fn sample_data() -> anyhow::Result<PathBuf> {
    let dir = pstriage::index::default_cache_root()
        .context("no cache directory for the sample data")?
        .join("sample");
    let path = dir.join("winlogbeat-powershell-2024.05.20-22.ndjson");
    if std::fs::read(&path).ok().as_deref() != Some(SAMPLE) {
        std::fs::create_dir_all(&dir).with_context(|| format!("creating {}", dir.display()))?;
        std::fs::write(&path, SAMPLE).with_context(|| format!("writing {}", path.display()))?;
    }
    Ok(path)
}

#[derive(Args, Debug, Clone)]
struct LoadArgs {
    /// How powershell.file.script_block_text is tokenized: `pattern` (today's Elastic mapping)
    /// or `standard` (Winlogbeat 7.x indices). Example: --analyzer standard
    #[arg(long, global = true, default_value = "pattern", value_parser = parse_analyzer)]
    analyzer: Analyzer,
    /// Extra rule file or directory of Elastic detection-rules TOML (repeatable).
    /// Example: --rules ~/detection-rules/rules/windows
    #[arg(long = "rules", global = true, value_name = "PATH")]
    rules: Vec<PathBuf>,
    /// Do not load the bundled rules (use only --rules).
    #[arg(long, global = true)]
    no_default_rules: bool,
    /// Keep the index in DIR instead of the per-export cache directory. Example: --index ./case1.idx
    #[arg(long, global = true, value_name = "DIR")]
    index: Option<PathBuf>,
}

#[derive(Subcommand, Debug)]
enum Command {
    /// Print the alerts the rules raise over the exports (no TUI).
    #[command(after_help = "\
Examples:
  pstriage scan sample-data/
  pstriage scan --format csv exports/ > alerts.csv
  pstriage scan --analyzer standard --rules my-rules/ winlogbeat-7.ndjson

Input: ECS NDJSON, JSON arrays, Elasticsearch _search responses and {\"_source\":…} lines, any
of them gzip-compressed. Bad records are reported on stderr as path:line: reason and skipped.
Exit status: 0 when the scan completed (skipped records included), 2 on a fatal error.")]
    Scan {
        /// Output format: `table` (aligned columns), `ndjson` (one Elastic alert document per
        /// line), `json` (an array of them) or `csv`. Example: --format ndjson
        #[arg(long, value_enum, default_value = "table")]
        format: Format,
        /// Also report split-script findings: rules that match a script reassembled from its
        /// 4104 fragments while no single fragment does (Elastic never raises these; they carry
        /// pstriage.kind "split_script"). Without it, scan is Elastic-exact.
        #[arg(long)]
        reassembled: bool,
        /// Evaluate the rules while reading, without building an index: for pipelines that only
        /// want the alerts. Same alerts as the indexed scan.
        #[arg(long, conflicts_with = "reassembled")]
        stream: bool,
        /// Export files or directories (recursed).
        #[arg(required = true)]
        paths: Vec<PathBuf>,
    },
    /// Write the triage of every alert as Markdown (or JSON).
    #[command(after_help = "\
Examples:
  pstriage report exports/ > triage.md
  pstriage report --format json --case ./case-117 exports/ | jq '.[] | select(.status==\"closed\")'")]
    Report {
        /// `markdown` or `json`.
        #[arg(long, value_enum, default_value = "markdown")]
        format: ReportFormat,
        /// Triage directory (default: $XDG_DATA_HOME/pstriage). Example: --case ./case-117
        #[arg(long, value_name = "DIR")]
        case: Option<PathBuf>,
        /// Exports (none: the bundled sample data).
        paths: Vec<PathBuf>,
    },
    /// Change triage without the TUI (same code path): for one alert id or every alert matching
    /// a filter.
    #[command(after_help = "\
Examples:
  pstriage triage --alert 3f2a… --status acknowledged exports/
  pstriage triage --alert 3f2a… --close true_positive --note 'confirmed with IR' exports/
  pstriage triage --host win10-01 --tick 1 --tick 4 exports/
  pstriage triage --all --status acknowledged exports/")]
    Triage(TriageArgs),
    /// List the loaded rules.
    Rules,
}

#[derive(Clone, Copy, Debug, clap::ValueEnum)]
enum ReportFormat {
    Markdown,
    Json,
}

#[derive(Args, Debug)]
struct TriageArgs {
    /// The alert id (as `scan --format ndjson` prints it in pstriage.alert_id).
    #[arg(long, value_name = "ID")]
    alert: Vec<String>,
    /// Every alert on this host.
    #[arg(long)]
    host: Option<String>,
    /// Every alert of this rule (name or rule_id).
    #[arg(long)]
    rule: Option<String>,
    /// Every alert (needed when no other selector is given, so nothing changes by accident).
    #[arg(long)]
    all: bool,
    /// New status: open or acknowledged (use --close to close).
    #[arg(long, value_parser = ["open", "acknowledged"])]
    status: Option<String>,
    /// Close with a reason: false_positive, duplicate, true_positive, benign_positive, other.
    #[arg(long, value_parser = ["false_positive", "duplicate", "true_positive", "benign_positive", "other"])]
    close: Option<String>,
    /// Replace the note.
    #[arg(long)]
    note: Option<String>,
    /// Tick checklist step N (1-based; repeatable).
    #[arg(long, value_name = "N")]
    tick: Vec<usize>,
    /// Untick checklist step N (1-based; repeatable).
    #[arg(long, value_name = "N")]
    untick: Vec<usize>,
    /// Triage directory (default: $XDG_DATA_HOME/pstriage).
    #[arg(long, value_name = "DIR")]
    case: Option<PathBuf>,
    /// Exports (none: the bundled sample data).
    paths: Vec<PathBuf>,
}

fn parse_analyzer(s: &str) -> Result<Analyzer, String> {
    s.parse()
}

fn main() -> ExitCode {
    let cli = match Cli::try_parse() {
        Ok(c) => c,
        Err(e) => {
            let code = if e.use_stderr() { 2 } else { 0 };
            let _ = e.print();
            return ExitCode::from(code);
        }
    };
    match run(cli) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            say(format_args!("error: {e:#}"));
            ExitCode::from(2)
        }
    }
}

fn load_options(load: &LoadArgs, paths: Vec<PathBuf>) -> LoadOptions {
    LoadOptions {
        paths,
        analyzer: load.analyzer,
        rule_paths: load.rules.clone(),
        no_default_rules: load.no_default_rules,
        index_dir: load.index.clone(),
        cache_root: None,
    }
}

fn run(cli: Cli) -> anyhow::Result<()> {
    match cli.command {
        Some(Command::Scan {
            format,
            reassembled,
            stream,
            paths,
        }) => {
            let opts = load_options(&cli.load, paths);
            if stream {
                scan_stream(opts, format)
            } else {
                scan(opts, format, reassembled)
            }
        }
        Some(Command::Report {
            format,
            case,
            paths,
        }) => {
            let opts = load_options(&cli.load, default_paths(paths)?);
            let ws = session::load_workspace(&opts, &mut |_| {}, &AtomicBool::new(false))?;
            let (store, book) = Store::open(&case_dir(case)?);
            if let Some(why) = &store.read_only {
                say(why);
            }
            let text = match format {
                ReportFormat::Markdown => pstriage::report::markdown(&ws, &book),
                ReportFormat::Json => {
                    serde_json::to_string_pretty(&pstriage::report::json(&ws, &book))? + "\n"
                }
            };
            std::io::stdout().write_all(text.as_bytes())?;
            Ok(())
        }
        Some(Command::Triage(args)) => triage(&cli.load, args),
        Some(Command::Rules) => {
            let set = session::load_rules(&load_options(&cli.load, Vec::new()))?;
            for s in &set.skipped {
                say(s);
            }
            for r in &set.rules {
                println!(
                    "{}  v{}  {}/{}  {}  ({})",
                    r.meta.rule_id,
                    r.meta.version,
                    r.meta.severity,
                    r.meta.risk_score,
                    r.meta.name,
                    r.origin
                );
            }
            Ok(())
        }
        None => {
            let paths = if cli.paths.is_empty() {
                vec![sample_data()?]
            } else {
                cli.paths.clone()
            };
            let case_dir = match cli.case.clone() {
                Some(d) => d,
                None => pstriage::triage::store::default_case_dir()
                    .context("no data directory for the triage file: pass --case DIR")?,
            };
            pstriage::tui::run(load_options(&cli.load, paths), &case_dir)
        }
    }
}

/// Elastic caps each run at max_signals new alerts: say when a burst would have been cut.
fn warn_max_signals(alerts: &[pstriage::alert::Alert], rules: &[pstriage::rule::Rule]) {
    for (i, matches, dropped) in pstriage::schedule::max_signals_overflow(alerts, rules) {
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
fn scan_stream(opts: LoadOptions, format: Format) -> anyhow::Result<()> {
    let started = Instant::now();
    let set = session::load_rules(&opts)?;
    for s in &set.skipped {
        say(s);
    }
    let mut report = pstriage::ingest::IngestReport::default();
    let inputs = pstriage::ingest::collect_inputs(&opts.paths, &mut report);
    let (alerts, loaded) =
        pstriage::detect::stream(&inputs, &set.rules, opts.analyzer, &AtomicBool::new(false))?;
    for d in report.diagnostics.iter().chain(&loaded.diagnostics) {
        say(d);
    }
    let how = format!("{}; streamed (no index)", loaded.summary());
    finish(&alerts, &set.rules, format, &how, started)
}

/// What every scan ends with: the max_signals warning, the alerts on stdout, a summary line.
fn finish(
    alerts: &[pstriage::alert::Alert],
    rules: &[pstriage::rule::Rule],
    format: Format,
    how: &str,
    started: Instant,
) -> anyhow::Result<()> {
    warn_max_signals(alerts, rules);
    let stdout = std::io::stdout();
    let mut out = std::io::BufWriter::new(stdout.lock());
    output::write(&mut out, format, alerts, rules).context("writing the alerts")?;
    out.flush().context("writing the alerts")?;
    let plural = |n: usize| if n == 1 { "" } else { "s" };
    say(format_args!(
        "{how}; {} alert{} from {} rule{} in {:.2}s",
        alerts.len(),
        plural(alerts.len()),
        rules.len(),
        plural(rules.len()),
        started.elapsed().as_secs_f64()
    ));
    Ok(())
}

fn scan(opts: LoadOptions, format: Format, reassembled: bool) -> anyhow::Result<()> {
    let started = Instant::now();
    let set = session::load_rules(&opts)?;
    for s in &set.skipped {
        say(s);
    }
    let cancel = AtomicBool::new(false);
    let ds = session::open_dataset(&opts, &mut |_| {}, &cancel)?;

    if let Some(why) = &ds.rebuilt_because {
        say(why);
    }
    let report = &ds.manifest.report;
    for d in &report.diagnostics {
        say(d);
    }
    if report.diagnostics_dropped > 0 {
        say(format_args!(
            "… and {} more problems not listed",
            report.diagnostics_dropped
        ));
    }
    let mut alerts = pstriage::detect::run(&ds, &set.rules).context("running the rules")?;
    if reassembled {
        let before = alerts.len();
        let scripts = pstriage::detect::add_split_findings(&ds, &set.rules, &mut alerts)
            .context("reassembling scripts")?;
        let found = alerts.len() - before;
        say(format_args!(
            "{} multi-fragment scripts ({} partial), {found} split-script finding{}",
            scripts.len(),
            scripts.iter().filter(|s| s.is_partial()).count(),
            if found == 1 { "" } else { "s" }
        ));
    }
    let how = format!(
        "{}; index {} ({})",
        report.summary(),
        if ds.reused { "reused" } else { "built" },
        ds.dir.display()
    );
    finish(&alerts, &set.rules, format, &how, started)
}
