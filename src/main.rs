//! The `pstriage` binary: parses the command line, runs the TUI or a headless command, prints
//! errors and sets the exit code (0 done, 2 fatal). All the work lives in the library.

use anyhow::Context;
use clap::{Args, Parser, Subcommand};
use pstriage::analysis::Analyzer;
use pstriage::index::OpenError;
use pstriage::ingest::IngestError;
use pstriage::output::{self, Format};
use pstriage::session::{self, LoadOptions};
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
        /// Export files or directories (recursed).
        #[arg(required = true)]
        paths: Vec<PathBuf>,
    },
    /// List the loaded rules.
    Rules,
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
            eprintln!("pstriage: error: {e:#}");
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
        Some(Command::Scan { format, paths }) => scan(load_options(&cli.load, paths), format),
        Some(Command::Rules) => {
            let set = session::load_rules(&load_options(&cli.load, Vec::new()))?;
            for s in &set.skipped {
                eprintln!("pstriage: {s}");
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

fn scan(opts: LoadOptions, format: Format) -> anyhow::Result<()> {
    let started = Instant::now();
    let set = session::load_rules(&opts)?;
    for s in &set.skipped {
        eprintln!("pstriage: {s}");
    }
    let cancel = AtomicBool::new(false);
    let ds = session::open_dataset(&opts, &mut |_| {}, &cancel).inspect_err(|e| {
        if let OpenError::Ingest(IngestError::NoInput(diags)) = e {
            for d in diags {
                eprintln!("pstriage: {d}");
            }
        }
    })?;

    let report = &ds.manifest.report;
    for d in &report.diagnostics {
        eprintln!("pstriage: {d}");
    }
    if report.diagnostics_dropped > 0 {
        eprintln!(
            "pstriage: … and {} more problems not listed",
            report.diagnostics_dropped
        );
    }
    let alerts = pstriage::detect::run(&ds, &set.rules).context("running the rules")?;
    let stdout = std::io::stdout();
    let mut out = std::io::BufWriter::new(stdout.lock());
    output::write(&mut out, format, &alerts, &set.rules).context("writing the alerts")?;
    out.flush().context("writing the alerts")?;
    eprintln!(
        "pstriage: {}; index {} ({}); {} alert{} from {} rule{} in {:.2}s",
        report.summary(),
        if ds.reused { "reused" } else { "built" },
        ds.dir.display(),
        alerts.len(),
        if alerts.len() == 1 { "" } else { "s" },
        set.rules.len(),
        if set.rules.len() == 1 { "" } else { "s" },
        started.elapsed().as_secs_f64()
    );
    Ok(())
}
