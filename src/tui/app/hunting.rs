//! The hunt view's part of `App`: running a query or a context listing (as effects the runner
//! carries out), moving through the results and their detail tabs, saving the query, and
//! bookmarks on any script block.

use super::*;
use crate::i18n::{t, tf};
use std::borrow::Cow;

impl App {
    /// Parses and starts a query; a syntax error keeps the prompt open with the error shown.
    pub(super) fn run_query(&mut self, text: String) -> Vec<Effect> {
        match Hunt::parse(&text) {
            Ok(hunt) => {
                self.view = View::Hunt;
                let hunt = Box::new(hunt);
                let generation = self.hunt.start(Source::Query(hunt.clone()));
                vec![Effect::Hunt { generation, hunt }]
            }
            Err(e) => {
                self.hunt.error = Some(e);
                self.hunt.query = text.clone();
                self.prompt = Some(Prompt::Query {
                    text,
                    recalled: None,
                });
                Vec::new()
            }
        }
    }

    /// Starts (or restarts) a context listing.
    pub(super) fn run_around(&mut self, around: Around) -> Vec<Effect> {
        self.view = View::Hunt;
        self.detail_focus = false;
        let (from_ms, to_ms) = around.span();
        let who = around.who.clone();
        let generation = self.hunt.start(Source::Around(around));
        vec![Effect::Around {
            generation,
            who,
            from_ms,
            to_ms,
        }]
    }

    /// The event a bookmark would be on: the selected hunted event or the selected alert's.
    pub(super) fn bookmark_target(&self) -> Option<Cow<'_, Event>> {
        match self.view {
            View::Hunt => self.hunt.current().map(|f| Cow::Borrowed(&f.event)),
            View::Alerts => {
                let ws = self.workspace()?;
                self.current()
                    .map(|i| Cow::Owned(ws.alerts[i].event.unpack()))
            }
        }
    }

    pub(super) fn save_bookmark(&mut self, note: Option<String>, now: i64) -> Vec<Effect> {
        if let Some(why) = &self.read_only {
            self.message = Some(tf("msg.read_only", &[("why", why)]));
            return Vec::new();
        }
        let Some(event) = self.bookmark_target() else {
            return Vec::new();
        };
        let identity = event.identity();
        let changed = match note {
            Some(note) => {
                let mark = bookmark_of(&event, note, now);
                self.book.bookmark(&identity, mark)
            }
            None => self.book.unbookmark(&identity),
        };
        if changed {
            vec![Effect::SaveTriage]
        } else {
            Vec::new()
        }
    }

    /// The context of the selected hunted event (its host, else its user).
    pub(super) fn context_of_found(&self) -> Result<Around, String> {
        let f = self.hunt.current().ok_or(t("msg.no_event"))?;
        let time = f.time_ms.ok_or(t("msg.event_no_time"))?;
        let host = f.host.clone().map(Who::Host);
        let user = f.user.clone().map(Who::User);
        let (who, other) = match (host, user) {
            (Some(h), u) => (h, u),
            (None, Some(u)) => (u, None),
            (None, None) => return Err(t("msg.event_no_who").into()),
        };
        Ok(Around {
            who,
            other,
            center_ms: time,
            minutes: CONTEXT_DEFAULT,
            marked: Some(f.event.source.ord),
            open_start: false,
            from: t("context.from_hunted").into(),
        })
    }

    pub(super) fn hunt_act(&mut self, act: Act) -> Vec<Effect> {
        match act {
            Act::Down | Act::Up | Act::PageDown | Act::PageUp | Act::Top | Act::Bottom => {
                if self.detail_focus {
                    self.pane.scroll = self
                        .moved(self.pane.scroll as usize, act)
                        .min(u16::MAX as usize) as u16;
                } else {
                    self.select_found(self.moved(self.hunt.selected, act));
                }
            }
            Act::Tab(n) => {
                if let Some(&t) = HUNT_TABS.get(n) {
                    self.hunt.tab = t;
                    self.pane.scroll = 0;
                }
            }
            Act::Enter if self.hunt.current().is_some() => self.detail_focus = true,
            Act::Verdicts => {
                self.hunt.tab = HuntTab::Rules;
                self.detail_focus = true;
                self.pane.scroll = 0;
            }
            Act::WholeScript => {
                self.hunt.whole = !self.hunt.whole;
                self.pane.scroll = 0;
                self.pane.mark = 0;
                self.rederive_hunt();
            }
            Act::SaveSearch => {
                if self.hunt.hunt().is_some_and(|h| !h.text.is_empty()) {
                    self.prompt = Some(Prompt::SaveSearch(String::new()));
                } else {
                    self.message = Some(t("msg.save_needs_query").to_owned());
                }
            }
            Act::Wider | Act::Narrower | Act::HostUser => {
                let Some(mut around) = self.hunt.around().cloned() else {
                    return Vec::new();
                };
                match act {
                    Act::HostUser => match around.other.take() {
                        Some(other) => {
                            around.other = Some(std::mem::replace(&mut around.who, other))
                        }
                        None => return Vec::new(),
                    },
                    _ => around.step(act == Act::Wider),
                }
                return self.run_around(around);
            }
            _ => {}
        }
        Vec::new()
    }
}

/// A bookmark on `event` with `note`, made at `now`.
fn bookmark_of(event: &Event, note: String, now: i64) -> Bookmark {
    let fields = crate::ecs::Fields::of_lenient(&event.doc);
    let facts = crate::alert::Facts::of(&fields);
    let excerpt: String = fields
        .first(crate::ecs::names::SCRIPT_BLOCK_TEXT)
        .unwrap_or_default()
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
        .chars()
        .take(120)
        .collect();
    Bookmark {
        note,
        at: now,
        time_ms: facts.time_ms,
        host: facts.host,
        user: facts.user,
        script_block_id: fields.first(crate::ecs::names::SCRIPT_BLOCK_ID),
        source: event.source.to_string(),
        excerpt,
        extra: Default::default(),
    }
}
