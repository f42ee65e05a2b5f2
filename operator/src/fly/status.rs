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
    } else {
        let since_start = machine.and_then(|m| started_for(m, jiff::Timestamp::now()));
        let starting = Starting {
            previous: previous.phase,
            since_start,
            budget: startup_budget(desired),
        };
        let phase = gateway_phase(state.as_ref(), check.as_ref(), &starting);
        let message = if phase == Phase::Ready {
            "gateway healthy".to_owned()
        } else {
            gateway_msg.clone()
        };
        (phase, message)
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

/// Where a gateway is in its start: the phase it had and how long ago its
/// machine last started, against how long its image may take to answer.
#[derive(Clone, Copy, Debug)]
pub struct Starting {
    /// The phase before this reconcile.
    pub previous: Phase,
    /// Time since the machine's last `started` event.
    pub since_start: Option<std::time::Duration>,
    /// How long the image may take to answer its first check.
    pub budget: std::time::Duration,
}

/// How long a gateway may take from its machine's start to a passing check
/// before a failing one means trouble: ours listens in milliseconds; the
/// Node gateway takes 5–6 s on a quiet machine and a minute or more on a
/// busy one (its Kubernetes startup probe allows 3 minutes).
pub fn startup_budget(desired: &DesiredFly) -> std::time::Duration {
    let node = desired
        .machine
        .init
        .as_ref()
        .and_then(|i| i.cmd.as_ref()?.first())
        .is_some_and(|c| c == "node");
    std::time::Duration::from_secs(if node { 180 } else { 30 })
}

/// Time since `m` last reached `started` (from its events).
pub fn started_for(m: &fly_machines::Machine, now: jiff::Timestamp) -> Option<std::time::Duration> {
    let at = m
        .events
        .iter()
        .filter(|e| e.status == "started")
        .filter_map(|e| e.at())
        .max()?;
    now.duration_since(at).try_into().ok()
}

/// The phase of a running (not suspended) gateway from its machine state,
/// its health check, and where it is in its start: healthy is `Ready`; no
/// machine yet, a machine in transition, or a check that has not run yet is
/// `Provisioning`; so is a gateway that has not been up yet (this
/// resource's previous phase is Pending/Provisioning) whose check is still
/// at `warning` (Fly's state before a first result) or fails within its
/// image's start-up budget. A gateway that was up and now fails, or keeps
/// failing past the budget, is `Degraded`.
pub fn gateway_phase(
    state: Option<&MachineState>,
    check: Option<&CheckState>,
    starting: &Starting,
) -> Phase {
    let first_start = matches!(
        starting.previous,
        Phase::Pending | Phase::Provisioning | Phase::Failed
    );
    let within_budget = starting.since_start.is_some_and(|d| d < starting.budget);
    match (state, check) {
        (Some(MachineState::Started), Some(CheckState::Passing)) => Phase::Ready,
        (None, _) | (_, None) => Phase::Provisioning,
        (Some(st), _) if st.is_transient() => Phase::Provisioning,
        (Some(MachineState::Started), Some(CheckState::Warning)) if first_start => {
            Phase::Provisioning
        }
        (Some(MachineState::Started), Some(CheckState::Critical))
            if first_start && within_budget =>
        {
            Phase::Provisioning
        }
        _ => Phase::Degraded,
    }
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
    fn a_gateway_still_starting_is_provisioning() {
        use std::time::Duration;
        let started = Some(&MachineState::Started);
        let warning = Some(&CheckState::Warning);
        let critical = Some(&CheckState::Critical);
        let at = |previous, secs| Starting {
            previous,
            since_start: Some(Duration::from_secs(secs)),
            budget: Duration::from_secs(30),
        };
        for before in [Phase::Pending, Phase::Provisioning] {
            assert_eq!(
                gateway_phase(started, warning, &at(before, 1)),
                Phase::Provisioning
            );
            assert_eq!(
                gateway_phase(started, critical, &at(before, 5)),
                Phase::Provisioning
            );
            assert_eq!(
                gateway_phase(started, critical, &at(before, 60)),
                Phase::Degraded
            );
        }
        assert_eq!(
            gateway_phase(started, warning, &at(Phase::Ready, 1)),
            Phase::Degraded
        );
        assert_eq!(
            gateway_phase(started, critical, &at(Phase::Ready, 1)),
            Phase::Degraded
        );
        assert_eq!(
            gateway_phase(started, Some(&CheckState::Passing), &at(Phase::Degraded, 1)),
            Phase::Ready
        );
        let d = desired(false);
        let s = status(
            &d,
            &outcome(Some(machine("started", Some("warning"))), 1),
            &OpenClawStatus::default(),
            None,
        );
        assert_eq!(
            s.phase,
            Phase::Provisioning,
            "a fresh create is not Degraded"
        );
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
