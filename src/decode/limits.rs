//! The bounds every decoder works within, so a hostile script cannot make decoding slow or
//! large: nesting depth, the size of one layer and of all layers, decompression ratio, the
//! number of layers. Plain data; no logic beyond the defaults.

/// Bounds for [`decode`](super::decode). A decoder that would go past one records a
/// [`Stopped`](super::Stopped) branch instead.
/// The longest string one mask pass builds from one expression (a replacement chain, a format):
/// a pass runs before the driver can measure its output, and `'x'.Replace('x','xx')` repeated
/// doubles a string per step. Real masks shrink or keep their strings; an expression that
/// would grow past this is left as written.
pub(crate) const MAX_MASKED_VALUE: usize = 1 << 20;

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Limits {
    /// Deepest layer kept (the logged script is depth 0; mask layers count too).
    pub max_depth: usize,
    /// Largest content of one layer, in bytes.
    pub max_layer_bytes: usize,
    /// A gzip or deflate layer may be at most this many times its compressed input.
    pub max_ratio: usize,
    /// Most layers in one tree (and most stopped branches recorded).
    pub max_layers: usize,
    /// Shortest quoted literal tried as base64 when nothing around it says it is.
    pub min_bare_base64: usize,
    /// All layers' contents together, in bytes: mask layers copy their whole parent, so many
    /// small layers could otherwise add up.
    pub max_total_bytes: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_depth: 8,
            max_layer_bytes: 16 << 20,
            max_ratio: 100,
            max_layers: 256,
            min_bare_base64: 40,
            max_total_bytes: 64 << 20,
        }
    }
}
