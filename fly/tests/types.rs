//! The data types against realistic API payloads: every documented shape
//! reads, unknown fields and values survive, and a config read from the API
//! is sent back without losing anything.

use std::time::Duration;

use fly_machines::{
    Autostop, CheckState, CheckType, CpuKind, EventType, Handler, Machine, MachineState,
    RestartPolicy, Signal, UpdateMachine, Volume, VolumeState,
};
use serde_json::{Value, json};

fn fixture() -> Value {
    serde_json::from_str(include_str!("fixtures/machine.json")).unwrap()
}

#[test]
fn a_full_machine_reads_into_typed_fields() {
    let machine: Machine = serde_json::from_value(fixture()).unwrap();
    assert_eq!(machine.state, MachineState::Started);
    assert_eq!(machine.instance_id, "01HQ3V5PBZ8Q3K7J9W6C4XGJ2N");
    let config = machine.config.as_ref().unwrap();
    assert_eq!(config.image, "registry.fly.io/openclaw-rs:1.2.3");
    assert_eq!(
        config.init.as_ref().unwrap().cmd.as_ref().unwrap()[1],
        "gateway"
    );
    let guest = config.guest.as_ref().unwrap();
    assert_eq!(
        (guest.cpu_kind.clone(), guest.cpus, guest.memory_mb),
        (Some(CpuKind::Shared), Some(1), Some(256))
    );
    let service = &config.services[0];
    assert_eq!(service.internal_port, Some(3000));
    assert_eq!(service.autostop, Some(Autostop::Off));
    assert_eq!(service.ports[0].handlers, vec![Handler::Tls, Handler::Http]);
    assert_eq!(service.ports[1].force_https, Some(true));
    assert_eq!(
        service.checks[0].interval.unwrap().as_duration(),
        Duration::from_secs(15)
    );
    let alive = &config.checks["alive"];
    assert_eq!(alive.kind, Some(CheckType::Http));
    assert_eq!(
        alive.interval.unwrap().as_duration(),
        Duration::from_secs(15),
        "integer nanoseconds"
    );
    assert!(alive.headers.is_empty(), "null reads as empty");
    assert_eq!(
        config.restart.as_ref().unwrap().policy,
        Some(RestartPolicy::OnFailure)
    );
    assert_eq!(
        config.stop_config.as_ref().unwrap().signal,
        Some(Signal::Term)
    );
    assert_eq!(config.files[0].content().unwrap(), b"{}");
    assert_eq!(
        machine.metadata("openclaw.ai/owner"),
        Some("default/my-openclaw")
    );
    assert_eq!(machine.events[0].kind, EventType::Exit);
    assert_eq!(machine.events[0].exit_code(), Some(137));
    assert_eq!(machine.events[0].oom_killed(), Some(true));
    assert_eq!(machine.check("alive").unwrap().status, CheckState::Passing);
    assert!(machine.extra.contains_key("some_future_field"));
}

#[test]
fn get_modify_update_keeps_every_field_it_does_not_touch() {
    let original = fixture();
    let machine: Machine = serde_json::from_value(original.clone()).unwrap();
    let mut config = machine.config.unwrap();
    config.env.insert("NEW".into(), "1".into());
    let sent =
        serde_json::to_value(UpdateMachine::new(config).current_version(&machine.instance_id))
            .unwrap();

    let mut expected = original["config"].clone();
    expected["env"]["NEW"] = json!("1");
    // Durations are written back as Go strings; modelled collections that
    // were null are omitted (unknown fields, even null ones, are kept as is).
    expected["checks"]["alive"]["interval"] = json!("15s");
    expected.as_object_mut().unwrap().remove("processes");
    expected["checks"]["alive"]
        .as_object_mut()
        .unwrap()
        .remove("headers");
    assert_eq!(sent["config"], expected);
    assert_eq!(sent["current_version"], "01HQ3V5PBZ8Q3K7J9W6C4XGJ2N");
}

#[test]
fn unknown_states_and_values_do_not_fail_reads() {
    let mut raw = fixture();
    raw["state"] = json!("hibernating");
    raw["host_status"] = json!("on-the-moon");
    raw["config"]["services"][0]["autostop"] = json!("suspend");
    raw["config"]["services"][0]["ports"][0]["handlers"] = json!(["tls", "quic"]);
    raw["config"]["restart"]["policy"] = json!("sometimes");
    raw["created_at"] = json!("");
    let machine: Machine = serde_json::from_value(raw).unwrap();
    assert_eq!(machine.state, MachineState::Other("hibernating".into()));
    assert!(
        machine.state.is_transient(),
        "an unknown state is something to wait out"
    );
    assert_eq!(machine.created_at, None);
    let config = machine.config.unwrap();
    assert_eq!(config.services[0].autostop, Some(Autostop::Suspend));
    assert_eq!(
        config.services[0].ports[0].handlers[1],
        Handler::Other("quic".into())
    );
    let back = serde_json::to_value(&config).unwrap();
    assert_eq!(
        back["services"][0]["ports"][0]["handlers"],
        json!(["tls", "quic"])
    );
    assert_eq!(back["restart"]["policy"], "sometimes");
}

#[test]
fn a_machine_with_an_unreachable_host_reads_its_incomplete_config() {
    let raw = json!({"id": "e2865013a40e86", "state": "started", "host_status": "unreachable",
        "incomplete_config": {"image": "x:1", "metadata": {"k": "v"}}});
    let machine: Machine = serde_json::from_value(raw).unwrap();
    assert!(machine.config.is_none());
    assert_eq!(machine.metadata("k"), Some("v"));
}

#[test]
fn volumes_read_with_deletion_states_and_free_attachment() {
    let raw = json!([
        {"id": "vol_abcdefgh12345678", "name": "openclaw_data", "state": "created", "size_gb": 1, "region": "iad",
         "zone": "a1b2", "encrypted": true, "attached_machine_id": null, "attached_alloc_id": null,
         "created_at": "2026-11-20T10:00:00Z", "fstype": "ext4", "snapshot_retention": 5,
         "auto_backup_enabled": true, "host_status": "ok", "blocks": 100, "block_size": 4096},
        {"id": "vol_zzzzzzzzzzzzzzzz", "name": "openclaw_data", "state": "pending_destroy", "size_gb": 1,
         "region": "iad", "attached_machine_id": "1857156b526dd8"}
    ]);
    let volumes: Vec<Volume> = serde_json::from_value(raw).unwrap();
    assert!(volumes[0].is_free());
    assert_eq!(volumes[0].extra["blocks"], 100);
    assert_eq!(volumes[1].state, VolumeState::PendingDestroy);
    assert!(volumes[1].state.is_being_destroyed());
    assert!(!volumes[1].is_free());
}
