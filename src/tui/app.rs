//! The TUI's state and its one update function: `Msg` in, state changed, `Effect`s out. No
//! terminal, no I/O, no clock here (the time comes in with the message), so key sequences are
//! tested by calling `update` directly. The state is split by view: the alert list (`list`),
//! the hunt view (`hunt`), the detail pane (`Detail`) and the prompts (`prompt`); this module
//! routes keys to them and carries out what they answer.

use super::derived::{self, WINDOW_HOURS};
use super::hunt::{Around, HuntTab, HuntView, Source, CONTEXT_DEFAULT, HUNT_TABS};
use super::keymap::{self, Act, Scope};
use super::list::AlertList;
use super::prompt::{self, Answer, Outcome, Prompt};
use crate::event::Event;
use crate::hunt::{Hunt, Results};
use crate::i18n::{t, tf};
use crate::index::Who;
use crate::ingest::Progress;
use crate::rule::kql::Expr;
use crate::saved_searches::SavedSearches;
use crate::timeline::HOUR_MS;
use crate::triage::{Action, Book, Bookmark, Status, CLOSING_REASONS};
use crate::workspace::Workspace;
use crossterm::event::{KeyEvent, MouseEvent, MouseEventKind};

/// Something that happened.
mod alerts;
mod excepting;
mod hunting;

pub enum Msg {
    Key(KeyEvent, i64),
    Mouse(MouseEvent),
    Resize(u16, u16),
    Progress(Progress),
    /// The rules are loaded and the one pass has started: a provisional workspace
    /// (`Workspace::provisional`) that `Found` grows until `Loaded` replaces it.
    Started(Box<Workspace>),
    /// Alerts the one pass has just found (in no particular order).
    Found(Vec<crate::alert::Alert>),
    /// The first phase is done: the index is committed and the alerts are final.
    Loaded(Box<Workspace>),
    /// The second loading phase: reassembled scripts, split-script findings, event times.
    SecondPhase(Box<crate::workspace::SecondPhaseResult>),
    Failed(String),
    /// Result of a save: `None` when it worked.
    Saved(Option<String>),
    /// The decoded pass: findings on decoded layers and the logged-as links (after the second).
    Decoded(Box<crate::detect::DecodedPass>),
    /// The runner's answer to `Effect::SaveException`: the item as saved, or why not.
    ExceptionSaved(Result<Box<crate::exceptions::Item>, String>),
    /// The terminal's input ended (the event loop would wait forever otherwise).
    InputClosed,
    /// A hunt's answer (`Effect::Hunt` or `Effect::Around` with this generation).
    HuntDone {
        generation: u64,
        result: Result<Results, String>,
        took_ms: u64,
    },
}

/// What the runner must do after an update.
#[derive(Debug, PartialEq)]
pub enum Effect {
    SaveTriage,
    /// Add this item to the case's exception list; answer with `Msg::ExceptionSaved`.
    SaveException(Box<crate::exceptions::Item>),
    SaveSearches,
    CancelLoad,
    /// Run a query over every event; answer with `Msg::HuntDone`.
    Hunt {
        generation: u64,
        hunt: Box<Hunt>,
    },
    /// List the events of `who` in `[from_ms, to_ms]`; answer with `Msg::HuntDone`.
    Around {
        generation: u64,
        who: Who,
        from_ms: i64,
        to_ms: i64,
    },
}

/// The two top-level views.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum View {
    Alerts,
    Hunt,
}

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Tab {
    #[default]
    Script,
    Timeline,
    Checklist,
    Event,
    Rule,
    Decoded,
}

pub const TABS: [Tab; 6] = [
    Tab::Script,
    Tab::Timeline,
    Tab::Checklist,
    Tab::Event,
    Tab::Rule,
    Tab::Decoded,
];

impl Tab {
    pub fn title(self) -> &'static str {
        match self {
            Tab::Script => t("tabs.script"),
            Tab::Timeline => t("tabs.timeline"),
            Tab::Checklist => t("tabs.checklist"),
            Tab::Event => t("tabs.event"),
            Tab::Rule => t("tabs.rule"),
            Tab::Decoded => t("tabs.decoded"),
        }
    }
}

/// Loading, ready, or failed.
pub enum Phase {
    Loading(Progress),
    Ready(Box<Workspace>),
    Failed(String),
}

/// Where the detail pane is scrolled to; shared by both views (reset when the view or the
/// selection changes).
#[derive(Clone, Copy, Debug)]
pub struct Pane {
    pub scroll: u16,
    pub hscroll: u16,
    pub wrap: bool,
    /// The mark `n` / `N` jumped to last.
    pub mark: usize,
    /// Whether the glossary entry of that mark's term is shown (`K`).
    pub glossary: bool,
}

impl Default for Pane {
    fn default() -> Self {
        Pane {
            scroll: 0,
            hscroll: 0,
            wrap: true,
            mark: 0,
            glossary: false,
        }
    }
}

/// The alert view's detail pane.
#[derive(Default)]
pub struct Detail {
    pub tab: Tab,
    pub timeline_user: bool,
    /// The alert under the cursor in the timeline's list.
    pub timeline_cursor: usize,
    /// The hour under the cursor in the timeline's chart (0 = oldest; `WINDOW_HOURS - 1` holds
    /// the alert).
    pub hour: usize,
    pub checklist_cursor: usize,
    /// Show the whole reassembled script instead of the fragment.
    pub whole_script: bool,
    /// The selected alert's script, marks and timeline window (see `derived`).
    pub derived: Option<derived::Derived>,
    /// The Decoded tab of the selected alert's event, made when the tab is shown.
    pub decoded: Option<super::layers::DecodedView>,
}

pub struct App {
    pub phase: Phase,
    pub book: Book,
    pub read_only: Option<String>,
    pub view: View,
    pub list: AlertList,
    pub detail: Detail,
    pub hunt: HuntView,
    pub pane: Pane,
    pub detail_focus: bool,
    pub prompt: Option<Prompt>,
    /// The exception being drafted from an alert (`x`), with its impact.
    pub draft: Option<super::exception_draft::ExceptionDraft>,
    /// The exception items in force (`--exceptions` files and the case's list).
    pub exceptions: crate::exceptions::Exceptions,
    /// The case's saved searches (recalled in the query prompt, added with `S`).
    pub saved: SavedSearches,
    pub help: bool,
    pub message: Option<String>,
    pub quit: bool,
    pub no_color: bool,
    pub size: (u16, u16),
}

impl App {
    pub fn new(book: Book, read_only: Option<String>, no_color: bool) -> App {
        App {
            phase: Phase::Loading(Progress::default()),
            message: read_only.clone(),
            book,
            read_only,
            view: View::Alerts,
            list: AlertList::default(),
            detail: Detail {
                hour: WINDOW_HOURS - 1,
                ..Detail::default()
            },
            hunt: HuntView::default(),
            pane: Pane::default(),
            detail_focus: false,
            prompt: None,
            draft: None,
            exceptions: crate::exceptions::Exceptions::default(),
            saved: SavedSearches::default(),
            help: false,
            quit: false,
            no_color,
            size: (80, 24),
        }
    }

    pub fn workspace(&self) -> Option<&Workspace> {
        match &self.phase {
            Phase::Ready(w) => Some(w),
            _ => None,
        }
    }

    /// The selected alert's index in `alerts`.
    pub fn current(&self) -> Option<usize> {
        self.list.current()
    }

    pub fn tab(&self) -> Tab {
        self.detail.tab
    }

    /// The keymap scopes active now.
    pub fn scopes(&self) -> Vec<Scope> {
        let mut scopes = Vec::new();
        match self.view {
            // With no alert at all (the landing), the triage keys have nothing to act on.
            View::Alerts if self.workspace().is_some_and(|w| !w.alerts.is_empty()) => {
                scopes.push(Scope::Alerts)
            }
            View::Alerts => {}
            View::Hunt => scopes.push(Scope::Hunt),
        }
        if self.detail_focus {
            match (self.view, self.tab(), self.hunt.tab) {
                (View::Alerts, Tab::Script | Tab::Decoded, _)
                | (View::Hunt, _, HuntTab::Script | HuntTab::Decoded) => scopes.push(Scope::Script),
                (View::Alerts, Tab::Checklist, _) => scopes.push(Scope::Checklist),
                (View::Alerts, Tab::Timeline, _) => scopes.push(Scope::Timeline),
                _ => {}
            }
        }
        scopes
    }

    /// Recomputes the visible rows from the filter and sort, keeping the selected alert.
    pub fn refresh_rows(&mut self) {
        if let Phase::Ready(ws) = &self.phase {
            self.list.refresh(ws, &self.book);
        }
        self.rederive();
    }

    /// Recomputes the selected alert's derived data when the selection (or timeline mode)
    /// changed.
    pub(super) fn rederive(&mut self) {
        let current = self.current();
        let (by_user, whole) = (self.detail.timeline_user, self.detail.whole_script);
        let fresh = match (&self.detail.derived, current) {
            (Some(d), Some(i)) => {
                d.alert == i && d.timeline.by_user == by_user && d.requested_whole == whole
            }
            (None, None) => true,
            _ => false,
        };
        if fresh {
            return;
        }
        self.detail.derived = match (self.workspace(), current) {
            (Some(ws), Some(i)) => Some(derived::compute(ws, i, by_user, whole)),
            _ => None,
        };
    }

    /// Recomputes the hunt detail of the selected event when it changed.
    pub(super) fn rederive_hunt(&mut self) {
        let whole = self.hunt.whole;
        let Some(found) = self.hunt.current() else {
            self.hunt.derived = None;
            return;
        };
        let ord = found.event.source.ord;
        if self
            .hunt
            .derived
            .as_ref()
            .is_some_and(|d| d.ord == ord && d.requested_whole == whole)
        {
            return;
        }
        let expr = self.hunt.hunt().map_or(Expr::All, |h| h.expr.clone());
        let derived = match self.workspace() {
            Some(ws) => derived::compute_found(ws, found, &expr, whole),
            None => return,
        };
        self.hunt.derived = Some(derived);
    }

    pub(super) fn recount(&mut self) {
        if let Phase::Ready(ws) = &self.phase {
            self.list.recount(ws, &self.book);
        }
    }

    pub(super) fn select(&mut self, index: usize) {
        let index = index.min(self.list.rows.len().saturating_sub(1));
        if index != self.list.selected {
            self.list.selected = index;
            self.pane = Pane {
                wrap: self.pane.wrap,
                ..Pane::default()
            };
            self.detail.timeline_cursor = 0;
            self.detail.hour = WINDOW_HOURS - 1;
            self.detail.checklist_cursor = 0;
            self.rederive();
        }
    }

    pub(super) fn select_found(&mut self, index: usize) {
        let index = index.min(self.hunt.len().saturating_sub(1));
        if index != self.hunt.selected {
            self.hunt.selected = index;
            self.pane = Pane {
                wrap: self.pane.wrap,
                ..Pane::default()
            };
            self.rederive_hunt();
        }
    }

    pub(super) fn page(&self) -> usize {
        (self.size.1 as usize / 3).max(1)
    }

    /// The one update function.
    pub fn update(&mut self, msg: Msg) -> Vec<Effect> {
        let effects = self.update_state(msg);
        self.refresh_decoded();
        effects
    }

    /// Makes the Decoded tab of the shown event when that tab is open and the event changed
    /// (decoding waits until someone looks: it is the costliest pane).
    fn refresh_decoded(&mut self) {
        let Phase::Ready(ws) = &self.phase else {
            return;
        };
        match self.view {
            View::Alerts if self.detail.tab == Tab::Decoded => {
                let Some(i) = self.list.current() else { return };
                let alert = &ws.alerts[i];
                let shown = self.detail.decoded.as_ref().map(|d| (d.ord, d.alert));
                if shown != Some((alert.event.source.ord, Some(i))) {
                    let event = alert.event.unpack();
                    // A decoded-layer finding's event holds the layer: peel the logged text.
                    let view = match &alert.kind {
                        crate::alert::AlertKind::Decoded { logged_text, .. } => {
                            let logged = crate::decoded::with_script_text(&event, logged_text);
                            super::layers::compute(ws, &logged)
                        }
                        _ => super::layers::compute(ws, &event),
                    };
                    self.detail.decoded = Some(super::layers::DecodedView {
                        alert: Some(i),
                        ..view
                    });
                }
            }
            View::Hunt if self.hunt.tab == HuntTab::Decoded => {
                let Some(found) = self.hunt.current() else {
                    return;
                };
                if self.hunt.decoded.as_ref().map(|d| d.ord) != Some(found.event.source.ord) {
                    self.hunt.decoded = Some(super::layers::compute(ws, &found.event));
                }
            }
            _ => {}
        }
    }

    fn update_state(&mut self, msg: Msg) -> Vec<Effect> {
        match msg {
            Msg::Resize(w, h) => self.size = (w, h),
            Msg::Progress(p) => match &mut self.phase {
                Phase::Loading(_) => self.phase = Phase::Loading(p),
                Phase::Ready(ws) if ws.loading.is_some() => ws.loading = Some(p),
                _ => {}
            },
            Msg::Started(ws) => {
                self.phase = Phase::Ready(ws);
                self.refresh_rows();
                self.recount();
            }
            Msg::Found(alerts) => self.found(alerts),
            // Replaces the provisional workspace: the same alerts, now final, plus those of the
            // rules over alerts; the selection stays on its alert.
            Msg::Loaded(ws) if matches!(self.phase, Phase::Ready(_)) => {
                self.later_phase(|old| *old = *ws)
            }
            Msg::Loaded(mut ws) => {
                self.mark_suppressed(&mut ws);
                self.phase = Phase::Ready(ws);
                self.refresh_rows();
                self.recount();
            }
            Msg::SecondPhase(result) => self.later_phase(|ws| ws.merge(*result)),
            Msg::Decoded(pass) => self.later_phase(|ws| ws.merge_decoded(*pass)),
            Msg::Failed(e) => self.phase = Phase::Failed(e),
            Msg::InputClosed => {
                self.quit = true;
                return vec![Effect::CancelLoad];
            }
            Msg::Saved(result) => self.message = result,
            Msg::ExceptionSaved(result) => self.exception_saved(result),
            Msg::HuntDone {
                generation,
                result,
                took_ms,
            } => {
                if self.hunt.finish(generation, result, took_ms) {
                    self.pane = Pane::default();
                    self.rederive_hunt();
                }
            }
            Msg::Mouse(m) => return self.mouse(m),
            Msg::Key(key, now) => return self.key(key, now),
        }
        Vec::new()
    }

    fn mouse(&mut self, m: MouseEvent) -> Vec<Effect> {
        self.list.chosen = true;
        match m.kind {
            MouseEventKind::ScrollDown => return self.act(Act::Down, 0),
            MouseEventKind::ScrollUp => return self.act(Act::Up, 0),
            MouseEventKind::Down(_) => {
                // The list starts below the header, the hunt view's query line, and the list's
                // own border + title row.
                let first = 4 + usize::from(self.view == View::Hunt);
                let height = self.list_height();
                let row = m.row as usize;
                if row >= first && row < first + height {
                    self.detail_focus = false;
                    match self.view {
                        View::Alerts => {
                            let offset = self.list_offset(height);
                            self.select(offset + row - first);
                        }
                        View::Hunt => {
                            let offset = self.hunt_offset(height);
                            self.select_found(offset + row - first);
                        }
                    }
                } else if row >= first + height {
                    self.detail_focus = true;
                }
            }
            _ => {}
        }
        Vec::new()
    }

    /// Adds alerts the one pass found while loading: marked by the exceptions, listed in
    /// place, the selection kept on its alert once the analyst has chosen one (else on the
    /// first row). The rules over alerts wait for `Loaded` (they read the whole set). The
    /// detail panes are made again: they hold positions in the alert list, which just moved.
    fn found(&mut self, mut alerts: Vec<crate::alert::Alert>) {
        let keep = self.current_alert_id();
        let Phase::Ready(ws) = &mut self.phase else {
            return;
        };
        let now = crate::exceptions::now_ms();
        self.exceptions
            .mark(&mut alerts, &ws.rules, ws.analyzer, now);
        ws.add_found(alerts);
        self.list.refresh(ws, &self.book);
        match keep {
            Some(id) if self.list.chosen => self.list.reselect(ws, &id),
            _ => self.list.selected = 0,
        }
        self.detail.derived = None;
        self.detail.decoded = None;
        self.rederive();
        self.recount();
    }

    /// True while the first pass is still reading and indexing.
    pub fn loading(&self) -> bool {
        self.workspace().is_some_and(|ws| ws.loading.is_some())
    }

    /// Merges a later loading phase into the workspace. Alerts may have been added and re-sorted,
    /// so the selected alert is found again by its id, and every derived pane is made again (a
    /// whole script, the timeline's counts or a decoded layer's links may exist now).
    fn later_phase(&mut self, merge: impl FnOnce(&mut Workspace)) {
        let keep = self.current_alert_id();
        // While loading, an alert nobody chose is only the first one found: the list then
        // opens on its first row, as if the load had finished at once.
        let follow = self.list.chosen || !self.loading();
        let mut phase = std::mem::replace(&mut self.phase, Phase::Failed(String::new()));
        if let Phase::Ready(ws) = &mut phase {
            merge(ws);
            self.mark_suppressed(ws);
        }
        self.phase = phase;
        self.detail.derived = None;
        self.detail.decoded = None;
        self.hunt.derived = None;
        self.hunt.decoded = None;
        if let Phase::Ready(ws) = &self.phase {
            self.list.refresh(ws, &self.book);
            match keep {
                Some(id) if follow => self.list.reselect(ws, &id),
                _ => self.list.selected = 0,
            }
        }
        self.rederive();
        self.rederive_hunt();
        self.recount();
    }

    /// Rows of the list that are visible (used by render and mouse hits).
    pub fn list_height(&self) -> usize {
        let body = self
            .size
            .1
            .saturating_sub(3 + u16::from(self.view == View::Hunt)) as usize;
        (body * 2 / 5).saturating_sub(3).max(1)
    }

    /// First visible row so the selection stays on screen.
    pub fn list_offset(&self, height: usize) -> usize {
        self.list.selected.saturating_sub(height.saturating_sub(1))
    }

    /// First visible row of the hunt list.
    pub fn hunt_offset(&self, height: usize) -> usize {
        self.hunt.selected.saturating_sub(height.saturating_sub(1))
    }

    fn key(&mut self, key: KeyEvent, now: i64) -> Vec<Effect> {
        if let Some(d) = self.draft.take() {
            return self.draft_key(d, key, now);
        }
        if let Some(p) = self.prompt.take() {
            let history = self.query_history();
            let outcome = prompt::update(p, key, &history);
            return self.prompt_outcome(outcome, now);
        }
        if self.help {
            self.help = false;
            return Vec::new();
        }
        if !matches!(self.phase, Phase::Ready(_)) {
            if keymap::lookup(key, &[]) == Some(Act::Quit) {
                self.quit = true;
                return vec![Effect::CancelLoad];
            }
            return Vec::new();
        }
        self.list.chosen = true;
        match keymap::lookup(key, &self.scopes()) {
            Some(act) => self.act(act, now),
            None => Vec::new(),
        }
    }

    /// What the query prompt recalls: saved searches, then this session's queries.
    fn query_history(&self) -> Vec<String> {
        let mut out: Vec<String> = Vec::new();
        for q in self
            .saved
            .searches
            .iter()
            .map(|s| &s.query)
            .chain(&self.hunt.history)
        {
            out.retain(|x| x != q);
            out.push(q.clone());
        }
        out
    }

    fn prompt_outcome(&mut self, outcome: Outcome, now: i64) -> Vec<Effect> {
        let answer = match outcome {
            Outcome::Open(p) => {
                if let Prompt::Search(text) = &p {
                    if *text != self.list.search {
                        self.list.search = text.clone();
                        self.refresh_rows();
                    }
                }
                self.prompt = Some(p);
                return Vec::new();
            }
            Outcome::Cancelled => return Vec::new(),
            Outcome::Answer(a) => a,
        };
        match answer {
            Answer::Search(text) => {
                self.list.search = text;
                self.refresh_rows();
            }
            Answer::ClearSearch => {
                self.list.search.clear();
                self.refresh_rows();
            }
            Answer::Query(text) => return self.run_query(text),
            Answer::Note(text) => return self.triage(Action::SetNote(text), now),
            Answer::Bookmark(note) => return self.save_bookmark(Some(note), now),
            Answer::RemoveBookmark => return self.save_bookmark(None, now),
            Answer::SaveSearch(name) => {
                let Some(query) = self.hunt.hunt().map(|h| h.text.clone()) else {
                    return Vec::new();
                };
                self.saved.put(&name, &query, now);
                self.message = Some(tf("msg.search_saved", &[("name", &name)]));
                return vec![Effect::SaveSearches];
            }
            Answer::Close(n) => {
                let reason = CLOSING_REASONS[n.min(CLOSING_REASONS.len() - 1)].to_owned();
                return self.triage(Action::Close(reason), now);
            }
            Answer::Bulk(ack) => {
                return self.bulk(
                    if ack {
                        Status::Acknowledged
                    } else {
                        Status::Open
                    },
                    now,
                )
            }
        }
        Vec::new()
    }

    fn act(&mut self, act: Act, now: i64) -> Vec<Effect> {
        match act {
            Act::Quit => {
                self.quit = true;
                if self.loading() {
                    return vec![Effect::CancelLoad];
                }
            }
            Act::Help => self.help = true,
            Act::FocusNext | Act::FocusPrev => self.detail_focus = !self.detail_focus,
            Act::Hunt => {
                self.view = match self.view {
                    View::Alerts => View::Hunt,
                    View::Hunt => View::Alerts,
                };
                self.detail_focus = false;
                self.pane = Pane::default();
                if self.view == View::Hunt
                    && self.hunt.listing.is_none()
                    && self.hunt.pending.is_none()
                {
                    self.prompt = Some(Prompt::Query {
                        text: self.hunt.query.clone(),
                        recalled: None,
                    });
                }
            }
            Act::Context => {
                let around = match self.view {
                    View::Alerts => self.context_of_alert(),
                    View::Hunt => self.context_of_found(),
                };
                match around {
                    Ok(a) => return self.run_around(a),
                    Err(why) => self.message = Some(why),
                }
            }
            Act::Bookmark => {
                let Some(event) = self.bookmark_target() else {
                    return Vec::new();
                };
                let note = self
                    .book
                    .bookmarks
                    .get(&event.identity())
                    .map(|b| b.note.clone())
                    .unwrap_or_default();
                self.prompt = Some(Prompt::Bookmark(note));
            }
            Act::Search => {
                self.prompt = Some(match self.view {
                    View::Alerts => Prompt::Search(self.list.search.clone()),
                    View::Hunt => Prompt::Query {
                        text: self.hunt.query.clone(),
                        recalled: None,
                    },
                })
            }
            Act::Wrap => self.pane.wrap = !self.pane.wrap,
            Act::Glossary => self.pane.glossary = !self.pane.glossary,
            Act::Left => self.pane.hscroll = self.pane.hscroll.saturating_sub(8),
            Act::Right => {
                if !self.pane.wrap {
                    self.pane.hscroll = self.pane.hscroll.saturating_add(8);
                }
            }
            Act::NextMark | Act::PrevMark => {
                let script = match self.view {
                    View::Alerts => self.detail.derived.as_ref().map(|d| &d.script),
                    View::Hunt => self.hunt.derived.as_ref().map(|d| &d.script),
                };
                let n = script.map_or(0, |s| s.marks.len());
                if n > 0 {
                    self.pane.mark = if act == Act::NextMark {
                        (self.pane.mark + 1) % n
                    } else {
                        (self.pane.mark + n - 1) % n
                    };
                    let line = script.map_or(0, |s| s.mark_line(self.pane.mark));
                    self.pane.scroll = line.saturating_sub(2);
                }
            }
            _ => {
                return match self.view {
                    View::Alerts => self.alerts_act(act, now),
                    View::Hunt => self.hunt_act(act),
                }
            }
        }
        Vec::new()
    }

    /// Moves `pos` by `act` (one, a page, to an end).
    pub(super) fn moved(&self, pos: usize, act: Act) -> usize {
        let step: isize = match act {
            Act::Down => 1,
            Act::Up => -1,
            Act::PageDown => self.page() as isize,
            Act::PageUp => -(self.page() as isize),
            Act::Top => isize::MIN / 2,
            _ => isize::MAX / 2,
        };
        (pos as isize).saturating_add(step).max(0) as usize
    }
}

/// For tests: the triage status names of the visible rows.
pub fn statuses(app: &App) -> Vec<&'static str> {
    let Some(ws) = app.workspace() else {
        return Vec::new();
    };
    app.list
        .rows
        .iter()
        .map(|&i| app.book.status(&ws.alerts[i].id).name())
        .collect()
}
