//! The one keymap table: it drives key handling, the footer hints and the `?` overlay.

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};

/// What a key does.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Act {
    Quit,
    Help,
    Down,
    Up,
    Top,
    Bottom,
    PageDown,
    PageUp,
    FocusNext,
    FocusPrev,
    Tab(usize),
    Search,
    FilterStatus,
    Sort,
    StatusNext,
    Close,
    Tick,
    EditNote,
    NextMark,
    PrevMark,
    /// The glossary entry of the mark `n`/`N` is on.
    Glossary,
    Wrap,
    WholeScript,
    Group,
    Left,
    Right,
    HostUser,
    Enter,
    Bulk,
    /// Alert list ↔ hunt view.
    Hunt,
    /// The script blocks around the selected alert (or timeline hour) in the hunt view.
    Context,
    /// Every rule's verdict on the selected hunted event.
    Verdicts,
    SaveSearch,
    Bookmark,
    Wider,
    Narrower,
    HourPrev,
    HourNext,
    /// Draft an exception item from the selected alert (impact shown before saving).
    Exception,
    /// List or leave out the alerts that exceptions suppress.
    ShowSuppressed,
}

/// Where a binding applies: everywhere, in one view (the alert list or the hunt view), or in
/// one detail pane when it has the focus.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Scope {
    Everywhere,
    Alerts,
    Hunt,
    Script,
    Checklist,
    Timeline,
}

/// One row of the table.
pub struct Binding {
    pub keys: &'static str,
    pub act: Act,
    pub scope: Scope,
    /// Its name in the catalogue: `keys.<id>` is the `?` overlay's line, `hints.<id>` the
    /// footer's word (when `hint`).
    pub id: &'static str,
    /// Shown in the footer.
    pub hint: bool,
}

impl Binding {
    /// The `?` overlay's line for this binding, in the current language.
    pub fn help(&self) -> &'static str {
        crate::i18n::t(&format!("keys.{}", self.id))
    }

    /// The footer's word for this binding, in the current language.
    pub fn hint_word(&self) -> &'static str {
        crate::i18n::t(&format!("hints.{}", self.id))
    }
}

const fn b(keys: &'static str, act: Act, scope: Scope, id: &'static str, hint: bool) -> Binding {
    Binding {
        keys,
        act,
        scope,
        id,
        hint,
    }
}

/// Every binding.
pub const KEYMAP: &[Binding] = &[
    b("j ↓", Act::Down, Scope::Everywhere, "down", false),
    b("k ↑", Act::Up, Scope::Everywhere, "up", false),
    b("g Home", Act::Top, Scope::Everywhere, "top", false),
    b("G End", Act::Bottom, Scope::Everywhere, "bottom", false),
    b(
        "Ctrl-d PgDn",
        Act::PageDown,
        Scope::Everywhere,
        "page_down",
        false,
    ),
    b(
        "Ctrl-u PgUp",
        Act::PageUp,
        Scope::Everywhere,
        "page_up",
        false,
    ),
    b("Tab", Act::FocusNext, Scope::Everywhere, "focus_next", true),
    b(
        "Shift-Tab",
        Act::FocusPrev,
        Scope::Everywhere,
        "focus_prev",
        false,
    ),
    b("1-6", Act::Tab(0), Scope::Everywhere, "tab", true),
    b("/", Act::Search, Scope::Everywhere, "search", true),
    b("f", Act::FilterStatus, Scope::Alerts, "filter_status", true),
    b("o", Act::Sort, Scope::Alerts, "sort", true),
    b("m", Act::Group, Scope::Alerts, "group", false),
    b("s", Act::StatusNext, Scope::Alerts, "status_next", true),
    b("c", Act::Close, Scope::Alerts, "close", true),
    b("B", Act::Bulk, Scope::Alerts, "bulk", false),
    b("e", Act::EditNote, Scope::Alerts, "edit_note", true),
    b("x", Act::Exception, Scope::Alerts, "exception", false),
    b(
        "X",
        Act::ShowSuppressed,
        Scope::Alerts,
        "show_suppressed",
        false,
    ),
    b("space", Act::Tick, Scope::Checklist, "tick", true),
    b("n", Act::NextMark, Scope::Script, "next_mark", true),
    b("N", Act::PrevMark, Scope::Script, "prev_mark", false),
    b("K", Act::Glossary, Scope::Script, "glossary", true),
    b("w", Act::Wrap, Scope::Script, "wrap", false),
    b("a", Act::WholeScript, Scope::Script, "whole_script", true),
    b("h ←", Act::Left, Scope::Script, "left", false),
    b("l →", Act::Right, Scope::Script, "right", false),
    b("u", Act::HostUser, Scope::Everywhere, "host_user", false),
    b("[ ]", Act::HourPrev, Scope::Timeline, "hour_prev", false),
    b("H", Act::Hunt, Scope::Everywhere, "hunt", true),
    b("C", Act::Context, Scope::Everywhere, "context", true),
    b("+ -", Act::Wider, Scope::Hunt, "wider", false),
    b("r", Act::Verdicts, Scope::Hunt, "verdicts", true),
    b("S", Act::SaveSearch, Scope::Hunt, "save_search", false),
    b("b", Act::Bookmark, Scope::Everywhere, "bookmark", false),
    b("Enter", Act::Enter, Scope::Everywhere, "enter", false),
    b("?", Act::Help, Scope::Everywhere, "help", true),
    b("q", Act::Quit, Scope::Everywhere, "quit", true),
];

/// The action of a key press where `scopes` are active (`Everywhere` always is).
pub fn lookup(key: KeyEvent, scopes: &[Scope]) -> Option<Act> {
    let ctrl = key.modifiers.contains(KeyModifiers::CONTROL);
    let act = match key.code {
        KeyCode::Char('c') if ctrl => Act::Quit,
        KeyCode::Char('d') if ctrl => Act::PageDown,
        KeyCode::Char('u') if ctrl => Act::PageUp,
        _ if ctrl => return None,
        KeyCode::Char('j') | KeyCode::Down => Act::Down,
        KeyCode::Char('k') | KeyCode::Up => Act::Up,
        KeyCode::Char('g') | KeyCode::Home => Act::Top,
        KeyCode::Char('G') | KeyCode::End => Act::Bottom,
        KeyCode::PageDown => Act::PageDown,
        KeyCode::PageUp => Act::PageUp,
        KeyCode::Tab => Act::FocusNext,
        KeyCode::BackTab => Act::FocusPrev,
        KeyCode::Char(c @ '1'..='6') => Act::Tab(c as usize - '1' as usize),
        KeyCode::Char('/') => Act::Search,
        KeyCode::Char('f') => Act::FilterStatus,
        KeyCode::Char('o') => Act::Sort,
        KeyCode::Char('s') => Act::StatusNext,
        KeyCode::Char('m') => Act::Group,
        KeyCode::Char('c') => Act::Close,
        KeyCode::Char('B') => Act::Bulk,
        KeyCode::Char('x') => Act::Exception,
        KeyCode::Char('X') => Act::ShowSuppressed,
        KeyCode::Char('e') => Act::EditNote,
        KeyCode::Char(' ') => Act::Tick,
        KeyCode::Char('n') => Act::NextMark,
        KeyCode::Char('N') => Act::PrevMark,
        KeyCode::Char('K') => Act::Glossary,
        KeyCode::Char('w') => Act::Wrap,
        KeyCode::Char('a') => Act::WholeScript,
        KeyCode::Char('h') | KeyCode::Left => Act::Left,
        KeyCode::Char('l') | KeyCode::Right => Act::Right,
        KeyCode::Char('u') => Act::HostUser,
        KeyCode::Char('[') => Act::HourPrev,
        KeyCode::Char(']') => Act::HourNext,
        KeyCode::Char('H') => Act::Hunt,
        KeyCode::Char('C') => Act::Context,
        KeyCode::Char('+') => Act::Wider,
        KeyCode::Char('-') => Act::Narrower,
        KeyCode::Char('r') => Act::Verdicts,
        KeyCode::Char('S') => Act::SaveSearch,
        KeyCode::Char('b') => Act::Bookmark,
        KeyCode::Enter => Act::Enter,
        KeyCode::Char('?') => Act::Help,
        KeyCode::Char('q') => Act::Quit,
        _ => return None,
    };
    match binding(act).map(|b| b.scope) {
        Some(Scope::Everywhere) | None => Some(act),
        Some(s) if scopes.contains(&s) => Some(act),
        Some(_) => None,
    }
}

/// The row of `act` (key pairs such as `[ ]` and `+ -` share the row of their first act).
fn binding(act: Act) -> Option<&'static Binding> {
    let act = match act {
        Act::Tab(_) => Act::Tab(0),
        Act::HourNext => Act::HourPrev,
        Act::Narrower => Act::Wider,
        other => other,
    };
    KEYMAP.iter().find(|b| b.act == act)
}

/// Footer hints where `scopes` are active.
pub fn hints(scopes: &[Scope]) -> Vec<(&'static str, &'static str)> {
    KEYMAP
        .iter()
        .filter(|b| b.hint && (b.scope == Scope::Everywhere || scopes.contains(&b.scope)))
        .map(|b| (b.keys, b.hint_word()))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_lookup_result_is_in_the_table() {
        for c in "jkgGqfo/scBme nNwahlu?123456[]HC+-rSb".chars() {
            let key = KeyEvent::new(KeyCode::Char(c), KeyModifiers::NONE);
            let all = [
                Scope::Alerts,
                Scope::Hunt,
                Scope::Script,
                Scope::Checklist,
                Scope::Timeline,
            ];
            let act = lookup(key, &all);
            assert!(act.is_some(), "{c} does nothing anywhere");
            let act = act.unwrap();
            assert!(binding(act).is_some(), "{c} → {act:?} has no row in KEYMAP");
        }
    }

    #[test]
    fn scoped_keys_only_work_in_their_pane() {
        let space = KeyEvent::new(KeyCode::Char(' '), KeyModifiers::NONE);
        assert_eq!(lookup(space, &[Scope::Checklist]), Some(Act::Tick));
        assert_eq!(lookup(space, &[Scope::Alerts, Scope::Script]), None);
        let close = KeyEvent::new(KeyCode::Char('c'), KeyModifiers::NONE);
        assert_eq!(
            lookup(close, &[Scope::Hunt]),
            None,
            "no triage keys in the hunt view"
        );
        let verdicts = KeyEvent::new(KeyCode::Char('r'), KeyModifiers::NONE);
        assert_eq!(lookup(verdicts, &[Scope::Alerts]), None);
        assert_eq!(lookup(verdicts, &[Scope::Hunt]), Some(Act::Verdicts));
    }
}
