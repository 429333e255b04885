//! Recursive-descent parser for the ES|QL subset, with ES|QL's precedence: `or` < `and` <
//! `not` < comparisons, `like`, `in`, `is null`, `:` < `+ -` < `* / %` < unary `-` < `::`.
//! Keywords are case-insensitive. A command or function outside the subset is an error
//! naming it (`esql: 'dissect' not supported`), so the rule is skipped, never half-run.

use super::ast::*;
use super::java_regex::JavaRegex;
use super::lexer::{lex, Tok, Token};

/// Parses a whole query.
pub fn parse(src: &str) -> Result<Query, String> {
    let tokens = lex(src).map_err(|e| format!("esql: {e}"))?;
    // Commands are split at top-level pipes (strings are single tokens, so a `|` inside one
    // is no pipe).
    let mut commands: Vec<&[Token]> = Vec::new();
    let mut begin = 0;
    for (n, t) in tokens.iter().enumerate() {
        if t.tok == Tok::Pipe {
            commands.push(&tokens[begin..n]);
            begin = n + 1;
        }
    }
    commands.push(&tokens[begin..]);
    let mut commands = commands.into_iter();
    let first = commands.next().unwrap_or(&[]);
    let (from, metadata) = source(src, first)?;
    let steps = commands
        .map(|c| step(src, c))
        .collect::<Result<Vec<_>, _>>()?;
    let grouped = steps
        .iter()
        .filter(|s| matches!(s.kind, StepKind::Stats { .. }))
        .count();
    if grouped > 1 {
        return Err("esql: a second 'stats' not supported".into());
    }
    Ok(Query {
        from,
        metadata,
        steps,
    })
}

fn keyword(t: Option<&Token>, word: &str) -> bool {
    matches!(t, Some(Token { tok: Tok::Ident(s), .. }) if s.eq_ignore_ascii_case(word))
}

/// The text of `tokens` as written, white space and comments collapsed.
fn text_of(src: &str, tokens: &[Token]) -> String {
    let mut out = String::new();
    let mut last_end = None;
    for t in tokens {
        if let Some(e) = last_end {
            if t.start > e {
                out.push(' ');
            }
        }
        out.push_str(&src[t.start..t.end]);
        last_end = Some(t.end);
    }
    out
}

/// `from a, b* metadata _id, _version`.
fn source(src: &str, tokens: &[Token]) -> Result<(Vec<String>, Vec<String>), String> {
    if !keyword(tokens.first(), "from") {
        let what = tokens
            .first()
            .map(|t| src[t.start..t.end].to_lowercase())
            .unwrap_or_default();
        return Err(format!(
            "esql: a query must start with 'from' ('{what}' not supported as a source)"
        ));
    }
    let rest = &tokens[1..];
    let at = rest
        .iter()
        .position(|t| keyword(Some(t), "metadata"))
        .unwrap_or(rest.len());
    let split = |part: &[Token]| -> Vec<String> {
        text_of(src, part)
            .split(',')
            .map(|s| s.replace(' ', ""))
            .filter(|s| !s.is_empty())
            .collect()
    };
    let from = split(&rest[..at]);
    if from.is_empty() {
        return Err("esql: 'from' names no index".into());
    }
    let metadata = if at < rest.len() {
        split(&rest[at + 1..])
    } else {
        Vec::new()
    };
    Ok((from, metadata))
}

fn step(src: &str, tokens: &[Token]) -> Result<Step, String> {
    let Some(Token {
        tok: Tok::Ident(name),
        ..
    }) = tokens.first()
    else {
        return Err("esql: an empty command between pipes".into());
    };
    let text = text_of(src, tokens);
    let rest = &tokens[1..];
    let kind = match name.to_ascii_lowercase().as_str() {
        "where" => StepKind::Where(Parser::new(src, rest).whole()?),
        "eval" => StepKind::Eval(Parser::new(src, rest).assignments()?),
        "keep" => StepKind::Keep(patterns(src, rest)?),
        "drop" => StepKind::Drop(patterns(src, rest)?),
        "limit" => match rest {
            [Token {
                tok: Tok::Int(n), ..
            }] if *n >= 0 => StepKind::Limit(*n as u64),
            _ => return Err("esql: limit takes one whole number".into()),
        },
        "sort" => {
            // Checked for shape only: a row is one document, order is moot.
            if rest.is_empty() {
                return Err("esql: sort names no column".into());
            }
            StepKind::Sort
        }
        "grok" => match rest {
            [Token {
                tok: Tok::Ident(field),
                ..
            }, Token {
                tok: Tok::Str(pattern),
                ..
            }] => StepKind::Grok {
                field: field.clone(),
                grok: Box::new(super::grok::Grok::new(pattern).map_err(|e| format!("esql: {e}"))?),
            },
            _ => return Err("esql: grok takes a column and an expression string".into()),
        },
        "stats" => stats(src, rest)?,
        other => return Err(format!("esql: '{other}' not supported")),
    };
    Ok(Step { text, kind })
}

/// `stats a = count_distinct(x), values(y) by g, h`.
fn stats(src: &str, tokens: &[Token]) -> Result<StepKind, String> {
    let at = tokens
        .iter()
        .position(|t| keyword(Some(t), "by"))
        .unwrap_or(tokens.len());
    let by = if at < tokens.len() {
        patterns(src, &tokens[at + 1..])?
    } else {
        Vec::new()
    };
    if by.iter().any(|b| b.contains('*')) {
        return Err("esql: stats by a pattern not supported".into());
    }
    let mut p = Parser::new(src, &tokens[..at]);
    let mut aggregates = Vec::new();
    while p.at < p.toks.len() {
        let start = p.at;
        let name = match (p.peek(), p.toks.get(p.at + 1).map(|t| &t.tok)) {
            (Some(Tok::Ident(n)), Some(Tok::Assign)) => {
                p.at += 2;
                Some(n.clone())
            }
            _ => None,
        };
        let Some(Tok::Ident(func)) = p.peek() else {
            return Err(p.unexpected("an aggregate function"));
        };
        p.at += 1;
        let func = match func.to_ascii_lowercase().as_str() {
            "count" => AggFunc::Count,
            "count_distinct" => AggFunc::CountDistinct,
            "values" => AggFunc::Values,
            "min" => AggFunc::Min,
            "max" => AggFunc::Max,
            other => return Err(format!("esql: the aggregate '{other}' not supported")),
        };
        p.expect(&Tok::LParen, "'(' after the aggregate")?;
        let arg = if func == AggFunc::Count && p.eat(&Tok::Star) {
            None
        } else {
            Some(p.or()?)
        };
        p.expect(&Tok::RParen, "')'")?;
        let name = name.unwrap_or_else(|| text_of(src, &p.toks[start..p.at]));
        aggregates.push((name, Aggregate { func, arg }));
        if !p.eat(&Tok::Comma) && p.at < p.toks.len() {
            return Err(p.unexpected("',' or 'by'"));
        }
    }
    if aggregates.is_empty() {
        return Err("esql: stats without an aggregate not supported".into());
    }
    Ok(StepKind::Stats { aggregates, by })
}

/// Column patterns of `keep` and `drop`.
fn patterns(src: &str, tokens: &[Token]) -> Result<Vec<String>, String> {
    let out: Vec<String> = text_of(src, tokens)
        .split(',')
        .map(|s| s.replace(' ', ""))
        .filter(|s| !s.is_empty())
        .collect();
    if out.is_empty() {
        return Err("esql: keep/drop names no column".into());
    }
    Ok(out)
}

struct Parser<'a> {
    src: &'a str,
    toks: &'a [Token],
    at: usize,
}

impl<'a> Parser<'a> {
    fn new(src: &'a str, toks: &'a [Token]) -> Self {
        Parser { src, toks, at: 0 }
    }

    fn peek(&self) -> Option<&'a Tok> {
        self.toks.get(self.at).map(|t| &t.tok)
    }

    fn is_kw(&self, word: &str) -> bool {
        keyword(self.toks.get(self.at), word)
    }

    fn eat_kw(&mut self, word: &str) -> bool {
        let yes = self.is_kw(word);
        if yes {
            self.at += 1;
        }
        yes
    }

    fn eat(&mut self, tok: &Tok) -> bool {
        let yes = self.peek() == Some(tok);
        if yes {
            self.at += 1;
        }
        yes
    }

    fn expect(&mut self, tok: &Tok, what: &str) -> Result<(), String> {
        if self.eat(tok) {
            Ok(())
        } else {
            Err(self.unexpected(what))
        }
    }

    fn unexpected(&self, wanted: &str) -> String {
        match self.toks.get(self.at) {
            Some(t) => format!(
                "esql: expected {wanted}, found '{}'",
                &self.src[t.start..t.end]
            ),
            None => format!("esql: expected {wanted}, found the end of the command"),
        }
    }

    /// An expression that must use every token.
    fn whole(mut self) -> Result<Expr, String> {
        let e = self.or()?;
        if self.at < self.toks.len() {
            return Err(self.unexpected("the end of the expression"));
        }
        Ok(e)
    }

    /// `a = expr, b = expr, expr` (a bare expression is named after its text).
    fn assignments(mut self) -> Result<Vec<(String, Expr)>, String> {
        let mut out = Vec::new();
        loop {
            let start = self.at;
            let name = match (self.peek(), self.toks.get(self.at + 1).map(|t| &t.tok)) {
                (Some(Tok::Ident(n)), Some(Tok::Assign)) => {
                    self.at += 2;
                    Some(n.clone())
                }
                _ => None,
            };
            let e = self.or()?;
            let name = name.unwrap_or_else(|| text_of(self.src, &self.toks[start..self.at]));
            out.push((name, e));
            if !self.eat(&Tok::Comma) {
                break;
            }
        }
        if self.at < self.toks.len() {
            return Err(self.unexpected("',' or the end of eval"));
        }
        Ok(out)
    }

    fn or(&mut self) -> Result<Expr, String> {
        let mut left = self.and()?;
        while self.eat_kw("or") {
            left = Expr::Or(Box::new(left), Box::new(self.and()?));
        }
        Ok(left)
    }

    fn and(&mut self) -> Result<Expr, String> {
        let mut left = self.not()?;
        while self.eat_kw("and") {
            left = Expr::And(Box::new(left), Box::new(self.not()?));
        }
        Ok(left)
    }

    fn not(&mut self) -> Result<Expr, String> {
        if self.eat_kw("not") {
            return Ok(Expr::Not(Box::new(self.not()?)));
        }
        self.predicate()
    }

    fn predicate(&mut self) -> Result<Expr, String> {
        let left = self.additive()?;
        if let Some(Tok::Cmp(op)) = self.peek() {
            self.at += 1;
            let op = match *op {
                "==" => CmpOp::Eq,
                "!=" => CmpOp::Ne,
                "<" => CmpOp::Lt,
                "<=" => CmpOp::Le,
                ">" => CmpOp::Gt,
                _ => CmpOp::Ge,
            };
            return Ok(Expr::Cmp(op, Box::new(left), Box::new(self.additive()?)));
        }
        if self.eat(&Tok::Colon) {
            let Expr::Field(field) = left else {
                return Err("esql: the left of ':' must be a field".into());
            };
            let Some(Tok::Str(query)) = self.peek() else {
                return Err(self.unexpected("a string after ':'"));
            };
            self.at += 1;
            let leaf = crate::rule::kql::Expr::Match {
                field: Some(field.clone()),
                value: crate::rule::kql::Literal::plain(query),
            };
            return Ok(Expr::Match(Box::new(TextMatch {
                field,
                plan: crate::rule::kql::Plan::new(&leaf),
                leaf,
                prefilter: match_prefilter(query),
            })));
        }
        if self.eat_kw("is") {
            let negated = self.eat_kw("not");
            if !self.eat_kw("null") {
                return Err(self.unexpected("null"));
            }
            return Ok(Expr::IsNull(Box::new(left), !negated));
        }
        let negated = self.is_kw("not")
            && (keyword(self.toks.get(self.at + 1), "like")
                || keyword(self.toks.get(self.at + 1), "rlike")
                || keyword(self.toks.get(self.at + 1), "in"));
        if negated {
            self.at += 1;
        }
        if self.eat_kw("like") {
            let patterns = self
                .strings()?
                .iter()
                .map(|p| crate::rule::dsl::Wildcard::new(p, false))
                .collect();
            return Ok(Expr::Like {
                value: Box::new(left),
                patterns,
                negated,
            });
        }
        if self.eat_kw("rlike") {
            let patterns = self
                .strings()?
                .iter()
                .map(|p| {
                    super::lucene_regexp::LuceneRegexp::new(p).map_err(|e| format!("esql: {e}"))
                })
                .collect::<Result<_, _>>()?;
            return Ok(Expr::RLike {
                value: Box::new(left),
                patterns,
                negated,
            });
        }
        if self.eat_kw("in") {
            self.expect(&Tok::LParen, "'(' after in")?;
            let mut list = vec![self.or()?];
            while self.eat(&Tok::Comma) {
                list.push(self.or()?);
            }
            self.expect(&Tok::RParen, "')'")?;
            return Ok(Expr::In {
                value: Box::new(left),
                list,
                negated,
            });
        }
        Ok(left)
    }

    /// `"p"` or `("p", "q", …)`.
    fn strings(&mut self) -> Result<Vec<String>, String> {
        let one = |p: &mut Self| -> Result<String, String> {
            match p.peek() {
                Some(Tok::Str(s)) => {
                    p.at += 1;
                    Ok(s.clone())
                }
                _ => Err(p.unexpected("a pattern string")),
            }
        };
        if self.eat(&Tok::LParen) {
            let mut out = vec![one(self)?];
            while self.eat(&Tok::Comma) {
                out.push(one(self)?);
            }
            self.expect(&Tok::RParen, "')'")?;
            Ok(out)
        } else {
            Ok(vec![one(self)?])
        }
    }

    fn additive(&mut self) -> Result<Expr, String> {
        self.arithmetic(
            Self::multiplicative,
            &[(Tok::Plus, ArithOp::Add), (Tok::Minus, ArithOp::Sub)],
        )
    }

    fn multiplicative(&mut self) -> Result<Expr, String> {
        self.arithmetic(
            Self::unary,
            &[
                (Tok::Star, ArithOp::Mul),
                (Tok::Slash, ArithOp::Div),
                (Tok::Percent, ArithOp::Rem),
            ],
        )
    }

    /// One precedence level of left-associative operators over `operand`.
    fn arithmetic(
        &mut self,
        operand: fn(&mut Self) -> Result<Expr, String>,
        ops: &[(Tok, ArithOp)],
    ) -> Result<Expr, String> {
        let mut left = operand(self)?;
        while let Some(&(_, op)) = ops.iter().find(|(t, _)| self.peek() == Some(t)) {
            self.at += 1;
            left = Expr::Arith(op, Box::new(left), Box::new(operand(self)?));
        }
        Ok(left)
    }

    fn unary(&mut self) -> Result<Expr, String> {
        if self.eat(&Tok::Minus) {
            return Ok(match self.unary()? {
                Expr::Long(n) => Expr::Long(-n),
                Expr::Double(d) => Expr::Double(-d),
                e => Expr::Neg(Box::new(e)),
            });
        }
        if self.eat(&Tok::Plus) {
            return self.unary();
        }
        let mut e = self.primary()?;
        while self.eat(&Tok::Cast) {
            let Some(Tok::Ident(t)) = self.peek() else {
                return Err(self.unexpected("a type after '::'"));
            };
            self.at += 1;
            e = Expr::Cast(Box::new(e), type_named(t)?);
        }
        Ok(e)
    }

    fn primary(&mut self) -> Result<Expr, String> {
        let Some(tok) = self.peek() else {
            return Err(self.unexpected("a value"));
        };
        self.at += 1;
        Ok(match tok {
            Tok::Int(n) => Expr::Long(*n),
            Tok::Double(d) => Expr::Double(*d),
            Tok::Str(s) => Expr::Str(s.clone()),
            Tok::LParen => {
                let e = self.or()?;
                self.expect(&Tok::RParen, "')'")?;
                e
            }
            Tok::Ident(name) if self.peek() == Some(&Tok::LParen) => {
                self.at += 1;
                let mut args = Vec::new();
                if !self.eat(&Tok::RParen) {
                    args.push(self.or()?);
                    while self.eat(&Tok::Comma) {
                        args.push(self.or()?);
                    }
                    self.expect(&Tok::RParen, "')'")?;
                }
                call(name, args)?
            }
            Tok::Ident(name) if name.eq_ignore_ascii_case("null") => Expr::Null,
            Tok::Ident(name) if name.eq_ignore_ascii_case("true") => Expr::Bool(true),
            Tok::Ident(name) if name.eq_ignore_ascii_case("false") => Expr::Bool(false),
            Tok::Ident(name) => Expr::Field(name.clone()),
            _ => {
                self.at -= 1;
                return Err(self.unexpected("a value"));
            }
        })
    }
}

/// A case-insensitive search for the tokens of a `:` query under either analyzer. An ASCII
/// case-insensitive literal alternation: the regex crate finds it with its SIMD literal
/// searchers, several times faster than a case-folding automaton on script-sized texts.
fn match_prefilter(query: &str) -> Option<regex::bytes::Regex> {
    use crate::analysis::Analyzer;
    let mut tokens = Vec::new();
    for a in [Analyzer::Pattern, Analyzer::Standard] {
        a.for_each_token(query, |t, _, _| tokens.push(regex::escape(t)));
    }
    if tokens.is_empty() || !tokens.iter().all(|t| t.is_ascii()) {
        return None;
    }
    regex::bytes::Regex::new(&format!("(?i-u:{})", tokens.join("|"))).ok()
}

fn type_named(t: &str) -> Result<Type, String> {
    Ok(match t.to_ascii_lowercase().as_str() {
        "double" => Type::Double,
        "long" | "integer" | "int" => Type::Long,
        "keyword" | "string" | "text" => Type::Keyword,
        "boolean" | "bool" => Type::Boolean,
        other => return Err(format!("esql: the type '{other}' not supported")),
    })
}

fn call(name: &str, args: Vec<Expr>) -> Result<Expr, String> {
    let lower = name.to_ascii_lowercase();
    let arity = |n: usize| -> Result<(), String> {
        if args.len() == n {
            Ok(())
        } else {
            Err(format!(
                "esql: {lower} takes {n} argument(s), not {}",
                args.len()
            ))
        }
    };
    let cast = |t: Type, args: Vec<Expr>| -> Result<Expr, String> {
        let mut args = args.into_iter();
        match (args.next(), args.next()) {
            (Some(a), None) => Ok(Expr::Cast(Box::new(a), t)),
            _ => Err(format!("esql: {lower} takes 1 argument")),
        }
    };
    Ok(match lower.as_str() {
        "replace" => {
            arity(3)?;
            let Expr::Str(pattern) = &args[1] else {
                return Err("esql: replace with a computed pattern not supported".into());
            };
            let regex = JavaRegex::new(pattern).map_err(|e| format!("esql: {e}"))?;
            Expr::Call(Func::Replace(Box::new(regex)), args)
        }
        "length" => {
            arity(1)?;
            Expr::Call(Func::Length, args)
        }
        "to_lower" => {
            arity(1)?;
            Expr::Call(Func::ToLower, args)
        }
        "to_upper" => {
            arity(1)?;
            Expr::Call(Func::ToUpper, args)
        }
        "mv_min" => {
            arity(1)?;
            Expr::Call(Func::MvMin, args)
        }
        "mv_max" => {
            arity(1)?;
            Expr::Call(Func::MvMax, args)
        }
        "coalesce" if !args.is_empty() => Expr::Call(Func::Coalesce, args),
        "to_double" | "to_dbl" => cast(Type::Double, args)?,
        "to_long" | "to_integer" | "to_int" => cast(Type::Long, args)?,
        "to_string" | "to_str" => cast(Type::Keyword, args)?,
        "to_boolean" | "to_bool" => cast(Type::Boolean, args)?,
        other => return Err(format!("esql: the function '{other}' not supported")),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn not_binds_looser_than_like_and_comparisons() {
        let q = parse(
            "from logs-x* metadata _id, _version\n| where not a like \"x*\" or b is null\n| where c not like (\"p\", \"q\") and not d == \"e\"",
        )
        .unwrap();
        assert_eq!(q.from, ["logs-x*"]);
        assert_eq!(q.metadata, ["_id", "_version"]);
        match &q.steps[0].kind {
            StepKind::Where(Expr::Or(l, r)) => {
                assert!(matches!(&**l, Expr::Not(inner) if matches!(&**inner, Expr::Like { .. })));
                assert!(matches!(&**r, Expr::IsNull(_, true)));
            }
            other => panic!("{other:?}"),
        }
        match &q.steps[1].kind {
            StepKind::Where(Expr::And(l, r)) => {
                assert!(
                    matches!(&**l, Expr::Like { negated: true, patterns, .. } if patterns.len() == 2)
                );
                assert!(
                    matches!(&**r, Expr::Not(inner) if matches!(&**inner, Expr::Cmp(CmpOp::Eq, ..)))
                );
            }
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn commands_outside_the_subset_are_named() {
        for (q, said) in [
            (
                "from a | dissect message \"%{x}\"",
                "esql: 'dissect' not supported",
            ),
            (
                "from a | grok message \"%{IP:ip}\"",
                "esql: grok: the pattern %{IP} not supported",
            ),
            (
                "from a | stats p = percentile(x, 50) by y",
                "the aggregate 'percentile' not supported",
            ),
            (
                "from a | stats c = count(*) by x | stats d = count(*)",
                "a second 'stats'",
            ),
            (
                "from a | where x rlike \"a&b\"",
                "esql: rlike: the intersection operator '&' not supported",
            ),
            (
                "from a | eval y = date_parse(x)",
                "'date_parse' not supported",
            ),
            ("row a = 1", "must start with 'from'"),
            (
                "from a | where replace(x, y, \"\") == \"\"",
                "computed pattern",
            ),
        ] {
            let e = parse(q).unwrap_err();
            assert!(e.contains(said), "{q}: {e}");
        }
    }

    #[test]
    fn arithmetic_and_casts_keep_their_precedence() {
        let q = parse("from a | eval r = a::double / b::double + 1 * -2").unwrap();
        let StepKind::Eval(v) = &q.steps[0].kind else {
            panic!()
        };
        assert_eq!(v[0].0, "r");
        assert!(matches!(&v[0].1, Expr::Arith(ArithOp::Add, l, r)
            if matches!(&**l, Expr::Arith(ArithOp::Div, ..))
            && matches!(&**r, Expr::Arith(ArithOp::Mul, _, m) if matches!(&**m, Expr::Long(-2)))));
    }

    #[test]
    fn stats_names_its_aggregates_and_groups() {
        let q = parse(
            "from .alerts-security.* metadata _id | grok message \"ID: (?<Esql.id>.+)\" | stats n = count_distinct(kibana.alert.rule.name), values(_id), count(*) by Esql.id, host.id",
        )
        .unwrap();
        assert!(q.reads_alerts() && q.aggregates() && !q.per_event());
        let StepKind::Stats { aggregates, by } = &q.steps[1].kind else {
            panic!("{:?}", q.steps[1].kind)
        };
        let names: Vec<&str> = aggregates.iter().map(|(n, _)| n.as_str()).collect();
        assert_eq!(names, ["n", "values(_id)", "count(*)"]);
        assert_eq!(aggregates[0].1.func, AggFunc::CountDistinct);
        assert!(aggregates[2].1.arg.is_none());
        assert_eq!(by, &["Esql.id", "host.id"]);
    }
}
