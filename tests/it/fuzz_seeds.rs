//! The fuzz targets' properties (`pstriage::fuzz_checks`) over the committed seed corpora and
//! every crash the fuzzers found (`tests/fuzz/regressions/<target>/`), so CI keeps them fixed.
//! Fuzzing itself runs outside CI: see tests/fuzz/README.md.

use std::path::Path;

fn run(target: &str, check: fn(&[u8])) {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fuzz");
    let mut n = 0;
    for dir in ["corpus", "regressions"] {
        let Ok(entries) = std::fs::read_dir(root.join(dir).join(target)) else {
            continue;
        };
        for e in entries.flatten() {
            let data = std::fs::read(e.path()).unwrap();
            check(&data);
            n += 1;
        }
    }
    assert!(n > 0, "no seeds for {target}");
}

#[test]
fn kql_seeds() {
    run("kql", pstriage::fuzz_checks::kql);
}

#[test]
fn records_seeds() {
    run("records", pstriage::fuzz_checks::records);
}

#[test]
fn ecs_mapping_seeds() {
    run("ecs_mapping", pstriage::fuzz_checks::ecs_mapping);
}

#[test]
fn analyzers_seeds() {
    run("analyzers", pstriage::fuzz_checks::analyzers);
}

#[test]
fn rule_toml_seeds() {
    run("rule_toml", pstriage::fuzz_checks::rule_toml);
}
