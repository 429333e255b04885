//! Single-byte XOR over decoded base64 bytes: finds the `-bxor <constant>` that a loop or a
//! pipeline applies to them (`$b[$i] = $b[$i] -bxor 0x35`, `$b | % { $_ -bxor 35 }`) and
//! undoes it. Only a literal key is used; a key in a variable or an expression is not guessed.

use super::cursor::{find_ci, number_at, skip_ws};
use super::lex::Src;

/// How far before a `-bxor` the bytes' variable (or `$_`) must be named for the key to count.
const WINDOW: usize = 200;
/// How far after the base64 call a `-bxor` is looked for.
const REACH: usize = 4096;

/// The constant key of a `-bxor` that follows position `after` and works on `var` (the
/// variable the bytes were assigned to, lowercased) or on the pipeline item `$_`.
pub(crate) fn key_after(src: &Src, var: Option<&str>, after: usize) -> Option<u8> {
    let text = src.text;
    let tail = text.get(after..)?;
    let reach = floor_boundary(tail, REACH);
    let tail = &tail[..reach];
    for at in find_ci(tail, "-bxor") {
        if !src.in_code(after + at) {
            continue;
        }
        let from = floor_boundary(tail, at.saturating_sub(WINDOW));
        let window = tail[from..at].to_ascii_lowercase();
        let named = window.contains("$_")
            || var.is_some_and(|v| {
                window.match_indices(&format!("${v}")).any(|(k, m)| {
                    !window[k + m.len()..].starts_with(|c: char| c.is_alphanumeric() || c == '_')
                })
            });
        if !named {
            continue;
        }
        let key_at = skip_ws(tail, at + "-bxor".len());
        let (key, _) = number_at(tail, key_at)?;
        return u8::try_from(key).ok();
    }
    None
}

fn floor_boundary(s: &str, i: usize) -> usize {
    let mut i = i.min(s.len());
    while !s.is_char_boundary(i) {
        i -= 1;
    }
    i
}

pub(crate) fn apply(bytes: &[u8], key: u8) -> Vec<u8> {
    bytes.iter().map(|b| b ^ key).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(script: &str, var: Option<&str>) -> Option<u8> {
        let after = script.find("')").map_or(0, |i| i + 2);
        key_after(&Src::new(script), var, after)
    }

    #[test]
    fn loop_and_pipeline_keys_are_found() {
        let looped = "$b = [Convert]::FromBase64String('AAAA'); for($i=0; $i -lt $b.Count; $i++) { $b[$i] = $b[$i] -bxor 0x35 }";
        assert_eq!(key(looped, Some("b")), Some(0x35));
        let piped = "$b = [Convert]::FromBase64String('AAAA'); $c = $b | % { $_ -bxor 35 }";
        assert_eq!(key(piped, Some("b")), Some(35));
        let inline = "[Convert]::FromBase64String('AAAA') | ForEach-Object { $_ -BXOR 7 }";
        assert_eq!(key(inline, None), Some(7));
    }

    #[test]
    fn other_keys_and_variables_are_not_guessed() {
        let var_key = "$b = [Convert]::FromBase64String('AAAA'); $b[0] = $b[0] -bxor $k";
        assert_eq!(key(var_key, Some("b")), None);
        let other = "$b = [Convert]::FromBase64String('AAAA'); $bb[0] = $bb[0] -bxor 9";
        assert_eq!(key(other, Some("b")), None);
        let wide = "$b = [Convert]::FromBase64String('AAAA'); $b[0] = $b[0] -bxor 300";
        assert_eq!(key(wide, Some("b")), None);
        assert_eq!(apply(&[0x35, 0x00, 0xff], 0x35), vec![0x00, 0x35, 0xca]);
    }
}
