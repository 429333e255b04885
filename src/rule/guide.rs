//! The investigation guide in a rule's `note` Markdown, split into what the checklist screen
//! shows: the "Possible investigation steps" as checklist items, and the other sections.
//! Works for any Elastic rule's note, not only the bundled ones, and for the Chinese guides of
//! the bundled rules (`Localized`). Pure.

/// A section of the guide: its heading and its body lines.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Section {
    pub heading: String,
    pub body: Vec<String>,
}

/// The parsed guide.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Guide {
    /// Top-level bullets under "Possible investigation steps" (sub-bullets folded into their
    /// parent's text on new lines).
    pub steps: Vec<String>,
    /// Every other section, in order.
    pub sections: Vec<Section>,
}

/// Splits `note` into steps and sections.
pub fn parse(note: &str) -> Guide {
    let mut guide = Guide::default();
    let mut current: Option<Section> = None;
    for line in note.lines() {
        let trimmed = line.trim_end();
        if let Some(heading) = heading(trimmed) {
            if let Some(s) = current.take() {
                guide.sections.push(s);
            }
            current = Some(Section {
                heading: heading.to_owned(),
                body: Vec::new(),
            });
            continue;
        }
        let Some(section) = current.as_mut() else {
            continue;
        };
        if is_steps_heading(&section.heading) {
            if let Some(item) = trimmed
                .strip_prefix("- ")
                .or_else(|| trimmed.strip_prefix("* "))
            {
                guide.steps.push(item.trim().to_owned());
                continue;
            }
            if trimmed.starts_with(' ') && !trimmed.trim().is_empty() {
                if let Some(last) = guide.steps.last_mut() {
                    last.push('\n');
                    last.push_str(trimmed);
                    continue;
                }
            }
        }
        section.body.push(trimmed.to_owned());
    }
    if let Some(s) = current.take() {
        guide.sections.push(s);
    }
    for s in &mut guide.sections {
        while s.body.first().is_some_and(|l| l.trim().is_empty()) {
            s.body.remove(0);
        }
        while s.body.last().is_some_and(|l| l.trim().is_empty()) {
            s.body.pop();
        }
    }
    guide
        .sections
        .retain(|s| !s.body.is_empty() || !is_steps_heading(&s.heading));
    guide
}

fn heading(line: &str) -> Option<&str> {
    let rest = line.trim_start_matches('#');
    (rest.len() < line.len() && rest.starts_with(' ')).then(|| rest.trim())
}

/// The heading of the checklist: Elastic's "Possible investigation steps", or its Chinese
/// form in pstriage's translated guides (`调查步骤`).
fn is_steps_heading(h: &str) -> bool {
    h.to_ascii_lowercase().contains("investigation steps") || h.contains("调查步骤")
}

/// The guide's top heading ("Triage and analysis", `分诊与分析`): the checklist screen has its
/// own title and leaves it out.
pub fn is_intro_heading(h: &str) -> bool {
    h.to_lowercase().starts_with("triage") || h.starts_with("分诊")
}

/// A rule's guide in each interface language; a rule with no Chinese text (or one whose
/// steps do not line up with the English, which would tick the wrong step) shows English.
#[derive(Clone, Debug, Default)]
pub struct Localized {
    pub en: Guide,
    pub zh: Option<Guide>,
}

impl Localized {
    pub fn of(rule: &crate::rule::Rule) -> Localized {
        let en = parse(rule.meta.note.as_deref().unwrap_or(""));
        let zh = crate::rule::translation::zh(&rule.meta.rule_id)
            .map(|t| parse(&t.note))
            .filter(|zh| zh.steps.len() == en.steps.len());
        Localized { en, zh }
    }

    /// The guide in the interface's language.
    pub fn current(&self) -> &Guide {
        match (crate::i18n::current(), &self.zh) {
            (crate::i18n::Lang::Zh, Some(zh)) => zh,
            _ => &self.en,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn steps_come_from_the_possible_investigation_steps_section() {
        let note = "## Triage\n\nIntro.\n\n#### Possible investigation steps\n\n- One.\n- Two:\n  - sub a\n- Three.\n\n### False positive analysis\n\n- Rare.\n";
        let g = parse(note);
        assert_eq!(g.steps, ["One.", "Two:\n  - sub a", "Three."]);
        let headings: Vec<_> = g.sections.iter().map(|s| s.heading.as_str()).collect();
        assert_eq!(headings, ["Triage", "False positive analysis"]);
    }

    #[test]
    fn the_bundled_seed_rule_has_the_seven_steps_of_the_seed() {
        let rules = crate::rule::bundled();
        let g = parse(rules[0].meta.note.as_deref().unwrap_or(""));
        assert_eq!(g.steps.len(), 7);
        assert!(g.steps[3].contains("48 hours"));
        let resp = g
            .sections
            .iter()
            .find(|s| s.heading.starts_with("Response"))
            .unwrap();
        assert_eq!(resp.body.iter().filter(|l| l.starts_with("- ")).count(), 7);
    }
}
