//! Near misses: places where a script names a rule term but the rule does not count it, with
//! the reason — trainers use these to show how the rule reads text. Three kinds:
//! a term inside a longer token (`LoadLibraryW`, `Invoke-VirtualAlloc`), a name split by a
//! backtick escape (``Virtual`Alloc``), and a name assembled by string concatenation
//! (`'Virtual'+'Alloc'`). Pure.

use crate::analysis::Analyzer;
use crate::i18n::tf;
use aho_corasick::AhoCorasick;

/// One near miss: the byte range in the original text, the rule term, and why it did not count.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NearMiss {
    pub start: usize,
    pub end: usize,
    pub term: String,
    pub why: String,
}

/// The text with backtick escapes and quote-plus-quote glue removed, and for each byte of it
/// the byte of the original it came from.
fn normalize(text: &str) -> (Vec<u8>, Vec<usize>) {
    let b = text.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut map = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'`'
            && b.get(i + 1).is_some_and(|c| c.is_ascii_alphanumeric())
            && i > 0
            && b[i - 1].is_ascii_alphanumeric()
        {
            i += 1;
            continue;
        }
        if b[i] == b'\'' || b[i] == b'"' {
            let q = b[i];
            let mut j = i + 1;
            while b.get(j) == Some(&b' ') {
                j += 1;
            }
            if b.get(j) == Some(&b'+') {
                j += 1;
                while b.get(j) == Some(&b' ') {
                    j += 1;
                }
                if b.get(j) == Some(&q) && i > 0 && b[i - 1].is_ascii_alphanumeric() {
                    i = j + 1;
                    continue;
                }
            }
        }
        out.push(b[i]);
        map.push(i);
        i += 1;
    }
    (out, map)
}

/// Near misses of `terms` in `text`; `hits` are the byte ranges that did count.
pub fn find(
    text: &str,
    terms: &[String],
    hits: &[(usize, usize)],
    analyzer: Analyzer,
) -> Vec<NearMiss> {
    if terms.is_empty() {
        return Vec::new();
    }
    let Ok(ac) = AhoCorasick::builder()
        .ascii_case_insensitive(true)
        .build(terms)
    else {
        return Vec::new();
    };
    let (norm, map) = normalize(text);
    let tokens = analyzer.tokens(text);
    let mut out: Vec<NearMiss> = Vec::new();
    for m in ac.find_overlapping_iter(&norm) {
        let (start, end) = (map[m.start()], map[m.end() - 1] + 1);
        if hits.iter().any(|&(s, e)| s <= start && end <= e)
            || !text.is_char_boundary(start)
            || !text.is_char_boundary(end)
        {
            continue;
        }
        let term = terms[m.pattern().as_usize()].clone();
        let original = &text[start..end];
        let why = if original.contains('`') {
            tf("nearmiss.backtick", &[("term", &term)])
        } else if original.contains('+') {
            tf("nearmiss.concatenated", &[("term", &term)])
        } else {
            match tokens.iter().find(|t| t.start <= start && end <= t.end) {
                Some(t) if (t.start, t.end) != (start, end) => tf(
                    "nearmiss.inside_token",
                    &[("term", &term), ("token", &t.text)],
                ),
                _ => continue,
            }
        };
        out.push(NearMiss {
            start,
            end,
            term,
            why,
        });
    }
    out.sort_by_key(|n| (n.start, std::cmp::Reverse(n.end)));
    out.dedup_by(|b, a| b.start < a.end);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn terms() -> Vec<String> {
        [
            "VirtualAlloc",
            "LoadLibrary",
            "CreateThread",
            "WriteProcessMemory",
        ]
        .iter()
        .map(|s| s.to_string())
        .collect()
    }

    fn kinds(text: &str) -> Vec<(String, String)> {
        find(text, &terms(), &[], Analyzer::Pattern)
            .into_iter()
            .map(|n| {
                (
                    text[n.start..n.end].to_owned(),
                    n.why.split(':').next().unwrap_or("").to_owned(),
                )
            })
            .collect()
    }

    #[test]
    fn each_kind_of_near_miss_is_found_with_its_reason() {
        let k = kinds("[K]::LoadLibraryW('x'); Invoke-VirtualAlloc; [K]::Virtual`Alloc(0); $f='Write'+'ProcessMemory'");
        assert_eq!(k.len(), 4, "{k:?}");
        assert!(k[0].0 == "LoadLibrary" && k[0].1.contains("inside the token 'loadlibraryw'"));
        assert!(k[1].0 == "VirtualAlloc" && k[1].1.contains("invoke-virtualalloc"));
        assert!(k[2].0 == "Virtual`Alloc" && k[2].1.contains("backtick"));
        assert!(k[3].0 == "Write'+'ProcessMemory" && k[3].1.contains("concatenation"));
    }

    #[test]
    fn real_matches_are_not_near_misses() {
        let text = "[K]::VirtualAlloc(0); [K]::CreateThread(0)";
        assert!(find(text, &terms(), &[(5, 17), (27, 39)], Analyzer::Pattern).is_empty());
        // A whole token that did not count (e.g. the rule did not need it) is not a near miss either.
        assert!(find(text, &terms(), &[], Analyzer::Pattern).is_empty());
    }
}
