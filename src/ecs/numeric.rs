//! Numbers as Elasticsearch's numeric field types store and query them.
//!
//! - A `long` field stores whole numbers: a JSON number with decimals, or a string holding a
//!   number, is coerced (the decimals dropped, toward zero); out of range is malformed.
//! - A `float` field stores the nearest 32-bit float (4.4999999999 is stored as 4.5); a string
//!   is parsed as Java's `Float.parseFloat` does (spaces trimmed, an `f`/`d` suffix allowed);
//!   NaN and infinities are malformed.
//! - A malformed value is not indexed (the `logs-*` templates set `ignore_malformed`): the
//!   field is then absent to every query, `exists` included.
//! - Query values follow the field type's query builders: a `long` term with a decimal part
//!   matches nothing; a `long` range bound with a decimal part rounds inward (`> 1.5` is
//!   `>= 2`, `< -1.5` is `<= -2`); a `float` bound is the nearest float, moved one float
//!   inward when exclusive (`> 0.7` is `>= nextUp(0.7f)`).
//!
//! Pure.

use serde_json::Value;

/// The value a `long` field stores for `v`; `None` when it is malformed.
pub fn stored_long(v: &Value) -> Option<i64> {
    match v {
        Value::Number(n) => n.as_i64().or_else(|| {
            let f = n.as_f64()?;
            in_long_range(f).then_some(f.trunc() as i64)
        }),
        Value::String(s) => long_of_text(s).map(|(n, _)| n),
        _ => None,
    }
}

/// The value a `float` field stores for `v`; `None` when it is malformed.
pub fn stored_float(v: &Value) -> Option<f32> {
    let f = match v {
        // A JSON number is read as a double, then narrowed.
        Value::Number(n) => n.as_f64()? as f32,
        Value::String(s) => float_of_text(s)?,
        _ => return None,
    };
    f.is_finite().then_some(f)
}

/// `text` as a `long` query value reads it: the whole part, and whether a decimal part was
/// dropped. `None` when it is not a number in range (Elasticsearch refuses the query).
fn long_of_text(text: &str) -> Option<(i64, bool)> {
    if let Ok(n) = text.parse::<i64>() {
        return Some((n, false));
    }
    let f: f64 = text.parse().ok()?;
    in_long_range(f).then_some((f.trunc() as i64, f.fract() != 0.0))
}

fn in_long_range(f: f64) -> bool {
    // 2^63 is the first double past i64::MAX; -2^63 is i64::MIN exactly.
    const TWO_POW_63: f64 = 9_223_372_036_854_775_808.0;
    (-TWO_POW_63..TWO_POW_63).contains(&f)
}

/// `text` as Java's `Float.parseFloat` reads it (finite values only).
fn float_of_text(text: &str) -> Option<f32> {
    let t = text.trim_matches(|c: char| c <= ' ');
    let t = t.strip_suffix(['f', 'F', 'd', 'D']).unwrap_or(t);
    // Rust accepts "inf"/"nan" spellings Java does not; neither is a finite value anyway.
    t.parse::<f32>().ok().filter(|f| f.is_finite())
}

/// The stored `long` values a term query for `text` matches: `None` matches nothing.
pub fn long_term(text: &str) -> Option<i64> {
    match long_of_text(text.trim())? {
        (n, false) => Some(n),
        (_, true) => None,
    }
}

/// The stored `float` a term query for `text` matches: `None` matches nothing.
pub fn float_term(text: &str) -> Option<f32> {
    float_of_text(text)
}

/// A comparison of a range query.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Cmp {
    Lt,
    Lte,
    Gt,
    Gte,
}

/// The inclusive interval of stored `long`s that `field <op> text` matches; `None` matches
/// nothing.
pub fn long_range(op: Cmp, text: &str) -> Option<(i64, i64)> {
    let (n, decimal) = long_of_text(text.trim())?;
    let negative = text.trim().starts_with('-');
    match op {
        Cmp::Gt | Cmp::Gte => {
            let bump = (!decimal && op == Cmp::Gt) || (decimal && !negative);
            let lo = if bump { n.checked_add(1)? } else { n };
            Some((lo, i64::MAX))
        }
        Cmp::Lt | Cmp::Lte => {
            let bump = (!decimal && op == Cmp::Lt) || (decimal && negative);
            let hi = if bump { n.checked_sub(1)? } else { n };
            Some((i64::MIN, hi))
        }
    }
}

/// The inclusive interval of stored `float`s that `field <op> text` matches; `None` matches
/// nothing.
pub fn float_range(op: Cmp, text: &str) -> Option<(f32, f32)> {
    let bound = float_of_text(text)?;
    Some(match op {
        Cmp::Gte => (bound, f32::INFINITY),
        Cmp::Gt => (bound.next_up(), f32::INFINITY),
        Cmp::Lte => (f32::NEG_INFINITY, bound),
        Cmp::Lt => (f32::NEG_INFINITY, bound.next_down()),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn a_long_field_drops_decimals_and_refuses_what_is_not_a_number() {
        assert_eq!(stored_long(&json!(1000.7)), Some(1000));
        assert_eq!(stored_long(&json!(-3.9)), Some(-3));
        assert_eq!(stored_long(&json!("42")), Some(42));
        assert_eq!(stored_long(&json!("4.2e1")), Some(42));
        assert_eq!(stored_long(&json!("abc")), None);
        assert_eq!(
            stored_long(&json!(" 42")),
            None,
            "Long.parseLong does not trim"
        );
        assert_eq!(stored_long(&json!(1e20)), None);
        assert_eq!(stored_long(&json!(true)), None);
    }

    #[test]
    fn a_float_field_keeps_the_nearest_float() {
        // The example: 4.4999999999 is 4.5 once narrowed.
        assert_eq!(stored_float(&json!(4.4999999999)), Some(4.5));
        assert_eq!(stored_float(&json!(" 0.7f ")), Some(0.7f32));
        assert_eq!(stored_float(&json!("NaN")), None);
        assert_eq!(
            stored_float(&json!(1e39)),
            None,
            "beyond f32: infinite, malformed"
        );
        assert_eq!(stored_float(&json!("x")), None);
    }

    #[test]
    fn long_bounds_round_inward_as_the_long_range_query_does() {
        assert_eq!(long_range(Cmp::Gt, "1000"), Some((1001, i64::MAX)));
        assert_eq!(long_range(Cmp::Gte, "1.5"), Some((2, i64::MAX)));
        assert_eq!(long_range(Cmp::Gt, "1.5"), Some((2, i64::MAX)));
        assert_eq!(long_range(Cmp::Gt, "-1.5"), Some((-1, i64::MAX)));
        assert_eq!(long_range(Cmp::Lt, "1.5"), Some((i64::MIN, 1)));
        assert_eq!(long_range(Cmp::Lt, "-1.5"), Some((i64::MIN, -2)));
        assert_eq!(long_range(Cmp::Lte, "7"), Some((i64::MIN, 7)));
        assert_eq!(long_range(Cmp::Gt, &i64::MAX.to_string()), None);
        assert_eq!(long_term("5.5"), None);
        assert_eq!(long_term("5"), Some(5));
    }

    #[test]
    fn float_bounds_move_one_float_when_exclusive() {
        let (lo, _) = float_range(Cmp::Gt, "0.7").unwrap();
        assert!(lo > 0.7f32 && lo.next_down() == 0.7f32);
        // A double just above 0.7 narrows to 0.7f: not greater than 0.7 for a float field.
        let stored = stored_float(&json!(0.700_000_01)).unwrap();
        assert!(stored < lo);
        let (_, hi) = float_range(Cmp::Lt, "4.5").unwrap();
        assert_eq!(hi.next_up(), 4.5);
    }
}
