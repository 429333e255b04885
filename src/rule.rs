//! Detection rules: the TOML rule files (Elastic's detection-rules format) and the KQL they hold.
//! Pure: loading takes text, never paths (the caller reads files).

pub mod kql;
