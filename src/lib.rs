//! pstriage library.
pub mod analysis;
pub mod ecs;
pub mod event;
pub mod ingest;
pub mod rule;
