//! The tantivy index of loaded events: schema, building it from exports (with progress), the
//! per-input-set cache directory, and compiling a KQL AST into a candidate query.
//!
//! The index only ever *finds candidates*; `rule::kql::evaluate` decides. Must not contain
//! rule semantics of its own beyond "this query returns a superset of the matches".

mod build;
mod cache;
mod query;
mod schema;
mod tokenizer;
mod verified;

pub use build::{build, BuildStats};
pub use cache::{default_cache_root, open_or_build, Dataset, Manifest, OpenError, OpenOptions};
pub use query::{compile, Compiled};
pub use schema::{kw_term, Fields as SchemaFields, SCHEMA_VERSION};
pub use tokenizer::{index_term, LONG_TOKEN_BYTES};
