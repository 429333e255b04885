//! A file holding one JSON array of documents, read element by element so only one document
//! is in memory at a time. A syntax error ends the array (JSON cannot be resynchronised): the
//! elements before it are kept and the error is reported with its line.

use super::{record, IngestReport};
use crate::event::{Event, SourceRef};
use serde::de::{DeserializeSeed, Deserializer, SeqAccess, Visitor};
use std::fmt;
use std::io::BufRead;
use std::sync::atomic::{AtomicBool, Ordering};

struct Elements<'a> {
    /// Shared by the file's events.
    path: std::sync::Arc<str>,
    report: &'a mut IngestReport,
    cancel: &'a AtomicBool,
    on_event: &'a mut dyn FnMut(Event),
    count: u64,
}

impl<'de> Visitor<'de> for &mut Elements<'_> {
    type Value = ();

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a JSON array of documents")
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<(), A::Error> {
        while let Some(value) = seq.next_element_seed(super::strict_json::seed())? {
            let loc = SourceRef {
                path: self.path.clone(),
                line: None,
                index: Some(self.count),
                ..SourceRef::default()
            };
            self.count += 1;
            record::expand(value, loc, self.report, self.on_event);
            if self.cancel.load(Ordering::Relaxed) {
                break;
            }
        }
        Ok(())
    }
}

impl<'de> DeserializeSeed<'de> for &mut Elements<'_> {
    type Value = ();
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        d.deserialize_seq(self)
    }
}

pub(super) fn read(
    path: &str,
    reader: Box<dyn BufRead + '_>,
    report: &mut IngestReport,
    cancel: &AtomicBool,
    on_event: &mut dyn FnMut(Event),
) {
    let fixed = std::io::BufReader::new(super::strict_json::SurrogateFix::new(reader));
    let mut de = serde_json::Deserializer::from_reader(fixed);
    let mut elements = Elements {
        path: path.into(),
        report,
        cancel,
        on_event,
        count: 0,
    };
    let result = (&mut elements).deserialize(&mut de).and_then(|()| de.end());
    if let Err(e) = result {
        let index = elements.count;
        report.skip(
            format!("{path}:{}", e.line()),
            format!(
                "invalid JSON in array element {index}: {e}; the elements after it were not read"
            ),
        );
    }
}
