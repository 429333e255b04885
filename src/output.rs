//! Writing alerts: an aligned table for people, and Elastic-style alert documents as NDJSON,
//! a JSON array, or CSV. Every string from the logs goes through `safe_text` in the table and
//! CSV (NDJSON/JSON escape control characters by construction).

mod found;

pub use found::{found_document, write_found};

use crate::alert::Alert;
use crate::ecs::{self, format_millis, Fields};
use crate::rule::Rule;
use crate::safe_text;
use serde_json::value::RawValue;
use serde_json::{json, Map, Value};
use std::borrow::Cow;
use std::io::{self, Write};

/// Output formats of `scan`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    Table,
    Ndjson,
    Json,
    Csv,
}

/// The fields of an alert document that come from its rule alone: made once per rule, not
/// once per alert (the ATT&CK threat list of a rule with thousands of alerts was a quarter of
/// writing them).
pub struct RuleFields(Vec<(&'static str, Value)>);

impl RuleFields {
    pub fn of(rule: &Rule) -> RuleFields {
        let meta = &rule.meta;
        RuleFields(vec![
            ("kibana.alert.rule.name", json!(meta.name)),
            ("kibana.alert.rule.rule_id", json!(meta.rule_id)),
            ("kibana.alert.rule.version", json!(meta.version)),
            ("kibana.alert.rule.type", json!(meta.rule_type)),
            (
                "kibana.alert.rule.description",
                json!(meta.description.trim()),
            ),
            (
                "kibana.alert.rule.threat",
                serde_json::to_value(&meta.threat).unwrap_or(Value::Null),
            ),
            ("kibana.alert.severity", json!(meta.severity)),
            ("kibana.alert.risk_score", json!(meta.risk_score)),
        ])
    }
}

/// The alert as an Elastic alert document: the source document with `kibana.alert.*` and
/// `pstriage.*` fields added (dotted keys, as the alerts index stores them). `rule` is
/// `RuleFields::of` the alert's rule.
pub fn alert_document<'a>(
    alert: &'a Alert,
    rule: &'a RuleFields,
    workflow_status: &str,
) -> AlertDocument<'a> {
    let source = alert.event.doc();
    let [user_id, script_block_id] = firsts(&source);
    let added = added_fields(alert, rule, workflow_status, user_id, script_block_id);
    AlertDocument { source, added }
}

/// The first `user.id` and script block id of a document, as the alert document adds them.
fn firsts(doc: &Map<String, Value>) -> [Option<String>; 2] {
    const READ: [&str; 2] = [ecs::names::USER_ID, ecs::names::SCRIPT_BLOCK_ID];
    let fields = Fields::of_only(doc, &READ);
    READ.map(|p| fields.first(p))
}

/// The fields an alert document adds to its source, in order (a key given twice keeps its
/// first place and its last value); `user_id` and `script_block_id` are [`firsts`] of the
/// source.
fn added_fields<'a>(
    alert: &'a Alert,
    rule: &'a RuleFields,
    workflow_status: &str,
    user_id: Option<String>,
    script_block_id: Option<String>,
) -> Vec<(&'a str, Cow<'a, Value>)> {
    let mut added: Vec<(&str, Cow<'a, Value>)> = Vec::new();
    let mut put = |k: &'a str, v: Cow<'a, Value>| match added.iter_mut().find(|(a, _)| *a == k) {
        Some(slot) => slot.1 = v,
        None => added.push((k, v)),
    };
    for (k, v) in &rule.0 {
        put(k, Cow::Borrowed(v));
    }
    let mut put = |k: &'a str, v: Value| put(k, Cow::Owned(v));
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
    if let Some(u) = user_id {
        put("user.id", json!(u));
    }
    if let Some(id) = script_block_id {
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
    added
}

/// Where the added fields go among the source's keys: for each source key, the added field
/// that takes its place (`None`: the source's value stays); the added fields no source key
/// names follow the source, in their order — the document inserting them into a copy of the
/// source would give.
fn placed(
    keys: impl Iterator<Item = impl AsRef<str>>,
    added: &[(&str, Cow<Value>)],
) -> Vec<Option<usize>> {
    keys.map(|k| added.iter().position(|(a, _)| *a == k.as_ref()))
        .collect()
}

/// An alert document, written without copying its source document (see [`placed`]).
pub struct AlertDocument<'a> {
    /// Unpacked for this document only: a list of alerts is written one unpacked event at a time.
    source: Map<String, Value>,
    added: Vec<(&'a str, Cow<'a, Value>)>,
}

impl serde::Serialize for AlertDocument<'_> {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serialize_placed(serializer, self.source.iter(), &self.added)
    }
}

/// The source's entries with the added fields placed among them (see [`placed`]), as one
/// map: the source parsed (`Value`s) or as the JSON text it was packed as (`RawValue`s).
fn serialize_placed<'s, S, K, V>(
    serializer: S,
    source: impl Iterator<Item = (K, &'s V)> + Clone,
    added: &[(&str, Cow<Value>)],
) -> Result<S::Ok, S::Error>
where
    S: serde::Serializer,
    K: AsRef<str>,
    V: serde::Serialize + ?Sized + 's,
{
    use serde::ser::SerializeMap;
    let places = placed(source.clone().map(|(k, _)| k), added);
    let replaced = places.iter().flatten().count();
    let mut map = serializer.serialize_map(Some(places.len() + added.len() - replaced))?;
    for ((k, v), with) in source.zip(&places) {
        match with {
            Some(i) => map.serialize_entry(k.as_ref(), &added[*i].1)?,
            None => map.serialize_entry(k.as_ref(), v)?,
        }
    }
    for (i, (k, v)) in added.iter().enumerate() {
        if !places.contains(&Some(i)) {
            map.serialize_entry(k, v)?;
        }
    }
    map.end()
}

/// Appends `alert`'s document as compact JSON, the bytes `serde_json::to_writer` of
/// [`alert_document`] gives, without parsing its source: the source's top-level values are
/// copied as the JSON text they were packed as (most of a document is its script text, which
/// would be unescaped, copied and escaped once more). Only the entries that lead to `user.id`
/// and the script block id are parsed.
fn write_compact(
    alert: &Alert,
    rule: &RuleFields,
    workflow_status: &str,
    out: &mut Vec<u8>,
) -> io::Result<()> {
    let json = alert.event.json();
    let Some(entries) = top_level(&json) else {
        let doc = alert_document(alert, rule, workflow_status);
        return serde_json::to_writer(out, &doc).map_err(io::Error::from);
    };
    // `a` or `a.b` for `a.b.c`: the entries `Fields` reads a dotted path through.
    let leads_to = |key: &str| {
        [ecs::names::USER_ID, ecs::names::SCRIPT_BLOCK_ID]
            .iter()
            .any(|p| {
                p.strip_prefix(key)
                    .is_some_and(|rest| rest.is_empty() || rest.starts_with('.'))
            })
    };
    let partial: Map<String, Value> = entries
        .iter()
        .filter(|(k, _)| leads_to(k))
        .filter_map(|(k, raw)| Some((k.clone(), serde_json::from_str(raw.get()).ok()?)))
        .collect();
    let [user_id, script_block_id] = firsts(&partial);
    let added = added_fields(alert, rule, workflow_status, user_id, script_block_id);
    let source = entries.iter().map(|(k, raw)| (k, *raw));
    serialize_placed(&mut serde_json::Serializer::new(out), source, &added).map_err(io::Error::from)
}

/// The top-level entries of a JSON object: each key, and its value's text.
fn top_level(json: &str) -> Option<Vec<(String, &RawValue)>> {
    struct Entries;
    impl<'de> serde::de::Visitor<'de> for Entries {
        type Value = Vec<(String, &'de RawValue)>;
        fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
            f.write_str("a JSON object")
        }
        fn visit_map<M: serde::de::MapAccess<'de>>(
            self,
            mut map: M,
        ) -> Result<Self::Value, M::Error> {
            let mut out = Vec::new();
            while let Some(entry) = map.next_entry::<String, &'de RawValue>()? {
                out.push(entry);
            }
            Ok(out)
        }
    }
    use serde::Deserializer;
    let mut de = serde_json::Deserializer::from_str(json);
    let entries = de.deserialize_map(Entries).ok()?;
    de.end().ok()?;
    Some(entries)
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
        Format::Ndjson => write_ndjson(out, alerts, &RuleFieldsOf::new(rules)),
        Format::Json => {
            let rule_fields = RuleFieldsOf::new(rules);
            // An array made one document at a time, as `to_writer_pretty` of them all writes it.
            use serde::Serializer;
            let mut json = serde_json::Serializer::pretty(&mut *out);
            json.collect_seq(
                alerts
                    .iter()
                    .map(|a| alert_document(a, rule_fields.of(a), "open")),
            )?;
            out.write_all(b"\n")
        }
        Format::Csv => write_csv(out, alerts, rules),
    }
}

/// The `RuleFields` of each rule, made when an alert of it is first written.
struct RuleFieldsOf<'r> {
    rules: &'r [Rule],
    made: Vec<std::sync::OnceLock<RuleFields>>,
}

impl<'r> RuleFieldsOf<'r> {
    fn new(rules: &'r [Rule]) -> Self {
        RuleFieldsOf {
            rules,
            made: rules.iter().map(|_| std::sync::OnceLock::new()).collect(),
        }
    }

    fn of(&self, alert: &Alert) -> &RuleFields {
        self.made[alert.rule].get_or_init(|| RuleFields::of(&self.rules[alert.rule]))
    }
}

/// How many alert documents a writing thread serializes at a time: enough to pay for starting
/// the thread, few enough that the lines waiting to be written stay small (each holds its
/// script; 256 a block added 5 MB to the peak of a 14,000-alert scan).
const NDJSON_BLOCK: usize = 64;

/// One alert document a line, in order: the workers (`threads::workers`) make the lines of
/// consecutive blocks of alerts side by side, and the blocks are written in order, as one
/// thread would write them.
fn write_ndjson(
    out: &mut dyn Write,
    alerts: &[Alert],
    rule_fields: &RuleFieldsOf,
) -> io::Result<()> {
    let lines = |block: &[Alert]| -> io::Result<Vec<u8>> {
        let mut buf = Vec::new();
        for a in block {
            write_compact(a, rule_fields.of(a), "open", &mut buf)?;
            buf.push(b'\n');
        }
        Ok(buf)
    };
    let workers = crate::threads::workers();
    for round in alerts.chunks(NDJSON_BLOCK * workers) {
        let blocks: Vec<io::Result<Vec<u8>>> = std::thread::scope(|scope| {
            let made: Vec<_> = round
                .chunks(NDJSON_BLOCK)
                .skip(1)
                .map(|block| scope.spawn(move || lines(block)))
                .collect();
            // The first block on this thread, while the others are made.
            let first = round.chunks(NDJSON_BLOCK).next().map(lines);
            first
                .into_iter()
                .chain(
                    made.into_iter()
                        .map(|m| m.join().unwrap_or_else(|e| std::panic::resume_unwind(e))),
                )
                .collect()
        });
        for block in blocks {
            out.write_all(&block?)?;
        }
    }
    Ok(())
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::analysis::Analyzer;
    use crate::event::{Event, SourceRef};

    fn alert_on(doc: Value) -> (Alert, Vec<Rule>) {
        let rules = crate::rule::bundled();
        let event = Event {
            doc: doc.as_object().cloned().unwrap_or_default(),
            es_id: None,
            es_index: None,
            source: SourceRef::line("a.ndjson", 3),
        };
        let alert = crate::alert::check(&rules[0], 0, &event, Analyzer::Pattern)
            .expect("the bundled injection rule fires");
        (alert, rules)
    }

    #[test]
    fn compact_documents_are_what_writing_the_unpacked_document_gives() {
        let script = "[K]::OpenProcess(1); [K]::VirtualAllocEx(2); [K]::WriteProcessMemory(3); \
                      [K]::CreateRemoteThread(4) \"quoted\" \\ \u{1} \u{e9}\u{1F525}";
        let docs = [
            serde_json::json!({
                "event": {"code": "4104", "category": "process"},
                "host": {"os": {"type": "windows"}},
                "powershell": {"file": {"script_block_text": script, "script_block_id": "b-1"}},
            }),
            // Dotted keys the alert also adds (`host.name`, `user.id`, the script block id),
            // keys that need escaping, numbers at the edges, nested users.
            serde_json::json!({
                "k\"\u{e9}\u{1}": [1.0e300, -0.0, 5e-324, 18446744073709551615u64, -9223372036854775808i64],
                "host.name": "dotted-host",
                "event": {"code": "4104", "category": "process"},
                "host": {"name": "nested-host", "os": {"type": "windows"}},
                "user": {"id": 5, "name": "u"},
                "user.id": ["S-1-5-18", "x"],
                "powershell.file.script_block_id": "dotted-id",
                "powershell": {"file": {"script_block_text": script, "script_block_id": ["b-2"]}},
                "pstriage.kind": "from the source",
            }),
        ];
        for doc in docs {
            let (alert, rules) = alert_on(doc);
            let fields = RuleFields::of(&rules[alert.rule]);
            let mut compact = Vec::new();
            write_compact(&alert, &fields, "open", &mut compact).unwrap();
            let written = serde_json::to_vec(&alert_document(&alert, &fields, "open")).unwrap();
            assert_eq!(
                String::from_utf8(compact).unwrap(),
                String::from_utf8(written).unwrap()
            );
        }
    }
}
