//! The decoded pass (`scan --decoded`, `scan --stream --decoded`, and the TUI's later phase):
//! every script block is decoded (a script logged in several fragments once, from its
//! reassembled text), the rules run on what its layers hide (`crate::decoded::findings`), and
//! each decoded layer is linked to the block it was logged as, both ways.
//!
//! A `Decoder` turns one event into a `DecodedBlock` on whichever thread holds it (the stream's
//! workers, or this pass over an index, read through `Dataset` only); `finish_pass` links the
//! blocks once all are in. The decoding and the matching are pure modules.

use crate::alert::Alert;
use crate::analysis::Analyzer;
use crate::decode::{self, Limits, Tree};
use crate::decoded::{self, LoggedBlocks};
use crate::ecs::{self, Fields};
use crate::event::Event;
use crate::index::{self, Dataset};
use crate::reassembly::{self, Script};
use crate::rule::kql::PlanSet;
use crate::rule::Rule;
use rustc_hash::FxHashSet;
use std::collections::HashMap;
use std::ops::Range;

/// A logged block that a loader's decoded layer equals.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DecodedFrom {
    /// The loader's script block id.
    pub loader: String,
    /// The layer kinds from the loader's text down to this block's text.
    pub layers: Vec<String>,
}

/// What the decoded pass found.
#[derive(Default)]
pub struct DecodedPass {
    /// Rule findings on decoded layers (`AlertKind::Decoded`).
    pub findings: Vec<Alert>,
    /// Every logged block by (host, text).
    pub logged: LoggedBlocks,
    /// (host, script block id) of a logged block → the loader it was decoded from.
    pub decoded_from: HashMap<(String, String), DecodedFrom>,
    /// Script texts decoded, and how many held at least one layer.
    pub texts: usize,
    pub with_layers: usize,
}

/// One logged script block, decoded, with the rule findings on its layers: what the pass needs
/// of it once every block is known. Made on whichever thread read the event (a streaming
/// worker, or the pass itself on an index), so decoding runs where the text already is.
pub struct DecodedBlock {
    /// Time order as alerts are listed: the first parseable `@timestamp`, then reading order.
    order: (Option<i64>, u64),
    host: String,
    id: String,
    text_key: u64,
    /// Whether the event is a fragment that reassembly takes: its script stands for it.
    in_script: bool,
    /// The layer tree, kept only when the text has layers.
    tree: Option<Tree>,
    /// Rule findings on the layers, `logged_as` not filled in yet.
    findings: Vec<Alert>,
}

/// The fields a block is read from.
const BLOCK_FIELDS: [&str; 6] = [
    ecs::names::SCRIPT_BLOCK_TEXT,
    ecs::names::TIMESTAMP,
    ecs::names::HOST_NAME,
    ecs::names::SCRIPT_BLOCK_ID,
    ecs::names::SEQUENCE,
    ecs::names::TOTAL,
];

/// Decodes script blocks and runs the rules on their layers.
pub struct Decoder<'r> {
    rules: &'r [Rule],
    plans: PlanSet,
    analyzer: Analyzer,
    limits: Limits,
}

impl<'r> Decoder<'r> {
    pub fn new(rules: &'r [Rule], analyzer: Analyzer, limits: Limits) -> Self {
        Decoder {
            rules,
            plans: PlanSet::new(rules.iter().map(|r| &r.plan)),
            analyzer,
            limits,
        }
    }

    /// Decodes `event`'s script text; `None` when the event carries none. `fired` lists the
    /// rules that already match the logged text, when the caller has just checked it (else
    /// `decoded::findings` checks the ones it needs).
    pub fn block(&self, event: &Event, fired: Option<&[usize]>) -> Option<DecodedBlock> {
        self.block_in(event, &Fields::of_only(&event.doc, &BLOCK_FIELDS), fired)
    }

    /// [`Decoder::block`] of an event whose document the caller has flattened already (`f`,
    /// of `event.doc`, holding at least the block's fields).
    pub fn block_in(
        &self,
        event: &Event,
        f: &Fields<'_>,
        fired: Option<&[usize]>,
    ) -> Option<DecodedBlock> {
        // Borrowed: script texts are most of an export's bytes.
        let text = ecs::leaf_as_keyword(f.get(ecs::names::SCRIPT_BLOCK_TEXT).first()?);
        let totals = f.get(ecs::names::TOTAL);
        // As the index's `multi_fragment_events` (an id, and a total none of whose values is 1),
        // then what `reassemble` takes of those.
        let in_script = f.has(ecs::names::SCRIPT_BLOCK_ID)
            && !totals.is_empty()
            && !totals.iter().any(|v| ecs::leaf_as_keyword(v) == "1")
            && reassembly::place(f).is_some();
        // It is decoded as part of its script instead.
        let tree = if in_script {
            Tree::default()
        } else {
            decode::decode(&text, &self.limits)
        };
        let findings = if tree.layers.is_empty() {
            Vec::new()
        } else {
            decoded::findings(self.rules, &self.plans, event, &tree, self.analyzer, fired)
        };
        Some(DecodedBlock {
            order: (
                f.get(ecs::names::TIMESTAMP)
                    .iter()
                    .find_map(|v| ecs::parse_date_millis(v)),
                event.source.ord,
            ),
            host: f.first(ecs::names::HOST_NAME).unwrap_or_default(),
            id: f.first(ecs::names::SCRIPT_BLOCK_ID).unwrap_or_default(),
            // A fragment is recorded under its script's text, not its own.
            text_key: if in_script {
                0
            } else {
                decoded::text_key(&text)
            },
            in_script,
            tree: (!tree.layers.is_empty()).then_some(tree),
            findings,
        })
    }
}

impl DecodedBlock {
    /// Whether the block is a fragment that reassembly takes (its event must then go to the
    /// reassembler, and the block gives way to the script).
    pub fn in_script(&self) -> bool {
        self.in_script
    }
}

/// Decoded blocks kept until the pass ends, their hosts and ids in one buffer. Tens of
/// thousands of small names, each its own allocation held while every parsed event of the
/// stream was allocated and freed around it, made the allocator's work a tenth costlier for
/// the whole scan (`scan --stream --decoded` on 100 MB: 0.580 → 0.534 s of CPU with no names
/// kept at all).
#[derive(Default)]
pub struct Blocks {
    names: String,
    kept: Vec<KeptBlock>,
}

/// A [`DecodedBlock`] whose host and id are ranges of [`Blocks::names`] (never a fragment:
/// it gives way to its script).
struct KeptBlock {
    order: (Option<i64>, u64),
    host: Range<usize>,
    id: Range<usize>,
    text_key: u64,
    tree: Option<Tree>,
    findings: Vec<Alert>,
}

/// A kept block with its names, once the pass ends.
struct Named {
    block: KeptBlock,
    host: String,
    id: String,
}

impl Blocks {
    /// Keeps `b`, its host and id copied into the shared buffer (its own strings are freed
    /// at once, with the event they came from); a fragment that reassembly takes is dropped:
    /// its script stands for it.
    pub fn push(&mut self, b: DecodedBlock) {
        if b.in_script {
            return;
        }
        let host = self.name(&b.host);
        let id = self.name(&b.id);
        self.kept.push(KeptBlock {
            order: b.order,
            host,
            id,
            text_key: b.text_key,
            tree: b.tree,
            findings: b.findings,
        });
    }

    /// The blocks `keep` takes, each with its host and id.
    fn take_named(self, keep: impl Fn(&KeptBlock) -> bool) -> Vec<Named> {
        let Blocks { names, kept } = self;
        let name = |r: &Range<usize>| names.get(r.clone()).unwrap_or_default().to_owned();
        kept.into_iter()
            .filter(|b| keep(b))
            .map(|block| {
                let (host, id) = (name(&block.host), name(&block.id));
                Named { block, host, id }
            })
            .collect()
    }

    fn name(&mut self, name: &str) -> Range<usize> {
        let start = self.names.len();
        self.names.push_str(name);
        start..self.names.len()
    }

    /// Moves `other`'s blocks after these.
    pub fn append(&mut self, other: Blocks) {
        let shift = self.names.len();
        self.names.push_str(&other.names);
        let moved = |r: Range<usize>| r.start + shift..r.end + shift;
        self.kept.extend(other.kept.into_iter().map(|b| KeptBlock {
            host: moved(b.host),
            id: moved(b.id),
            ..b
        }));
    }
}

impl FromIterator<DecodedBlock> for Blocks {
    fn from_iter<I: IntoIterator<Item = DecodedBlock>>(iter: I) -> Self {
        let mut blocks = Blocks::default();
        for b in iter {
            blocks.push(b);
        }
        blocks
    }
}

/// A reassembled script as a block, recorded under its own host and id whatever its first
/// fragment says.
pub fn script_block(decoder: &Decoder, s: &Script) -> Option<DecodedBlock> {
    let block = decoder.block(&s.as_event()?, None)?;
    Some(DecodedBlock {
        host: s.host.clone(),
        id: s.script_block_id.clone(),
        in_script: false,
        ..block
    })
}

/// [`script_block`] for a script that is let go afterwards (its first fragment is reused).
pub fn owned_script_block(decoder: &Decoder, s: Script) -> Option<DecodedBlock> {
    let (host, id) = (s.host.clone(), s.script_block_id.clone());
    let block = decoder.block(&s.into_event()?, None)?;
    Some(DecodedBlock {
        host,
        id,
        in_script: false,
        ..block
    })
}

/// Runs the decoded pass over `ds`; `scripts` are its multi-fragment scripts, reassembled.
pub fn decoded_pass(
    ds: &Dataset,
    rules: &[Rule],
    scripts: &[Script],
    limits: &Limits,
) -> index::Result<DecodedPass> {
    let decoder = Decoder::new(rules, ds.analyzer(), limits.clone());
    let mut blocks = Blocks::default();
    for addr in ds.script_events()? {
        if let Some(b) = decoder.block(&ds.event(addr)?, None) {
            blocks.push(b);
        }
    }
    // Scripts are the largest texts: decoded on every worker.
    let chunk = scripts.len().div_ceil(crate::threads::workers()).max(1);
    let script_blocks = std::thread::scope(|scope| {
        let parts: Vec<_> = scripts
            .chunks(chunk)
            .map(|part| {
                scope.spawn(|| {
                    part.iter()
                        .filter_map(|s| script_block(&decoder, s))
                        .collect::<Blocks>()
                })
            })
            .collect();
        let mut all = Blocks::default();
        for p in parts {
            all.append(p.join().unwrap_or_else(|e| std::panic::resume_unwind(e)));
        }
        all
    });
    Ok(finish_pass(blocks, script_blocks))
}

/// The pass once every logged block and every reassembled script is decoded (in any order):
/// fragments give way to their script, the blocks logged with a text that some decoded layer
/// equals are recorded as logged (blocks in time order, then scripts by host and id: the
/// first of a text wins), the layers are linked to the blocks they were logged as, and the
/// findings collected.
///
/// Only those blocks are recorded: a lookup only ever asks for a decoded layer's text (the
/// links here, `link_logged`, the Decoded tab, which decodes with the same limits), and of tens
/// of thousands of blocks a handful are such a text. Recording every block cost a serial 11 ms
/// on the benchmark's 100 MB after the workers were done.
pub fn finish_pass(blocks: Blocks, scripts: Blocks) -> DecodedPass {
    let layer_keys: FxHashSet<u64> = blocks
        .kept
        .iter()
        .chain(&scripts.kept)
        .filter_map(|b| b.tree.as_ref())
        .flat_map(Tree::texts)
        .map(|(_, text)| decoded::text_key(text))
        .collect();
    let mut pass = DecodedPass {
        texts: blocks.kept.len() + scripts.kept.len(),
        ..DecodedPass::default()
    };
    let matters = |b: &KeptBlock| b.tree.is_some() || layer_keys.contains(&b.text_key);
    let mut kept = blocks.take_named(matters);
    // In time order: when several loaders decode to one logged block, the earliest is named.
    kept.sort_by_key(|n| n.block.order);
    let mut scripts = scripts.take_named(matters);
    scripts.sort_by(|a, b| (&a.host, &a.id).cmp(&(&b.host, &b.id)));
    kept.extend(scripts);
    for n in kept
        .iter()
        .filter(|n| layer_keys.contains(&n.block.text_key))
    {
        pass.logged.add_key(&n.host, n.block.text_key, &n.id);
    }
    for Named { block, host, id } in kept {
        let Some(tree) = block.tree else { continue };
        pass.with_layers += 1;
        for (layer, text) in tree.texts() {
            if let Some(target) = pass.logged.find(&host, text, Some(id.as_str())) {
                let key = (host.clone(), target.to_owned());
                pass.decoded_from.entry(key).or_insert_with(|| DecodedFrom {
                    loader: id.clone(),
                    layers: tree
                        .chain(layer)
                        .iter()
                        .map(|k| k.name().to_owned())
                        .collect(),
                });
            }
        }
        pass.findings.extend(block.findings);
    }
    decoded::link_logged(&mut pass.findings, &pass.logged);
    pass
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::decode::{Content, Layer, LayerKind};

    fn block(order: (i64, u64), id: &str, text: &str, layer: Option<&str>) -> DecodedBlock {
        DecodedBlock {
            order: (Some(order.0), order.1),
            host: "WS1".to_owned(),
            id: id.to_owned(),
            text_key: decoded::text_key(text),
            in_script: false,
            tree: layer.map(|t| Tree {
                layers: vec![Layer {
                    kind: LayerKind::EncodedCommand,
                    parent: None,
                    span: 0..text.len(),
                    content: Content::Text(t.to_owned()),
                }],
                stopped: Vec::new(),
            }),
            findings: Vec::new(),
        }
    }

    #[test]
    fn a_layer_links_to_the_earliest_block_logged_with_its_text() {
        let fragment = DecodedBlock {
            in_script: true,
            ..block((1, 0), "F", "Write-Host payload", None)
        };
        // Reading order is not time order: the earlier copy of the payload is read last.
        let blocks = vec![
            block(
                (100, 1),
                "loader",
                "powershell -enc …",
                Some("Write-Host payload"),
            ),
            block((50, 2), "late copy", "  Write-Host payload\n", None),
            block((60, 3), "other", "Get-Process", None),
            fragment,
            block((10, 4), "early copy", "Write-Host payload", None),
        ];
        // Collected by two workers, as a stream does: the second's names move behind the first's.
        let mut second = blocks;
        let mut first: Blocks = second.drain(..2).collect();
        first.append(second.into_iter().collect());
        let pass = finish_pass(first, Blocks::default());
        assert_eq!(
            pass.logged.find("WS1", "Write-Host payload", None),
            Some("early copy")
        );
        assert_eq!(pass.logged.find("WS2", "Write-Host payload", None), None);
        let from = &pass.decoded_from[&("WS1".to_owned(), "early copy".to_owned())];
        assert_eq!(from.loader, "loader");
        assert_eq!(from.layers, ["encoded-command"]);
        assert_eq!(pass.decoded_from.len(), 1);
        // The fragment gives way to its script; every other block counts as decoded.
        assert_eq!((pass.texts, pass.with_layers), (4, 1));
    }
}
