use std::sync::Arc;

use super::*;

fn set(dir: &Path) -> SourceSet {
    SourceSet::new(&[dir.join("gitops")], "http://fly.test".into())
}

fn entry(app: &str) -> AppliedEntry {
    AppliedEntry {
        app: app.into(),
        deletion_policy: DeletionPolicy::Delete,
        origin: PathBuf::from(format!("/gitops/{app}.yaml")),
    }
}

#[tokio::test]
async fn what_is_recorded_survives_a_restart_and_forgetting_does_too() {
    let state = tempfile::tempdir().unwrap();
    let opened = AppliedStore::open(state.path(), set(state.path())).unwrap();
    assert!(opened.set_aside.is_none());
    let store = Arc::new(opened.store);
    let holder = store.lease_holder();
    let tasks: Vec<_> = (0..20)
        .map(|i| {
            let store = store.clone();
            tokio::spawn(async move {
                let key = ResourceKey::new("ns", format!("r{i}"));
                store.record(&key, entry(&format!("r{i}"))).await
            })
        })
        .collect();
    for t in tasks {
        t.await.unwrap().unwrap();
    }
    store.forget(&ResourceKey::new("ns", "r3")).await.unwrap();
    drop(store);

    let store = AppliedStore::open(state.path(), set(state.path()))
        .unwrap()
        .store;
    let entries = store.entries();
    assert_eq!(entries.len(), 19);
    assert!(!entries.contains_key(&ResourceKey::new("ns", "r3")));
    assert_eq!(entries[&ResourceKey::new("ns", "r7")], entry("r7"));
    assert_eq!(store.lease_holder(), holder, "the holder id is kept");
    let (peeked, problem) = AppliedStore::peek(state.path(), &set(state.path()));
    assert_eq!((peeked.len(), problem), (19, None));
}

#[test]
fn a_second_operator_on_the_same_files_is_refused() {
    let state = tempfile::tempdir().unwrap();
    let _first = AppliedStore::open(state.path(), set(state.path())).unwrap();
    let Err(e) = AppliedStore::open(state.path(), set(state.path())) else {
        panic!("a second store opened");
    };
    assert!(
        e.to_string()
            .contains("another `openclaw-operator up` is running"),
        "{e}"
    );
    let other = SourceSet::new(&[state.path().join("elsewhere")], "http://fly.test".into());
    AppliedStore::open(state.path(), other).expect("another source set is independent");
}

#[tokio::test]
async fn a_corrupt_record_is_set_aside_intact_and_nothing_is_recorded() {
    let state = tempfile::tempdir().unwrap();
    let path = record_path(state.path(), &set(state.path()));
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    std::fs::write(&path, b"{\"version\": 1, \"resources\": {oops").unwrap();
    let opened = AppliedStore::open(state.path(), set(state.path())).unwrap();
    let (aside, why) = opened.set_aside.expect("reported");
    assert!(why.contains("not a valid record"), "{why}");
    assert_eq!(
        std::fs::read(&aside).unwrap(),
        b"{\"version\": 1, \"resources\": {oops",
        "kept as it was"
    );
    assert!(opened.store.entries().is_empty());
    assert!(!path.exists(), "not rewritten until something is applied");
    let (_, problem) = AppliedStore::peek(state.path(), &set(state.path()));
    assert_eq!(problem, None, "gone aside: an empty record now");
}
