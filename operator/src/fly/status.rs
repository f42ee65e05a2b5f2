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
    let volume_size = outcome.volume.as_ref().map(|v| v.size_gb);
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
