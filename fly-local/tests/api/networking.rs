use serde_json::json;

use crate::support::TestServer;

#[tokio::test]
async fn ip_assignments() {
    let t = TestServer::simulated().await;
    let app = t.app("ips-a").await;
    let base = format!("/v1/apps/{app}/ip_assignments");
    let shared = t.api.post(&base, json!({"type": "shared_v4"})).await;
    assert_eq!(shared.status, 200);
    assert_eq!(shared.body["shared"], true);
    let v6 = t
        .api
        .post(&base, json!({"type": "v6", "region": "ams"}))
        .await;
    assert_eq!(v6.body["region"], "ams");
    assert!(v6.body["ip"].as_str().unwrap().contains(':'));
    let private = t
        .api
        .post(
            &base,
            json!({"type": "private_v6", "network": "tenant-net", "org_slug": "personal"}),
        )
        .await;
    let ip = private.body["ip"].as_str().unwrap().to_owned();
    assert!(ip.starts_with("fdaa:"), "{ip}");
    let other_net = t.api.post(&base, json!({"type": "private_v6"})).await.body["ip"]
        .as_str()
        .unwrap()
        .to_owned();
    assert_ne!(
        ip.split(':').nth(2),
        other_net.split(':').nth(2),
        "the network shapes the address"
    );

    // Region is rejected for shared_v4 and private_v6; bad types are 400.
    assert_eq!(
        t.api
            .post(&base, json!({"type": "shared_v4", "region": "iad"}))
            .await
            .status,
        400
    );
    assert_eq!(
        t.api
            .post(&base, json!({"type": "private_v6", "region": "iad"}))
            .await
            .status,
        400
    );
    assert_eq!(t.api.post(&base, json!({"type": "v5"})).await.status, 400);
    assert_eq!(t.api.post(&base, json!({})).await.status, 400);

    // No dedupe: a second shared_v4 is a second entry.
    t.api.post(&base, json!({"type": "shared_v4"})).await;
    assert_eq!(
        t.api.get(&base).await.body["ips"].as_array().unwrap().len(),
        5
    );

    let r = t.api.delete(&format!("{base}/{ip}")).await;
    assert_eq!(r.status, 204);
    assert!(r.text.is_empty());
    assert_eq!(t.api.delete(&format!("{base}/{ip}")).await.status, 404);
    let ips = t.api.get(&base).await.body;
    assert!(
        ips["ips"]
            .as_array()
            .unwrap()
            .iter()
            .all(|i| i["ip"] != ip.as_str())
    );
}
