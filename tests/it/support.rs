//! Helpers shared by the integration tests.

use pstriage::event::Event;
use pstriage::ingest::{self, IngestReport};
use std::path::PathBuf;
use std::sync::atomic::AtomicBool;

/// Loads `paths` as the engine would, returning the events and everything reported (what
/// resolving the paths said, then what reading them said). A load with no readable input
/// returns no events and the reasons.
pub fn load(paths: &[PathBuf]) -> (Vec<Event>, IngestReport) {
    let mut report = IngestReport::default();
    let inputs = ingest::collect_inputs(paths, &mut report);
    let mut events = Vec::new();
    match ingest::ingest(
        &inputs,
        &mut |e| events.push(e),
        &mut |_| {},
        &AtomicBool::new(false),
    ) {
        Ok(r) => report.absorb(r),
        Err(ingest::IngestError::NoInput(d)) => report.diagnostics = d,
        Err(e) => panic!("{e}"),
    }
    (events, report)
}
