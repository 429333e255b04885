//! Writing alerts: an aligned table for people, and Elastic-style alert documents as NDJSON,
//! a JSON array, or CSV. Every string from the logs goes through `safe_text` in the table and
//! CSV (NDJSON/JSON escape control characters by construction).

mod found;

pub use found::{found_document, write_found};

use crate::alert::Alert;
use crate::ecs::{self, format_millis, Fields};
use crate::rule::Rule;
use crate::safe_text;
use serde_json::{json, Map, Value};
use std::io::{self, Write};

/// Output formats of `scan`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    Table,
    Ndjson,
    Json,
    Csv,
}

/// The alert as an Elastic alert document: the source document with `kibana.alert.*` and
/// `pstriage.*` fields added (dotted keys, as the alerts index stores them).
pub fn alert_document<'a>(
    alert: &'a Alert,
    rule: &Rule,
    workflow_status: &str,
) -> AlertDocument<'a> {
    let source = alert.event.doc();
    let fields = Fields::of_only(&source, &[ecs::names::USER_ID, ecs::names::SCRIPT_BLOCK_ID]);
    let meta = &rule.meta;
    let mut added: Vec<(&str, Value)> = Vec::new();
    let mut put = |k: &'a str, v: Value| match added.iter_mut().find(|(a, _)| *a == k) {
        Some(slot) => slot.1 = v,
        None => added.push((k, v)),
    };
    put("kibana.alert.rule.name", json!(meta.name));
    put("kibana.alert.rule.rule_id", json!(meta.rule_id));
    put("kibana.alert.rule.version", json!(meta.version));
    put("kibana.alert.rule.type", json!(meta.rule_type));
    put(
        "kibana.alert.rule.description",
        json!(meta.description.trim()),
    );
    put(
        "kibana.alert.rule.threat",
        serde_json::to_value(&meta.threat).unwrap_or(Value::Null),
    );
    put("kibana.alert.severity", json!(meta.severity));
    put("kibana.alert.risk_score", json!(meta.risk_score));
    put("kibana.alert.reason", json!(alert.reason));
    put("kibana.alert.workflow_status", json!(workflow_status));
    put(
        "kibana.alert.original_time",
        alert
            .time_ms
            .map(|t| json!(format_millis(t)))
            .unwrap_or(Value::Null),
    );
    if let Some(h) = &alert.host {
        put("host.name", json!(h));
    }
    if let Some(u) = fields.first(ecs::names::USER_ID) {
        put("user.id", json!(u));
    }
    if let Some(id) = fields.first(ecs::names::SCRIPT_BLOCK_ID) {
        put("powershell.file.script_block_id", json!(id));
    }
    put("pstriage.alert_id", json!(alert.id));
    put("pstriage.kind", json!(alert.kind.name()));
    if let crate::alert::AlertKind::SplitScript {
        fragments,
        total,
        missing,
        ..
    } = &alert.kind
    {
        put("pstriage.script.fragments", json!(fragments));
        put("pstriage.script.total", json!(total));
        put("pstriage.script.missing", json!(missing));
    }
    if let crate::alert::AlertKind::Decoded {
        layers, logged_as, ..
    } = &alert.kind
    {
        put("pstriage.decoded.layers", json!(layers));
        put("pstriage.decoded.logged_as", json!(logged_as));
    }
    if let Some(s) = &alert.suppressed_by {
        put("pstriage.suppressed_by.list_id", json!(s.list_id));
        put("pstriage.suppressed_by.item_id", json!(s.item_id));
        put("pstriage.suppressed_by.name", json!(s.item_name));
    }
    for (name, value) in &alert.columns {
        put(name, value.clone());
    }
    put("pstriage.matched_terms", json!(alert.matched_terms));
    put("pstriage.source.path", json!(alert.event.source.path));
    put("pstriage.source.line", json!(alert.event.source.line));
    if let Some(i) = alert.event.source.index {
        put("pstriage.source.index", json!(i));
    }
    AlertDocument { source, added }
}

/// An alert document, written without copying its source document: an added field whose key
/// the source has takes that field's place, the others follow in the order they were added —
/// the document inserting them into a copy of the source would give.
pub struct AlertDocument<'a> {
    /// Unpacked for this document only: a list of alerts is written one unpacked event at a time.
    source: Map<String, Value>,
    added: Vec<(&'a str, Value)>,
}

impl serde::Serialize for AlertDocument<'_> {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeMap;
        let replaces: Vec<Option<usize>> = self
            .source
            .keys()
            .map(|k| self.added.iter().position(|(a, _)| a == k))
            .collect();
        let replaced = replaces.iter().flatten().count();
        let mut map =
            serializer.serialize_map(Some(self.source.len() + self.added.len() - replaced))?;
        for ((k, v), with) in self.source.iter().zip(&replaces) {
            match with {
                Some(i) => map.serialize_entry(k, &self.added[*i].1)?,
                None => map.serialize_entry(k, v)?,
            }
        }
        for (i, (k, v)) in self.added.iter().enumerate() {
            if !replaces.contains(&Some(i)) {
                map.serialize_entry(k, v)?;
            }
        }
        map.end()
    }
}

/// Writes `alerts` in `format`.
pub fn write(
    out: &mut dyn Write,
    format: Format,
    alerts: &[Alert],
    rules: &[Rule],
) -> io::Result<()> {
    match format {
        Format::Table => write_table(out, alerts, rules),
        Format::Ndjson => {
            for a in alerts {
                serde_json::to_writer(&mut *out, &alert_document(a, &rules[a.rule], "open"))?;
                out.write_all(b"\n")?;
            }
            Ok(())
        }
        Format::Json => {
            // An array made one document at a time, as `to_writer_pretty` of them all writes it.
            use serde::Serializer;
            let mut json = serde_json::Serializer::pretty(&mut *out);
            json.collect_seq(
                alerts
                    .iter()
                    .map(|a| alert_document(a, &rules[a.rule], "open")),
            )?;
            out.write_all(b"\n")
        }
        Format::Csv => write_csv(out, alerts, rules),
    }
}

fn time_text(a: &Alert) -> String {
    a.time_ms.map(format_millis).unwrap_or_else(|| "-".into())
}

fn write_table(out: &mut dyn Write, alerts: &[Alert], rules: &[Rule]) -> io::Result<()> {
    if alerts.is_empty() {
        return writeln!(out, "(no alerts)");
    }
    let header = ["TIME", "HOST", "USER", "RULE", "SEVERITY", "MATCHED"];
    let rows: Vec<[String; 6]> = alerts
        .iter()
        .map(|a| {
            let r = &rules[a.rule].meta;
            [
                time_text(a),
                safe_text::line(a.host.as_deref().unwrap_or("-")).into_owned(),
                safe_text::line(a.user.as_deref().unwrap_or("-")).into_owned(),
                match a.kind.label() {
                    None => safe_text::line(&r.name).into_owned(),
                    Some((label, _)) => {
                        format!("{label} beyond Elastic: {}", safe_text::line(&r.name))
                    }
                },
                format!("{}/{}", r.severity, r.risk_score),
                safe_text::line(&a.matched_terms.join(", ")).into_owned(),
            ]
        })
        .collect();
    let caps = [24, 28, 44, 48, 11, usize::MAX];
    write_aligned(out, header, &rows, caps)
}

/// Writes `header` and `rows` in columns as wide as their widest cell (at most `caps`), two
/// spaces apart; the last column is not padded.
fn write_aligned<const N: usize>(
    out: &mut dyn Write,
    header: [&str; N],
    rows: &[[String; N]],
    caps: [usize; N],
) -> io::Result<()> {
    let mut widths = header.map(|h| h.chars().count());
    for row in rows {
        for (i, cell) in row.iter().enumerate() {
            widths[i] = widths[i].max(cell.chars().count()).min(caps[i]);
        }
    }
    let header = header.map(str::to_owned);
    for row in std::iter::once(&header).chain(rows) {
        let mut line = String::new();
        for (i, cell) in row.iter().enumerate() {
            let cut = truncate(cell, widths[i]);
            if i + 1 == N {
                line.push_str(&cut);
            } else {
                line.push_str(&format!("{cut:<w$}  ", w = widths[i]));
            }
        }
        writeln!(out, "{}", line.trim_end())?;
    }
    Ok(())
}

fn truncate(s: &str, width: usize) -> String {
    if s.chars().count() <= width {
        s.to_owned()
    } else {
        let mut t: String = s.chars().take(width.saturating_sub(1)).collect();
        t.push('…');
        t
    }
}

fn write_csv(out: &mut dyn Write, alerts: &[Alert], rules: &[Rule]) -> io::Result<()> {
    writeln!(
        out,
        "time,host,user,rule,severity,risk_score,matched_terms,alert_id,source"
    )?;
    for a in alerts {
        let r = &rules[a.rule].meta;
        let cells = [
            time_text(a),
            a.host.clone().unwrap_or_default(),
            a.user.clone().unwrap_or_default(),
            r.name.clone(),
            r.severity.clone(),
            r.risk_score.to_string(),
            a.matched_terms.join(" "),
            a.id.clone(),
            a.event.source.to_string(),
        ];
        let row: Vec<String> = cells.iter().map(|c| safe_text::csv_cell(c)).collect();
        writeln!(out, "{}", row.join(","))?;
    }
    Ok(())
}
