//! The KQL syntax tree, after value lists have been distributed over their field (as Kibana
//! does: `f:(a or b)` is `f:a or f:b`). `Display` prints canonical KQL that parses back to the
//! same tree.

use crate::analysis::Analyzer;
use std::fmt;
use std::sync::OnceLock;

/// A parsed query.
#[derive(Clone, Debug, PartialEq)]
pub enum Expr {
    /// The empty query: matches every document.
    All,
    Or(Vec<Expr>),
    And(Vec<Expr>),
    Not(Box<Expr>),
    /// `field:value` (`field` is `None` for a bare value searched in every field).
    Match {
        field: Option<String>,
        value: Literal,
    },
    /// `field < value` and friends.
    Range {
        field: String,
        op: RangeOp,
        value: Literal,
    },
}

/// A value as written: its text after escapes, whether it was quoted, and its wildcards.
#[derive(Clone, Debug, PartialEq)]
pub struct Literal {
    /// The value with escapes resolved; for a wildcard value, the pieces joined with `*`.
    pub text: String,
    pub quoted: bool,
    /// Present when the unquoted value held an unescaped `*`.
    pub wildcard: Option<Vec<Piece>>,
    /// `text` analyzed, per analyzer, once (see [`Literal::terms`]).
    pub(crate) analyzed: AnalyzedTerms,
}

/// A value's analyzed terms under each analyzer, made on first use and kept with the value: a
/// rule's values are matched against every event that fires it, and analyzing each of them
/// again for every such event cost more than the matching (a rule of a hundred function
/// names firing on thousands of blocks). With them, their ids in the first vocabulary they are
/// looked up in (`Literal::term_ids`): an alert's clauses are checked against the rule set's
/// vocabulary, the same for every event of a scan. Not part of what the value is: equal
/// whatever it holds.
#[derive(Clone, Default)]
pub struct AnalyzedTerms([OnceLock<Vec<String>>; 2], [OnceLock<TermIds>; 2]);

/// A value's term ids in the vocabulary of this serial number (`None`: a term is not in it).
type TermIds = (u64, Option<Box<[u32]>>);

impl PartialEq for AnalyzedTerms {
    fn eq(&self, _: &Self) -> bool {
        true
    }
}

impl fmt::Debug for AnalyzedTerms {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("_")
    }
}

/// A piece of a wildcard value.
#[derive(Clone, Debug, PartialEq)]
pub enum Piece {
    Text(String),
    /// `*`: any run of characters.
    Any,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RangeOp {
    Lt,
    Lte,
    Gt,
    Gte,
}

/// Where an analyzer's terms are kept in `AnalyzedTerms`.
fn slot(analyzer: Analyzer) -> usize {
    match analyzer {
        Analyzer::Pattern => 0,
        Analyzer::Standard => 1,
    }
}

impl Literal {
    /// An unquoted, wildcard-free value.
    pub fn plain(text: &str) -> Self {
        Literal::new(text.to_owned(), false, None)
    }

    /// A quoted value (a phrase).
    pub fn quoted(text: &str) -> Self {
        Literal::new(text.to_owned(), true, None)
    }

    /// A value as the lexer reads it.
    pub fn new(text: String, quoted: bool, wildcard: Option<Vec<Piece>>) -> Self {
        Literal {
            text,
            quoted,
            wildcard,
            analyzed: AnalyzedTerms::default(),
        }
    }

    /// `text` under `analyzer` (the terms a text field's match looks for).
    pub fn terms(&self, analyzer: Analyzer) -> &[String] {
        self.analyzed.0[slot(analyzer)].get_or_init(|| analyzer.terms(&self.text))
    }

    /// The ids of [`Literal::terms`] in `vocabulary`, `None` when one of them is not in it:
    /// kept for the first vocabulary asked about, looked up again for any other.
    pub fn term_ids(
        &self,
        vocabulary: &super::Vocabulary,
        analyzer: Analyzer,
    ) -> Option<std::borrow::Cow<'_, [u32]>> {
        let lookup = || vocabulary.ids_of(self.terms(analyzer));
        let (serial, ids) = self.analyzed.1[slot(analyzer)]
            .get_or_init(|| (vocabulary.serial(), lookup().map(Vec::into_boxed_slice)));
        if *serial == vocabulary.serial() {
            ids.as_deref().map(std::borrow::Cow::Borrowed)
        } else {
            lookup().map(std::borrow::Cow::Owned)
        }
    }

    /// True for the value `*` alone (`field:*` means "the field exists").
    pub fn is_match_all(&self) -> bool {
        matches!(self.wildcard.as_deref(), Some([Piece::Any]))
    }

    /// Glob match of a wildcard value against `s` (case-sensitive; callers lowercase if needed).
    pub fn wildcard_matches(pieces: &[Piece], s: &str) -> bool {
        glob(pieces, s)
    }
}

/// Wildcard matching in linear time: the text between stars is found left to right (the
/// leftmost occurrence is always safe with `*` only), the first and last pieces are anchored.
/// A naive backtracking match is exponential on patterns like `*a*a*a*b` — a hang an attacker
/// could trigger with a rule file.
fn glob(pieces: &[Piece], s: &str) -> bool {
    // Runs of text between stars (adjacent text pieces join; borrowed unless they must).
    let mut texts: Vec<std::borrow::Cow<str>> = Vec::new();
    let mut last_was_text = false;
    for p in pieces {
        match p {
            Piece::Text(t) if last_was_text => {
                if let Some(l) = texts.last_mut() {
                    l.to_mut().push_str(t);
                }
            }
            Piece::Text(t) => {
                texts.push(std::borrow::Cow::Borrowed(t));
                last_was_text = true;
            }
            Piece::Any => last_was_text = false,
        }
    }
    let has_any = pieces.iter().any(|p| matches!(p, Piece::Any));
    if !has_any {
        return texts.concat() == s;
    }
    let anchored_start = matches!(pieces.first(), Some(Piece::Text(_)));
    let anchored_end = matches!(pieces.last(), Some(Piece::Text(_)));
    let mut rest = s;
    let mut first = 0;
    if anchored_start {
        let Some(r) = rest.strip_prefix(texts[0].as_ref()) else {
            return false;
        };
        rest = r;
        first = 1;
    }
    let middle_end = if anchored_end {
        texts.len() - 1
    } else {
        texts.len()
    };
    for t in texts.get(first..middle_end).unwrap_or(&[]) {
        // memchr's substring search: far faster than `str::find` on long texts.
        match memchr::memmem::find(rest.as_bytes(), t.as_bytes()) {
            Some(at) => rest = &rest[at + t.len()..],
            None => return false,
        }
    }
    if anchored_end && middle_end >= first {
        return rest.ends_with(texts[texts.len() - 1].as_ref());
    }
    true
}

impl From<RangeOp> for crate::ecs::numeric::Cmp {
    fn from(op: RangeOp) -> Self {
        use crate::ecs::numeric::Cmp;
        match op {
            RangeOp::Lt => Cmp::Lt,
            RangeOp::Lte => Cmp::Lte,
            RangeOp::Gt => Cmp::Gt,
            RangeOp::Gte => Cmp::Gte,
        }
    }
}

impl RangeOp {
    pub fn symbol(self) -> &'static str {
        match self {
            RangeOp::Lt => "<",
            RangeOp::Lte => "<=",
            RangeOp::Gt => ">",
            RangeOp::Gte => ">=",
        }
    }
}

impl fmt::Display for Literal {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.quoted {
            f.write_str("\"")?;
            for c in self.text.chars() {
                match c {
                    '\\' => f.write_str("\\\\")?,
                    '"' => f.write_str("\\\"")?,
                    '\t' => f.write_str("\\t")?,
                    '\r' => f.write_str("\\r")?,
                    '\n' => f.write_str("\\n")?,
                    c => write!(f, "{c}")?,
                }
            }
            return f.write_str("\"");
        }
        match &self.wildcard {
            Some(pieces) => {
                for p in pieces {
                    match p {
                        Piece::Any => f.write_str("*")?,
                        Piece::Text(t) => write_unquoted(f, t)?,
                    }
                }
                Ok(())
            }
            None => write_unquoted(f, &self.text),
        }
    }
}

/// Escapes an unquoted value so it lexes back to the same text.
fn write_unquoted(f: &mut fmt::Formatter<'_>, text: &str) -> fmt::Result {
    let lower = text.to_ascii_lowercase();
    for (i, c) in text.char_indices() {
        let word_start = i == 0 || text[..i].ends_with(char::is_whitespace);
        let rest = &lower[i..];
        // Kibana's grammar stops an unquoted value before `or`/`and` that follow a space, and
        // before `not` followed by a space *anywhere* (even inside a word: "cannot x"). What
        // follows the value in the printed query may be a space, so the end counts too.
        let ends_word = |k: &str| {
            rest.starts_with(k)
                && (rest.len() == k.len()
                    || rest[k.len()..].starts_with(|c: char| c.is_whitespace()))
        };
        let keyword = (word_start && (ends_word("or") || ends_word("and"))) || ends_word("not");
        match c {
            '\\' | '(' | ')' | ':' | '<' | '>' | '"' | '*' | '{' | '}' => write!(f, "\\{c}")?,
            '\t' => f.write_str("\\t")?,
            '\r' => f.write_str("\\r")?,
            '\n' => f.write_str("\\n")?,
            // `\not` would read as a newline escape followed by "ot" (Kibana's grammar tries
            // escaped whitespace first), so the n of "not" is written as a unicode escape.
            c if keyword && (c == 'n' || c == 'N') => write!(f, "\\u{:04x}", c as u32)?,
            c if keyword => write!(f, "\\{c}")?,
            c => write!(f, "{c}")?,
        }
    }
    Ok(())
}

impl fmt::Display for Expr {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Expr::All => Ok(()),
            Expr::Or(items) => join(f, items, " or ", 0),
            Expr::And(items) => join(f, items, " and ", 1),
            Expr::Not(inner) => {
                f.write_str("not ")?;
                wrap(f, inner, 2)
            }
            Expr::Match {
                field: Some(field),
                value,
            } => write!(f, "{}:{value}", FieldName(field)),
            Expr::Match { field: None, value } => write!(f, "{value}"),
            Expr::Range { field, op, value } => {
                write!(f, "{} {} {value}", FieldName(field), op.symbol())
            }
        }
    }
}

struct FieldName<'a>(&'a str);

impl fmt::Display for FieldName<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // An unquoted field is trimmed when read back: an empty name or one with surrounding
        // spaces only survives quoted.
        if self.0.is_empty() || self.0.trim() != self.0 {
            return write!(f, "{}", Literal::quoted(self.0));
        }
        write_unquoted(f, self.0)
    }
}

fn precedence(e: &Expr) -> u8 {
    match e {
        Expr::Or(_) => 0,
        Expr::And(_) => 1,
        Expr::Not(_) => 2,
        _ => 3,
    }
}

fn wrap(f: &mut fmt::Formatter<'_>, e: &Expr, min: u8) -> fmt::Result {
    if precedence(e) <= min {
        write!(f, "({e})")
    } else {
        write!(f, "{e}")
    }
}

fn join(f: &mut fmt::Formatter<'_>, items: &[Expr], sep: &str, level: u8) -> fmt::Result {
    for (i, item) in items.iter().enumerate() {
        if i > 0 {
            f.write_str(sep)?;
        }
        wrap(f, item, level)?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn term_ids_are_kept_for_one_vocabulary_and_never_taken_for_another() {
        use crate::rule::kql::Vocabulary;
        let value = Literal::quoted("Reflection.Emit");
        let mut first = Vocabulary::default();
        first.insert("x");
        first.insert("reflection");
        first.insert("emit");
        let ids = |v: &Vocabulary| value.term_ids(v, Analyzer::Pattern).map(|c| c.into_owned());
        assert_eq!(ids(&first), Some(vec![1, 2]));
        // Another vocabulary, the same terms at other places: its own ids.
        let mut second = Vocabulary::default();
        second.insert("emit");
        second.insert("reflection");
        assert_eq!(ids(&second), Some(vec![1, 0]));
        // The first one grown: looked up again, not taken from what was kept.
        let mut grown = first.clone();
        assert_eq!(ids(&grown), Some(vec![1, 2]));
        grown.insert("opcodes");
        assert_ne!(grown.serial(), first.serial());
        assert_eq!(ids(&grown), Some(vec![1, 2]));
        assert_eq!(ids(&Vocabulary::default()), None);
        assert_eq!(ids(&first), Some(vec![1, 2]));
    }

    #[test]
    fn glob_matches_like_a_wildcard_query() {
        let p = vec![Piece::Text("Virtual".into()), Piece::Any];
        assert!(glob(&p, "VirtualAlloc"));
        assert!(glob(&p, "Virtual"));
        assert!(!glob(&p, "virtualAlloc"));
        let p = vec![
            Piece::Any,
            Piece::Text("Thread".into()),
            Piece::Any,
            Piece::Text("x".into()),
        ];
        assert!(glob(&p, "CreateThreadEx"));
        assert!(!glob(&p, "CreateThreadE"));
        let one = vec![
            Piece::Text("ab".into()),
            Piece::Any,
            Piece::Text("ba".into()),
        ];
        assert!(
            glob(&one, "abba") && glob(&one, "ab-ba") && !glob(&one, "aba"),
            "anchors never overlap"
        );
        assert!(glob(&[Piece::Any], "") && glob(&[Piece::Any, Piece::Any], "x"));
        assert!(glob(&[Piece::Text("x".into())], "x") && !glob(&[Piece::Text("x".into())], "xy"));
    }

    #[test]
    fn many_stars_against_a_long_text_take_no_time() {
        // Exponential for a backtracking matcher; linear here.
        let mut p = Vec::new();
        for _ in 0..30 {
            p.push(Piece::Any);
            p.push(Piece::Text("a".into()));
        }
        p.push(Piece::Any);
        p.push(Piece::Text("b".into()));
        // A backtracking matcher would not finish this; the test finishing is the check.
        assert!(!glob(&p, &"a".repeat(100_000)));
    }
}
