//! The Chinese interface through its seams: every tab, the help overlay, the hunt view and a
//! training reveal drawn in Chinese at 80×24 and 120×40 (text snapshots, reviewed by hand), with
//! every row exactly as wide as the screen in display columns; checklist ticks that keep their
//! step across languages; the language chosen by `--lang` and the locale variables; stored values
//! that never change with the language; and the catalogue against the code that uses it.

use crate::support::{buffer_text, sample_app, screen};
use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use pstriage::i18n::{self, Lang, Scoped};
use pstriage::tui::app::Msg;
use std::path::{Path, PathBuf};
use std::process::Command;
use unicode_width::UnicodeWidthStr;

fn key(c: char) -> Msg {
    Msg::Key(KeyEvent::new(KeyCode::Char(c), KeyModifiers::NONE), 1_000)
}

fn code(c: KeyCode) -> Msg {
    Msg::Key(KeyEvent::new(c, KeyModifiers::NONE), 1_000)
}

/// Every row of a screen takes exactly the screen's width, and no wide character covers a
/// box's right border: wherever a row starts inside a box (`│` in column 0), its last column
/// is a border too.
fn assert_rows_fit(s: &str, w: u16) {
    for (y, row) in s.lines().enumerate() {
        assert_eq!(row.width(), usize::from(w), "row {y} is {:?}", row);
        if row.starts_with('│') {
            let last = row.chars().last().unwrap_or(' ');
            assert!(
                "│┤┐┘".contains(last),
                "row {y}'s right border is covered: {row:?}"
            );
        }
    }
}

/// Words of the English interface that must not be left in a Chinese screen.
const ENGLISH_CHROME: &[&str] = &[
    "Alerts ",
    "1 Script",
    "2 Timeline",
    "3 Checklist",
    "Rules:",
    "Possible investigation",
    "acknowledged",
    "matched terms",
    "Why it fired",
    "quit",
    "help",
    "script blocks",
];

fn assert_chinese(s: &str) {
    for english in ENGLISH_CHROME {
        assert!(!s.contains(english), "{english:?} left in English:\n{s}");
    }
}

#[test]
fn every_tab_in_chinese_at_both_sizes() {
    let _zh = Scoped::new(Lang::Zh);
    let tmp = tempfile::tempdir().unwrap();
    let (mut app, _ds) = sample_app(tmp.path());
    for _ in 0..3 {
        app.update(key('j'));
    }
    for (w, h) in [(120u16, 40u16), (80, 24)] {
        app.update(Msg::Resize(w, h));
        for n in 0..6u8 {
            app.update(key(char::from(b'1' + n)));
            let s = screen(&app, w, h);
            assert_rows_fit(&s, w);
            assert_chinese(&s);
            insta::assert_snapshot!(format!("zh_{w}x{h}_tab{}", n + 1), s);
        }
    }
    // The checklist's steps are the Chinese guide's, and the header counts in Chinese.
    app.update(Msg::Resize(120, 40));
    app.update(key('3'));
    let s = screen(&app, 120, 40);
    assert!(s.contains("可能的调查步骤") && s.contains("[ ] 1."), "{s}");
    assert!(s.contains("告警 12：") && s.contains("待处理 12"), "{s}");
}

#[test]
fn the_help_overlay_in_both_languages() {
    let tmp = tempfile::tempdir().unwrap();
    for lang in Lang::ALL {
        let _lang = Scoped::new(lang);
        let (mut app, _ds) = sample_app(tmp.path().join(lang.code()).as_path());
        for (w, h) in [(120u16, 40u16), (80, 24)] {
            app.update(Msg::Resize(w, h));
            app.update(key('?'));
            let s = screen(&app, w, h);
            assert_rows_fit(&s, w);
            insta::assert_snapshot!(format!("help_{}_{w}x{h}", lang.code()), s);
            app.update(key('?'));
        }
    }
}

#[test]
fn the_hunt_view_in_chinese() {
    let _zh = Scoped::new(Lang::Zh);
    let tmp = tempfile::tempdir().unwrap();
    let (mut app, ds) = sample_app(tmp.path());
    app.update(key('H'));
    for (w, h) in [(120u16, 40u16), (80, 24)] {
        app.update(Msg::Resize(w, h));
        let s = screen(&app, w, h);
        assert_rows_fit(&s, w);
        insta::assert_snapshot!(format!("zh_hunt_intro_{w}x{h}"), s);
    }
    if app.prompt.is_none() {
        app.update(key('/'));
    }
    for c in "VirtualAlloc".chars() {
        app.update(key(c));
    }
    let effects = app.update(code(KeyCode::Enter));
    for e in effects {
        if let pstriage::tui::app::Effect::Hunt { generation, hunt } = e {
            let result = pstriage::hunt::run(&ds, &hunt, Some(10_000));
            app.update(Msg::HuntDone {
                generation,
                result: result.map_err(|e| e.to_string()),
                took_ms: 7,
            });
        }
    }
    app.update(key('r'));
    for (w, h) in [(120u16, 40u16), (80, 24)] {
        app.update(Msg::Resize(w, h));
        let s = screen(&app, w, h);
        assert_rows_fit(&s, w);
        assert!(s.contains("狩猎：查询 VirtualAlloc"), "{s}");
        insta::assert_snapshot!(format!("zh_hunt_verdicts_{w}x{h}"), s);
    }
}

#[test]
fn a_tick_keeps_its_step_when_the_language_changes() {
    let tmp = tempfile::tempdir().unwrap();
    let (mut app, _ds) = {
        let _zh = Scoped::new(Lang::Zh);
        sample_app(tmp.path())
    };
    // Tick the second step in Chinese.
    {
        let _zh = Scoped::new(Lang::Zh);
        app.update(key('3'));
        app.update(code(KeyCode::Tab));
        app.update(key('j'));
        app.update(key(' '));
        let s = screen(&app, 120, 40);
        assert!(s.contains("[x] 2."), "{s}");
    }
    // In English the same step is ticked: the second of the English guide.
    let s = screen(&app, 120, 40);
    assert!(s.contains(" [x] 2. Walk the execution chain"), "{s}");
    assert!(s.contains(" [ ] 1. Read the script block"), "{s}");
}

#[test]
fn a_training_reveal_in_chinese() {
    use pstriage::analysis::Analyzer;
    use pstriage::training;
    use pstriage::tui::train::{Step, TrainApp};
    let _zh = Scoped::new(Lang::Zh);
    let (events, _) =
        crate::support::load(&[PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("sample-data")]);
    let rule = &pstriage::rule::bundled()[0];
    let deck = training::build_deck(&events, rule, Analyzer::Pattern, 11, 10);
    let at = deck
        .iter()
        .position(|c| c.kind == training::CardKind::Alert)
        .expect("an alert card");
    let session = training::Session {
        started: "2026-12-04T09:00:00.000Z".into(),
        rule: rule.meta.name.clone(),
        seed: 11,
        cards: Vec::new(),
    };
    let mut app = TrainApp::new(deck, "小王", session, true);
    let press = |app: &mut TrainApp, k: KeyEvent| {
        app.update(k);
    };
    for _ in 0..at {
        press(&mut app, KeyEvent::from(KeyCode::Char('n')));
        press(&mut app, KeyEvent::from(KeyCode::Enter));
        press(&mut app, KeyEvent::from(KeyCode::Enter));
    }
    let draw = |app: &mut TrainApp, w: u16, h: u16| {
        let mut t = ratatui::Terminal::new(ratatui::backend::TestBackend::new(w, h)).unwrap();
        t.draw(|f| app.render(f)).unwrap();
        buffer_text(t.backend().buffer())
    };
    let asking = draw(&mut app, 120, 40);
    assert_rows_fit(&asking, 120);
    assert!(asking.contains("规则会在这个脚本块上触发吗") && asking.contains("小王"));
    press(&mut app, KeyEvent::from(KeyCode::Char('y')));
    press(&mut app, KeyEvent::from(KeyCode::Enter));
    assert!(matches!(app.step, Step::Reveal(_)), "{:?}", app.step);
    for (w, h) in [(120u16, 40u16), (80, 24)] {
        let s = draw(&mut app, w, h);
        assert_rows_fit(&s, w);
        insta::assert_snapshot!(format!("zh_train_reveal_{w}x{h}"), s);
    }
    let s = draw(&mut app, 120, 40);
    assert!(
        s.contains("✓ 正确：规则会触发") && s.contains("为什么会触发"),
        "{s}"
    );
    assert!(s.contains("本脚本中 API 的术语表"), "{s}");
}

/// `pstriage` with `args`, the locale variables cleared and then set to `env`.
fn run(args: &[&str], env: &[(&str, &str)]) -> String {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_pstriage"));
    cmd.args(args);
    for name in ["LC_ALL", "LC_MESSAGES", "LANG"] {
        cmd.env_remove(name);
    }
    cmd.envs(env.iter().copied());
    let out = cmd.output().unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

#[test]
fn the_locale_chooses_the_language_and_lang_overrides_it() {
    let glossary = ["rules", "--glossary"];
    assert!(run(&glossary, &[]).starts_with("# API glossary"));
    assert!(run(&glossary, &[("LANG", "zh_CN.UTF-8")]).starts_with("# API 术语表"));
    assert!(
        run(&glossary, &[("LANG", "zh_CN.UTF-8"), ("LC_MESSAGES", "C")])
            .starts_with("# API glossary")
    );
    assert!(run(
        &glossary,
        &[("LANG", "en_US.UTF-8"), ("LC_ALL", "zh_TW.UTF-8")]
    )
    .starts_with("# API 术语表"));
    assert!(run(
        &["rules", "--glossary", "--lang", "en"],
        &[("LC_ALL", "zh_CN.UTF-8")]
    )
    .starts_with("# API glossary"));
    assert!(run(&["--lang", "zh", "rules", "--glossary"], &[]).starts_with("# API 术语表"));
    let bad = Command::new(env!("CARGO_BIN_EXE_pstriage"))
        .args(["--lang", "fr", "rules"])
        .output()
        .unwrap();
    assert_eq!(bad.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&bad.stderr).contains("use en or zh"));
}

#[test]
fn the_report_speaks_chinese_but_stored_values_stay_as_they_are() {
    let case = tempfile::tempdir().unwrap();
    let case_arg = case.path().to_str().unwrap();
    let sample = concat!(env!("CARGO_MANIFEST_DIR"), "/sample-data");
    run(
        &[
            "triage",
            "--all",
            "--close",
            "false_positive",
            "--case",
            case_arg,
            sample,
        ],
        &[],
    );
    let md = run(&["report", "--lang", "zh", "--case", case_arg, sample], &[]);
    assert!(md.starts_with("# 分诊报告\n"), "{md}");
    assert!(
        md.contains("| 时间 | 主机 | 用户 | 规则 | 状态 | 命中的词 |"),
        "{md}"
    );
    assert!(
        md.contains("- 状态：**已关闭**（误报）") || md.contains("- 状态: **已关闭** (误报)"),
        "{md}"
    );
    assert!(
        md.contains("可能的调查步骤") || md.contains("调查步骤（已完成 0/7）"),
        "{md}"
    );
    let json = |lang: &str| {
        run(
            &[
                "report", "--format", "json", "--lang", lang, "--case", case_arg, sample,
            ],
            &[],
        )
    };
    let (en, zh): (serde_json::Value, serde_json::Value) = (
        serde_json::from_str(&json("en")).unwrap(),
        serde_json::from_str(&json("zh")).unwrap(),
    );
    let field = |v: &serde_json::Value, k: &str| -> Vec<serde_json::Value> {
        v.as_array().unwrap().iter().map(|e| e[k].clone()).collect()
    };
    for k in ["alert_id", "status", "closing_reason", "severity", "rule"] {
        assert_eq!(
            field(&en, k),
            field(&zh, k),
            "{k} must not change with the language"
        );
    }
    assert_eq!(field(&zh, "status")[0], "closed");
    assert_eq!(field(&zh, "closing_reason")[0], "false_positive");
}

/// The keys the code asks for (`t("…")`, `tf("…"`, `label_key` strings and the keymap's keys)
/// against the catalogue: none missing, none left over.
#[test]
fn the_catalogue_holds_every_key_the_code_uses_and_no_other() {
    let text: String = crate::architecture::sources()
        .into_iter()
        .map(|(_, code)| code)
        .collect();
    let en = i18n::catalogue(Lang::En);
    // Every literal of the catalogue's dotted shape that is a key; the calls' first arguments.
    let called = regex::Regex::new(r#"\b(?:t|tf)\(\s*"([a-z0-9_.]+)""#).unwrap();
    for cap in called.captures_iter(&text) {
        assert!(
            en.contains_key(&cap[1]),
            "the code asks for {:?}, the catalogue lacks it",
            &cap[1]
        );
    }
    for b in pstriage::tui::keymap::KEYMAP {
        assert!(en.contains_key(b.help), "{}", b.help);
        if let Some(hint) = b.hint {
            assert!(en.contains_key(hint), "{hint}");
        }
    }
    for key in en.keys() {
        let used = text.contains(&format!("\"{key}\""));
        assert!(used, "{key} is in the catalogue but nothing uses it");
    }
}

/// No English is written inline in the interface's code: what the user reads comes from the
/// catalogue. Outside tests, a string literal holding a word of three letters or more must be a
/// catalogue key, a placeholder's name, a JSON key, a KQL example or one of the data values
/// listed here (rule-name affixes, severities as stored, thread names…).
#[test]
fn no_english_text_is_left_inline_in_the_interface_code() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let files = [
        "tui.rs",
        "tui/app.rs",
        "tui/app/alerts.rs",
        "tui/app/excepting.rs",
        "tui/app/hunting.rs",
        "tui/derived.rs",
        "tui/exception_draft.rs",
        "tui/hunt.rs",
        "tui/layers.rs",
        "tui/list.rs",
        "tui/prompt.rs",
        "tui/train.rs",
        "tui/views.rs",
        "tui/views/checklist.rs",
        "tui/views/decoded.rs",
        "tui/views/detail.rs",
        "tui/views/exception.rs",
        "tui/views/hunt.rs",
        "tui/views/landing.rs",
        "tui/views/script.rs",
        "tui/views/timeline.rs",
        "report.rs",
        "nearmiss.rs",
        "glossary.rs",
        "training.rs",
        "labels.rs",
    ];
    let allowed: &[&str] = &[
        "NO_COLOR",
        "main",
        "pstriage-loader",
        "pstriage: {}",
        "pstriage-{}-{}",
        "draft",
        " pstriage ",
        "Potential ",
        " via PowerShell",
        "PowerShell ",
        " KQL › {}",
        "ATT&CK",
        "ATT&CK {}",
        "{}.json",
        "../assets/glossary.toml",
        "access/allocate",
        "write/execute",
        "low",
        "medium",
        "high",
        "critical",
        "false_positive",
        "duplicate",
        "true_positive",
        "benign_positive",
        "other",
    ];
    let literal = regex::Regex::new(r#""((?:[^"\\]|\\.)*)""#).unwrap();
    // Catalogue lookups, placeholder names (`("name", &value)`, or alone on a line of a tuple
    // split over lines), JSON keys and values (`"key": "value"`) and JSON lookups (`e["key"]`).
    let not_text = regex::Regex::new(
        r#"\b(?:t|tf)\(\s*"[^"]*"|\(\s*"[a-z_]+",|^\s*"[a-z_]+",\s*$|"[a-z_]+":\s*("[a-z_]+")?|\["[a-z_]+"\]"#,
    )
    .unwrap();
    let word = regex::Regex::new(r"[A-Za-z]{3,}").unwrap();
    let placeholder = regex::Regex::new(r"\{[^}]*\}").unwrap();
    let key_shaped = regex::Regex::new(r"^[a-z0-9_]+(\.[a-z0-9_]+)+$").unwrap();
    let mut found = Vec::new();
    for file in files {
        let text = std::fs::read_to_string(root.join(file)).unwrap();
        let code = text.split("#[cfg(test)]").next().unwrap_or("");
        for (n, line) in code.lines().enumerate() {
            let trimmed = line.trim_start();
            if trimmed.starts_with("//") || trimmed.starts_with("#[") {
                continue;
            }
            let line = not_text.replace_all(line, "");
            for cap in literal.captures_iter(&line) {
                let s = &cap[1];
                let kql_example = s.contains("powershell.file.") || s.contains("@timestamp");
                // The rules' lower-cased API names (the Script tab's mark groups) are data.
                let api_name =
                    file == "tui/views/script.rs" && s.chars().all(|c| c.is_ascii_lowercase());
                if word.is_match(&placeholder.replace_all(s, ""))
                    && !key_shaped.is_match(s)
                    && !allowed.contains(&s)
                    && !kql_example
                    && !api_name
                {
                    found.push(format!("{file}:{}: {s:?}", n + 1));
                }
            }
        }
    }
    assert!(found.is_empty(), "inline English:\n{}", found.join("\n"));
}

#[test]
fn a_kql_syntax_error_is_told_in_chinese_at_the_same_column() {
    let english = pstriage::rule::kql::parse("host.name:(a or").unwrap_err();
    let _zh = Scoped::new(Lang::Zh);
    let chinese = pstriage::rule::kql::parse("host.name:(a or").unwrap_err();
    assert_eq!(
        (chinese.line, chinese.column),
        (english.line, english.column)
    );
    assert_eq!(english.message, "expected ')', found the end of the query");
    assert_eq!(chinese.message, "此处应为 ')'，实际是查询结尾");
    let tmp = tempfile::tempdir().unwrap();
    let (mut app, _ds) = sample_app(tmp.path());
    app.update(key('H'));
    if app.prompt.is_none() {
        app.update(key('/'));
    }
    for c in "host.name:(a or".chars() {
        app.update(key(c));
    }
    app.update(code(KeyCode::Enter));
    let s = screen(&app, 120, 40);
    assert_rows_fit(&s, 120);
    assert!(
        s.contains(&format!(
            "第 1 行第 {} 列：此处应为 ')'，实际是查询结尾",
            english.column
        )),
        "{s}"
    );
}

#[test]
fn a_load_that_cannot_run_says_why_in_chinese() {
    use pstriage::session::{self, LoadOptions};
    let _zh = Scoped::new(Lang::Zh);
    let tmp = tempfile::tempdir().unwrap();
    let opts = LoadOptions {
        paths: vec![tmp.path().join("missing.ndjson")],
        index_dir: Some(tmp.path().join("idx")),
        ..LoadOptions::default()
    };
    let cancel = std::sync::atomic::AtomicBool::new(false);
    let err = session::load_workspace(&opts, &mut |_| {}, &cancel)
        .err()
        .expect("nothing to read");
    let mut app = pstriage::tui::app::App::new(pstriage::triage::Book::default(), None, false);
    app.update(Msg::Resize(80, 24));
    app.update(Msg::Failed(format!("{err:#}")));
    let s = screen(&app, 80, 24);
    assert_rows_fit(&s, 80);
    assert!(s.contains("无法加载"), "{s}");
    assert!(s.contains("给定的路径中没有可读取的输入"), "{s}");
    assert!(
        s.contains("missing.ndjson"),
        "the path still names the file: {s}"
    );
}
