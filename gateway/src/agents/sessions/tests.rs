use std::io::Write;

use super::super::message::TranscriptMessage;
use super::*;

fn key(raw: &str) -> SessionKey {
    SessionKey::resolve(raw, "main").unwrap()
}

fn texts(h: &History) -> Vec<String> {
    h.messages.iter().map(TranscriptMessage::text).collect()
}

#[tokio::test]
async fn sessions_survive_a_reopen_and_page_through_history() {
    let dir = tempfile::tempdir().unwrap();
    {
        let (store, notes) = SessionStore::open(dir.path()).unwrap();
        assert!(notes.is_empty());
        for i in 0..5 {
            store
                .append(&key("main"), TranscriptMessage::user(format!("m{i}"), "r"))
                .await
                .unwrap();
        }
        store
            .append(&key("other"), TranscriptMessage::user("x", "r"))
            .await
            .unwrap();
    }
    let (store, _) = SessionStore::open(dir.path()).unwrap();
    let page = store.history(&key("main"), 2, None).await.unwrap();
    assert_eq!(texts(&page), ["m3", "m4"]);
    assert_eq!(
        (page.total, page.has_more, page.next_cursor),
        (5, true, Some(3))
    );
    let older = store
        .history(&key("main"), 10, page.next_cursor)
        .await
        .unwrap();
    assert_eq!(texts(&older), ["m0", "m1", "m2"]);
    assert!(!older.has_more);
    let list = store.list().await;
    assert_eq!(list.len(), 2);
    assert_eq!(
        list.iter()
            .find(|s| s.key == "agent:main:main")
            .unwrap()
            .message_count,
        5
    );
    assert!(
        dir.path()
            .join("agents/main/sessions/sessions.json")
            .is_file()
    );
}

#[tokio::test]
async fn a_torn_write_loses_nothing_before_it() {
    let dir = tempfile::tempdir().unwrap();
    let session_id = {
        let (store, _) = SessionStore::open(dir.path()).unwrap();
        store
            .append(&key("main"), TranscriptMessage::user("kept", "r"))
            .await
            .unwrap();
        store.list().await[0].session_id.clone()
    };
    let file = dir
        .path()
        .join(format!("agents/main/sessions/{session_id}.jsonl"));
    std::fs::OpenOptions::new()
        .append(true)
        .open(&file)
        .unwrap()
        .write_all(b"{\"type\":\"mess")
        .unwrap();

    let (store, _) = SessionStore::open(dir.path()).unwrap();
    assert_eq!(
        texts(&store.history(&key("main"), 10, None).await.unwrap()),
        ["kept"]
    );
    store
        .append(&key("main"), TranscriptMessage::user("next", "r"))
        .await
        .unwrap();
    let raw = std::fs::read_to_string(&file).unwrap();
    assert!(
        !raw.contains("\"mess{"),
        "the torn tail is cut before appending: {raw}"
    );
    assert_eq!(raw.lines().count(), 3, "header + 2 messages");
}

#[tokio::test]
async fn reset_and_delete_keep_the_old_transcript_aside() {
    let dir = tempfile::tempdir().unwrap();
    let (store, _) = SessionStore::open(dir.path()).unwrap();
    store
        .append(&key("main"), TranscriptMessage::user("before", "r"))
        .await
        .unwrap();
    let old = store.list().await[0].session_id.clone();
    let fresh = store.reset(&key("main")).await.unwrap();
    assert_ne!(fresh.session_id, old);
    assert!(
        store
            .history(&key("main"), 10, None)
            .await
            .unwrap()
            .messages
            .is_empty()
    );
    let sessions = dir.path().join("agents/main/sessions");
    let archived: Vec<String> = std::fs::read_dir(&sessions)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.starts_with(&old))
        .collect();
    assert_eq!(archived.len(), 1);
    assert!(archived[0].contains(".jsonl.reset."), "{archived:?}");

    assert!(store.delete(&key("main")).await.unwrap());
    assert!(!store.delete(&key("main")).await.unwrap());
    assert!(store.list().await.is_empty());
    let (reopened, _) = SessionStore::open(dir.path()).unwrap();
    assert!(
        reopened.list().await.is_empty(),
        "deleted sessions stay deleted after a restart"
    );
}

#[tokio::test]
async fn a_corrupt_index_is_kept_aside_and_rebuilt() {
    let dir = tempfile::tempdir().unwrap();
    {
        let (store, _) = SessionStore::open(dir.path()).unwrap();
        store
            .append(&key("main"), TranscriptMessage::user("hello", "r"))
            .await
            .unwrap();
    }
    let index = dir.path().join("agents/main/sessions/sessions.json");
    std::fs::write(&index, "{ not json").unwrap();
    let (store, notes) = SessionStore::open(dir.path()).unwrap();
    assert!(notes.iter().any(|n| n.contains("was corrupt")), "{notes:?}");
    assert_eq!(
        texts(&store.history(&key("main"), 10, None).await.unwrap()),
        ["hello"]
    );
    let kept = std::fs::read_dir(index.parent().unwrap())
        .unwrap()
        .any(|e| {
            e.unwrap()
                .file_name()
                .to_string_lossy()
                .starts_with("sessions.json.corrupt-")
        });
    assert!(kept);
}
