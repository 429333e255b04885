//! The de-obfuscator from the outside: text encoded here by independent encoders (a test-side
//! base64, UTF-16LE from the standard library, gzip and deflate from flate2's encoders, char
//! codes, reversal, string splitting) and wrapped in a PowerShell loader idiom must come back
//! as a layer holding exactly the original; bombs, truncation, bad base64 and over-deep
//! nesting stop with a reason.

use flate2::write::{DeflateEncoder, GzEncoder};
use flate2::Compression;
use proptest::prelude::*;
use pstriage::decode::{decode, Content, LayerKind, Limits, TextEncoding, Tree};
use std::io::Write;

pub(crate) fn b64(bytes: &[u8]) -> String {
    const ABC: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::new();
    for chunk in bytes.chunks(3) {
        let mut group = [0u8; 3];
        group[..chunk.len()].copy_from_slice(chunk);
        let n =
            (usize::from(group[0]) << 16) | (usize::from(group[1]) << 8) | usize::from(group[2]);
        let chars = [n >> 18, (n >> 12) & 63, (n >> 6) & 63, n & 63];
        for (k, c) in chars.iter().enumerate() {
            out.push(if k <= chunk.len() {
                ABC[*c] as char
            } else {
                '='
            });
        }
    }
    out
}

pub(crate) fn utf16le(s: &str) -> Vec<u8> {
    s.encode_utf16().flat_map(u16::to_le_bytes).collect()
}

pub(crate) fn gzip(data: &[u8]) -> Vec<u8> {
    let mut e = GzEncoder::new(Vec::new(), Compression::default());
    e.write_all(data).unwrap();
    e.finish().unwrap()
}

fn deflate(data: &[u8]) -> Vec<u8> {
    let mut e = DeflateEncoder::new(Vec::new(), Compression::default());
    e.write_all(data).unwrap();
    e.finish().unwrap()
}

/// A single-quoted PowerShell literal of `s`.
fn ps_quote(s: &str) -> String {
    format!("'{}'", s.replace('\'', "''"))
}

pub(crate) fn gzip_loader(payload: &[u8]) -> String {
    format!(
        "IEX (New-Object IO.StreamReader(New-Object IO.Compression.GzipStream((New-Object IO.MemoryStream(,[Convert]::FromBase64String('{}'))),[IO.Compression.CompressionMode]::Decompress))).ReadToEnd()",
        b64(payload)
    )
}

/// The kinds of every layer whose content is exactly `text`.
fn holding(tree: &Tree, text: &str) -> Vec<Vec<LayerKind>> {
    tree.texts()
        .filter(|(_, t)| *t == text)
        .map(|(i, _)| tree.chain(i).into_iter().copied().collect())
        .collect()
}

/// Only characters a single `[char]` can hold (one UTF-16 unit).
fn one_unit_chars(s: String) -> String {
    s.chars().filter(|c| (*c as u32) <= 0xFFFF).collect()
}

fn no_quotes(s: String) -> String {
    s.replace(['\'', '\u{2018}', '\u{2019}', '\u{201a}', '\u{201b}'], "")
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    #[test]
    fn encoded_commands_round_trip(text in "\\PC{4,120}") {
        let script = format!("powershell.exe -NoProfile -enc {}", b64(&utf16le(&text)));
        let tree = decode(&script, &Limits::default());
        prop_assert!(holding(&tree, &text).contains(&vec![LayerKind::EncodedCommand]), "{tree:?}");
    }

    #[test]
    fn get_string_round_trips_in_each_encoding(text in "\\PC{1,80}", ascii in "[ -~]{1,80}") {
        let wrap = |enc: &str, bytes: &[u8]| {
            format!("iex ([Text.Encoding]::{enc}.GetString([System.Convert]::FromBase64String(\"{}\")))", b64(bytes))
        };
        let cases = [
            (wrap("UTF8", text.as_bytes()), &text, TextEncoding::Utf8),
            (wrap("Unicode", &utf16le(&text)), &text, TextEncoding::Utf16Le),
            (wrap("ASCII", ascii.as_bytes()), &ascii, TextEncoding::Ascii),
        ];
        for (script, want, enc) in cases {
            let tree = decode(&script, &Limits::default());
            prop_assert!(holding(&tree, want).contains(&vec![LayerKind::Base64 { text: enc }]), "{script} {tree:?}");
        }
    }

    #[test]
    fn gzip_streams_round_trip(text in "[ -~\\n\\t]{1,300}") {
        let tree = decode(&gzip_loader(&gzip(text.as_bytes())), &Limits::default());
        prop_assert!(holding(&tree, &text).contains(&vec![LayerKind::Base64Bytes, LayerKind::Gzip]), "{tree:?}");
    }

    #[test]
    fn deflate_streams_round_trip(text in "[ -~\\n\\t]{1,300}") {
        let script = format!(
            "$m = [IO.MemoryStream]::new([Convert]::FromBase64String('{}'))\n$s = New-Object IO.Compression.DeflateStream($m, [IO.Compression.CompressionMode]::Decompress)",
            b64(&deflate(text.as_bytes()))
        );
        let tree = decode(&script, &Limits::default());
        prop_assert!(holding(&tree, &text).contains(&vec![LayerKind::Base64Bytes, LayerKind::Deflate]), "{tree:?}");
    }

    #[test]
    fn bare_utf16_literals_round_trip(text in "[ -~]{20,120}") {
        let script = format!("Start-Job -ArgumentList '{}'", b64(&utf16le(&text)));
        let tree = decode(&script, &Limits::default());
        prop_assert!(holding(&tree, &text).contains(&vec![LayerKind::Base64 { text: TextEncoding::Utf16Le }]), "{tree:?}");
    }

    #[test]
    fn char_codes_round_trip(text in "\\PC{2,60}".prop_map(one_unit_chars), hex in any::<bool>()) {
        prop_assume!(text.chars().count() >= 2);
        let codes: Vec<String> = text
            .chars()
            .enumerate()
            .map(|(i, c)| if hex && i % 2 == 0 { format!("0x{:X}", c as u32) } else { (c as u32).to_string() })
            .collect();
        let script = format!("& ([char[]]({}) -join '')", codes.join(","));
        let tree = decode(&script, &Limits::default());
        prop_assert!(holding(&tree, &text).contains(&vec![LayerKind::CharCodes]), "{tree:?}");
    }

    #[test]
    fn reversed_strings_round_trip(text in "\\PC{1,80}".prop_map(no_quotes)) {
        prop_assume!(!text.is_empty());
        let backwards: String = text.chars().rev().collect();
        let script = format!("$s = {}; iex ($s[-1..-($s.Length)] -join '')", ps_quote(&backwards));
        let tree = decode(&script, &Limits::default());
        prop_assert!(holding(&tree, &text).contains(&vec![LayerKind::Reverse]), "{tree:?}");
    }

    #[test]
    fn split_strings_are_joined(text in "[ -~]{2,60}", cuts in prop::collection::vec(any::<prop::sample::Index>(), 1..5)) {
        let mut at: Vec<usize> = cuts.iter().map(|c| c.index(text.len())).collect();
        at.extend([0, text.len()]);
        at.sort_unstable();
        at.dedup();
        prop_assume!(at.len() >= 3);
        let pieces: Vec<String> = at.windows(2).map(|w| ps_quote(&text[w[0]..w[1]])).collect();
        let script = format!("$f = {}; & $f", pieces.join(" + "));
        let tree = decode(&script, &Limits::default());
        let want = format!("$f = {}; & $f", ps_quote(&text));
        prop_assert_eq!(tree.layers.first().map(|l| (l.kind, l.content.clone())), Some((LayerKind::Concat, Content::Text(want))));
    }

    #[test]
    fn xor_loops_are_undone(text in "[ -~]{8,100}", key in 1u8..=255) {
        let xored: Vec<u8> = text.bytes().map(|b| b ^ key).collect();
        let script = format!(
            "$b = [Convert]::FromBase64String('{}')\nfor ($i = 0; $i -lt $b.Length; $i++) {{ $b[$i] = $b[$i] -bxor {key} }}\niex ([Text.Encoding]::ASCII.GetString($b))",
            b64(&xored)
        );
        let tree = decode(&script, &Limits::default());
        prop_assert!(holding(&tree, &text).contains(&vec![LayerKind::Base64Bytes, LayerKind::Xor { key }]), "{tree:?}");
    }
}

#[test]
fn layers_stack_through_encodings_compression_and_char_codes() {
    let innermost = "Invoke-Mimikatz";
    let codes: Vec<String> = innermost.chars().map(|c| (c as u32).to_string()).collect();
    let stage2 = format!("& ([char[]]({}) -join '')", codes.join(","));
    let stage1 = gzip_loader(&gzip(stage2.as_bytes()));
    let script = format!("powershell -w hidden -enc {}", b64(&utf16le(&stage1)));
    let tree = decode(&script, &Limits::default());
    assert_eq!(
        holding(&tree, innermost),
        vec![vec![
            LayerKind::EncodedCommand,
            LayerKind::Base64Bytes,
            LayerKind::Gzip,
            LayerKind::CharCodes
        ]]
    );
    assert!(tree.stopped.is_empty(), "{:?}", tree.stopped);
    // Spans point at the encoded piece of the parent.
    let enc = &tree.layers[0];
    assert_eq!(&script[enc.span.clone()], b64(&utf16le(&stage1)));
}

#[test]
fn a_gzip_bomb_stops_with_its_memory_bounded() {
    let zeros = vec![0u8; 8 << 20];
    let bomb = gzip(&zeros);
    assert!(bomb.len() * 100 < zeros.len());
    let tree = decode(&gzip_loader(&bomb), &Limits::default());
    let stopped: Vec<(&LayerKind, &str)> = tree
        .stopped
        .iter()
        .map(|s| (&s.kind, s.reason.as_str()))
        .collect();
    let cap = bomb.len() * 100;
    assert_eq!(
        stopped,
        vec![(
            &LayerKind::Gzip,
            format!("decompression bomb: over {cap} bytes").as_str()
        )]
    );
    assert!(tree.layers.iter().all(|l| l.content.len() <= bomb.len()));

    // Under a small layer limit, even a modest ratio is cut at the limit.
    let limits = Limits {
        max_layer_bytes: 1000,
        ..Limits::default()
    };
    let tree = decode(&gzip_loader(&gzip(&[b'A'; 5000])), &limits);
    assert_eq!(tree.stopped.len(), 1);
    assert_eq!(
        tree.stopped[0].reason,
        "decompression bomb: over 1000 bytes"
    );
}

#[test]
fn truncated_gzip_and_invalid_base64_are_reported() {
    let whole = gzip(b"Write-Output 'this stream gets cut short before its end'");
    let tree = decode(&gzip_loader(&whole[..whole.len() - 10]), &Limits::default());
    assert_eq!(tree.stopped.len(), 1, "{tree:?}");
    assert_eq!(tree.stopped[0].kind, LayerKind::Gzip);
    assert!(
        tree.stopped[0].reason.contains("gzip"),
        "{:?}",
        tree.stopped
    );
    assert_eq!(tree.stopped[0].parent, Some(0));

    let script = "[Text.Encoding]::UTF8.GetString([Convert]::FromBase64String('SGVsbG8gd29ybGQ*'))";
    let tree = decode(script, &Limits::default());
    assert!(tree.layers.is_empty());
    assert_eq!(tree.stopped.len(), 1);
    assert!(tree.stopped[0].reason.starts_with("invalid base64"));
    assert_eq!(&script[tree.stopped[0].span.clone()], "SGVsbG8gd29ybGQ*");
}

#[test]
fn nine_nested_encodings_stop_at_depth_eight() {
    let mut levels = vec!["Write-Host 'bottom'".to_owned()];
    for _ in 0..9 {
        let below = levels.last().unwrap();
        levels.push(format!("powershell -enc {}", b64(&utf16le(below))));
    }
    let tree = decode(&levels[9], &Limits::default());
    assert_eq!(tree.layers.len(), 8);
    for (i, layer) in tree.layers.iter().enumerate() {
        assert_eq!(layer.content, Content::Text(levels[8 - i].clone()));
        assert_eq!(tree.depth_of(i), i + 1);
    }
    assert_eq!(tree.stopped.len(), 1);
    assert_eq!(tree.stopped[0].parent, Some(7));
    assert_eq!(tree.stopped[0].reason, "deeper than 8 layers");
}

#[test]
fn masks_make_hidden_words_whole() {
    let script = "$k=[Ref].Assembly.GetType(\"{2}{0}{1}\" -f 'ation.',('Am'+\"siUt`ils\"),'System.Management.Autom'); $w = 'VirtXXualAlloc'.Replace('XX','')";
    let tree = decode(script, &Limits::default());
    let last = tree.texts().last().map(|(_, t)| t.to_owned());
    assert_eq!(
        last.as_deref(),
        Some("$k=[Ref].Assembly.GetType('System.Management.Automation.AmsiUtils'); $w = 'VirtualAlloc'")
    );
    let kinds: Vec<LayerKind> = tree.layers.iter().map(|l| l.kind).collect();
    assert_eq!(
        kinds,
        vec![
            LayerKind::Backtick,
            LayerKind::Concat,
            LayerKind::Format,
            LayerKind::Replace
        ]
    );
}

/// The committed fuzz seeds are real loader shapes (encoded outside Rust, by Python's base64,
/// gzip and zlib): each must give up the words it hides.
#[test]
fn the_seed_loaders_give_up_their_words() {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fuzz/corpus/decode");
    let cases = [
        ("encoded-command.ps1", "VirtualAlloc"),
        ("gzip-stream.ps1", "hello"),
        ("gzip-stream.ps1", "IEX"),
        ("deflate-xor.ps1", "Invoke-Mimikatz -DumpCreds"),
        ("deflate-xor.ps1", "VirtualAlloc"),
        ("masks.ps1", "System.Management.Automation.AmsiUtils"),
        ("masks.ps1", "Hi"),
    ];
    for (name, word) in cases {
        let script = std::fs::read_to_string(dir.join(name)).unwrap();
        let tree = decode(&script, &Limits::default());
        assert!(
            tree.texts().any(|(_, t)| t.contains(word)),
            "{name}: {word} not found in {tree:#?}"
        );
    }
}

/// Shapes that would make a careless decoder recurse deeply or rescan the text per match.
#[test]
fn hostile_shapes_end() {
    let shapes = [
        format!(
            "{}'x'{}.Replace('x','y')",
            "(".repeat(100_000),
            ")".repeat(100_000)
        ),
        "$s[-1..-(".repeat(20_000),
        format!("$s = 'abc'; {}", "$s[-1..-3] ".repeat(20_000)),
        "'a'+'b','c'+'d',".repeat(20_000),
        "\"{0}\" -f ".repeat(20_000),
        format!(
            "$s='QUFB'; {}",
            "[Convert]::FromBase64String($s) ".repeat(5_000)
        ),
        "<# '".repeat(10_000),
        "@'\n".repeat(10_000),
    ];
    for script in shapes {
        let tree = decode(&script, &Limits::default());
        assert!(tree.layers.len() <= Limits::default().max_layers);
    }
}

/// Pieces of the idioms the decoders look for, to be shuffled into near-misses.
const TOKENS: &[&str] = &[
    "'",
    "\"",
    "(",
    ")",
    "[char]",
    "[char[]]",
    "@(",
    " -enc ",
    "-e ",
    "[Convert]::FromBase64String(",
    "[Text.Encoding]::Unicode.GetString(",
    "+",
    " -f ",
    ".Replace(",
    " -replace ",
    "[-1..-",
    "]",
    "$s",
    "$_",
    " = ",
    ",",
    "0x41",
    "65",
    "55296",
    "`",
    "`n",
    "#",
    "<#",
    "#>",
    "@'\n",
    "\n'@",
    " -bxor 5",
    "SGVsbG8=",
    "aABpAA==",
    "H4sIAAAAAAAA",
    "{0}",
    "{1}",
    "é",
    "\n",
    " | % {",
    "}",
    "DeflateStream",
    "[Array]::Reverse(",
    ";",
    " ",
    "\t",
    "\u{a0}",
    "\u{b}",
    "-1",
    "..",
    "-",
    "-F",
    "`A",
    "`+",
    "@\"\n",
    "\n\"@",
    " /e ",
    " \u{2013}enc ",
    "QUJDREVGR0hJSktMTU5PUFFSU1RVVldYWVphYmNkZWZnaGlq",
];

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    /// Shuffled idiom pieces: the fuzz target's property (no panic, spans inside their parents
    /// on character boundaries, limits kept) holds.
    #[test]
    fn shuffled_idioms_keep_the_fuzz_property(pieces in prop::collection::vec(prop::sample::select(TOKENS), 0..48)) {
        pstriage::fuzz_checks::decode(pieces.concat().as_bytes());
    }

    /// The quick look at each text's triggers never holds back a pass or finder that would
    /// change it or find a layer: the tree is the same with and without it.
    #[test]
    fn the_quick_look_changes_no_tree(pieces in prop::collection::vec(prop::sample::select(TOKENS), 0..48)) {
        let text = pieces.concat();
        let limits = Limits::default();
        prop_assert_eq!(decode(&text, &limits), pstriage::decode::decode_without_quick_look(&text, &limits));
    }
}
