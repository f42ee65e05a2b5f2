//! The *status* stage for Fly: conditions, phase and endpoint from what the
//! reconcile observed.

use fly_machines::{CheckState, MachineState};

use crate::crd::{DriftCorrection, Exposure, FlyStatus, OpenClawStatus, Phase};
use crate::status::{Conditions, set_condition};

use super::apply::Outcome;
use super::build::{CHECK_NAME, DesiredFly};

/// Keeps at most this many drift corrections in status.
const DRIFT_KEPT: usize = 10;

/// Builds the status after a successful reconcile, carrying over conditions'
/// transition times and the drift history from `previous`.
pub fn status(
    desired: &DesiredFly,
    outcome: &Outcome,
    previous: &OpenClawStatus,
    generation: Option<i64>,
) -> OpenClawStatus {
    let t = &desired.target;
    let mut s = previous.clone();
    s.observed_generation = generation;
    let machine = outcome.machine.as_ref();
    let state = machine.map(|m| m.state.clone());
    let check = machine
        .and_then(|m| m.check(CHECK_NAME))
        .map(|c| c.status.clone());
    let healthy =
        matches!(state, Some(MachineState::Started)) && matches!(check, Some(CheckState::Passing));
    let mut c = Conditions::new(&mut s.conditions, generation);
    c.set(
        "VolumeReady",
        outcome.volume.is_some(),
        "VolumeAttached",
        "volume not created yet",
    );
    c.set(
        "SecretsSynced",
        outcome.secrets_synced,
        "SecretsApplied",
        "secrets not applied yet",
    );
    c.set(
        "NetworkReady",
        outcome.network_ready,
        "IpsAllocated",
        "IPs not allocated yet",
    );
    let gateway_msg = match (&state, &check) {
        (None, _) => "no machine yet".to_owned(),
        (Some(st), Some(ch)) => format!("machine {st}, check {ch}"),
        (Some(st), None) => format!("machine {st}, check not run yet"),
    };
    c.set("GatewayHealthy", healthy, "CheckPassing", &gateway_msg);
    let (phase, message) = if desired.suspend {
        (
            Phase::Suspended,
            "suspended: machine stopped, volume and data kept".to_owned(),
        )
    } else if healthy {
        (Phase::Ready, "gateway healthy".to_owned())
    } else if machine.is_none()
        || check.is_none()
        || matches!(state, Some(ref st) if st.is_transient())
    {
        (Phase::Provisioning, gateway_msg.clone())
    } else {
        (Phase::Degraded, gateway_msg.clone())
    };
    let volume_size = outcome.volume.as_ref().map(|v| v.size_gb);
    let message = match volume_size {
        Some(gb) if gb > t.volume_size_gb => format!(
            "{message}; volume is {gb} GB, more than the {} GB asked (volumes never shrink)",
            t.volume_size_gb
        ),
        _ => message,
    };
    let ready = phase == Phase::Ready;
    set_condition(
        &mut s.conditions,
        "Ready",
        ready,
        if ready { "Reconciled" } else { "NotReady" },
        &message,
        generation,
    );
    s.phase = phase;
    s.message = Some(message);
    let hostname = match t.exposure {
        Exposure::Public => format!("{}.fly.dev", t.app),
        Exposure::Private => format!("{}.flycast", t.app),
    };
    s.endpoint = Some(match t.exposure {
        Exposure::Public => format!("wss://{hostname}"),
        Exposure::Private => format!("ws://{hostname}"),
    });
    s.fly = Some(FlyStatus {
        app: Some(t.app.clone()),
        machine_id: machine.map(|m| m.id.clone()),
        machine_state: state.map(|st| st.to_string()),
        volume_id: outcome.volume.as_ref().map(|v| v.id.clone()),
        ips: outcome.ips.iter().map(|i| i.ip.clone()).collect(),
        hostname: Some(hostname),
        config_digest: Some(desired.config_digest.clone()),
        volume_size_gb: volume_size.filter(|&gb| gb > t.volume_size_gb),
    });
    let now = jiff::Timestamp::now().to_string();
    for d in &outcome.drift {
        s.last_drift_corrections.push(DriftCorrection {
            at: now.clone(),
            field: d.field.to_owned(),
            from: d.live.clone(),
            to: d.desired.clone(),
        });
    }
    let excess = s.last_drift_corrections.len().saturating_sub(DRIFT_KEPT);
    s.last_drift_corrections.drain(..excess);
    s
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::fly::build::{DEFAULT_CHECK_INTERVAL, build};
    use crate::validate::{FlyTarget, GatewayPlan, Guest, Target, ValidOpenClaw};

    fn desired(suspend: bool) -> DesiredFly {
        let target = FlyTarget {
            app: "claw".into(),
            org: "personal".into(),
            region: "iad".into(),
            guest: Guest {
                cpu_kind: crate::crd::CpuKind::Shared,
                cpus: 1,
                memory_mb: 256,
            },
            volume_name: "openclaw_data".into(),
            volume_size_gb: 1,
            exposure: Exposure::Public,
        };
        let valid = ValidOpenClaw {
            key: crate::resource::ResourceKey::new("default", "claw"),
            image: crate::crd::DEFAULT_IMAGE.into(),
            runtime: crate::crd::Runtime::Rust,
            target: Target::Fly(target.clone()),
            gateway: GatewayPlan {
                port: 3000,
                bind: crate::crd::Bind::Lan,
                auth_mode: None,
            },
            secrets: Default::default(),
            config: None,
            suspend,
            deletion_policy: Default::default(),
            warnings: vec![],
        };
        build(&valid, &target, DEFAULT_CHECK_INTERVAL)
    }

    fn machine(state: &str, check: Option<&str>) -> fly_machines::Machine {
        let checks = check.map_or(
            serde_json::json!([]),
            |c| serde_json::json!([{"name": CHECK_NAME, "status": c}]),
        );
        serde_json::from_value(serde_json::json!({
            "id": "m1", "name": "openclaw-gateway", "state": state, "region": "iad",
            "instance_id": "v1", "checks": checks
        }))
        .unwrap()
    }

    fn volume(size: u32) -> fly_machines::Volume {
        serde_json::from_value(serde_json::json!({
            "id": "vol_1", "name": "openclaw_data", "state": "created", "size_gb": size, "region": "iad"
        }))
        .unwrap()
    }

    fn outcome(m: Option<fly_machines::Machine>, vol: u32) -> Outcome {
        Outcome {
            volume: Some(volume(vol)),
            secrets_synced: true,
            network_ready: true,
            machine: m,
            ..Default::default()
        }
    }

    #[test]
    fn phases_follow_the_machine_and_its_check() {
        let d = desired(false);
        let prev = OpenClawStatus::default();
        let phase = |m, vol| status(&d, &outcome(m, vol), &prev, None).phase;
        assert_eq!(
            phase(Some(machine("started", Some("passing"))), 1),
            Phase::Ready
        );
        assert_eq!(
            phase(Some(machine("started", None)), 1),
            Phase::Provisioning
        );
        assert_eq!(
            phase(Some(machine("starting", None)), 1),
            Phase::Provisioning
        );
        assert_eq!(
            phase(Some(machine("started", Some("critical"))), 1),
            Phase::Degraded
        );
        assert_eq!(phase(None, 1), Phase::Provisioning);
        let s = status(
            &desired(true),
            &outcome(Some(machine("stopped", None)), 1),
            &prev,
            None,
        );
        assert_eq!(s.phase, Phase::Suspended);
    }

    #[test]
    fn a_volume_larger_than_asked_is_said_not_shrunk() {
        let d = desired(false);
        let s = status(
            &d,
            &outcome(Some(machine("started", Some("passing"))), 3),
            &OpenClawStatus::default(),
            None,
        );
        assert!(s.message.unwrap().contains("volumes never shrink"));
        assert_eq!(s.fly.unwrap().volume_size_gb, Some(3));
        assert_eq!(s.endpoint.as_deref(), Some("wss://claw.fly.dev"));
    }
}
