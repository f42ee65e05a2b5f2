//! Apps, volumes, secrets and IP assignments on the wire.

use std::collections::BTreeMap;

use fly_machines::{AllocateIp, AppStatus, CreateApp, CreateVolume, Error, IpType, RetryPolicy};
use serde_json::json;

use crate::support::{Reply, Scripted};

fn app_json(name: &str) -> serde_json::Value {
    json!({"id": "app_1", "name": name, "status": "pending", "network": "default",
        "organization": {"name": "Personal", "slug": "personal"}, "machine_count": 0, "volume_count": 0})
}

#[tokio::test]
async fn app_create_reads_the_answer_or_the_app_when_the_answer_is_empty() {
    let server = Scripted::start([
        Reply::json(201, app_json("one")),
        Reply::empty(201),
        Reply::json(200, app_json("two")),
    ])
    .await;
    let apps = server.client().apps();
    assert_eq!(
        apps.create(&CreateApp::new("one", "personal"))
            .await
            .unwrap()
            .name,
        "one"
    );
    let two = apps
        .create(&CreateApp::new("two", "personal").network("tenant-net"))
        .await
        .unwrap();
    assert_eq!(two.status, Some(AppStatus::Pending));
    assert_eq!(two.organization.unwrap().slug, "personal");
    let seen = server.seen();
    assert_eq!(
        (
            seen[0].method.as_str(),
            seen[0].path.as_str(),
            seen[0].query.as_deref()
        ),
        ("POST", "/v1/apps", Some("wait=true"))
    );
    assert_eq!(
        seen[1].json(),
        json!({"name": "two", "org_slug": "personal", "network": "tenant-net"})
    );
    assert_eq!(
        (seen[2].method.as_str(), seen[2].path.as_str()),
        ("GET", "/v1/apps/two")
    );
}

#[tokio::test]
async fn a_taken_app_name_is_recognisable_and_not_retried() {
    let server = Scripted::start([Reply::json(
        422,
        json!({"error": "Validation failed: Name has already been taken", "status": "name_taken"}),
    )])
    .await;
    let error = server
        .client()
        .apps()
        .create(&CreateApp::new("taken", "personal"))
        .await
        .unwrap_err();
    assert!(error.is_name_taken(), "{error:?}");
    assert_eq!(server.seen().len(), 1);
}

#[tokio::test]
async fn app_list_find_and_delete() {
    let server = Scripted::start([
        Reply::json(200, json!({"total_apps": 1, "apps": [app_json("a")]})),
        Reply::json(404, json!({"error": "app not found"})),
        Reply::json(403, json!({"error": "unauthorized"})),
        Reply::empty(202),
    ])
    .await;
    let apps = server.client().apps();
    assert_eq!(apps.list("personal").await.unwrap()[0].name, "a");
    assert!(apps.find("free-name").await.unwrap().is_none());
    assert!(
        matches!(
            apps.find("someone-elses").await.unwrap_err(),
            Error::Forbidden(_)
        ),
        "403 is not absence"
    );
    apps.delete("a", true).await.unwrap();
    let seen = server.seen();
    assert_eq!(seen[0].query.as_deref(), Some("org_slug=personal"));
    assert_eq!(
        (seen[3].method.as_str(), seen[3].query.as_deref()),
        ("DELETE", Some("force=true"))
    );
}

fn volume_json(id: &str, size: u32) -> serde_json::Value {
    json!({"id": id, "name": "openclaw_data", "state": "created", "size_gb": size, "region": "iad",
        "encrypted": true, "attached_machine_id": null, "created_at": "2026-11-20T10:00:00Z"})
}

#[tokio::test]
async fn volume_create_extend_and_delete() {
    let server = Scripted::start([
        Reply::json(200, volume_json("vol_abcdefgh12345678", 1)),
        Reply::json(
            200,
            json!({"volume": volume_json("vol_abcdefgh12345678", 3), "needs_restart": true}),
        ),
        Reply::json(200, json!([volume_json("vol_abcdefgh12345678", 3)])),
        Reply::json(
            412,
            json!({"error": "failed_precondition: volume is currently bound to machine"}),
        ),
    ])
    .await;
    let volumes = server.client().volumes("a");
    let mut request = CreateVolume::new("openclaw_data", "iad", 1);
    request.require_unique_zone = Some(false);
    let created = volumes.create(&request).await.unwrap();
    assert!(created.is_free());
    let extended = volumes.extend(&created.id, 3).await.unwrap();
    assert_eq!((extended.volume.size_gb, extended.needs_restart), (3, true));
    assert_eq!(volumes.list().await.unwrap().len(), 1);
    let error = volumes.delete(&created.id).await.unwrap_err();
    assert!(matches!(error, Error::PreconditionFailed(_)), "{error:?}");
    let seen = server.seen();
    assert_eq!(
        seen[0].json(),
        json!({"name": "openclaw_data", "region": "iad", "size_gb": 1, "require_unique_zone": false})
    );
    assert_eq!(
        (seen[1].method.as_str(), seen[1].path.as_str()),
        ("PUT", "/v1/apps/a/volumes/vol_abcdefgh12345678/extend")
    );
    assert_eq!(seen[1].json(), json!({"size_gb": 3}));
}

#[tokio::test]
async fn a_volume_create_is_not_retried_after_a_502() {
    let server = Scripted::start([
        Reply::text(502, "bad gateway"),
        Reply::json(200, volume_json("vol_x", 1)),
    ])
    .await;
    let error = server
        .client()
        .volumes("a")
        .create(&CreateVolume::new("d", "iad", 1))
        .await
        .unwrap_err();
    assert!(matches!(error, Error::Server(_)));
    assert_eq!(server.seen().len(), 1);
}

#[tokio::test]
async fn secrets_report_the_app_version_in_either_spelling_and_hide_values() {
    let server = Scripted::start([
        Reply::json(201, json!({"name": "ANTHROPIC_API_KEY", "digest": "d1", "created_at": "2026-11-20T10:00:00Z", "updated_at": "2026-11-20T10:00:00Z", "version": 7, "Version": 7})),
        Reply::json(201, json!({"name": "B", "digest": "d2", "Version": 8})),
        Reply::json(200, json!({"secrets": [{"name": "ANTHROPIC_API_KEY", "digest": "d1"}, {"name": "B", "digest": "d2"}]})),
        Reply::json(200, json!({"secrets": [{"name": "B", "digest": "d2", "value": "s3cret"}]})),
        Reply::json(200, json!({"version": 9})),
        Reply::json(200, json!({"secrets": [{"name": "C", "digest": "d3"}], "version": 10})),
        Reply::json(404, json!({"error": "secret not found"})),
    ])
    .await;
    let secrets = server.client().secrets("a");
    let write = secrets
        .set("ANTHROPIC_API_KEY", "sk-ant-xyz")
        .await
        .unwrap();
    assert_eq!(
        (
            write.value.name.as_str(),
            write.value.digest.as_str(),
            write.version
        ),
        ("ANTHROPIC_API_KEY", "d1", Some(7))
    );
    assert!(
        write.value.extra.is_empty(),
        "version fields are not leaked into extra: {:?}",
        write.value.extra
    );
    assert_eq!(secrets.set("B", "x").await.unwrap().version, Some(8));
    assert_eq!(secrets.list().await.unwrap().len(), 2);
    let shown = secrets.list_with_values().await.unwrap();
    assert_eq!(shown[0].value.as_deref(), Some("s3cret"));
    assert!(
        !format!("{shown:?}").contains("s3cret"),
        "Debug never prints values"
    );
    assert_eq!(secrets.unset("B").await.unwrap(), Some(9));
    let bulk = secrets
        .update(&BTreeMap::from([
            ("C".to_owned(), Some("v".to_owned())),
            ("D".to_owned(), None),
        ]))
        .await
        .unwrap();
    assert_eq!(bulk.version, Some(10));
    assert!(secrets.get("NOPE").await.unwrap().is_none());

    let seen = server.seen();
    assert_eq!(
        (seen[0].method.as_str(), seen[0].path.as_str()),
        ("POST", "/v1/apps/a/secrets/ANTHROPIC_API_KEY")
    );
    assert_eq!(seen[0].json(), json!({"value": "sk-ant-xyz"}));
    assert_eq!(seen[3].query.as_deref(), Some("show_secrets=true"));
    assert_eq!(seen[4].method, "DELETE");
    assert_eq!(seen[5].json(), json!({"values": {"C": "v", "D": null}}));
}

#[tokio::test]
async fn ips_allocate_list_and_release() {
    let server = Scripted::start([
        Reply::json(200, json!({"ip": "fdaa:0:18:a7b:0:1::2", "region": "", "service_name": "", "shared": false, "created_at": "2026-11-20T10:00:00Z"})),
        Reply::json(200, json!({"ip": "66.241.124.1", "region": "global", "shared": true})),
        Reply::json(200, json!({"ips": [{"ip": "fdaa:0:18:a7b:0:1::2", "shared": false}, {"ip": "66.241.124.1", "shared": true}]})),
        Reply::empty(204),
    ])
    .await;
    let client = server
        .builder()
        .retry_policy(RetryPolicy::none())
        .build()
        .unwrap();
    let ips = client.ips("a");
    let flycast = ips
        .allocate(&AllocateIp::PrivateV6 {
            org_slug: Some("personal".into()),
            network: None,
            service_name: None,
        })
        .await
        .unwrap();
    assert!(flycast.is_private() && flycast.is_v6());
    assert!(ips.allocate(&AllocateIp::SharedV4).await.unwrap().shared);
    let all = ips.list().await.unwrap();
    assert_eq!(all.len(), 2);
    ips.release(&flycast.ip).await.unwrap();
    let seen = server.seen();
    assert_eq!(
        seen[0].json(),
        json!({"type": "private_v6", "org_slug": "personal"})
    );
    assert_eq!(seen[1].json(), json!({"type": IpType::SharedV4.as_str()}));
    assert_eq!(
        (seen[3].method.as_str(), seen[3].path.as_str()),
        ("DELETE", "/v1/apps/a/ip_assignments/fdaa:0:18:a7b:0:1::2")
    );
}

#[tokio::test]
async fn org_machines_follow_the_cursor_through_short_and_empty_pages() {
    let machine = |id: &str| json!({"id": id, "app_name": "a", "name": id, "state": "started", "region": "iad", "version": "01H", "config": {"image": "img", "metadata": {"k": "v"}}});
    let server = Scripted::start([
        Reply::json(
            200,
            json!({"machines": [machine("m1"), machine("m2")], "next_cursor": "c1"}),
        ),
        Reply::json(200, json!({"machines": [], "next_cursor": "c2"})),
        Reply::json(200, json!({"machines": [machine("m3")], "next_cursor": ""})),
    ])
    .await;
    let filter = fly_machines::ListOrgMachines {
        page_size: Some(2),
        ..Default::default()
    };
    let all = server
        .client()
        .org("personal")
        .machines(&filter)
        .await
        .unwrap();
    let ids: Vec<&str> = all.iter().map(|m| m.id.as_str()).collect();
    assert_eq!(ids, ["m1", "m2", "m3"]);
    assert_eq!(all[0].config.as_ref().unwrap().metadata["k"], "v");
    let queries: Vec<Option<String>> = server.seen().into_iter().map(|s| s.query).collect();
    assert_eq!(
        queries,
        [
            Some("limit=2".into()),
            Some("limit=2&cursor=c1".into()),
            Some("limit=2&cursor=c2".into())
        ]
    );
}

#[tokio::test]
async fn an_org_cursor_that_does_not_advance_stops_with_an_error() {
    let server = Scripted::always(Reply::json(
        200,
        json!({"machines": [], "next_cursor": "same"}),
    ))
    .await;
    let error = server
        .client()
        .org("personal")
        .machines(&Default::default())
        .await
        .unwrap_err();
    assert!(error.to_string().contains("did not advance"), "{error}");
    assert_eq!(server.seen().len(), 2);
}
