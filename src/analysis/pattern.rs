//! The pattern analyzer `[\W&&[^-]]+` + lowercase: a token is a maximal run of ASCII
//! `[A-Za-z0-9_-]`; every other character (all of non-ASCII included) separates tokens.

/// `TOKEN_BYTE[b]`: `b` is ASCII `[A-Za-z0-9_-]`.
static TOKEN_BYTE: [bool; 256] = {
    let mut t = [false; 256];
    let mut b = 0;
    while b < 256 {
        let c = b as u8;
        t[b] = c.is_ascii_alphanumeric() || c == b'_' || c == b'-';
        b += 1;
    }
    t
};

/// Calls `emit(start, end)` for the byte range of every token, in order. A token is pure
/// ASCII, so its lowercased text is as long as its range: callers can judge a token by its
/// length before lowercasing it.
pub(super) fn for_each_span(text: &str, mut emit: impl FnMut(usize, usize)) {
    let bytes = text.as_bytes();
    let mut i = 0;
    while i < bytes.len() {
        if !TOKEN_BYTE[bytes[i] as usize] {
            i += 1;
            continue;
        }
        let start = i;
        while i < bytes.len() && TOKEN_BYTE[bytes[i] as usize] {
            i += 1;
        }
        emit(start, i);
    }
}

pub(super) fn for_each_token(text: &str, mut emit: impl FnMut(&str, usize, usize)) {
    let mut buf = String::new();
    for_each_span(text, |start, end| {
        // The run is pure ASCII, so slicing at these byte offsets is always on char boundaries.
        buf.clear();
        buf.push_str(&text[start..end]);
        buf.make_ascii_lowercase();
        emit(&buf, start, end);
    });
}
