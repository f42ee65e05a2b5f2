//! Exact-request tests in the style of kube-rs's `controller-rs`
//! (`ApiServerVerifier` over `tower-test`): where the *sequence* of API calls
//! is the behaviour — read before write, force only after a hand edit, never
//! against another applier, Lease writes carrying the resourceVersion read,
//! orphaning only what the resource owns.

use std::time::Duration;

use http::{Method, Request, Response, StatusCode};
use k8s_openapi::api::apps::v1::StatefulSet;
use kube::api::{Api, ApiResource};
use kube::client::Body;
use openclaw_operator::cluster::leader::{Elector, LeaseConfig};
use openclaw_operator::crd::DeletionPolicy;
use openclaw_operator::kubernetes::names::Names;
use openclaw_operator::kubernetes::{
    DesiredKubernetes, KubeError, KubernetesBackend, Manifest, Owner, delete,
};
use openclaw_operator::resource::ResourceKey;
use openclaw_operator::validate::Access;
use serde_json::{Value, json};
use tower_test::mock::{self, Handle};

type ApiServerHandle = Handle<Request<Body>, Response<Body>>;

/// Serves the expected requests one by one, asserting each.
struct ApiServerVerifier(ApiServerHandle);

fn mock_client() -> (kube::Client, ApiServerVerifier) {
    let (service, handle) = mock::pair::<Request<Body>, Response<Body>>();
    (
        kube::Client::new(service, "default"),
        ApiServerVerifier(handle),
    )
}

fn json_response(code: u16, body: Value) -> Response<Body> {
    Response::builder()
        .status(StatusCode::from_u16(code).unwrap())
        .header("content-type", "application/json")
        .body(Body::from(serde_json::to_vec(&body).unwrap()))
        .unwrap()
}

fn not_found() -> Response<Body> {
    json_response(
        404,
        json!({"kind": "Status", "apiVersion": "v1", "status": "Failure", "reason": "NotFound", "code": 404, "message": "not found"}),
    )
}

impl ApiServerVerifier {
    /// Takes the next request; checks method and path (and a query fragment).
    async fn expect(
        &mut self,
        method: Method,
        path: &str,
        query: Option<&str>,
    ) -> (Value, Responder) {
        let (req, send) = tokio::time::timeout(Duration::from_secs(5), self.0.next_request())
            .await
            .unwrap_or_else(|_| panic!("no {method} {path} came"))
            .expect("the client is alive");
        assert_eq!(req.method(), method, "{}", req.uri());
        assert_eq!(req.uri().path(), path);
        if let Some(q) = query {
            let got = req.uri().query().unwrap_or("");
            assert!(got.contains(q), "{} lacks {q}", req.uri());
        }
        let bytes = http_body_util::BodyExt::collect(req.into_body())
            .await
            .unwrap()
            .to_bytes();
        let body = serde_json::from_slice(&bytes).unwrap_or(Value::Null);
        (body, Responder(send))
    }

    async fn no_more(&mut self) {
        let next = tokio::time::timeout(Duration::from_millis(200), self.0.next_request()).await;
        assert!(
            next.is_err() || next.unwrap().is_none(),
            "an unexpected request was made"
        );
    }
}

struct Responder(tower_test::mock::SendResponse<Response<Body>>);

impl Responder {
    fn send(self, r: Response<Body>) {
        self.0.send_response(r);
    }
}

const STS: &str = "/apis/apps/v1/namespaces/ns/statefulsets/claw";

fn desired_sts(replicas: i32) -> Value {
    json!({"apiVersion": "apps/v1", "kind": "StatefulSet",
           "metadata": {"name": "claw", "namespace": "ns"}, "spec": {"replicas": replicas}})
}

fn one_manifest() -> DesiredKubernetes {
    DesiredKubernetes {
        names: Names::new("claw"),
        manifests: vec![Manifest {
            resource: ApiResource::erase::<StatefulSet>(&()),
            name: "claw".into(),
            body: desired_sts(1),
        }],
        absent: vec![],
        config_hash: "none".into(),
        suspend: false,
        cluster_endpoint: "ws://claw.ns.svc:3000".into(),
        access: Access::Private { allow_from: vec![] },
        port: 3000,
    }
}

fn live_sts(replicas: i32, other: &str, operation: &str) -> Value {
    json!({"apiVersion": "apps/v1", "kind": "StatefulSet",
           "metadata": {"name": "claw", "namespace": "ns", "resourceVersion": "7",
                        "managedFields": [
                            {"manager": "openclaw-operator", "operation": "Apply", "apiVersion": "apps/v1", "fieldsType": "FieldsV1", "fieldsV1": {"f:spec": {}}},
                            {"manager": other, "operation": operation, "apiVersion": "apps/v1", "fieldsType": "FieldsV1", "fieldsV1": {"f:spec": {"f:replicas": {}}}}]},
           "spec": {"replicas": replicas}})
}

fn conflict(manager: &str) -> Response<Body> {
    json_response(
        409,
        json!({"kind": "Status", "apiVersion": "v1", "status": "Failure", "reason": "Conflict", "code": 409,
        "message": format!("Apply failed with 1 conflict: conflict with \"{manager}\" using apps/v1: .spec.replicas"),
        "details": {"causes": [{"reason": "FieldManagerConflict", "message": format!("conflict with \"{manager}\" using apps/v1"), "field": ".spec.replicas"}]}}),
    )
}

fn owner() -> Owner {
    Owner {
        name: "claw".into(),
        uid: "uid-1".into(),
    }
}

#[tokio::test]
async fn a_matching_object_is_read_and_not_written() {
    let (client, mut server) = mock_client();
    let backend = KubernetesBackend::new(client);
    let key = ResourceKey::new("ns", "claw");
    let task = tokio::spawn(async move { backend.apply(&key, &one_manifest(), &owner()).await });
    let (_, r) = server.expect(Method::GET, STS, None).await;
    r.send(json_response(
        200,
        live_sts(1, "kube-controller-manager", "Update"),
    ));
    let applied = task.await.unwrap().unwrap();
    assert_eq!(applied.writes, 0);
    server.no_more().await;
}

#[tokio::test]
async fn a_hand_edit_is_forced_back_only_after_the_plain_apply_conflicts() {
    let (client, mut server) = mock_client();
    let backend = KubernetesBackend::new(client);
    let key = ResourceKey::new("ns", "claw");
    let task = tokio::spawn(async move { backend.apply(&key, &one_manifest(), &owner()).await });
    let (_, r) = server.expect(Method::GET, STS, None).await;
    r.send(json_response(200, live_sts(3, "kubectl-edit", "Update")));
    let (body, r) = server
        .expect(Method::PATCH, STS, Some("fieldManager=openclaw-operator"))
        .await;
    assert_eq!(body, desired_sts(1), "the whole desired object is applied");
    r.send(conflict("kubectl-edit"));
    let (_, r) = server.expect(Method::PATCH, STS, Some("force=true")).await;
    r.send(json_response(
        200,
        live_sts(1, "openclaw-operator", "Apply"),
    ));
    let applied = task.await.unwrap().unwrap();
    assert_eq!(applied.writes, 1);
    let c = &applied.corrections[0];
    assert_eq!(
        (c.object.as_str(), c.difference.path.as_str()),
        ("StatefulSet/claw", ".spec.replicas")
    );
    assert_eq!(
        (c.difference.live.as_str(), c.manager.as_deref()),
        ("3", Some("kubectl-edit"))
    );
    server.no_more().await;
}

#[tokio::test]
async fn another_applier_is_reported_and_never_forced() {
    let (client, mut server) = mock_client();
    let backend = KubernetesBackend::new(client);
    let key = ResourceKey::new("ns", "claw");
    let task = tokio::spawn(async move { backend.apply(&key, &one_manifest(), &owner()).await });
    let (_, r) = server.expect(Method::GET, STS, None).await;
    r.send(json_response(
        200,
        live_sts(2, "argocd-controller", "Apply"),
    ));
    let (_, r) = server.expect(Method::PATCH, STS, None).await;
    r.send(conflict("argocd-controller"));
    let err = task.await.unwrap().unwrap_err();
    let KubeError::Conflict {
        conflicts,
        fighting,
    } = err
    else {
        panic!("{err}")
    };
    assert!(!fighting);
    assert_eq!(conflicts[0].manager, "argocd-controller");
    server.no_more().await;
}

#[tokio::test]
async fn the_lease_is_created_then_renewed_with_the_version_read() {
    let (client, mut server) = mock_client();
    let cfg = LeaseConfig {
        name: "op".into(),
        identity: "me".into(),
        lease_duration: Duration::from_secs(15),
        renew_deadline: Duration::from_secs(10),
        retry_period: Duration::from_secs(2),
    };
    let mut elector = Elector::new(Api::namespaced(client, "sys"), cfg);
    const LEASE: &str = "/apis/coordination.k8s.io/v1/namespaces/sys/leases/op";
    let task = tokio::spawn(async move {
        let first = elector.try_acquire_or_renew().await.unwrap();
        let second = elector.try_acquire_or_renew().await.unwrap();
        let third = elector.try_acquire_or_renew().await.unwrap();
        (first, second, third)
    });
    let (_, r) = server.expect(Method::GET, LEASE, None).await;
    r.send(not_found());
    let (body, r) = server
        .expect(
            Method::POST,
            "/apis/coordination.k8s.io/v1/namespaces/sys/leases",
            None,
        )
        .await;
    assert_eq!(body["spec"]["holderIdentity"], "me");
    assert_eq!(body["spec"]["leaseDurationSeconds"], 15);
    let mut created = body.clone();
    created["metadata"]["resourceVersion"] = json!("41");
    r.send(json_response(201, created.clone()));
    // Renewal: read, then replace carrying the resourceVersion read.
    let (_, r) = server.expect(Method::GET, LEASE, None).await;
    r.send(json_response(200, created.clone()));
    let (body, r) = server.expect(Method::PUT, LEASE, None).await;
    assert_eq!(body["metadata"]["resourceVersion"], "41");
    assert_eq!(body["spec"]["holderIdentity"], "me");
    // Someone else renewed in between: the write loses, no leadership.
    r.send(json_response(409, json!({"kind": "Status", "apiVersion": "v1", "status": "Failure", "reason": "Conflict", "code": 409, "message": "the object has been modified"})));
    // Held by another, freshly: no write at all.
    let (_, r) = server.expect(Method::GET, LEASE, None).await;
    let mut theirs = created;
    theirs["metadata"]["resourceVersion"] = json!("42");
    theirs["spec"]["holderIdentity"] = json!("other");
    r.send(json_response(200, theirs));
    assert_eq!(task.await.unwrap(), (true, false, false));
    server.no_more().await;
}

#[tokio::test]
async fn orphaning_touches_only_objects_the_resource_owns() {
    let (client, mut server) = mock_client();
    let task = tokio::spawn(async move {
        delete(
            &client,
            &ResourceKey::new("ns", "claw"),
            "uid-1",
            DeletionPolicy::Orphan,
        )
        .await
    });
    let owned = |kind: &str, api_version: &str, name: &str, owners: Value| {
        json!({"apiVersion": api_version, "kind": kind,
               "metadata": {"name": name, "namespace": "ns", "resourceVersion": "9", "ownerReferences": owners}})
    };
    let ours = json!([{"apiVersion": "openclaw.ai/v1alpha1", "kind": "OpenClaw", "name": "claw", "uid": "uid-1"}]);
    let someone = json!([{"apiVersion": "v1", "kind": "ConfigMap", "name": "x", "uid": "uid-2"}]);
    // StatefulSet: ours → orphaned, keeping the resourceVersion as a precondition.
    let (_, r) = server.expect(Method::GET, STS, None).await;
    r.send(json_response(
        200,
        owned("StatefulSet", "apps/v1", "claw", ours.clone()),
    ));
    let (body, r) = server.expect(Method::PATCH, STS, None).await;
    assert_eq!(
        body,
        json!({"metadata": {"resourceVersion": "9", "ownerReferences": null}})
    );
    r.send(json_response(
        200,
        owned("StatefulSet", "apps/v1", "claw", Value::Null),
    ));
    // Service: ours. Public Service and Ingress: absent. NetworkPolicy: someone else's.
    let (_, r) = server
        .expect(Method::GET, "/api/v1/namespaces/ns/services/claw", None)
        .await;
    r.send(json_response(
        200,
        owned("Service", "v1", "claw", ours.clone()),
    ));
    let (_, r) = server
        .expect(Method::PATCH, "/api/v1/namespaces/ns/services/claw", None)
        .await;
    r.send(json_response(
        200,
        owned("Service", "v1", "claw", Value::Null),
    ));
    let (_, r) = server
        .expect(
            Method::GET,
            "/api/v1/namespaces/ns/services/claw-public",
            None,
        )
        .await;
    r.send(not_found());
    let (_, r) = server
        .expect(
            Method::GET,
            "/apis/networking.k8s.io/v1/namespaces/ns/ingresses/claw",
            None,
        )
        .await;
    r.send(not_found());
    let (_, r) = server
        .expect(
            Method::GET,
            "/apis/networking.k8s.io/v1/namespaces/ns/networkpolicies/claw",
            None,
        )
        .await;
    r.send(json_response(
        200,
        owned("NetworkPolicy", "networking.k8s.io/v1", "claw", someone),
    ));
    let (_, r) = server
        .expect(
            Method::GET,
            "/api/v1/namespaces/ns/configmaps/claw-config",
            None,
        )
        .await;
    r.send(not_found());
    let (_, r) = server
        .expect(
            Method::GET,
            "/api/v1/namespaces/ns/secrets/claw-gateway",
            None,
        )
        .await;
    r.send(not_found());
    let events = task.await.unwrap().unwrap();
    assert_eq!(events[0].reason, "Orphaned");
    assert!(
        events[0].message.contains("StatefulSet/claw, Service/claw"),
        "{}",
        events[0].message
    );
    server.no_more().await;
}
