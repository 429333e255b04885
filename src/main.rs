//! The `pstriage` binary: clap's top level and the dispatch to a command (`commands::*`) or the
//! TUI; prints a fatal error and sets the exit code (0 done, 2 fatal or a query that does not
//! parse). All the work lives in the library.

use clap::{Parser, Subcommand};
use pstriage::commands::exceptions::ExceptionsArgs;
use pstriage::commands::report::ReportArgs;
use pstriage::commands::scan::ScanArgs;
use pstriage::commands::search::{SearchArgs, SearchError};
use pstriage::commands::triage::TriageArgs;
use pstriage::commands::{self, case_dir, paths_or_sample, say, LoadArgs};
use pstriage::i18n::{self, Lang};
use std::path::PathBuf;
use std::process::ExitCode;

const AFTER_HELP: &str = "\
Examples:
  pstriage                              open the TUI on the bundled sample data
  pstriage exports/                     open the TUI on every export under exports/
  pstriage scan winlogbeat.ndjson.gz    print the alerts Elastic would raise
  pstriage scan --format ndjson dump.json | jq .
  pstriage search 'host.name:wks-0019 and Invoke-Mimikatz' exports/
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
    /// Interface language: en or zh (screens, help, checklists, glossary, report headings).
    /// Default: from LC_ALL, LC_MESSAGES or LANG (zh* is Chinese). Example: --lang zh
    #[arg(long, global = true, value_name = "en|zh")]
    lang: Option<Lang>,
    /// Worker threads for parsing, rules, decoding and indexing (1 to 64). Default: the
    /// machine's cores, at most 8. Example: --threads 4
    #[arg(long, global = true, value_name = "N", value_parser = pstriage::threads::parse)]
    threads: Option<usize>,
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
    Scan(ScanArgs),
    /// Hunt every event with a KQL query (no TUI): the matching events in time order.
    #[command(after_help = "\
Examples:
  pstriage search 'powershell.file.script_block_text:(VirtualAlloc and CreateThread)' exports/
  pstriage search 'host.name:wks-0019 and powershell.file.script_block_text:\"Invoke-Mimikatz\"' exports/
  pstriage search --count 'user.id:\"S-1-5-18\"' exports/
  pstriage search --format ndjson '@timestamp >= \"2024-05-21\" and Invoke-Expression' exports/ | jq .
  pstriage search --save lsass 'lsass and MiniDumpWriteDump' exports/
  pstriage search --saved lsass other-exports/

The query is KQL, evaluated exactly as the rules are: a value without a field searches every
field, as Kibana does. Exit status: 0 on any number of matches (none included), 2 when the
query does not parse (query:LINE:COLUMN: reason) or on a fatal error.")]
    Search(SearchArgs),
    /// Write the triage of every alert as Markdown (or JSON).
    #[command(after_help = "\
Examples:
  pstriage report exports/ > triage.md
  pstriage report --format json --case ./case-117 exports/ | jq '.[] | select(.status==\"closed\")'")]
    Report(ReportArgs),
    /// Change triage without the TUI (same code path): for one alert id or every alert matching
    /// a filter.
    #[command(after_help = "\
Examples:
  pstriage triage --alert 3f2a… --status acknowledged exports/
  pstriage triage --alert 3f2a… --close true_positive --note 'confirmed with IR' exports/
  pstriage triage --host win10-01 --tick 1 --tick 4 exports/
  pstriage triage --all --status acknowledged exports/")]
    Triage(TriageArgs),
    /// The case's exception list (what `x` in the TUI saves), or any Kibana export.
    #[command(after_help = "\
Examples:
  pstriage exceptions list --case ./case-117
  pstriage exceptions show sccm-inventory --case ./case-117
  pstriage exceptions export -o case-117-exceptions.ndjson --case ./case-117
  pstriage exceptions list --file team-exceptions.ndjson
  pstriage exceptions remove sccm-inventory --case ./case-117

The case's list lives in exceptions.ndjson beside triage.json, in Kibana's export format:
Kibana imports the file (or the export) unchanged. Apply a list to a scan with --exceptions.")]
    Exceptions(ExceptionsArgs),
    /// List the loaded rules (with --glossary: what each API name they look for does).
    Rules(commands::rules::RulesArgs),
    /// Training for new SOC staff: say whether the rule fires on each script block and which
    /// API names make it, then see the truth, the rule's clause tree and the glossary.
    #[command(after_help = "Examples:
  pstriage train --trainee ana                       # 10 cards from the bundled sample
  pstriage train --trainee ana --cards 20 --seed 7 incident-117/
  pstriage train --report                            # every trainee's sessions, Markdown

Keys: y / n the verdict, then j/k and space to pick the names, Enter to reveal, Enter for the
next card, q to stop (the cards answered so far are saved).")]
    Train(commands::train::TrainArgs),
}

/// `pstriage train`: the report, or a session on the terminal.
fn train(load: &LoadArgs, args: commands::train::TrainArgs) -> anyhow::Result<()> {
    use commands::train::{self as t, Plan};
    let plan = match t::plan(load, args)? {
        Plan::Report(markdown) => {
            print!("{markdown}");
            return Ok(());
        }
        Plan::Session(plan) => plan,
    };
    let no_color = std::env::var_os("NO_COLOR").is_some_and(|v| !v.is_empty());
    let mut app =
        pstriage::tui::train::TrainApp::new(plan.deck, &plan.trainee, plan.session, no_color);
    let (path, trainee) = (plan.path, plan.trainee);
    let saved = pstriage::tui::train::run(&mut app, &mut |session| {
        t::save(&path, &trainee, session)
            .map(|()| path.clone())
            .map_err(|e| format!("{e:#}"))
    })?;
    t::finish(&trainee, &app.scores, app.session.seed, saved.as_deref());
    Ok(())
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
    i18n::set(cli.lang.unwrap_or_else(Lang::from_env));
    pstriage::threads::set(cli.threads);
    let result = match cli.command {
        Some(Command::Scan(args)) => commands::scan::run(&cli.load, args),
        Some(Command::Search(args)) => match commands::search::run(&cli.load, args) {
            Err(SearchError::Query(e)) => {
                say(e);
                return ExitCode::from(commands::search::BAD_QUERY);
            }
            other => other.map_err(anyhow::Error::from),
        },
        Some(Command::Report(args)) => commands::report::run(&cli.load, args),
        Some(Command::Triage(args)) => commands::triage::run(&cli.load, args),
        Some(Command::Exceptions(args)) => commands::exceptions::run(args),
        Some(Command::Rules(args)) => commands::rules::run(&cli.load, args),
        Some(Command::Train(args)) => train(&cli.load, args),
        None => open_tui(cli.load, cli.paths, cli.case),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            say(format_args!("error: {e:#}"));
            ExitCode::from(2)
        }
    }
}

fn open_tui(load: LoadArgs, paths: Vec<PathBuf>, case: Option<PathBuf>) -> anyhow::Result<()> {
    let opts = load.options(paths_or_sample(paths)?);
    pstriage::tui::run(opts, &case_dir(case)?)
}
