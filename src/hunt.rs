//! Hunting: a KQL query over every event of a dataset, not only the ones a rule alerted on.
//! The query goes through the same parser, analyzers, candidate search and evaluator as the
//! rules, so a hunt finds exactly what Elasticsearch would return for it on the same documents.
//!
//! Used by `pstriage search` and the TUI's hunt view. Must not draw or print: it returns data.

use crate::alert;
use crate::analysis::Analyzer;
use crate::ecs::{self, Fields};
use crate::event::Event;
use crate::index::{self, Dataset, EventAddr, Who};
use crate::rule::kql::{self, DocTokens, Explanation, Expr, Hit, KqlError, Plan};
use crate::rule::Rule;

/// A parsed hunting query.
#[derive(Clone, Debug)]
pub struct Hunt {
    /// The query as typed.
    pub text: String,
    pub expr: Expr,
    plan: Plan,
}

/// Two hunts are the same query when their text is.
impl PartialEq for Hunt {
    fn eq(&self, other: &Self) -> bool {
        self.text == other.text
    }
}

impl Hunt {
    /// Parses `text` as KQL (an empty query matches every event, as in Kibana).
    pub fn parse(text: &str) -> Result<Hunt, KqlError> {
        let expr = kql::parse(text)?;
        Ok(Hunt {
            text: text.to_owned(),
            plan: Plan::new(&expr),
            expr,
        })
    }
}

/// One event the query matched.
#[derive(Clone, Debug)]
pub struct Found {
    pub addr: EventAddr,
    pub event: Event,
    pub time_ms: Option<i64>,
    pub host: Option<String>,
    pub user: Option<String>,
    /// Every clause's outcome, and the occurrences that satisfied the query.
    pub explanation: Explanation,
}

impl Found {
    /// Builds the entry of an event the query holds for (`None` when it does not).
    fn of(addr: EventAddr, event: Event, hunt: &Hunt, analyzer: Analyzer) -> Option<Found> {
        let fields = Fields::of_lenient(&event.doc);
        let explanation = kql::explain(&hunt.expr, hunt.plan.prepared(), &fields, analyzer);
        if !explanation.held {
            return None;
        }
        let facts = alert::Facts::of(&fields);
        Some(Found {
            addr,
            time_ms: facts.time_ms,
            host: facts.host,
            user: facts.user,
            event,
            explanation,
        })
    }

    /// Which fragment of its script the event is (`2/5`), or `-` for a script logged whole.
    pub fn part(&self) -> String {
        let fields = Fields::of_lenient(&self.event.doc);
        match (
            fields.first(ecs::names::SEQUENCE),
            fields.first(ecs::names::TOTAL),
        ) {
            (Some(n), Some(t)) => format!("{n}/{t}"),
            _ => "-".into(),
        }
    }

    /// The first occurrence that made the query hold, in any field.
    pub fn first_hit(&self) -> Option<&Hit> {
        let hits = self.explanation.positive_hits();
        hits.iter()
            .find(|h| h.field == ecs::names::SCRIPT_BLOCK_TEXT)
            .or(hits.first())
            .copied()
    }
}

/// What a hunt returned: how many events match, and the first of them in time order.
#[derive(Clone, Debug, Default)]
pub struct Results {
    pub total: usize,
    pub found: Vec<Found>,
}

/// The events of `ds` that `hunt` matches, in time order (then reading order); at most `limit`
/// of them are loaded and explained, but `total` counts them all.
pub fn run(ds: &Dataset, hunt: &Hunt, limit: Option<usize>) -> index::Result<Results> {
    let candidates = ds.candidates(&hunt.expr)?;
    let ordered = ds.in_time_order(candidates.events)?;
    let matching = if candidates.exact {
        ordered
    } else {
        confirm(ds, hunt, ordered)?
    };
    let wanted = limit.unwrap_or(usize::MAX).min(matching.len());
    let mut found = Vec::with_capacity(wanted);
    for &addr in &matching[..wanted] {
        if let Some(f) = Found::of(addr, ds.event(addr)?, hunt, ds.analyzer()) {
            found.push(f);
        }
    }
    Ok(Results {
        total: matching.len(),
        found,
    })
}

/// How many events `hunt` matches; loads no event when the index answers exactly.
pub fn count(ds: &Dataset, hunt: &Hunt) -> index::Result<usize> {
    let candidates = ds.candidates(&hunt.expr)?;
    if candidates.exact {
        return Ok(candidates.events.len());
    }
    Ok(confirm(ds, hunt, candidates.events)?.len())
}

/// The events of `who` between `from_ms` and `to_ms` (inclusive), in time order: what happened
/// around an alert. At most `limit` are loaded; `total` counts them all. Each carries an
/// explanation with no clause (nothing was asked of it).
pub fn around(
    ds: &Dataset,
    who: &Who,
    from_ms: i64,
    to_ms: i64,
    limit: Option<usize>,
) -> index::Result<Results> {
    let events = ds.events_between(who, from_ms, to_ms)?;
    let wanted = limit.unwrap_or(usize::MAX).min(events.len());
    let mut found = Vec::with_capacity(wanted);
    for &addr in &events[..wanted] {
        let event = ds.event(addr)?;
        let facts = alert::Facts::of(&Fields::of_lenient(&event.doc));
        found.push(Found {
            addr,
            time_ms: facts.time_ms,
            host: facts.host,
            user: facts.user,
            event,
            explanation: Explanation {
                held: true,
                label: "*".into(),
                children: Vec::new(),
                field: None,
                value: None,
                hits: Vec::new(),
            },
        });
    }
    Ok(Results {
        total: events.len(),
        found,
    })
}

/// Candidates a worker takes at a time.
const CHUNK: usize = 256;

/// The candidates the evaluator accepts (its yes/no fast path), order kept. Loading and
/// evaluating dominate a query the index cannot answer (a bare value reads every event), so the
/// candidates are checked on one thread per core, a chunk at a time.
fn confirm(ds: &Dataset, hunt: &Hunt, candidates: Vec<EventAddr>) -> index::Result<Vec<EventAddr>> {
    let holds = |addr: EventAddr| -> index::Result<bool> {
        let event = ds.event(addr)?;
        let fields = Fields::of_lenient(&event.doc);
        let mut tokens = DocTokens::new(&fields, ds.analyzer(), hunt.plan.vocabulary());
        Ok(kql::matches(&hunt.plan, &mut tokens))
    };
    let workers = crate::threads::workers().min(candidates.len().div_ceil(CHUNK).max(1));
    let next = std::sync::atomic::AtomicUsize::new(0);
    let work = || -> index::Result<Vec<(usize, Vec<EventAddr>)>> {
        let mut done = Vec::new();
        loop {
            let chunk = next.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
            let start = chunk * CHUNK;
            if start >= candidates.len() {
                return Ok(done);
            }
            let mut kept = Vec::new();
            for &addr in &candidates[start..(start + CHUNK).min(candidates.len())] {
                if holds(addr)? {
                    kept.push(addr);
                }
            }
            done.push((chunk, kept));
        }
    };
    let mut chunks = std::thread::scope(|scope| {
        let handles: Vec<_> = (0..workers).map(|_| scope.spawn(work)).collect();
        let mut all = Vec::new();
        for h in handles {
            // A worker's panic is a bug: pass it on rather than return fewer events.
            all.extend(h.join().unwrap_or_else(|p| std::panic::resume_unwind(p))?);
        }
        Ok::<_, index::IndexError>(all)
    })?;
    chunks.sort_unstable_by_key(|(n, _)| *n);
    Ok(chunks.into_iter().flat_map(|(_, kept)| kept).collect())
}

/// Why (or why not) each rule would fire on `event`: the clause tree of every rule.
pub fn rule_verdicts(rules: &[Rule], event: &Event, analyzer: Analyzer) -> Vec<Explanation> {
    let fields = Fields::of_lenient(&event.doc);
    rules.iter().map(|r| r.explain(&fields, analyzer)).collect()
}

/// Characters of context shown on each side of a matched term.
const CONTEXT_CHARS: usize = 32;

impl Found {
    /// One line for a list: the first matched term with some text on each side
    /// (`…Kernel32]::«VirtualAlloc»(0, …`), or the start of the script text when no text
    /// clause matched. White space is folded; the result is not yet made terminal-safe.
    pub fn context(&self) -> String {
        let fields = Fields::of_lenient(&self.event.doc);
        let Some(hit) = self.first_hit() else {
            let script = fields
                .first(ecs::names::SCRIPT_BLOCK_TEXT)
                .unwrap_or_default();
            return fold_space(&script.chars().take(CONTEXT_CHARS * 2).collect::<String>());
        };
        let text = fields
            .get(&hit.field)
            .get(hit.value_index)
            .map(|v| ecs::leaf_as_keyword(v).into_owned())
            .unwrap_or_default();
        let (Some(before), Some(term), Some(after)) = (
            text.get(..hit.start),
            text.get(hit.start..hit.end),
            text.get(hit.end..),
        ) else {
            return fold_space(&text);
        };
        let skipped = before.chars().count().saturating_sub(CONTEXT_CHARS);
        let before: String = before.chars().skip(skipped).collect();
        let cut = after.chars().count() > CONTEXT_CHARS;
        let after: String = after.chars().take(CONTEXT_CHARS).collect();
        format!(
            "{}{}«{term}»{}{}",
            if skipped > 0 { "…" } else { "" },
            fold_space(&before),
            fold_space(&after),
            if cut { "…" } else { "" }
        )
    }
}

/// Runs of white space (line breaks included) as one space.
fn fold_space(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut space = false;
    for c in s.chars() {
        if c.is_whitespace() {
            if !space {
                out.push(' ');
            }
            space = true;
        } else {
            out.push(c);
            space = false;
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn white_space_folds_to_one_space() {
        assert_eq!(fold_space("a \n\t b\r\nc"), "a b c");
    }
}
