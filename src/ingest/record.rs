//! One parsed JSON value → zero or more events: a plain document, a `{"_id","_source"}`
//! wrapper, or a `_search` response (`hits.hits[]._source`). Rejects what Elasticsearch would
//! reject (not an object, a field of the wrong type) with the reason.

use super::IngestReport;
use crate::ecs::validate;
use crate::event::{Event, SourceRef};
use serde_json::{Map, Value};

/// Expands `value` read at `loc` into events.
pub(super) fn expand(
    value: Value,
    loc: SourceRef,
    report: &mut IngestReport,
    on_event: &mut dyn FnMut(Event),
) {
    let Value::Object(mut obj) = value else {
        report.skip(
            loc.to_string(),
            format!("not a JSON object (found {})", kind(&value)),
        );
        return;
    };
    if let Some(hits) = take_search_hits(&mut obj) {
        for (i, hit) in hits.into_iter().enumerate() {
            let hit_loc = SourceRef {
                index: Some(i as u64),
                ..loc.clone()
            };
            match hit {
                Value::Object(hit) => unwrap_source(hit, hit_loc, report, on_event),
                other => report.skip(
                    hit_loc.to_string(),
                    format!("search hit is not an object (found {})", kind(&other)),
                ),
            }
        }
        return;
    }
    unwrap_source(obj, loc, report, on_event);
}

/// `hits.hits` of a `_search` response, when `obj` is one.
fn take_search_hits(obj: &mut Map<String, Value>) -> Option<Vec<Value>> {
    let hits = obj.get_mut("hits")?.as_object_mut()?;
    match hits.get_mut("hits")? {
        Value::Array(items) => Some(std::mem::take(items)),
        _ => None,
    }
}

fn unwrap_source(
    mut obj: Map<String, Value>,
    loc: SourceRef,
    report: &mut IngestReport,
    on_event: &mut dyn FnMut(Event),
) {
    let (doc, es_id, es_index) = match obj.remove("_source") {
        Some(Value::Object(source)) => {
            let es_id = obj.get("_id").map(id_text);
            let es_index = obj.get("_index").and_then(Value::as_str).map(str::to_owned);
            (source, es_id, es_index)
        }
        Some(other) => {
            report.skip(
                loc.to_string(),
                format!("_source is not an object (found {})", kind(&other)),
            );
            return;
        }
        None => (obj, None, None),
    };
    // Raw Windows events become the ECS document Elastic would have stored.
    let doc = crate::ecs::winlog::to_ecs(&doc).unwrap_or(doc);
    match validate(&doc) {
        Err(reason) => {
            report.skip(loc.to_string(), reason);
            return;
        }
        Ok(Some(malformed)) if rejects_malformed(es_index.as_deref()) => {
            report.skip(
                loc.to_string(),
                format!("{malformed}: the winlogbeat-* template rejects the document"),
            );
            return;
        }
        Ok(Some(malformed)) => report.note(
            loc.to_string(),
            format!(
                "{malformed}: left unindexed, as the logs-* templates do (ignore_malformed); the rest of the event is kept"
            ),
        ),
        Ok(None) => {}
    }
    if let Some(bytes) = immense_script_token(&doc) {
        report.note(
            loc.to_string(),
            format!(
                "a token of {bytes} bytes in {} is over Lucene's {}-byte term limit: Elasticsearch rejects the document (under the integration's pattern analyzer), so no rule alerts on it; it is kept for hunting",
                crate::ecs::names::SCRIPT_BLOCK_TEXT,
                crate::analysis::MAX_TERM_BYTES
            ),
        );
    }
    report.loaded += 1;
    on_event(Event {
        doc,
        es_id,
        es_index,
        source: loc,
    });
}

/// Whether the index the export came from rejects a document with a malformed value: Winlogbeat's
/// own templates do; the `logs-*` templates (and an export that does not say) ignore the value.
fn rejects_malformed(es_index: Option<&str>) -> bool {
    es_index.is_some_and(|i| i.trim_start_matches(".ds-").starts_with("winlogbeat-"))
}

/// The length of a script-text token Lucene cannot index, under the integration's analyzer.
fn immense_script_token(doc: &Map<String, Value>) -> Option<usize> {
    crate::ecs::values_at(doc, crate::ecs::names::SCRIPT_BLOCK_TEXT)
        .iter()
        .find_map(|v| crate::analysis::Analyzer::Pattern.immense_token(v.as_str()?))
}

fn id_text(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

fn kind(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}
