//! `powershell -EncodedCommand <base64>`: the argument is base64 of UTF-16LE script text.
//! powershell.exe takes any prefix of the parameter name (`-e`, `-en`, `-enc`, …), the alias
//! `-ec`, and `/` or an en dash in place of the hyphen. Only reads the text; runs nothing.

use super::cursor::is_word;
use super::driver::{Found, Then, MAX_FINDINGS};
use super::lex::Src;
use super::{base64, text, Content, LayerKind, TextEncoding};

const NAME: &str = "encodedcommand";
/// Shorter runs after a short flag such as `-e` are more likely another command's argument.
const MIN_RUN: usize = 8;

pub(crate) fn find(src: &Src) -> Vec<Found> {
    let text = src.text;
    let b = text.as_bytes();
    let mut found = Vec::new();
    for (i, c) in text.char_indices() {
        if found.len() >= MAX_FINDINGS {
            break;
        }
        if !matches!(c, '-' | '/' | '\u{2013}') {
            continue;
        }
        // The flag starts a word: after whitespace, a quote or the start.
        let before = text[..i].chars().next_back();
        if before.is_some_and(|p| !(p.is_whitespace() || matches!(p, '\'' | '"'))) {
            continue;
        }
        let name_start = i + c.len_utf8();
        let mut name_end = name_start;
        while b.get(name_end).is_some_and(u8::is_ascii_alphabetic) {
            name_end += 1;
        }
        let flag = text[name_start..name_end].to_ascii_lowercase();
        if flag.is_empty() || !(NAME.starts_with(&flag) || flag == "ec") {
            continue;
        }
        // At least one space, then the argument, maybe quoted.
        let mut at = name_end;
        while matches!(b.get(at), Some(b' ' | b'\t')) {
            at += 1;
        }
        if at == name_end {
            continue;
        }
        if matches!(b.get(at), Some(b'\'' | b'"')) {
            at += 1;
        }
        let mut end = at;
        while b.get(end).is_some_and(|&c| base64::in_alphabet(c)) {
            end += 1;
        }
        // A base64 run cut short by a word character is something else (`-e Some-Thing`).
        if end - at < MIN_RUN || b.get(end).is_some_and(|&c| is_word(c) || c == b'-') {
            continue;
        }
        let outcome = base64::decode(&text[at..end])
            .and_then(|bytes| text::decode_as(&bytes, TextEncoding::Utf16Le))
            .map(Content::Text);
        if outcome.is_err() && flag.len() < 2 && end - at < 20 {
            // `-e` with a short argument that is not base64 is likely not an encoded command.
            continue;
        }
        found.push(Found {
            span: at..end,
            kind: LayerKind::EncodedCommand,
            outcome,
            then: Then::default(),
        });
    }
    found
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::decode::test_support::{b64, utf16le};

    fn decoded(script: &str) -> Vec<Result<String, String>> {
        find(&Src::new(script))
            .into_iter()
            .map(|f| {
                f.outcome.map(|c| match c {
                    Content::Text(t) => t,
                    Content::Binary(_) => panic!("binary"),
                })
            })
            .collect()
    }

    #[test]
    fn every_spelling_of_the_flag_is_recognised() {
        let payload = b64(&utf16le("Get-Process | Stop-Process"));
        for flag in [
            "-EncodedCommand",
            "-enc",
            "-e",
            "-ec",
            "/ENC",
            "\u{2013}EncodedC",
            "-En",
        ] {
            let script = format!("powershell.exe -nop -w hidden {flag} {payload}");
            assert_eq!(
                decoded(&script),
                vec![Ok("Get-Process | Stop-Process".to_owned())],
                "{flag}"
            );
        }
        let quoted = format!("Start-Process powershell -ArgumentList \"-enc '{payload}'\"");
        assert_eq!(decoded(&quoted).len(), 1);
    }

    #[test]
    fn other_flags_and_words_are_left_alone() {
        let payload = b64(&utf16le("whoami"));
        for script in [
            format!("powershell -Exec {payload}"),
            format!("Invoke-enc {payload}"),
            "Select-String -e 'pattern'".to_owned(),
            "Get-Item -e SomeLongName-Here".to_owned(),
        ] {
            assert!(decoded(&script).is_empty(), "{script}");
        }
    }

    #[test]
    fn a_broken_argument_is_reported() {
        let bad = decoded("powershell -enc SQBFAFgAIAAoA");
        assert!(bad[0].as_ref().unwrap_err().contains("base64"), "{bad:?}");
        let odd = decoded(&format!("powershell -enc {}", b64(b"abc")));
        assert!(odd.is_empty(), "too short to be a command: {odd:?}");
        let odd = decoded(&format!("powershell -enc {}", b64(b"not utf-16 odd.")));
        assert!(odd[0].as_ref().unwrap_err().contains("UTF-16LE"), "{odd:?}");
    }
}
