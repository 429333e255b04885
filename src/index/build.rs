//! Building an index from exports: stream events from `ingest`, turn each into a tantivy
//! document, commit once at the end.

use super::schema::{build_schema, kw_term, register, Fields as SchemaFields};
use crate::analysis::Analyzer;
use crate::ecs::{self, field_type, leaf_as_keyword, FieldType, Fields, KEYWORD_IGNORE_ABOVE};
use crate::event::Event;
use crate::ingest::{self, IngestError, IngestReport, InputFile, Progress};
use std::path::Path;
use std::sync::atomic::AtomicBool;
use tantivy::{DateTime, Index, TantivyDocument};

/// Memory the index writer may use before it flushes a segment.
const WRITER_MEMORY: usize = 256 * 1024 * 1024;

/// What a build produced.
#[derive(Debug)]
pub struct BuildStats {
    pub report: IngestReport,
    pub events: u64,
}

/// Errors of a build: the load itself, or tantivy.
#[derive(Debug, thiserror::Error)]
pub enum BuildError {
    #[error(transparent)]
    Ingest(#[from] IngestError),
    #[error("index: {0}")]
    Index(#[from] tantivy::TantivyError),
}

/// What a build hands the events it indexes to (the one pass: the rule evaluator). A closure
/// taking each `Event` is one.
pub trait Tap {
    /// The next event in reading order, once its document is made.
    fn event(&mut self, ev: Event);
    /// Every event has been handed on; the index is about to be committed.
    fn read_all(&mut self) {}
}

impl<F: FnMut(Event)> Tap for F {
    fn event(&mut self, ev: Event) {
        self(ev)
    }
}

/// Builds a fresh index of `inputs` in `dir` (which must be empty), handing each event to
/// `tap` once its document is made (see `open_or_build`).
pub fn build(
    dir: &Path,
    inputs: &[InputFile],
    analyzer: Analyzer,
    mut report: IngestReport,
    progress: &mut dyn FnMut(&Progress),
    tap: &mut dyn Tap,
    cancel: &AtomicBool,
) -> Result<(Index, BuildStats), BuildError> {
    let (schema, fields) = build_schema();
    let index = Index::create_in_dir(dir, schema)?;
    register(&index, analyzer);
    let mut writer: tantivy::IndexWriter<TantivyDocument> =
        index.writer_with_num_threads(crate::threads::workers(), WRITER_MEMORY)?;
    // Segments are written once and never merged: each flush of the memory budget above makes
    // one segment (4 on 1 GB of exports, 11 on 2.7 GB), and the rules' term queries do not
    // notice the count, while background merges rewrote the whole index and held it in memory
    // (2.7 GB took 120 s and 1.3 GB of RSS with them).
    writer.set_merge_policy(Box::new(tantivy::indexer::NoMergePolicy));
    let mut ord = 0u64;
    let mut failure: Option<tantivy::TantivyError> = None;
    let loaded = match ingest::ingest(
        inputs,
        &mut |ev| {
            if failure.is_some() {
                return;
            }
            if let Err(e) = writer.add_document(to_document(&ev, &fields, ev.source.ord)) {
                failure = Some(e);
            }
            ord += 1;
            tap.event(ev);
        },
        progress,
        cancel,
    ) {
        Ok(r) => r,
        Err(IngestError::NoInput(mut diagnostics)) => {
            let mut all = report.diagnostics;
            all.append(&mut diagnostics);
            return Err(IngestError::NoInput(all).into());
        }
        Err(e) => return Err(e.into()),
    };
    if let Some(e) = failure {
        return Err(e.into());
    }
    report.absorb(loaded);
    tap.read_all();
    writer.commit()?;
    writer.wait_merging_threads()?;
    Ok((
        index,
        BuildStats {
            report,
            events: ord,
        },
    ))
}

fn to_document(ev: &Event, f: &SchemaFields, ord: u64) -> TantivyDocument {
    let mut doc = TantivyDocument::default();
    let fields = Fields::of_lenient(&ev.doc);
    for (path, values) in fields.iter() {
        if values.iter().any(|v| ecs::is_indexed(path, v)) {
            doc.add_text(f.exists, path);
        }
        match field_type(path) {
            FieldType::Text => {
                if path == ecs::names::SCRIPT_BLOCK_TEXT {
                    for v in values {
                        doc.add_text(f.script, &*leaf_as_keyword(v));
                    }
                }
            }
            // Dates are decided by the evaluator (their queries compile to "all documents"), so
            // they stay out of the term index, where each timestamp would be a unique term.
            FieldType::Date => {}
            FieldType::Keyword | FieldType::Long | FieldType::Float => {
                for v in values {
                    let s = leaf_as_keyword(v);
                    if s.chars().count() <= KEYWORD_IGNORE_ABOVE {
                        doc.add_text(f.kw, kw_term(path, &s));
                    }
                }
            }
        }
    }
    if let Some(ms) = fields
        .get(ecs::names::TIMESTAMP)
        .iter()
        .find_map(|v| ecs::parse_date_millis(v))
    {
        doc.add_date(f.time, DateTime::from_timestamp_millis(ms));
    }
    if let Some(host) = fields.first(ecs::names::HOST_NAME) {
        doc.add_text(f.host, host);
    }
    if let Some(user) = fields
        .first(ecs::names::USER_NAME)
        .or_else(|| fields.first(ecs::names::USER_ID))
    {
        doc.add_text(f.user, user);
    }
    doc.add_u64(f.ord, ord);
    doc.add_text(f.doc, serde_json::to_string(&ev.doc).unwrap_or_default());
    doc.add_text(f.src_path, &ev.source.path);
    if let Some(line) = ev.source.line {
        doc.add_u64(f.src_line, line);
    }
    if let Some(index) = ev.source.index {
        doc.add_u64(f.src_index, index);
    }
    if let Some(record) = ev.source.record {
        doc.add_u64(f.src_record, record);
    }
    if let Some(id) = &ev.es_id {
        doc.add_text(f.es_id, id);
    }
    if let Some(idx) = &ev.es_index {
        doc.add_text(f.es_index, idx);
    }
    doc
}
