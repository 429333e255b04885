//! Detection rules: Elastic detection-rules TOML files, the KQL they hold, and the bundled
//! rules compiled into the binary. Pure: loading takes text, never paths (callers read files).

pub mod dsl;
pub mod esql;
pub mod filter;
pub mod guide;
pub mod kql;
pub mod translation;

use kql::Expr;
use serde::de::IgnoredAny;
use serde::{Deserialize, Serialize};

/// The rules that ship inside the binary, as (file name, TOML text).
pub const BUNDLED: &[(&str, &str)] = &[
    (
        "potential_process_injection_via_powershell.toml",
        include_str!("../assets/rules/potential_process_injection_via_powershell.toml"),
    ),
    (
        "powershell_psreflect_script.toml",
        include_str!("../assets/rules/powershell_psreflect_script.toml"),
    ),
];

/// A loaded query rule, its KQL parsed.
#[derive(Clone, Debug, Serialize)]
pub struct Rule {
    #[serde(flatten)]
    pub meta: RuleMeta,
    /// Where it came from: `bundled:<file>` or the file path.
    pub origin: String,
    #[serde(skip)]
    pub expr: Expr,
    /// The query prepared for fast yes/no checks.
    #[serde(skip)]
    pub plan: kql::Plan,
    /// `[[rule.filters]]`, read: ANDed with the query as the detection engine does.
    #[serde(skip)]
    pub filters: Vec<filter::Filter>,
    /// For an ES|QL rule, its query. `expr` is then `Expr::All` (the rule has no KQL to show or
    /// mark) and `plan` is the pipeline's necessary condition (`esql::Query::necessary`): the
    /// events it rejects are never run through the pipeline, which decides the rest.
    #[serde(skip)]
    pub esql: Option<esql::Query>,
    /// What loading the rule found worth saying, one sentence each: parts of the file that
    /// change what Elastic raises and that pstriage does not apply (never dropped silently),
    /// and filters that cannot match what they seem to mean.
    #[serde(skip)]
    pub load_notes: Vec<String>,
}

/// A rule's reference to an exception list (`id` and `type` are Kibana's, kept as written).
#[derive(Clone, Debug, Default, Deserialize, Serialize, PartialEq, Eq)]
pub struct ExceptionListRef {
    pub list_id: String,
    #[serde(default = "single")]
    pub namespace_type: String,
    #[serde(default)]
    pub id: Option<String>,
    #[serde(default, rename = "type")]
    pub list_type: Option<String>,
}

fn single() -> String {
    "single".into()
}

/// The `[rule]` table, as far as pstriage uses it (unknown keys are ignored).
#[derive(Clone, Debug, Deserialize, Serialize)]
pub struct RuleMeta {
    pub name: String,
    /// Kibana exception lists the rule uses (`[[rule.exceptions_list]]`), matched by list id and
    /// namespace when such a list is loaded.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub exceptions_list: Vec<ExceptionListRef>,
    /// Kibana filters (query DSL) as written; `Rule::filters` holds them read.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub filters: Vec<serde_json::Value>,
    pub rule_id: String,
    /// Absent in detection-rules files (kept in a lock file); Kibana gives such a rule 1.
    #[serde(default = "one")]
    pub version: u32,
    #[serde(default)]
    pub description: String,
    pub severity: String,
    pub risk_score: u32,
    #[serde(rename = "type")]
    pub rule_type: String,
    #[serde(default)]
    pub language: Option<String>,
    #[serde(default)]
    pub query: Option<String>,
    #[serde(default)]
    pub index: Vec<String>,
    #[serde(default = "default_from")]
    pub from: String,
    #[serde(default = "default_interval")]
    pub interval: String,
    #[serde(default = "default_max_signals")]
    pub max_signals: u32,
    #[serde(default)]
    pub timestamp_override: Option<String>,
    #[serde(default)]
    pub note: Option<String>,
    #[serde(default)]
    pub setup: Option<String>,
    #[serde(default)]
    pub references: Vec<String>,
    #[serde(default)]
    pub tags: Vec<String>,
    #[serde(default)]
    pub author: Vec<String>,
    #[serde(default)]
    pub license: Option<String>,
    #[serde(default)]
    pub false_positives: Vec<String>,
    #[serde(default)]
    pub threat: Vec<Threat>,
    /// The keys `not_applied` notes, read with the rest (only whether they are there matters).
    #[serde(default, skip_serializing)]
    alert_suppression: Option<IgnoredAny>,
    #[serde(default, skip_serializing)]
    severity_mapping: Option<IgnoredAny>,
    #[serde(default, skip_serializing)]
    risk_score_mapping: Option<IgnoredAny>,
    #[serde(default, skip_serializing)]
    rule_name_override: Option<IgnoredAny>,
    #[serde(default, skip_serializing)]
    data_view_id: Option<IgnoredAny>,
    #[serde(default, skip_serializing)]
    building_block_type: Option<IgnoredAny>,
    /// `enabled`, whatever its type (only `false` is worth a note).
    #[serde(default, skip_serializing)]
    enabled: Option<toml::Value>,
}

fn one() -> u32 {
    1
}
fn default_from() -> String {
    "now-6m".into()
}
fn default_interval() -> String {
    "5m".into()
}
fn default_max_signals() -> u32 {
    100
}

/// One `[[rule.threat]]` entry: a MITRE ATT&CK tactic and its techniques.
#[derive(Clone, Debug, Deserialize, Serialize)]
pub struct Threat {
    pub framework: String,
    pub tactic: Ref,
    #[serde(default)]
    pub technique: Vec<Technique>,
}

#[derive(Clone, Debug, Deserialize, Serialize)]
pub struct Technique {
    pub id: String,
    pub name: String,
    pub reference: String,
    #[serde(default)]
    pub subtechnique: Vec<Ref>,
}

/// An ATT&CK id, name and link.
#[derive(Clone, Debug, Deserialize, Serialize)]
pub struct Ref {
    pub id: String,
    pub name: String,
    pub reference: String,
}

#[derive(Deserialize)]
struct RuleFile {
    rule: RuleMeta,
}

/// Keys of a query rule that change which alerts Elastic raises or what they say, and that
/// pstriage does not apply, each with whether `meta` has it and what happens instead. Every
/// other key is metadata for people (shown or not), read above (`filters`, `exceptions_list`,
/// …), or the schedule's.
fn not_applied(meta: &RuleMeta) -> [(&'static str, bool, &'static str); 6] {
    [
        (
            "alert_suppression",
            meta.alert_suppression.is_some(),
            "Kibana would merge alerts that share its group-by fields; every alert is listed here",
        ),
        (
            "severity_mapping",
            meta.severity_mapping.is_some(),
            "Kibana would take the severity from the event's fields; alerts keep the rule's severity",
        ),
        (
            "risk_score_mapping",
            meta.risk_score_mapping.is_some(),
            "Kibana would take the risk score from the event's fields; alerts keep the rule's score",
        ),
        (
            "rule_name_override",
            meta.rule_name_override.is_some(),
            "Kibana would name each alert after an event field; alerts carry the rule's name",
        ),
        (
            "data_view_id",
            meta.data_view_id.is_some(),
            "Kibana would read the data view's index patterns; every loaded event is searched",
        ),
        (
            "building_block_type",
            meta.building_block_type.is_some(),
            "Kibana would hide these alerts from the default alert table; they are listed here",
        ),
    ]
}

/// What loading one rule file gave.
#[derive(Debug)]
pub enum Loaded {
    Rule(Box<Rule>),
    /// A valid rule pstriage cannot run (another type or language): reported, not ignored.
    Skipped {
        name: String,
        reason: String,
    },
}

/// A rule file that cannot be used at all.
#[derive(Debug, thiserror::Error)]
pub enum RuleError {
    #[error("{origin}: not a detection rule file: {message}")]
    Toml { origin: String, message: String },
    #[error("{origin}: rule '{name}': {source}")]
    Query {
        origin: String,
        name: String,
        source: kql::KqlError,
    },
}

/// Parses one rule file's text.
pub fn load(text: &str, origin: &str) -> Result<Loaded, RuleError> {
    let file: RuleFile = toml::from_str(text).map_err(|e| RuleError::Toml {
        origin: origin.to_owned(),
        message: e.to_string().trim().replace('\n', " "),
    })?;
    let meta = file.rule;
    let language = meta.language.as_deref().unwrap_or("");
    if meta.rule_type == "esql" {
        return Ok(load_esql(meta, origin));
    }
    if meta.rule_type != "query" || language != "kuery" {
        return Ok(Loaded::Skipped {
            name: meta.name,
            reason: format!(
                "type '{}' language '{}': only KQL query rules (type 'query', language 'kuery') and ES|QL rules run here",
                meta.rule_type, language
            ),
        });
    }
    let query = meta.query.clone().unwrap_or_default();
    let expr = kql::parse(&query).map_err(|source| RuleError::Query {
        origin: origin.to_owned(),
        name: meta.name.clone(),
        source,
    })?;
    let filters = match filter::parse_all(&meta.filters) {
        Ok(f) => f,
        Err(reason) => {
            return Ok(Loaded::Skipped {
                name: meta.name,
                reason: format!("{reason}; the rule cannot run without it"),
            })
        }
    };
    let plan = kql::Plan::new(&expr);
    Ok(Loaded::Rule(Box::new(Rule {
        load_notes: load_notes(&meta, &filters),
        meta,
        origin: origin.to_owned(),
        expr,
        plan,
        filters,
        esql: None,
    })))
}

/// An ES|QL rule: runs when its query parses within the subset and alerts per event.
fn load_esql(meta: RuleMeta, origin: &str) -> Loaded {
    let skipped = |name: String, reason: String| Loaded::Skipped { name, reason };
    let query = match esql::parse(meta.query.as_deref().unwrap_or("")) {
        Ok(q) => q,
        Err(reason) => return skipped(meta.name, reason),
    };
    match (query.reads_alerts(), query.aggregates()) {
        (true, false) => {
            return skipped(
                meta.name,
                "esql over Kibana's alerts without 'stats' (an alert per alert) is not supported"
                    .into(),
            )
        }
        (false, true) => {
            return skipped(
                meta.name,
                "esql 'stats' over events is not supported (only over alerts, as the correlation rule does)".into(),
            )
        }
        (false, false) if !query.per_event() => {
            return skipped(
                meta.name,
                "esql without 'metadata _id' alerts on aggregated rows, which is not supported"
                    .into(),
            )
        }
        _ => {}
    }
    let mut notes = load_notes(&meta, &[]);
    if !meta.filters.is_empty() {
        return skipped(
            meta.name,
            "filters on an ES|QL rule are not supported".into(),
        );
    }
    let limited = query
        .steps
        .iter()
        .any(|s| s.text.to_ascii_lowercase().starts_with("limit"));
    if limited && query.per_event() {
        notes.push(
            "limit is not applied: one event is one row, and every row the pipeline keeps alerts"
                .into(),
        );
    }
    if limited && query.aggregates() {
        notes.push("limit is not applied: every group the pipeline keeps alerts".into());
    }
    if query.reads_alerts() {
        notes.push(format!(
            "runs over the alerts of the other rules once they are all raised (the whole load, not Kibana's {} look-back)",
            meta.from
        ));
    }
    let mut rule = Rule {
        plan: kql::Plan::new(&Expr::All),
        expr: Expr::All,
        meta,
        origin: origin.to_owned(),
        filters: Vec::new(),
        load_notes: notes,
        esql: Some(query),
    };
    // The stream's prefilter is the query the index finds candidates with.
    rule.plan = kql::Plan::new(&rule.candidate_query());
    Loaded::Rule(Box::new(rule))
}

/// The load notes of a rule read as `meta`, with `filters`.
fn load_notes(meta: &RuleMeta, filters: &[filter::Filter]) -> Vec<String> {
    let mut out: Vec<String> = filters
        .iter()
        .enumerate()
        .filter_map(|(n, f)| Some(format!("filter {}: {}", n + 1, f.clause.lint()?)))
        .collect();
    out.extend(
        not_applied(meta)
            .iter()
            .filter(|(_, present, _)| *present)
            .map(|(key, _, instead)| format!("{key} is not applied: {instead}")),
    );
    if meta.enabled.as_ref().and_then(toml::Value::as_bool) == Some(false) {
        out.push(
            "enabled = false: Elastic ships the rule switched off, so it raises nothing until someone enables it; it runs here"
                .into(),
        );
    }
    out
}

/// The values a KQL query looks for in the script text (plain values, not wildcards), in the
/// order written, each once.
pub fn script_terms(e: &Expr) -> Vec<String> {
    fn walk(e: &Expr, out: &mut Vec<String>) {
        match e {
            Expr::Or(v) | Expr::And(v) => v.iter().for_each(|x| walk(x, out)),
            Expr::Not(x) => walk(x, out),
            Expr::Match { field, value } => {
                let script = field
                    .as_deref()
                    .is_none_or(|f| f == crate::ecs::names::SCRIPT_BLOCK_TEXT);
                if script && value.wildcard.is_none() && !out.contains(&value.text) {
                    out.push(value.text.clone());
                }
            }
            _ => {}
        }
    }
    let mut out = Vec::new();
    walk(e, &mut out);
    out
}

/// The bundled rules (they always parse: a test checks it).
pub fn bundled() -> Vec<Rule> {
    BUNDLED
        .iter()
        .filter_map(
            |(name, text)| match load(text, &format!("bundled:{name}")) {
                Ok(Loaded::Rule(rule)) => Some(*rule),
                _ => None,
            },
        )
        .collect()
}

impl Rule {
    /// The setup text in the interface's language (the rule's own when it has no translation).
    pub fn setup_text(&self) -> Option<&str> {
        match crate::i18n::current() {
            crate::i18n::Lang::Zh => translation::zh(&self.meta.rule_id)
                .map(|t| t.setup.as_str())
                .or(self.meta.setup.as_deref()),
            crate::i18n::Lang::En => self.meta.setup.as_deref(),
        }
    }

    /// The rule's verdict on one document, explained: its KQL query and its enabled filters,
    /// or its ES|QL pipeline step by step.
    pub fn explain(
        &self,
        fields: &crate::ecs::Fields,
        analyzer: crate::analysis::Analyzer,
    ) -> kql::Explanation {
        if self.over_alerts() {
            return kql::Explanation {
                held: false,
                label: "reads the alerts of other rules, never an event on its own".into(),
                children: Vec::new(),
                field: None,
                value: None,
                hits: Vec::new(),
            };
        }
        if let Some(q) = &self.esql {
            return esql::run(q, fields, analyzer, true).explanation;
        }
        let query = kql::explain(&self.expr, self.plan.prepared(), fields, analyzer);
        filter::explain_rule(query, &self.filters, fields, analyzer)
    }

    /// Whether the rule reads the alerts of the other rules (`from .alerts-security.*`) rather
    /// than events: it runs once they are all raised (`detect::correlate`).
    pub fn over_alerts(&self) -> bool {
        self.esql.as_ref().is_some_and(esql::Query::reads_alerts)
    }

    /// The query whose matches are the rule's candidates in an index: its KQL, or an ES|QL
    /// pipeline's necessary condition.
    pub fn candidate_query(&self) -> std::borrow::Cow<'_, Expr> {
        match &self.esql {
            Some(q) if q.per_event() => std::borrow::Cow::Owned(q.necessary()),
            _ => std::borrow::Cow::Borrowed(&self.expr),
        }
    }

    /// The ATT&CK ids of the rule, tactics first: `TA0005 T1055 T1055.001 …`.
    pub fn attack_ids(&self) -> Vec<String> {
        let mut ids = Vec::new();
        for t in &self.meta.threat {
            ids.push(t.tactic.id.clone());
            for tech in &t.technique {
                ids.push(tech.id.clone());
                ids.extend(tech.subtechnique.iter().map(|s| s.id.clone()));
            }
        }
        ids
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bundled_rules_load_with_the_seed_metadata() {
        let rules = bundled();
        assert_eq!(rules.len(), BUNDLED.len());
        let seed = &rules[0].meta;
        // Reference §1.
        assert_eq!(seed.name, "Potential Process Injection via PowerShell");
        assert_eq!(seed.rule_id, "2e29e96a-b67c-455a-afe4-de6183431d0d");
        assert_eq!(seed.version, 110);
        assert_eq!((seed.severity.as_str(), seed.risk_score), ("medium", 47));
        assert_eq!(
            (seed.interval.as_str(), seed.from.as_str(), seed.max_signals),
            ("5m", "now-9m", 100)
        );
        assert_eq!(seed.index, ["winlogbeat-*", "logs-windows.powershell*"]);
        assert_eq!(seed.timestamp_override.as_deref(), Some("event.ingested"));
        assert_eq!(
            rules[0].attack_ids(),
            [
                "TA0005",
                "T1055",
                "T1055.001",
                "T1055.002",
                "TA0002",
                "T1059",
                "T1059.001",
                "T1106"
            ]
        );
        let psr = &rules[1].meta;
        assert_eq!(psr.rule_id, "56f2e9b5-4803-4e44-a0a4-a52dc79d57fe");
        assert_eq!((psr.severity.as_str(), psr.risk_score), ("medium", 47));
    }

    #[test]
    fn the_exception_directory_is_unescaped_once() {
        // The TOML literal string holds `\\`; KQL turns each into one backslash.
        let rules = bundled();
        let printed = rules[0].expr.to_string();
        assert!(
            printed.contains(r#"file.directory:"C:\\ProgramData\\Microsoft"#),
            "{printed}"
        );
        fn find_dir(e: &Expr) -> Option<String> {
            match e {
                Expr::Match {
                    field: Some(f),
                    value,
                } if f == "file.directory" => Some(value.text.clone()),
                Expr::And(v) | Expr::Or(v) => v.iter().find_map(find_dir),
                Expr::Not(i) => find_dir(i),
                _ => None,
            }
        }
        assert_eq!(
            find_dir(&rules[0].expr).as_deref(),
            Some(r"C:\ProgramData\Microsoft\Windows Defender Advanced Threat Protection\SenseCM")
        );
    }

    #[test]
    fn other_rule_types_are_skipped_with_their_name() {
        let eql = "[rule]\nname='X'\nrule_id='1'\nseverity='low'\nrisk_score=21\ntype='eql'\nlanguage='eql'\nquery='process where true'\n";
        match load(eql, "x.toml").unwrap() {
            Loaded::Skipped { name, reason } => {
                assert_eq!(name, "X");
                assert!(reason.contains("eql"));
            }
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn broken_files_and_queries_are_errors() {
        assert!(matches!(
            load("not toml [", "a.toml"),
            Err(RuleError::Toml { .. })
        ));
        let bad = "[rule]\nname='X'\nrule_id='1'\nseverity='low'\nrisk_score=21\ntype='query'\nlanguage='kuery'\nquery='a:(b'\n";
        let err = load(bad, "b.toml").unwrap_err().to_string();
        assert!(err.contains("b.toml") && err.contains("query:1:"), "{err}");
    }
}
