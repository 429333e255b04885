//! Property tests: the pattern analyzer against a naive reference on ASCII, KQL print → parse
//! round trips on random trees, and the evaluator against the tantivy path on random documents.

use proptest::prelude::*;
use pstriage::analysis::Analyzer;
use pstriage::ecs::Fields;
use pstriage::rule::kql::{evaluate, parse, Expr, Literal, Piece};
use pstriage::session::{self, LoadOptions};
use std::collections::BTreeSet;
use std::io::Write;
use std::sync::atomic::AtomicBool;

/// The pattern analyzer written the obvious way: split on anything that is not ASCII
/// alphanumeric, `_` or `-`, drop empties, lowercase.
fn naive_pattern(text: &str) -> Vec<String> {
    text.split(|c: char| !(c.is_ascii_alphanumeric() || c == '_' || c == '-'))
        .filter(|t| !t.is_empty())
        .map(|t| t.to_ascii_lowercase())
        .collect()
}

proptest! {
    #[test]
    fn pattern_analyzer_equals_the_naive_reference_on_ascii(text in "[ -~\t\n]{0,200}") {
        prop_assert_eq!(Analyzer::Pattern.terms(&text), naive_pattern(&text));
    }
}

const FIELDS: &[&str] = &[
    "powershell.file.script_block_text",
    "user.id",
    "host.name",
    "event.category",
    "file.directory",
];
const WORDS: &[&str] = &[
    "VirtualAlloc",
    "or",
    "and",
    "not",
    "Rnot",
    "cannot",
    "can not",
    "S-1-5-18",
    "C:\\dir\\x",
    "a b",
    "x:y",
    "(p)",
    "\"q\"",
    "*",
    "tab\there",
    "ünï",
];

fn literal() -> impl Strategy<Value = Literal> {
    (prop::sample::select(WORDS), any::<bool>(), any::<bool>()).prop_map(|(w, quoted, star)| {
        if quoted {
            Literal::quoted(w)
        } else if star && w.chars().all(|c| c.is_ascii_alphanumeric()) {
            Literal::new(
                format!("{w}*"),
                false,
                Some(vec![Piece::Text(w.to_owned()), Piece::Any]),
            )
        } else if w == "*" {
            Literal::new("*".into(), false, Some(vec![Piece::Any]))
        } else {
            Literal::plain(w)
        }
    })
}

fn expr() -> impl Strategy<Value = Expr> {
    let leaf = (prop::sample::select(FIELDS), literal()).prop_map(|(f, value)| Expr::Match {
        field: Some(f.to_owned()),
        value,
    });
    leaf.prop_recursive(4, 24, 4, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 2..4).prop_map(Expr::Or),
            prop::collection::vec(inner.clone(), 2..4).prop_map(Expr::And),
            inner.prop_map(|e| Expr::Not(Box::new(e))),
        ]
    })
}

/// Parsing flattens nothing, but a literal's text is what the lexer yields for it: trimmed.
fn normalized(e: Expr) -> Expr {
    match e {
        Expr::Or(v) => Expr::Or(v.into_iter().map(normalized).collect()),
        Expr::And(v) => Expr::And(v.into_iter().map(normalized).collect()),
        Expr::Not(i) => Expr::Not(Box::new(normalized(*i))),
        other => other,
    }
}

proptest! {
    #[test]
    fn kql_print_then_parse_is_the_identity(e in expr()) {
        let e = normalized(e);
        let printed = e.to_string();
        let parsed = parse(&printed);
        prop_assert!(parsed.is_ok(), "{} does not parse: {:?}", printed, parsed.err());
        prop_assert_eq!(parsed.unwrap(), e, "via {}", printed);
    }
}

const SCRIPT_WORDS: &[&str] = &[
    "VirtualAlloc",
    "CreateThread",
    "OpenProcess",
    "WriteProcessMemory",
    "LoadLibraryW",
    "Invoke-VirtualAlloc",
    "Virtual`Alloc",
    "[K32]::",
    "$k.",
    "(",
    ")",
    " ",
    "\n",
    "Reflection.Emit.OpCodes",
    "psenum",
    "New-InMemoryModule",
];

fn doc() -> impl Strategy<Value = serde_json::Value> {
    (
        prop::collection::vec(prop::sample::select(SCRIPT_WORDS), 0..12),
        prop::option::of(prop::sample::select(
            &["S-1-5-18", "S-1-5-19", "S-1-5-21-1"][..],
        )),
        any::<bool>(),
        prop::option::of(prop::sample::select(
            &[
                "C:\\ProgramData\\Microsoft\\Windows Defender Advanced Threat Protection\\SenseCM",
                "C:\\Temp",
            ][..],
        )),
        any::<bool>(),
    )
        .prop_map(|(words, user, windows, dir, array)| {
            let text = words.concat();
            let mut d =
                serde_json::json!({"event": {"category": "process"}, "host": {"name": "h"}});
            d["powershell"] = if array {
                serde_json::json!({"file": {"script_block_text": [text.clone(), "tail words"]}})
            } else {
                serde_json::json!({"file": {"script_block_text": text}})
            };
            if windows {
                d["host"]["os"] = serde_json::json!({"type": "windows"});
            }
            if let Some(u) = user {
                d["user"] = serde_json::json!({"id": u});
            }
            if let Some(dir) = dir {
                d["file"] = serde_json::json!({"directory": dir});
            }
            d
        })
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 6, ..ProptestConfig::default() })]
    #[test]
    fn evaluator_equals_the_tantivy_path_on_random_documents(docs in prop::collection::vec(doc(), 50..120), extra in expr()) {
        let tmp = tempfile::tempdir().unwrap();
        let path = tmp.path().join("random.ndjson");
        let mut f = std::fs::File::create(&path).unwrap();
        for d in &docs {
            writeln!(f, "{d}").unwrap();
        }
        drop(f);
        for analyzer in [Analyzer::Pattern, Analyzer::Standard] {
            let opts = LoadOptions { paths: vec![path.clone()], analyzer, index_dir: Some(tmp.path().join(analyzer.name())), ..LoadOptions::default() };
            let ds = session::open_dataset(&opts, &mut |_| {}, &AtomicBool::new(false)).unwrap();
            let events: Vec<_> = ds.all_events().unwrap().into_iter().map(|a| (a, ds.event(a).unwrap())).collect();
            let mut queries: Vec<Expr> = pstriage::rule::bundled().into_iter().map(|r| r.expr).collect();
            queries.push(normalized(extra.clone()));
            for q in &queries {
                let by_eval: BTreeSet<_> = events.iter().filter(|(_, e)| evaluate(q, &Fields::of_lenient(&e.doc), analyzer).held).map(|(a, _)| *a).collect();
                let plan = pstriage::rule::kql::Plan::new(q);
                let by_plan: BTreeSet<_> = events.iter().filter(|(_, e)| {
                    let f = Fields::of_lenient(&e.doc);
                    pstriage::rule::kql::matches(&plan, &mut pstriage::rule::kql::DocTokens::new(&f, analyzer, plan.vocabulary()))
                }).map(|(a, _)| *a).collect();
                prop_assert_eq!(&by_plan, &by_eval, "{}: plan differs: {}", analyzer, q);
                // In a set, where an `Or`'s text clauses on one field are answered together.
                let set = pstriage::rule::kql::PlanSet::new([&plan]);
                let by_set: BTreeSet<_> = events.iter().filter(|(_, e)| {
                    let f = Fields::of_lenient(&e.doc);
                    set.matches(0, &plan, &mut pstriage::rule::kql::DocTokens::new(&f, analyzer, set.vocabulary()))
                }).map(|(a, _)| *a).collect();
                prop_assert_eq!(&by_set, &by_eval, "{}: plan in a set differs: {}", analyzer, q);
                let compiled = ds.candidates(q).unwrap();
                let cands: BTreeSet<_> = compiled.events.iter().copied().collect();
                prop_assert!(by_eval.is_subset(&cands), "{}: candidates miss matches of {}", analyzer, q);
                if compiled.exact {
                    prop_assert_eq!(&cands, &by_eval, "{}: exact query differs: {}", analyzer, q);
                }
            }
        }
    }
}

/// Text mixing what a Chinese screen holds: Han characters and full-width punctuation, Latin
/// words, spaces, a combining accent, an emoji, box-drawing.
const MIXED: &str = "[\u{4e00}-\u{4e20}，。（）a-zA-Z0-9 `\u{301}😀│-]{0,80}";

fn non_space(s: &str) -> String {
    s.chars().filter(|c| *c != ' ').collect()
}

proptest! {
    /// Wrapped rows never pass the width (wide enough for the prefix and one double-width
    /// character), and nothing but spaces is lost or reordered.
    #[test]
    fn wrapping_fits_the_width_and_keeps_the_text(text in MIXED, width in 5usize..40) {
        use pstriage::tui::views::wrap::{text_width, wrap_lines, wrap_step};
        use ratatui::text::Line;
        let rows = wrap_step(" - ", &text, width);
        for r in &rows {
            prop_assert!(text_width(r) <= width, "{:?} wider than {}", r, width);
        }
        prop_assert_eq!(non_space(&rows.concat()).replacen('-', "", 1), non_space(&text));
        let lines = wrap_lines(vec![Line::raw(text.clone())], width as u16);
        let mut joined = String::new();
        for l in &lines {
            prop_assert!(l.width() <= width, "{:?} wider than {}", l, width);
            for s in &l.spans {
                joined.push_str(&s.content);
            }
        }
        prop_assert_eq!(non_space(&joined), non_space(&text));
    }
}
