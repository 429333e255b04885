//! Tokenizers for `powershell.file.script_block_text`, exactly as Elasticsearch analyzes it.
//!
//! The index and the rule evaluator both call this module, so what tantivy finds and what the
//! evaluator confirms can never disagree. Pure: no I/O, no allocation beyond the tokens asked for.
//! Golden fixtures in `tests/data/analysis/` hold what Lucene itself produces for both analyzers.

mod pattern;
mod standard;

use std::fmt;
use std::str::FromStr;

/// Lucene's longest term, in UTF-8 bytes: Elasticsearch rejects a whole document whose
/// analyzed text holds a longer token (an "immense term").
pub const MAX_TERM_BYTES: usize = 32_766;

/// Which analyzer the `script_block_text` mapping uses.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Default)]
pub enum Analyzer {
    /// `[\W&&[^-]]+` pattern + lowercase: today's Elastic Windows integration mapping.
    #[default]
    Pattern,
    /// Elasticsearch's `standard` analyzer (UAX#29 words): Winlogbeat 7.x indices.
    Standard,
}

/// One token: lowercased text and the byte range it came from in the analyzed string.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Token {
    pub text: String,
    pub start: usize,
    pub end: usize,
    /// Position in the token stream (0-based); phrases need adjacent positions.
    pub position: u32,
}

impl Analyzer {
    /// Stable lower-case name, used on the command line, in the index manifest and in output.
    pub fn name(self) -> &'static str {
        match self {
            Analyzer::Pattern => "pattern",
            Analyzer::Standard => "standard",
        }
    }

    /// Calls `emit(text, start, end)` for every token in order, reusing one buffer for the text.
    /// This is the allocation-free form the indexer uses.
    pub fn for_each_token(self, text: &str, emit: impl FnMut(&str, usize, usize)) {
        match self {
            Analyzer::Pattern => pattern::for_each_token(text, emit),
            Analyzer::Standard => standard::for_each_token(text, emit),
        }
    }

    /// Calls `emit(raw, start, end)` for every token of the pattern analyzer, where `raw` is
    /// the token as written (not yet lowercased; ASCII, so lowercasing keeps its length).
    /// `None` for the standard analyzer, whose lowercasing can change a token's length.
    pub fn for_each_raw_ascii_token(
        self,
        text: &str,
        mut emit: impl FnMut(&str, usize, usize),
    ) -> Option<()> {
        match self {
            Analyzer::Pattern => {
                pattern::for_each_span(text, |start, end| emit(&text[start..end], start, end));
                Some(())
            }
            Analyzer::Standard => None,
        }
    }

    /// The length in bytes of the first token of `text` over `MAX_TERM_BYTES`, if any. The
    /// standard tokenizer cuts tokens at 255 characters, so only the pattern analyzer can make
    /// one (a long base64 run, say).
    pub fn immense_token(self, text: &str) -> Option<usize> {
        if self == Analyzer::Standard || text.len() <= MAX_TERM_BYTES {
            return None;
        }
        let mut found = None;
        pattern::for_each_span(text, |start, end| {
            if found.is_none() && end - start > MAX_TERM_BYTES {
                found = Some(end - start);
            }
        });
        found
    }

    /// All tokens of `text`, with positions.
    pub fn tokens(self, text: &str) -> Vec<Token> {
        let mut out = Vec::new();
        self.for_each_token(text, |t, start, end| {
            let position = out.len() as u32;
            out.push(Token {
                text: t.to_owned(),
                start,
                end,
                position,
            });
        });
        out
    }

    /// Just the token texts (what a KQL value becomes when it is analyzed).
    pub fn terms(self, text: &str) -> Vec<String> {
        let mut out = Vec::new();
        self.for_each_token(text, |t, _, _| out.push(t.to_owned()));
        out
    }
}

impl fmt::Display for Analyzer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl FromStr for Analyzer {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.to_ascii_lowercase().as_str() {
            "pattern" => Ok(Analyzer::Pattern),
            "standard" => Ok(Analyzer::Standard),
            other => Err(format!(
                "unknown analyzer '{other}': use 'pattern' or 'standard'"
            )),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reference_table_of_the_semantics_doc() {
        // §3 of elastic-semantics.md: (text, pattern tokens, standard tokens).
        let cases: &[(&str, &[&str], &[&str])] = &[
            (
                "[Kernel32]::VirtualAlloc(",
                &["kernel32", "virtualalloc"],
                &["kernel32", "virtualalloc"],
            ),
            (
                "$k.VirtualAlloc(",
                &["k", "virtualalloc"],
                &["k.virtualalloc"],
            ),
            (
                "Invoke-VirtualAlloc",
                &["invoke-virtualalloc"],
                &["invoke", "virtualalloc"],
            ),
            (
                "Win32_VirtualAlloc",
                &["win32_virtualalloc"],
                &["win32_virtualalloc"],
            ),
            (
                "VirtualAlloc123",
                &["virtualalloc123"],
                &["virtualalloc123"],
            ),
            (
                "Virtual`Alloc",
                &["virtual", "alloc"],
                &["virtual", "alloc"],
            ),
        ];
        for (text, pat, std) in cases {
            assert_eq!(Analyzer::Pattern.terms(text), *pat, "pattern: {text}");
            assert_eq!(Analyzer::Standard.terms(text), *std, "standard: {text}");
        }
    }

    #[test]
    fn byte_ranges_point_at_the_original_text() {
        let text = "$x = [K32]::VirtualAlloc(0)";
        for analyzer in [Analyzer::Pattern, Analyzer::Standard] {
            for t in analyzer.tokens(text) {
                assert_eq!(text[t.start..t.end].to_lowercase(), t.text);
            }
        }
    }
}
