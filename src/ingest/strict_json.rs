//! JSON parsing as Elasticsearch does it for a document: like `serde_json::Value`, but an
//! object with the same key twice is an error (Elasticsearch rejects such a document with
//! "Duplicate field"), nesting deeper than serde_json's limit is an error, not a crash, and a
//! `\u` escape of a lone UTF-16 surrogate is accepted as U+FFFD. Elasticsearch's parser
//! (Jackson) keeps such a string, and Lucene writes the unpaired surrogate as U+FFFD when it
//! indexes it; serde_json refuses the whole document. PowerShell strings are UTF-16, so an
//! attacker can put one in a script block: refusing the record would hide its alert.

use serde::de::{self, DeserializeSeed, Deserializer, MapAccess, SeqAccess, Visitor};
use serde_json::{Map, Number, Value};
use std::fmt;

struct Strict;

impl<'de> DeserializeSeed<'de> for Strict {
    type Value = Value;
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<Value, D::Error> {
        d.deserialize_any(StrictVisitor)
    }
}

struct StrictVisitor;

impl<'de> Visitor<'de> for StrictVisitor {
    type Value = Value;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("any JSON value")
    }
    fn visit_bool<E>(self, v: bool) -> Result<Value, E> {
        Ok(Value::Bool(v))
    }
    fn visit_i64<E>(self, v: i64) -> Result<Value, E> {
        Ok(Value::Number(v.into()))
    }
    fn visit_u64<E>(self, v: u64) -> Result<Value, E> {
        Ok(Value::Number(v.into()))
    }
    fn visit_f64<E>(self, v: f64) -> Result<Value, E> {
        Ok(Number::from_f64(v).map_or(Value::Null, Value::Number))
    }
    fn visit_str<E>(self, v: &str) -> Result<Value, E> {
        Ok(Value::String(v.to_owned()))
    }
    fn visit_string<E>(self, v: String) -> Result<Value, E> {
        Ok(Value::String(v))
    }
    fn visit_unit<E>(self) -> Result<Value, E> {
        Ok(Value::Null)
    }
    fn visit_none<E>(self) -> Result<Value, E> {
        Ok(Value::Null)
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Value, A::Error> {
        let mut out = Vec::new();
        while let Some(v) = seq.next_element_seed(Strict)? {
            out.push(v);
        }
        Ok(Value::Array(out))
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Value, A::Error> {
        let mut out = Map::new();
        while let Some(key) = map.next_key::<String>()? {
            let value = map.next_value_seed(Strict)?;
            if out.contains_key(&key) {
                return Err(de::Error::custom(format_args!("duplicate key '{key}'")));
            }
            out.insert(key, value);
        }
        Ok(Value::Object(out))
    }
}

/// Parses one JSON document strictly.
pub fn parse(text: &str) -> Result<Value, serde_json::Error> {
    parse_slice(text.as_bytes())
}

/// Parses one JSON document strictly from bytes.
pub fn parse_slice(bytes: &[u8]) -> Result<Value, serde_json::Error> {
    let first = parse_as_is(bytes);
    match &first {
        // Only a document that failed pays for the surrogate rewrite. The rewrite keeps every
        // byte offset (6 bytes for 6), so a later error still names the right line and column.
        Err(_) => match lone_surrogates_replaced(bytes) {
            Some(fixed) => parse_as_is(&fixed),
            None => first,
        },
        Ok(_) => first,
    }
}

fn parse_as_is(bytes: &[u8]) -> Result<Value, serde_json::Error> {
    let mut de = serde_json::Deserializer::from_slice(bytes);
    let v = Strict.deserialize(&mut de)?;
    de.end()?;
    Ok(v)
}

/// The 4 hex digits after `\u` at `at` (the backslash), as a UTF-16 code unit.
fn escape_at(bytes: &[u8], at: usize) -> Option<u16> {
    if bytes.get(at + 1) != Some(&b'u') {
        return None;
    }
    let hex = std::str::from_utf8(bytes.get(at + 2..at + 6)?).ok()?;
    u16::from_str_radix(hex, 16).ok()
}

/// `bytes` with every `\u` escape of an unpaired surrogate replaced by `\uFFFD`; `None` when
/// there is none (nothing to retry).
fn lone_surrogates_replaced(bytes: &[u8]) -> Option<Vec<u8>> {
    let mut out = Vec::with_capacity(bytes.len());
    let (_, changed) = replace_lone_surrogates(bytes, true, &mut out);
    changed.then_some(out)
}

/// Copies `bytes` to `out`, writing each `\u` escape of an unpaired surrogate as `\uFFFD`.
/// Unless `at_end`, stops before an escape that the bytes seen so far cannot decide (a pair
/// needs 12 bytes). Returns how many bytes were consumed and whether any escape was replaced.
fn replace_lone_surrogates(bytes: &[u8], at_end: bool, out: &mut Vec<u8>) -> (usize, bool) {
    let is_high = |u: u16| (0xD800..0xDC00).contains(&u);
    let is_low = |u: u16| (0xDC00..0xE000).contains(&u);
    let mut changed = false;
    let mut i = 0;
    while i < bytes.len() {
        let Some(next) = memchr::memchr(b'\\', &bytes[i..]) else {
            out.extend_from_slice(&bytes[i..]);
            return (bytes.len(), changed);
        };
        out.extend_from_slice(&bytes[i..i + next]);
        i += next;
        if !at_end && bytes.len() - i < 12 {
            return (i, changed);
        }
        match escape_at(bytes, i) {
            Some(u) if is_high(u) && escape_at(bytes, i + 6).is_some_and(is_low) => {
                out.extend_from_slice(&bytes[i..i + 12]);
                i += 12;
            }
            Some(u) if is_high(u) || is_low(u) => {
                out.extend_from_slice(b"\\uFFFD");
                changed = true;
                i += 6;
            }
            // Any other escape (`\\` included) is copied whole, so its second byte is never
            // taken for the start of another escape.
            _ => {
                let end = (i + 2).min(bytes.len());
                out.extend_from_slice(&bytes[i..end]);
                i = end;
            }
        }
    }
    (i, changed)
}

/// A reader that passes JSON text through with lone-surrogate escapes written as `\uFFFD`, for
/// the streaming array reader (which cannot parse twice).
pub(super) struct SurrogateFix<R> {
    inner: R,
    /// Read but not yet decided (the start of an escape cut by the end of a read).
    pending: Vec<u8>,
    /// Decided, not yet handed out.
    ready: Vec<u8>,
    taken: usize,
    at_end: bool,
}

impl<R: std::io::Read> SurrogateFix<R> {
    pub(super) fn new(inner: R) -> Self {
        SurrogateFix {
            inner,
            pending: Vec::new(),
            ready: Vec::new(),
            taken: 0,
            at_end: false,
        }
    }
}

impl<R: std::io::Read> std::io::Read for SurrogateFix<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        while self.taken == self.ready.len() {
            if self.at_end && self.pending.is_empty() {
                return Ok(0);
            }
            let mut chunk = [0u8; 64 * 1024];
            let n = if self.at_end {
                0
            } else {
                self.inner.read(&mut chunk)?
            };
            self.at_end |= n == 0;
            self.pending.extend_from_slice(&chunk[..n]);
            self.ready.clear();
            self.taken = 0;
            let (used, _) = replace_lone_surrogates(&self.pending, self.at_end, &mut self.ready);
            self.pending.drain(..used);
        }
        let n = buf.len().min(self.ready.len() - self.taken);
        buf[..n].copy_from_slice(&self.ready[self.taken..self.taken + n]);
        self.taken += n;
        Ok(n)
    }
}

/// The element reader of JSON arrays uses the same rules.
pub(super) fn seed() -> impl for<'de> DeserializeSeed<'de, Value = Value> {
    Strict
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn duplicate_keys_are_errors_at_any_depth() {
        assert!(parse(r#"{"a":1,"a":2}"#)
            .unwrap_err()
            .to_string()
            .contains("duplicate key 'a'"));
        assert!(parse(r#"{"x":{"b":1,"b":1}}"#).is_err());
        assert_eq!(
            parse(r#"{"a":[1,{"b":2}],"c":null}"#).unwrap(),
            serde_json::json!({"a":[1,{"b":2}],"c":null})
        );
    }

    #[test]
    fn lone_surrogate_escapes_become_the_replacement_character() {
        // What Lucene stores for an unpaired surrogate: U+FFFD (Elasticsearch keeps the record).
        let v = parse(r#"{"t":"VirtualAlloc \ud800 CreateThread"}"#).unwrap();
        assert_eq!(v["t"], "VirtualAlloc \u{FFFD} CreateThread");
        let v = parse(r#"{"t":"a\udc00b\ud83d"}"#).unwrap();
        assert_eq!(v["t"], "a\u{FFFD}b\u{FFFD}");
        // A high surrogate followed by another escape that is not a low one.
        let v = parse(r#"{"t":"\ud800\u0041"}"#).unwrap();
        assert_eq!(v["t"], "\u{FFFD}A");
        // A real pair stays one character; an escaped backslash before `ud800` is no escape.
        let v = parse(r#"{"t":"\ud83d\ude00 \\ud800"}"#).unwrap();
        assert_eq!(v["t"], "\u{1F600} \\ud800");
        // Other errors are still errors, with serde_json's message.
        assert!(parse(r#"{"t":"\ud800"#).is_err());
        assert!(parse(r#"{"t":"\ud800","t":1}"#)
            .unwrap_err()
            .to_string()
            .contains("duplicate key"));
    }

    #[test]
    fn the_streaming_fix_equals_the_whole_text_fix_at_every_read_size() {
        use std::io::Read;
        /// Hands out at most `n` bytes per read, to cut escapes at every position.
        struct Trickle<'a>(&'a [u8], usize);
        impl Read for Trickle<'_> {
            fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
                let n = self.1.min(buf.len()).min(self.0.len());
                buf[..n].copy_from_slice(&self.0[..n]);
                self.0 = &self.0[n..];
                Ok(n)
            }
        }
        let text = br#"[{"t":"x\ud800y\ud83d\ude00\\udc00\udc00\n\u0041\ud800"}]"#;
        let whole = lone_surrogates_replaced(text).unwrap();
        for n in 1..=text.len() {
            let mut out = Vec::new();
            SurrogateFix::new(Trickle(text, n))
                .read_to_end(&mut out)
                .unwrap();
            assert_eq!(out, whole, "reads of {n} bytes");
        }
    }

    #[test]
    fn deep_nesting_is_an_error_not_a_stack_overflow() {
        let deep = format!("{}1{}", "[".repeat(10_000), "]".repeat(10_000));
        assert!(parse(&deep).is_err());
        let deep_obj = format!("{}1{}", r#"{"a":"#.repeat(10_000), "}".repeat(10_000));
        assert!(parse(&deep_obj).is_err());
    }
}
