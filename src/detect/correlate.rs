//! Rules over alerts: an ES|QL rule reading `.alerts-security.*` (Elastic's *Potential
//! Malicious PowerShell Based on Alert Correlation*) runs once the other rules' alerts are all
//! raised and marked by the exceptions, over the alerts Elastic would hold in its alerts index,
//! each seen as Kibana writes it there.
//!
//! An alert document holds the source event's ECS fields (the alerts index maps ECS only, so
//! `powershell.*` and `winlog.*` are not searchable there — the reason the rule greps the script
//! block id out of `message`), `kibana.alert.*` and its `_id`. Alerts an exception suppresses and
//! findings beyond Elastic (split scripts, decoded layers) are not in that index, so they take
//! no part. Each group the pipeline keeps is one alert, its columns as the alert's fields.
//!
//! Pure over alerts: no index, no files.

use crate::alert::{self, Alert, AlertKind};
use crate::analysis::Analyzer;
use crate::ecs::Fields;
use crate::event::{Event, PackedEvent};
use crate::rule::kql::Explanation;
use crate::rule::{esql, Rule};
use serde_json::{json, Map, Value};

/// Replaces the alerts of the rules over alerts with a fresh run of them over the other
/// alerts as they stand (suppression marks included), keeping `alerts` in time order.
pub fn correlate(rules: &[Rule], alerts: &mut Vec<Alert>, analyzer: Analyzer) {
    alerts.retain(|a| !rules.get(a.rule).is_some_and(Rule::over_alerts));
    if !rules.iter().any(Rule::over_alerts) {
        return;
    }
    // The alerts index as the rules over alerts read it, built once for all of them.
    let held: Vec<&Alert> = alerts
        .iter()
        .filter(|a| a.kind == AlertKind::Elastic && a.suppressed_by.is_none())
        .collect();
    let docs: Vec<Map<String, Value>> = held
        .iter()
        .map(|a| alert_document(a, &rules[a.rule]))
        .collect();
    let fields: Vec<Fields> = docs.iter().map(Fields::of_lenient).collect();
    let mut raised = Vec::new();
    for (index, rule) in rules.iter().enumerate() {
        let Some(query) = rule.esql.as_ref().filter(|_| rule.over_alerts()) else {
            continue;
        };
        for group in esql::run_table(query, &fields, analyzer) {
            let members: Vec<&Alert> = group.members.iter().map(|&i| held[i]).collect();
            raised.extend(group_alert(rule, index, group, &members, rules));
        }
    }
    if !raised.is_empty() {
        alerts.extend(raised);
        super::sort(alerts);
    }
}

/// Marks the alerts `exceptions` suppress, runs the rules over alerts on what is left, and
/// marks their alerts too (an exception may name the correlation rule).
pub fn mark_and_correlate(
    alerts: &mut Vec<Alert>,
    rules: &[Rule],
    analyzer: Analyzer,
    exceptions: &crate::exceptions::Exceptions,
    now_ms: i64,
) {
    exceptions.mark(alerts, rules, analyzer, now_ms);
    if rules.iter().any(Rule::over_alerts) {
        correlate(rules, alerts, analyzer);
        exceptions.mark(alerts, rules, analyzer, now_ms);
    }
}

/// Top-level namespaces of the event that the alerts index does not map (not ECS).
const NOT_IN_ALERTS_INDEX: &[&str] = &["powershell", "winlog"];

/// `alert` as the alerts index holds it, for a query to read.
fn alert_document(alert: &Alert, rule: &Rule) -> Map<String, Value> {
    let mut doc: Map<String, Value> = alert
        .event
        .doc()
        .into_iter()
        .filter(|(k, _)| {
            let namespace = k.split('.').next().unwrap_or(k);
            !NOT_IN_ALERTS_INDEX.contains(&namespace)
        })
        .collect();
    let meta = &rule.meta;
    for (key, value) in [
        ("_id", json!(alert.id)),
        ("kibana.alert.rule.name", json!(meta.name)),
        ("kibana.alert.rule.rule_id", json!(meta.rule_id)),
        ("kibana.alert.rule.type", json!(meta.rule_type)),
        ("kibana.alert.severity", json!(meta.severity)),
        ("kibana.alert.risk_score", json!(meta.risk_score)),
        ("kibana.alert.reason", json!(alert.reason)),
    ] {
        doc.insert(key.to_owned(), value);
    }
    for (name, value) in &alert.columns {
        doc.insert(name.clone(), value.clone());
    }
    doc
}

/// The alert of one group: its columns are its fields; it stands where and when its latest
/// contributing alert does, and its explanation lists them.
fn group_alert(
    rule: &Rule,
    index: usize,
    group: esql::Group,
    members: &[&Alert],
    rules: &[Rule],
) -> Option<Alert> {
    let latest = members
        .iter()
        .max_by_key(|a| (a.time_ms, a.event.source.ord))?;
    let doc: Map<String, Value> = group.columns.iter().cloned().collect();
    // The group's identity: its grouping values, which stay the same when the alerts are raised
    // again or an exception changes which of them take part (its triage is kept).
    let key: Map<String, Value> = group.key.iter().cloned().collect();
    let identity = format!("esql-group:{}", Value::Object(key));
    let mut rule_names: Vec<String> = Vec::new();
    for m in members {
        let name = &rules[m.rule].meta.name;
        if !rule_names.contains(name) {
            rule_names.push(name.clone());
        }
    }
    let mut explanation = group.explanation;
    explanation.children.push(Explanation {
        held: true,
        label: format!(
            "the {} grouped here",
            crate::plural::count_of(members.len(), "alert")
        ),
        children: members
            .iter()
            .map(|m| Explanation {
                held: true,
                label: format!(
                    "{} — alert {} on {}",
                    rules[m.rule].meta.name,
                    m.id,
                    m.time_ms
                        .map(crate::ecs::format_millis)
                        .unwrap_or_else(|| "an unknown time".into())
                ),
                children: Vec::new(),
                field: None,
                value: None,
                hits: Vec::new(),
            })
            .collect(),
        field: None,
        value: None,
        hits: Vec::new(),
    });
    let event = Event {
        doc,
        es_id: None,
        es_index: None,
        source: latest.event.source.clone(),
    };
    let run_time_ms =
        crate::schedule::run_time(rule, &Fields::of_lenient(&event.doc), latest.time_ms);
    Some(Alert {
        id: alert::id_of(&rule.meta.rule_id, &identity),
        rule: index,
        time_ms: latest.time_ms,
        host: latest.host.clone(),
        user: latest.user.clone(),
        run_time_ms,
        script_block_id: latest.script_block_id.clone(),
        reason: format!(
            "{} from {} created {} alert {}.",
            crate::plural::count_of(members.len(), "alert"),
            crate::plural::count_of(rule_names.len(), "rule"),
            rule.meta.severity,
            rule.meta.name
        ),
        matched_terms: rule_names,
        group_explanation: Some(Box::new(explanation)),
        kind: AlertKind::Elastic,
        suppressed_by: None,
        columns: group.columns,
        event: PackedEvent::pack(&event),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::event::SourceRef;
    use crate::rule::{load, Loaded};

    fn rule(text: &str) -> Rule {
        match load(text, "t.toml").unwrap() {
            Loaded::Rule(r) => *r,
            Loaded::Skipped { reason, .. } => panic!("{reason}"),
        }
    }

    /// Six probe rules with "PowerShell" in their names, then the correlation rule.
    fn rules() -> Vec<Rule> {
        let mut out: Vec<Rule> = (0..6)
            .map(|n| {
                rule(&format!(
                    "[rule]\nname='PowerShell Probe {n}'\nrule_id='p{n}'\nseverity='low'\nrisk_score=1\ntype='query'\nlanguage='kuery'\nquery='powershell.file.script_block_text : w{n}'\n"
                ))
            })
            .collect();
        out.push(rule(include_str!(
            "../../tests/data/esql/correlation/alert_correlation.toml"
        )));
        out
    }

    #[test]
    fn a_group_keeps_its_id_when_an_exception_takes_a_member_out() {
        let rules = rules();
        let ev = Event {
            doc: serde_json::from_value(json!({
                "message": "Creating Scriptblock text (1 of 1):\r\nw0 w1 w2 w3 w4 w5\r\n\r\nScriptBlock ID: b-1\r\nPath: ",
                "powershell": {"file": {"script_block_text": "w0 w1 w2 w3 w4 w5", "script_block_id": "b-1"}}
            }))
            .unwrap(),
            es_id: None,
            es_index: None,
            source: SourceRef::line("t", 1),
        };
        let plans = crate::rule::kql::PlanSet::new(rules.iter().map(|r| &r.plan));
        let mut alerts = alert::check_all(&rules, &plans, &ev, Analyzer::Pattern);
        assert_eq!(alerts.len(), 6);
        correlate(&rules, &mut alerts, Analyzer::Pattern);
        let group = |alerts: &[Alert]| {
            alerts
                .iter()
                .filter(|a| rules[a.rule].over_alerts())
                .map(|a| (a.id.clone(), a.columns.clone()))
                .collect::<Vec<_>>()
        };
        let before = group(&alerts);
        assert_eq!(before.len(), 1);
        // An exception takes one member out: five rules still, the same alert.
        alerts[0].suppressed_by = Some(Box::new(crate::exceptions::Suppression {
            list_id: "l".into(),
            item_id: "i".into(),
            item_name: "n".into(),
        }));
        correlate(&rules, &mut alerts, Analyzer::Pattern);
        let after = group(&alerts);
        assert_eq!(after.len(), 1);
        assert_eq!(
            after[0].0, before[0].0,
            "the id follows the script block, not the members"
        );
        assert_ne!(after[0].1, before[0].1, "its values say five now");
        // Two out: four rules, no alert.
        alerts[1].suppressed_by = alerts[0].suppressed_by.clone();
        correlate(&rules, &mut alerts, Analyzer::Pattern);
        assert!(group(&alerts).is_empty());
    }
}
