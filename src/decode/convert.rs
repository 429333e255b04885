//! `[Convert]::FromBase64String(...)` over a literal (or a variable assigned one): text when a
//! `[Text.Encoding]::X.GetString(...)` around it names the encoding, else bytes, which the
//! driver may then inflate or XOR as the code around them says. Reads code; evaluates nothing.

use super::cursor::{
    assigned_var, back_space, before_char, eat, ends_with_ci, find_ci, is_word, skip_space, var_at,
};
use super::driver::{Found, Then, MAX_FINDINGS};
use super::lex::Src;
use super::{base64, inflate, text, xor, Content, LayerKind, Limits, TextEncoding};
use std::ops::Range;

const CALL: &str = "frombase64string";

/// What encoding a `GetString` around the call names.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Declared {
    /// No `GetString`: the bytes are used as bytes.
    Nothing,
    Known(TextEncoding),
    /// An encoding we do not decode (`UTF32`, `Default`, …): treated as undeclared.
    Other,
}

pub(crate) fn find(src: &Src, limits: &Limits) -> Vec<Found> {
    let text = src.text;
    let deflate = find_ci(text, "deflatestream").next().is_some();
    let mut found = Vec::new();
    for at in find_ci(text, CALL) {
        if found.len() >= MAX_FINDINGS {
            break;
        }
        if !src.in_code(at) {
            continue;
        }
        let Some(bracket) = convert_type_start(text, at) else {
            continue;
        };
        let Some(open) = eat(text, skip_space(text, at + CALL.len()), "(") else {
            continue;
        };
        let arg = skip_space(text, open);
        let (lit, arg_end) = match src.lit_expr_at(arg) {
            Some(hit) => hit,
            None => {
                let Some((name, end)) = var_at(text, arg) else {
                    continue;
                };
                let Some(lit) = src.assigned_literal(&name, at) else {
                    continue;
                };
                (lit, end)
            }
        };
        let Some(close) = eat(text, skip_space(text, arg_end), ")") else {
            continue;
        };
        let Some(value) = lit.value.as_deref() else {
            continue;
        };
        let var =
            before_char(text, back_space(text, bracket), '=').and_then(|eq| assigned_var(text, eq));
        let then = Then {
            xor: xor::key_after(src, var.as_deref(), close),
            deflate,
        };
        found.push(decoded(
            lit.inner.clone(),
            value,
            declared(text, bracket),
            then,
            limits,
        ));
    }
    found
}

fn decoded(
    span: Range<usize>,
    value: &str,
    declared: Declared,
    then: Then,
    limits: &Limits,
) -> Found {
    let bytes = match base64::decode(value) {
        Ok(bytes) => bytes,
        Err(reason) => {
            let kind = match declared {
                Declared::Known(enc) => LayerKind::Base64 { text: enc },
                _ => LayerKind::Base64Bytes,
            };
            return Found {
                span,
                kind,
                outcome: Err(reason),
                then,
            };
        }
    };
    match declared {
        Declared::Known(enc) => Found {
            span,
            kind: LayerKind::Base64 { text: enc },
            outcome: text::decode_as(&bytes, enc).map(Content::Text),
            then,
        },
        Declared::Nothing | Declared::Other => bytes_or_text(span, bytes, then, limits),
    }
}

/// Undeclared bytes: kept as bytes when the script XORs them, they are gzip, or a
/// `DeflateStream` in the script can inflate them; else text if they plainly are text, else
/// bytes (the driver still tries the stream on them and reports why it fails).
pub(crate) fn bytes_or_text(
    span: Range<usize>,
    bytes: Vec<u8>,
    then: Then,
    limits: &Limits,
) -> Found {
    let as_bytes = then.xor.is_some()
        || bytes.starts_with(&inflate::GZIP_MAGIC)
        || (then.deflate && inflate::inflate_raw(&bytes, limits).is_ok());
    let (kind, content) = match text::guess(&bytes).filter(|_| !as_bytes) {
        Some((enc, s)) => (LayerKind::Base64 { text: enc }, Content::Text(s)),
        None => (LayerKind::Base64Bytes, Content::Binary(bytes)),
    };
    Found {
        span,
        kind,
        outcome: Ok(content),
        then,
    }
}

/// Where `[Convert]::` or `[System.Convert]::` before the call at `at` starts.
fn convert_type_start(text: &str, at: usize) -> Option<usize> {
    let colons = back_space(text, at);
    let close = back_space(text, before_colons(text, colons)?);
    let close = before_char(text, close, ']')?;
    let b = text.as_bytes();
    let mut open = close;
    while open > 0 && b.get(open - 1).is_some_and(|c| is_word(*c) || *c == b'.') {
        open -= 1;
    }
    let name = text.get(open..close)?.to_ascii_lowercase();
    let open = before_char(text, open, '[')?;
    matches!(name.as_str(), "convert" | "system.convert").then_some(open)
}

fn before_colons(text: &str, i: usize) -> Option<usize> {
    text.get(..i)?.ends_with("::").then(|| i - 2)
}

/// The encoding named by `[...Encoding]::Name.GetString(` just before `bracket`.
fn declared(text: &str, bracket: usize) -> Declared {
    let mut i = back_space(text, bracket);
    while let Some(p) = before_char(text, i, '(') {
        i = back_space(text, p);
    }
    if !ends_with_ci(text, i, "getstring") {
        return Declared::Nothing;
    }
    let Some(dot) = before_char(text, back_space(text, i - "getstring".len()), '.') else {
        return Declared::Nothing;
    };
    let end = back_space(text, dot);
    let b = text.as_bytes();
    let mut start = end;
    while start > 0 && b.get(start - 1).is_some_and(|c| is_word(*c)) {
        start -= 1;
    }
    match text.get(start..end).map(str::to_ascii_lowercase).as_deref() {
        Some("utf8") => Declared::Known(TextEncoding::Utf8),
        Some("unicode") => Declared::Known(TextEncoding::Utf16Le),
        Some("ascii") => Declared::Known(TextEncoding::Ascii),
        _ => Declared::Other,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::decode::test_support::{b64, utf16le};

    fn one(script: &str) -> Found {
        let mut found = find(&Src::new(script), &Limits::default());
        assert_eq!(found.len(), 1, "{script}");
        found.remove(0)
    }

    #[test]
    fn get_string_names_the_encoding() {
        let cases = [
            (
                "[Text.Encoding]::Unicode",
                utf16le("iex $x"),
                TextEncoding::Utf16Le,
            ),
            (
                "[System.Text.Encoding]::UTF8",
                b"iex $x".to_vec(),
                TextEncoding::Utf8,
            ),
            (
                "[TEXT.ENCODING]::ASCII",
                b"iex $x".to_vec(),
                TextEncoding::Ascii,
            ),
        ];
        for (enc, bytes, want) in cases {
            let script = format!(
                "iex ({enc}.GetString([System.Convert]::FromBase64String(\"{}\")))",
                b64(&bytes)
            );
            let f = one(&script);
            assert_eq!(f.kind, LayerKind::Base64 { text: want });
            assert_eq!(f.outcome, Ok(Content::Text("iex $x".into())));
            assert_eq!(&script[f.span.clone()], b64(&bytes));
        }
    }

    #[test]
    fn a_declared_encoding_that_does_not_fit_is_reported() {
        let script = format!(
            "[Text.Encoding]::Unicode.GetString([Convert]::FromBase64String('{}'))",
            b64(b"odd")
        );
        assert!(one(&script).outcome.unwrap_err().contains("UTF-16LE"));
    }

    #[test]
    fn a_variable_argument_is_followed_to_its_literal() {
        let payload = b64(&[0xfc, 0xe8, 0x89, 0, 0, 0, 0x60, 0x89]);
        let script = format!("$s = '{payload}'\n[Byte[]]$b = [Convert]::FromBase64String($s)");
        let f = one(&script);
        assert_eq!(f.kind, LayerKind::Base64Bytes);
        assert_eq!(&script[f.span.clone()], payload);
    }

    #[test]
    fn the_streams_around_it_say_what_happens_next() {
        let script = format!(
            "$d = New-Object IO.Compression.DeflateStream([IO.MemoryStream]::new([Convert]::FromBase64String('{}')), [IO.Compression.CompressionMode]::Decompress)",
            b64(&[0x4b, 0x4c, 0x4a, 0x06, 0x00])
        );
        let f = one(&script);
        assert!(f.then.deflate);
        assert_eq!(f.kind, LayerKind::Base64Bytes);
    }

    #[test]
    fn invalid_base64_and_other_types_are_told_apart() {
        let f = one("[Convert]::FromBase64String('SGVsbG8')");
        assert!(f.outcome.unwrap_err().contains("multiple of 4"));
        assert!(find(
            &Src::new("[MyConvert]::FromBase64String('SGVsbG8=')"),
            &Limits::default()
        )
        .is_empty());
        assert!(find(
            &Src::new("'[Convert]::FromBase64String(\"SGVsbG8=\")'"),
            &Limits::default()
        )
        .is_empty());
    }
}
