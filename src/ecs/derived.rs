//! The statistics the Windows integration's ingest pipeline (version 2.2.3) derives from a 4104
//! script text, for raw events that never went through it: `powershell.file.
//! script_block_length`, `_unique_symbols`, `_entropy_bits`, `_entropy_normalized` and
//! `_surprisal_stdev`. Exports from Elastic already carry them; Elastic's ES|QL rules read
//! them (*Special Character Overuse* needs `_unique_symbols`), so without them a raw log could
//! never alert.
//!
//! What the pipeline does, step by step: the text is trimmed (Java's `String.trim`: characters
//! up to U+0020 at both ends); everything from `# SIG # Begin signature block` on is cut
//! (when something follows the marker); a text whose second line is `#`, an optional space and
//! exactly 64 base64 characters is a signature fragment and gets no statistics; the text is put
//! in Unicode NFC; then, over its UTF-16 code units: the length, the number of distinct units,
//! the Shannon entropy in bits and the standard deviation of the surprisal, accumulated in
//! first-seen order with a running mean (so the last bits of a float may differ from a
//! textbook formula, not the integers).
//!
//! Pure: text in, numbers out.

use unicode_normalization::UnicodeNormalization;

/// The derived statistics of one script text.
#[derive(Clone, Debug, PartialEq)]
pub struct ScriptStats {
    pub length: usize,
    pub unique_symbols: usize,
    pub entropy_bits: f64,
    pub entropy_normalized: f64,
    pub surprisal_stdev: f64,
}

const SIGNATURE: &str = "# SIG # Begin signature block";

/// The statistics of `text` as the pipeline computes them; `None` where it sets none.
pub fn script_stats(text: &str) -> Option<ScriptStats> {
    let trimmed = text.trim_matches(|c: char| c <= ' ');
    let unsigned = match trimmed.find(SIGNATURE) {
        // `(?s)# SIG # Begin signature block.+`: the marker must be followed by something.
        Some(at) if trimmed.len() > at + SIGNATURE.len() => &trimmed[..at],
        _ => trimmed,
    };
    if unsigned.is_empty() || is_signature_fragment(unsigned) {
        return None;
    }
    let units: Vec<u16> = if unsigned.is_ascii() {
        unsigned.bytes().map(u16::from).collect()
    } else {
        unsigned.nfc().collect::<String>().encode_utf16().collect()
    };
    let length = units.len();
    if length == 0 {
        return None;
    }
    // Counts per code unit (a table as wide as the largest unit: 128 for ASCII, as this runs
    // on every raw 4104 event), and the units in the order first seen.
    let width = units.iter().max().map_or(0, |&u| usize::from(u) + 1);
    let mut counts = vec![0u32; width];
    let mut seen: Vec<u16> = Vec::new();
    for &u in &units {
        let c = &mut counts[usize::from(u)];
        if *c == 0 {
            seen.push(u);
        }
        *c += 1;
    }
    let inv_log2 = 1.0 / 2f64.ln();
    let (mut entropy, mut variance, mut p_sum) = (0.0f64, 0.0f64, 0.0f64);
    for &u in &seen {
        let p = f64::from(counts[usize::from(u)]) / length as f64;
        let l2p = p.ln() * inv_log2;
        p_sum += p;
        let before = entropy;
        entropy = before + (p / p_sum) * (l2p - before);
        variance += p * (l2p - before) * (l2p - entropy);
    }
    let entropy_bits = if -entropy == 0.0 { 0.0 } else { -entropy };
    let entropy_normalized = if length > 1 {
        (entropy_bits / ((length as f64).ln() * inv_log2)).clamp(0.0, 1.0)
    } else {
        0.0
    };
    Some(ScriptStats {
        length,
        unique_symbols: seen.len(),
        entropy_bits,
        entropy_normalized,
        surprisal_stdev: variance.max(0.0).sqrt(),
    })
}

/// Line 2 is `#`, an optional space and exactly 64 base64 characters (line 1 may be cut
/// mid-signature, so it is not looked at).
fn is_signature_fragment(text: &str) -> bool {
    let Some(first_end) = text.find('\n') else {
        return false;
    };
    if first_end == 0 {
        return false;
    }
    let rest = &text[first_end + 1..];
    let line = rest.split('\n').next().unwrap_or("");
    let line = line.strip_suffix('\r').unwrap_or(line);
    let Some(content) = line.strip_prefix('#') else {
        return false;
    };
    let content = content.strip_prefix(' ').unwrap_or(content);
    content.len() == 64
        && content
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'+' | b'/' | b'='))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn signature_blocks_are_cut_and_signature_fragments_skipped() {
        let signed = format!("Get-Date\r\n{SIGNATURE}\r\n# MIIxyz");
        // Cut after the trim: the line end before the marker stays.
        assert_eq!(script_stats(&signed).unwrap().length, "Get-Date\r\n".len());
        // The marker alone at the very end: `.+` needs a character after it.
        let bare = format!("Get-Date {SIGNATURE}");
        assert_eq!(script_stats(&bare).unwrap().length, bare.len());
        let fragment = format!("abc\r\n# {}\r\n# more", "A".repeat(64));
        assert_eq!(script_stats(&fragment), None);
        let not_quite = format!("abc\r\n# {}\r\n", "A".repeat(63));
        assert!(script_stats(&not_quite).is_some());
        assert_eq!(script_stats("  \t "), None);
    }
}
