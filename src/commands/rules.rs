//! `pstriage rules`: the loaded rules, one line each (and a line per filter), and why any were
//! skipped or what of them is not applied.

use super::{say, LoadArgs};
use crate::session;

pub fn run(load: &LoadArgs) -> anyhow::Result<()> {
    let set = session::load_rules(&load.options(Vec::new()))?;
    set.said().for_each(say);
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
