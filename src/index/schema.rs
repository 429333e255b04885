//! The index schema. One text field for script-block text (our tokenizer), one raw field of
//! `path\u{1f}value` terms for every keyword value, one of field names for `field:*`, fast
//! fields for what the alert list and timeline sort and bucket by, and the original document.

use crate::analysis::Analyzer;
use tantivy::schema::{
    Field, IndexRecordOption, Schema, TextFieldIndexing, TextOptions, FAST, INDEXED, STORED, STRING,
};

/// Bumped whenever the schema or the indexing of a field changes: old indexes are rebuilt.
/// 7: the term dictionary is an SSTable (tantivy's `quickwit` feature), not an FST.
pub const SCHEMA_VERSION: u32 = 7;

/// Name under which the script tokenizer is registered.
pub(super) const SCRIPT_TOKENIZER: &str = "pstriage_script";

/// Separates the field path from the value in `kw` terms.
pub(super) const KW_SEP: char = '\u{1f}';

/// The fields of the schema.
#[derive(Clone, Copy, Debug)]
pub struct Fields {
    pub script: Field,
    pub kw: Field,
    pub exists: Field,
    pub time: Field,
    pub host: Field,
    pub user: Field,
    pub ord: Field,
    pub doc: Field,
    pub src_path: Field,
    pub src_line: Field,
    pub src_index: Field,
    pub src_record: Field,
    pub es_id: Field,
    pub es_index: Field,
}

pub(super) fn build_schema() -> (Schema, Fields) {
    let mut b = Schema::builder();
    let script_opts = TextOptions::default().set_indexing_options(
        TextFieldIndexing::default()
            .set_tokenizer(SCRIPT_TOKENIZER)
            // Document ids only: phrases are confirmed by the evaluator anyway, so positions
            // (and frequencies; nothing is scored) would only slow the build down.
            .set_index_option(IndexRecordOption::Basic),
    );
    let fields = Fields {
        script: b.add_text_field("script", script_opts),
        kw: b.add_text_field("kw", STRING),
        exists: b.add_text_field("exists", STRING),
        time: b.add_date_field("time", INDEXED | FAST | STORED),
        host: b.add_text_field("host", STRING | FAST | STORED),
        user: b.add_text_field("user", STRING | FAST | STORED),
        ord: b.add_u64_field("ord", FAST | STORED),
        doc: b.add_text_field("doc", STORED),
        src_path: b.add_text_field("src_path", STORED),
        src_line: b.add_u64_field("src_line", STORED),
        src_index: b.add_u64_field("src_index", STORED),
        src_record: b.add_u64_field("src_record", STORED),
        es_id: b.add_text_field("es_id", STORED),
        es_index: b.add_text_field("es_index", STORED),
    };
    (b.build(), fields)
}

pub(super) fn fields_of(schema: &Schema) -> tantivy::Result<Fields> {
    Ok(Fields {
        script: schema.get_field("script")?,
        kw: schema.get_field("kw")?,
        exists: schema.get_field("exists")?,
        time: schema.get_field("time")?,
        host: schema.get_field("host")?,
        user: schema.get_field("user")?,
        ord: schema.get_field("ord")?,
        doc: schema.get_field("doc")?,
        src_path: schema.get_field("src_path")?,
        src_line: schema.get_field("src_line")?,
        src_index: schema.get_field("src_index")?,
        src_record: schema.get_field("src_record")?,
        es_id: schema.get_field("es_id")?,
        es_index: schema.get_field("es_index")?,
    })
}

/// Registers our tokenizer on an index (needed on every open, not stored in the index).
pub(super) fn register(index: &tantivy::Index, analyzer: Analyzer) {
    index.tokenizers().register(
        SCRIPT_TOKENIZER,
        tantivy::tokenizer::TextAnalyzer::from(super::tokenizer::ScriptTokenizer::new(analyzer)),
    );
}

/// The `kw` term of a keyword value.
pub fn kw_term(field: &str, value: &str) -> String {
    let mut s = String::with_capacity(field.len() + value.len() + 1);
    s.push_str(field);
    s.push(KW_SEP);
    s.push_str(value);
    s
}
