//! What the case holds, for the header of every screen and for the landing shown when no rule
//! fired: files, events, script blocks, hosts, users, time span, rules run and skipped,
//! records skipped, and the way into the hunt view. Never an empty list that blames a filter.

use super::wrap::wrap_step;
use super::{time, Theme};
use crate::i18n::{t, tf};
use crate::safe_text;
use crate::workspace::Workspace;
use ratatui::layout::Rect;
use ratatui::style::Style;
use ratatui::text::Line;
use ratatui::widgets::{Block, Borders, Paragraph};
use ratatui::Frame;

/// `n` with thousands separated (`2,911`).
pub fn thousands(n: u64) -> String {
    let digits = n.to_string();
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

/// One line of facts about the loaded data (the header's first line).
pub fn facts_line(ws: &Workspace) -> String {
    // To the second: the header has no room for milliseconds.
    let second = |t: i64| time(Some(t)).chars().take(19).collect::<String>();
    let span = ws
        .time_range
        .map(|(a, b)| format!("{} → {}", second(a), second(b)))
        .unwrap_or_else(|| t("facts.no_timestamps").into());
    // A count not known yet (hosts and users come from the index) shows as "…".
    let noun = |n: Option<u64>, [one, other]: [&'static str; 2]| {
        let shown = n.map(thousands).unwrap_or_else(|| "…".into());
        tf(if n == Some(1) { one } else { other }, &[("n", &shown)])
    };
    let known = |n: Option<usize>| n.map(|n| n as u64);
    format!(
        "{} · {} · {} · {} · {} · {span}",
        noun(Some(ws.files), ["facts.file_one", "facts.file_other"]),
        noun(Some(ws.events), ["facts.event_one", "facts.event_other"]),
        noun(
            Some(ws.script_events),
            ["facts.script_block_one", "facts.script_block_other"]
        ),
        noun(known(ws.hosts), ["facts.host_one", "facts.host_other"]),
        noun(known(ws.users), ["facts.user_one", "facts.user_other"]),
    )
}

/// The landing of a case where no rule fired.
pub fn render(ws: &Workspace, theme: &Theme, f: &mut Frame, area: Rect) {
    let width = area.width.saturating_sub(2) as usize;
    let mut lines = Vec::new();
    // Each entry wraps with its later rows hanging under its text.
    let mut put = |prefix: &str, text: &str, style: Style| {
        for row in wrap_step(prefix, &safe_text::line(text), width) {
            lines.push(Line::styled(row, style));
        }
    };
    let plain = Style::default();
    put(
        "",
        &tf("landing.none_fired", &[("n", &thousands(ws.script_events))]),
        theme.title(),
    );
    put("", "", plain);
    put("  ", &facts_line(ws), plain);
    let run: Vec<String> = ws
        .rules
        .iter()
        .map(|r| format!("{} (v{})", r.meta.name, r.meta.version))
        .collect();
    put(t("landing.rules_run"), &run.join(", "), plain);
    if !ws.skipped_rules.is_empty() {
        put(
            t("landing.rules_skipped"),
            &ws.skipped_rules.len().to_string(),
            plain,
        );
        for s in ws.skipped_rules.iter().take(5) {
            put("    ", s, theme.dim());
        }
    }
    put(
        t("landing.records_skipped"),
        &thousands(ws.skipped_records),
        plain,
    );
    for d in ws
        .diagnostics
        .iter()
        .filter(|d| !ws.skipped_rules.contains(d))
        .take(5)
    {
        put("    ", d, theme.dim());
    }
    put("", "", plain);
    put("", t("landing.still_here"), theme.title());
    put("  H  ", t("landing.hunt_key"), plain);
    for example in [
        "powershell.file.script_block_text:(VirtualAlloc and CreateThread)",
        "host.name:wks-0019 and powershell.file.script_block_text:\"Invoke-Mimikatz\"",
        "@timestamp >= \"2024-05-21\" and FromBase64String",
    ] {
        put("     ", example, theme.dim());
    }
    put("  /  ", t("landing.query_key"), plain);
    f.render_widget(
        Paragraph::new(lines).block(
            Block::default()
                .borders(Borders::ALL)
                .title(t("landing.title")),
        ),
        area,
    );
}

#[cfg(test)]
mod tests {
    #[test]
    fn thousands_are_grouped() {
        assert_eq!(super::thousands(0), "0");
        assert_eq!(super::thousands(999), "999");
        assert_eq!(super::thousands(2911), "2,911");
        assert_eq!(super::thousands(1_234_567), "1,234,567");
    }
}
