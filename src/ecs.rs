//! ECS field access and field types: how a JSON document looks to Elasticsearch's mapping.
//!
//! Nested objects and dotted keys mean the same field; arrays hold several values; `null` is no
//! value. Pure: no I/O.

pub mod derived;
mod fields;
mod mapping;
pub mod numeric;
mod time;
pub mod winlog;

pub use fields::{leaf_as_keyword, validate, values_at, Fields};
pub use mapping::{
    field_type, is_explicitly_mapped, is_indexed, source_field, FieldType, KEYWORD_IGNORE_ABOVE,
};
pub use time::{format_millis, parse_date_millis};

/// Well-known field names, written once.
pub mod names {
    pub const SCRIPT_BLOCK_TEXT: &str = "powershell.file.script_block_text";
    pub const SCRIPT_BLOCK_ID: &str = "powershell.file.script_block_id";
    pub const SEQUENCE: &str = "powershell.sequence";
    pub const TOTAL: &str = "powershell.total";
    pub const TIMESTAMP: &str = "@timestamp";
    pub const INGESTED: &str = "event.ingested";
    pub const HOST_NAME: &str = "host.name";
    pub const USER_ID: &str = "user.id";
    pub const USER_NAME: &str = "user.name";
    pub const FILE_NAME: &str = "file.name";
    pub const FILE_PATH: &str = "file.path";
    pub const EVENT_CATEGORY: &str = "event.category";
}
