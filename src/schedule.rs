//! Elastic's detection-engine schedule around a query rule: every `interval` a run looks back
//! to `from` on `timestamp_override` (falling back to `@timestamp`), and creates at most
//! `max_signals` new alerts, oldest first; an event already alerted is not alerted again. This
//! replays that schedule over the alerts' times to tell how many of the matches Elastic would
//! have dropped in bursts. Run times are unknown offline: runs are assumed aligned to the clock
//! (multiples of the interval since the epoch). Pure.

use crate::alert::Alert;
use crate::ecs::{self, Fields};
use crate::rule::Rule;

/// `5m`, `now-9m`, `30s`, `1h`, `1d` → milliseconds.
pub fn duration_ms(text: &str) -> Option<i64> {
    let t = text.trim().trim_start_matches("now-");
    let (num, unit) = t.split_at(t.find(|c: char| !c.is_ascii_digit())?);
    let n: i64 = num.parse().ok()?;
    let unit_ms = match unit {
        "s" => 1_000,
        "m" => 60_000,
        "h" => 3_600_000,
        "d" => 86_400_000,
        _ => return None,
    };
    Some(n * unit_ms)
}

/// The time `rule`'s runs filter an event on: its `timestamp_override` field when the event has
/// it, else `@timestamp` (`timestamp`). Taken when the alert is made ([`Alert::run_time_ms`]),
/// while the event is at hand.
pub fn run_time(rule: &Rule, fields: &Fields<'_>, timestamp: Option<i64>) -> Option<i64> {
    let over = rule
        .meta
        .timestamp_override
        .as_deref()
        .and_then(|k| fields.get(k).iter().find_map(|v| ecs::parse_date_millis(v)));
    over.or(timestamp)
}

/// How many of `times` (sorted) a schedule with this interval, look-back and cap never alerts.
fn dropped(times: &[i64], interval: i64, lookback: i64, cap: usize) -> usize {
    if times.is_empty() || interval <= 0 || cap == 0 {
        return times.len();
    }
    let mut created = vec![false; times.len()];
    let first_run = times[0].div_euclid(interval) * interval + interval;
    let last_run = times[times.len() - 1] + lookback + interval;
    let mut run = first_run;
    let mut lo = 0;
    while run <= last_run {
        while lo < times.len() && times[lo] <= run - lookback {
            lo += 1;
        }
        let mut made = 0;
        let mut i = lo;
        while i < times.len() && times[i] <= run && made < cap {
            if !created[i] {
                created[i] = true;
                made += 1;
            }
            i += 1;
        }
        run += interval;
    }
    created.iter().filter(|c| !**c).count()
}

/// For each rule whose matches Elastic would have capped: (rule index, matches, dropped).
pub fn max_signals_overflow(alerts: &[Alert], rules: &[Rule]) -> Vec<(usize, usize, usize)> {
    let mut out = Vec::new();
    for (i, rule) in rules.iter().enumerate() {
        let mut times: Vec<i64> = alerts
            .iter()
            .filter(|a| a.rule == i && matches!(a.kind, crate::alert::AlertKind::Elastic))
            .filter_map(|a| a.run_time_ms)
            .collect();
        if times.len() <= rule.meta.max_signals as usize {
            continue;
        }
        times.sort_unstable();
        let interval = duration_ms(&rule.meta.interval).unwrap_or(300_000);
        let lookback = duration_ms(&rule.meta.from).unwrap_or(interval);
        let n = dropped(&times, interval, lookback, rule.meta.max_signals as usize);
        if n > 0 {
            out.push((i, times.len(), n));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_run_sees_an_event_at_its_timestamp_override_else_at_its_timestamp() {
        let rule = crate::rule::bundled().remove(0);
        assert_eq!(
            rule.meta.timestamp_override.as_deref(),
            Some("event.ingested")
        );
        let logged = Some(1_716_288_690_000); // 2024-05-21T10:51:30Z
        let ingested = serde_json::json!({"event": {"ingested": "2024-05-21T10:52:02Z"}});
        let fields = Fields::of_lenient(ingested.as_object().unwrap());
        assert_eq!(run_time(&rule, &fields, logged), Some(1_716_288_722_000));
        let without = serde_json::Map::new();
        assert_eq!(
            run_time(&rule, &Fields::of_lenient(&without), logged),
            logged
        );
    }

    #[test]
    fn durations() {
        assert_eq!(duration_ms("5m"), Some(300_000));
        assert_eq!(duration_ms("now-9m"), Some(540_000));
        assert_eq!(duration_ms("1h"), Some(3_600_000));
        assert_eq!(duration_ms("soon"), None);
    }

    #[test]
    fn bursts_over_the_cap_lose_what_no_overlapping_run_picks_up() {
        let min = 60_000;
        // Runs every 5 minutes look back 9: an event is seen by every run in [t, t + 9m), so
        // one or two runs depending on where it falls.
        // 150 matches at 51:30: runs at 55 and 60 both see them — 100 + 50 made, none dropped.
        let burst: Vec<i64> = (0..150).map(|i| 51 * min + 30_000 + i).collect();
        assert_eq!(dropped(&burst, 5 * min, 9 * min, 100), 0);
        // The same burst at 50:30 is seen by the 55 run only: 50 dropped.
        let early: Vec<i64> = (0..150).map(|i| 50 * min + 30_000 + i).collect();
        assert_eq!(dropped(&early, 5 * min, 9 * min, 100), 50);
        // 350 at 51:30: two runs make 200, 150 dropped.
        let big: Vec<i64> = (0..350).map(|i| 51 * min + 30_000 + i).collect();
        assert_eq!(dropped(&big, 5 * min, 9 * min, 100), 150);
        // Spread over an hour: nothing dropped.
        let spread: Vec<i64> = (0..300).map(|i| i * 12_000).collect();
        assert_eq!(dropped(&spread, 5 * min, 9 * min, 100), 0);
    }
}
