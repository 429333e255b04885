//! The rules of the house, checked: only `tui` touches ratatui/crossterm; the pure modules
//! touch no files, threads, terminal or index.

use std::path::{Path, PathBuf};

fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    for e in std::fs::read_dir(dir).unwrap().flatten() {
        let p = e.path();
        if p.is_dir() {
            rust_files(&p, out);
        } else if p.extension().is_some_and(|x| x == "rs") {
            out.push(p);
        }
    }
}

fn code_of(path: &Path) -> String {
    // Ignore comments: a module header may name what it must not use.
    std::fs::read_to_string(path)
        .unwrap()
        .lines()
        .filter(|l| !l.trim_start().starts_with("//"))
        .collect::<Vec<_>>()
        .join("\n")
}

#[test]
fn only_the_tui_uses_the_terminal_libraries() {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut files = Vec::new();
    rust_files(&src, &mut files);
    for f in files {
        let rel = f.strip_prefix(&src).unwrap().to_string_lossy().into_owned();
        if rel == "tui.rs" || rel.starts_with("tui/") || rel == "main.rs" {
            continue;
        }
        let code = code_of(&f);
        for lib in ["ratatui", "crossterm"] {
            assert!(!code.contains(lib), "{rel} uses {lib}: only src/tui may");
        }
    }
}

#[test]
fn pure_modules_stay_pure() {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let pure = [
        "analysis.rs",
        "analysis/",
        "rule.rs",
        "rule/",
        "timeline.rs",
        "highlight.rs",
        "nearmiss.rs",
        "safe_text.rs",
        "reassembly.rs",
        "schedule.rs",
        "report.rs",
        "ecs.rs",
        "ecs/",
        "decode.rs",
        "decode/",
        "byte_mask.rs",
        "mixed_texts.rs",
    ];
    let mut files = Vec::new();
    rust_files(&src, &mut files);
    let mut checked = 0;
    for f in files {
        let rel = f.strip_prefix(&src).unwrap().to_string_lossy().into_owned();
        if !pure
            .iter()
            .any(|p| rel == *p || (p.ends_with('/') && rel.starts_with(p)))
        {
            continue;
        }
        checked += 1;
        let code = code_of(&f);
        for banned in [
            "std::fs",
            "std::thread",
            "std::net",
            "std::process",
            "tantivy",
            "File::",
        ] {
            assert!(!code.contains(banned), "{rel} is pure but uses {banned}");
        }
    }
    assert!(checked >= 15, "checked {checked} files");
}

/// `src/` files as (path relative to `src/`, code without comments).
pub fn sources() -> Vec<(String, String)> {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut files = Vec::new();
    rust_files(&src, &mut files);
    files
        .iter()
        .map(|f| {
            let rel = f.strip_prefix(&src).unwrap().to_string_lossy().into_owned();
            (rel, code_of(f))
        })
        .collect()
}

fn within(rel: &str, module: &str) -> bool {
    rel == format!("{module}.rs") || rel.starts_with(&format!("{module}/"))
}

#[test]
fn only_the_index_uses_tantivy() {
    for (rel, code) in sources() {
        if within(&rel, "index") {
            continue;
        }
        assert!(
            !code.contains("tantivy"),
            "{rel} uses tantivy: only src/index may"
        );
    }
}

#[test]
fn the_crate_edges_point_one_way() {
    for (rel, code) in sources() {
        if !within(&rel, "tui") && rel != "main.rs" {
            assert!(!code.contains("crate::tui"), "{rel} imports the TUI");
        }
        if within(&rel, "rule") {
            assert!(
                !code.contains("crate::index"),
                "{rel}: rule must not know the index"
            );
        }
        if !within(&rel, "commands") && rel != "main.rs" {
            assert!(!code.contains("crate::commands"), "{rel} imports a command");
        }
    }
}

/// One keymap table drives keys, footer and help; the README's table must name every binding.
#[test]
fn the_readme_lists_every_key_binding() {
    let readme =
        std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("README.md")).unwrap();
    // Every key written in backticks in the first column of a table row.
    let mut keys = std::collections::HashSet::new();
    for row in readme.lines().filter(|l| l.starts_with("| `")) {
        let first_column = row.split(" | ").next().unwrap_or("");
        for (i, span) in first_column.split('`').enumerate() {
            if i % 2 == 1 {
                keys.extend(span.split(' ').map(str::to_owned));
            }
        }
    }
    for b in pstriage::tui::keymap::KEYMAP {
        let first = b.keys.split(' ').next().unwrap();
        let first = if first == "1-6" { "1" } else { first };
        assert!(
            keys.contains(first),
            "README's key table lacks {} ({}); it has {keys:?}",
            b.keys,
            b.help_text()
        );
    }
}
