//! `pstriage exceptions list|show|export|remove`: the case's own exception list
//! (`exceptions.ndjson`), or with `--file` any Kibana exception-list export (read only).

use super::{case_dir, count_of, say};
use crate::exceptions::{self, case, ExceptionFile, Item};
use crate::safe_text::line as sanitize;
use anyhow::Context;
use clap::{Args, Subcommand};
use std::io::Write;
use std::path::PathBuf;

#[derive(Args, Debug)]
pub struct ExceptionsArgs {
    #[command(subcommand)]
    pub action: Action,
    /// Case directory (default: $XDG_DATA_HOME/pstriage). Example: --case ./case-117
    #[arg(long, value_name = "DIR", global = true)]
    pub case: Option<PathBuf>,
    /// Read this Kibana export instead of the case's list (list, show and export only).
    #[arg(long, value_name = "FILE", global = true)]
    pub file: Option<PathBuf>,
}

#[derive(Subcommand, Debug)]
pub enum Action {
    /// Every item: id, name, entries, expiry.
    List,
    /// One item in full, with its comments.
    Show { item_id: String },
    /// The list in Kibana's export format (stdout, or --output FILE), ready for
    /// Kibana's "Import exception list".
    Export {
        #[arg(long, short, value_name = "FILE")]
        output: Option<PathBuf>,
    },
    /// Removes an item from the case's list.
    Remove { item_id: String },
}

pub fn run(args: ExceptionsArgs) -> anyhow::Result<()> {
    let case = case_dir(args.case.clone())?;
    let (file, from) = match &args.file {
        Some(f) => (
            exceptions::read(f).with_context(|| format!("{}: cannot read", f.display()))?,
            f.clone(),
        ),
        None => (
            case::load(&case).context("reading the case's exceptions")?,
            case::case_file(&case),
        ),
    };
    file.problems.iter().for_each(say);
    let mut out = std::io::stdout().lock();
    match args.action {
        Action::List => {
            if file.items.is_empty() {
                say(format_args!("{}: no exception items", from.display()));
            }
            let now = exceptions::now_ms();
            for it in &file.items {
                writeln!(
                    out,
                    "{}\t{}\t{}{}",
                    sanitize(&it.item_id),
                    sanitize(&it.name),
                    sanitize(&entries_line(it)),
                    if it.expired(now) { "\t(expired)" } else { "" }
                )?;
            }
        }
        Action::Show { item_id } => {
            let it = find(&file, &item_id, &from)?;
            writeln!(out, "item:        {}", sanitize(&it.item_id))?;
            writeln!(out, "name:        {}", sanitize(&it.name))?;
            writeln!(
                out,
                "list:        {} ({})",
                sanitize(&it.list_id),
                it.namespace_type
            )?;
            if !it.description.is_empty() {
                writeln!(out, "description: {}", sanitize(&it.description))?;
            }
            writeln!(out, "suppresses an alert when all of these hold:")?;
            for e in &it.entries {
                writeln!(out, "  - {}", sanitize(&e.describe()))?;
            }
            if !it.os_types.is_empty() {
                writeln!(out, "  - and the host's OS is one of {:?}", it.os_types)?;
            }
            if let Some(t) = it.expires_ms {
                let state = if it.expired(exceptions::now_ms()) {
                    "expired"
                } else {
                    "expires"
                };
                writeln!(out, "{state}:     {}", crate::ecs::format_millis(t))?;
            }
            for c in &it.comments {
                writeln!(out, "comment:     {}", sanitize(c))?;
            }
        }
        Action::Export { output } => {
            let text = exceptions::export(&file.lists, &file.items);
            match output {
                Some(p) => {
                    // `write_atomically` ends the file with the line break.
                    let body = text.trim_end_matches('\n');
                    crate::triage::store::write_atomically(&p, body.as_bytes())?;
                    say(format_args!(
                        "{}: {} written",
                        p.display(),
                        count_of(file.items.len(), "item")
                    ));
                }
                None => out.write_all(text.as_bytes())?,
            }
        }
        Action::Remove { item_id } => {
            anyhow::ensure!(
                args.file.is_none(),
                "remove works on the case's list; --file exports are read only"
            );
            find(&file, &item_id, &from)?;
            let items: Vec<Item> = file
                .items
                .iter()
                .filter(|i| i.item_id != item_id)
                .cloned()
                .collect();
            case::save(&case, &file.lists, &items)?;
            say(format_args!("{}: removed {item_id:?}", from.display()));
        }
    }
    Ok(())
}

fn find<'f>(
    file: &'f ExceptionFile,
    item_id: &str,
    from: &std::path::Path,
) -> anyhow::Result<&'f Item> {
    file.items
        .iter()
        .find(|i| i.item_id == item_id)
        .with_context(|| format!("{}: no item {item_id:?}", from.display()))
}

fn entries_line(it: &Item) -> String {
    it.entries
        .iter()
        .map(|e| e.describe())
        .collect::<Vec<_>>()
        .join(" and ")
}
