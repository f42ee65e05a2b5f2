//! Secrets against fly-local: digests, values only on request, and an app
//! version that grows with every write.

use std::collections::BTreeMap;

use crate::local::Local;

#[tokio::test]
async fn secrets_are_versioned_and_hidden_by_default() {
    let local = Local::start().await;
    local.app("oc-a").await;
    let secrets = local.client().secrets("oc-a");

    let first = secrets.set("ANTHROPIC_API_KEY", "sk-ant-1").await.unwrap();
    let v1 = first
        .version
        .expect("fly-local reports the secrets version");
    assert!(!first.value.digest.is_empty());
    let second = secrets.set("ANTHROPIC_API_KEY", "sk-ant-2").await.unwrap();
    assert!(second.version.unwrap() > v1);
    assert_ne!(
        second.value.digest, first.value.digest,
        "the digest follows the value"
    );

    let listed = secrets.list().await.unwrap();
    assert_eq!(listed.len(), 1);
    assert_eq!(listed[0].value, None, "no values without show_secrets");
    let shown = secrets.list_with_values().await.unwrap();
    assert_eq!(shown[0].value.as_deref(), Some("sk-ant-2"));
    assert_eq!(
        secrets
            .get("ANTHROPIC_API_KEY")
            .await
            .unwrap()
            .unwrap()
            .digest,
        second.value.digest
    );

    let bulk = secrets
        .update(&BTreeMap::from([
            ("DISCORD_BOT_TOKEN".to_owned(), Some("d".to_owned())),
            ("ANTHROPIC_API_KEY".to_owned(), None),
        ]))
        .await
        .unwrap();
    let v3 = bulk.version.unwrap();
    assert!(v3 > second.version.unwrap());
    let names: Vec<String> = secrets
        .list()
        .await
        .unwrap()
        .into_iter()
        .map(|s| s.name)
        .collect();
    assert_eq!(names, ["DISCORD_BOT_TOKEN"]);

    let v4 = secrets.unset("DISCORD_BOT_TOKEN").await.unwrap().unwrap();
    assert!(v4 > v3);
    assert!(secrets.get("DISCORD_BOT_TOKEN").await.unwrap().is_none());
    assert!(secrets.list().await.unwrap().is_empty());
}
