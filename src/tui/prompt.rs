//! Prompts that own the keyboard until they are answered (free-text search, the KQL query with
//! its history, a note, a bookmark note, a saved search's name, a closing reason, a bulk
//! change), and their one update: a key in, the prompt kept or an answer out. What an answer
//! does is the app's business.

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};

/// A prompt and what has been typed so far.
#[derive(Clone, Debug, PartialEq)]
pub enum Prompt {
    /// Free-text filter of the alert list, applied as it is typed.
    Search(String),
    /// A KQL query for the hunt view; `recalled` is the position in the history being shown.
    Query {
        text: String,
        recalled: Option<usize>,
    },
    /// The selected alert's note (several lines).
    Note(String),
    /// The note of a bookmark on the selected script block.
    Bookmark(String),
    /// The name to save the hunt query under.
    SaveSearch(String),
    CloseReason,
    Bulk,
}

/// What a key did to a prompt.
#[derive(Clone, Debug, PartialEq)]
pub enum Outcome {
    /// Still asking (the text may have changed).
    Open(Prompt),
    /// Closed without an answer.
    Cancelled,
    /// Answered.
    Answer(Answer),
}

#[derive(Clone, Debug, PartialEq)]
pub enum Answer {
    /// The search text as it stands (also sent while typing, to filter live).
    Search(String),
    /// Esc on the search: clear it.
    ClearSearch,
    Query(String),
    Note(String),
    Bookmark(String),
    RemoveBookmark,
    SaveSearch(String),
    /// A closing reason by its number (0-based).
    Close(usize),
    /// Bulk status: `true` acknowledged, `false` open.
    Bulk(bool),
}

fn ctrl(key: &KeyEvent, c: char) -> bool {
    key.modifiers.contains(KeyModifiers::CONTROL) && key.code == KeyCode::Char(c)
}

/// Typing into a one-line text: characters, backspace. True when the key was an edit.
fn edit(text: &mut String, key: &KeyEvent) -> bool {
    if key.modifiers.contains(KeyModifiers::CONTROL) {
        return false;
    }
    match key.code {
        KeyCode::Backspace => {
            text.pop();
            true
        }
        KeyCode::Char(c) => {
            text.push(c);
            true
        }
        _ => false,
    }
}

/// The prompt's update. `history` is what the query prompt recalls with ↑/↓ (oldest first).
pub fn update(prompt: Prompt, key: KeyEvent, history: &[String]) -> Outcome {
    match prompt {
        Prompt::Search(mut text) => match key.code {
            KeyCode::Enter => Outcome::Cancelled,
            KeyCode::Esc => Outcome::Answer(Answer::ClearSearch),
            _ if edit(&mut text, &key) => {
                // Live: the list follows the text; the prompt stays open.
                Outcome::Open(Prompt::Search(text))
            }
            _ => Outcome::Open(Prompt::Search(text)),
        },
        Prompt::Query { mut text, recalled } => match key.code {
            KeyCode::Enter => Outcome::Answer(Answer::Query(text)),
            KeyCode::Esc => Outcome::Cancelled,
            KeyCode::Up | KeyCode::Down if !history.is_empty() => {
                let last = history.len() - 1;
                let at = match (key.code, recalled) {
                    (KeyCode::Up, None) => Some(last),
                    (KeyCode::Up, Some(i)) => Some(i.saturating_sub(1)),
                    (_, Some(i)) if i < last => Some(i + 1),
                    _ => None,
                };
                let text = at.map(|i| history[i].clone()).unwrap_or_default();
                Outcome::Open(Prompt::Query { text, recalled: at })
            }
            _ => {
                edit(&mut text, &key);
                Outcome::Open(Prompt::Query { text, recalled })
            }
        },
        Prompt::Note(mut text) => match key.code {
            _ if ctrl(&key, 's') => Outcome::Answer(Answer::Note(text)),
            KeyCode::Esc => Outcome::Cancelled,
            KeyCode::Enter => {
                text.push('\n');
                Outcome::Open(Prompt::Note(text))
            }
            _ => {
                edit(&mut text, &key);
                Outcome::Open(Prompt::Note(text))
            }
        },
        Prompt::Bookmark(mut text) => match key.code {
            _ if ctrl(&key, 's') => Outcome::Answer(Answer::Bookmark(text)),
            _ if ctrl(&key, 'x') => Outcome::Answer(Answer::RemoveBookmark),
            KeyCode::Esc => Outcome::Cancelled,
            KeyCode::Enter => Outcome::Answer(Answer::Bookmark(text)),
            _ => {
                edit(&mut text, &key);
                Outcome::Open(Prompt::Bookmark(text))
            }
        },
        Prompt::SaveSearch(mut text) => match key.code {
            KeyCode::Enter if !text.trim().is_empty() => {
                Outcome::Answer(Answer::SaveSearch(text.trim().to_owned()))
            }
            KeyCode::Esc => Outcome::Cancelled,
            _ => {
                edit(&mut text, &key);
                Outcome::Open(Prompt::SaveSearch(text))
            }
        },
        Prompt::CloseReason => match key.code {
            KeyCode::Char(c @ '1'..='5') => {
                Outcome::Answer(Answer::Close(c as usize - '1' as usize))
            }
            _ => Outcome::Cancelled,
        },
        Prompt::Bulk => match key.code {
            KeyCode::Char('a') => Outcome::Answer(Answer::Bulk(true)),
            KeyCode::Char('o') => Outcome::Answer(Answer::Bulk(false)),
            _ => Outcome::Cancelled,
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn k(code: KeyCode) -> KeyEvent {
        KeyEvent::new(code, KeyModifiers::NONE)
    }

    #[test]
    fn the_query_prompt_walks_the_history_and_back_to_an_empty_line() {
        let history = vec!["first".to_owned(), "second".to_owned()];
        let mut p = Prompt::Query {
            text: String::new(),
            recalled: None,
        };
        let mut seen = Vec::new();
        for code in [
            KeyCode::Up,
            KeyCode::Up,
            KeyCode::Up,
            KeyCode::Down,
            KeyCode::Down,
        ] {
            match update(p, k(code), &history) {
                Outcome::Open(next) => {
                    if let Prompt::Query { text, .. } = &next {
                        seen.push(text.clone());
                    }
                    p = next;
                }
                other => panic!("{other:?}"),
            }
        }
        assert_eq!(seen, ["second", "first", "first", "second", ""]);
        assert_eq!(
            update(p, k(KeyCode::Char('x')), &history),
            Outcome::Open(Prompt::Query {
                text: "x".into(),
                recalled: None
            })
        );
    }

    #[test]
    fn a_bookmark_saves_on_enter_and_is_removed_with_ctrl_x() {
        let p = Prompt::Bookmark("loader".into());
        assert_eq!(
            update(p.clone(), k(KeyCode::Enter), &[]),
            Outcome::Answer(Answer::Bookmark("loader".into()))
        );
        let ctrl_x = KeyEvent::new(KeyCode::Char('x'), KeyModifiers::CONTROL);
        assert_eq!(
            update(p, ctrl_x, &[]),
            Outcome::Answer(Answer::RemoveBookmark)
        );
    }
}
