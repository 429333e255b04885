//! The properties the fuzz targets check (`tests/fuzz/`), as plain functions so `cargo test`
//! runs the same checks over the committed seed corpora and regressions. Each takes arbitrary
//! bytes and panics only when a property fails.

use crate::analysis::Analyzer;
use crate::ecs::Fields;
use crate::ingest::{read_stream, IngestReport};
use crate::rule::kql::{evaluate, parse, DocTokens};
use std::sync::atomic::AtomicBool;

/// KQL: no panic; a query that parses prints back to text that parses to the same tree; the
/// evaluator runs on it under both analyzers.
pub fn kql(data: &[u8]) {
    let Ok(query) = std::str::from_utf8(data) else {
        return;
    };
    let Ok(expr) = parse(query) else { return };
    let printed = expr.to_string();
    match parse(&printed) {
        Ok(again) => assert_eq!(again, expr, "round trip of {query:?} via {printed:?}"),
        Err(e) => panic!("printed KQL {printed:?} of {query:?} does not parse: {e}"),
    }
    let doc: serde_json::Map<String, serde_json::Value> = serde_json::from_str(
        r#"{"event":{"category":"process"},"host":{"os":{"type":"windows"},"name":"h"},"user":{"id":"S-1-5-18"},
            "@timestamp":"2024-05-21T10:00:00Z","powershell":{"sequence":2,"file":{"script_block_text":"[K]::VirtualAlloc($x.CreateThread)"}}}"#,
    )
    .unwrap_or_default();
    let fields = Fields::of_lenient(&doc);
    // The prepared plan, alone and in a set (where an `Or`'s text clauses are answered
    // together), says what the evaluator says.
    let plan = crate::rule::kql::Plan::new(&expr);
    let set = crate::rule::kql::PlanSet::new([&plan]);
    for analyzer in [Analyzer::Pattern, Analyzer::Standard] {
        let held = evaluate(&expr, &fields, analyzer).held;
        let mut own = DocTokens::new(&fields, analyzer, plan.vocabulary());
        assert_eq!(
            crate::rule::kql::matches(&plan, &mut own),
            held,
            "{query:?}"
        );
        let mut joint = DocTokens::new(&fields, analyzer, set.vocabulary());
        assert_eq!(
            set.matches(0, &plan, &mut joint),
            held,
            "{query:?} in a set"
        );
    }
}

/// The export reader: no panic, and every event it yields passes the field checks.
pub fn records(data: &[u8]) {
    let mut report = IngestReport::default();
    let mut n = 0u64;
    read_stream(
        "fuzz",
        Box::new(data),
        &mut report,
        &AtomicBool::new(false),
        &mut |ev| {
            assert!(
                crate::ecs::validate(&ev.doc).is_ok(),
                "an accepted record fails the field checks"
            );
            // The flattened view finds each of its own fields, in path order, and reading only
            // some paths gives what the whole walk gives for them.
            let all = Fields::of_lenient(&ev.doc);
            let paths: Vec<&str> = all.iter().map(|(p, _)| p).collect();
            assert!(paths.windows(2).all(|w| w[0] < w[1]), "paths out of order");
            let only = Fields::of_only(&ev.doc, &paths);
            for (path, values) in all.iter() {
                assert_eq!(all.get(path), values, "{path}");
                assert_eq!(only.get(path), values, "{path}");
            }
            n += 1;
        },
    );
    assert_eq!(n, report.loaded);
}

/// Raw Windows event → ECS: no panic on any JSON object.
pub fn ecs_mapping(data: &[u8]) {
    let Ok(serde_json::Value::Object(doc)) = serde_json::from_slice::<serde_json::Value>(data)
    else {
        return;
    };
    if let Some(mapped) = crate::ecs::winlog::to_ecs(&doc) {
        let _ = Fields::of(&mapped);
    }
}

/// Analyzers: tokens non-empty, in order, on character boundaries inside the text; the pattern
/// analyzer's are the maximal runs of its token bytes, lowercased.
pub fn analyzers(data: &[u8]) {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    for analyzer in [Analyzer::Pattern, Analyzer::Standard] {
        let mut last_end = 0;
        for t in analyzer.tokens(text) {
            assert!(!t.text.is_empty());
            assert!(t.start >= last_end && t.start < t.end && t.end <= text.len());
            assert!(text.is_char_boundary(t.start) && text.is_char_boundary(t.end));
            last_end = t.end;
        }
    }
    // The pattern analyzer by its definition: tokens are the maximal runs of ASCII
    // `[A-Za-z0-9_-]`, lowercased; every byte outside them separates.
    let token_byte = |b: &u8| b.is_ascii_alphanumeric() || matches!(b, b'_' | b'-');
    let bytes = text.as_bytes();
    let mut last_end = 0;
    for t in Analyzer::Pattern.tokens(text) {
        assert!(bytes[last_end..t.start].iter().all(|b| !token_byte(b)));
        assert!(bytes[t.start..t.end].iter().all(token_byte));
        assert_eq!(t.text, text[t.start..t.end].to_ascii_lowercase());
        last_end = t.end;
    }
    assert!(bytes[last_end..].iter().all(|b| !token_byte(b)));
}

/// The rule loader: a rule, a skip or an error, never a panic.
pub fn rule_toml(data: &[u8]) {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let _ = crate::rule::load(text, "fuzz.toml");
}

/// The de-obfuscator: no panic; every layer and stopped branch lies inside its parent's text (on
/// character boundaries) or bytes, parents come before children, and the limits hold.
pub fn decode(data: &[u8]) {
    use crate::decode::{Content, Limits};
    let Ok(script) = std::str::from_utf8(data) else {
        return;
    };
    // Small limits, so the fuzzer reaches them.
    let limits = Limits {
        max_depth: 5,
        max_layer_bytes: 1 << 16,
        max_ratio: 20,
        max_layers: 32,
        min_bare_base64: 16,
        max_total_bytes: 1 << 18,
    };
    let tree = crate::decode::decode(script, &limits);
    let parent_len = |parent: Option<usize>, i: usize| -> (usize, Option<&str>) {
        match parent {
            None => (script.len(), Some(script)),
            Some(p) => {
                assert!(p < i, "parent {p} of {i} does not come first");
                match &tree.layers[p].content {
                    Content::Text(t) => (t.len(), Some(t.as_str())),
                    Content::Binary(b) => (b.len(), None),
                }
            }
        }
    };
    let spans = tree
        .layers
        .iter()
        .enumerate()
        .map(|(i, l)| (i, l.parent, l.span.clone()))
        .chain(
            tree.stopped
                .iter()
                .map(|s| (tree.layers.len(), s.parent, s.span.clone())),
        );
    for (i, parent, span) in spans {
        let (len, text) = parent_len(parent, i);
        assert!(
            span.start <= span.end && span.end <= len,
            "span {span:?} of {len}"
        );
        if let Some(text) = text {
            assert!(text.is_char_boundary(span.start) && text.is_char_boundary(span.end));
        }
    }
    assert!(tree.layers.len() <= limits.max_layers);
    assert!(tree.stopped.len() <= limits.max_layers);
    let mut total = 0;
    for (i, l) in tree.layers.iter().enumerate() {
        assert!(l.content.len() <= limits.max_layer_bytes);
        assert!(tree.depth_of(i) <= limits.max_depth);
        total += l.content.len();
    }
    assert!(total <= limits.max_total_bytes);
}

/// The exception-list reader: no panic; every problem names a line of the input; what is read
/// writes back (Kibana's export shape) and reads again to the same lists and items; applying
/// every item to a document with the fields exceptions usually name runs to the end.
pub fn exceptions(data: &[u8]) {
    let text = String::from_utf8_lossy(data);
    let file = crate::exceptions::parse(&text, "fuzz.ndjson");
    let lines = text.split('\n').count();
    for p in &file.problems {
        assert!(p.line >= 1 && p.line <= lines, "{p}");
    }
    let again = crate::exceptions::parse(
        &crate::exceptions::export(&file.lists, &file.items),
        "again.ndjson",
    );
    assert!(again.problems.is_empty(), "{:?}", again.problems);
    assert_eq!(again.lists.len(), file.lists.len());
    assert_eq!(again.items.len(), file.items.len());
    for (a, b) in again.items.iter().zip(&file.items) {
        assert_eq!(a.entries, b.entries);
        assert_eq!(a.json, b.json);
    }
    let doc: serde_json::Map<String, serde_json::Value> = serde_json::from_str(
        r#"{"host":{"name":"SCCM01","os":{"type":"windows"}},"user":{"id":"S-1-5-18","name":"adm-jo"},
            "file":{"path":"C:\\Temp\\a.ps1"},"process":{"parent":[{"name":"svchost.exe","pid":4}]},
            "powershell":{"file":{"script_block_text":"Invoke-Mimikatz -DumpCreds; [K32]::VirtualAlloc(0)"}}}"#,
    )
    .unwrap_or_default();
    let fields = Fields::of_lenient(&doc);
    for item in &file.items {
        for analyzer in [Analyzer::Pattern, Analyzer::Standard] {
            let _ = crate::exceptions::item_holds(item, &doc, &fields, analyzer);
        }
    }
}

/// ES|QL: no panic; a query that parses runs on a document (its script text is the input
/// itself), with and without the why, to the same verdict and columns; a pattern (the first
/// line) that compiles as Java regex gives ordered matches on character boundaries in the rest,
/// and replaces them, within the backtracking bound.
pub fn esql(data: &[u8]) {
    use crate::rule::esql::{self, java_regex, java_regex::JavaRegex};
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let doc = serde_json::json!({
        "event": {"code": "4104"},
        "file": {"name": "a.ps1", "directory": ["C:\\x", "C:\\y"]},
        "powershell": {"file": {"script_block_text": text, "script_block_unique_symbols": 7}}
    });
    let fields = Fields::of_lenient(doc.as_object().expect("an object"));
    // A second row for the grouping path: an alert-shaped document.
    let alert = serde_json::json!({
        "_id": "a1", "kibana.alert.rule.name": "PowerShell X", "process": {"pid": [3, 1]},
        "message": format!("ScriptBlock ID: {text}\r\nPath: ")
    });
    let table = [
        Fields::of_lenient(doc.as_object().expect("an object")),
        Fields::of_lenient(alert.as_object().expect("an object")),
    ];
    if let Ok(q) = esql::parse(text) {
        for analyzer in [Analyzer::Pattern, Analyzer::Standard] {
            let quick = esql::run(&q, &fields, analyzer, false);
            let full = esql::run(&q, &fields, analyzer, true);
            assert_eq!(quick.held, full.held, "{text:?}");
            assert_eq!(quick.columns, full.columns, "{text:?}");
            // An alert's columns and terms, found without the why, are the detailed run's.
            let fire = esql::fire_in(&q, &fields, &esql::TextMemo::default(), analyzer, 8);
            assert_eq!(fire.is_some(), full.held, "{text:?}");
            if let Some(fire) = fire {
                assert_eq!(fire.columns, full.columns, "{text:?}");
                let mut marked: Vec<&str> = full
                    .explanation
                    .positive_terms("powershell.file.script_block_text");
                for h in full.explanation.positive_hits() {
                    if marked.len() < 8 && !marked.contains(&h.term.as_str()) {
                        marked.push(&h.term);
                    }
                }
                assert_eq!(fire.terms, marked, "{text:?}");
            }
            // What the pipeline keeps, its necessary condition lets through (the plan a
            // stream and an index prefilter with).
            if quick.held && q.per_event() {
                let plan = crate::rule::kql::Plan::new(&q.necessary());
                let mut tokens =
                    crate::rule::kql::DocTokens::new(&fields, analyzer, plan.vocabulary());
                assert!(crate::rule::kql::matches(&plan, &mut tokens), "{text:?}");
            }
            for group in esql::run_table(&q, &table, analyzer) {
                assert!(group.members.iter().all(|&m| m < table.len()), "{text:?}");
                assert!(q.aggregates() || group.members.len() == 1, "{text:?}");
            }
        }
    }
    let (pattern, subject) = text.split_once('\n').unwrap_or((text, text));
    if let Ok(re) = JavaRegex::new(pattern) {
        if let Ok(spans) = re.find_all(subject) {
            let mut last = 0;
            for (s, e) in spans {
                assert!(s >= last && e >= s, "{pattern:?}");
                assert!(subject.is_char_boundary(s) && subject.is_char_boundary(e));
                last = e;
            }
        }
        // The counting idiom's shortcut (a quick run's masked column) says what the built
        // replacement holds.
        let fire = '\u{1F525}';
        if let (Ok(spans), Ok(built)) = (re.find_all(subject), re.replace_all(subject, "\u{1F525}"))
        {
            assert_eq!(
                java_regex::splice(subject, &spans, fire),
                built,
                "{pattern:?}"
            );
            if let Ok(counts) =
                java_regex::span_mask_counts(subject, subject.chars().count(), &spans, fire)
            {
                assert_eq!(counts.chars, built.chars().count(), "{pattern:?}");
                let unmasked = built.chars().filter(|&c| c != fire).count();
                assert_eq!(counts.unmasked, unmasked, "{pattern:?}");
            }
        }
    }
}
