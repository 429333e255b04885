//! `Alert`: one (event, rule) match with its stable id, the reason Kibana would give, the
//! matched rule terms and the event, packed. Its explanation and the byte ranges of its
//! matches are made again from the event when it is opened (`Alert::explanation`,
//! `hits_of`). Pure.

use crate::analysis::Analyzer;
use crate::ecs::{self, Fields};
use crate::event::{hex, Event, PackedEvent};
use crate::rule::kql::{self, matches, DocTokens, Explanation, Hit, PlanSet, Vocabulary};
use crate::rule::Rule;
use crate::rule::{esql, filter};
use sha2::{Digest, Sha256};

/// A rule match.
#[derive(Clone, Debug)]
pub struct Alert {
    /// Stable: a hash of the rule id and the event's identity.
    pub id: String,
    /// Index of the rule in the loaded rule list.
    pub rule: usize,
    /// The event, packed: alerts can be many, and most are never opened.
    pub event: PackedEvent,
    /// `@timestamp` of the event, in epoch milliseconds.
    pub time_ms: Option<i64>,
    pub host: Option<String>,
    pub user: Option<String>,
    /// When the rule's scheduled runs see the event (`schedule::run_time`).
    pub run_time_ms: Option<i64>,
    /// `powershell.file.script_block_id` (the list groups a script's alerts by it without
    /// unpacking every event).
    pub script_block_id: Option<String>,
    /// The rule's values whose clauses held (as written in the rule), first-seen order.
    pub matched_terms: Vec<String>,
    /// Why it fired, kept only where the event alone cannot tell it again: the alert of a rule
    /// over alerts explains a group of other alerts. `None` for every other alert, whose
    /// explanation [`Alert::explanation`] makes when it is opened — a rule with a long term
    /// list explains itself in hundreds of nodes, which thousands of alerts would all hold.
    pub group_explanation: Option<Box<Explanation>>,
    pub reason: String,
    pub kind: AlertKind,
    /// The exception item that suppresses the alert, if one does: Elastic would not raise it.
    /// Boxed: most alerts have none, and the list holds thousands.
    pub suppressed_by: Option<Box<crate::exceptions::Suppression>>,
    /// For an ES|QL rule, the columns its pipeline computed and kept (`Esql.*`), by name.
    pub columns: Vec<(String, serde_json::Value)>,
}

/// Whether Elastic would raise the alert, or only pstriage can see it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum AlertKind {
    /// One fragment matched on its own: Elastic raises this alert.
    Elastic,
    /// Only the reassembled script matches (an API name across a fragment boundary, or the two
    /// groups in different fragments): beyond Elastic, which never reassembles.
    SplitScript {
        script_block_id: String,
        fragments: usize,
        total: u64,
        missing: Vec<u64>,
    },
    /// The rule matches a layer decoded from the logged text (base64, gzip, char codes, masks…)
    /// while the logged text does not: beyond Elastic, which reads the text as logged.
    Decoded {
        /// Layer kinds from the logged text down to the matching layer.
        layers: Vec<String>,
        /// The script block id of the host's block whose text is that layer (what PowerShell
        /// logged when the loader ran it), when there is one.
        logged_as: Option<String>,
        /// The text as logged (the alert's event holds the decoded layer's text instead), for
        /// the Decoded tab to peel again.
        logged_text: String,
    },
}

impl AlertKind {
    /// `elastic`, `split_script` or `decoded`, as written in `pstriage.kind`.
    pub fn name(&self) -> &'static str {
        match self {
            AlertKind::Elastic => "elastic",
            AlertKind::SplitScript { .. } => "split_script",
            AlertKind::Decoded { .. } => "decoded",
        }
    }

    /// How lists label a finding beyond Elastic: a long and a short form (`None` for Elastic's
    /// own alerts).
    pub fn label(&self) -> Option<(&'static str, &'static str)> {
        match self {
            AlertKind::Elastic => None,
            AlertKind::SplitScript { .. } => Some(("[split]", "[s]")),
            AlertKind::Decoded { .. } => Some(("[decoded]", "[d]")),
        }
    }
}

impl Alert {
    /// Why `rules[self.rule]` fired: the group's explanation for an alert of a rule over
    /// alerts, else the rule evaluated again on the alert's event (for a split-script or
    /// decoded finding that event holds the reassembled script or the layer).
    /// `event` is this alert's event, unpacked (the caller opening the alert has it already).
    pub fn explanation(&self, rules: &[Rule], event: &Event, analyzer: Analyzer) -> Explanation {
        if let Some(e) = &self.group_explanation {
            return (**e).clone();
        }
        rules[self.rule].explain(&Fields::of_lenient(&event.doc), analyzer)
    }
}

/// The stable alert id of (rule, event).
pub fn alert_id(rule_id: &str, event: &Event) -> String {
    id_of(rule_id, &event.identity())
}

pub(crate) fn id_of(rule_id: &str, identity: &str) -> String {
    let mut h = Sha256::new();
    h.update(rule_id.as_bytes());
    h.update([0]);
    h.update(identity.as_bytes());
    hex(&h.finalize()[..16])
}

/// Evaluates `rule` on `event`; `Some(alert)` when it matches.
pub fn check(rule: &Rule, rule_index: usize, event: &Event, analyzer: Analyzer) -> Option<Alert> {
    attach(find_one(rule, rule_index, event, analyzer, false), event).pop()
}

/// Every occurrence in `event`'s script text that made `rule` match (none when it does not):
/// what the Script pane marks, found again when an alert is opened. Alerts do not keep them:
/// thousands of alerts would each hold a string per occurrence for a pane that shows one.
pub fn hits_of(rule: &Rule, rule_index: usize, event: &Event, analyzer: Analyzer) -> Vec<Hit> {
    find_one(rule, rule_index, event, analyzer, true)
        .pop()
        .map(|f| f.hits)
        .unwrap_or_default()
}

/// What `rule` alone finds in `event` (never refused as unindexable: the event is one of an
/// alert's, or a reassembled script, or a decoded layer), with its hits when `hits`.
fn find_one(
    rule: &Rule,
    rule_index: usize,
    event: &Event,
    analyzer: Analyzer,
    hits: bool,
) -> Vec<Found> {
    find(
        [(rule_index, rule, false)],
        Plans::Own(rule),
        event,
        &Fields::of_lenient(&event.doc),
        analyzer,
        Finding::AsGiven { hits },
    )
}

/// Evaluates every rule on `event`, tokenizing its text once for all of them. `plans` is
/// `PlanSet::new` of the rules' plans, in order (made once for the rule set, not per event).
pub fn check_all(rules: &[Rule], plans: &PlanSet, event: &Event, analyzer: Analyzer) -> Vec<Alert> {
    check_all_in(
        rules,
        plans,
        event,
        &Fields::of_lenient(&event.doc),
        analyzer,
    )
}

/// [`check_all`] on an event whose document the caller has flattened already (`fields`, of
/// `event.doc`): a streaming worker that also decodes the block reads it once for both.
pub fn check_all_in(
    rules: &[Rule],
    plans: &PlanSet,
    event: &Event,
    fields: &Fields<'_>,
    analyzer: Analyzer,
) -> Vec<Alert> {
    let all = rules.iter().enumerate().map(|(i, rule)| (i, rule, false));
    attach(
        find(
            all,
            Plans::Set(plans),
            event,
            fields,
            analyzer,
            Finding::Indexed,
        ),
        event,
    )
}

/// How `find` asks whether a listed rule's query matches.
enum Plans<'p> {
    /// The one listed rule's own plan and vocabulary (`check`).
    Own(&'p Rule),
    /// A rule set's plans, plan `i` being rule `i`'s.
    Set(&'p PlanSet),
}

impl Plans<'_> {
    /// The vocabulary the document is tokenized with.
    fn vocabulary(&self) -> &Vocabulary {
        match self {
            Plans::Own(rule) => rule.plan.vocabulary(),
            Plans::Set(set) => set.vocabulary(),
        }
    }

    fn matches(&self, i: usize, rule: &Rule, doc: &mut DocTokens<'_, '_, '_>) -> bool {
        match self {
            Plans::Own(_) => matches(&rule.plan, doc),
            Plans::Set(set) => set.matches(i, &rule.plan, doc),
        }
    }
}

/// Whether Elasticsearch refuses to index the document at all, so that no rule can alert on
/// it: its script text holds a token over Lucene's term limit (see `Analyzer::immense_token`).
fn rejected_by_elasticsearch(fields: &Fields<'_>, analyzer: Analyzer) -> bool {
    fields
        .get(ecs::names::SCRIPT_BLOCK_TEXT)
        .iter()
        .filter_map(|v| v.as_str())
        .any(|t| analyzer.immense_token(t).is_some())
}

/// The alerts of `event` for the rules it is a candidate of: `(rule index, exact)`, where
/// `exact` says the index query already decided the match (only the explanation is built).
/// `plans` is `PlanSet::new` of the rules' plans.
pub fn check_candidate(
    rules: &[Rule],
    candidate_of: &[(usize, bool)],
    plans: &PlanSet,
    event: &Event,
    analyzer: Analyzer,
) -> Vec<Alert> {
    let listed = candidate_of.iter().map(|&(i, exact)| (i, &rules[i], exact));
    let fields = Fields::of_lenient(&event.doc);
    let found = find(
        listed,
        Plans::Set(plans),
        event,
        &fields,
        analyzer,
        Finding::Indexed,
    );
    attach(found, event)
}

/// What `find` is asked for.
#[derive(Clone, Copy)]
enum Finding {
    /// The alerts of an event as Elasticsearch would store it: none when it would refuse it.
    Indexed,
    /// The alerts of an event as given (an alert's, a split script or a decoded layer, never
    /// indexed so never refused), with the hits of an ES|QL rule when `hits`.
    AsGiven { hits: bool },
}

/// What the listed rules (index, rule, whether the index already decided the match) find in
/// `event`: the document flattened and tokenized once (`plans.vocabulary` must hold the terms of
/// every listed rule) and its identity hashed once, when something matches.
fn find<'r>(
    listed: impl IntoIterator<Item = (usize, &'r Rule, bool)>,
    plans: Plans<'_>,
    event: &Event,
    fields: &Fields<'_>,
    analyzer: Analyzer,
    finding: Finding,
) -> Vec<Found> {
    if matches!(finding, Finding::Indexed) && rejected_by_elasticsearch(fields, analyzer) {
        return Vec::new();
    }
    let with_hits = matches!(finding, Finding::AsGiven { hits: true });
    let mut tokens = DocTokens::new(fields, analyzer, plans.vocabulary());
    let memo = esql::TextMemo::default();
    let mut identity = None;
    let mut out = Vec::new();
    for (i, rule, exact) in listed {
        if rule.over_alerts() || !exact && !plans.matches(i, rule, &mut tokens) {
            continue;
        }
        // The identity hashes the whole document: only for a rule that fires (an ES|QL rule
        // is a candidate of every event and most leave its pipeline early).
        let Some(fired) = fired(rule, &tokens, &memo, analyzer, with_hits) else {
            continue;
        };
        let identity = identity.get_or_insert_with(|| event.identity());
        out.push(found(rule, i, fired, fields, identity));
    }
    out
}

/// The alerts of `found`, each with the event packed once and shared.
fn attach(found: Vec<Found>, event: &Event) -> Vec<Alert> {
    if found.is_empty() {
        return Vec::new();
    }
    let packed = PackedEvent::pack(event);
    found.into_iter().map(|f| f.with(packed.clone())).collect()
}

/// When, where and by whom an event happened, as the alert list shows it.
pub struct Facts {
    pub time_ms: Option<i64>,
    pub host: Option<String>,
    /// `user.name`, else `user.id`.
    pub user: Option<String>,
}

impl Facts {
    pub fn of(fields: &Fields<'_>) -> Facts {
        Facts {
            time_ms: fields
                .get(ecs::names::TIMESTAMP)
                .iter()
                .find_map(|v| ecs::parse_date_millis(v)),
            host: fields.first(ecs::names::HOST_NAME),
            user: fields
                .first(ecs::names::USER_NAME)
                .or_else(|| fields.first(ecs::names::USER_ID)),
        }
    }
}

/// An alert but for its event: what explaining a match produces.
struct Found {
    id: String,
    rule: usize,
    time_ms: Option<i64>,
    host: Option<String>,
    user: Option<String>,
    run_time_ms: Option<i64>,
    script_block_id: Option<String>,
    matched_terms: Vec<String>,
    hits: Vec<Hit>,
    reason: String,
    columns: Vec<(String, serde_json::Value)>,
}

impl Found {
    fn with(self, event: PackedEvent) -> Alert {
        Alert {
            id: self.id,
            rule: self.rule,
            event,
            time_ms: self.time_ms,
            host: self.host,
            user: self.user,
            run_time_ms: self.run_time_ms,
            script_block_id: self.script_block_id,
            matched_terms: self.matched_terms,
            group_explanation: None,
            reason: self.reason,
            kind: AlertKind::Elastic,
            suppressed_by: None,
            columns: self.columns,
        }
    }
}

/// What a rule that fired leaves for its alert: the query values that held on the script text
/// (each once, in query order), the hits there, and an ES|QL rule's kept columns.
struct Fired {
    terms: Vec<String>,
    hits: Vec<Hit>,
    columns: Vec<(String, serde_json::Value)>,
}

/// How many of what an ES|QL rule's patterns matched an alert lists as its terms.
const ESQL_TERMS: usize = 8;

/// `rule`'s verdict on the document and what its alert keeps (`None`: it does not fire),
/// found without building the rule's explanation (`kql::positive`, `esql::fire_in`: thousands
/// of alerts of a rule with a long term list made that a third of a scan). `doc` is the
/// document as the plans tokenized it, read again here; `memo` keeps the counts of its texts
/// for the other ES|QL rules. The hits of an ES|QL rule are found only `with_hits`.
fn fired<'a>(
    rule: &Rule,
    doc: &DocTokens<'_, 'a, '_>,
    memo: &esql::TextMemo<'a>,
    analyzer: Analyzer,
    with_hits: bool,
) -> Option<Fired> {
    let fields = doc.fields();
    let mut terms: Vec<String> = Vec::new();
    fn add(terms: &mut Vec<String>, t: &str) {
        if !terms.iter().any(|m| m == t) {
            terms.push(t.to_owned());
        }
    }
    let on_script = |h: &Hit| h.field == ecs::names::SCRIPT_BLOCK_TEXT;
    if rule.esql.is_none() {
        let found = kql::positive(&rule.expr, doc, analyzer)?;
        // Filters hold no terms and find no hits: they only decide.
        if !filter::hold(&rule.filters, fields, analyzer) {
            return None;
        }
        found
            .terms
            .iter()
            .filter(|(field, _)| *field == Some(ecs::names::SCRIPT_BLOCK_TEXT))
            .for_each(|(_, t)| add(&mut terms, t));
        let hits = found.hits.into_iter().filter(on_script).collect();
        return Some(Fired {
            terms,
            hits,
            columns: Vec::new(),
        });
    }
    let query = rule.esql.as_ref()?;
    // An ES|QL rule names no terms: what its patterns matched stands for them.
    let fire = esql::fire_in(query, fields, memo, analyzer, ESQL_TERMS)?;
    let hits = if with_hits {
        rule.explain(fields, analyzer)
            .positive_hits()
            .into_iter()
            .filter(|h| on_script(h))
            .cloned()
            .collect()
    } else {
        Vec::new()
    };
    Some(Fired {
        terms: fire.terms,
        hits,
        columns: fire.columns,
    })
}

/// The alert of a rule that fired, but for its event (`identity` is the event's).
fn found(
    rule: &Rule,
    rule_index: usize,
    fired: Fired,
    fields: &Fields<'_>,
    identity: &str,
) -> Found {
    let facts = Facts::of(fields);
    Found {
        id: id_of(&rule.meta.rule_id, identity),
        rule: rule_index,
        time_ms: facts.time_ms,
        host: facts.host,
        user: facts.user,
        run_time_ms: crate::schedule::run_time(rule, fields, facts.time_ms),
        script_block_id: fields.first(ecs::names::SCRIPT_BLOCK_ID),
        reason: reason(rule, fields),
        matched_terms: fired.terms,
        hits: fired.hits,
        columns: fired.columns,
    }
}

/// Kibana's alert reason: `process event with file X, by U on H created medium alert NAME.`
fn reason(rule: &Rule, fields: &Fields<'_>) -> String {
    let category = fields
        .first(ecs::names::EVENT_CATEGORY)
        .unwrap_or_else(|| "event".into());
    let mut s = format!("{category} event");
    if let Some(file) = fields.first(ecs::names::FILE_NAME) {
        s.push_str(&format!(" with file {file},"));
    }
    if let Some(user) = fields.first(ecs::names::USER_NAME) {
        s.push_str(&format!(" by {user}"));
    }
    if let Some(host) = fields.first(ecs::names::HOST_NAME) {
        s.push_str(&format!(" on {host}"));
    }
    s.push_str(&format!(
        " created {} alert {}.",
        rule.meta.severity, rule.meta.name
    ));
    s
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::event::SourceRef;

    fn event(json: &str) -> Event {
        Event {
            doc: serde_json::from_str(json).unwrap(),
            es_id: None,
            es_index: None,
            source: SourceRef::line("t", 1),
        }
    }

    #[test]
    fn reason_reads_like_kibana() {
        // The example of reference §5.
        let rules = crate::rule::bundled();
        let ev = event(
            r#"{"event":{"category":"process"},"host":{"name":"win10-01","os":{"type":"windows"}},
               "file":{"name":"Invoke-Inject.ps1"},
               "powershell":{"file":{"script_block_text":"[K]::OpenProcess(1); [K]::CreateRemoteThread(2)"}}}"#,
        );
        let a = check(&rules[0], 0, &ev, Analyzer::Pattern).expect("matches");
        assert_eq!(
            a.reason,
            "process event with file Invoke-Inject.ps1, on win10-01 created medium alert Potential Process Injection via PowerShell."
        );
        assert_eq!(a.matched_terms, ["OpenProcess", "CreateRemoteThread"]);
    }

    #[test]
    fn ids_are_stable_across_location_and_differ_per_rule() {
        let a = event(r#"{"x":1}"#);
        let mut b = a.clone();
        b.source = SourceRef::line("elsewhere", 42);
        assert_eq!(alert_id("r1", &a), alert_id("r1", &b));
        assert_ne!(alert_id("r1", &a), alert_id("r2", &a));
    }
}
