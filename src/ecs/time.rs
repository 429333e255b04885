//! Dates as Elasticsearch's `strict_date_optional_time||epoch_millis` accepts them.

use chrono::{DateTime, NaiveDate, NaiveDateTime, SecondsFormat, TimeZone, Utc};
use serde_json::Value;

/// Milliseconds since the Unix epoch, or `None` when the value is not a date.
pub fn parse_date_millis(v: &Value) -> Option<i64> {
    match v {
        Value::Number(n) => n.as_i64().or_else(|| n.as_f64().map(|f| f as i64)),
        Value::String(s) => parse_str(s.trim()),
        _ => None,
    }
}

fn parse_str(s: &str) -> Option<i64> {
    if !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit()) {
        return s.parse().ok();
    }
    if let Ok(dt) = DateTime::parse_from_rfc3339(s) {
        return Some(dt.timestamp_millis());
    }
    // Offsets without a colon (+0000) and other ISO forms.
    for fmt in ["%Y-%m-%dT%H:%M:%S%.f%z", "%Y-%m-%dT%H:%M%z"] {
        if let Ok(dt) = DateTime::parse_from_str(s, fmt) {
            return Some(dt.timestamp_millis());
        }
    }
    // No zone: Elasticsearch reads it as UTC.
    for fmt in [
        "%Y-%m-%dT%H:%M:%S%.f",
        "%Y-%m-%dT%H:%M",
        "%Y-%m-%d %H:%M:%S%.f",
    ] {
        if let Ok(dt) = NaiveDateTime::parse_from_str(s, fmt) {
            return Some(Utc.from_utc_datetime(&dt).timestamp_millis());
        }
    }
    NaiveDate::parse_from_str(s, "%Y-%m-%d")
        .ok()
        .and_then(|d| d.and_hms_opt(0, 0, 0))
        .map(|dt| Utc.from_utc_datetime(&dt).timestamp_millis())
}

/// ISO 8601 UTC with milliseconds, as Elasticsearch prints dates.
pub fn format_millis(ms: i64) -> String {
    match Utc.timestamp_millis_opt(ms) {
        chrono::LocalResult::Single(dt) => dt.to_rfc3339_opts(SecondsFormat::Millis, true),
        _ => format!("{ms}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn iso_and_epoch_forms() {
        let want = 1_716_286_542_123;
        assert_eq!(
            parse_date_millis(&json!("2024-05-21T10:15:42.123Z")),
            Some(want)
        );
        assert_eq!(
            parse_date_millis(&json!("2024-05-21T12:15:42.123+02:00")),
            Some(want)
        );
        assert_eq!(
            parse_date_millis(&json!("2024-05-21T10:15:42.123")),
            Some(want)
        );
        assert_eq!(parse_date_millis(&json!(want)), Some(want));
        assert_eq!(parse_date_millis(&json!("1716286542123")), Some(want));
        assert_eq!(
            parse_date_millis(&json!("2024-05-21")),
            Some(1_716_249_600_000)
        );
        assert_eq!(parse_date_millis(&json!("not a date")), None);
        assert_eq!(format_millis(want), "2024-05-21T10:15:42.123Z");
    }
}
