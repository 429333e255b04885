//! Kibana Query Language: lexer, recursive-descent parser, AST and the pure evaluator that
//! defines what a query means for one document (Elasticsearch semantics per field type).
//!
//! Knows nothing of tantivy, files or the terminal: `index::query` compiles the same AST into
//! a candidate search, and the evaluator here confirms and explains each candidate.

mod ast;
mod eval;
mod lexer;
mod parser;
mod plan;
mod vocabulary;

pub use ast::{Expr, Literal, Piece, RangeOp};
pub use eval::{evaluate, explain, positive, text_analyzer, Explanation, Hit, Positive, Prepared};
pub use parser::{parse, KqlError};
pub use plan::{matches, BoundTerms, DocTokens, Plan, PlanSet};
pub use vocabulary::Vocabulary;
