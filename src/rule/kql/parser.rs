//! Recursive descent over the lexer's tokens, precedence `or` < `and` < `not` < parentheses.
//! Errors name the line and column (`query:3:17: expected ')'`); no input makes it panic.

use super::ast::{Expr, Literal, RangeOp};
use super::lexer::{Lexer, Spanned, Tok};
use crate::i18n::{t, tf};
use std::fmt;

/// A syntax error with its 1-based line and column (in characters).
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub struct KqlError {
    pub line: usize,
    pub column: usize,
    pub message: String,
}

impl fmt::Display for KqlError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "query:{}:{}: {}", self.line, self.column, self.message)
    }
}

impl KqlError {
    pub(super) fn at(src: &str, byte: usize, message: impl Into<String>) -> Self {
        let byte = byte.min(src.len());
        let before = src.get(..byte).unwrap_or(src);
        let line = before.matches('\n').count() + 1;
        let line_start = before.rfind('\n').map_or(0, |i| i + 1);
        let column = before[line_start..].chars().count() + 1;
        KqlError {
            line,
            column,
            message: message.into(),
        }
    }
}

/// Deep nesting is refused rather than overflowing the stack.
const MAX_DEPTH: usize = 200;

/// Parses a KQL query.
pub fn parse(src: &str) -> Result<Expr, KqlError> {
    let tokens = Lexer::new(src).tokenize()?;
    let mut p = Parser {
        src,
        tokens,
        pos: 0,
        depth: 0,
    };
    if p.peek() == &Tok::Eof {
        return Ok(Expr::All);
    }
    let expr = p.or_query()?;
    match p.peek() {
        Tok::Eof => Ok(expr),
        other => Err(p.error(tf("kql.expected_end", &[("found", &describe(other))]))),
    }
}

struct Parser<'a> {
    src: &'a str,
    tokens: Vec<Spanned>,
    pos: usize,
    depth: usize,
}

fn describe(tok: &Tok) -> String {
    match tok {
        Tok::LParen => "'('".into(),
        Tok::RParen => "')'".into(),
        Tok::LBrace => "'{'".into(),
        Tok::RBrace => "'}'".into(),
        Tok::Colon => "':'".into(),
        Tok::Lt | Tok::Lte | Tok::Gt | Tok::Gte => t("kql.range_operator").into(),
        Tok::Or => "'or'".into(),
        Tok::And => "'and'".into(),
        Tok::Not => "'not'".into(),
        Tok::Value(v) => tf("kql.value", &[("text", &v.text)]),
        Tok::Eof => t("kql.end").into(),
    }
}

/// A value list before it is given its field: `(a or (b and not c))`.
enum List {
    Or(Vec<List>),
    And(Vec<List>),
    Not(Box<List>),
    Value(Literal),
}

impl List {
    fn with_field(self, field: &str) -> Expr {
        match self {
            List::Or(items) => Expr::Or(items.into_iter().map(|i| i.with_field(field)).collect()),
            List::And(items) => Expr::And(items.into_iter().map(|i| i.with_field(field)).collect()),
            List::Not(inner) => Expr::Not(Box::new(inner.with_field(field))),
            List::Value(value) => Expr::Match {
                field: Some(field.to_owned()),
                value,
            },
        }
    }
}

impl Parser<'_> {
    fn peek(&self) -> &Tok {
        &self.tokens[self.pos.min(self.tokens.len() - 1)].tok
    }

    fn peek_at(&self, n: usize) -> &Tok {
        &self.tokens[(self.pos + n).min(self.tokens.len() - 1)].tok
    }

    fn advance(&mut self) -> Tok {
        let t = self.peek().clone();
        if self.pos < self.tokens.len() - 1 {
            self.pos += 1;
        }
        t
    }

    fn error(&self, msg: impl Into<String>) -> KqlError {
        let at = self.tokens[self.pos.min(self.tokens.len() - 1)].at;
        KqlError::at(self.src, at, msg)
    }

    fn enter(&mut self) -> Result<(), KqlError> {
        self.depth += 1;
        if self.depth > MAX_DEPTH {
            return Err(self.error(tf("kql.too_deep", &[("max", &MAX_DEPTH)])));
        }
        Ok(())
    }

    fn expect(&mut self, want: Tok, what: &str) -> Result<(), KqlError> {
        if *self.peek() == want {
            self.advance();
            Ok(())
        } else {
            Err(self.error(tf(
                "kql.expected",
                &[("what", &what), ("found", &describe(self.peek()))],
            )))
        }
    }

    fn or_query(&mut self) -> Result<Expr, KqlError> {
        self.enter()?;
        let mut items = vec![self.and_query()?];
        while *self.peek() == Tok::Or {
            self.advance();
            items.push(self.and_query()?);
        }
        self.depth -= 1;
        Ok(if items.len() == 1 {
            items.remove(0)
        } else {
            Expr::Or(items)
        })
    }

    fn and_query(&mut self) -> Result<Expr, KqlError> {
        let mut items = vec![self.not_query()?];
        while *self.peek() == Tok::And {
            self.advance();
            items.push(self.not_query()?);
        }
        Ok(if items.len() == 1 {
            items.remove(0)
        } else {
            Expr::And(items)
        })
    }

    fn not_query(&mut self) -> Result<Expr, KqlError> {
        if *self.peek() == Tok::Not {
            self.advance();
            return Ok(Expr::Not(Box::new(self.sub_query()?)));
        }
        self.sub_query()
    }

    fn sub_query(&mut self) -> Result<Expr, KqlError> {
        if *self.peek() == Tok::LParen {
            self.advance();
            let inner = self.or_query()?;
            self.expect(Tok::RParen, "')'")?;
            return Ok(inner);
        }
        self.expression()
    }

    fn expression(&mut self) -> Result<Expr, KqlError> {
        let Tok::Value(first) = self.peek().clone() else {
            return Err(self.error(tf(
                "kql.expected_expression",
                &[("found", &describe(self.peek()))],
            )));
        };
        let op = match self.peek_at(1) {
            Tok::Lt => Some(RangeOp::Lt),
            Tok::Lte => Some(RangeOp::Lte),
            Tok::Gt => Some(RangeOp::Gt),
            Tok::Gte => Some(RangeOp::Gte),
            _ => None,
        };
        if let Some(op) = op {
            self.advance();
            self.advance();
            let Tok::Value(value) = self.advance() else {
                self.pos -= 1;
                return Err(self.error(t("kql.range_value")));
            };
            return Ok(Expr::Range {
                field: first.text,
                op,
                value,
            });
        }
        if *self.peek_at(1) == Tok::Colon {
            self.advance();
            self.advance();
            if *self.peek() == Tok::LBrace {
                return Err(self.error(t("kql.nested")));
            }
            let list = self.list_of_values()?;
            return Ok(list.with_field(&first.text));
        }
        self.advance();
        Ok(Expr::Match {
            field: None,
            value: first,
        })
    }

    fn list_of_values(&mut self) -> Result<List, KqlError> {
        match self.advance() {
            Tok::LParen => {
                self.enter()?;
                let list = self.or_list()?;
                self.expect(Tok::RParen, "')'")?;
                self.depth -= 1;
                Ok(list)
            }
            Tok::Value(v) => Ok(List::Value(v)),
            other => {
                self.pos -= 1;
                Err(self.error(tf(
                    "kql.expected_value_list",
                    &[("found", &describe(&other))],
                )))
            }
        }
    }

    fn or_list(&mut self) -> Result<List, KqlError> {
        let mut items = vec![self.and_list()?];
        while *self.peek() == Tok::Or {
            self.advance();
            items.push(self.and_list()?);
        }
        Ok(if items.len() == 1 {
            items.remove(0)
        } else {
            List::Or(items)
        })
    }

    fn and_list(&mut self) -> Result<List, KqlError> {
        let mut items = vec![self.not_list()?];
        while *self.peek() == Tok::And {
            self.advance();
            items.push(self.not_list()?);
        }
        Ok(if items.len() == 1 {
            items.remove(0)
        } else {
            List::And(items)
        })
    }

    fn not_list(&mut self) -> Result<List, KqlError> {
        if *self.peek() == Tok::Not {
            self.advance();
            return Ok(List::Not(Box::new(self.list_of_values()?)));
        }
        self.list_of_values()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rule::kql::Piece;

    fn m(field: &str, text: &str) -> Expr {
        Expr::Match {
            field: Some(field.into()),
            value: Literal::plain(text),
        }
    }

    #[test]
    fn precedence_or_and_not() {
        let e = parse("a:1 or b:2 and not c:3").unwrap();
        assert_eq!(
            e,
            Expr::Or(vec![
                m("a", "1"),
                Expr::And(vec![m("b", "2"), Expr::Not(Box::new(m("c", "3")))])
            ])
        );
        let e = parse("A:1 AND b:2 Or c:3").unwrap();
        assert_eq!(
            e,
            Expr::Or(vec![Expr::And(vec![m("A", "1"), m("b", "2")]), m("c", "3")])
        );
    }

    #[test]
    fn value_lists_distribute_over_the_field() {
        let e = parse("f:(a or (b and not c))").unwrap();
        assert_eq!(
            e,
            Expr::Or(vec![
                m("f", "a"),
                Expr::And(vec![m("f", "b"), Expr::Not(Box::new(m("f", "c")))])
            ])
        );
    }

    #[test]
    fn unquoted_values_keep_inner_spaces_and_stop_at_keywords() {
        assert_eq!(
            parse("message: hello world ").unwrap(),
            m("message", "hello world")
        );
        assert_eq!(parse("f:notepad").unwrap(), m("f", "notepad"));
        assert_eq!(
            parse("f:orange or g:android").unwrap(),
            Expr::Or(vec![m("f", "orange"), m("g", "android")])
        );
        // 'and' needs a space after it to be a keyword.
        assert_eq!(parse("f:rock and").unwrap(), m("f", "rock and"));
    }

    #[test]
    fn quoted_escapes() {
        let e = parse(r#"f:"C:\\Dir \"x\" \t\u0041 \q""#).unwrap();
        let Expr::Match { value, .. } = e else {
            panic!()
        };
        assert_eq!(value.text, "C:\\Dir \"x\" \tA \\q");
        assert!(value.quoted);
    }

    #[test]
    fn unquoted_escapes_and_wildcards() {
        let e = parse(r"f:a\:b\*c\(d\) and g:\or").unwrap();
        assert_eq!(e, Expr::And(vec![m("f", "a:b*c(d)"), m("g", "or")]));
        let e = parse("f:Virt*l").unwrap();
        let Expr::Match { value, .. } = e else {
            panic!()
        };
        assert_eq!(
            value.wildcard,
            Some(vec![
                Piece::Text("Virt".into()),
                Piece::Any,
                Piece::Text("l".into())
            ])
        );
        assert!(parse("f:*")
            .map(|e| matches!(e, Expr::Match { value, .. } if value.is_match_all()))
            .unwrap());
        assert!(parse(r"f:a\b").is_err());
    }

    #[test]
    fn ranges() {
        let e = parse("powershell.sequence >= 2 and @timestamp < \"2024-01-01\"").unwrap();
        let Expr::And(items) = e else { panic!() };
        assert!(matches!(
            &items[0],
            Expr::Range {
                op: RangeOp::Gte,
                ..
            }
        ));
        assert!(matches!(&items[1], Expr::Range { op: RangeOp::Lt, value, .. } if value.quoted));
    }

    #[test]
    fn errors_point_at_line_and_column() {
        let err = parse("a:1 and\n  (b:2 or c:3").unwrap_err();
        assert_eq!((err.line, err.column), (2, 14), "{err}");
        assert!(
            err.to_string().starts_with("query:2:14: expected ')'"),
            "{err}"
        );
        let err = parse("a:\"open").unwrap_err();
        assert_eq!((err.line, err.column), (1, 3));
        assert!(parse("a:1 b:2").is_err());
        assert!(parse("(((").is_err());
        assert!(parse(")").is_err());
        assert!(parse("a:").is_err());
        assert_eq!(parse("   ").unwrap(), Expr::All);
    }

    #[test]
    fn deep_nesting_is_an_error_not_a_crash() {
        let q = format!("{}a:1{}", "(".repeat(10_000), ")".repeat(10_000));
        assert!(parse(&q).is_err());
    }

    #[test]
    fn display_round_trips() {
        for q in [
            "a:1 or b:2 and not c:3",
            "(a:1 or b:2) and not (c:3 and d:4)",
            r#"f:"x \"y\" \\z" and g:Virt*l* and h:a\:b"#,
            "not (not a:1)",
            "x >= 3",
            r"f:\or thing",
            r"f:\u006eot and g:a \and",
        ] {
            let e = parse(q).unwrap();
            let printed = e.to_string();
            assert_eq!(parse(&printed).unwrap(), e, "{q} -> {printed}");
        }
    }
}
