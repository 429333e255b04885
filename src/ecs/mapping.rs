//! Field types as the `logs-*` / `winlogbeat-*` templates map them (reference §2).
//! Every string field not listed is a `keyword`, as dynamic templates map strings.

/// How Elasticsearch indexes a field, which decides how a KQL value matches it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FieldType {
    /// Analyzed full text: `match` / `match_phrase` on tokens.
    Text,
    /// Exact, case-sensitive string.
    Keyword,
    /// Instant (ISO 8601 or epoch milliseconds).
    Date,
    /// Integer (`ecs::numeric` says how values and bounds convert).
    Long,
    /// 32-bit floating point: a value is stored as the nearest float.
    Float,
}

/// ECS keyword fields carry `ignore_above: 1024`: longer values are stored but not indexed, so
/// no keyword query matches them.
pub const KEYWORD_IGNORE_ABOVE: usize = 1024;

const TEXT: &[&str] = &[
    "powershell.file.script_block_text",
    "message",
    "file.path.text",
    "user.name.text",
    "process.command_line.text",
    "error.message",
];

const DATES: &[&str] = &[
    "@timestamp",
    "event.ingested",
    "event.created",
    "event.start",
    "event.end",
];

const LONGS: &[&str] = &[
    "powershell.sequence",
    "powershell.total",
    "powershell.file.script_block_length",
    "powershell.file.script_block_unique_symbols",
    "process.pid",
    "winlog.process.pid",
    "winlog.process.thread.id",
    "event.severity",
];

/// The Windows integration maps the script statistics as `float`; `_entropy_normalized`, which
/// it does not declare, is mapped dynamically, and a JSON fraction maps to `float` too.
const FLOATS: &[&str] = &[
    "powershell.file.script_block_entropy_bits",
    "powershell.file.script_block_surprisal_stdev",
    "powershell.file.script_block_entropy_normalized",
];

const KEYWORDS: &[&str] = &[
    "powershell.file.script_block_id",
    "file.path",
    "file.directory",
    "file.name",
    "file.extension",
    "user.id",
    "user.name",
    "user.domain",
    "host.name",
    "host.id",
    "host.os.type",
    "event.category",
    "event.code",
    "event.type",
    "event.kind",
    "event.action",
    "winlog.channel",
    "winlog.record_id",
    "winlog.event_id",
    "winlog.computer_name",
];

/// The mapped type of `field`.
pub fn field_type(field: &str) -> FieldType {
    if TEXT.contains(&field) {
        FieldType::Text
    } else if DATES.contains(&field) {
        FieldType::Date
    } else if LONGS.contains(&field) {
        FieldType::Long
    } else if FLOATS.contains(&field) {
        FieldType::Float
    } else {
        FieldType::Keyword
    }
}

/// The document path a field's values come from: multi-fields such as `file.path.text` index
/// the values of `file.path` a second way.
pub fn source_field(field: &str) -> &str {
    match field {
        "file.path.text" | "user.name.text" | "process.command_line.text" => {
            &field[..field.len() - ".text".len()]
        }
        other => other,
    }
}

/// True for fields the templates map as a leaf value: an object there is a mapping error.
/// Any other field is mapped dynamically, by the JSON type of its first value.
pub fn is_explicitly_mapped(field: &str) -> bool {
    TEXT.contains(&field) && !field.ends_with(".text")
        || DATES.contains(&field)
        || LONGS.contains(&field)
        || FLOATS.contains(&field)
        || KEYWORDS.contains(&field)
}

/// Whether `field`'s mapping indexes the value `v`: a malformed number or date is not indexed
/// (`ignore_malformed`), so no query, `exists` included, sees it.
pub fn is_indexed(field: &str, v: &serde_json::Value) -> bool {
    match field_type(field) {
        FieldType::Text | FieldType::Keyword => true,
        FieldType::Date => super::parse_date_millis(v).is_some(),
        FieldType::Long => super::numeric::stored_long(v).is_some(),
        FieldType::Float => super::numeric::stored_float(v).is_some(),
    }
}
