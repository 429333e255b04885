//! The pattern analyzer `[\W&&[^-]]+` + lowercase: a token is a maximal run of ASCII
//! `[A-Za-z0-9_-]`; every other character (all of non-ASCII included) separates tokens.

fn is_token_byte(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b == b'_' || b == b'-'
}

pub(super) fn for_each_token(text: &str, mut emit: impl FnMut(&str, usize, usize)) {
    let bytes = text.as_bytes();
    let mut buf = String::new();
    let mut i = 0;
    while i < bytes.len() {
        if !is_token_byte(bytes[i]) {
            i += 1;
            continue;
        }
        let start = i;
        while i < bytes.len() && is_token_byte(bytes[i]) {
            i += 1;
        }
        // The run is pure ASCII, so slicing at these byte offsets is always on char boundaries.
        buf.clear();
        buf.push_str(&text[start..i]);
        buf.make_ascii_lowercase();
        emit(&buf, start, i);
    }
}
