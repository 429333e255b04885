//! Long quoted literals that are base64 with nothing around them saying so (passed to a
//! function, an `-ArgumentList`, a later variable). Only clean base64 of a minimum length is
//! tried, and a result that is neither text nor recognisable bytes must at least look like
//! base64, so long identifiers are not reported as payloads.

use super::cursor::find_ci;
use super::driver::{Found, Then, MAX_FINDINGS};
use super::lex::Src;
use super::{base64, convert, dump, inflate, Limits};
use std::ops::Range;

pub(crate) fn find(src: &Src, claimed: &[Range<usize>], limits: &Limits) -> Vec<Found> {
    let min_len = limits.min_bare_base64;
    let deflate = find_ci(src.text, "deflatestream").next().is_some();
    let mut found = Vec::new();
    for lit in &src.lits {
        if found.len() >= MAX_FINDINGS {
            break;
        }
        let Some(value) = lit.value.as_deref() else {
            continue;
        };
        if value.len() < min_len.max(4)
            || claimed
                .iter()
                .any(|c| c.start < lit.span.end && lit.span.start < c.end)
            || !value.bytes().all(base64::in_alphabet)
        {
            continue;
        }
        let Ok(bytes) = base64::decode(value) else {
            continue;
        };
        let then = Then { xor: None, deflate };
        let f = convert::bytes_or_text(lit.inner.clone(), bytes, then, limits);
        let known =
            |b: &[u8]| b.starts_with(&inflate::GZIP_MAGIC) || dump::magic(b).is_some() || deflate;
        let keep = match &f.outcome {
            Ok(super::Content::Binary(b)) => known(b) || looks_like_base64(value),
            _ => true,
        };
        if keep {
            found.push(f);
        }
    }
    found
}

/// Base64 of arbitrary bytes almost always mixes cases and has a digit, `+` or `/`; a long
/// run of letters only is far more likely a name.
fn looks_like_base64(value: &str) -> bool {
    let b = value.as_bytes();
    b.iter().any(u8::is_ascii_lowercase)
        && b.iter().any(u8::is_ascii_uppercase)
        && b.iter()
            .any(|c| c.is_ascii_digit() || matches!(c, b'+' | b'/'))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::decode::test_support::{b64, utf16le};
    use crate::decode::{Content, LayerKind, TextEncoding};

    fn found(script: &str) -> Vec<(LayerKind, Content)> {
        find(&Src::new(script), &[], &Limits::default())
            .into_iter()
            .map(|f| (f.kind, f.outcome.unwrap()))
            .collect()
    }

    #[test]
    fn text_in_either_encoding_is_found() {
        let script = "Write-Host 'payload follows'; $cmd = 'IEX (New-Object Net.WebClient).DownloadString(1)'";
        let wide = format!("Invoke-Thing -Data '{}'", b64(&utf16le(script)));
        assert_eq!(
            found(&wide),
            vec![(
                LayerKind::Base64 {
                    text: TextEncoding::Utf16Le
                },
                Content::Text(script.into())
            )]
        );
        let narrow = format!("$p = \"{}\"", b64(script.as_bytes()));
        assert_eq!(found(&narrow)[0].1, Content::Text(script.into()));
    }

    #[test]
    fn short_claimed_or_unclean_literals_are_skipped() {
        let text = b64(b"a short one");
        assert!(found(&format!("'{text}'")).is_empty());
        let long = b64(&utf16le("Get-ChildItem C:\\ -Recurse -Force"));
        let script = format!("-enc '{long}'");
        let src = Src::new(&script);
        let claimed: Vec<Range<usize>> = std::iter::once(5..script.len() - 1).collect();
        assert!(find(&src, &claimed, &Limits::default()).is_empty());
        assert!(found(&format!("'{}!'", &long[..long.len() - 1])).is_empty());
    }

    #[test]
    fn a_long_name_is_not_a_payload_but_random_bytes_are() {
        let name = "ThisIsAVeryLongIdentifierNameThatIsNotBaseSixtyFourX";
        assert_eq!(name.len() % 4, 0, "clean base64 by its length");
        assert!(found(&format!("'{name}'")).is_empty());
        let bytes: Vec<u8> = (0u8..48)
            .map(|i| i.wrapping_mul(97).wrapping_add(13))
            .collect();
        let script = format!("'{}'", b64(&bytes));
        assert_eq!(
            found(&script),
            vec![(LayerKind::Base64Bytes, Content::Binary(bytes))]
        );
    }
}
