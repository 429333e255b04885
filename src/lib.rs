//! pstriage library.
pub mod analysis;
