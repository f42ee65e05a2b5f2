//! The stand-in as kube's own client and runtime see it: every behaviour a
//! controller relies on, exercised through `kube::Api` and `watcher`, in
//! process and over HTTP.

use std::time::Duration;

use futures::{StreamExt, TryStreamExt};
use k8s_openapi::api::apps::v1::StatefulSet;
use k8s_openapi::api::core::v1::{ConfigMap, Namespace};
use k8s_openapi::apiextensions_apiserver::pkg::apis::apiextensions::v1::CustomResourceDefinition;
use kube::api::{Api, DeleteParams, Patch, PatchParams, PostParams};
use kube::runtime::watcher;
use kube_stand_in::StandIn;
use serde_json::json;

fn cm(name: &str) -> ConfigMap {
    serde_json::from_value(json!({"metadata": {"name": name}, "data": {"k": "v"}})).unwrap()
}

const WAIT: Duration = Duration::from_secs(10);

#[tokio::test]
async fn create_get_list_and_resource_versions() {
    let s = StandIn::new();
    let api: Api<ConfigMap> = Api::namespaced(s.client(), "default");
    let created = api.create(&PostParams::default(), &cm("a")).await.unwrap();
    let rv: u64 = created
        .metadata
        .resource_version
        .clone()
        .unwrap()
        .parse()
        .unwrap();
    assert!(created.metadata.uid.is_some());
    let err = api
        .create(&PostParams::default(), &cm("a"))
        .await
        .unwrap_err();
    assert!(
        matches!(err, kube::Error::Api(ref s) if s.code == 409 && s.reason == "AlreadyExists"),
        "{err:?}"
    );
    assert_eq!(api.get("a").await.unwrap().data.unwrap()["k"], "v");
    let list = api.list(&Default::default()).await.unwrap();
    assert_eq!(list.items.len(), 1);
    assert!(
        list.metadata
            .resource_version
            .unwrap()
            .parse::<u64>()
            .unwrap()
            >= rv
    );
    let missing: Api<ConfigMap> = Api::namespaced(s.client(), "nope");
    let err = missing
        .create(&PostParams::default(), &cm("a"))
        .await
        .unwrap_err();
    assert!(
        matches!(err, kube::Error::Api(ref s) if s.code == 404),
        "{err:?}"
    );
}

#[tokio::test]
async fn no_op_writes_keep_the_resource_version() {
    let s = StandIn::new();
    let api: Api<ConfigMap> = Api::namespaced(s.client(), "default");
    let pp = PatchParams::apply("op");
    let body = json!({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "a"}, "data": {"k": "v"}});
    let first = api.patch("a", &pp, &Patch::Apply(&body)).await.unwrap();
    let before = s.resource_version();
    let second = api.patch("a", &pp, &Patch::Apply(&body)).await.unwrap();
    assert_eq!(
        first.metadata.resource_version,
        second.metadata.resource_version
    );
    assert_eq!(s.resource_version(), before, "nothing was written");
}

#[tokio::test]
async fn server_side_apply_conflicts_between_managers() {
    let s = StandIn::new();
    let api: Api<StatefulSet> = Api::namespaced(s.client(), "default");
    let body = json!({"apiVersion": "apps/v1", "kind": "StatefulSet", "metadata": {"name": "gw"},
        "spec": {"replicas": 1, "serviceName": "gw", "selector": {"matchLabels": {"a": "b"}},
                 "template": {"metadata": {"labels": {"a": "b"}}, "spec": {"containers": [{"name": "gateway", "image": "x"}]}}}});
    api.patch(
        "gw",
        &PatchParams::apply("openclaw-operator"),
        &Patch::Apply(&body),
    )
    .await
    .unwrap();
    // Someone scales it by hand.
    let edit = PatchParams {
        field_manager: Some("kubectl-edit".into()),
        ..Default::default()
    };
    api.patch("gw", &edit, &Patch::Merge(json!({"spec": {"replicas": 3}})))
        .await
        .unwrap();
    let err = api
        .patch(
            "gw",
            &PatchParams::apply("openclaw-operator"),
            &Patch::Apply(&body),
        )
        .await
        .unwrap_err();
    let kube::Error::Api(status) = err else {
        panic!("{err:?}")
    };
    assert_eq!((status.code, status.reason.as_str()), (409, "Conflict"));
    assert!(
        status.message.contains("conflict with \"kubectl-edit\""),
        "{}",
        status.message
    );
    assert!(
        status.message.contains(".spec.replicas"),
        "{}",
        status.message
    );
    let healed = api
        .patch(
            "gw",
            &PatchParams::apply("openclaw-operator").force(),
            &Patch::Apply(&body),
        )
        .await
        .unwrap();
    assert_eq!(healed.spec.replicas, Some(1));
    let managers: Vec<_> = healed
        .metadata
        .managed_fields
        .unwrap()
        .into_iter()
        .map(|m| (m.manager.unwrap(), m.operation.unwrap()))
        .collect();
    assert_eq!(
        managers,
        [("openclaw-operator".to_owned(), "Apply".to_owned())]
    );
}

#[tokio::test]
async fn status_subresource_is_isolated_and_generation_tracks_spec() {
    let s = StandIn::new();
    let api: Api<StatefulSet> = Api::namespaced(s.client(), "default");
    let body = json!({"apiVersion": "apps/v1", "kind": "StatefulSet", "metadata": {"name": "gw"},
        "spec": {"replicas": 1}, "status": {"replicas": 7}});
    let created = api
        .patch("gw", &PatchParams::apply("op"), &Patch::Apply(&body))
        .await
        .unwrap();
    assert!(
        created.status.is_none(),
        "status is not written through the main resource"
    );
    assert_eq!(created.metadata.generation, Some(1));
    let st = api
        .patch_status(
            "gw",
            &PatchParams::default(),
            &Patch::Merge(json!({"status": {"replicas": 1, "readyReplicas": 1}})),
        )
        .await
        .unwrap();
    assert_eq!(st.status.unwrap().ready_replicas, Some(1));
    assert_eq!(
        st.metadata.generation,
        Some(1),
        "status writes do not bump generation"
    );
    let changed = api.patch("gw", &PatchParams::apply("op"), &Patch::Apply(json!({"apiVersion": "apps/v1", "kind": "StatefulSet", "metadata": {"name": "gw"}, "spec": {"replicas": 0}}))).await.unwrap();
    assert_eq!(changed.metadata.generation, Some(2));
    assert_eq!(
        changed.status.unwrap().ready_replicas,
        Some(1),
        "status kept"
    );
}

#[tokio::test]
async fn finalizers_hold_deletion_and_owners_collect_dependents() {
    let s = StandIn::new();
    let api: Api<ConfigMap> = Api::namespaced(s.client(), "default");
    let mut owner = cm("owner");
    owner.metadata.finalizers = Some(vec!["example.com/cleanup".into()]);
    let owner = api.create(&PostParams::default(), &owner).await.unwrap();
    let mut child = cm("child");
    child.metadata.owner_references = Some(vec![
        k8s_openapi::apimachinery::pkg::apis::meta::v1::OwnerReference {
            api_version: "v1".into(),
            kind: "ConfigMap".into(),
            name: "owner".into(),
            uid: owner.metadata.uid.clone().unwrap(),
            ..Default::default()
        },
    ]);
    api.create(&PostParams::default(), &child).await.unwrap();
    api.delete("owner", &DeleteParams::default()).await.unwrap();
    let held = api.get("owner").await.unwrap();
    assert!(held.metadata.deletion_timestamp.is_some());
    assert!(api.get("child").await.is_ok(), "owner still exists");
    api.patch(
        "owner",
        &PatchParams::default(),
        &Patch::Merge(json!({"metadata": {"finalizers": null}})),
    )
    .await
    .unwrap();
    assert!(api.get_opt("owner").await.unwrap().is_none());
    assert!(
        api.get_opt("child").await.unwrap().is_none(),
        "garbage-collected"
    );
}

#[tokio::test]
async fn watcher_lists_then_streams_over_http() {
    // A tiny history so the watch must relist.
    let s = StandIn::with_options(16, Duration::from_millis(100));
    let served = s.serve().await.unwrap();
    let client = served.client("t").await;
    let api: Api<ConfigMap> = Api::namespaced(client, "default");
    let mut events = watcher(api.clone(), watcher::Config::default()).boxed();
    // Initial list completes.
    tokio::time::timeout(WAIT, async {
        while let Some(e) = events.try_next().await.unwrap() {
            if matches!(e, watcher::Event::InitDone) {
                break;
            }
        }
    })
    .await
    .unwrap();
    api.create(&PostParams::default(), &cm("a")).await.unwrap();
    let seen = tokio::time::timeout(WAIT, async {
        loop {
            if let Some(watcher::Event::Apply(o)) = events.try_next().await.unwrap() {
                return o;
            }
        }
    })
    .await
    .unwrap();
    assert_eq!(seen.metadata.name.as_deref(), Some("a"));
    let log = s.requests();
    assert!(
        log.iter()
            .any(|r| r.verb == "watch" && r.resource == "configmaps")
    );
    assert!(
        log.iter()
            .any(|r| r.verb == "list" && r.user == "unknown-token")
    );
}

#[tokio::test]
async fn a_watch_from_a_compacted_version_is_gone() {
    let s = StandIn::with_options(16, Duration::from_secs(5));
    let api: Api<ConfigMap> = Api::namespaced(s.client(), "default");
    for i in 0..40 {
        api.create(&PostParams::default(), &cm(&format!("c{i}")))
            .await
            .unwrap();
    }
    let stream = api
        .watch(&kube::api::WatchParams::default(), "3")
        .await
        .unwrap()
        .boxed();
    let first = tokio::time::timeout(WAIT, stream.into_future())
        .await
        .unwrap()
        .0
        .unwrap();
    match first {
        Ok(kube::api::WatchEvent::Error(e)) => assert_eq!(e.code, 410),
        Err(kube::Error::Api(e)) => assert_eq!(e.code, 410),
        other => panic!("expected 410, got {other:?}"),
    }
}

#[tokio::test]
async fn crds_are_served_validated_and_pruned() {
    let s = StandIn::new();
    let crds: Api<CustomResourceDefinition> = Api::all(s.client());
    let crd: CustomResourceDefinition = serde_json::from_value(json!({
        "metadata": {"name": "widgets.example.com"},
        "spec": {"group": "example.com", "scope": "Namespaced",
            "names": {"plural": "widgets", "singular": "widget", "kind": "Widget"},
            "versions": [{"name": "v1", "served": true, "storage": true,
                "subresources": {"status": {}},
                "schema": {"openAPIV3Schema": {"type": "object", "properties": {
                    "spec": {"type": "object", "properties": {"size": {"type": "string", "enum": ["s", "m"]}}},
                    "status": {"type": "object", "x-kubernetes-preserve-unknown-fields": true}}}}}]}
    }))
    .unwrap();
    crds.create(&PostParams::default(), &crd).await.unwrap();
    let gvk = kube::api::GroupVersionKind::gvk("example.com", "v1", "Widget");
    let ar = kube::api::ApiResource::from_gvk_with_plural(&gvk, "widgets");
    let widgets: Api<kube::api::DynamicObject> = Api::namespaced_with(s.client(), "default", &ar);
    let bad = json!({"apiVersion": "example.com/v1", "kind": "Widget", "metadata": {"name": "w"}, "spec": {"size": "xl"}});
    let err = widgets
        .patch("w", &PatchParams::apply("t"), &Patch::Apply(&bad))
        .await
        .unwrap_err();
    let kube::Error::Api(status) = err else {
        panic!("{err:?}")
    };
    assert_eq!(status.code, 422);
    assert!(
        status
            .message
            .contains("spec.size: Unsupported value: \"xl\""),
        "{}",
        status.message
    );
    let extra = json!({"apiVersion": "example.com/v1", "kind": "Widget", "metadata": {"name": "w"}, "spec": {"size": "s", "colour": "red"}});
    let w = widgets
        .patch("w", &PatchParams::apply("t"), &Patch::Apply(&extra))
        .await
        .unwrap();
    assert_eq!(w.data["spec"], json!({"size": "s"}), "unknown field pruned");
    // Deleting the CRD removes its objects.
    crds.delete("widgets.example.com", &DeleteParams::default())
        .await
        .unwrap();
    let ns: Api<Namespace> = Api::all(s.client());
    assert!(ns.get("default").await.is_ok());
    assert!(widgets.get("w").await.is_err());
}

#[tokio::test]
async fn json_patch_test_of_a_missing_path_against_null_passes() {
    let s = StandIn::new();
    let api: Api<ConfigMap> = Api::namespaced(s.client(), "default");
    api.create(&PostParams::default(), &cm("a")).await.unwrap();
    let ops: json_patch::Patch = serde_json::from_value(json!([
        {"op": "test", "path": "/metadata/finalizers", "value": null},
        {"op": "add", "path": "/metadata/finalizers", "value": ["x"]}
    ]))
    .unwrap();
    let out = api
        .patch("a", &PatchParams::default(), &Patch::Json::<()>(ops))
        .await
        .unwrap();
    assert_eq!(out.metadata.finalizers, Some(vec!["x".to_owned()]));
    let failing: json_patch::Patch = serde_json::from_value(json!([
        {"op": "test", "path": "/metadata/finalizers", "value": null}
    ]))
    .unwrap();
    let err = api
        .patch("a", &PatchParams::default(), &Patch::Json::<()>(failing))
        .await
        .unwrap_err();
    assert!(
        matches!(err, kube::Error::Api(ref s) if s.code == 422),
        "{err:?}"
    );
}
