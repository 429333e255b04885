//! Running rules over an open dataset: the compiled tantivy query finds candidates, the pure
//! evaluator confirms each (see `alert::check`). Results are sorted by time, then source order.

use crate::alert::{self, Alert};
use crate::index::{compile, Dataset};
use crate::rule::Rule;
use tantivy::collector::DocSetCollector;

/// All alerts of `rules` over `ds`.
pub fn run(ds: &Dataset, rules: &[Rule]) -> tantivy::Result<Vec<Alert>> {
    let searcher = ds.reader.searcher();
    let mut alerts = Vec::new();
    for (i, rule) in rules.iter().enumerate() {
        let compiled = compile(&rule.expr, &ds.fields, ds.analyzer);
        let mut candidates: Vec<_> = searcher
            .search(&*compiled.query, &DocSetCollector)?
            .into_iter()
            .collect();
        candidates.sort();
        for addr in candidates {
            let event = ds.event(&searcher, addr)?;
            if let Some(a) = alert::check(rule, i, &event, ds.analyzer) {
                alerts.push((addr, a));
            }
        }
    }
    alerts.sort_by(|(aa, a), (ab, b)| {
        a.time_ms
            .cmp(&b.time_ms)
            .then(aa.cmp(ab))
            .then(a.rule.cmp(&b.rule))
    });
    Ok(alerts.into_iter().map(|(_, a)| a).collect())
}
