//! `pstriage rules`: the loaded rules, one line each (and a line per filter), and why any were
//! skipped or what of them is not applied; with `--glossary`, the API glossary of their names.

use super::{say, LoadArgs};
use crate::session;
use clap::Args;

#[derive(Args, Debug)]
pub struct RulesArgs {
    /// Print the API glossary instead (Markdown): for each rule, what every name it looks for
    /// in the script text does, its ATT&CK techniques and its group in the rule.
    #[arg(long)]
    pub glossary: bool,
}

pub fn run(load: &LoadArgs, args: RulesArgs) -> anyhow::Result<()> {
    let set = session::load_rules(&load.options(Vec::new()))?;
    set.said().for_each(say);
    if args.glossary {
        print!("{}", crate::glossary::markdown(&set.rules));
        return Ok(());
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
        for filter in &r.filters {
            println!("    filter: {filter}");
        }
    }
    Ok(())
}
