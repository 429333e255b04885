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
    /// Catalogue key of the `?` overlay's line (`keys.…`).
    pub help: &'static str,
    /// Catalogue key of the footer's word (`hints.…`), for a binding the footer shows.
    pub hint: Option<&'static str>,
}

impl Binding {
    /// The `?` overlay's line for this binding, in the current language.
    pub fn help_text(&self) -> &'static str {
        crate::i18n::t(self.help)
    }
}

const fn b(
    keys: &'static str,
    act: Act,
    scope: Scope,
    help: &'static str,
    hint: Option<&'static str>,
) -> Binding {
    Binding {
        keys,
        act,
        scope,
        help,
        hint,
    }
}

/// Every binding.
pub const KEYMAP: &[Binding] = &[
    b("j ↓", Act::Down, Scope::Everywhere, "keys.down", None),
    b("k ↑", Act::Up, Scope::Everywhere, "keys.up", None),
    b("g Home", Act::Top, Scope::Everywhere, "keys.top", None),
    b("G End", Act::Bottom, Scope::Everywhere, "keys.bottom", None),
    b(
        "Ctrl-d PgDn",
        Act::PageDown,
        Scope::Everywhere,
        "keys.page_down",
        None,
    ),
    b(
        "Ctrl-u PgUp",
        Act::PageUp,
        Scope::Everywhere,
        "keys.page_up",
        None,
    ),
    b(
        "Tab",
        Act::FocusNext,
        Scope::Everywhere,
        "keys.focus_next",
        Some("hints.focus_next"),
    ),
    b(
        "Shift-Tab",
        Act::FocusPrev,
        Scope::Everywhere,
        "keys.focus_prev",
        None,
    ),
    b(
        "1-6",
        Act::Tab(0),
        Scope::Everywhere,
        "keys.tab",
        Some("hints.tab"),
    ),
    b(
        "/",
        Act::Search,
        Scope::Everywhere,
        "keys.search",
        Some("hints.search"),
    ),
    b(
        "f",
        Act::FilterStatus,
        Scope::Alerts,
        "keys.filter_status",
        Some("hints.filter_status"),
    ),
    b(
        "o",
        Act::Sort,
        Scope::Alerts,
        "keys.sort",
        Some("hints.sort"),
    ),
    b("m", Act::Group, Scope::Alerts, "keys.group", None),
    b(
        "s",
        Act::StatusNext,
        Scope::Alerts,
        "keys.status_next",
        Some("hints.status_next"),
    ),
    b(
        "c",
        Act::Close,
        Scope::Alerts,
        "keys.close",
        Some("hints.close"),
    ),
    b("B", Act::Bulk, Scope::Alerts, "keys.bulk", None),
    b(
        "e",
        Act::EditNote,
        Scope::Alerts,
        "keys.edit_note",
        Some("hints.edit_note"),
    ),
    b("x", Act::Exception, Scope::Alerts, "keys.exception", None),
    b(
        "X",
        Act::ShowSuppressed,
        Scope::Alerts,
        "keys.show_suppressed",
        None,
    ),
    b(
        "space",
        Act::Tick,
        Scope::Checklist,
        "keys.tick",
        Some("hints.tick"),
    ),
    b(
        "n",
        Act::NextMark,
        Scope::Script,
        "keys.next_mark",
        Some("hints.next_mark"),
    ),
    b("N", Act::PrevMark, Scope::Script, "keys.prev_mark", None),
    b(
        "K",
        Act::Glossary,
        Scope::Script,
        "keys.glossary",
        Some("hints.glossary"),
    ),
    b("w", Act::Wrap, Scope::Script, "keys.wrap", None),
    b(
        "a",
        Act::WholeScript,
        Scope::Script,
        "keys.whole_script",
        Some("hints.whole_script"),
    ),
    b("h ←", Act::Left, Scope::Script, "keys.left", None),
    b("l →", Act::Right, Scope::Script, "keys.right", None),
    b(
        "u",
        Act::HostUser,
        Scope::Everywhere,
        "keys.host_user",
        None,
    ),
    b(
        "[ ]",
        Act::HourPrev,
        Scope::Timeline,
        "keys.hour_prev",
        None,
    ),
    b(
        "H",
        Act::Hunt,
        Scope::Everywhere,
        "keys.hunt",
        Some("hints.hunt"),
    ),
    b(
        "C",
        Act::Context,
        Scope::Everywhere,
        "keys.context",
        Some("hints.context"),
    ),
    b("+ -", Act::Wider, Scope::Hunt, "keys.wider", None),
    b(
        "r",
        Act::Verdicts,
        Scope::Hunt,
        "keys.verdicts",
        Some("hints.verdicts"),
    ),
    b("S", Act::SaveSearch, Scope::Hunt, "keys.save_search", None),
    b("b", Act::Bookmark, Scope::Everywhere, "keys.bookmark", None),
    b("Enter", Act::Enter, Scope::Everywhere, "keys.enter", None),
    b(
        "?",
        Act::Help,
        Scope::Everywhere,
        "keys.help",
        Some("hints.help"),
    ),
    b(
        "q",
        Act::Quit,
        Scope::Everywhere,
        "keys.quit",
        Some("hints.quit"),
    ),
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
        .filter(|b| b.scope == Scope::Everywhere || scopes.contains(&b.scope))
        .filter_map(|b| Some((b.keys, crate::i18n::t(b.hint?))))
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
