//! The hunt view's state: the query and its parse error, the history, what is listed (a query's
//! results or the script blocks around an alert), the selection and its detail pane. Queries
//! run outside (`Effect::Hunt`, `Effect::Around`) and come back as `Msg::HuntDone`, matched by a
//! generation number so a slow old answer never replaces a newer one.

use super::derived::HuntDerived;
use crate::hunt::{Found, Hunt, Results};
use crate::i18n::t;
use crate::index::Who;
use crate::rule::kql::KqlError;

/// Events a hunt lists at most (the count above it is still exact).
pub const LIST_LIMIT: usize = 10_000;

/// Spans the context listing steps through with `+` / `-` (minutes each side).
pub const CONTEXT_STEPS: [i64; 7] = [5, 15, 30, 60, 120, 360, 1440];

/// Minutes each side of an alert the context listing starts with.
pub const CONTEXT_DEFAULT: i64 = 30;

/// The hunt view's detail tabs.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum HuntTab {
    #[default]
    Script,
    Timeline,
    Event,
    Rules,
    Decoded,
}

pub const HUNT_TABS: [HuntTab; 5] = [
    HuntTab::Script,
    HuntTab::Timeline,
    HuntTab::Event,
    HuntTab::Rules,
    HuntTab::Decoded,
];

impl HuntTab {
    pub fn title(self) -> &'static str {
        match self {
            HuntTab::Script => t("hunt.tabs.script"),
            HuntTab::Timeline => t("hunt.tabs.timeline"),
            HuntTab::Event => t("hunt.tabs.event"),
            HuntTab::Rules => t("hunt.tabs.rules"),
            HuntTab::Decoded => t("hunt.tabs.decoded"),
        }
    }
}

/// The script blocks of one host or user around a moment.
#[derive(Clone, Debug, PartialEq)]
pub struct Around {
    pub who: Who,
    /// The other choice for `u` (the user when `who` is the host, and back).
    pub other: Option<Who>,
    pub center_ms: i64,
    /// Minutes listed before and after `center_ms`.
    pub minutes: i64,
    /// The event the listing was opened from (its reading-order number), marked in the list.
    pub marked: Option<u64>,
    /// The span leaves out its first instant: a timeline hour is `(start, end]`.
    pub open_start: bool,
    /// Where it was opened from, for the title ("alert …", "timeline hour …").
    pub from: String,
}

impl Around {
    pub fn span(&self) -> (i64, i64) {
        let half = self.minutes * 60_000;
        let from = self.center_ms - half + i64::from(self.open_start);
        (from, self.center_ms + half)
    }

    /// The next wider (`wider`) or narrower span.
    pub fn step(&mut self, wider: bool) {
        let at = CONTEXT_STEPS
            .iter()
            .position(|&m| m >= self.minutes)
            .unwrap_or(CONTEXT_STEPS.len() - 1);
        let next = if wider {
            (at + 1).min(CONTEXT_STEPS.len() - 1)
        } else {
            at.saturating_sub(1)
        };
        self.minutes = CONTEXT_STEPS[next];
    }
}

/// What the list shows.
#[derive(Clone, Debug)]
pub enum Source {
    Query(Box<Hunt>),
    Around(Around),
}

/// A finished hunt.
#[derive(Clone, Debug)]
pub struct Listing {
    pub source: Source,
    pub total: usize,
    pub found: Vec<Found>,
    pub took_ms: u64,
}

/// The hunt view.
#[derive(Default)]
pub struct HuntView {
    /// The text the query prompt starts from (the last query typed).
    pub query: String,
    /// The last query's syntax error, shown at its column.
    pub error: Option<KqlError>,
    /// Queries run this session, oldest first (saved searches are recalled too).
    pub history: Vec<String>,
    pub listing: Option<Listing>,
    /// A hunt on its way: its generation and what it is for.
    pub pending: Option<(u64, Source)>,
    generation: u64,
    pub selected: usize,
    pub derived: Option<HuntDerived>,
    /// A failure of the last hunt (an index error), shown instead of results.
    pub failure: Option<String>,
    pub tab: HuntTab,
    /// Show the whole reassembled script of the selected event (`a`).
    pub whole: bool,
    /// The Decoded tab of the selected event, made when the tab is shown.
    pub decoded: Option<super::layers::DecodedView>,
}

impl HuntView {
    /// Starts a hunt for `source`: returns the generation its answer must carry.
    pub fn start(&mut self, source: Source) -> u64 {
        self.generation += 1;
        if let Source::Query(h) = &source {
            self.query = h.text.clone();
            self.error = None;
            if self.history.last() != Some(&h.text) && !h.text.is_empty() {
                self.history.push(h.text.clone());
            }
        }
        self.pending = Some((self.generation, source));
        self.generation
    }

    /// Takes an answer; false when it is stale (a newer hunt was started since).
    pub fn finish(
        &mut self,
        generation: u64,
        result: Result<Results, String>,
        took_ms: u64,
    ) -> bool {
        let source = match self.pending.take() {
            Some((pending, source)) if pending == generation => source,
            other => {
                self.pending = other;
                return false;
            }
        };
        match result {
            Ok(r) => {
                let marked = match &source {
                    Source::Around(a) => a.marked,
                    Source::Query(_) => None,
                };
                self.selected = marked
                    .and_then(|m| r.found.iter().position(|f| f.event.source.ord == m))
                    .unwrap_or(0);
                self.listing = Some(Listing {
                    source,
                    total: r.total,
                    found: r.found,
                    took_ms,
                });
                self.failure = None;
            }
            Err(e) => {
                self.failure = Some(e);
                self.listing = None;
            }
        }
        self.derived = None;
        true
    }

    /// The selected event.
    pub fn current(&self) -> Option<&Found> {
        self.listing.as_ref()?.found.get(self.selected)
    }

    pub fn len(&self) -> usize {
        self.listing.as_ref().map_or(0, |l| l.found.len())
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The context listing being shown, if that is what is listed.
    pub fn around(&self) -> Option<&Around> {
        match &self.listing.as_ref()?.source {
            Source::Around(a) => Some(a),
            Source::Query(_) => None,
        }
    }

    /// The query the listed events were found by (none for a context listing).
    pub fn hunt(&self) -> Option<&Hunt> {
        match &self.listing.as_ref()?.source {
            Source::Query(h) => Some(h),
            Source::Around(_) => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_stale_answer_is_dropped() {
        let mut v = HuntView::default();
        let old = v.start(Source::Query(Box::new(Hunt::parse("a").unwrap())));
        let new = v.start(Source::Query(Box::new(Hunt::parse("b").unwrap())));
        assert!(!v.finish(old, Ok(Results::default()), 1));
        assert!(v.listing.is_none());
        assert!(v.finish(new, Ok(Results::default()), 1));
        assert_eq!(v.hunt().unwrap().text, "b");
        assert_eq!(v.history, ["a", "b"]);
    }

    #[test]
    fn context_spans_step_through_the_ladder_and_stop_at_its_ends() {
        let mut a = Around {
            who: Who::Host("h".into()),
            other: None,
            center_ms: 0,
            minutes: CONTEXT_DEFAULT,
            marked: None,
            open_start: false,
            from: String::new(),
        };
        a.step(true);
        assert_eq!(a.minutes, 60);
        assert_eq!(a.span(), (-3_600_000, 3_600_000));
        for _ in 0..10 {
            a.step(false);
        }
        assert_eq!(a.minutes, 5);
        for _ in 0..10 {
            a.step(true);
        }
        assert_eq!(a.minutes, 1440);
    }
}
