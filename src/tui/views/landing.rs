//! What the case holds, for the header of every screen and for the landing shown when no rule
//! fired: files, events, script blocks, hosts, users, time span, rules run and skipped,
//! records skipped, and the way into the hunt view. Never an empty list that blames a filter.

use super::{time, Theme};
use crate::safe_text;
use crate::workspace::Workspace;
use ratatui::layout::Rect;
use ratatui::text::Line;
use ratatui::widgets::{Block, Borders, Paragraph, Wrap};
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
        .unwrap_or_else(|| "no timestamps".into());
    let noun = |n: Option<u64>, word: &str| {
        let shown = n.map(thousands).unwrap_or_else(|| "…".into());
        format!("{shown} {word}{}", if n == Some(1) { "" } else { "s" })
    };
    let known = |n: Option<usize>| n.map(|n| n as u64);
    format!(
        "{} · {} · {} · {} · {} · {span}",
        noun(Some(ws.files), "file"),
        noun(Some(ws.events), "event"),
        noun(Some(ws.script_events), "script block"),
        noun(known(ws.hosts), "host"),
        noun(known(ws.users), "user"),
    )
}

/// The landing of a case where no rule fired.
pub fn render(ws: &Workspace, theme: &Theme, f: &mut Frame, area: Rect) {
    let mut lines = vec![
        Line::styled(
            format!(
                "No rule fired on these {} script blocks.",
                thousands(ws.script_events)
            ),
            theme.title(),
        ),
        Line::raw(""),
        Line::raw(format!("  {}", facts_line(ws))),
        Line::raw(format!(
            "  rules run: {}",
            ws.rules
                .iter()
                .map(|r| format!("{} (v{})", r.meta.name, r.meta.version))
                .collect::<Vec<_>>()
                .join(", ")
        )),
    ];
    if !ws.skipped_rules.is_empty() {
        lines.push(Line::raw(format!(
            "  rules skipped: {}",
            ws.skipped_rules.len()
        )));
        for s in ws.skipped_rules.iter().take(5) {
            lines.push(Line::styled(
                format!("    {}", safe_text::line(s)),
                theme.dim(),
            ));
        }
    }
    lines.push(Line::raw(format!(
        "  records skipped: {}",
        thousands(ws.skipped_records)
    )));
    let problems: Vec<&String> = ws
        .diagnostics
        .iter()
        .filter(|d| !ws.skipped_rules.contains(d))
        .take(5)
        .collect();
    for d in &problems {
        lines.push(Line::styled(
            format!("    {}", safe_text::line(d)),
            theme.dim(),
        ));
    }
    lines.extend([
        Line::raw(""),
        Line::styled(
            "Every script block is still here to read and hunt:",
            theme.title(),
        ),
        Line::raw("  H  opens the hunt view: a KQL query over every event, as Kibana runs it"),
        Line::styled(
            "     powershell.file.script_block_text:(VirtualAlloc and CreateThread)",
            theme.dim(),
        ),
        Line::styled(
            "     host.name:wks-0019 and powershell.file.script_block_text:\"Invoke-Mimikatz\"",
            theme.dim(),
        ),
        Line::styled(
            "     @timestamp >= \"2024-05-21\" and FromBase64String",
            theme.dim(),
        ),
        Line::raw("  /  in the hunt view edits the query;  r  shows why each rule would or would not fire"),
    ]);
    f.render_widget(
        Paragraph::new(lines).wrap(Wrap { trim: false }).block(
            Block::default()
                .borders(Borders::ALL)
                .title(" Alerts: none "),
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
