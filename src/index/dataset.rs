//! An open, complete index and the questions the rest of the program asks it: the candidates
//! of a KQL query, one stored event, the events of a host or user in a time span, counts and
//! the time span of the whole set. The only way out of `index` into tantivy's data.
//!
//! Must not decide a match: what it returns for a query is a superset, and the evaluator
//! (`rule::kql`) confirms. Must not hand tantivy types to its callers.

use super::cache::Manifest;
use super::query::compile;
use super::schema::{kw_term, Fields as SchemaFields};
use crate::analysis::Analyzer;
use crate::ecs;
use crate::event::{Event, SourceRef};
use crate::rule::kql::Expr;
use std::collections::HashMap;
use std::path::{Path, PathBuf};
use tantivy::collector::{Count, DocSetCollector};
use tantivy::query::{AllQuery, BooleanQuery, Occur, Query, RangeQuery, TermQuery};
use tantivy::schema::{IndexRecordOption, Value};
use tantivy::{DateTime, DocAddress, Searcher, TantivyDocument, Term};

/// A failure inside the index (I/O under it, or a damaged file found while reading).
#[derive(Debug, thiserror::Error)]
#[error("index: {0}")]
pub struct IndexError(#[from] tantivy::TantivyError);

pub type Result<T> = std::result::Result<T, IndexError>;

/// Where one event lives in the index; valid for the `Dataset` that returned it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct EventAddr(DocAddress);

/// The candidates of a query, in index order.
pub struct Candidates {
    pub events: Vec<EventAddr>,
    /// True when every candidate matches (the index answered the query exactly).
    pub exact: bool,
}

/// Event times (epoch ms, sorted) by host name or by user.
pub type TimesBy = HashMap<String, Vec<i64>>;

/// Whose events a time-span query returns.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Who {
    Host(String),
    User(String),
    Anyone,
}

/// An open, complete index and what it holds.
/// Made by `cache::open_or_build`.
pub struct Dataset {
    /// The finished index's one searcher (it holds the index open).
    pub(super) searcher: Searcher,
    pub(super) fields: SchemaFields,
    pub(super) manifest: Manifest,
    pub(super) dir: PathBuf,
    pub(super) reused: bool,
    pub(super) rebuilt_because: Option<String>,
    pub(super) analyzer: Analyzer,
}

impl Dataset {
    /// What the index was built from, and what loading reported.
    pub fn manifest(&self) -> &Manifest {
        &self.manifest
    }

    /// The index directory.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// True when an existing index was reused (nothing was re-read).
    pub fn reused(&self) -> bool {
        self.reused
    }

    /// Why an existing index for these inputs was not used and had to be rebuilt.
    pub fn rebuilt_because(&self) -> Option<&str> {
        self.rebuilt_because.as_deref()
    }

    /// How script-block text was analyzed.
    pub fn analyzer(&self) -> Analyzer {
        self.analyzer
    }

    /// Number of indexed events.
    pub fn num_events(&self) -> u64 {
        self.searcher.num_docs()
    }

    /// The events that may match `expr` (all of them match when `exact`).
    pub fn candidates(&self, expr: &Expr) -> Result<Candidates> {
        let compiled = compile(expr, &self.fields, self.analyzer);
        Ok(Candidates {
            events: self.collect(&*compiled.query)?,
            exact: compiled.exact,
        })
    }

    /// How many events the index query of `expr` returns, without loading them.
    pub fn count_candidates(&self, expr: &Expr) -> Result<usize> {
        let compiled = compile(expr, &self.fields, self.analyzer);
        Ok(self.searcher.search(&*compiled.query, &Count)?)
    }

    /// Every event, in index order.
    pub fn all_events(&self) -> Result<Vec<EventAddr>> {
        self.collect(&AllQuery)
    }

    /// Every event carrying script-block text, in index order.
    pub fn script_events(&self) -> Result<Vec<EventAddr>> {
        self.collect(&*self.exists(ecs::names::SCRIPT_BLOCK_TEXT))
    }

    /// Events carrying script-block text.
    pub fn script_block_count(&self) -> Result<u64> {
        let q = self.exists(ecs::names::SCRIPT_BLOCK_TEXT);
        Ok(self.searcher.search(&*q, &Count)? as u64)
    }

    /// The earliest and latest event time.
    pub fn time_span(&self) -> Result<Option<(i64, i64)>> {
        let mut range: Option<(i64, i64)> = None;
        for seg in self.searcher.segment_readers() {
            let time = seg.fast_fields().date("time")?;
            if time.values.num_vals() == 0 {
                continue;
            }
            let (lo, hi) = (
                time.min_value().into_timestamp_millis(),
                time.max_value().into_timestamp_millis(),
            );
            range = Some(range.map_or((lo, hi), |(a, b)| (a.min(lo), b.max(hi))));
        }
        Ok(range)
    }

    /// Event times by host and by user, from the fast fields.
    pub fn event_times(&self) -> Result<(TimesBy, TimesBy)> {
        let mut host_times = TimesBy::new();
        let mut user_times = TimesBy::new();
        let mut buf = String::new();
        for seg in self.searcher.segment_readers() {
            let ff = seg.fast_fields();
            let time = ff.date("time")?;
            let host = ff.str("host")?;
            let user = ff.str("user")?;
            // Times are gathered per dictionary ordinal, and each ordinal becomes its string
            // once per segment, not once per document.
            let mut by_host: HashMap<u64, Vec<i64>> = HashMap::new();
            let mut by_user: HashMap<u64, Vec<i64>> = HashMap::new();
            for doc in seg.doc_ids_alive() {
                let Some(t) = time.first(doc).map(|d| d.into_timestamp_millis()) else {
                    continue;
                };
                if let Some(ord) = host.as_ref().and_then(|c| c.term_ords(doc).next()) {
                    by_host.entry(ord).or_default().push(t);
                }
                if let Some(ord) = user.as_ref().and_then(|c| c.term_ords(doc).next()) {
                    by_user.entry(ord).or_default().push(t);
                }
            }
            for (col, per_ord, map) in [
                (&host, by_host, &mut host_times),
                (&user, by_user, &mut user_times),
            ] {
                let Some(col) = col else { continue };
                for (ord, mut times) in per_ord {
                    buf.clear();
                    if col.ord_to_str(ord, &mut buf).unwrap_or(false) {
                        map.entry(buf.clone()).or_default().append(&mut times);
                    }
                }
            }
        }
        for v in host_times.values_mut().chain(user_times.values_mut()) {
            v.sort_unstable();
        }
        Ok((host_times, user_times))
    }

    /// Events of `who` with a time in `[from_ms, to_ms]`, in time order.
    pub fn events_between(&self, who: &Who, from_ms: i64, to_ms: i64) -> Result<Vec<EventAddr>> {
        let range = RangeQuery::new(
            std::ops::Bound::Included(Term::from_field_date(
                self.fields.time,
                DateTime::from_timestamp_millis(from_ms),
            )),
            std::ops::Bound::Included(Term::from_field_date(
                self.fields.time,
                DateTime::from_timestamp_millis(to_ms),
            )),
        );
        let mut clauses: Vec<(Occur, Box<dyn Query>)> = vec![(Occur::Must, Box::new(range))];
        match who {
            Who::Host(h) => clauses.push((Occur::Must, term(self.fields.host, h))),
            Who::User(u) => clauses.push((Occur::Must, term(self.fields.user, u))),
            Who::Anyone => {}
        }
        let found = self.collect(&BooleanQuery::new(clauses))?;
        self.in_time_order(found)
    }

    /// Events that are one fragment of a script logged in several (a script block id, a total,
    /// and a total other than 1), in index order.
    pub fn multi_fragment_events(&self) -> Result<Vec<Event>> {
        let f = &self.fields;
        let q = BooleanQuery::new(vec![
            (Occur::Must, self.exists(ecs::names::SCRIPT_BLOCK_ID)),
            (Occur::Must, self.exists(ecs::names::TOTAL)),
            (Occur::MustNot, term(f.kw, &kw_term(ecs::names::TOTAL, "1"))),
        ]);
        self.collect(&q)?
            .into_iter()
            .map(|a| self.event(a))
            .collect()
    }

    /// `events` sorted by time, then reading order (events without a time first), the order
    /// alerts are listed in.
    pub fn in_time_order(&self, mut events: Vec<EventAddr>) -> Result<Vec<EventAddr>> {
        let segments = self.searcher.segment_readers();
        let mut columns = Vec::with_capacity(segments.len());
        for seg in segments {
            let ff = seg.fast_fields();
            columns.push((ff.date("time")?, ff.u64("ord")?));
        }
        let key = |a: &EventAddr| {
            let (time, ord) = &columns[a.0.segment_ord as usize];
            (
                time.first(a.0.doc_id).map(|d| d.into_timestamp_millis()),
                ord.first(a.0.doc_id).unwrap_or(0),
            )
        };
        events.sort_by_cached_key(key);
        Ok(events)
    }

    /// Loads a stored event back.
    pub fn event(&self, addr: EventAddr) -> Result<Event> {
        let doc: TantivyDocument = self.searcher.doc(addr.0)?;
        let f = &self.fields;
        let text = |field| {
            doc.get_first(field)
                .and_then(|v| v.as_str())
                .map(str::to_owned)
        };
        let num = |field| doc.get_first(field).and_then(|v| v.as_u64());
        // Parsed from the stored text in place (no copy of the document first).
        let body = doc.get_first(f.doc).and_then(|v| v.as_str()).unwrap_or("");
        let map = serde_json::from_str(body).unwrap_or_default();
        Ok(Event {
            doc: map,
            es_id: text(f.es_id),
            es_index: text(f.es_index),
            source: SourceRef {
                path: text(f.src_path).unwrap_or_default().into(),
                line: num(f.src_line),
                index: num(f.src_index),
                record: num(f.src_record),
                ord: num(f.ord).unwrap_or(0),
            },
        })
    }

    fn collect(&self, query: &dyn Query) -> Result<Vec<EventAddr>> {
        let mut found: Vec<EventAddr> = self
            .searcher
            .search(query, &DocSetCollector)?
            .into_iter()
            .map(EventAddr)
            .collect();
        found.sort_unstable();
        Ok(found)
    }

    fn exists(&self, field: &str) -> Box<dyn Query> {
        term(self.fields.exists, field)
    }
}

fn term(field: tantivy::schema::Field, text: &str) -> Box<dyn Query> {
    Box::new(TermQuery::new(
        Term::from_field_text(field, text),
        IndexRecordOption::Basic,
    ))
}
