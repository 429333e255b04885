//! The alert view's part of `App`: moving in the list and the detail tabs, triage (status,
//! close, note, ticks, bulk), merged fragments, the timeline's cursors, and the context of an
//! alert or a timeline hour for the hunt view.

use super::*;
use crate::i18n::{t, tf};

impl App {
    /// The selected alert's id.
    pub(super) fn current_alert_id(&self) -> Option<String> {
        let ws = self.workspace()?;
        self.current().map(|i| ws.alerts[i].id.clone())
    }

    /// Applies a triage action to the selected alert.
    pub(super) fn triage(&mut self, action: Action, now: i64) -> Vec<Effect> {
        let Some(id) = self.current_alert_id() else {
            return Vec::new();
        };
        if let Some(why) = &self.read_only {
            self.message = Some(tf("msg.read_only", &[("why", why)]));
            return Vec::new();
        }
        if !self.book.apply(&id, &action, now) {
            return Vec::new();
        }
        if self.list.status_filter.is_some() {
            self.refresh_rows();
        }
        self.recount();
        vec![Effect::SaveTriage]
    }

    pub(super) fn bulk(&mut self, status: Status, now: i64) -> Vec<Effect> {
        if self.read_only.is_some() {
            self.message = Some(t("msg.read_only_unchanged").to_owned());
            return Vec::new();
        }
        let ids: Vec<String> = match self.workspace() {
            Some(ws) => self
                .list
                .rows
                .iter()
                .map(|&i| ws.alerts[i].id.clone())
                .collect(),
            None => return Vec::new(),
        };
        let changed = ids
            .iter()
            .filter(|id| self.book.apply(id, &Action::SetStatus(status), now))
            .count();
        self.message = Some(tf(
            "msg.bulk_done",
            &[
                ("n", &changed),
                ("status", &crate::tui::views::status_label(status)),
            ],
        ));
        self.refresh_rows();
        self.recount();
        if changed > 0 {
            vec![Effect::SaveTriage]
        } else {
            Vec::new()
        }
    }

    pub(super) fn step_count(&self) -> usize {
        let (Some(ws), Some(i)) = (self.workspace(), self.current()) else {
            return 0;
        };
        ws.guides[ws.alerts[i].rule].current().steps.len()
    }

    /// The context of the selected alert, or of the timeline hour under the cursor when the
    /// Timeline tab has the focus.
    pub(super) fn context_of_alert(&self) -> Result<Around, String> {
        let ws = self.workspace().ok_or(t("msg.still_loading"))?;
        let i = self.current().ok_or(t("msg.no_alert"))?;
        let a = &ws.alerts[i];
        let time = a.time_ms.ok_or(t("msg.alert_no_time"))?;
        let host = a.host.clone().map(Who::Host);
        let user = a.user.clone().map(Who::User);
        let (who, other) = if self.detail.timeline_user {
            (user.clone(), host.clone())
        } else {
            (host.clone(), user.clone())
        };
        let (who, other) = match (who, other) {
            (Some(w), o) => (w, o),
            (None, Some(o)) => (o, None),
            (None, None) => return Err(t("msg.alert_no_who").into()),
        };
        let rule = &ws.rules[a.rule].meta.name;
        if self.detail_focus && self.tab() == Tab::Timeline {
            // Hour h of the window holds (end - (48 - h) h, end - (47 - h) h].
            let back = (WINDOW_HOURS - 1 - self.detail.hour.min(WINDOW_HOURS - 1)) as i64;
            let hour_end = time - back * HOUR_MS;
            return Ok(Around {
                who,
                other,
                center_ms: hour_end - HOUR_MS / 2,
                minutes: 30,
                marked: Some(a.event.source.ord),
                open_start: true,
                from: tf(
                    "context.from_hour",
                    &[("end", &crate::tui::views::time(Some(hour_end)))],
                ),
            });
        }
        Ok(Around {
            who,
            other,
            center_ms: time,
            minutes: CONTEXT_DEFAULT,
            marked: Some(a.event.source.ord),
            open_start: false,
            from: tf("context.from_alert", &[("rule", rule)]),
        })
    }

    pub(super) fn alerts_act(&mut self, act: Act, now: i64) -> Vec<Effect> {
        let detail = self.detail_focus;
        match act {
            Act::Down | Act::Up | Act::PageDown | Act::PageUp | Act::Top | Act::Bottom => {
                if !detail {
                    self.select(self.moved(self.list.selected, act));
                    return Vec::new();
                }
                match self.tab() {
                    Tab::Checklist => {
                        self.detail.checklist_cursor = self
                            .moved(self.detail.checklist_cursor, act)
                            .min(self.step_count().saturating_sub(1));
                    }
                    Tab::Timeline => {
                        self.detail.timeline_cursor = self.moved(self.detail.timeline_cursor, act)
                    }
                    _ => {
                        self.pane.scroll =
                            self.moved(self.pane.scroll as usize, act)
                                .min(u16::MAX as usize) as u16
                    }
                }
            }
            Act::Tab(n) => {
                self.detail.tab = TABS[n.min(TABS.len() - 1)];
                self.pane.scroll = 0;
            }
            Act::FilterStatus => {
                self.list.cycle_status_filter();
                self.refresh_rows();
            }
            Act::Sort => {
                self.list.cycle_sort();
                self.refresh_rows();
            }
            Act::StatusNext => {
                let Some(status) = self.current().and_then(|i| {
                    self.workspace()
                        .map(|ws| self.book.status(&ws.alerts[i].id))
                }) else {
                    return Vec::new();
                };
                let next = match status {
                    Status::Open => Status::Acknowledged,
                    Status::Acknowledged | Status::Closed => Status::Open,
                };
                return self.triage(Action::SetStatus(next), now);
            }
            Act::Close if self.current().is_some() => self.prompt = Some(Prompt::CloseReason),
            Act::Bulk if !self.list.rows.is_empty() => self.prompt = Some(Prompt::Bulk),
            Act::Exception => self.propose_exception(),
            Act::ShowSuppressed => self.toggle_suppressed(),
            Act::EditNote => {
                let Some(id) = self.current_alert_id() else {
                    return Vec::new();
                };
                let note = self
                    .book
                    .get(&id)
                    .map(|t| t.note.clone())
                    .unwrap_or_default();
                self.prompt = Some(Prompt::Note(note));
            }
            Act::Tick => {
                let Some(id) = self.current_alert_id() else {
                    return Vec::new();
                };
                let step = self.detail.checklist_cursor;
                if step >= self.step_count() {
                    return Vec::new();
                }
                let ticked = self
                    .book
                    .get(&id)
                    .is_some_and(|t| t.ticks.contains_key(&step));
                let action = if ticked {
                    Action::Untick(step)
                } else {
                    Action::Tick(step)
                };
                return self.triage(action, now);
            }
            Act::Group => {
                self.list.grouped = !self.list.grouped;
                self.refresh_rows();
            }
            Act::WholeScript => {
                self.detail.whole_script = !self.detail.whole_script;
                self.pane.scroll = 0;
                self.pane.mark = 0;
                self.rederive();
            }
            Act::HostUser if detail && self.tab() == Tab::Timeline => {
                self.detail.timeline_user = !self.detail.timeline_user;
                self.detail.timeline_cursor = 0;
                self.rederive();
            }
            Act::HourPrev => self.detail.hour = self.detail.hour.saturating_sub(1),
            Act::HourNext => self.detail.hour = (self.detail.hour + 1).min(WINDOW_HOURS - 1),
            Act::Enter if detail && self.tab() == Tab::Timeline => {
                let Some(target) = self
                    .detail
                    .derived
                    .as_ref()
                    .and_then(|d| d.timeline.window.get(self.detail.timeline_cursor))
                    .copied()
                else {
                    return Vec::new();
                };
                self.list.clear_filters();
                self.refresh_rows();
                if let Some(pos) = self.list.rows.iter().position(|&r| r == target) {
                    self.select(pos);
                    self.detail.tab = Tab::Script;
                }
            }
            _ => {}
        }
        Vec::new()
    }
}
