//! ES|QL, the subset Elastic's PowerShell rules are written in: parsed, and run on one document
//! at a time (or on the alerts, for the correlation rule) with Elasticsearch's semantics.

pub mod java_regex;
