//! Static de-obfuscation of PowerShell loaders: finds the encoded, compressed and masked layers
//! in a logged script block and decodes them into a tree, so an analyst (and the rules) can read
//! what the script would have run. It only reads text: it never executes, evaluates or resolves
//! anything, and does no I/O, no threads, no terminal and no index work.
//!
//! Two sorts of layer:
//! - payload layers stand for one expression of their parent's text (an `-EncodedCommand`
//!   argument, a `FromBase64String` literal, a char-code array, a reversed string, a gzip or
//!   XOR step over bytes); their span is that piece of the parent;
//! - mask layers (`Backtick`, `Concat`, `Format`, `Replace`) are the whole parent script with
//!   every spot of one kind of token-level noise rewritten (`'Vir'+'tual'` → `'Virtual'`), so a
//!   later search sees `VirtualAlloc` as one token. Their span is the whole parent text. When a
//!   text has any mask, payloads are looked for in the unmasked text only, so nothing is found
//!   twice.
//!
//! Every decoder is bounded by [`Limits`]; a branch that cannot go on becomes a [`Stopped`]
//! entry with the reason instead of an error or a panic.

mod backtick;
mod bare;
mod base64;
mod charcodes;
mod concat;
mod convert;
mod cursor;
mod driver;
mod dump;
mod encoded_command;
mod format;
mod inflate;
mod lex;
mod limits;
mod mask;
mod replace;
mod reverse;
mod text;
mod triggers;
mod xor;

pub use dump::{binary_hints, hex_dump};
pub use limits::Limits;

use std::ops::Range;

/// How a layer was encoded in its parent.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum LayerKind {
    /// `powershell -EncodedCommand <base64 of UTF-16LE>` (any prefix, `-enc`, `-e`, `-ec`).
    EncodedCommand,
    /// Base64 whose bytes are text in this encoding (declared by `GetString` or recognised).
    Base64 {
        text: TextEncoding,
    },
    /// Base64 whose bytes are not text (or are fed on to a stream or an XOR loop).
    Base64Bytes,
    Gzip,
    /// Raw deflate (`IO.Compression.DeflateStream`).
    Deflate,
    CharCodes,
    Reverse,
    Replace,
    Concat,
    Backtick,
    Format,
    Xor {
        key: u8,
    },
}

impl LayerKind {
    pub fn name(&self) -> &'static str {
        match self {
            LayerKind::EncodedCommand => "encoded-command",
            LayerKind::Base64 { text } => match text {
                TextEncoding::Utf8 => "base64/utf-8",
                TextEncoding::Utf16Le => "base64/utf-16le",
                TextEncoding::Ascii => "base64/ascii",
            },
            LayerKind::Base64Bytes => "base64/bytes",
            LayerKind::Gzip => "gzip",
            LayerKind::Deflate => "deflate",
            LayerKind::CharCodes => "char-codes",
            LayerKind::Reverse => "reverse",
            LayerKind::Replace => "replace",
            LayerKind::Concat => "concat",
            LayerKind::Backtick => "backtick",
            LayerKind::Format => "format",
            LayerKind::Xor { .. } => "xor",
        }
    }

    /// A mask layer rewrites its whole parent; the others decode one piece of it.
    pub fn is_mask(&self) -> bool {
        matches!(
            self,
            LayerKind::Replace | LayerKind::Concat | LayerKind::Backtick | LayerKind::Format
        )
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum TextEncoding {
    Utf8,
    Utf16Le,
    Ascii,
}

impl TextEncoding {
    pub fn name(&self) -> &'static str {
        match self {
            TextEncoding::Utf8 => "utf-8",
            TextEncoding::Utf16Le => "utf-16le",
            TextEncoding::Ascii => "ascii",
        }
    }
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Content {
    Text(String),
    Binary(Vec<u8>),
}

impl Content {
    pub fn len(&self) -> usize {
        match self {
            Content::Text(s) => s.len(),
            Content::Binary(b) => b.len(),
        }
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    pub fn as_text(&self) -> Option<&str> {
        match self {
            Content::Text(s) => Some(s),
            Content::Binary(_) => None,
        }
    }
}

/// One decoded layer.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Layer {
    pub kind: LayerKind,
    /// Index into [`Tree::layers`]; `None` for a layer found in the logged script itself.
    pub parent: Option<usize>,
    /// Byte range in the parent's text (or bytes, for a binary parent) that this layer decodes.
    pub span: Range<usize>,
    pub content: Content,
}

/// A branch that was recognised but could not be decoded, or was cut by a limit.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Stopped {
    pub parent: Option<usize>,
    pub span: Range<usize>,
    pub kind: LayerKind,
    pub reason: String,
}

#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Tree {
    /// Outermost first, depth-first: a layer's parent always comes before it.
    pub layers: Vec<Layer>,
    pub stopped: Vec<Stopped>,
}

impl Tree {
    /// 1 for a layer found in the logged script, 2 for one found inside that, and so on.
    pub fn depth_of(&self, i: usize) -> usize {
        self.ancestry(i).count()
    }

    /// The kinds from the outermost layer down to layer `i`.
    pub fn chain(&self, i: usize) -> Vec<&LayerKind> {
        let mut kinds: Vec<&LayerKind> = self.ancestry(i).map(|l| &l.kind).collect();
        kinds.reverse();
        kinds
    }

    /// Every text layer with its index.
    pub fn texts(&self) -> impl Iterator<Item = (usize, &str)> {
        self.layers
            .iter()
            .enumerate()
            .filter_map(|(i, l)| l.content.as_text().map(|t| (i, t)))
    }

    /// Layer `i`, its parent, its parent's parent… Parents always precede their children, so
    /// the walk ends even on a hand-built tree with a bad index.
    fn ancestry(&self, i: usize) -> impl Iterator<Item = &Layer> {
        let mut next = self.layers.get(i).map(|l| (i, l));
        std::iter::from_fn(move || {
            let (at, layer) = next?;
            next = layer
                .parent
                .filter(|p| *p < at)
                .and_then(|p| self.layers.get(p).map(|l| (p, l)));
            Some(layer)
        })
    }
}

/// Decodes every layer found in `script`, within `limits`.
pub fn decode(script: &str, limits: &Limits) -> Tree {
    driver::run(script, limits, true)
}

/// `decode` without the quick look that skips the passes and finders a text gives no trigger
/// for: for the test that the look never changes a tree.
#[doc(hidden)]
pub fn decode_without_quick_look(script: &str, limits: &Limits) -> Tree {
    driver::run(script, limits, false)
}

#[cfg(test)]
pub(crate) mod test_support {
    /// A plain base64 encoder for tests, written independently of the decoder under test.
    pub fn b64(bytes: &[u8]) -> String {
        const ABC: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
        let mut out = String::new();
        for chunk in bytes.chunks(3) {
            let n = chunk.len();
            let v = (u32::from(chunk[0]) << 16)
                | (u32::from(*chunk.get(1).unwrap_or(&0)) << 8)
                | u32::from(*chunk.get(2).unwrap_or(&0));
            for k in 0..4 {
                if k <= n {
                    out.push(ABC[(v >> (18 - 6 * k)) as usize & 63] as char);
                } else {
                    out.push('=');
                }
            }
        }
        out
    }

    pub fn utf16le(s: &str) -> Vec<u8> {
        s.encode_utf16().flat_map(u16::to_le_bytes).collect()
    }
}

#[cfg(test)]
mod tests {
    use super::test_support::{b64, utf16le};
    use super::*;

    #[test]
    fn the_test_encoder_matches_known_vectors() {
        assert_eq!(b64(b"Hello"), "SGVsbG8=");
        assert_eq!(b64(&utf16le("hi")), "aABpAA==");
        assert_eq!(b64(b"ab"), "YWI=");
        assert_eq!(b64(b"abc"), "YWJj");
    }

    #[test]
    fn tree_walks_follow_parents() {
        let layer = |parent, kind| Layer {
            kind,
            parent,
            span: 0..1,
            content: Content::Text("x".into()),
        };
        let tree = Tree {
            layers: vec![
                layer(None, LayerKind::EncodedCommand),
                layer(Some(0), LayerKind::Concat),
                layer(Some(1), LayerKind::CharCodes),
                layer(None, LayerKind::Reverse),
            ],
            stopped: vec![],
        };
        assert_eq!(tree.depth_of(0), 1);
        assert_eq!(tree.depth_of(2), 3);
        assert_eq!(tree.depth_of(3), 1);
        assert_eq!(tree.depth_of(9), 0);
        assert_eq!(
            tree.chain(2),
            vec![
                &LayerKind::EncodedCommand,
                &LayerKind::Concat,
                &LayerKind::CharCodes
            ]
        );
        assert_eq!(tree.texts().count(), 4);
    }

    #[test]
    fn a_nested_encoded_command_decodes_all_the_way_down() {
        let inner = "Write-Host 'pwned'";
        let middle = format!("powershell -enc {}", b64(&utf16le(inner)));
        let outer = format!(
            "powershell.exe -NoP -EncodedCommand {}",
            b64(&utf16le(&middle))
        );
        let tree = decode(&outer, &Limits::default());
        let texts: Vec<&str> = tree.texts().map(|(_, t)| t).collect();
        assert_eq!(texts, vec![middle.as_str(), inner]);
        assert_eq!(tree.depth_of(1), 2);
        assert!(tree.stopped.is_empty());
    }
}
