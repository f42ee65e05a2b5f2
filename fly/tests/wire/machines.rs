//! Machine calls: list filters (metadata query), get → modify → update
//! preserving unknown fields, exec, events, signal, metadata.

use std::collections::BTreeMap;
use std::time::Duration;

use fly_machines::{ExecRequest, ListMachines, MachineState, Signal, UpdateMachine};
use serde_json::json;

use crate::support::{Reply, Scripted, machine_json};

const ID: &str = "1857156b526dd8";

#[tokio::test]
async fn list_filters_by_metadata_state_and_region() {
    let server = Scripted::start([Reply::json(200, json!([machine_json(ID, "started")]))]).await;
    let filter = ListMachines::default()
        .metadata("openclaw.ai/owner", "default/my claw")
        .state(MachineState::Started)
        .state(MachineState::Stopped)
        .region("iad")
        .include_deleted();
    let machines = server.client().machines("a").list(&filter).await.unwrap();
    assert_eq!(machines.len(), 1);
    let seen = server.only();
    assert_eq!(seen.path, "/v1/apps/a/machines");
    assert_eq!(
        seen.query_pairs(),
        vec![
            ("include_deleted".into(), "true".into()),
            ("region".into(), "iad".into()),
            ("state".into(), "started,stopped".into()),
            (
                "metadata.openclaw.ai/owner".into(),
                "default/my claw".into()
            ),
        ]
    );
}

#[tokio::test]
async fn get_modify_update_sends_back_fields_the_client_does_not_model() {
    let mut live = machine_json(ID, "started");
    live["config"]["future_feature"] = json!({"enabled": true, "knobs": [1, 2]});
    live["config"]["services"] = json!([{"internal_port": 3000, "protocol": "tcp", "ports": [{"port": 443, "handlers": ["tls", "http"], "tls_options": {"alpn": ["h2"]}}], "autostop": "suspend"}]);
    let server = Scripted::start([
        Reply::json(200, live.clone()),
        Reply::json(
            200,
            json!({"status": "success", "data": {"nonce": "n", "expires_at": 1_900_000_000}}),
        ),
        Reply::json(200, machine_json(ID, "replacing")),
    ])
    .await;
    let machines = server.client().machines("a");
    let machine = machines.get(ID).await.unwrap();
    let mut config = machine.config.clone().unwrap();
    config
        .env
        .insert("OPENCLAW_STATE_DIR".into(), "/data".into());
    let lease = machines
        .acquire_lease(ID, Duration::from_secs(30), None)
        .await
        .unwrap();
    let updated = machines
        .update(
            &lease,
            &UpdateMachine::new(config).current_version(&machine.instance_id),
        )
        .await
        .unwrap();
    assert_eq!(updated.state, MachineState::Replacing);
    let body = server.seen()[2].json();
    let mut expected = live["config"].clone();
    expected["env"] = json!({"OPENCLAW_STATE_DIR": "/data"});
    assert_eq!(
        body["config"], expected,
        "unknown fields, tls_options and autostop kept as sent by the API"
    );
    let _ = lease;
}

#[tokio::test]
async fn exec_sends_the_command_and_reads_output_and_exit_code() {
    let server = Scripted::start([Reply::json(
        200,
        json!({"exit_code": 0, "stdout": "gateway.1.lock\n", "stderr": ""}),
    )])
    .await;
    let result = server
        .client()
        .machines("a")
        .exec(
            ID,
            &ExecRequest::new(["sh", "-c", "ls /data"]).timeout_secs(10),
        )
        .await
        .unwrap();
    assert!(result.success());
    assert_eq!(result.stdout, "gateway.1.lock\n");
    let seen = server.only();
    assert_eq!(seen.path, "/v1/apps/a/machines/1857156b526dd8/exec");
    assert_eq!(
        seen.json(),
        json!({"command": ["sh", "-c", "ls /data"], "timeout": 10})
    );
}

#[tokio::test]
async fn events_signal_versions_and_metadata() {
    let server = Scripted::start([
        Reply::json(200, json!([{"id": "e2", "type": "exit", "status": "stopped", "source": "flyd", "timestamp": 1_763_632_805_000_i64, "request": {"exit_event": {"exit_code": 1}}}])),
        Reply::json(200, json!({"ok": true})),
        Reply::json(200, json!([{"version": "01HQ", "user_config": {"image": "img:1"}}])),
        Reply::json(200, json!({"openclaw.ai/owner": "default/a"})),
        Reply::empty(204),
        Reply::empty(204),
        Reply::empty(204),
    ])
    .await;
    let machines = server.client().machines("a");
    let events = machines.events(ID, Some(5)).await.unwrap();
    assert_eq!(events[0].exit_code(), Some(1));
    machines.signal(ID, Signal::Term).await.unwrap();
    let versions = machines.versions(ID).await.unwrap();
    assert_eq!(versions[0].user_config.as_ref().unwrap().image, "img:1");
    assert_eq!(
        machines.metadata(ID).await.unwrap()["openclaw.ai/owner"],
        "default/a"
    );
    machines
        .set_metadata(ID, "openclaw.ai/digest", "sha256:1")
        .await
        .unwrap();
    machines
        .delete_metadata(ID, "openclaw.ai/digest")
        .await
        .unwrap();
    let changes = BTreeMap::from([
        ("a".to_owned(), Some("1".to_owned())),
        ("b".to_owned(), None),
    ]);
    machines
        .update_metadata(ID, &changes, Some("01HQ"))
        .await
        .unwrap();

    let seen = server.seen();
    let base = "/v1/apps/a/machines/1857156b526dd8";
    assert_eq!(
        (seen[0].path.clone(), seen[0].query.clone()),
        (format!("{base}/events"), Some("limit=5".into()))
    );
    assert_eq!(seen[1].json(), json!({"signal": "SIGTERM"}));
    assert_eq!(seen[2].path, format!("{base}/versions"));
    assert_eq!(
        (seen[4].method.as_str(), seen[4].path.as_str()),
        ("POST", &*format!("{base}/metadata/openclaw.ai%2Fdigest"))
    );
    assert_eq!(seen[4].json(), json!({"value": "sha256:1"}));
    assert_eq!(
        (seen[5].method.as_str(), seen[5].path.as_str()),
        ("DELETE", &*format!("{base}/metadata/openclaw.ai%2Fdigest"))
    );
    assert_eq!(seen[6].method, "PATCH");
    assert_eq!(
        seen[6].json(),
        json!({"metadata": {"a": "1", "b": null}, "machine_version": "01HQ"})
    );
}

#[tokio::test]
async fn find_turns_404_into_none() {
    let server = Scripted::start([Reply::json(404, json!({"error": "machine not found"}))]).await;
    assert!(
        server
            .client()
            .machines("a")
            .find(ID)
            .await
            .unwrap()
            .is_none()
    );
}
