//! The decoded pass (`scan --decoded`, and the TUI's second phase): every script block of a
//! dataset is decoded (a script logged in several fragments once, from its reassembled text),
//! the rules run on what its layers hide (`crate::decoded::findings`), and each decoded layer
//! is linked to the block it was logged as, both ways.
//!
//! Reads the index through `Dataset` only; the decoding and the matching are pure modules.

use crate::alert::Alert;
use crate::decode::{self, Limits, Tree};
use crate::decoded::{self, LoggedBlocks};
use crate::ecs::{self, Fields};
use crate::event::Event;
use crate::index::{self, Dataset};
use crate::reassembly::Script;
use crate::rule::Rule;
use std::collections::{HashMap, HashSet};

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

/// Runs the decoded pass over `ds`; `scripts` are its multi-fragment scripts, reassembled.
pub fn decoded_pass(
    ds: &Dataset,
    rules: &[Rule],
    scripts: &[Script],
    limits: &Limits,
) -> index::Result<DecodedPass> {
    let in_scripts: HashSet<(&str, &str)> = scripts
        .iter()
        .map(|s| (s.host.as_str(), s.script_block_id.as_str()))
        .collect();
    let mut pass = DecodedPass::default();
    // First every block's text is recorded (a loader may come before its payload) and decoded;
    // only the events with layers are kept for the rules.
    let mut layered: Vec<(Event, Tree, String, String)> = Vec::new();
    let mut consider = |pass: &mut DecodedPass, event: Event, text: &str, id: &str, host: &str| {
        pass.logged.add(host, text, id);
        pass.texts += 1;
        let tree = decode::decode(text, limits);
        if !tree.layers.is_empty() {
            pass.with_layers += 1;
            layered.push((event, tree, host.to_owned(), id.to_owned()));
        }
    };
    // In time order: when several loaders decode to one logged block, the earliest is named.
    for addr in ds.in_time_order(ds.script_events()?)? {
        let event = ds.event(addr)?;
        let f = Fields::of_lenient(&event.doc);
        let host = f.first(ecs::names::HOST_NAME).unwrap_or_default();
        let id = f.first(ecs::names::SCRIPT_BLOCK_ID).unwrap_or_default();
        if in_scripts.contains(&(host.as_str(), id.as_str())) {
            continue;
        }
        let text = f.first(ecs::names::SCRIPT_BLOCK_TEXT).unwrap_or_default();
        consider(&mut pass, event, &text, &id, &host);
    }
    for s in scripts {
        if let Some(event) = s.as_event() {
            consider(&mut pass, event, &s.text, &s.script_block_id, &s.host);
        }
    }
    let vocabulary = crate::rule::kql::Plan::joint_vocabulary(rules.iter().map(|r| &r.plan));
    for (event, tree, host, own) in &layered {
        for (layer, text) in tree.texts() {
            if let Some(target) = pass.logged.find(host, text, Some(own.as_str())) {
                let key = (host.clone(), target.to_owned());
                pass.decoded_from.entry(key).or_insert_with(|| DecodedFrom {
                    loader: own.clone(),
                    layers: tree
                        .chain(layer)
                        .iter()
                        .map(|k| k.name().to_owned())
                        .collect(),
                });
            }
        }
        pass.findings.extend(decoded::findings(
            rules,
            &vocabulary,
            event,
            tree,
            ds.analyzer(),
            Some(&pass.logged),
        ));
    }
    Ok(pass)
}
