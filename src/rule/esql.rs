//! ES|QL, the subset Elastic's PowerShell rules are written in, run offline with
//! Elasticsearch's semantics: `from … metadata _id`, `where`, `eval`, `keep`, `drop`, `limit`,
//! `sort`, `grok`, `stats … by`; `replace` (Java regex), `length`, `like`, `rlike` (Lucene
//! regexp), `:`, `is null`, `in`, casts, arithmetic, `to_lower`/`to_upper`, `mv_min`/`mv_max`,
//! `coalesce`; `count`, `count_distinct`, `values`, `min`, `max`. A per-event rule (one that asks
//! for `_id`, without `stats`) alerts on each document its pipeline keeps; a rule over alerts
//! (`from .alerts-security.*` with `stats`) alerts on each group it keeps.
//!
//! Knows nothing of files, the index or the terminal; `rule` loads queries through `parse`.

mod ast;
mod eval;
mod grok;
pub mod java_regex;
mod lexer;
mod lucene_regexp;
mod parser;
mod prefilter;
mod text_counts;

pub use ast::Query;
pub use eval::{fire_in, run, run_table, Fire, Group, Outcome, V};
pub use parser::parse;
pub use text_counts::TextMemo;

impl Query {
    /// Whether the query reads Kibana's alerts (`.alerts-security.*`) rather than events.
    pub fn reads_alerts(&self) -> bool {
        self.from.iter().any(|p| p.starts_with(".alerts-"))
    }

    /// Whether Kibana alerts on each row's source document (`metadata _id` and no `stats`),
    /// rather than on the rows themselves.
    pub fn per_event(&self) -> bool {
        self.metadata.iter().any(|m| m == "_id") && !self.aggregates()
    }

    /// What an event must hold for the pipeline to keep it (a KQL query that may hold on more
    /// events, never on fewer): see `prefilter`.
    pub fn necessary(&self) -> crate::rule::kql::Expr {
        prefilter::necessary(self)
    }

    /// Whether the query groups its rows (`stats`): each output row is then one alert.
    pub fn aggregates(&self) -> bool {
        self.steps
            .iter()
            .any(|s| matches!(s.kind, ast::StepKind::Stats { .. }))
    }
}
