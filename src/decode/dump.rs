//! Showing binary layers safely: a hex dump (never the raw bytes, which could hold terminal
//! escapes) and a few honest hints about what the bytes start like. The hints are heuristics
//! on the first bytes and byte statistics, not a disassembly or a file parser.

use crate::i18n::{t, tf};
use std::fmt::Write;

/// 16 bytes a row: offset, hex, and the printable ASCII with `.` for anything else. At most
/// `max_rows` rows, then a line saying how many bytes were left out.
pub fn hex_dump(bytes: &[u8], max_rows: usize) -> String {
    let mut out = String::new();
    for (row, chunk) in bytes.chunks(16).take(max_rows).enumerate() {
        let _ = write!(out, "{:08x}  ", row * 16);
        for k in 0..16 {
            match chunk.get(k) {
                Some(b) => {
                    let _ = write!(out, "{b:02x} ");
                }
                None => out.push_str("   "),
            }
            if k == 7 {
                out.push(' ');
            }
        }
        out.push(' ');
        out.push('|');
        out.extend(chunk.iter().map(|&b| {
            if b.is_ascii_graphic() || b == b' ' {
                char::from(b)
            } else {
                '.'
            }
        }));
        out.push_str("|\n");
    }
    let shown = (max_rows.saturating_mul(16)).min(bytes.len());
    if shown < bytes.len() {
        let _ = writeln!(
            out,
            "{}",
            tf("decoded.more_bytes", &[("n", &(bytes.len() - shown))])
        );
    }
    out
}

/// What the bytes look like, most specific first, in the interface's language; empty when
/// nothing stands out.
pub fn binary_hints(bytes: &[u8]) -> Vec<&'static str> {
    let mut hints = Vec::new();
    if let Some(magic) = magic(bytes) {
        hints.push(t(magic));
    }
    if bytes.windows(16).any(|w| w.iter().all(|&b| b == 0x90)) {
        hints.push(t("decoded.hint.nop_sled"));
    }
    if bytes.len() >= 256 && entropy(bytes) > 7.2 {
        hints.push(t("decoded.hint.high_entropy"));
    }
    hints
}

/// The catalogue key of the hint for a known start of file or shellcode, if any.
pub(crate) fn magic(bytes: &[u8]) -> Option<&'static str> {
    let starts: [(&[u8], &str); 7] = [
        (b"MZ", "decoded.hint.pe"),
        (b"\x7fELF", "decoded.hint.elf"),
        (b"\x1f\x8b", "decoded.hint.gzip"),
        (b"PK\x03\x04", "decoded.hint.zip"),
        (b"\xfc\xe8", "decoded.hint.x86_stager"),
        (b"\xfc\x48\x83\xe4\xf0", "decoded.hint.x64_stager"),
        (b"\xfc\x48\x89", "decoded.hint.x64_rsp"),
    ];
    starts
        .iter()
        .find(|(prefix, _)| bytes.starts_with(prefix))
        .map(|(_, hint)| *hint)
}

/// Shannon entropy in bits per byte.
fn entropy(bytes: &[u8]) -> f64 {
    let mut counts = [0usize; 256];
    for &b in bytes {
        counts[usize::from(b)] += 1;
    }
    let n = bytes.len() as f64;
    counts
        .iter()
        .filter(|&&c| c > 0)
        .map(|&c| {
            let p = c as f64 / n;
            -p * p.log2()
        })
        .sum()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dump_rows_show_offset_hex_and_safe_ascii() {
        let bytes: Vec<u8> = b"MZ\x90\x00\x1b[2J hello world!\n".to_vec();
        let dump = hex_dump(&bytes, 10);
        let lines: Vec<&str> = dump.lines().collect();
        assert_eq!(lines.len(), 2);
        assert_eq!(
            lines[0],
            "00000000  4d 5a 90 00 1b 5b 32 4a  20 68 65 6c 6c 6f 20 77  |MZ...[2J hello w|"
        );
        assert_eq!(
            lines[1],
            "00000010  6f 72 6c 64 21 0a                                 |orld!.|"
        );
        assert!(!dump.contains('\u{1b}'));
    }

    #[test]
    fn long_dumps_say_what_they_left_out() {
        let dump = hex_dump(&[0u8; 100], 2);
        assert_eq!(dump.lines().count(), 3);
        assert!(dump.ends_with("… 68 more bytes\n"));
        assert_eq!(hex_dump(&[], 4), "");
    }

    #[test]
    fn hints_name_what_the_bytes_start_like() {
        assert_eq!(binary_hints(b"MZ\x90\x00"), vec!["MZ header (PE file)"]);
        let stager = [0xfc, 0xe8, 0x82, 0, 0, 0, 0x60, 0x89, 0xe5];
        assert!(binary_hints(&stager)[0].contains("x86 shellcode"));
        let mut sled = vec![0x90u8; 20];
        sled.push(0xcc);
        assert_eq!(binary_hints(&sled).len(), 1);
        assert!(binary_hints(b"plain words").is_empty());
        let spread: Vec<u8> = (0..=255u8).cycle().take(1024).collect();
        assert_eq!(
            binary_hints(&spread),
            vec!["high entropy (compressed or encrypted)"]
        );
    }
}
