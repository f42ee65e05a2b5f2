//! Provider keys never appear in logs, events or session files — including
//! when a provider refuses a key and the run falls back.

mod agents_support;

use std::io::Write;
use std::sync::{Arc, Mutex};

use agents_support::*;
use openclaw_fakes::providers::{Failure, Reply};

#[derive(Clone, Default)]
struct Captured(Arc<Mutex<Vec<u8>>>);

impl Write for Captured {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

#[tokio::test]
async fn keys_never_reach_logs_events_or_session_files() {
    let captured = Captured::default();
    let sink = captured.clone();
    let subscriber = tracing_subscriber::fmt()
        .with_max_level(tracing::Level::TRACE)
        .with_writer(move || sink.clone())
        .with_ansi(false)
        .finish();
    let _guard = tracing::subscriber::set_default(subscriber);

    let h = Harness::new().await;
    h.openai.push("gpt-4o", Reply::Fail(Failure::Unauthorized));
    let engine = h
        .engine(&chain(
            "openai/gpt-4o",
            &["google/gemini-2.5-pro", "anthropic/claude-opus-4-5"],
            4,
        ))
        .await;
    let mut rx = engine.subscribe();
    let mut all_events = String::new();
    for (key, msg) in [("main", "first"), ("other", "second")] {
        let run = engine.send(message(key, msg)).unwrap();
        let events = events_of(&mut rx, &run.run_id).await;
        all_events.push_str(&format!("{events:?}"));
    }
    assert!(
        all_events.contains("\"auth\"") || all_events.contains("Auth"),
        "the auth failure was exercised"
    );
    let debug_config = format!("{:?}", engine.config());
    let logs = String::from_utf8(captured.0.lock().unwrap().clone()).unwrap();
    assert!(logs.contains("falling back"), "logs were captured: {logs}");

    let mut places = vec![
        ("logs".to_owned(), logs),
        ("events".to_owned(), all_events),
        ("config".to_owned(), debug_config),
    ];
    for file in files_under(h.dir.path()) {
        places.push((
            file.display().to_string(),
            std::fs::read_to_string(&file).unwrap(),
        ));
    }
    assert!(
        places.len() >= 5,
        "session files were written: {:?}",
        places.iter().map(|p| &p.0).collect::<Vec<_>>()
    );
    for (place, text) in &places {
        for key in [ANTHROPIC_KEY, OPENAI_KEY, GEMINI_KEY] {
            assert!(!text.contains(key), "a provider key leaked into {place}");
            assert!(
                !text.contains("SECRET"),
                "part of a provider key leaked into {place}"
            );
        }
    }
}
