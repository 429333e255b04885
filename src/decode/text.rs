//! Bytes → text: strict decoding in a declared encoding (what `GetString` was told to use), and
//! a cautious guess for bytes nothing declared. A wrong encoding is reported, not papered over
//! with replacement characters: garbage text would hide the real payload.

use super::{Content, TextEncoding};

pub(crate) fn decode_as(bytes: &[u8], encoding: TextEncoding) -> Result<String, String> {
    match encoding {
        TextEncoding::Utf16Le => utf16le(bytes),
        TextEncoding::Utf8 => {
            let bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
            String::from_utf8(bytes.to_vec())
                .map_err(|e| format!("not UTF-8 text: {}", e.utf8_error()))
        }
        TextEncoding::Ascii => match bytes.iter().position(|b| !b.is_ascii()) {
            Some(at) => Err(format!(
                "not ASCII text: byte {:#04x} at {at}",
                bytes.get(at).copied().unwrap_or(0)
            )),
            None => Ok(bytes.iter().map(|&b| char::from(b)).collect()),
        },
    }
}

fn utf16le(bytes: &[u8]) -> Result<String, String> {
    let bytes = bytes.strip_prefix(b"\xFF\xFE").unwrap_or(bytes);
    if !bytes.len().is_multiple_of(2) {
        return Err(format!(
            "not UTF-16LE text: {} bytes is an odd count",
            bytes.len()
        ));
    }
    let units = bytes
        .chunks_exact(2)
        .map(|p| u16::from_le_bytes([p[0], p[1]]));
    char::decode_utf16(units)
        .collect::<Result<String, _>>()
        .map_err(|e| format!("not UTF-16LE text: {e}"))
}

/// The encoding `bytes` are text in, if they plainly are: UTF-16LE when every second byte is
/// zero (how ASCII-range PowerShell looks in it), else UTF-8; either way mostly printable.
pub(crate) fn guess(bytes: &[u8]) -> Option<(TextEncoding, String)> {
    let body = bytes.strip_prefix(b"\xFF\xFE").unwrap_or(bytes);
    if body.len() >= 2
        && body.len().is_multiple_of(2)
        && body.iter().skip(1).step_by(2).all(|&b| b == 0)
    {
        let text = utf16le(bytes).ok()?;
        return printable(&text).then_some((TextEncoding::Utf16Le, text));
    }
    let text = decode_as(bytes, TextEncoding::Utf8).ok()?;
    printable(&text).then_some((TextEncoding::Utf8, text))
}

/// Text if the bytes plainly are text, else the bytes.
pub(crate) fn classify(bytes: Vec<u8>) -> Content {
    match guess(&bytes) {
        Some((_, text)) => Content::Text(text),
        None => Content::Binary(bytes),
    }
}

/// At least 95% of the characters are printable or ordinary whitespace.
fn printable(text: &str) -> bool {
    let (mut all, mut bad) = (0usize, 0usize);
    for c in text.chars() {
        all += 1;
        if c.is_control() && !matches!(c, '\t' | '\n' | '\r') {
            bad += 1;
        }
    }
    all > 0 && bad * 20 <= all
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::decode::test_support::utf16le as to_utf16le;

    #[test]
    fn declared_encodings_decode_strictly() {
        assert_eq!(
            decode_as(&to_utf16le("héllo"), TextEncoding::Utf16Le).unwrap(),
            "héllo"
        );
        assert!(decode_as(b"abc", TextEncoding::Utf16Le).is_err());
        assert!(decode_as(&[0x00, 0xD8], TextEncoding::Utf16Le).is_err());
        assert!(decode_as(b"\xC3(", TextEncoding::Utf8).is_err());
        assert!(decode_as("é".as_bytes(), TextEncoding::Ascii).is_err());
        assert_eq!(decode_as(b"IEX", TextEncoding::Ascii).unwrap(), "IEX");
    }

    #[test]
    fn guesses_only_plain_text() {
        assert_eq!(
            guess(&to_utf16le("Get-Process")),
            Some((TextEncoding::Utf16Le, "Get-Process".into()))
        );
        assert_eq!(
            guess("Write-Host 'ünï'".as_bytes()),
            Some((TextEncoding::Utf8, "Write-Host 'ünï'".into()))
        );
        assert_eq!(guess(&[0xFC, 0xE8, 0x82, 0x00, 0x00, 0x00, 0x60]), None);
        assert_eq!(guess(&[0, 0, 0, 0]), None);
        assert_eq!(guess(b""), None);
    }
}
