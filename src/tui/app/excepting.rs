//! The exceptions' part of `App`: marking the alerts an item suppresses, the draft made from an
//! alert (`x`), its save, and showing or hiding suppressed alerts (`X`).

use super::super::exception_draft::{self, DraftOutcome, ExceptionDraft};
use super::*;
use crate::i18n::{t, tf};

impl App {
    /// Marks the alerts of `ws` that an item in force suppresses, and runs the rules over
    /// alerts on the rest.
    pub(super) fn mark_suppressed(&self, ws: &mut Workspace) {
        let now = crate::exceptions::now_ms();
        let (rules, analyzer) = (&ws.rules, ws.analyzer);
        crate::detect::mark_and_correlate(&mut ws.alerts, rules, analyzer, &self.exceptions, now);
    }

    /// `x`: an exception proposed from the selected alert.
    pub(super) fn propose_exception(&mut self) {
        if let Some(why) = &self.read_only {
            self.message = Some(tf("msg.read_only", &[("why", why)]));
            return;
        }
        let draft = match (self.workspace(), self.current()) {
            (Some(ws), Some(i)) => ExceptionDraft::propose(ws, i),
            _ => None,
        };
        match draft {
            Some(d) => self.draft = Some(d),
            None => self.message = Some(t("msg.no_exception_field").to_owned()),
        }
    }

    pub(super) fn draft_key(&mut self, d: ExceptionDraft, key: KeyEvent, now: i64) -> Vec<Effect> {
        let Some(ws) = self.workspace() else {
            return Vec::new();
        };
        let now_iso = crate::ecs::format_millis(now);
        match exception_draft::update(d, key, ws, &now_iso) {
            DraftOutcome::Open(d) => self.draft = Some(*d),
            DraftOutcome::Cancelled => {}
            DraftOutcome::Save(item) => return vec![Effect::SaveException(item)],
        }
        Vec::new()
    }

    /// The item is in the case's list now: it applies from here on.
    pub(super) fn exception_saved(&mut self, result: Result<Box<crate::exceptions::Item>, String>) {
        let item = match result {
            Ok(item) => *item,
            Err(why) => {
                self.message = Some(tf("msg.exception_not_saved", &[("why", &why)]));
                return;
            }
        };
        let id = item.item_id.clone();
        let name = item.name.clone();
        self.exceptions.add_item(item);
        // Marking again is what a later loading phase does: the same merge, with nothing new.
        self.later_phase(|_| {});
        let suppressed = self.workspace().map_or(0, |ws| {
            crate::exceptions::tally(&ws.alerts)
                .iter()
                .find(|(s, _)| s.item_id == id)
                .map_or(0, |(_, n)| *n)
        });
        self.message = Some(tf(
            "msg.exception_saved",
            &[("name", &format!("{name:?}")), ("n", &suppressed)],
        ));
    }

    /// `X`: suppressed alerts listed (marked) or left out.
    pub(super) fn toggle_suppressed(&mut self) {
        self.list.show_suppressed = !self.list.show_suppressed;
        self.message = Some(
            if self.list.show_suppressed {
                t("msg.suppressed_shown")
            } else {
                t("msg.suppressed_hidden")
            }
            .to_owned(),
        );
        self.refresh_rows();
    }
}
