//! The training screen (`pstriage train`): one card at a time, the script block shown with
//! PowerShell highlighting and nothing of the rule; the trainee says whether the rule fires and
//! picks the names that make it; reveal shows the truth, the rule's marks, the clause tree and
//! the glossary of the APIs in the script. State changes only through `update`, so tests drive
//! it with key sequences; saving is an effect the caller performs.

use super::app::Pane;
use super::derived::ScriptView;
use super::views::{detail, script, wrap, Theme};
use crate::i18n::{t, tf};
use crate::training::{self, Answer, Card, CardScore, Session};
use crossterm::event::{KeyCode, KeyEvent};
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Paragraph};
use ratatui::Frame;

/// Where the trainee is on the current card.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Step {
    /// Would the rule fire? (`y` / `n`)
    Verdict,
    /// Which names made it fire? A cursor over the card's choices, and what is picked.
    Pick { cursor: usize, picked: Vec<bool> },
    /// The truth, with this card's score.
    Reveal(CardScore),
    /// Every card answered.
    Done,
}

/// What the caller must do after an update.
#[derive(Debug, PartialEq)]
pub enum Effect {
    /// Append this session to the trainee's file.
    Save(Session),
}

pub struct TrainApp {
    pub deck: Vec<Card>,
    pub at: usize,
    pub step: Step,
    pub scores: Vec<CardScore>,
    pub session: Session,
    pub trainee: String,
    /// Script views per card, made once: highlighted without marks (asking) and with them.
    views: Vec<Option<(ScriptView, ScriptView)>>,
    pub scroll: u16,
    pub quit: bool,
    /// Set by the caller once the session is saved (or failed to be).
    pub message: Option<String>,
    theme: Theme,
}

impl TrainApp {
    /// A session of `trainee` over `deck`; `session` carries the rule, the seed and the start.
    pub fn new(deck: Vec<Card>, trainee: &str, session: Session, no_color: bool) -> TrainApp {
        let views = (0..deck.len()).map(|_| None).collect();
        let step = if deck.is_empty() {
            Step::Done
        } else {
            Step::Verdict
        };
        TrainApp {
            deck,
            at: 0,
            step,
            scores: Vec::new(),
            session,
            trainee: trainee.to_owned(),
            views,
            scroll: 0,
            quit: false,
            message: None,
            theme: Theme { no_color },
        }
    }

    pub fn card(&self) -> Option<&Card> {
        self.deck.get(self.at)
    }

    /// One key press.
    pub fn update(&mut self, key: KeyEvent) -> Vec<Effect> {
        match (key.code, self.step.clone()) {
            (KeyCode::Char('q') | KeyCode::Esc, Step::Verdict | Step::Reveal(_) | Step::Done) => {
                self.quit = true;
                return self.save_once();
            }
            (KeyCode::Char('j') | KeyCode::Down, Step::Verdict | Step::Reveal(_)) => {
                self.scroll = self.scroll.saturating_add(1)
            }
            (KeyCode::Char('k') | KeyCode::Up, Step::Verdict | Step::Reveal(_)) => {
                self.scroll = self.scroll.saturating_sub(1)
            }
            (KeyCode::Char('y'), Step::Verdict) => {
                let n = self.card().map_or(0, |c| c.choices.len());
                self.step = Step::Pick {
                    cursor: 0,
                    picked: vec![false; n],
                };
            }
            (KeyCode::Char('n'), Step::Verdict) => self.reveal(Answer::default()),
            (KeyCode::Char('j') | KeyCode::Down, Step::Pick { cursor, picked }) => {
                let cursor = (cursor + 1).min(picked.len().saturating_sub(1));
                self.step = Step::Pick { cursor, picked };
            }
            (KeyCode::Char('k') | KeyCode::Up, Step::Pick { cursor, picked }) => {
                self.step = Step::Pick {
                    cursor: cursor.saturating_sub(1),
                    picked,
                };
            }
            (KeyCode::Char(' '), Step::Pick { cursor, mut picked }) => {
                if let Some(p) = picked.get_mut(cursor) {
                    *p = !*p;
                }
                self.step = Step::Pick { cursor, picked };
            }
            (KeyCode::Esc, Step::Pick { .. }) => self.step = Step::Verdict,
            (KeyCode::Enter, Step::Pick { picked, .. }) => {
                let choices = self.card().map(|c| c.choices.clone()).unwrap_or_default();
                let picked = choices
                    .into_iter()
                    .zip(picked)
                    .filter(|(_, p)| *p)
                    .map(|(c, _)| c)
                    .collect();
                self.reveal(Answer {
                    fires: true,
                    picked,
                });
            }
            (KeyCode::Enter | KeyCode::Char(' ') | KeyCode::Right, Step::Reveal(_)) => {
                self.at += 1;
                self.scroll = 0;
                if self.at < self.deck.len() {
                    self.step = Step::Verdict;
                } else {
                    self.step = Step::Done;
                    return self.save_once();
                }
            }
            _ => {}
        }
        Vec::new()
    }

    fn reveal(&mut self, answer: Answer) {
        let Some(card) = self.card() else { return };
        let s = training::score(card, &answer);
        self.scores.push(s.clone());
        self.step = Step::Reveal(s);
        self.scroll = 0;
    }

    /// The session to save, once: when the deck is done, or at quit with cards answered.
    fn save_once(&mut self) -> Vec<Effect> {
        if self.scores.is_empty() || self.session.cards.len() == self.scores.len() {
            return Vec::new();
        }
        self.session.cards = self.scores.clone();
        vec![Effect::Save(self.session.clone())]
    }

    fn views(&mut self) -> Option<&(ScriptView, ScriptView)> {
        let card = self.deck.get(self.at)?;
        if self.views[self.at].is_none() {
            let spans = crate::highlight::highlight(&card.text);
            let asking = ScriptView {
                text: card.text.clone(),
                spans,
                about: t("script.as_logged").into(),
                bare: true,
                ..ScriptView::default()
            };
            let mut revealed = asking.clone();
            revealed.bare = false;
            revealed.marks = card
                .hits
                .iter()
                .map(|h| (h.start, h.end, h.term.clone()))
                .collect();
            let ranges: Vec<(usize, usize)> = card.hits.iter().map(|h| (h.start, h.end)).collect();
            let terms: Vec<String> = card.fired_by.clone();
            revealed.near = crate::nearmiss::find(
                &card.text,
                &if terms.is_empty() {
                    card.choices.clone()
                } else {
                    terms
                },
                &ranges,
                crate::analysis::Analyzer::Pattern,
            );
            self.views[self.at] = Some((asking, revealed));
        }
        self.views[self.at].as_ref()
    }

    /// Draws the screen.
    pub fn render(&mut self, f: &mut Frame) {
        let area = f.area();
        let [head, body, foot] = Layout::vertical([
            Constraint::Length(1),
            Constraint::Min(3),
            Constraint::Length(1),
        ])
        .areas(area);
        let points: u32 = self.scores.iter().map(CardScore::points).sum();
        let n = self.deck.len();
        f.render_widget(
            Paragraph::new(Line::styled(
                tf(
                    "train.header",
                    &[
                        ("trainee", &self.session_trainee()),
                        ("at", &(self.at + 1).min(n)),
                        ("n", &n),
                        ("points", &points),
                        ("max", &(2 * self.scores.len())),
                    ],
                ),
                self.theme.title(),
            )),
            head,
        );
        let footer = match &self.step {
            Step::Verdict => t("train.ask_verdict"),
            Step::Pick { .. } => t("train.ask_names"),
            Step::Reveal(_) => t("train.keys_reveal"),
            Step::Done => t("train.keys_done"),
        };
        f.render_widget(Paragraph::new(Line::styled(footer, self.theme.dim())), foot);
        match self.step.clone() {
            Step::Verdict => self.render_script(f, body, false),
            Step::Pick { cursor, picked } => {
                let [left, right] =
                    Layout::horizontal([Constraint::Min(20), Constraint::Length(36)]).areas(body);
                self.render_script(f, left, false);
                self.render_choices(f, right, cursor, &picked);
            }
            Step::Reveal(score) => {
                let [left, right] =
                    Layout::horizontal([Constraint::Percentage(55), Constraint::Percentage(45)])
                        .areas(body);
                self.render_script(f, left, true);
                self.render_truth(f, right, &score);
            }
            Step::Done => self.render_done(f, body),
        }
    }

    fn session_trainee(&self) -> String {
        crate::safe_text::line(&self.trainee).into_owned()
    }

    fn render_script(&mut self, f: &mut Frame, area: Rect, revealed: bool) {
        let pane = Pane {
            scroll: self.scroll,
            ..Pane::default()
        };
        let theme = Theme {
            no_color: self.theme.no_color,
        };
        let block = Block::default()
            .borders(Borders::ALL)
            .title(t("train.script"));
        let inner = block.inner(area);
        f.render_widget(block, area);
        if let Some((asking, shown)) = self.views() {
            script::render(
                if revealed { shown } else { asking },
                &pane,
                &theme,
                f,
                inner,
            );
        }
    }

    fn render_choices(&self, f: &mut Frame, area: Rect, cursor: usize, picked: &[bool]) {
        let choices = self.card().map(|c| c.choices.clone()).unwrap_or_default();
        let mut lines: Vec<Line> = Vec::new();
        if choices.is_empty() {
            lines.push(Line::styled(t("train.no_names"), self.theme.dim()));
        }
        for (i, c) in choices.iter().enumerate() {
            let mark = if picked.get(i).copied().unwrap_or(false) {
                "[x]"
            } else {
                "[ ]"
            };
            let text = format!(" {mark} {}", crate::safe_text::line(c));
            lines.push(if i == cursor {
                Line::styled(text, self.theme.selected())
            } else {
                Line::raw(text)
            });
        }
        let skip = cursor.saturating_sub(usize::from(area.height.saturating_sub(3)));
        f.render_widget(
            Paragraph::new(lines.into_iter().skip(skip).collect::<Vec<_>>()).block(
                Block::default()
                    .borders(Borders::ALL)
                    .title(t("train.names")),
            ),
            area,
        );
    }

    fn render_truth(&self, f: &mut Frame, area: Rect, score: &CardScore) {
        let Some(card) = self.card() else { return };
        let theme = &self.theme;
        let width = usize::from(area.width.saturating_sub(3));
        let mut lines = vec![Line::styled(
            tf(
                match (score.verdict_right, card.fires()) {
                    (true, true) => "train.right_fires",
                    (true, false) => "train.right_silent",
                    (false, true) => "train.wrong_fires",
                    (false, false) => "train.wrong_silent",
                },
                &[("points", &score.points())],
            ),
            theme.title(),
        )];
        lines.push(Line::raw(format!(
            " {}: {}",
            crate::safe_text::line(&self.session.rule),
            match card.kind {
                training::CardKind::Alert => t("train.kind_alert"),
                training::CardKind::NearMiss => t("train.kind_near_miss"),
                training::CardKind::Benign => t("train.kind_benign"),
            }
        )));
        if !score.missed.is_empty() {
            lines.push(Line::raw(tf(
                "train.missed",
                &[("names", &crate::safe_text::line(&score.missed.join(", ")))],
            )));
        }
        if !score.wrong.is_empty() {
            lines.push(Line::raw(tf(
                "train.wrong_names",
                &[("names", &crate::safe_text::line(&score.wrong.join(", ")))],
            )));
        }
        let in_script: Vec<&crate::glossary::Entry> = card
            .choices
            .iter()
            .filter_map(|c| crate::glossary::lookup(c))
            .collect();
        if !in_script.is_empty() {
            lines.push(Line::raw(""));
            lines.push(Line::styled(t("train.glossary"), theme.title()));
        }
        for e in in_script {
            lines.push(Line::from(vec![
                Span::styled(format!(" {} ", e.term), theme.title()),
                Span::styled(
                    tf(
                        "train.glossary_group",
                        &[("group", &e.group_label()), ("attack", &e.attack_line())],
                    ),
                    theme.dim(),
                ),
            ]));
            lines.extend(
                wrap::wrap_step("   ", e.summary_text(), width)
                    .into_iter()
                    .map(Line::raw),
            );
        }
        lines.push(Line::raw(""));
        lines.push(Line::styled(
            if card.fires() {
                t("train.why_fires")
            } else {
                t("train.why_not")
            },
            theme.title(),
        ));
        detail::tree(&card.explanation, 0, theme, &mut lines);
        f.render_widget(
            Paragraph::new(wrap::wrap_lines(lines, area.width.saturating_sub(2)))
                .scroll((self.scroll, 0))
                .block(
                    Block::default()
                        .borders(Borders::ALL)
                        .title(t("train.truth")),
                ),
            area,
        );
    }

    fn render_done(&self, f: &mut Frame, area: Rect) {
        let points: u32 = self.scores.iter().map(CardScore::points).sum();
        let mut lines = vec![
            Line::styled(
                tf(
                    "train.total",
                    &[
                        ("points", &points),
                        ("max", &(2 * self.scores.len())),
                        ("n", &self.scores.len()),
                    ],
                ),
                self.theme.title(),
            ),
            Line::raw(""),
        ];
        for (i, s) in self.scores.iter().enumerate() {
            let mut text = format!(
                " {:>2}. {} {}/2",
                i + 1,
                if s.verdict_right { "✓" } else { "✗" },
                s.points()
            );
            if !s.missed.is_empty() {
                text.push_str(&tf("train.done_missed", &[("names", &s.missed.join(", "))]));
            }
            if !s.wrong.is_empty() {
                text.push_str(&tf("train.done_wrong", &[("names", &s.wrong.join(", "))]));
            }
            // Rule names come from rule files: made safe like log text.
            lines.push(Line::raw(crate::safe_text::line(&text).into_owned()));
        }
        if let Some(m) = &self.message {
            lines.push(Line::raw(""));
            lines.push(Line::styled(
                format!(" {}", crate::safe_text::line(m)),
                self.theme.dim(),
            ));
        }
        f.render_widget(
            Paragraph::new(lines).block(
                Block::default()
                    .borders(Borders::ALL)
                    .title(t("train.score")),
            ),
            area,
        );
    }
}

/// Runs `app` on the terminal until the trainee quits; `save` keeps a finished (or stopped)
/// session and says where. Returns where the session was saved, if it was.
pub fn run(
    app: &mut TrainApp,
    save: &mut dyn FnMut(Session) -> Result<std::path::PathBuf, String>,
) -> anyhow::Result<Option<std::path::PathBuf>> {
    use crossterm::event::{self, Event, KeyEventKind};
    // A bug must not leave the trainee's terminal in raw mode.
    let previous_hook = std::panic::take_hook();
    std::panic::set_hook(Box::new(move |info| {
        super::restore_terminal();
        previous_hook(info);
    }));
    crossterm::terminal::enable_raw_mode()?;
    crossterm::execute!(std::io::stdout(), crossterm::terminal::EnterAlternateScreen)?;
    let mut session_loop = || -> anyhow::Result<Option<std::path::PathBuf>> {
        let backend = ratatui::backend::CrosstermBackend::new(std::io::stdout());
        let mut terminal = ratatui::Terminal::new(backend)?;
        let mut saved = None;
        while !app.quit {
            terminal.draw(|f| app.render(f))?;
            let Event::Key(key) = event::read()? else {
                continue;
            };
            if key.kind != KeyEventKind::Press {
                continue;
            }
            for effect in app.update(key) {
                let Effect::Save(session) = effect;
                app.message = Some(match save(session) {
                    Ok(path) => {
                        let said = tf("train.saved", &[("path", &path.display())]);
                        saved = Some(path);
                        said
                    }
                    Err(e) => tf("train.not_saved", &[("why", &e)]),
                });
            }
        }
        Ok(saved)
    };
    let result = session_loop();
    super::restore_terminal();
    result
}
