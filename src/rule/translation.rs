//! The Chinese text of the bundled rules (`assets/i18n/rules-zh.toml`, compiled in): their
//! description, investigation guide and setup, matched to a rule by `rule_id`. Rules loaded
//! with `--rules` have none and show their own text in either language.
//!
//! Pure lookup: no I/O. Must not hold anything that changes what a rule matches — the query,
//! scores and names stay the rule file's.

use serde::Deserialize;
use std::sync::OnceLock;

const RULES_ZH: &str = include_str!("../../assets/i18n/rules-zh.toml");

/// One rule's Chinese text.
#[derive(Clone, Debug, Deserialize)]
pub struct Translation {
    pub rule_id: String,
    pub description: String,
    pub note: String,
    pub setup: String,
}

#[derive(Deserialize)]
struct File {
    rule: Vec<Translation>,
}

/// The Chinese text of the rule `rule_id`, if it has one.
pub fn zh(rule_id: &str) -> Option<&'static Translation> {
    static ALL: OnceLock<Vec<Translation>> = OnceLock::new();
    ALL.get_or_init(|| {
        // Part of the binary and parsed by a test: an error is a build defect, and the rules
        // then show their English text.
        toml::from_str::<File>(RULES_ZH)
            .map(|f| f.rule)
            .unwrap_or_default()
    })
    .iter()
    .find(|t| t.rule_id == rule_id)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rule::guide;

    #[test]
    fn every_bundled_rule_has_chinese_text_with_the_same_steps_and_code() {
        let parsed: File = toml::from_str(RULES_ZH).expect("rules-zh.toml parses");
        let rules = crate::rule::bundled();
        assert_eq!(parsed.rule.len(), rules.len());
        for rule in &rules {
            let zh = zh(&rule.meta.rule_id).expect("a translation for every bundled rule");
            let en = guide::parse(rule.meta.note.as_deref().unwrap_or(""));
            let translated = guide::parse(&zh.note);
            // Ticks are saved by step number: the two guides must list the same steps.
            assert_eq!(translated.steps.len(), en.steps.len(), "{}", rule.meta.name);
            assert!(en.steps.len() >= 6, "{}", rule.meta.name);
            for step in &translated.steps {
                assert!(
                    step.chars().any(|c| ('\u{4e00}'..='\u{9fff}').contains(&c)),
                    "{step}"
                );
            }
            // Commands and policy paths in code blocks are copied, not translated.
            let code = |text: &str| -> Vec<String> {
                text.split("```")
                    .skip(1)
                    .step_by(2)
                    .map(str::to_owned)
                    .collect()
            };
            assert_eq!(
                code(&zh.setup),
                code(rule.meta.setup.as_deref().unwrap_or("")),
                "{}",
                rule.meta.name
            );
        }
    }
}
