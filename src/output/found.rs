//! Writing the events a hunt found (`pstriage search`): a table for people, the ECS document
//! with where it came from as NDJSON or JSON, or CSV. Log text passes `safe_text` in the table
//! and CSV; NDJSON/JSON escape control characters by construction.

use super::{write_aligned, Format};
use crate::ecs::{self, format_millis, Fields};
use crate::hunt::Found;
use crate::safe_text;
use serde_json::{json, Value};
use std::io::{self, Write};

/// The event as a document: its `_source` with `pstriage.source.*` and `pstriage.event_id`.
pub fn found_document(found: &Found) -> Value {
    let mut doc = found.event.doc.clone();
    let src = &found.event.source;
    doc.insert("pstriage.source.path".into(), json!(src.path));
    doc.insert("pstriage.source.line".into(), json!(src.line));
    if let Some(i) = src.index {
        doc.insert("pstriage.source.index".into(), json!(i));
    }
    if let Some(r) = src.record {
        doc.insert("pstriage.source.record".into(), json!(r));
    }
    doc.insert("pstriage.event_id".into(), json!(found.event.identity()));
    Value::Object(doc)
}

/// The columns every table and CSV row of a found event shows.
struct Row {
    time: String,
    host: String,
    user: String,
    script_block_id: String,
    part: String,
    context: String,
}

impl Row {
    fn of(found: &Found) -> Row {
        let fields = Fields::of_lenient(&found.event.doc);
        Row {
            time: found
                .time_ms
                .map(format_millis)
                .unwrap_or_else(|| "-".into()),
            host: found.host.clone().unwrap_or_else(|| "-".into()),
            user: found.user.clone().unwrap_or_else(|| "-".into()),
            script_block_id: fields
                .first(ecs::names::SCRIPT_BLOCK_ID)
                .unwrap_or_else(|| "-".into()),
            part: found.part(),
            context: found.context(),
        }
    }
}

/// Writes the found events in `format`.
pub fn write_found(out: &mut dyn Write, format: Format, found: &[Found]) -> io::Result<()> {
    match format {
        Format::Table => write_table(out, found),
        Format::Ndjson => {
            for f in found {
                serde_json::to_writer(&mut *out, &found_document(f))?;
                out.write_all(b"\n")?;
            }
            Ok(())
        }
        Format::Json => {
            let docs: Vec<Value> = found.iter().map(found_document).collect();
            serde_json::to_writer_pretty(&mut *out, &docs)?;
            out.write_all(b"\n")
        }
        Format::Csv => {
            writeln!(
                out,
                "time,host,user,script_block_id,part,context,event_id,source"
            )?;
            for f in found {
                let r = Row::of(f);
                let cells = [
                    r.time,
                    r.host,
                    r.user,
                    r.script_block_id,
                    r.part,
                    r.context,
                    f.event.identity(),
                    f.event.source.to_string(),
                ];
                let row: Vec<String> = cells.iter().map(|c| safe_text::csv_cell(c)).collect();
                writeln!(out, "{}", row.join(","))?;
            }
            Ok(())
        }
    }
}

fn write_table(out: &mut dyn Write, found: &[Found]) -> io::Result<()> {
    if found.is_empty() {
        return writeln!(out, "(no matching events)");
    }
    let rows: Vec<[String; 6]> = found
        .iter()
        .map(|f| {
            let r = Row::of(f);
            [r.time, r.host, r.user, r.script_block_id, r.part, r.context]
                .map(|c| safe_text::line(&c).into_owned())
        })
        .collect();
    let header = ["TIME", "HOST", "USER", "SCRIPT BLOCK ID", "PART", "CONTEXT"];
    write_aligned(out, header, &rows, [24, 24, 28, 36, 9, usize::MAX])
}
