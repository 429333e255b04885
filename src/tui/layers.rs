//! What the Decoded tab shows for one event, computed when the tab is opened (in `update`, never
//! while drawing): the layer tree of its script (the whole reassembled script when it was logged
//! in fragments), each text layer highlighted with the rules' terms marked as on the Script tab,
//! each binary layer as a hex dump with its hints, and the links between decoded layers and the
//! blocks they were logged as.

use super::derived::{script_of, script_text, ScriptView};
use crate::decode::{self, Content, Limits};
use crate::decoded::with_script_text;
use crate::ecs::{self, Fields};
use crate::event::Event;
use crate::highlight;
use crate::i18n::{t, tf};
use crate::workspace::Workspace;

/// Rows of hex dump shown for a binary layer.
const DUMP_ROWS: usize = 64;

/// Text layers larger than this are shown without syntax colours: highlighting is the slowest
/// step, and a payload this big is read for its marks, not its colours.
const HIGHLIGHT_MAX: usize = 256 * 1024;

/// One layer as the tab shows it.
pub struct LayerView {
    /// 1 for a layer of the logged text, 2 inside that, …
    pub depth: usize,
    pub kind: &'static str,
    /// Byte range in the parent.
    pub span: (usize, usize),
    pub size: usize,
    /// The block this layer's text was logged as (another script block id of the host).
    pub logged_as: Option<String>,
    pub body: LayerBody,
}

pub enum LayerBody {
    Text(ScriptView),
    Binary {
        dump: String,
        hints: Vec<&'static str>,
    },
}

/// The Decoded tab of one event.
pub struct DecodedView {
    /// Which event (reading order) this is for.
    pub ord: u64,
    /// Which alert it was made for (several alerts can share an event), when one.
    pub alert: Option<usize>,
    /// What was decoded: "the script block as logged" or "the whole script, n fragments".
    pub source: String,
    pub layers: Vec<LayerView>,
    /// Branches that ended: kind, and why.
    pub stopped: Vec<String>,
    /// When this block is itself what a loader decoded to: the loader's id and the layers.
    pub decoded_from: Option<String>,
}

/// Decodes `event`'s script (the reassembled whole when it is a fragment of one) and prepares
/// every layer for drawing.
pub fn compute(ws: &Workspace, event: &Event) -> DecodedView {
    let f = Fields::of_lenient(&event.doc);
    let host = f.first(ecs::names::HOST_NAME).unwrap_or_default();
    let own_id = f.first(ecs::names::SCRIPT_BLOCK_ID);
    let (text, source) = match script_of(ws, event) {
        Some(s) => (
            s.text.clone(),
            tf(
                "decoded.source_whole",
                &[("n", &s.fragments.len()), ("total", &s.total)],
            ),
        ),
        None => (script_text(event, 0), t("script.as_logged").to_owned()),
    };
    let tree = decode::decode(&text, &Limits::default());
    let layers = tree
        .layers
        .iter()
        .enumerate()
        .map(|(i, layer)| {
            let body = match &layer.content {
                Content::Text(t) => LayerBody::Text(text_view(ws, event, t)),
                Content::Binary(b) => LayerBody::Binary {
                    dump: decode::hex_dump(b, DUMP_ROWS),
                    hints: decode::binary_hints(b),
                },
            };
            LayerView {
                depth: tree.depth_of(i),
                kind: layer.kind.name(),
                span: (layer.span.start, layer.span.end),
                size: layer.content.len(),
                logged_as: layer.content.as_text().and_then(|t| {
                    ws.logged
                        .find(&host, t, own_id.as_deref())
                        .map(str::to_owned)
                }),
                body,
            }
        })
        .collect();
    let stopped = tree
        .stopped
        .iter()
        .map(|s| {
            tf(
                "decoded.stopped_at",
                &[
                    ("kind", &s.kind.name()),
                    ("from", &s.span.start),
                    ("to", &s.span.end),
                    ("why", &s.reason),
                ],
            )
        })
        .collect();
    let decoded_from = own_id.and_then(|id| {
        ws.decoded_from
            .get(&(host.clone(), id))
            .map(|d| format!("{} ({})", d.loader, d.layers.join(" › ")))
    });
    DecodedView {
        ord: event.source.ord,
        alert: None,
        source,
        layers,
        stopped,
        decoded_from,
    }
}

/// A decoded text with every rule's terms marked, read as if it were the event's script.
fn text_view(ws: &Workspace, event: &Event, text: &str) -> ScriptView {
    let as_logged = with_script_text(event, text);
    let fields = Fields::of_lenient(&as_logged.doc);
    let mut marks: Vec<(usize, usize, String)> = Vec::new();
    for rule in &ws.rules {
        let e = rule.explain(&fields, ws.analyzer);
        marks.extend(
            e.held_clause_hits()
                .into_iter()
                .filter(|h| h.field == ecs::names::SCRIPT_BLOCK_TEXT)
                .map(|h| (h.start, h.end, h.term.clone())),
        );
    }
    marks.sort();
    marks.dedup();
    let spans = if text.len() <= HIGHLIGHT_MAX {
        highlight::highlight(text)
    } else {
        Vec::new()
    };
    ScriptView {
        text: text.to_owned(),
        marks,
        spans,
        about: if text.len() <= HIGHLIGHT_MAX {
            String::new()
        } else {
            tf("script.no_colours", &[("kb", &(HIGHLIGHT_MAX / 1024))])
        },
        ..ScriptView::default()
    }
}
