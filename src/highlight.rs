//! Script highlighting: syntect with our PowerShell grammar (in `assets/`) gives each byte a
//! syntax class, and rule-term marks from the evaluator are laid on top. Output is plain data
//! (byte ranges with a class), so this module stays pure and knows nothing of the terminal.

use std::sync::OnceLock;
use syntect::parsing::{
    ParseState, ScopeStack, SyntaxDefinition, SyntaxReference, SyntaxSet, SyntaxSetBuilder,
};

const GRAMMAR: &str = include_str!("../assets/syntaxes/PowerShell.sublime-syntax");

/// What a piece of script is, for colouring.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Class {
    Plain,
    Comment,
    String,
    Variable,
    Type,
    Keyword,
    Operator,
    Number,
    Cmdlet,
}

/// A run of one line with one class: byte range relative to the whole text.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Span {
    pub start: usize,
    pub end: usize,
    pub class: Class,
}

fn syntax_set() -> Option<&'static (SyntaxSet, usize)> {
    static SET: OnceLock<Option<(SyntaxSet, usize)>> = OnceLock::new();
    SET.get_or_init(|| {
        let def = SyntaxDefinition::load_from_str(GRAMMAR, true, None).ok()?;
        let mut b = SyntaxSetBuilder::new();
        b.add(def);
        let set = b.build();
        let idx = set.syntaxes().iter().position(|s| s.name == "PowerShell")?;
        Some((set, idx))
    })
    .as_ref()
}

fn class_of(stack: &ScopeStack) -> Class {
    let prefixes: [(&str, Class); 8] = [
        ("comment", Class::Comment),
        ("string", Class::String),
        ("variable", Class::Variable),
        ("storage.type", Class::Type),
        ("keyword.control", Class::Keyword),
        ("keyword.operator", Class::Operator),
        ("constant.numeric", Class::Number),
        ("support.function", Class::Cmdlet),
    ];
    for scope in stack.as_slice().iter().rev() {
        let name = scope.build_string();
        if let Some((_, c)) = prefixes.iter().find(|(p, _)| name.starts_with(p)) {
            return *c;
        }
    }
    Class::Plain
}

/// Syntax classes for every line of `text` (spans never cross a newline). A text the grammar
/// cannot parse (or an over-long one) comes back as plain text.
pub fn highlight(text: &str) -> Vec<Span> {
    let Some((set, idx)) = syntax_set() else {
        return plain(text);
    };
    let syntax: &SyntaxReference = &set.syntaxes()[*idx];
    let mut state = ParseState::new(syntax);
    let mut stack = ScopeStack::new();
    let mut spans = Vec::new();
    let mut line_start = 0;
    for line in text.split_inclusive('\n') {
        // Very long lines (encoded blobs) are not worth parsing: plain, and fast.
        let ops = if line.len() > 20_000 {
            None
        } else {
            state.parse_line(line, set).ok()
        };
        let Some(ops) = ops else {
            spans.push(Span {
                start: line_start,
                end: line_start + line.len(),
                class: Class::Plain,
            });
            line_start += line.len();
            continue;
        };
        let mut pos = 0;
        for (at, op) in ops {
            if at > pos {
                push(
                    &mut spans,
                    line_start + pos,
                    line_start + at,
                    class_of(&stack),
                );
                pos = at;
            }
            let _ = stack.apply(&op);
        }
        if pos < line.len() {
            push(
                &mut spans,
                line_start + pos,
                line_start + line.len(),
                class_of(&stack),
            );
        }
        line_start += line.len();
    }
    spans
}

fn push(spans: &mut Vec<Span>, start: usize, end: usize, class: Class) {
    if let Some(last) = spans.last_mut() {
        if last.class == class && last.end == start {
            last.end = end;
            return;
        }
    }
    spans.push(Span { start, end, class });
}

fn plain(text: &str) -> Vec<Span> {
    vec![Span {
        start: 0,
        end: text.len(),
        class: Class::Plain,
    }]
}

/// The scope name syntect uses for a class (for tests and the legend).
pub fn scope_name(class: Class) -> &'static str {
    match class {
        Class::Plain => "plain",
        Class::Comment => "comment",
        Class::String => "string",
        Class::Variable => "variable",
        Class::Type => "type",
        Class::Keyword => "keyword",
        Class::Operator => "operator",
        Class::Number => "number",
        Class::Cmdlet => "cmdlet",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn class_at(text: &str, needle: &str) -> Class {
        let at = text.find(needle).expect("needle");
        highlight(text)
            .iter()
            .find(|s| s.start <= at && at < s.end)
            .map(|s| s.class)
            .unwrap_or(Class::Plain)
    }

    #[test]
    fn the_grammar_loads() {
        assert!(
            syntax_set().is_some(),
            "assets/syntaxes/PowerShell.sublime-syntax must compile"
        );
    }

    #[test]
    fn classes_of_the_main_constructs() {
        let t = "<# block\ncomment #>\n# line\n$x = [System.Runtime.InteropServices.Marshal]::Copy(0x1F, 42)\nif ($a -eq 'b') { Get-Process \"v $x $(Get-Date)\" }\n$h = @\"\nhere $y\n\"@\n";
        assert_eq!(class_at(t, "block"), Class::Comment);
        assert_eq!(class_at(t, "# line"), Class::Comment);
        assert_eq!(class_at(t, "$x ="), Class::Variable);
        assert_eq!(class_at(t, "System.Runtime"), Class::Type);
        assert_eq!(class_at(t, "0x1F"), Class::Number);
        assert_eq!(class_at(t, "42"), Class::Number);
        assert_eq!(class_at(t, "if "), Class::Keyword);
        assert_eq!(class_at(t, "-eq"), Class::Operator);
        assert_eq!(class_at(t, "'b'"), Class::String);
        assert_eq!(class_at(t, "Get-Process"), Class::Cmdlet);
        assert_eq!(class_at(t, "\"v "), Class::String);
        assert_eq!(
            class_at(t, "Get-Date"),
            Class::Cmdlet,
            "subexpressions are code"
        );
        assert_eq!(class_at(t, "here"), Class::String);
    }

    #[test]
    fn spans_cover_the_text_in_order() {
        let t = "Get-Item x\n\n$y";
        let spans = highlight(t);
        assert_eq!(spans.first().map(|s| s.start), Some(0));
        assert_eq!(spans.last().map(|s| s.end), Some(t.len()));
        for w in spans.windows(2) {
            assert_eq!(w[0].end, w[1].start);
        }
    }
}
