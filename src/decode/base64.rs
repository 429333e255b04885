//! Strict base64 as `[Convert]::FromBase64String` reads it: the standard alphabet, whitespace
//! ignored, length a multiple of four, at most two `=` and only at the end. Anything else is
//! an error with a reason, never a guess at what was meant.

/// What a byte is to the decoder: a sextet value (0..=63) or one of these marks.
const INVALID: u8 = 0xFF;
const SPACE: u8 = 0xFE;
const PAD: u8 = 0xFD;

/// One lookup per byte: the blobs are long (hundreds of kilobytes in real loaders) and most of
/// a script's decoding time is spent here.
static TABLE: [u8; 256] = {
    let mut t = [INVALID; 256];
    let mut i = 0;
    while i < 26 {
        t[b'A' as usize + i] = i as u8;
        t[b'a' as usize + i] = 26 + i as u8;
        i += 1;
    }
    let mut d = 0;
    while d < 10 {
        t[b'0' as usize + d] = 52 + d as u8;
        d += 1;
    }
    t[b'+' as usize] = 62;
    t[b'/' as usize] = 63;
    t[b'=' as usize] = PAD;
    // What `u8::is_ascii_whitespace` accepts: the decoder skips it.
    t[b' ' as usize] = SPACE;
    t[b'\t' as usize] = SPACE;
    t[b'\n' as usize] = SPACE;
    t[0x0C] = SPACE;
    t[b'\r' as usize] = SPACE;
    t
};

/// Whether `c` may appear in base64 text (padding included).
pub(crate) fn in_alphabet(c: u8) -> bool {
    TABLE[usize::from(c)] < SPACE
}

/// Checks `text` the way `FromBase64String` does and decodes it. The check runs first, over
/// the whole text, so a blob that cannot decode costs no output buffer.
pub(crate) fn decode(text: &str) -> Result<Vec<u8>, String> {
    let bytes = text.as_bytes();
    let (mut count, mut pad) = (0usize, 0usize);
    for (i, &c) in bytes.iter().enumerate() {
        match TABLE[usize::from(c)] {
            SPACE => {}
            PAD => {
                count += 1;
                pad += 1;
                if pad > 2 {
                    return Err("invalid base64: more than two '=' at the end".into());
                }
            }
            INVALID => {
                let shown = text.get(i..).and_then(|t| t.chars().next()).unwrap_or('?');
                return Err(format!(
                    "invalid base64: {shown:?} at byte {i} is not in the alphabet"
                ));
            }
            _ if pad > 0 => return Err("invalid base64: data after '=' padding".into()),
            _ => count += 1,
        }
    }
    if !count.is_multiple_of(4) {
        return Err(format!(
            "invalid base64: {count} characters is not a multiple of 4"
        ));
    }
    let mut out = Vec::with_capacity(count / 4 * 3);
    let (mut acc, mut held) = (0u32, 0u32);
    for &c in bytes {
        let v = TABLE[usize::from(c)];
        if v >= PAD {
            continue;
        }
        acc = (acc << 6) | u32::from(v);
        held += 1;
        if held == 4 {
            out.extend_from_slice(&acc.to_be_bytes()[1..]);
            acc = 0;
            held = 0;
        }
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
