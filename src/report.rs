//! The triage report: every alert with its summary, status, closing reason, note, ticked steps
//! and matched terms (and, when an exception item suppresses it, which), the count of alerts
//! each exception item suppressed, then the case's bookmarked script blocks, as Markdown for
//! people or JSON for tools. Pure (takes the loaded case and the triage book, returns text).

use crate::ecs::format_millis;
use crate::i18n::{t, tf};
use crate::labels::{reason_label, severity_label, status_label};
use crate::triage::Book;
use crate::workspace::Workspace;
use serde_json::{json, Value};
use std::fmt::Write;

/// One alert's entry as JSON.
fn entry(ws: &Workspace, book: &Book, i: usize) -> Value {
    let a = &ws.alerts[i];
    let rule = &ws.rules[a.rule];
    let t = book.get(&a.id);
    let steps = &ws.guides[a.rule].current().steps;
    let ticked: Vec<Value> = t
        .map(|t| {
            t.ticks
                .iter()
                .map(|(n, at)| json!({"step": n + 1, "text": steps.get(*n).cloned().unwrap_or_default(), "at": format_millis(*at)}))
                .collect()
        })
        .unwrap_or_default();
    json!({
        "alert_id": a.id,
        "kind": a.kind.name(),
        "time": a.time_ms.map(format_millis),
        "host": a.host,
        "user": a.user,
        "rule": rule.meta.name,
        "rule_id": rule.meta.rule_id,
        "severity": rule.meta.severity,
        "risk_score": rule.meta.risk_score,
        "reason": a.reason,
        "status": book.status(&a.id).name(),
        "closing_reason": t.and_then(|t| t.reason.clone()),
        "note": t.map(|t| t.note.clone()).unwrap_or_default(),
        "ticked_steps": ticked,
        "steps_total": steps.len(),
        "matched_terms": a.matched_terms,
        "source": a.event.source.to_string(),
        "suppressed_by": a.suppressed_by.as_ref().map(|s| json!({
            "list_id": s.list_id, "item_id": s.item_id, "name": s.item_name,
        })),
    })
}

/// One bookmark's entry as JSON (`kind` "bookmark", so a filter on alerts can leave it out).
fn bookmark_entry(identity: &str, b: &crate::triage::Bookmark) -> Value {
    json!({
        "kind": "bookmark",
        "event_id": identity,
        "time": b.time_ms.map(format_millis),
        "host": b.host,
        "user": b.user,
        "script_block_id": b.script_block_id,
        "source": b.source,
        "note": b.note,
        "bookmarked_at": format_millis(b.at),
        "excerpt": b.excerpt,
    })
}

/// The report as a JSON array: one object per alert, in alert order, then one per bookmark.
pub fn json(ws: &Workspace, book: &Book) -> Value {
    let alerts = (0..ws.alerts.len()).map(|i| entry(ws, book, i));
    let marks = book.bookmarks.iter().map(|(id, b)| bookmark_entry(id, b));
    let items = crate::exceptions::tally(&ws.alerts).into_iter().map(|(s, n)| {
        json!({"kind": "exception_item", "list_id": s.list_id, "item_id": s.item_id, "name": s.item_name, "suppressed_alerts": n})
    });
    Value::Array(alerts.chain(items).chain(marks).collect())
}

/// Escapes text for a Markdown table cell or line (log text is hostile: no raw control
/// characters, no table breaks).
fn md(s: &str) -> String {
    crate::safe_text::line(s)
        .replace('|', "\\|")
        .replace('`', "\\`")
}

/// The report as Markdown.
pub fn markdown(ws: &Workspace, book: &Book) -> String {
    let mut out = String::new();
    let counts = ws.alerts.iter().fold([0usize; 3], |mut c, a| {
        c[book.status(&a.id) as usize] += 1;
        c
    });
    let _ = writeln!(out, "# {}\n", t("report.title"));
    let _ = writeln!(
        out,
        "{}\n",
        tf(
            "report.summary",
            &[
                ("n", &ws.alerts.len()),
                ("open", &counts[0]),
                ("ack", &counts[1]),
                ("closed", &counts[2]),
                ("events", &ws.events),
                ("files", &ws.files),
            ],
        )
    );
    let items = crate::exceptions::tally(&ws.alerts);
    if !items.is_empty() {
        let total: usize = items.iter().map(|(_, n)| n).sum();
        let _ = writeln!(
            out,
            "{}\n\n{}\n|---|---|---|---|",
            tf("report.suppressed", &[("n", &total)]),
            t("report.suppressed_columns")
        );
        for (s, n) in &items {
            let _ = writeln!(
                out,
                "| {} | {} | {} | {n} |",
                md(&s.item_name),
                md(&s.list_id),
                md(&s.item_id)
            );
        }
        let _ = writeln!(out);
    }
    let _ = writeln!(
        out,
        "{}\n|---|---|---|---|---|---|",
        t("report.alert_columns")
    );
    for a in &ws.alerts {
        let _ = writeln!(
            out,
            "| {} | {} | {} | {} | {} | {} |",
            a.time_ms.map(format_millis).unwrap_or_default(),
            md(a.host.as_deref().unwrap_or("-")),
            md(a.user.as_deref().unwrap_or("-")),
            md(&ws.rules[a.rule].meta.name),
            status_label(book.status(&a.id)),
            md(&a.matched_terms.join(", "))
        );
    }
    for (i, a) in ws.alerts.iter().enumerate() {
        let e = entry(ws, book, i);
        let rule = &ws.rules[a.rule].meta;
        let _ = writeln!(
            out,
            "\n## {}\n",
            tf(
                "report.alert_heading",
                &[
                    ("time", &a.time_ms.map(format_millis).unwrap_or_default()),
                    ("rule", &md(&rule.name)),
                    ("host", &md(a.host.as_deref().unwrap_or("-"))),
                ],
            )
        );
        let _ = writeln!(out, "- {}", tf("report.alert_id", &[("id", &a.id)]));
        if let crate::alert::AlertKind::SplitScript {
            fragments,
            total,
            missing,
            ..
        } = &a.kind
        {
            let missing = if missing.is_empty() {
                String::new()
            } else {
                tf("report.missing", &[("parts", &format!("{missing:?}"))])
            };
            let _ = writeln!(
                out,
                "- {}",
                tf(
                    "report.split",
                    &[("n", fragments), ("total", total), ("missing", &missing)],
                )
            );
        }
        if let crate::alert::AlertKind::Decoded {
            layers, logged_as, ..
        } = &a.kind
        {
            let logged = logged_as
                .as_ref()
                .map(|id| tf("report.logged_as", &[("id", &md(id))]))
                .unwrap_or_default();
            let _ = writeln!(
                out,
                "- {}",
                tf(
                    "report.decoded",
                    &[("layers", &md(&layers.join(" › "))), ("logged", &logged)],
                )
            );
        }
        if let Some(s) = &a.suppressed_by {
            let _ = writeln!(
                out,
                "- {}",
                tf(
                    "report.suppressed_by",
                    &[
                        ("name", &md(&s.item_name)),
                        ("list", &md(&s.list_id)),
                        ("item", &md(&s.item_id)),
                    ],
                )
            );
        }
        let _ = writeln!(out, "- {}", md(&a.reason));
        let _ = writeln!(
            out,
            "- {}",
            tf(
                "report.severity",
                &[
                    ("severity", &severity_label(&rule.severity)),
                    ("risk", &rule.risk_score),
                ],
            )
        );
        let _ = writeln!(
            out,
            "{}",
            field_line("report.user", &md(a.user.as_deref().unwrap_or("-")))
        );
        let _ = writeln!(
            out,
            "{}",
            field_line("report.source", &md(&a.event.source.to_string()))
        );
        let _ = writeln!(
            out,
            "{}",
            field_line("report.terms", &md(&a.matched_terms.join(", ")))
        );
        let status = status_label(book.status(&a.id));
        let shown = match e["closing_reason"].as_str() {
            Some(r) => format!("**{status}** ({})", reason_label(r)),
            None => format!("**{status}**"),
        };
        let _ = writeln!(out, "{}", field_line("report.status", &shown));
        let steps = &ws.guides[a.rule].current().steps;
        let ticks = book.get(&a.id).map(|t| t.ticks.clone()).unwrap_or_default();
        if !steps.is_empty() {
            let _ = writeln!(
                out,
                "- {}",
                tf(
                    "report.steps",
                    &[("done", &ticks.len()), ("n", &steps.len())],
                )
            );
            for (n, s) in steps.iter().enumerate() {
                let first = s.lines().next().unwrap_or("");
                let mark = if ticks.contains_key(&n) { "x" } else { " " };
                let _ = writeln!(out, "  - [{mark}] {}", md(first));
            }
        }
        let note = e["note"].as_str().unwrap_or("");
        if !note.is_empty() {
            let _ = writeln!(out, "\n{}\n", t("report.note"));
            for l in crate::safe_text::multiline(note).lines() {
                let _ = writeln!(out, "> {}", l.replace('`', "\\`"));
            }
        }
    }
    write_bookmarks(&mut out, book);
    out
}

/// A Markdown list item `- label: value`, the label from the catalogue.
fn field_line(key: &'static str, value: &str) -> String {
    format!("- {}: {value}", t(key))
}

/// The bookmarks section, oldest event first.
fn write_bookmarks(out: &mut String, book: &Book) {
    if book.bookmarks.is_empty() {
        return;
    }
    let mut marks: Vec<_> = book.bookmarks.iter().collect();
    marks.sort_by_key(|(id, b)| (b.time_ms, id.to_owned()));
    let _ = writeln!(out, "\n# {}\n", t("report.bookmarks"));
    for (id, b) in marks {
        let _ = writeln!(
            out,
            "## {}\n",
            tf(
                "report.bookmark_heading",
                &[
                    (
                        "time",
                        &b.time_ms.map(format_millis).unwrap_or_else(|| "-".into()),
                    ),
                    ("host", &md(b.host.as_deref().unwrap_or("-"))),
                ],
            )
        );
        let _ = writeln!(out, "{}", field_line("report.event_id", &format!("`{id}`")));
        let _ = writeln!(
            out,
            "{}",
            field_line("report.user", &md(b.user.as_deref().unwrap_or("-")))
        );
        if let Some(sbid) = &b.script_block_id {
            let _ = writeln!(out, "{}", field_line("report.script_block_id", &md(sbid)));
        }
        let _ = writeln!(out, "{}", field_line("report.source", &md(&b.source)));
        let _ = writeln!(
            out,
            "{}",
            field_line("report.bookmarked", &format_millis(b.at))
        );
        if !b.excerpt.is_empty() {
            let _ = writeln!(out, "{}", field_line("report.excerpt", &md(&b.excerpt)));
        }
        if !b.note.is_empty() {
            let _ = writeln!(out, "\n{}\n", t("report.note"));
            for l in crate::safe_text::multiline(&b.note).lines() {
                let _ = writeln!(out, "> {}", l.replace('`', "\\`"));
            }
        }
    }
}
