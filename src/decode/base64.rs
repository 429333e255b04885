//! Strict base64 as `[Convert]::FromBase64String` reads it: the standard alphabet, whitespace
//! ignored, length a multiple of four, at most two `=` and only at the end. Anything else is
//! an error with a reason, never a guess at what was meant.

/// The value of a base64 character, or `None` outside the alphabet.
fn sextet(c: u8) -> Option<u32> {
    let v = match c {
        b'A'..=b'Z' => c - b'A',
        b'a'..=b'z' => c - b'a' + 26,
        b'0'..=b'9' => c - b'0' + 52,
        b'+' => 62,
        b'/' => 63,
        _ => return None,
    };
    Some(u32::from(v))
}

/// Whether `c` may appear in base64 text (padding included).
pub(crate) fn in_alphabet(c: u8) -> bool {
    sextet(c).is_some() || c == b'='
}

pub(crate) fn decode(text: &str) -> Result<Vec<u8>, String> {
    let mut out = Vec::with_capacity(text.len() / 4 * 3);
    let (mut acc, mut held, mut pad, mut count) = (0u32, 0u32, 0usize, 0usize);
    for (i, c) in text.bytes().enumerate() {
        if c.is_ascii_whitespace() {
            continue;
        }
        count += 1;
        if c == b'=' {
            pad += 1;
            if pad > 2 {
                return Err("invalid base64: more than two '=' at the end".into());
            }
            continue;
        }
        let Some(v) = sextet(c) else {
            let shown = text.get(i..).and_then(|t| t.chars().next()).unwrap_or('?');
            return Err(format!(
                "invalid base64: {shown:?} at byte {i} is not in the alphabet"
            ));
        };
        if pad > 0 {
            return Err("invalid base64: data after '=' padding".into());
        }
        acc = (acc << 6) | v;
        held += 1;
        if held == 4 {
            out.extend_from_slice(&acc.to_be_bytes()[1..]);
            acc = 0;
            held = 0;
        }
    }
    if !count.is_multiple_of(4) {
        return Err(format!(
            "invalid base64: {count} characters is not a multiple of 4"
        ));
    }
    // What the padding says is missing must match what the last group holds.
    match (held, pad) {
        (0, 0) => {}
        (2, 2) => out.push((acc >> 4) as u8),
        (3, 1) => out.extend_from_slice(&((acc >> 2) as u16).to_be_bytes()),
        _ => return Err("invalid base64: wrong '=' padding".into()),
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::decode::test_support::b64;

    #[test]
    fn decodes_what_an_independent_encoder_wrote() {
        for input in [&b""[..], b"a", b"ab", b"abc", b"abcd", &[0, 255, 128, 1, 2]] {
            assert_eq!(decode(&b64(input)).unwrap(), input);
        }
        assert_eq!(decode("SGVs\r\nbG8=").unwrap(), b"Hello");
    }

    #[test]
    fn rejects_what_convert_rejects() {
        for bad in [
            "SGVsbG8",
            "SGVsbG8==",
            "SGV=bG8=",
            "SG!sbG8=",
            "S===",
            "SGVsb===",
        ] {
            assert!(decode(bad).is_err(), "{bad}");
        }
        assert!(decode("SG!s").unwrap_err().contains("'!'"));
    }
}
