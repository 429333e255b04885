//! Token-level noise that hides words from a search without hiding a payload: backticks inside
//! words, strings split and re-joined, `-f` formats and `.Replace` / `-replace` chains over
//! literals. Each pass rewrites every spot of its kind in the whole text; the driver keeps one
//! pass per layer, so the tree says which masks a script used, in order. A pass only rewrites
//! what is literal (no variables), so the rewritten script means what the original did.

use super::lex::Src;
use super::triggers::Triggers;
use super::{backtick, concat, format, replace, LayerKind};

/// A pass: the rewritten text, or `None` when it found nothing to rewrite.
type Pass = fn(&Src) -> Option<String>;

/// The first pass that changes `text`, in the order obfuscators usually stack them (innermost
/// first), with the rewritten text. Passes whose trigger is off are not run.
pub(crate) fn first_pass(src: &Src, triggers: &Triggers) -> Option<(LayerKind, String)> {
    let passes: [(bool, LayerKind, Pass); 4] = [
        (triggers.backtick, LayerKind::Backtick, backtick::rewrite),
        (triggers.concat, LayerKind::Concat, concat::rewrite),
        (triggers.format, LayerKind::Format, format::rewrite),
        (triggers.replace, LayerKind::Replace, replace::rewrite),
    ];
    passes
        .iter()
        .filter(|(on, ..)| *on)
        .find_map(|(_, kind, pass)| {
            pass(src)
                .filter(|out| out != src.text)
                .map(|out| (*kind, out))
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn passes_peel_one_kind_at_a_time() {
        let mut text = "$k = [Ref].Assembly.GetType(('System.Management.Automation.'+'Am'+'si{0}' -f 'Utils').Replace('X','')); I`E`X $k".to_owned();
        let mut kinds = Vec::new();
        while let Some((kind, next)) = first_pass(&Src::new(&text), &Triggers::all()) {
            kinds.push(kind);
            text = next;
        }
        assert_eq!(
            kinds,
            vec![
                LayerKind::Backtick,
                LayerKind::Concat,
                LayerKind::Format,
                LayerKind::Concat,
                LayerKind::Replace
            ]
        );
        assert_eq!(
            text,
            "$k = [Ref].Assembly.GetType('System.Management.Automation.AmsiUtils'); IEX $k"
        );
    }

    #[test]
    fn plain_scripts_have_no_mask() {
        assert_eq!(
            first_pass(
                &Src::new("Get-Process | Where-Object { $_.CPU -gt 10 }"),
                &Triggers::all()
            ),
            None
        );
        assert_eq!(
            first_pass(&Src::new("$a = 'x' + $b; \"{0}\" -f $c"), &Triggers::all()),
            None
        );
    }
}
