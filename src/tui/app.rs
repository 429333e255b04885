//! The TUI's state and its one update function: `Msg` in, state changed, `Effect`s out. No
//! terminal, no I/O, no clock here (the time comes in with the message), so key sequences are
//! tested by calling `update` directly.

use super::keymap::{self, Act, Scope};
use crate::ingest::Progress;
use crate::triage::{Action, Book, Status, CLOSING_REASONS};
use crate::workspace::Workspace;
use crossterm::event::{KeyCode, KeyEvent, MouseEvent, MouseEventKind};

/// Something that happened.
pub enum Msg {
    Key(KeyEvent, i64),
    Mouse(MouseEvent),
    Resize(u16, u16),
    Progress(Progress),
    Loaded(Box<Workspace>),
    /// The second loading phase: reassembled scripts, split-script findings, event times.
    SecondPhase(Box<crate::workspace::SecondPhaseResult>),
    Failed(String),
    /// Result of a save: `None` when it worked.
    Saved(Option<String>),
}

/// What the runner must do after an update.
#[derive(Debug, PartialEq)]
pub enum Effect {
    SaveTriage,
    CancelLoad,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Tab {
    Script,
    Timeline,
    Checklist,
    Event,
    Rule,
}

pub const TABS: [Tab; 5] = [
    Tab::Script,
    Tab::Timeline,
    Tab::Checklist,
    Tab::Event,
    Tab::Rule,
];

impl Tab {
    pub fn title(self) -> &'static str {
        match self {
            Tab::Script => "1 Script",
            Tab::Timeline => "2 Timeline",
            Tab::Checklist => "3 Checklist",
            Tab::Event => "4 Event",
            Tab::Rule => "5 Rule",
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SortKey {
    Time,
    Risk,
    Host,
}

/// A prompt that owns the keyboard until it is answered.
#[derive(Clone, Debug, PartialEq)]
pub enum Prompt {
    Search(String),
    Note(String),
    CloseReason,
    Bulk,
}

/// Loading, ready, or failed.
pub enum Phase {
    Loading(Progress),
    Ready(Box<Workspace>),
    Failed(String),
}

pub struct App {
    pub phase: Phase,
    pub book: Book,
    pub read_only: Option<String>,
    /// Indices into `alerts`, filtered and sorted.
    pub rows: Vec<usize>,
    /// One row per (rule, host, script) instead of one per fragment alert.
    pub grouped: bool,
    /// With `grouped`: how many alerts each visible row stands for (parallel to `rows`).
    pub group_sizes: Vec<usize>,
    pub selected: usize,
    pub sort: SortKey,
    pub status_filter: Option<Status>,
    pub search: String,
    pub detail_focus: bool,
    pub tab: Tab,
    pub scroll: u16,
    pub hscroll: u16,
    pub wrap: bool,
    pub mark: usize,
    pub timeline_user: bool,
    pub timeline_cursor: usize,
    pub checklist_cursor: usize,
    pub prompt: Option<Prompt>,
    pub help: bool,
    pub message: Option<String>,
    pub quit: bool,
    pub no_color: bool,
    pub size: (u16, u16),
    /// The selected alert's script, marks and timeline window (see `derived`).
    pub derived: Option<super::derived::Derived>,
    /// Show the whole reassembled script instead of the fragment.
    pub whole_script: bool,
    /// Alerts per status: open, acknowledged, closed.
    pub counts: [usize; 3],
}

impl App {
    pub fn new(book: Book, read_only: Option<String>, no_color: bool) -> App {
        App {
            phase: Phase::Loading(Progress::default()),
            message: read_only.clone(),
            book,
            read_only,
            rows: Vec::new(),
            grouped: false,
            group_sizes: Vec::new(),
            selected: 0,
            sort: SortKey::Time,
            status_filter: None,
            search: String::new(),
            detail_focus: false,
            tab: Tab::Script,
            scroll: 0,
            hscroll: 0,
            wrap: true,
            mark: 0,
            timeline_user: false,
            timeline_cursor: 0,
            checklist_cursor: 0,
            prompt: None,
            help: false,
            quit: false,
            no_color,
            size: (80, 24),
            derived: None,
            whole_script: false,
            counts: [0; 3],
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
        self.rows.get(self.selected).copied()
    }

    fn scope(&self) -> Scope {
        if !self.detail_focus {
            return Scope::Everywhere;
        }
        match self.tab {
            Tab::Script => Scope::Script,
            Tab::Checklist => Scope::Checklist,
            Tab::Timeline => Scope::Timeline,
            _ => Scope::Everywhere,
        }
    }

    /// Recomputes the visible rows from the filter and sort, keeping the selected alert.
    pub fn refresh_rows(&mut self) {
        let keep = self.current();
        let Some(ws) = self.workspace() else { return };
        let needle = self.search.to_lowercase();
        let mut rows: Vec<usize> = (0..ws.alerts.len())
            .filter(|&i| {
                let a = &ws.alerts[i];
                let status_ok = self
                    .status_filter
                    .is_none_or(|s| self.book.status(&a.id) == s);
                status_ok && (needle.is_empty() || haystack(ws, i).contains(&needle))
            })
            .collect();
        match self.sort {
            SortKey::Time => rows.sort_by_key(|&i| (ws.alerts[i].time_ms, i)),
            SortKey::Risk => rows.sort_by_key(|&i| {
                (
                    std::cmp::Reverse(ws.rules[ws.alerts[i].rule].meta.risk_score),
                    ws.alerts[i].time_ms,
                    i,
                )
            }),
            SortKey::Host => rows.sort_by(|&a, &b| {
                ws.alerts[a]
                    .host
                    .cmp(&ws.alerts[b].host)
                    .then(ws.alerts[a].time_ms.cmp(&ws.alerts[b].time_ms))
            }),
        }
        let n = rows.len();
        let (rows, sizes) = if self.grouped {
            group_by_script(ws, rows)
        } else {
            (rows, vec![1; n])
        };
        self.rows = rows;
        self.group_sizes = sizes;
        self.selected = keep
            .and_then(|k| self.rows.iter().position(|&r| r == k))
            .unwrap_or(0);
        self.selected = self.selected.min(self.rows.len().saturating_sub(1));
        self.rederive();
    }

    /// Recomputes the selected alert's derived data when the selection (or timeline mode) changed.
    fn rederive(&mut self) {
        let current = self.current();
        let by_user = self.timeline_user;
        let whole = self.whole_script;
        let fresh = match (&self.derived, current) {
            (Some(d), Some(i)) => {
                d.alert == i && d.by_user == by_user && d.requested_whole == whole
            }
            (None, None) => true,
            _ => false,
        };
        if fresh {
            return;
        }
        self.derived = match (self.workspace(), current) {
            (Some(ws), Some(i)) => Some(super::derived::compute(ws, i, by_user, whole)),
            _ => None,
        };
    }

    /// Recounts alerts per status (after a triage change).
    fn recount(&mut self) {
        let mut c = [0; 3];
        if let Phase::Ready(ws) = &self.phase {
            for a in &ws.alerts {
                c[self.book.status(&a.id) as usize] += 1;
            }
        }
        self.counts = c;
    }

    fn select(&mut self, index: usize) {
        let index = index.min(self.rows.len().saturating_sub(1));
        if index != self.selected {
            self.selected = index;
            self.scroll = 0;
            self.hscroll = 0;
            self.mark = 0;
            self.timeline_cursor = 0;
            self.checklist_cursor = 0;
            self.rederive();
        }
    }

    fn page(&self) -> usize {
        (self.size.1 as usize / 3).max(1)
    }

    /// Applies a triage action to the selected alert.
    fn triage(&mut self, action: Action, now: i64) -> Vec<Effect> {
        let Some(i) = self.current() else {
            return Vec::new();
        };
        let Some(id) = self.workspace().map(|w| w.alerts[i].id.clone()) else {
            return Vec::new();
        };
        if let Some(why) = &self.read_only {
            self.message = Some(format!("read-only: {why}"));
            return Vec::new();
        }
        if self.book.apply(&id, &action, now) {
            if self.status_filter.is_some() {
                self.refresh_rows();
            }
            self.recount();
            vec![Effect::SaveTriage]
        } else {
            Vec::new()
        }
    }

    /// The one update function.
    pub fn update(&mut self, msg: Msg) -> Vec<Effect> {
        match msg {
            Msg::Resize(w, h) => {
                self.size = (w, h);
                Vec::new()
            }
            Msg::Progress(p) => {
                if let Phase::Loading(_) = self.phase {
                    self.phase = Phase::Loading(p);
                }
                Vec::new()
            }
            Msg::Loaded(ws) => {
                self.phase = Phase::Ready(ws);
                self.refresh_rows();
                self.recount();
                Vec::new()
            }
            Msg::SecondPhase(result) => {
                let keep = self
                    .current()
                    .and_then(|i| self.workspace().map(|w| w.alerts[i].id.clone()));
                if let Phase::Ready(ws) = &mut self.phase {
                    ws.merge(*result);
                }
                // Indices moved: find the selected alert again by its id.
                self.derived = None;
                self.rows.clear();
                self.refresh_rows();
                if let (Some(id), Some(ws)) = (keep, self.workspace()) {
                    if let Some(pos) = self.rows.iter().position(|&r| ws.alerts[r].id == id) {
                        self.selected = pos;
                    }
                }
                self.derived = None;
                self.rederive();
                self.recount();
                Vec::new()
            }
            Msg::Failed(e) => {
                self.phase = Phase::Failed(e);
                Vec::new()
            }
            Msg::Saved(result) => {
                self.message = result;
                Vec::new()
            }
            Msg::Mouse(m) => {
                match m.kind {
                    MouseEventKind::ScrollDown => return self.act(Act::Down, 0),
                    MouseEventKind::ScrollUp => return self.act(Act::Up, 0),
                    MouseEventKind::Down(_) => {
                        // The list starts below the 2-line header and its own border + title row.
                        let row = m.row as usize;
                        let first = 4;
                        let list_height = self.list_height();
                        if row >= first && row < first + list_height {
                            let offset = self.list_offset(list_height);
                            self.detail_focus = false;
                            self.select(offset + row - first);
                        } else if row >= first + list_height {
                            self.detail_focus = true;
                        }
                    }
                    _ => {}
                }
                Vec::new()
            }
            Msg::Key(key, now) => self.key(key, now),
        }
    }

    /// Rows of the alert table that are visible (used by render and mouse hits).
    pub fn list_height(&self) -> usize {
        let body = self.size.1.saturating_sub(3) as usize;
        (body * 2 / 5).saturating_sub(3).max(1)
    }

    /// First visible row so the selection stays on screen.
    pub fn list_offset(&self, height: usize) -> usize {
        self.selected.saturating_sub(height.saturating_sub(1))
    }

    fn key(&mut self, key: KeyEvent, now: i64) -> Vec<Effect> {
        if let Some(prompt) = self.prompt.take() {
            return self.prompt_key(prompt, key, now);
        }
        if self.help {
            self.help = false;
            return Vec::new();
        }
        if let Phase::Loading(_) = self.phase {
            if matches!(keymap::lookup(key, Scope::Everywhere), Some(Act::Quit)) {
                self.quit = true;
                return vec![Effect::CancelLoad];
            }
            return Vec::new();
        }
        match keymap::lookup(key, self.scope()) {
            Some(act) => self.act(act, now),
            None => Vec::new(),
        }
    }

    fn prompt_key(&mut self, prompt: Prompt, key: KeyEvent, now: i64) -> Vec<Effect> {
        match prompt {
            Prompt::Search(mut text) => {
                match key.code {
                    KeyCode::Enter => {}
                    KeyCode::Esc => {
                        self.search.clear();
                        self.refresh_rows();
                    }
                    KeyCode::Backspace => {
                        text.pop();
                        self.search = text.clone();
                        self.refresh_rows();
                        self.prompt = Some(Prompt::Search(text));
                    }
                    KeyCode::Char(c) => {
                        text.push(c);
                        self.search = text.clone();
                        self.refresh_rows();
                        self.prompt = Some(Prompt::Search(text));
                    }
                    _ => self.prompt = Some(Prompt::Search(text)),
                }
                Vec::new()
            }
            Prompt::Note(mut text) => match key.code {
                KeyCode::Esc => Vec::new(),
                KeyCode::Char('s')
                    if key
                        .modifiers
                        .contains(crossterm::event::KeyModifiers::CONTROL) =>
                {
                    self.triage(Action::SetNote(text), now)
                }
                KeyCode::Enter => {
                    text.push('\n');
                    self.prompt = Some(Prompt::Note(text));
                    Vec::new()
                }
                KeyCode::Backspace => {
                    text.pop();
                    self.prompt = Some(Prompt::Note(text));
                    Vec::new()
                }
                KeyCode::Char(c) => {
                    text.push(c);
                    self.prompt = Some(Prompt::Note(text));
                    Vec::new()
                }
                _ => {
                    self.prompt = Some(Prompt::Note(text));
                    Vec::new()
                }
            },
            Prompt::CloseReason => match key.code {
                KeyCode::Char(c @ '1'..='5') => {
                    let reason = CLOSING_REASONS[c as usize - '1' as usize].to_owned();
                    self.triage(Action::Close(reason), now)
                }
                _ => Vec::new(),
            },
            Prompt::Bulk => {
                let status = match key.code {
                    KeyCode::Char('o') => Status::Open,
                    KeyCode::Char('a') => Status::Acknowledged,
                    _ => return Vec::new(),
                };
                if self.read_only.is_some() {
                    self.message = Some("read-only: nothing changed".into());
                    return Vec::new();
                }
                let ids: Vec<String> = match self.workspace() {
                    Some(ws) => self.rows.iter().map(|&i| ws.alerts[i].id.clone()).collect(),
                    None => return Vec::new(),
                };
                let changed = ids
                    .iter()
                    .filter(|id| self.book.apply(id, &Action::SetStatus(status), now))
                    .count();
                self.message = Some(format!("{changed} alerts set to {}", status.name()));
                self.refresh_rows();
                self.recount();
                if changed > 0 {
                    vec![Effect::SaveTriage]
                } else {
                    Vec::new()
                }
            }
        }
    }

    fn step_count(&self) -> usize {
        let (Some(ws), Some(i)) = (self.workspace(), self.current()) else {
            return 0;
        };
        ws.guides[ws.alerts[i].rule].steps.len()
    }

    fn act(&mut self, act: Act, now: i64) -> Vec<Effect> {
        let detail = self.detail_focus;
        match act {
            Act::Quit => {
                self.quit = true;
            }
            Act::Help => self.help = true,
            Act::Down | Act::Up | Act::PageDown | Act::PageUp | Act::Top | Act::Bottom => {
                let step: isize = match act {
                    Act::Down => 1,
                    Act::Up => -1,
                    Act::PageDown => self.page() as isize,
                    Act::PageUp => -(self.page() as isize),
                    Act::Top => isize::MIN / 2,
                    _ => isize::MAX / 2,
                };
                if !detail {
                    let target = (self.selected as isize).saturating_add(step).max(0) as usize;
                    self.select(target);
                } else {
                    match self.tab {
                        Tab::Checklist => {
                            let n = self.step_count();
                            self.checklist_cursor =
                                ((self.checklist_cursor as isize).saturating_add(step).max(0)
                                    as usize)
                                    .min(n.saturating_sub(1));
                        }
                        Tab::Timeline => {
                            self.timeline_cursor = (self.timeline_cursor as isize)
                                .saturating_add(step)
                                .max(0) as usize;
                        }
                        _ => {
                            self.scroll = ((self.scroll as isize)
                                .saturating_add(step)
                                .clamp(0, u16::MAX as isize))
                                as u16;
                        }
                    }
                }
            }
            Act::FocusNext | Act::FocusPrev => self.detail_focus = !self.detail_focus,
            Act::Tab(n) => {
                self.tab = TABS[n.min(4)];
                self.scroll = 0;
            }
            Act::Search => self.prompt = Some(Prompt::Search(self.search.clone())),
            Act::FilterStatus => {
                self.status_filter = match self.status_filter {
                    None => Some(Status::Open),
                    Some(Status::Open) => Some(Status::Acknowledged),
                    Some(Status::Acknowledged) => Some(Status::Closed),
                    Some(Status::Closed) => None,
                };
                self.refresh_rows();
            }
            Act::Sort => {
                self.sort = match self.sort {
                    SortKey::Time => SortKey::Risk,
                    SortKey::Risk => SortKey::Host,
                    SortKey::Host => SortKey::Time,
                };
                self.refresh_rows();
            }
            Act::StatusNext => {
                let Some(ws) = self.workspace() else {
                    return Vec::new();
                };
                let Some(i) = self.current() else {
                    return Vec::new();
                };
                let next = match self.book.status(&ws.alerts[i].id) {
                    Status::Open => Status::Acknowledged,
                    Status::Acknowledged | Status::Closed => Status::Open,
                };
                return self.triage(Action::SetStatus(next), now);
            }
            Act::Close => {
                if self.current().is_some() {
                    self.prompt = Some(Prompt::CloseReason);
                }
            }
            Act::Bulk => {
                if !self.rows.is_empty() {
                    self.prompt = Some(Prompt::Bulk);
                }
            }
            Act::EditNote => {
                let Some(ws) = self.workspace() else {
                    return Vec::new();
                };
                let Some(i) = self.current() else {
                    return Vec::new();
                };
                let note = self
                    .book
                    .get(&ws.alerts[i].id)
                    .map(|t| t.note.clone())
                    .unwrap_or_default();
                self.prompt = Some(Prompt::Note(note));
            }
            Act::Tick => {
                let Some(ws) = self.workspace() else {
                    return Vec::new();
                };
                let Some(i) = self.current() else {
                    return Vec::new();
                };
                if self.checklist_cursor >= self.step_count() {
                    return Vec::new();
                }
                let ticked = self
                    .book
                    .get(&ws.alerts[i].id)
                    .is_some_and(|t| t.ticks.contains_key(&self.checklist_cursor));
                let action = if ticked {
                    Action::Untick(self.checklist_cursor)
                } else {
                    Action::Tick(self.checklist_cursor)
                };
                return self.triage(action, now);
            }
            Act::NextMark | Act::PrevMark => {
                let n = self
                    .current()
                    .and(self.derived.as_ref().map(|d| d.marks.len()))
                    .unwrap_or(0);
                if n > 0 {
                    self.mark = if act == Act::NextMark {
                        (self.mark + 1) % n
                    } else {
                        (self.mark + n - 1) % n
                    };
                    self.scroll = self.mark_line();
                }
            }
            Act::Wrap => self.wrap = !self.wrap,
            Act::Group => {
                self.grouped = !self.grouped;
                self.refresh_rows();
            }
            Act::WholeScript => {
                self.whole_script = !self.whole_script;
                self.scroll = 0;
                self.mark = 0;
                self.rederive();
            }
            Act::Left => self.hscroll = self.hscroll.saturating_sub(8),
            Act::Right => {
                if !self.wrap {
                    self.hscroll = self.hscroll.saturating_add(8);
                }
            }
            Act::HostUser => {
                self.timeline_user = !self.timeline_user;
                self.timeline_cursor = 0;
                self.rederive();
            }
            Act::Enter => {
                if self.tab == Tab::Timeline && detail {
                    if let Some(target) = self
                        .derived
                        .as_ref()
                        .and_then(|d| d.window.get(self.timeline_cursor))
                        .copied()
                    {
                        self.search.clear();
                        self.status_filter = None;
                        self.refresh_rows();
                        if let Some(pos) = self.rows.iter().position(|&r| r == target) {
                            self.select(pos);
                            self.tab = Tab::Script;
                        }
                    }
                }
            }
        }
        Vec::new()
    }

    /// The script line of the current mark.
    fn mark_line(&self) -> u16 {
        let Some(d) = &self.derived else { return 0 };
        let Some(&(start, _, _)) = d.marks.get(self.mark) else {
            return 0;
        };
        d.text
            .get(..start)
            .map(|s| s.matches('\n').count() as u16)
            .unwrap_or(0)
            .saturating_sub(2)
    }
}

/// Keeps the first row of each (rule, host, script block id) and counts the rows it stands for;
/// alerts without a script block id stay alone.
fn group_by_script(ws: &Workspace, rows: Vec<usize>) -> (Vec<usize>, Vec<usize>) {
    let mut first: std::collections::HashMap<(usize, String, String), usize> =
        std::collections::HashMap::new();
    let mut out: Vec<usize> = Vec::new();
    let mut sizes: Vec<usize> = Vec::new();
    for i in rows {
        let a = &ws.alerts[i];
        let id =
            crate::ecs::Fields::of_lenient(&a.event.doc).first(crate::ecs::names::SCRIPT_BLOCK_ID);
        match id {
            Some(id) => {
                let key = (a.rule, a.host.clone().unwrap_or_default(), id);
                match first.get(&key) {
                    Some(&pos) => sizes[pos] += 1,
                    None => {
                        first.insert(key, out.len());
                        out.push(i);
                        sizes.push(1);
                    }
                }
            }
            None => {
                out.push(i);
                sizes.push(1);
            }
        }
    }
    (out, sizes)
}

/// What free-text search looks at for alert `i`.
fn haystack(ws: &Workspace, i: usize) -> String {
    let a = &ws.alerts[i];
    format!(
        "{} {} {} {} {}",
        a.host.as_deref().unwrap_or(""),
        a.user.as_deref().unwrap_or(""),
        ws.rules[a.rule].meta.name,
        a.matched_terms.join(" "),
        a.event.source
    )
    .to_lowercase()
}

/// For tests: the triage status names of the visible rows.
pub fn statuses(app: &App) -> Vec<&'static str> {
    let Some(ws) = app.workspace() else {
        return Vec::new();
    };
    app.rows
        .iter()
        .map(|&i| app.book.status(&ws.alerts[i].id).name())
        .collect()
}
