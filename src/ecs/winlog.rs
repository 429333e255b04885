//! Raw Windows events → the ECS document Elastic's Windows integration would have stored.
//!
//! Recognises three raw shapes besides EVTX records (which arrive in the first one):
//! `{"Event":{"System":…,"EventData":…}}` (EVTX as JSON), Winlogbeat/Elastic Agent documents that
//! skipped the ingest pipeline (`winlog.event_data.*`) including Winlogbeat 6 (`event_data.*`,
//! `event_id`), and flat exports (`EventID`, `ScriptBlockText`, … as NXLog and OTRF write them).
//! The mapping follows the PowerShell/Operational pipeline (reference §6): event.code/kind/
//! category/type, user.id from the SID, powershell.* for 4104, file.* from Path. A document that
//! is already ECS is never touched. Pure.

use serde_json::{json, Map, Value};

/// The fields of a Windows event that the mapping needs, whatever shape it came in.
#[derive(Debug, Default)]
struct Raw {
    event_id: Option<u64>,
    channel: Option<String>,
    provider: Option<String>,
    computer: Option<String>,
    sid: Option<String>,
    time: Option<String>,
    record_id: Option<String>,
    pid: Option<i64>,
    tid: Option<i64>,
    data: Map<String, Value>,
    message: Option<String>,
}

const PS_OPERATIONAL: &str = "Microsoft-Windows-PowerShell/Operational";

fn text(v: Option<&Value>) -> Option<String> {
    match v? {
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        Value::Object(o) => text(o.get("#text")),
        _ => None,
    }
}

fn number(v: Option<&Value>) -> Option<i64> {
    match v? {
        Value::Number(n) => n.as_i64(),
        Value::String(s) => s.trim().parse().ok(),
        Value::Object(o) => number(o.get("#text")),
        _ => None,
    }
}

fn attr<'a>(v: Option<&'a Value>, name: &str) -> Option<&'a Value> {
    v?.get("#attributes")?.get(name)
}

/// Looks a dotted path up through nested objects only.
fn at<'a>(doc: &'a Map<String, Value>, path: &str) -> Option<&'a Value> {
    let mut parts = path.split('.');
    let mut cur = doc.get(parts.next()?)?;
    for p in parts {
        cur = cur.get(p)?;
    }
    Some(cur)
}

/// True when `doc` is one of the raw shapes (and so must be mapped).
fn shape(doc: &Map<String, Value>) -> Option<Raw> {
    if at(doc, "powershell.file").is_some()
        || at(doc, "ecs.version").is_some() && at(doc, "winlog.event_data").is_none()
    {
        return None;
    }
    if let Some(Value::Object(event)) = doc.get("Event") {
        let sys = event.get("System");
        let mut r = Raw {
            event_id: number(sys.and_then(|s| s.get("EventID"))).map(|n| n as u64),
            channel: text(sys.and_then(|s| s.get("Channel"))),
            provider: text(attr(sys.and_then(|s| s.get("Provider")), "Name")),
            computer: text(sys.and_then(|s| s.get("Computer"))),
            sid: text(attr(sys.and_then(|s| s.get("Security")), "UserID")),
            time: text(attr(sys.and_then(|s| s.get("TimeCreated")), "SystemTime")),
            record_id: text(sys.and_then(|s| s.get("EventRecordID"))),
            pid: number(attr(sys.and_then(|s| s.get("Execution")), "ProcessID")),
            tid: number(attr(sys.and_then(|s| s.get("Execution")), "ThreadID")),
            ..Raw::default()
        };
        if let Some(Value::Object(d)) = event.get("EventData") {
            r.data = d.clone();
        }
        return Some(r);
    }
    if let Some(Value::Object(data)) = at(doc, "winlog.event_data") {
        return Some(Raw {
            event_id: number(at(doc, "winlog.event_id")).map(|n| n as u64),
            channel: text(at(doc, "winlog.channel")),
            provider: text(at(doc, "winlog.provider_name")),
            computer: text(at(doc, "winlog.computer_name")),
            sid: text(at(doc, "winlog.user.identifier")),
            time: text(doc.get("@timestamp")),
            record_id: text(at(doc, "winlog.record_id")),
            pid: number(at(doc, "winlog.process.pid")),
            tid: number(at(doc, "winlog.process.thread.id")),
            data: data.clone(),
            message: text(doc.get("message")),
        });
    }
    if doc.contains_key("event_id")
        && (doc.contains_key("event_data") || doc.contains_key("log_name"))
    {
        let data = match doc.get("event_data") {
            Some(Value::Object(d)) => d.clone(),
            _ => Map::new(),
        };
        return Some(Raw {
            event_id: number(doc.get("event_id")).map(|n| n as u64),
            channel: text(doc.get("log_name")),
            provider: text(doc.get("source_name")),
            computer: text(doc.get("computer_name")),
            sid: text(at(doc, "user.identifier")),
            time: text(doc.get("@timestamp")),
            record_id: text(doc.get("record_number")),
            pid: number(doc.get("process_id")),
            tid: number(doc.get("thread_id")),
            data,
            message: text(doc.get("message")),
        });
    }
    if doc.contains_key("EventID") || doc.contains_key("ScriptBlockText") {
        let mut data = Map::new();
        for k in [
            "ScriptBlockText",
            "ScriptBlockId",
            "MessageNumber",
            "MessageTotal",
            "Path",
        ] {
            if let Some(v) = doc.get(k) {
                data.insert(k.to_owned(), v.clone());
            }
        }
        return Some(Raw {
            event_id: number(doc.get("EventID")).map(|n| n as u64),
            channel: text(doc.get("Channel")),
            provider: text(doc.get("SourceName")).or_else(|| text(doc.get("ProviderName"))),
            computer: text(doc.get("Hostname")).or_else(|| text(doc.get("Computer"))),
            sid: text(doc.get("UserID")),
            time: text(doc.get("@timestamp")).or_else(|| text(doc.get("TimeCreated"))),
            record_id: text(doc.get("RecordNumber")).or_else(|| text(doc.get("EventRecordID"))),
            pid: number(doc.get("ExecutionProcessID")).or_else(|| number(doc.get("ProcessID"))),
            tid: number(doc.get("ThreadID")),
            data,
            message: text(doc.get("Message")),
        });
    }
    None
}

/// The 4104 message as Windows renders it: `Creating Scriptblock text (N of M):`, the text,
/// a blank line, `ScriptBlock ID: …` and `Path: …`, lines ended by CRLF. `None` without a text.
fn rendered_4104(d: &Map<String, Value>) -> Option<String> {
    let body = text(d.get("ScriptBlockText"))?;
    let field = |k: &str| text(d.get(k)).unwrap_or_default();
    Some(format!(
        "Creating Scriptblock text ({} of {}):\r\n{body}\r\n\r\nScriptBlock ID: {}\r\nPath: {}",
        field("MessageNumber"),
        field("MessageTotal"),
        field("ScriptBlockId"),
        field("Path")
    ))
}

/// Sets `path` (dotted) in `doc`, turning a non-object in the way into an object. Returns the
/// value that had to be replaced, if any, so nothing is lost silently.
fn set(doc: &mut Map<String, Value>, path: &str, value: Value, displaced: &mut bool) {
    let mut parts: Vec<&str> = path.split('.').collect();
    let last = parts.pop().unwrap_or(path);
    let mut cur = doc;
    for p in parts {
        let entry = cur
            .entry(p.to_owned())
            .or_insert_with(|| Value::Object(Map::new()));
        if !entry.is_object() {
            *displaced = true;
            *entry = Value::Object(Map::new());
        }
        let Value::Object(next) = entry else { return };
        cur = next;
    }
    cur.insert(last.to_owned(), value);
}

/// `Creating Scriptblock text (N of M):\r\n<text>\r\n\r\nScriptBlock ID: <id>\r\nPath: <path>`,
/// the rendered message some exports carry instead of the fields.
fn from_message(msg: &str, data: &mut Map<String, Value>) {
    let Some(rest) = msg.strip_prefix("Creating Scriptblock text (") else {
        return;
    };
    let Some((counts, body)) = rest.split_once("):") else {
        return;
    };
    let Some((n, m)) = counts.split_once(" of ") else {
        return;
    };
    let body = body
        .strip_prefix("\r\n")
        .or_else(|| body.strip_prefix('\n'))
        .unwrap_or(body);
    let (script, tail) = match body.rfind("ScriptBlock ID: ") {
        Some(i) => (&body[..i], &body[i + "ScriptBlock ID: ".len()..]),
        None => (body, ""),
    };
    let script = script
        .strip_suffix("\r\n\r\n")
        .or_else(|| script.strip_suffix("\n\n"))
        .unwrap_or(script);
    let mut lines = tail.lines();
    let id = lines.next().unwrap_or("").trim();
    let path = lines
        .next()
        .and_then(|l| l.strip_prefix("Path: "))
        .unwrap_or("")
        .trim();
    data.insert("ScriptBlockText".into(), json!(script));
    data.insert("ScriptBlockId".into(), json!(id));
    data.insert("MessageNumber".into(), json!(n.trim()));
    data.insert("MessageTotal".into(), json!(m.trim()));
    data.insert("Path".into(), json!(path));
}

/// Maps a raw Windows event to ECS; returns `None` (keep as is) for documents already in ECS.
pub fn to_ecs(doc: &Map<String, Value>) -> Option<Map<String, Value>> {
    let mut raw = shape(doc)?;
    let mut out = doc.clone();
    out.remove("Event");
    let mut displaced = false;
    let mut put =
        |out: &mut Map<String, Value>, path: &str, v: Value| set(out, path, v, &mut displaced);
    let id = raw.event_id;
    if let Some(t) = &raw.time {
        put(&mut out, "@timestamp", json!(t));
    }
    put(&mut out, "event.kind", json!("event"));
    if let Some(id) = id {
        put(&mut out, "event.code", json!(id.to_string()));
        put(&mut out, "winlog.event_id", json!(id.to_string()));
    }
    put(&mut out, "host.os.type", json!("windows"));
    put(&mut out, "host.os.family", json!("windows"));
    if let Some(c) = &raw.computer {
        // An agent already named the host (Winlogbeat documents): keep its name, as Elastic does.
        if !at(doc, "host.name").is_some_and(Value::is_string) {
            put(&mut out, "host.name", json!(c));
        }
        put(&mut out, "winlog.computer_name", json!(c));
    }
    if let Some(c) = &raw.channel {
        put(&mut out, "winlog.channel", json!(c));
    }
    if let Some(p) = &raw.provider {
        put(&mut out, "winlog.provider_name", json!(p));
        put(&mut out, "event.provider", json!(p));
    }
    if let Some(r) = &raw.record_id {
        put(&mut out, "winlog.record_id", json!(r));
    }
    if let Some(p) = raw.pid {
        put(&mut out, "winlog.process.pid", json!(p));
    }
    if let Some(t) = raw.tid {
        put(&mut out, "winlog.process.thread.id", json!(t));
    }
    if let Some(s) = raw.sid.as_deref().filter(|s| !s.is_empty()) {
        put(&mut out, "user.id", json!(s));
        put(&mut out, "winlog.user.identifier", json!(s));
    }
    let powershell_channel = raw
        .channel
        .as_deref()
        .is_none_or(|c| c.eq_ignore_ascii_case(PS_OPERATIONAL));
    if powershell_channel && matches!(id, Some(4103..=4106)) {
        put(&mut out, "event.category", json!("process"));
        let ty = match id {
            Some(4105) => "start",
            Some(4106) => "end",
            _ => "info",
        };
        put(&mut out, "event.type", json!(ty));
    }
    if powershell_channel && id == Some(4104) {
        if !raw.data.contains_key("ScriptBlockText") {
            if let Some(m) = &raw.message {
                from_message(m, &mut raw.data);
            }
        }
        let d = &raw.data;
        // The message Windows renders for 4104, as Winlogbeat stores it: the collector's own
        // when it kept one, else rendered from the fields (Elastic's alert-correlation rule
        // reads the script block id from it).
        if !out.get("message").is_some_and(Value::is_string) {
            if let Some(m) = raw.message.clone().or_else(|| rendered_4104(d)) {
                put(&mut out, "message", json!(m));
            }
        }
        if let Some(t) = text(d.get("ScriptBlockText")).filter(|t| !t.is_empty()) {
            if let Some(stats) = super::derived::script_stats(&t) {
                for (name, value) in [
                    ("length", json!(stats.length)),
                    ("unique_symbols", json!(stats.unique_symbols)),
                    ("entropy_bits", json!(stats.entropy_bits)),
                    ("entropy_normalized", json!(stats.entropy_normalized)),
                    ("surprisal_stdev", json!(stats.surprisal_stdev)),
                ] {
                    put(
                        &mut out,
                        &format!("powershell.file.script_block_{name}"),
                        value,
                    );
                }
            }
            put(&mut out, "powershell.file.script_block_text", json!(t));
        }
        if let Some(t) = text(d.get("ScriptBlockId")).filter(|t| !t.is_empty()) {
            put(&mut out, "powershell.file.script_block_id", json!(t));
        }
        if let Some(n) = number(d.get("MessageNumber")) {
            put(&mut out, "powershell.sequence", json!(n));
        }
        if let Some(n) = number(d.get("MessageTotal")) {
            put(&mut out, "powershell.total", json!(n));
        }
        // As the pipeline does: file fields only for a path with a backslash; the extension is
        // what follows the last '.' of the whole path.
        if let Some(path) = text(d.get("Path")).filter(|p| p.len() > 1) {
            if let Some(idx) = path.rfind('\\') {
                put(&mut out, "file.name", json!(&path[idx + 1..]));
                put(&mut out, "file.directory", json!(&path[..idx]));
                if let Some(ext) = path.rfind('.') {
                    put(&mut out, "file.extension", json!(&path[ext + 1..]));
                }
            }
            put(&mut out, "file.path", json!(path));
        }
    }
    if displaced {
        out.insert(
            "event".into(),
            out.get("event").cloned().unwrap_or_else(|| json!({})),
        );
        set(
            &mut out,
            "event.original",
            json!(serde_json::to_string(doc).unwrap_or_default()),
            &mut false,
        );
    }
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn obj(v: Value) -> Map<String, Value> {
        v.as_object().cloned().unwrap()
    }

    #[test]
    fn evtx_json_4104_maps_like_the_pipeline() {
        let raw = obj(json!({"Event": {
            "System": {"Provider": {"#attributes": {"Name": "Microsoft-Windows-PowerShell"}}, "EventID": 4104,
                "TimeCreated": {"#attributes": {"SystemTime": "2024-05-21T10:15:42.123Z"}}, "EventRecordID": 3580,
                "Execution": {"#attributes": {"ProcessID": 4844, "ThreadID": 4428}},
                "Channel": "Microsoft-Windows-PowerShell/Operational", "Computer": "win10-01.corp.local",
                "Security": {"#attributes": {"UserID": "S-1-5-21-1-1001"}}},
            "EventData": {"MessageNumber": 2, "MessageTotal": 3, "ScriptBlockText": "Get-Date", "ScriptBlockId": "9c4e",
                "Path": "C:\\Users\\alice\\Invoke-Inject.ps1"}}}));
        let m = to_ecs(&raw).unwrap();
        let f = crate::ecs::Fields::of(&m).unwrap();
        let g = |k: &str| f.first(k).unwrap_or_default();
        assert_eq!(g("powershell.file.script_block_text"), "Get-Date");
        assert_eq!(g("powershell.file.script_block_id"), "9c4e");
        assert_eq!(
            (g("powershell.sequence"), g("powershell.total")),
            ("2".into(), "3".into())
        );
        assert_eq!(g("file.directory"), "C:\\Users\\alice");
        assert_eq!(g("file.name"), "Invoke-Inject.ps1");
        assert_eq!(g("file.extension"), "ps1");
        assert_eq!(g("user.id"), "S-1-5-21-1-1001");
        assert_eq!(g("@timestamp"), "2024-05-21T10:15:42.123Z");
        assert_eq!(g("host.name"), "win10-01.corp.local");
        assert_eq!(
            (
                g("event.category"),
                g("event.code"),
                g("event.type"),
                g("event.kind")
            ),
            (
                "process".into(),
                "4104".into(),
                "info".into(),
                "event".into()
            )
        );
        assert_eq!(g("host.os.type"), "windows");
        assert_eq!(
            (
                g("winlog.record_id"),
                g("winlog.process.pid"),
                g("winlog.process.thread.id")
            ),
            ("3580".into(), "4844".into(), "4428".into())
        );
        assert!(!m.contains_key("Event"));
    }

    #[test]
    fn empty_path_and_empty_text_give_no_fields() {
        let raw = obj(
            json!({"EventID": 4104, "Channel": PS_OPERATIONAL, "ScriptBlockText": "", "Path": "", "Hostname": "h"}),
        );
        let m = to_ecs(&raw).unwrap();
        assert!(m.get("file").is_none());
        assert!(at(&m, "powershell.file.script_block_text").is_none());
    }

    #[test]
    fn flat_exports_with_string_numbers_and_a_conflicting_host_key() {
        let raw = obj(
            json!({"EventID": 4104, "Channel": PS_OPERATIONAL, "Hostname": "DC.mordor.local", "host": "wec.internal",
            "UserID": "S-1-5-18", "MessageNumber": "2", "MessageTotal": "2", "ScriptBlockText": "x", "ScriptBlockId": "b5de",
            "@timestamp": "2020-07-22T04:02:31.147Z", "Path": "C:\\m\\a.ps1"}),
        );
        let m = to_ecs(&raw).unwrap();
        assert_eq!(at(&m, "host.name"), Some(&json!("DC.mordor.local")));
        assert_eq!(at(&m, "powershell.sequence"), Some(&json!(2)));
        let original = at(&m, "event.original").and_then(Value::as_str).unwrap();
        assert!(
            original.contains("wec.internal"),
            "the displaced value is kept in event.original"
        );
    }

    #[test]
    fn the_message_is_parsed_when_the_fields_are_missing() {
        let raw = obj(
            json!({"EventID": 4104, "Channel": PS_OPERATIONAL, "Hostname": "h",
            "Message": "Creating Scriptblock text (1 of 2):\r\n$a = 1\r\nGet-Item x\r\n\r\nScriptBlock ID: 7f1e\r\nPath: C:\\t\\s.ps1"}),
        );
        let m = to_ecs(&raw).unwrap();
        assert_eq!(
            at(&m, "powershell.file.script_block_text"),
            Some(&json!("$a = 1\r\nGet-Item x"))
        );
        assert_eq!(
            at(&m, "powershell.file.script_block_id"),
            Some(&json!("7f1e"))
        );
        assert_eq!(at(&m, "powershell.total"), Some(&json!(2)));
        assert_eq!(at(&m, "file.name"), Some(&json!("s.ps1")));
    }

    #[test]
    fn ecs_documents_are_never_remapped() {
        let ecs = obj(json!({"powershell": {"file": {"script_block_text": "x"}}, "EventID": 1}));
        assert!(to_ecs(&ecs).is_none());
    }

    #[test]
    fn other_channels_keep_context_but_no_script() {
        let raw = obj(
            json!({"EventID": 1, "Channel": "Microsoft-Windows-Sysmon/Operational", "Hostname": "h", "@timestamp": "2020-01-01T00:00:00Z"}),
        );
        let m = to_ecs(&raw).unwrap();
        assert_eq!(at(&m, "event.code"), Some(&json!("1")));
        assert!(at(&m, "event.category").is_none());
        assert!(at(&m, "powershell").is_none());
    }
}
