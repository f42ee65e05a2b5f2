//! `up`'s live status table: name, phase, machine state, endpoint, last
//! event — and, under it, each gateway's local URL and where its token is.

use std::fmt::Write;

use crate::board::{Board, Entry};
use crate::resource::ResourceKey;

/// Renders the board as a fixed-width table.
pub fn render(board: &Board) -> String {
    let entries = board.snapshot();
    let mut rows = vec![[
        "NAME".to_owned(),
        "PHASE".to_owned(),
        "MACHINE".to_owned(),
        "ENDPOINT".to_owned(),
        "LAST EVENT".to_owned(),
    ]];
    for (key, e) in &entries {
        let fly = e.status.fly.as_ref();
        let machine = match (
            fly.and_then(|f| f.machine_id.as_deref()),
            fly.and_then(|f| f.machine_state.as_deref()),
        ) {
            (Some(id), Some(st)) => format!("{id} {st}"),
            (Some(id), None) => id.to_owned(),
            _ => "-".to_owned(),
        };
        let endpoint = e
            .local_url
            .clone()
            .or_else(|| e.status.endpoint.clone())
            .unwrap_or_else(|| "-".into());
        let last = e
            .events
            .back()
            .map(|ev| format!("{}: {}", ev.event.reason, ev.event.message))
            .unwrap_or_else(|| e.status.message.clone().unwrap_or_default());
        rows.push([
            key.to_string(),
            e.status.phase.to_string(),
            machine,
            endpoint,
            truncate(&last, 70),
        ]);
    }
    let widths: Vec<usize> = (0..5)
        .map(|i| rows.iter().map(|r| r[i].chars().count()).max().unwrap_or(0))
        .collect();
    let mut out = String::new();
    for r in &rows {
        for (i, cell) in r.iter().enumerate() {
            if i == 4 {
                let _ = write!(out, "{cell}");
            } else {
                let _ = write!(out, "{cell:<w$}  ", w = widths[i]);
            }
        }
        out.push('\n');
    }
    for (path, err) in board.file_errors() {
        let _ = writeln!(out, "! {}: {}", path.display(), truncate(&err, 120));
    }
    out
}

/// Under the table: each gateway's local URL (open it for the Control UI)
/// and how to get its token.
pub fn access(board: &Board) -> String {
    board
        .snapshot()
        .iter()
        .filter_map(|(key, e)| access_entry(key, e))
        .map(|text| format!("\n{text}"))
        .collect()
}

/// One gateway's local URL and token hint, if it has a local URL.
pub fn access_entry(key: &ResourceKey, e: &Entry) -> Option<String> {
    let url = e.local_url.as_ref()?;
    let mut out = format!("{key}: open {url}/\n");
    if let Some(hint) = &e.token_hint {
        let _ = writeln!(out, "  token: {hint}");
    }
    Some(out)
}

fn truncate(s: &str, max: usize) -> String {
    let line = s.lines().next().unwrap_or("");
    if line.chars().count() <= max {
        line.to_owned()
    } else {
        let mut t: String = line.chars().take(max - 1).collect();
        t.push('…');
        t
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::crd::{OpenClawStatus, Phase};
    use crate::report::{Event, Reporter};
    use crate::resource::ResourceKey;

    #[tokio::test]
    async fn shows_phase_endpoint_and_last_event() {
        let board = Board::default();
        let key = ResourceKey::new("default", "quickstart");
        let status = OpenClawStatus {
            phase: Phase::Ready,
            endpoint: Some("wss://quickstart.fly.dev".into()),
            ..Default::default()
        };
        board.status(&key, &status).await;
        board
            .event(
                &key,
                Event::normal("MachineCreated", "created machine 1234"),
            )
            .await;
        let text = render(&board);
        let line = text.lines().nth(1).unwrap();
        for needle in [
            "default/quickstart",
            "Ready",
            "wss://quickstart.fly.dev",
            "MachineCreated",
        ] {
            assert!(line.contains(needle), "{line}");
        }
    }
}
