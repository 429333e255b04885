//! The parsed form of an ES|QL query: its source (`from`), and one step per piped command.

use super::java_regex::JavaRegex;

/// A parsed query.
#[derive(Clone, Debug)]
pub struct Query {
    /// The index patterns after `from`.
    pub from: Vec<String>,
    /// The metadata fields asked for (`_id`, `_version`, `_index`).
    pub metadata: Vec<String>,
    pub steps: Vec<Step>,
}

/// One piped command, with its text as written (comments and runs of white space dropped).
#[derive(Clone, Debug)]
pub struct Step {
    pub text: String,
    pub kind: StepKind,
}

#[derive(Clone, Debug)]
pub enum StepKind {
    /// Keeps the rows for which the condition is true (false and null drop them).
    Where(Expr),
    /// Adds or replaces columns, left to right (a later one sees the earlier ones).
    Eval(Vec<(String, Expr)>),
    /// Keeps only the columns matching these patterns (`*` any run).
    Keep(Vec<String>),
    /// Removes the columns matching these patterns.
    Drop(Vec<String>),
    /// Caps the number of rows; one document is one row, so it never drops it.
    Limit(u64),
    /// Orders the rows; alerts are listed in time order whatever the query says.
    Sort,
    /// `grok field "expression"`: adds the expression's named captures as columns.
    Grok {
        field: String,
        grok: Box<super::grok::Grok>,
    },
    /// `stats name = agg(x), … by g, …`: one row per distinct grouping value.
    Stats {
        aggregates: Vec<(String, Aggregate)>,
        by: Vec<String>,
    },
}

/// An aggregate function of `stats` over the rows of a group.
#[derive(Clone, Debug)]
pub struct Aggregate {
    pub func: AggFunc,
    /// The expression aggregated; `None` for `count(*)`.
    pub arg: Option<Expr>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum AggFunc {
    /// Non-null values (each value of a multi-valued one), or rows for `count(*)`.
    Count,
    /// Distinct non-null values (exact: Elasticsearch's estimate is exact below 3,000).
    CountDistinct,
    /// The distinct values, as a multi-valued column.
    Values,
    Min,
    Max,
}

/// An expression.
#[derive(Clone, Debug)]
pub enum Expr {
    Null,
    Bool(bool),
    Long(i64),
    Double(f64),
    Str(String),
    Field(String),
    Call(Func, Vec<Expr>),
    /// `x::double` and friends, and the `to_*` functions.
    Cast(Box<Expr>, Type),
    Neg(Box<Expr>),
    Arith(ArithOp, Box<Expr>, Box<Expr>),
    Cmp(CmpOp, Box<Expr>, Box<Expr>),
    And(Box<Expr>, Box<Expr>),
    Or(Box<Expr>, Box<Expr>),
    Not(Box<Expr>),
    /// `x is null` (`true`) or `x is not null` (`false`).
    IsNull(Box<Expr>, bool),
    /// `x like "p"`, `x like ("p", "q")`; `negated` for `not like`.
    Like {
        value: Box<Expr>,
        patterns: Vec<crate::rule::dsl::Wildcard>,
        negated: bool,
    },
    /// `x rlike "p"`, `x rlike ("p", "q")` (Lucene regexps); `negated` for `not rlike`.
    RLike {
        value: Box<Expr>,
        patterns: Vec<super::lucene_regexp::LuceneRegexp>,
        negated: bool,
    },
    /// `x in (a, b)`; `negated` for `not in`.
    In {
        value: Box<Expr>,
        list: Vec<Expr>,
        negated: bool,
    },
    /// `field : "text"`: a full-text match with the field's analyzer.
    Match(Box<TextMatch>),
}

/// `field : "text"`, prepared once with the query.
#[derive(Clone, Debug)]
pub struct TextMatch {
    pub field: String,
    /// `field:text` as the KQL evaluator runs an unquoted value (the same `match` query).
    pub leaf: crate::rule::kql::Expr,
    /// `leaf` planned: its terms looked up among the field's tokens.
    pub plan: crate::rule::kql::Plan,
    /// The query's tokens under either analyzer, found case-insensitively: an ASCII value
    /// holding none of them cannot match (`None` when the query has no token).
    pub prefilter: Option<regex::bytes::Regex>,
}

/// The functions of the subset.
#[derive(Clone, Debug)]
pub enum Func {
    /// `replace(str, regex, new)`, the regex compiled once (it must be a literal).
    Replace(Box<JavaRegex>),
    Length,
    ToLower,
    ToUpper,
    MvMin,
    MvMax,
    Coalesce,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Type {
    Double,
    Long,
    Keyword,
    Boolean,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ArithOp {
    Add,
    Sub,
    Mul,
    Div,
    Rem,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CmpOp {
    Eq,
    Ne,
    Lt,
    Le,
    Gt,
    Ge,
}

impl CmpOp {
    /// Whether two values ordered `ord` compare as this operator asks.
    pub fn holds(self, ord: std::cmp::Ordering) -> bool {
        use std::cmp::Ordering::*;
        match self {
            CmpOp::Eq => ord == Equal,
            CmpOp::Ne => ord != Equal,
            CmpOp::Lt => ord == Less,
            CmpOp::Le => ord != Greater,
            CmpOp::Gt => ord == Greater,
            CmpOp::Ge => ord != Less,
        }
    }

    pub fn symbol(self) -> &'static str {
        match self {
            CmpOp::Eq => "==",
            CmpOp::Ne => "!=",
            CmpOp::Lt => "<",
            CmpOp::Le => "<=",
            CmpOp::Gt => ">",
            CmpOp::Ge => ">=",
        }
    }
}
