//! The tantivy index of loaded events: schema, building it from exports (with progress), the
//! per-input-set cache directory, compiling a KQL AST into a candidate query, and `Dataset`,
//! the questions the rest of the program asks an open index.
//!
//! The only module that uses tantivy. The index only ever *finds candidates*;
//! `rule::kql::evaluate` decides. Must not contain rule semantics of its own beyond "this query
//! returns a superset of the matches".

mod build;
mod cache;
mod dataset;
mod query;
mod schema;
mod tokenizer;
mod verified;

pub use build::{build, BuildStats, Tap};
pub use cache::{default_cache_root, open_or_build, Manifest, OpenError, OpenOptions};
pub use dataset::{Candidates, Dataset, EventAddr, IndexError, Result, TimesBy, Who};
pub use schema::SCHEMA_VERSION;
pub use tokenizer::{index_term, LONG_TOKEN_BYTES};
