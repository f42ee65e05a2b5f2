//! The *status* stage for Kubernetes: conditions, phase and endpoint from the
//! objects as applied, the data claim and the gateway pod.

use serde_json::Value;

use crate::crd::{DriftCorrection, KubernetesStatus, OpenClawStatus, Phase};
use crate::status::{Conditions, set_condition};
use crate::validate::Access;

use super::apply::Applied;
use super::build::DesiredKubernetes;

/// Keeps at most this many drift corrections in status.
const DRIFT_KEPT: usize = 10;

/// What was observed besides the applied objects.
#[derive(Debug, Default)]
pub struct Observed {
    /// The pod's `/data` claim, if it exists.
    pub claim: Option<Value>,
    /// The gateway pod, if it exists.
    pub pod: Option<Value>,
}

/// Waiting reasons that mean the pod will not become ready on its own.
const STUCK: &[&str] = &[
    "CrashLoopBackOff",
    "ImagePullBackOff",
    "ErrImagePull",
    "InvalidImageName",
    "CreateContainerConfigError",
    "RunContainerError",
];

/// One line about the pod: `pod claw-0: gateway waiting: CrashLoopBackOff (…)`.
fn pod_summary(name: &str, pod: Option<&Value>) -> (String, bool) {
    let Some(pod) = pod else {
        return (format!("pod {name} not created yet"), false);
    };
    let status = &pod["status"];
    for cs in status["containerStatuses"].as_array().into_iter().flatten() {
        if let Some(w) = cs["state"]["waiting"].as_object() {
            let reason = w.get("reason").and_then(Value::as_str).unwrap_or("waiting");
            let detail = w
                .get("message")
                .and_then(Value::as_str)
                .map(|m| format!(" ({m})"))
                .or_else(|| {
                    let t = &cs["lastState"]["terminated"];
                    t["exitCode"].as_i64().map(|c| {
                        format!(
                            " (last exit code {c}{})",
                            t["reason"]
                                .as_str()
                                .map(|r| format!(", {r}"))
                                .unwrap_or_default()
                        )
                    })
                })
                .unwrap_or_default();
            return (
                format!(
                    "pod {name}: {} {reason}{detail}",
                    cs["name"].as_str().unwrap_or("container")
                ),
                STUCK.contains(&reason),
            );
        }
    }
    let phase = status["phase"].as_str().unwrap_or("Pending");
    (format!("pod {name} {phase}, not ready"), phase == "Failed")
}

/// Where clients connect from outside the cluster, if they can yet.
fn public_endpoint(
    desired: &DesiredKubernetes,
    applied: &Applied,
) -> Result<Option<String>, String> {
    match &desired.access {
        Access::Private { .. } => Ok(None),
        Access::Ingress(i) => Ok(Some(format!(
            "{}://{}",
            if i.tls_secret_name.is_some() {
                "wss"
            } else {
                "ws"
            },
            i.host
        ))),
        Access::LoadBalancer { .. } => {
            let svc = applied
                .objects
                .get(&format!("Service/{}", desired.names.public_service()));
            let ingress = svc.and_then(|s| s["status"]["loadBalancer"]["ingress"].get(0));
            match ingress.and_then(|i| i["ip"].as_str().or(i["hostname"].as_str())) {
                Some(addr) => Ok(Some(format!("ws://{addr}"))),
                None => Err("waiting for the load balancer's address".into()),
            }
        }
    }
}

/// Builds the status after a successful apply, carrying over transition
/// times and the drift history from `previous`.
pub fn status(
    desired: &DesiredKubernetes,
    applied: &Applied,
    observed: &Observed,
    previous: &OpenClawStatus,
    generation: Option<i64>,
) -> OpenClawStatus {
    let names = &desired.names;
    let mut s = previous.clone();
    s.observed_generation = generation;
    let sts = applied.objects.get(&format!("StatefulSet/{}", names.base));
    let ready = sts
        .and_then(|o| o["status"]["readyReplicas"].as_i64())
        .unwrap_or(0) as i32;
    let rolled_out = sts.is_none_or(|o| {
        let st = &o["status"];
        st["updateRevision"].is_null() || st["updateRevision"] == st["currentRevision"]
    });
    let healthy = ready >= 1 && rolled_out;
    let claim_phase = observed
        .claim
        .as_ref()
        .and_then(|c| c["status"]["phase"].as_str());
    let service_ip = applied
        .objects
        .get(&format!("Service/{}", names.base))
        .and_then(|o| o["spec"]["clusterIP"].as_str());
    let public = public_endpoint(desired, applied);
    let (pod_line, stuck) = pod_summary(&names.pod(), observed.pod.as_ref());
    let mut c = Conditions::new(&mut s.conditions, generation);
    c.set("SecretsSynced", true, "SecretsApplied", "");
    c.set(
        "VolumeReady",
        claim_phase == Some("Bound"),
        "ClaimBound",
        &match claim_phase {
            Some(p) => format!("claim {} is {p}", names.data_claim()),
            None => format!("claim {} not created yet", names.data_claim()),
        },
    );
    c.set(
        "NetworkReady",
        service_ip.is_some() && public.is_ok(),
        "ServiceReady",
        public
            .as_ref()
            .err()
            .map_or("the Service has no cluster IP yet", String::as_str),
    );
    let gateway_msg = if healthy {
        String::new()
    } else if !rolled_out && ready >= 1 {
        "rolling out a new pod template".to_owned()
    } else {
        pod_line.clone()
    };
    c.set("GatewayHealthy", healthy, "PodReady", &gateway_msg);
    let (phase, message) = if desired.suspend {
        (
            Phase::Suspended,
            "suspended: scaled to 0, volume claim and data kept".to_owned(),
        )
    } else if healthy {
        (Phase::Ready, "gateway ready".to_owned())
    } else if stuck || previous.phase == Phase::Ready {
        (Phase::Degraded, gateway_msg)
    } else {
        (Phase::Provisioning, gateway_msg)
    };
    let is_ready = phase == Phase::Ready;
    set_condition(
        &mut s.conditions,
        "Ready",
        is_ready,
        if is_ready { "Reconciled" } else { "NotReady" },
        &message,
        generation,
    );
    s.phase = phase;
    s.message = Some(message);
    s.endpoint = Some(match public {
        Ok(Some(e)) => e,
        _ => desired.cluster_endpoint.clone(),
    });
    s.kubernetes = Some(KubernetesStatus {
        stateful_set: Some(names.base.clone()),
        pod: observed.pod.as_ref().map(|_| names.pod()),
        ready_replicas: Some(ready),
        service: Some(names.base.clone()),
        secret: Some(names.secret()),
        config_hash: Some(desired.config_hash.clone()),
    });
    let now = jiff::Timestamp::now().to_string();
    for d in &applied.corrections {
        s.last_drift_corrections.push(DriftCorrection {
            at: now.clone(),
            field: format!("{}{}", d.object, d.difference.path),
            from: match &d.manager {
                Some(m) => format!("{} (set by {m})", d.difference.live),
                None => d.difference.live.clone(),
            },
            to: d.difference.desired.clone(),
        });
    }
    let excess = s.last_drift_corrections.len().saturating_sub(DRIFT_KEPT);
    s.last_drift_corrections.drain(..excess);
    s
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn pod_lines_name_the_reason() {
        let pod = json!({"status": {"phase": "Running", "containerStatuses": [{"name": "gateway",
            "state": {"waiting": {"reason": "CrashLoopBackOff"}},
            "lastState": {"terminated": {"exitCode": 78, "reason": "Error"}}}]}});
        let (line, stuck) = pod_summary("claw-0", Some(&pod));
        assert_eq!(
            line,
            "pod claw-0: gateway CrashLoopBackOff (last exit code 78, Error)"
        );
        assert!(stuck);
        assert_eq!(
            pod_summary("claw-0", None),
            ("pod claw-0 not created yet".to_owned(), false)
        );
    }
}
