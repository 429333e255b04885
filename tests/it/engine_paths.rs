//! The evaluator defines the language; tantivy only accelerates it. Over every fixture and a
//! set of queries, the indexed path (compiled query → candidates → evaluator) must give exactly
//! the documents the evaluator alone accepts, and a query the compiler calls exact must return
//! exactly those documents before any confirmation.

use pstriage::analysis::Analyzer;
use pstriage::ecs::Fields;
use pstriage::rule::kql::{evaluate, parse};
use pstriage::session::{self, LoadOptions};
use std::collections::BTreeSet;
use std::path::PathBuf;
use std::sync::atomic::AtomicBool;

const QUERIES: &[&str] = &[
    // An `Or` of text clauses on one field around clauses of other kinds (the shape of Elastic's
    // rules): a set answers the text clauses together, whatever their place among the others.
    "powershell.file.script_block_text:(VirtualAlloc or (OpenProcess and WriteProcessMemory) or \"Reflection.Emit\" or CreateRemoteThread or Virtual*)",
    "user.id:S-1-5-18 or powershell.file.script_block_text:VirtualAlloc or host.name:ws-042 or powershell.file.script_block_text:(\"Runtime.InteropServices\" or IEX)",
    "powershell.file.script_block_text:(VirtualAlloc and CreateThread)",
    "powershell.file.script_block_text:\"Reflection.Emit.OpCodes\"",
    "powershell.file.script_block_text:\"Reflection.Emit\" and not user.id:\"S-1-5-18\"",
    "not powershell.file.script_block_text:\"Reflection.Emit\"",
    "powershell.file.script_block_text:TVqQAAMAAAAEAAAATVqQAAMAAAAEAAAATVqQAAMAAAAEAAAATVqQAAMAAAAEAAAATVqQ",
    "not powershell.file.script_block_text:tvqqaamaaaaeaaaatvqqaamaaaaeaaaatvqqaamaaaaeaaaatvqqaamaaaaeaaaatvqqaamaaaaeaaaa",
    "powershell.file.script_block_text:Virtual*",
    "not powershell.file.script_block_text:Virtual*",
    "host.name:a or host.name:e",
    "not host.name:(a or b)",
    "file.path:*",
    "not file.path:*",
    "message:virtualalloc",
    "VirtualAlloc",
    "@timestamp >= \"2024-05-21\" and @timestamp < \"2024-05-22\"",
    "powershell.sequence > 1",
    "user.id:S-1-5-18 and not user.id:S-1-5-21-9",
];

fn check(analyzer: Analyzer) {
    let tmp = tempfile::tempdir().unwrap();
    let (ds, events) = crate::support::fixture_dataset(analyzer, &tmp.path().join("idx"));
    assert!(events.len() > 290);

    let mut queries: Vec<String> = QUERIES.iter().map(|q| q.to_string()).collect();
    queries.extend(
        pstriage::rule::bundled()
            .into_iter()
            .map(|r| r.meta.query.unwrap_or_default()),
    );
    // Every query's plan in one set, as the rules are run: each plan's terms get ids in a
    // vocabulary shared with the others, looked up once.
    let plans: Vec<pstriage::rule::kql::Plan> = queries
        .iter()
        .map(|q| pstriage::rule::kql::Plan::new(&parse(q).unwrap()))
        .collect();
    let set = pstriage::rule::kql::PlanSet::new(&plans);
    for (k, q) in queries.iter().enumerate() {
        let expr = parse(q).unwrap();
        let by_evaluator: BTreeSet<_> = events
            .iter()
            .filter(|(_, e)| evaluate(&expr, &Fields::of_lenient(&e.doc), analyzer).held)
            .map(|(a, _)| *a)
            .collect();
        // The prepared fast path answers exactly like the evaluator.
        // With the plan's own vocabulary, and with one that lacks its terms (a caller's
        // mistake the plan must survive by asking the evaluator).
        let plan = pstriage::rule::kql::Plan::new(&expr);
        let empty = pstriage::rule::kql::Vocabulary::default();
        for (vocabulary, which) in [(plan.vocabulary(), "own"), (&empty, "empty")] {
            let by_plan: BTreeSet<_> = events
                .iter()
                .filter(|(_, e)| {
                    let f = Fields::of_lenient(&e.doc);
                    pstriage::rule::kql::matches(
                        &plan,
                        &mut pstriage::rule::kql::DocTokens::new(&f, analyzer, vocabulary),
                    )
                })
                .map(|(a, _)| *a)
                .collect();
            assert_eq!(
                by_plan, by_evaluator,
                "{analyzer}: plan ({which} vocabulary) differs from the evaluator on {q}"
            );
        }
        // What an alert keeps, found without the tree, is what the tree says: the verdict, the
        // positive hits, and the positive values of every field the query names. Found on a
        // document as the rule set's plans tokenized it (the tokens are reused), and on one
        // not tokenized yet.
        for ((_, e), reuse) in events.iter().flat_map(|e| [(e, true), (e, false)]) {
            let f = Fields::of_lenient(&e.doc);
            let tree = evaluate(&expr, &f, analyzer);
            let mut doc = pstriage::rule::kql::DocTokens::new(&f, analyzer, set.vocabulary());
            if reuse {
                set.matches(k, &plans[k], &mut doc);
            }
            let lean = pstriage::rule::kql::positive(&expr, &doc, analyzer);
            assert_eq!(lean.is_some(), tree.held, "{analyzer}: verdict of {q}");
            let Some(lean) = lean else { continue };
            let tree_hits: Vec<_> = tree.positive_hits().into_iter().cloned().collect();
            assert_eq!(lean.hits, tree_hits, "{analyzer}: hits of {q}");
            for field in [
                "powershell.file.script_block_text",
                "host.name",
                "user.id",
                "@timestamp",
            ] {
                let lean_terms: Vec<&str> = lean
                    .terms
                    .iter()
                    .filter(|(f, _)| *f == Some(field))
                    .map(|(_, t)| *t)
                    .collect();
                assert_eq!(
                    lean_terms,
                    tree.positive_terms(field),
                    "{analyzer}: terms on {field} of {q}"
                );
            }
        }
        let by_set: BTreeSet<_> = events
            .iter()
            .filter(|(_, e)| {
                let f = Fields::of_lenient(&e.doc);
                let mut doc = pstriage::rule::kql::DocTokens::new(&f, analyzer, set.vocabulary());
                set.matches(k, &plans[k], &mut doc)
            })
            .map(|(a, _)| *a)
            .collect();
        assert_eq!(
            by_set, by_evaluator,
            "{analyzer}: plan in a set differs from the evaluator on {q}"
        );
        let compiled = ds.candidates(&expr).unwrap();
        let candidates: BTreeSet<_> = compiled.events.iter().copied().collect();
        assert!(
            by_evaluator.is_subset(&candidates),
            "{analyzer}: candidates miss matches of {q}"
        );
        if compiled.exact {
            assert_eq!(
                candidates, by_evaluator,
                "{analyzer}: exact query differs from the evaluator: {q}"
            );
        }
        let confirmed: BTreeSet<_> = candidates
            .iter()
            .filter(|a| {
                let e = events
                    .iter()
                    .find(|(x, _)| x == *a)
                    .map(|(_, e)| e)
                    .unwrap();
                evaluate(&expr, &Fields::of_lenient(&e.doc), analyzer).held
            })
            .copied()
            .collect();
        assert_eq!(confirmed, by_evaluator, "{analyzer}: {q}");
    }
}

#[test]
fn indexed_path_equals_evaluator_pattern() {
    check(Analyzer::Pattern);
}

#[test]
fn indexed_path_equals_evaluator_standard() {
    check(Analyzer::Standard);
}

#[test]
fn the_seed_rule_compiles_to_an_exact_query() {
    let tmp = tempfile::tempdir().unwrap();
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    let opts = LoadOptions {
        paths: vec![root.join("sample-data")],
        index_dir: Some(tmp.path().join("i")),
        ..LoadOptions::default()
    };
    let ds = session::open_dataset(&opts, &mut |_| {}, &AtomicBool::new(false)).unwrap();
    let rules = pstriage::rule::bundled();
    assert!(ds.candidates(&rules[0].expr).unwrap().exact);
}
