//! Training mode's core: a deck of cards drawn from loaded script blocks (the rule's alerts,
//! near misses and benign blocks, in a seeded order), the scoring of a trainee's answers, the
//! trainee's saved sessions and the trainer's Markdown report.
//!
//! Pure: events and rules in, cards and scores out. The screen is `tui::train`, the files are
//! written by `commands::train` (atomically, through `triage::store::write_atomically`).

use crate::analysis::Analyzer;
use crate::ecs::{self, Fields};
use crate::event::Event;
use crate::i18n::{t, tf};
use crate::rule::kql::{Explanation, Hit};
use crate::rule::Rule;
use serde::{Deserialize, Serialize};

/// What a card is, for the deck's balance and the report.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CardKind {
    /// The rule fires on it.
    Alert,
    /// It holds names the rule looks for (or their near spellings), and the rule does not fire.
    NearMiss,
    /// Nothing of the rule in it.
    Benign,
}

/// One card: a script block and the truth about it.
#[derive(Clone, Debug)]
pub struct Card {
    pub event: Event,
    pub kind: CardKind,
    /// The script text shown (the first value of the field).
    pub text: String,
    /// The rule's verdict, clause by clause (why it fired, or which clause it missed).
    pub explanation: Explanation,
    /// The rule's matches in `text`, marked on reveal.
    pub hits: Vec<Hit>,
    /// The names that made the rule fire (empty when it does not).
    pub fired_by: Vec<String>,
    /// The names the trainee chooses from: every word of the script that looks like an API
    /// name, sorted, so their order gives nothing away.
    pub choices: Vec<String>,
}

impl Card {
    pub fn fires(&self) -> bool {
        self.kind == CardKind::Alert
    }
}

/// Words offered to choose from, at most (the rule's own names in the text always are).
const MAX_CHOICES: usize = 24;

/// A deck of `cards` cards from `events` for `rule`, in an order fixed by `seed`: about 40 %
/// alerts, 40 % near misses and 20 % benign blocks, a short category filled from the others.
/// Every event is judged, only the dealt ones become cards (an export can be large).
pub fn build_deck(
    events: &[Event],
    rule: &Rule,
    analyzer: Analyzer,
    seed: u64,
    cards: usize,
) -> Vec<Card> {
    let terms = crate::rule::script_terms(&rule.expr);
    // Event indexes by kind: alerts, near misses, benign blocks.
    let mut pools: [Vec<usize>; 3] = Default::default();
    for (i, ev) in events.iter().enumerate() {
        let fields = Fields::of_lenient(&ev.doc);
        let Some(text) = script_text(&fields) else {
            continue;
        };
        let pool = match kind_of(&text, &rule.explain(&fields, analyzer), &terms, analyzer) {
            CardKind::Alert => 0,
            CardKind::NearMiss => 1,
            CardKind::Benign => 2,
        };
        pools[pool].push(i);
    }
    let mut rng = SplitMix(seed);
    for pool in &mut pools {
        shuffle(pool, &mut rng);
    }
    let want_alerts = (cards * 2).div_ceil(5);
    let want_near = (cards * 2).div_ceil(5);
    let mut dealt: Vec<usize> = Vec::with_capacity(cards);
    for (pool, want) in pools.iter_mut().zip([want_alerts, want_near, cards]) {
        let take = want.min(pool.len()).min(cards - dealt.len());
        dealt.extend(pool.drain(..take));
    }
    // Short categories are made up from what is left, alerts first.
    for pool in &mut pools {
        let take = pool.len().min(cards - dealt.len());
        dealt.extend(pool.drain(..take));
    }
    shuffle(&mut dealt, &mut rng);
    dealt
        .into_iter()
        .filter_map(|i| card_of(&events[i], rule, &terms, analyzer))
        .collect()
}

/// The first script text of an event, unless it is blank.
fn script_text(fields: &Fields) -> Option<String> {
    fields
        .first(ecs::names::SCRIPT_BLOCK_TEXT)
        .filter(|t| !t.trim().is_empty())
}

/// Alert when the rule holds; near miss when its names (or near spellings) are in the text;
/// benign otherwise.
fn kind_of(
    text: &str,
    explanation: &Explanation,
    terms: &[String],
    analyzer: Analyzer,
) -> CardKind {
    if explanation.held {
        return CardKind::Alert;
    }
    let hits = script_hits(explanation);
    let ranges: Vec<(usize, usize)> = hits.iter().map(|h| (h.start, h.end)).collect();
    if hits.is_empty() && crate::nearmiss::find(text, terms, &ranges, analyzer).is_empty() {
        CardKind::Benign
    } else {
        CardKind::NearMiss
    }
}

/// The rule's matches in the first script text value.
fn script_hits(explanation: &Explanation) -> Vec<Hit> {
    explanation
        .positive_hits()
        .into_iter()
        .filter(|h| h.field == ecs::names::SCRIPT_BLOCK_TEXT && h.value_index == 0)
        .cloned()
        .collect()
}

/// The card of `ev`, if it has script text.
fn card_of(ev: &Event, rule: &Rule, terms: &[String], analyzer: Analyzer) -> Option<Card> {
    let fields = Fields::of_lenient(&ev.doc);
    let text = script_text(&fields)?;
    let explanation = rule.explain(&fields, analyzer);
    let kind = kind_of(&text, &explanation, terms, analyzer);
    let mut fired_by: Vec<String> = Vec::new();
    if kind == CardKind::Alert {
        for t in explanation.positive_terms(ecs::names::SCRIPT_BLOCK_TEXT) {
            if !fired_by.iter().any(|f| f.eq_ignore_ascii_case(t)) {
                fired_by.push(t.to_owned());
            }
        }
    }
    Some(Card {
        event: ev.clone(),
        kind,
        choices: choices_of(&text, terms),
        hits: script_hits(&explanation),
        text,
        explanation,
        fired_by,
    })
}

/// The words of `text` a trainee may pick: the rule's names found in it (as the rule writes
/// them), then other identifiers shaped like API names (a capital inside), up to
/// `MAX_CHOICES`, sorted case-insensitively.
fn choices_of(text: &str, terms: &[String]) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    let mut words: Vec<&str> = Vec::new();
    Analyzer::Pattern.for_each_raw_ascii_token(text, |_, start, end| words.push(&text[start..end]));
    for t in terms {
        if words.iter().any(|w| w.eq_ignore_ascii_case(t)) && !out.contains(t) {
            out.push(t.clone());
        }
    }
    for w in words {
        if out.len() >= MAX_CHOICES {
            break;
        }
        let api_shaped = w.len() >= 6
            && w.starts_with(|c: char| c.is_ascii_alphabetic())
            && w.chars().skip(1).any(|c| c.is_ascii_uppercase())
            && !w.contains('-');
        if api_shaped && !out.iter().any(|o| o.eq_ignore_ascii_case(w)) {
            out.push(w.to_owned());
        }
    }
    out.sort_by_key(|w| w.to_ascii_lowercase());
    out
}

/// A small, seedable generator (SplitMix64): the same seed gives the same deck everywhere.
struct SplitMix(u64);

impl SplitMix {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
}

/// Fisher–Yates.
fn shuffle<T>(items: &mut [T], rng: &mut SplitMix) {
    for i in (1..items.len()).rev() {
        let j = (rng.next() % (i as u64 + 1)) as usize;
        items.swap(i, j);
    }
}

/// What the trainee said about a card.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Answer {
    pub fires: bool,
    /// The names picked as what made it fire.
    pub picked: Vec<String>,
}

/// One card's result.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct CardScore {
    /// The event's identity (stable across runs and machines).
    pub event: String,
    pub kind: CardKind,
    pub verdict_right: bool,
    /// Names that made the rule fire and were not picked.
    pub missed: Vec<String>,
    /// Names picked that did not make it fire.
    pub wrong: Vec<String>,
}

impl CardScore {
    /// Points out of 2: one for the verdict, one for naming exactly what made it fire (a card
    /// the rule does not fire on earns it by picking nothing).
    pub fn points(&self) -> u32 {
        u32::from(self.verdict_right) + u32::from(self.missed.is_empty() && self.wrong.is_empty())
    }
}

/// Scores `answer` on `card`.
pub fn score(card: &Card, answer: &Answer) -> CardScore {
    let picked = |t: &String| answer.picked.iter().any(|p| p.eq_ignore_ascii_case(t));
    let missed = card
        .fired_by
        .iter()
        .filter(|t| !picked(t))
        .cloned()
        .collect();
    let wrong = answer
        .picked
        .iter()
        .filter(|p| !card.fired_by.iter().any(|t| t.eq_ignore_ascii_case(p)))
        .cloned()
        .collect();
    CardScore {
        event: card.event.identity(),
        kind: card.kind,
        verdict_right: answer.fires == card.fires(),
        missed,
        wrong,
    }
}

/// One training session.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Session {
    /// When it started (ISO 8601, UTC).
    pub started: String,
    pub rule: String,
    pub seed: u64,
    pub cards: Vec<CardScore>,
}

impl Session {
    pub fn points(&self) -> u32 {
        self.cards.iter().map(CardScore::points).sum()
    }
}

/// A trainee's file: every session, oldest first.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct TraineeFile {
    pub trainee: String,
    #[serde(default)]
    pub sessions: Vec<Session>,
}

/// The file name for `trainee`: letters, digits, `-` and `_` kept, anything else `_`, so a
/// name can never leave the training directory.
pub fn file_name(trainee: &str) -> String {
    let safe: String = trainee
        .chars()
        .map(|c| {
            if c.is_alphanumeric() || c == '-' || c == '_' {
                c
            } else {
                '_'
            }
        })
        .collect();
    format!("{}.json", if safe.is_empty() { "_" } else { &safe })
}

/// The trainer's summary of `files` in Markdown: per trainee the sessions and their scores,
/// then the names missed most often over all of them.
pub fn report(files: &[TraineeFile]) -> String {
    let mut out = format!("# {}\n", t("train_report.title"));
    if files.iter().all(|f| f.sessions.is_empty()) {
        out.push_str(&format!("\n{}\n", t("train_report.none")));
        return out;
    }
    let mut missed: Vec<(String, usize)> = Vec::new();
    for f in files.iter().filter(|f| !f.sessions.is_empty()) {
        out.push_str(&format!(
            "\n## {}\n\n{}\n|---|---|---|---|---|---|---|\n",
            f.trainee,
            t("train_report.columns")
        ));
        for s in &f.sessions {
            let n = s.cards.len();
            let verdicts = s.cards.iter().filter(|c| c.verdict_right).count();
            let names = s
                .cards
                .iter()
                .filter(|c| c.missed.is_empty() && c.wrong.is_empty())
                .count();
            out.push_str(&format!(
                "| {} | {} | {} | {n} | {verdicts}/{n} | {names}/{n} | {}/{} |\n",
                s.started,
                s.rule,
                s.seed,
                s.points(),
                2 * n
            ));
            for name in s.cards.iter().flat_map(|c| &c.missed) {
                match missed
                    .iter_mut()
                    .find(|(m, _)| m.eq_ignore_ascii_case(name))
                {
                    Some((_, k)) => *k += 1,
                    None => missed.push((name.clone(), 1)),
                }
            }
        }
    }
    missed.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
    out.push_str(&format!("\n## {}\n\n", t("train_report.most_missed")));
    if missed.is_empty() {
        out.push_str(&format!("{}\n", t("train_report.none_missed")));
    }
    for (name, n) in missed.iter().take(10) {
        let what = crate::glossary::lookup(name)
            .map(|e| format!(" ({}; {})", e.group_label(), e.attack_line()))
            .unwrap_or_default();
        out.push_str(&format!(
            "- {}\n",
            tf(
                "train_report.missed",
                &[("name", name), ("n", n), ("what", &what)],
            )
        ));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::event::SourceRef;

    fn event(n: u64, text: &str) -> Event {
        Event {
            doc: serde_json::from_value(serde_json::json!({
                "event": {"category": "process"},
                "host": {"os": {"type": "windows"}},
                "powershell": {"file": {"script_block_text": text}}
            }))
            .unwrap(),
            es_id: Some(format!("e{n}")),
            es_index: None,
            source: SourceRef::line("t", n),
        }
    }

    fn events() -> Vec<Event> {
        let mut out = Vec::new();
        for n in 0..5 {
            out.push(event(
                n,
                &format!("$h = [K]::OpenProcess({n}); [K]::CreateRemoteThread($h)"),
            ));
            out.push(event(10 + n, &format!("[K]::LoadLibraryW('x{n}.dll')")));
            out.push(event(
                20 + n,
                &format!("Get-ChildItem C:\\\\ -Recurse | Select -First {n}"),
            ));
        }
        out
    }

    #[test]
    fn a_seed_fixes_the_deck_and_its_balance() {
        let rule = &crate::rule::bundled()[0];
        let a = build_deck(&events(), rule, Analyzer::Pattern, 7, 10);
        let b = build_deck(&events(), rule, Analyzer::Pattern, 7, 10);
        let ids = |d: &[Card]| d.iter().map(|c| c.event.identity()).collect::<Vec<_>>();
        assert_eq!(ids(&a), ids(&b));
        assert_ne!(
            ids(&a),
            ids(&build_deck(&events(), rule, Analyzer::Pattern, 8, 10))
        );
        let count = |k| a.iter().filter(|c| c.kind == k).count();
        assert_eq!(
            (
                count(CardKind::Alert),
                count(CardKind::NearMiss),
                count(CardKind::Benign)
            ),
            (4, 4, 2)
        );
        let alert = a.iter().find(|c| c.fires()).unwrap();
        assert_eq!(alert.fired_by, ["OpenProcess", "CreateRemoteThread"]);
        assert!(alert.choices.contains(&"OpenProcess".to_owned()));
        // A deck larger than the data holds every card once.
        assert_eq!(
            build_deck(&events(), rule, Analyzer::Pattern, 1, 99).len(),
            15
        );
    }

    #[test]
    fn scoring_counts_the_verdict_and_the_names() {
        let rule = &crate::rule::bundled()[0];
        let deck = build_deck(&events(), rule, Analyzer::Pattern, 3, 10);
        let alert = deck.iter().find(|c| c.fires()).unwrap();
        let perfect = score(
            alert,
            &Answer {
                fires: true,
                picked: vec!["openprocess".into(), "CreateRemoteThread".into()],
            },
        );
        assert_eq!(perfect.points(), 2);
        let half = score(
            alert,
            &Answer {
                fires: true,
                picked: vec!["OpenProcess".into(), "Select".into()],
            },
        );
        assert_eq!(
            (half.points(), half.missed.clone(), half.wrong.clone()),
            (
                1,
                vec!["CreateRemoteThread".to_owned()],
                vec!["Select".to_owned()]
            )
        );
        let near = deck.iter().find(|c| c.kind == CardKind::NearMiss).unwrap();
        assert_eq!(score(near, &Answer::default()).points(), 2);
        assert_eq!(
            score(
                near,
                &Answer {
                    fires: true,
                    picked: vec![]
                }
            )
            .points(),
            1
        );
    }

    #[test]
    fn trainee_names_stay_inside_the_directory_and_the_report_names_misses() {
        assert_eq!(file_name("../../etc/passwd"), "______etc_passwd.json");
        assert_eq!(file_name("李雷"), "李雷.json");
        let file = TraineeFile {
            trainee: "ana".into(),
            sessions: vec![Session {
                started: "2026-12-04T10:00:00Z".into(),
                rule: "Potential Process Injection via PowerShell".into(),
                seed: 7,
                cards: vec![CardScore {
                    event: "id:e1".into(),
                    kind: CardKind::Alert,
                    verdict_right: true,
                    missed: vec!["QueueUserAPC".into()],
                    wrong: vec![],
                }],
            }],
        };
        let text = serde_json::to_string(&file).unwrap();
        assert_eq!(serde_json::from_str::<TraineeFile>(&text).unwrap(), file);
        let md = report(&[file]);
        assert!(md.contains("| 2026-12-04T10:00:00Z | Potential Process Injection via PowerShell | 7 | 1 | 1/1 | 0/1 | 1/2 |"), "{md}");
        assert!(
            md.contains(
                "- QueueUserAPC: missed 1× (write/execute; T1055.004 Asynchronous Procedure Call)"
            ),
            "{md}"
        );
    }
}
