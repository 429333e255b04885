//! `.evtx` files (detected by the `ElfFile` magic) read with the `evtx` crate, two threads.
//! Every record becomes an event (mapped to ECS by `ecs::winlog`); a damaged chunk or record is
//! reported with what the parser says about it (chunk number, record id) and skipped, and the
//! rest of the file still loads.

use super::{record, IngestReport};
use crate::event::{Event, SourceRef};
use evtx::{EvtxParser, ParserSettings};
use std::sync::atomic::{AtomicBool, Ordering};

/// Reads one EVTX file; `emit` gets each event with the bytes of the file read so far (EVTX is
/// read in chunks, so progress is approximate).
pub(super) fn read(
    input: &super::InputFile,
    report: &mut IngestReport,
    cancel: &AtomicBool,
    emit: &mut dyn FnMut(Event, u64),
) -> bool {
    let path = input.display.as_str();
    let settings = ParserSettings::default()
        .num_threads(crate::threads::workers())
        .separate_json_attributes(false);
    let mut parser = match EvtxParser::from_path(&input.path) {
        Ok(p) => p.with_configuration(settings),
        Err(e) => {
            report.note(path.to_owned(), format!("not a readable EVTX file: {e}"));
            return false;
        }
    };
    let mut seen = 0u64;
    // One path for all the file's events.
    let shared: std::sync::Arc<str> = path.into();
    for item in parser.records_json_value() {
        if cancel.load(Ordering::Relaxed) {
            break;
        }
        match item {
            Ok(rec) => {
                seen += 1;
                let loc = SourceRef {
                    path: shared.clone(),
                    record: Some(rec.event_record_id),
                    ..SourceRef::default()
                };
                let approx = (seen * 1024).min(input.size);
                record::expand(rec.data, loc, report, &mut |ev| emit(ev, approx));
            }
            Err(e) => report.skip(
                path.to_owned(),
                format!("damaged EVTX data skipped: {}", one_line(&e.to_string())),
            ),
        }
    }
    true
}

fn one_line(s: &str) -> String {
    s.split_whitespace().collect::<Vec<_>>().join(" ")
}
