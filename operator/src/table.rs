//! The status table of `up` and `status`, as `kubectl get` prints it: NAME,
//! PHASE, MACHINE, ENDPOINT, AGE, LAST EVENT — fitted to the terminal width
//! (cells shortened with an ellipsis, the last-event column first; a line
//! never wraps) — and, under it, each gateway's local URL and where its
//! token is, files that cannot be read and documents that were skipped.
//! Pure: text in, lines out; drawing is [`crate::tui`]'s job.

use std::collections::BTreeMap;
use std::path::PathBuf;

use crate::board::{Board, Entry};
use crate::crd::Phase;
use crate::report::EventType;
use crate::resource::ResourceKey;

/// Column headers.
pub const HEADERS: [&str; 6] = ["NAME", "PHASE", "MACHINE", "ENDPOINT", "AGE", "LAST EVENT"];

/// How narrow each column may get before the next one gives way, in the
/// order they give way: LAST EVENT, MACHINE (to its id), NAME, ENDPOINT
/// (where to open the gateway goes last; it is also under the table).
const SHRINK: [(usize, usize); 4] = [(5, 12), (2, 14), (0, 12), (3, 14)];

/// Gap between columns.
const GAP: usize = 2;

/// What the table shows of one resource.
pub fn row(key: &ResourceKey, e: &Entry, now: jiff::Timestamp) -> [String; 6] {
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
    let age = e
        .since
        .as_deref()
        .and_then(|s| s.parse::<jiff::Timestamp>().ok())
        .map_or_else(|| "-".to_owned(), |t| age(now.duration_since(t)));
    [
        key.to_string(),
        e.status.phase.to_string(),
        machine,
        endpoint,
        age,
        last_event(e),
    ]
}

/// The LAST EVENT cell: the latest event, except that next to `Ready` a
/// warning from before the gateway became ready is history, not news (the
/// latest normal event, or the status message, is shown instead).
pub fn last_event(e: &Entry) -> String {
    let ready_since = (e.status.phase == Phase::Ready)
        .then(|| {
            e.status
                .conditions
                .iter()
                .find(|c| c.type_ == "Ready")
                .map(|c| c.last_transition_time.0)
        })
        .flatten();
    let current = e.events.iter().rev().find(|ev| {
        if e.status.phase != Phase::Ready || ev.event.type_ == EventType::Normal {
            return true;
        }
        // A warning next to Ready: only if it came after Ready did.
        let at = ev.at.parse::<jiff::Timestamp>().ok();
        matches!((at, ready_since), (Some(at), Some(since)) if at >= since)
    });
    match current {
        Some(ev) => first_line(&format!("{}: {}", ev.event.reason, ev.event.message)),
        None => first_line(e.status.message.as_deref().unwrap_or("")),
    }
}

/// `45s`, `12m`, `3h`, `2d`, as kubectl shows ages.
pub fn age(d: jiff::SignedDuration) -> String {
    let s = d.as_secs().max(0);
    match s {
        0..120 => format!("{s}s"),
        120..7200 => format!("{}m", s / 60),
        7200..172_800 => format!("{}h", s / 3600),
        _ => format!("{}d", s / 86_400),
    }
}

/// The table of `entries`, each line at most `width` columns.
pub fn render_entries(
    entries: &BTreeMap<ResourceKey, Entry>,
    width: usize,
    now: jiff::Timestamp,
) -> Vec<String> {
    let mut rows = vec![HEADERS.map(String::from)];
    rows.extend(entries.iter().map(|(k, e)| row(k, e, now)));
    fit(&rows, width)
}

/// Lays out `rows` (the first is the header) within `width` columns.
pub fn fit(rows: &[[String; 6]], width: usize) -> Vec<String> {
    let mut widths: Vec<usize> = (0..6)
        .map(|i| rows.iter().map(|r| r[i].chars().count()).max().unwrap_or(0))
        .collect();
    let total = |w: &[usize]| w.iter().sum::<usize>() + GAP * (w.len() - 1);
    for (col, min) in SHRINK {
        let over = total(&widths).saturating_sub(width);
        if over == 0 {
            break;
        }
        let floor = min.max(HEADERS[col].len()).min(widths[col]);
        widths[col] -= over.min(widths[col] - floor);
    }
    rows.iter()
        .map(|r| {
            let mut line = String::new();
            for (i, cell) in r.iter().enumerate() {
                let cell = ellipsize(cell, widths[i]);
                if i + 1 == r.len() {
                    line.push_str(&cell);
                } else {
                    let pad = widths[i] - cell.chars().count() + GAP;
                    line.push_str(&cell);
                    line.extend(std::iter::repeat_n(' ', pad));
                }
            }
            ellipsize(line.trim_end(), width)
        })
        .collect()
}

/// Under the table: each gateway's local URL (open it for the Control UI)
/// and how to get its token; then unreadable files and skipped documents.
pub fn notes(
    entries: &BTreeMap<ResourceKey, Entry>,
    file_errors: &BTreeMap<PathBuf, String>,
    skipped: &BTreeMap<PathBuf, Vec<String>>,
    width: usize,
) -> Vec<String> {
    let mut out = Vec::new();
    for (key, e) in entries {
        if let Some(text) = access_entry(key, e) {
            out.extend(text.lines().map(|l| ellipsize(l, width)));
        }
    }
    for (path, err) in file_errors {
        out.push(ellipsize(
            &format!("! {}: {}", path.display(), first_line(err)),
            width,
        ));
    }
    for (path, docs) in skipped {
        for d in docs {
            out.push(ellipsize(&format!("~ {}: {d}", path.display()), width));
        }
    }
    out
}

/// The whole board as lines: the table, then its notes.
pub fn render(board: &Board, width: usize) -> Vec<String> {
    let entries = board.snapshot();
    let mut lines = render_entries(&entries, width, jiff::Timestamp::now());
    let notes = notes(&entries, &board.file_errors(), &board.skipped(), width);
    if !notes.is_empty() {
        lines.push(String::new());
        lines.extend(notes);
    }
    lines
}

/// One gateway's local URL and token hint, if it has a local URL.
pub fn access_entry(key: &ResourceKey, e: &Entry) -> Option<String> {
    let url = e.local_url.as_ref()?;
    let mut out = format!("{key}: open {url}/\n");
    if let Some(hint) = &e.token_hint {
        out.push_str(&format!(
            "  token: {hint}   (or: openclaw-operator token {})\n",
            key.name
        ));
    }
    Some(out)
}

/// `text` broken into lines of at most `width` columns at spaces, later
/// lines indented by `indent`; only a word longer than a line is cut.
pub fn wrap(text: &str, width: usize, indent: &str) -> Vec<String> {
    let mut lines = Vec::new();
    let mut line = String::new();
    for word in text.split(' ').filter(|w| !w.is_empty()) {
        let len = |s: &str| s.chars().count();
        if !line.is_empty() && len(&line) + 1 + len(word) > width {
            lines.push(std::mem::take(&mut line));
        }
        if line.is_empty() {
            line.push_str(if lines.is_empty() { "" } else { indent });
            let mut rest: Vec<char> = word.chars().collect();
            let room = width.saturating_sub(len(&line)).max(1);
            while rest.len() > room {
                let head: String = rest.drain(..room).collect();
                line.push_str(&head);
                lines.push(std::mem::take(&mut line));
                line.push_str(indent);
            }
            line.extend(rest);
        } else {
            line.push(' ');
            line.push_str(word);
        }
    }
    if !line.is_empty() || lines.is_empty() {
        lines.push(line);
    }
    lines
}

fn first_line(s: &str) -> String {
    s.lines().next().unwrap_or("").to_owned()
}

/// `s` in at most `max` characters, the cut marked with `…`.
pub fn ellipsize(s: &str, max: usize) -> String {
    if s.chars().count() <= max {
        return s.to_owned();
    }
    if max == 0 {
        return String::new();
    }
    let mut t: String = s.chars().take(max - 1).collect();
    t.push('…');
    t
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::crd::{OpenClawStatus, Phase};
    use crate::report::{Event, Reporter};

    async fn board_with(status: OpenClawStatus, events: &[Event]) -> (Board, ResourceKey) {
        let board = Board::default();
        let key = ResourceKey::new("default", "quickstart");
        board.status(&key, &status).await;
        for e in events {
            board.event(&key, e.clone()).await;
        }
        (board, key)
    }

    #[tokio::test]
    async fn shows_phase_endpoint_age_and_last_event() {
        let (board, _) = board_with(
            OpenClawStatus {
                phase: Phase::Provisioning,
                endpoint: Some("wss://quickstart.fly.dev".into()),
                ..Default::default()
            },
            &[Event::normal("MachineCreated", "created machine 1234")],
        )
        .await;
        let text = render(&board, 200);
        assert!(text[0].starts_with("NAME "), "{text:?}");
        let line = &text[1];
        for needle in [
            "default/quickstart",
            "Provisioning",
            "wss://quickstart.fly.dev",
            "0s",
            "MachineCreated",
        ] {
            assert!(line.contains(needle), "{line}");
        }
    }

    #[tokio::test]
    async fn fits_eighty_columns_with_an_ellipsis() {
        let long = "spec.fly.vm.memoryMb: 128 MB is below the 256 MB floor of the Rust gateway image; set memoryMb to 256 or more";
        let (board, _) = board_with(
            OpenClawStatus {
                phase: Phase::Failed,
                endpoint: Some("wss://a-rather-long-application-name.fly.dev".into()),
                ..Default::default()
            },
            &[Event::warning("InvalidSpec", long)],
        )
        .await;
        for width in [80, 60, 40] {
            let lines = render(&board, width);
            for l in &lines {
                assert!(l.chars().count() <= width, "{width}: {l:?}");
            }
            assert!(lines[1].ends_with('…'), "{:?}", lines[1]);
            assert!(
                lines[1].contains("Failed"),
                "the phase is never cut: {:?}",
                lines[1]
            );
        }
        assert!(
            render(&board, 300)[1].ends_with("256 or more"),
            "nothing cut when it fits"
        );
    }

    #[tokio::test]
    async fn ready_is_never_shown_next_to_an_old_warning() {
        let (board, key) = board_with(
            OpenClawStatus::default(),
            &[Event::warning("FlyApiError", "503 from the API")],
        )
        .await;
        std::thread::sleep(std::time::Duration::from_millis(5));
        let mut ready = OpenClawStatus {
            phase: Phase::Ready,
            message: Some("gateway healthy".into()),
            ..Default::default()
        };
        crate::status::set_condition(&mut ready.conditions, "Ready", true, "Reconciled", "", None);
        board.status(&key, &ready).await;
        let line = render(&board, 200)[1].clone();
        assert!(!line.contains("503"), "{line}");
        assert!(line.contains("gateway healthy"), "{line}");
        // A warning after it became ready is news.
        board
            .event(&key, Event::warning("RecordNotSaved", "disk full"))
            .await;
        assert!(render(&board, 200)[1].contains("RecordNotSaved"));
    }

    #[test]
    fn wraps_at_spaces() {
        assert_eq!(wrap("one two three", 7, "  "), vec!["one two", "  three"]);
        assert_eq!(wrap("short", 80, ""), vec!["short"]);
        let long = wrap(
            "a https://very-long-url.example/that/does/not/fit",
            20,
            "  ",
        );
        assert!(long.iter().all(|l| l.chars().count() <= 20), "{long:?}");
        assert_eq!(long[0], "a");
    }

    #[test]
    fn ages_read_like_kubectl() {
        let s = jiff::SignedDuration::from_secs;
        assert_eq!(age(s(42)), "42s");
        assert_eq!(age(s(600)), "10m");
        assert_eq!(age(s(3 * 3600)), "3h");
        assert_eq!(age(s(3 * 86_400)), "3d");
    }
}
