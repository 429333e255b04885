//! Builds the layer tree: runs the mask passes and the payload finders over a text, keeps what
//! they decode within the limits, and goes down into each new layer depth-first. Finders only
//! report; this is the one place that enforces depth, sizes and counts.

use super::lex::Src;
use super::triggers::Triggers;
use super::{
    bare, charcodes, convert, encoded_command, inflate, mask, reverse, text, xor, Content, Layer,
    LayerKind, Limits, Stopped, Tree,
};
use std::ops::Range;

/// Most findings one finder reports for one text: the tree keeps at most `max_layers` anyway,
/// and the bound keeps a text made of thousands of look-alike spots from costing much time.
pub(crate) const MAX_FINDINGS: usize = 1024;

/// What a finder saw in a text: a piece to decode, and what came of decoding it.
pub(crate) struct Found {
    pub span: Range<usize>,
    pub kind: LayerKind,
    pub outcome: Result<Content, String>,
    pub then: Then,
}

/// What the code around a base64 blob says happens to its bytes next.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(crate) struct Then {
    /// An XOR loop with this constant key runs over the bytes.
    pub xor: Option<u8>,
    /// The script reads them through a `DeflateStream`.
    pub deflate: bool,
}

/// Decodes `script`; with `quick_look`, each text first gets its [`Triggers`] and only the
/// passes and finders they allow run (the same tree, sooner); without, every one runs.
pub(crate) fn run(script: &str, limits: &Limits, quick_look: bool) -> Tree {
    let mut d = Driver {
        limits,
        quick_look,
        tree: Tree::default(),
        bytes: 0,
    };
    d.text(None, script, 0);
    d.tree
}

struct Driver<'l> {
    limits: &'l Limits,
    quick_look: bool,
    tree: Tree,
    /// Content bytes kept so far, against `max_total_bytes`.
    bytes: usize,
}

impl Driver<'_> {
    /// A text at `depth` (0 for the logged script): its first mask pass if it has one (whose
    /// result is then treated the same way), else its payloads.
    fn text(&mut self, parent: Option<usize>, text: &str, depth: usize) {
        let on = if self.quick_look {
            Triggers::of(text, self.limits.min_bare_base64)
        } else {
            Triggers::all()
        };
        if !on.any_mask() && !on.any_payload() {
            return;
        }
        // One lexing of the text serves the mask passes and the payload finders.
        let src = Src::new(text);
        if let Some((kind, unmasked)) = mask::first_pass(&src, &on) {
            let found = Found {
                span: 0..text.len(),
                kind,
                outcome: Ok(Content::Text(unmasked)),
                then: Then::default(),
            };
            self.keep(parent, found, depth);
            return;
        }
        let mut found = Vec::new();
        if on.encoded_command {
            found.extend(encoded_command::find(&src));
        }
        if on.convert {
            found.extend(convert::find(&src, self.limits));
        }
        if on.bare {
            let claimed: Vec<Range<usize>> = found.iter().map(|f| f.span.clone()).collect();
            found.extend(bare::find(&src, &claimed, self.limits));
        }
        if on.charcodes {
            found.extend(charcodes::find(&src));
        }
        if on.reverse {
            found.extend(reverse::find(&src));
        }
        found.sort_by_key(|f| (f.span.start, f.span.end));
        found.dedup_by(|a, b| a.span == b.span && a.kind == b.kind);
        for f in found {
            self.keep(parent, f, depth);
        }
    }

    /// Bytes of layer `parent`: undo the XOR or decompression the script applies to them.
    fn binary(&mut self, parent: usize, bytes: &[u8], then: Then, depth: usize) {
        let span = 0..bytes.len();
        let (kind, outcome, then) = if let Some(key) = then.xor {
            let out = xor::apply(bytes, key);
            let next = Then { xor: None, ..then };
            (LayerKind::Xor { key }, Ok(text::classify(out)), next)
        } else if bytes.starts_with(&inflate::GZIP_MAGIC) {
            let out = inflate::gunzip(bytes, self.limits).map(text::classify);
            (LayerKind::Gzip, out, Then::default())
        } else if then.deflate {
            let out = inflate::inflate_raw(bytes, self.limits).map(text::classify);
            (LayerKind::Deflate, out, Then::default())
        } else {
            return;
        };
        let found = Found {
            span,
            kind,
            outcome,
            then,
        };
        self.keep(Some(parent), found, depth);
    }

    /// Keeps a finding as a layer at `depth + 1` if the limits allow, and goes into it.
    fn keep(&mut self, parent: Option<usize>, f: Found, depth: usize) {
        let content = match f.outcome {
            Ok(content) => content,
            Err(reason) => return self.stop(parent, f.span, f.kind, reason),
        };
        let limits = self.limits;
        let size = content.len();
        let refusal = if depth >= limits.max_depth {
            Some(format!("deeper than {} layers", limits.max_depth))
        } else if self.tree.layers.len() >= limits.max_layers {
            Some(format!("more than {} layers", limits.max_layers))
        } else if size > limits.max_layer_bytes {
            Some(format!(
                "{size} bytes is over the {} byte layer limit",
                limits.max_layer_bytes
            ))
        } else if self.bytes.saturating_add(size) > limits.max_total_bytes {
            Some(format!(
                "over {} bytes decoded in all",
                limits.max_total_bytes
            ))
        } else {
            None
        };
        if let Some(reason) = refusal {
            return self.stop(parent, f.span, f.kind, reason);
        }
        self.bytes += size;
        let at = self.tree.layers.len();
        self.tree.layers.push(Layer {
            kind: f.kind,
            parent,
            span: f.span,
            content,
        });
        // Lend the content out while its children are found; they only append to the tree.
        let Some(layer) = self.tree.layers.get_mut(at) else {
            return;
        };
        let content = std::mem::replace(&mut layer.content, Content::Binary(Vec::new()));
        match &content {
            Content::Text(t) => self.text(Some(at), t, depth + 1),
            Content::Binary(b) => self.binary(at, b, f.then, depth + 1),
        }
        if let Some(layer) = self.tree.layers.get_mut(at) {
            layer.content = content;
        }
    }

    fn stop(&mut self, parent: Option<usize>, span: Range<usize>, kind: LayerKind, reason: String) {
        if self.tree.stopped.len() < self.limits.max_layers {
            self.tree.stopped.push(Stopped {
                parent,
                span,
                kind,
                reason,
            });
        }
    }
}
