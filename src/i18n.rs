//! The interface's language and its message catalogue: every string the user reads on a screen
//! or in a report heading is looked up here by key (`t`, `tf`), in English or Chinese.
//!
//! The catalogue is two TOML files compiled in (`assets/i18n/en.toml`, `assets/i18n/zh.toml`)
//! with the same keys; tests fail when a key is in one and not the other, when their `{name}`
//! placeholders differ, or when the code asks for a key neither has. Rule guides and glossary
//! entries carry their own Chinese text beside the English (`rule::translation`, `glossary`).
//!
//! The language is chosen once per process (`set`, from `--lang` or the locale variables); a
//! thread can override it for its own work (`Scoped`), which is how one test process renders
//! both languages side by side. Must not hold data values: what is saved or exported (statuses,
//! reasons, field names) stays in its stable English form and is only *shown* through here.

use std::cell::Cell;
use std::collections::HashMap;
use std::fmt::Display;
use std::sync::atomic::{AtomicU8, Ordering};
use std::sync::OnceLock;

/// An interface language.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum Lang {
    #[default]
    En,
    Zh,
}

impl Lang {
    pub const ALL: [Lang; 2] = [Lang::En, Lang::Zh];

    /// `en` or `zh`.
    pub fn code(self) -> &'static str {
        match self {
            Lang::En => "en",
            Lang::Zh => "zh",
        }
    }

    /// The language a POSIX locale name asks for: `zh_CN.UTF-8`, `zh_TW`, `zh` → Chinese; any
    /// other non-empty name → English; empty → no opinion.
    pub fn from_locale(locale: &str) -> Option<Lang> {
        let locale = locale.trim();
        if locale.is_empty() {
            return None;
        }
        let lower = locale.to_ascii_lowercase();
        Some(if lower.starts_with("zh") {
            Lang::Zh
        } else {
            Lang::En
        })
    }

    /// The language of the environment: the first of `LC_ALL`, `LC_MESSAGES`, `LANG` that is set
    /// and non-empty decides (POSIX's order of precedence); none → English.
    pub fn from_env_vars(get: impl Fn(&str) -> Option<String>) -> Lang {
        ["LC_ALL", "LC_MESSAGES", "LANG"]
            .iter()
            .find_map(|name| get(name).and_then(|v| Lang::from_locale(&v)))
            .unwrap_or_default()
    }

    /// `from_env_vars` on this process's environment.
    pub fn from_env() -> Lang {
        Lang::from_env_vars(|name| std::env::var(name).ok())
    }
}

impl std::str::FromStr for Lang {
    type Err = String;
    fn from_str(s: &str) -> Result<Lang, String> {
        match s.trim().to_ascii_lowercase().as_str() {
            "en" => Ok(Lang::En),
            "zh" => Ok(Lang::Zh),
            other => Err(format!("unknown language '{other}': use en or zh")),
        }
    }
}

static PROCESS_LANG: AtomicU8 = AtomicU8::new(0);

thread_local! {
    static THREAD_LANG: Cell<Option<Lang>> = const { Cell::new(None) };
}

/// Sets the process's language (at startup, before any thread starts).
pub fn set(lang: Lang) {
    PROCESS_LANG.store(lang as u8, Ordering::Relaxed);
}

/// The language strings are looked up in on this thread.
pub fn current() -> Lang {
    THREAD_LANG.with(Cell::get).unwrap_or_else(|| {
        if PROCESS_LANG.load(Ordering::Relaxed) == Lang::Zh as u8 {
            Lang::Zh
        } else {
            Lang::En
        }
    })
}

/// This thread speaks `lang` until the guard is dropped (then what it spoke before).
pub struct Scoped {
    before: Option<Lang>,
}

impl Scoped {
    pub fn new(lang: Lang) -> Scoped {
        let before = THREAD_LANG.with(|c| c.replace(Some(lang)));
        Scoped { before }
    }
}

impl Drop for Scoped {
    fn drop(&mut self) {
        THREAD_LANG.with(|c| c.set(self.before));
    }
}

const EN: &str = include_str!("../assets/i18n/en.toml");
const ZH: &str = include_str!("../assets/i18n/zh.toml");

type Catalogue = HashMap<String, String>;

/// The parsed catalogue of `lang`: dotted keys (`list.header.time`) to text.
pub fn catalogue(lang: Lang) -> &'static Catalogue {
    static CATALOGUES: OnceLock<[Catalogue; 2]> = OnceLock::new();
    let all = CATALOGUES.get_or_init(|| {
        // Both files are part of the binary and a test parses them: a failure is a build
        // defect, and an empty catalogue then shows keys rather than crashing the terminal.
        [parse(EN).unwrap_or_default(), parse(ZH).unwrap_or_default()]
    });
    &all[lang as usize]
}

/// A catalogue file's text as dotted key → text.
pub fn parse(text: &str) -> Result<Catalogue, String> {
    let table: toml::Table = toml::from_str(text).map_err(|e| e.to_string())?;
    let mut out = Catalogue::new();
    flatten("", &table, &mut out)?;
    Ok(out)
}

fn flatten(prefix: &str, table: &toml::Table, out: &mut Catalogue) -> Result<(), String> {
    for (k, v) in table {
        let key = if prefix.is_empty() {
            k.clone()
        } else {
            format!("{prefix}.{k}")
        };
        match v {
            toml::Value::String(s) => {
                out.insert(key, s.clone());
            }
            toml::Value::Table(t) => flatten(&key, t, out)?,
            _ => return Err(format!("{key}: a message must be a string")),
        }
    }
    Ok(())
}

/// The text of `key` in the current language (the English text when the current language
/// lacks it, the key itself when both do — tests keep either from shipping).
pub fn t(key: &'static str) -> &'static str {
    catalogue(current())
        .get(key)
        .or_else(|| catalogue(Lang::En).get(key))
        .map_or(key, String::as_str)
}

/// The text of `key` with its `{name}` placeholders filled from `args`.
pub fn tf(key: &'static str, args: &[(&str, &dyn Display)]) -> String {
    fill(t(key), args)
}

/// `template` with each `{name}` replaced by the value `args` gives it (others left as they are).
pub fn fill(template: &str, args: &[(&str, &dyn Display)]) -> String {
    let mut out = String::with_capacity(template.len() + 16);
    let mut rest = template;
    while let Some(open) = rest.find('{') {
        out.push_str(&rest[..open]);
        let after = &rest[open + 1..];
        match after.find('}') {
            Some(close) => {
                let name = &after[..close];
                match args.iter().find(|(n, _)| *n == name) {
                    Some((_, v)) => out.push_str(&v.to_string()),
                    None => {
                        out.push('{');
                        out.push_str(name);
                        out.push('}');
                    }
                }
                rest = &after[close + 1..];
            }
            None => {
                out.push_str(&rest[open..]);
                rest = "";
            }
        }
    }
    out.push_str(rest);
    out
}

/// The `{name}` placeholders of a message, sorted.
pub fn placeholders(text: &str) -> Vec<&str> {
    let mut names: Vec<&str> = text
        .split('{')
        .skip(1)
        .filter_map(|s| s.split_once('}').map(|(n, _)| n))
        .filter(|n| !n.is_empty() && n.chars().all(|c| c.is_ascii_alphanumeric() || c == '_'))
        .collect();
    names.sort_unstable();
    names.dedup();
    names
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn both_catalogues_parse_and_have_the_same_keys_and_placeholders() {
        let en = parse(EN).expect("en.toml parses");
        let zh = parse(ZH).expect("zh.toml parses");
        let mut only_en: Vec<&String> = en.keys().filter(|k| !zh.contains_key(*k)).collect();
        let mut only_zh: Vec<&String> = zh.keys().filter(|k| !en.contains_key(*k)).collect();
        only_en.sort();
        only_zh.sort();
        assert!(only_en.is_empty(), "keys missing in zh.toml: {only_en:?}");
        assert!(only_zh.is_empty(), "keys missing in en.toml: {only_zh:?}");
        for (k, e) in &en {
            assert_eq!(
                placeholders(e),
                placeholders(&zh[k]),
                "{k}: the two languages fill different placeholders"
            );
            assert!(
                !e.trim().is_empty() || k.ends_with("_blank"),
                "{k} is empty"
            );
        }
    }

    #[test]
    fn a_catalogue_value_that_is_not_text_is_refused() {
        assert!(parse("[a]\nb = 1\n").unwrap_err().contains("a.b"));
        assert_eq!(parse("[a]\nb = 'x'\n").unwrap()["a.b"], "x");
    }

    #[test]
    fn locale_variables_choose_the_language_in_posix_order() {
        let env = |pairs: &'static [(&'static str, &'static str)]| {
            move |name: &str| {
                pairs
                    .iter()
                    .find(|(n, _)| *n == name)
                    .map(|(_, v)| v.to_string())
            }
        };
        assert_eq!(Lang::from_env_vars(env(&[])), Lang::En);
        assert_eq!(
            Lang::from_env_vars(env(&[("LANG", "zh_CN.UTF-8")])),
            Lang::Zh
        );
        assert_eq!(
            Lang::from_env_vars(env(&[("LANG", "zh_CN.UTF-8"), ("LC_MESSAGES", "en_US")])),
            Lang::En,
            "LC_MESSAGES outranks LANG"
        );
        assert_eq!(
            Lang::from_env_vars(env(&[("LC_MESSAGES", "en_US"), ("LC_ALL", "zh_TW.Big5")])),
            Lang::Zh,
            "LC_ALL outranks everything"
        );
        assert_eq!(
            Lang::from_env_vars(env(&[("LC_ALL", ""), ("LANG", "zh_HK")])),
            Lang::Zh,
            "an empty variable has no say"
        );
        assert_eq!(Lang::from_env_vars(env(&[("LANG", "C")])), Lang::En);
        assert_eq!("ZH".parse::<Lang>(), Ok(Lang::Zh));
        assert!("fr".parse::<Lang>().is_err());
    }

    #[test]
    fn fill_replaces_named_placeholders_and_keeps_unknown_ones() {
        assert_eq!(
            fill("{n} of {total}", &[("n", &3), ("total", &"12")]),
            "3 of 12"
        );
        assert_eq!(fill("{x} {", &[]), "{x} {");
        assert_eq!(placeholders("a {b} {c} {b} {.}"), ["b", "c"]);
    }

    #[test]
    fn a_scoped_language_is_this_threads_alone_and_ends_with_its_guard() {
        let before = current();
        {
            let _zh = Scoped::new(Lang::Zh);
            assert_eq!(current(), Lang::Zh);
            let other = std::thread::spawn(current).join().unwrap();
            assert_eq!(other, Lang::En, "other threads keep the process's language");
        }
        assert_eq!(current(), before);
    }
}
