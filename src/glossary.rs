//! The API glossary (`assets/glossary.toml`, compiled in): for each name the bundled rules look
//! for, what it is, what it does and why a script calls it, the ATT&CK techniques it serves and
//! its group in the rule. Looked up by the Script tab (`K`) and `pstriage rules --glossary`.
//!
//! Pure: no I/O, no terminal. The text is ours (see the file's header), never a vendor's.

use crate::i18n::{self, Lang};
use crate::rule::Rule;
use serde::Deserialize;
use std::sync::OnceLock;

const GLOSSARY: &str = include_str!("../assets/glossary.toml");

/// One name and what to know about it.
#[derive(Clone, Debug, Deserialize)]
pub struct Entry {
    pub term: String,
    pub kind: String,
    /// Its group in the rule that names it: `access/allocate`, `write/execute`, `PSReflect`.
    pub group: String,
    /// ATT&CK (sub-)techniques, as (id, name).
    pub attack: Vec<(String, String)>,
    pub summary: String,
    /// `kind` in Chinese.
    pub kind_zh: String,
    /// `summary` in Chinese.
    pub summary_zh: String,
}

impl Entry {
    /// What it is, in the interface's language.
    pub fn kind_text(&self) -> &str {
        match i18n::current() {
            Lang::En => &self.kind,
            Lang::Zh => &self.kind_zh,
        }
    }

    /// What it does, in the interface's language.
    pub fn summary_text(&self) -> &str {
        match i18n::current() {
            Lang::En => &self.summary,
            Lang::Zh => &self.summary_zh,
        }
    }

    /// Its group as the interface names it (`group` keeps the file's stable English value).
    pub fn group_label(&self) -> &'static str {
        match self.group.as_str() {
            "access/allocate" => i18n::t("group.access"),
            "write/execute" => i18n::t("group.execute"),
            _ => i18n::t("group.psreflect"),
        }
    }

    /// `T1055.001 DLL Injection, T1106 Native API`.
    pub fn attack_line(&self) -> String {
        self.attack
            .iter()
            .map(|(id, name)| format!("{id} {name}"))
            .collect::<Vec<_>>()
            .join(", ")
    }
}

#[derive(Deserialize)]
struct File {
    entry: Vec<Entry>,
}

/// Every entry, in the file's order.
pub fn entries() -> &'static [Entry] {
    static ENTRIES: OnceLock<Vec<Entry>> = OnceLock::new();
    ENTRIES.get_or_init(|| {
        // The file is part of the binary and a test parses it: an error here is a build defect.
        toml::from_str::<File>(GLOSSARY)
            .map(|f| f.entry)
            .unwrap_or_default()
    })
}

/// The entry for `term`, matched without regard to ASCII case (as the rules' text match is).
pub fn lookup(term: &str) -> Option<&'static Entry> {
    entries()
        .iter()
        .find(|e| e.term.eq_ignore_ascii_case(term.trim()))
}

/// The glossary as Markdown: for each rule, the entries of the names it looks for in the
/// script text, in the rule's order (rules naming none are left out), then the names of the
/// rules that have no entry.
pub fn markdown(rules: &[Rule]) -> String {
    let mut out = format!("# {}\n", i18n::t("glossary.md_title"));
    let mut missing: Vec<String> = Vec::new();
    for rule in rules {
        let terms = crate::rule::script_terms(&rule.expr);
        let found: Vec<&Entry> = terms.iter().filter_map(|t| lookup(t)).collect();
        missing.extend(
            terms
                .iter()
                .filter(|t| lookup(t).is_none())
                .map(|t| format!("{t} ({})", rule.meta.name)),
        );
        if found.is_empty() {
            continue;
        }
        out.push_str(&format!("\n## {}\n", rule.meta.name));
        for e in found {
            out.push_str(&format!("\n### {}\n\n", e.term));
            out.push_str(&i18n::tf(
                "glossary.md_facts",
                &[
                    ("kind", &e.kind_text()),
                    ("group", &e.group_label()),
                    ("attack", &e.attack_line()),
                ],
            ));
            out.push_str(&format!("\n\n{}\n", e.summary_text()));
        }
    }
    if !missing.is_empty() {
        out.push_str(&format!(
            "\n## {}\n\n{}\n",
            i18n::t("glossary.md_missing"),
            missing.join(", ")
        ));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_file_parses_and_every_entry_is_complete() {
        let parsed: File = toml::from_str(GLOSSARY).expect("assets/glossary.toml parses");
        assert_eq!(parsed.entry.len(), entries().len());
        for e in entries() {
            assert!(!e.kind.is_empty() && !e.summary.is_empty(), "{}", e.term);
            // The Chinese text is written for every entry, and its summary is Chinese.
            assert!(!e.kind_zh.is_empty(), "{}", e.term);
            assert!(
                e.summary_zh
                    .chars()
                    .any(|c| ('\u{4e00}'..='\u{9fff}').contains(&c)),
                "{}: {}",
                e.term,
                e.summary_zh
            );
            assert!(!e.attack.is_empty(), "{}", e.term);
            for (id, name) in &e.attack {
                assert!(id.starts_with('T') && !name.is_empty(), "{}: {id}", e.term);
            }
            assert!(
                ["access/allocate", "write/execute", "PSReflect"].contains(&e.group.as_str()),
                "{}",
                e.term
            );
        }
    }

    #[test]
    fn every_name_of_the_bundled_rules_has_an_entry_in_its_group() {
        let rules = crate::rule::bundled();
        let terms = crate::rule::script_terms(&rules[0].expr);
        assert_eq!(terms.len(), 19);
        for (i, t) in terms.iter().enumerate() {
            let e = lookup(t).unwrap_or_else(|| panic!("no entry for {t}"));
            // The seed rule lists the 11 access/allocate names first, then the 8 others.
            let want = if i < 11 {
                "access/allocate"
            } else {
                "write/execute"
            };
            assert_eq!(e.group, want, "{t}");
        }
        for t in crate::rule::script_terms(&rules[1].expr) {
            assert_eq!(
                lookup(&t).map(|e| e.group.as_str()),
                Some("PSReflect"),
                "{t}"
            );
        }
        assert!(lookup("virtualallocex").is_some(), "case does not matter");
        let md = markdown(&rules);
        assert!(
            md.contains("### QueueUserAPC") && md.contains("T1055.004 Asynchronous Procedure Call")
        );
        assert!(!md.contains("without an entry"), "{md}");
    }
}
