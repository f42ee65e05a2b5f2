//! Status helpers shared by every backend: conditions with stable transition
//! times, and the status of a resource that could not be reconciled.

use k8s_openapi::apimachinery::pkg::apis::meta::v1::{Condition, Time};

use crate::crd::{OpenClawStatus, Phase};

/// Sets condition `type_`, keeping `lastTransitionTime` when its status does
/// not change (so "Ready since" stays meaningful across resyncs).
pub fn set_condition(
    conditions: &mut Vec<Condition>,
    type_: &str,
    ok: bool,
    reason: &str,
    message: &str,
    generation: Option<i64>,
) {
    let status = if ok { "True" } else { "False" };
    let now = Time(jiff::Timestamp::now());
    match conditions.iter_mut().find(|c| c.type_ == type_) {
        Some(c) => {
            if c.status != status {
                c.last_transition_time = now;
            }
            c.status = status.into();
            c.reason = reason.into();
            c.message = message.into();
            c.observed_generation = generation;
        }
        None => conditions.push(Condition {
            type_: type_.into(),
            status: status.into(),
            reason: reason.into(),
            message: message.into(),
            observed_generation: generation,
            last_transition_time: now,
        }),
    }
}

/// Sets several conditions of one status in a row.
pub struct Conditions<'a> {
    list: &'a mut Vec<Condition>,
    generation: Option<i64>,
}

impl<'a> Conditions<'a> {
    /// Edits `list` for `generation`.
    pub fn new(list: &'a mut Vec<Condition>, generation: Option<i64>) -> Self {
        Self { list, generation }
    }

    /// `ok` → `True` with `reason`; else `False` with reason `Pending` and `why_not`.
    pub fn set(&mut self, type_: &str, ok: bool, reason: &str, why_not: &str) {
        let (reason, message) = if ok {
            (reason, "")
        } else {
            ("Pending", why_not)
        };
        set_condition(self.list, type_, ok, reason, message, self.generation);
    }
}

/// The status of a resource the reconcile could not proceed with: `Ready=False`
/// with `reason`, phase `Failed` for a spec problem, else `Degraded`/`Pending`
/// (what was observed before stays).
pub fn failed(
    previous: &OpenClawStatus,
    reason: &str,
    message: &str,
    spec_problem: bool,
    generation: Option<i64>,
) -> OpenClawStatus {
    let mut s = previous.clone();
    s.observed_generation = generation;
    s.phase = failed_phase(previous.phase, spec_problem);
    s.message = Some(if spec_problem && s.phase == Phase::Degraded {
        format!("the edit was rejected and the previous gateway keeps serving: {message}")
    } else {
        message.to_owned()
    });
    if reason == "SecretUnavailable" {
        // Which secret (and key) is missing is in the message; nothing was applied.
        set_condition(
            &mut s.conditions,
            "SecretsSynced",
            false,
            "SecretNotFound",
            message,
            generation,
        );
    }
    set_condition(
        &mut s.conditions,
        "Ready",
        false,
        reason,
        message,
        generation,
    );
    s
}

/// The phase after a failed reconcile. A spec that cannot be applied is
/// `Failed`, unless a gateway from the previous spec is still serving (it
/// was `Ready` or `Degraded`): an edit was rejected, nothing was applied, and
/// that gateway runs on, so the resource is `Degraded` (with the reason), not
/// down. Another failure degrades a ready gateway and otherwise keeps what
/// was observed.
pub fn failed_phase(previous: Phase, spec_problem: bool) -> Phase {
    let serving = matches!(previous, Phase::Ready | Phase::Degraded);
    match (spec_problem, serving) {
        (true, true) => Phase::Degraded,
        (true, false) => Phase::Failed,
        (false, _) if previous == Phase::Ready => Phase::Degraded,
        (false, _) => previous.max_pending(),
    }
}

impl Phase {
    /// `Pending` unless already further along.
    fn max_pending(self) -> Phase {
        match self {
            Phase::Failed => Phase::Pending,
            other => other,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn transition_time_only_moves_on_a_status_change() {
        let mut list = vec![];
        set_condition(&mut list, "Ready", false, "A", "m", Some(1));
        let t0 = list[0].last_transition_time.clone();
        set_condition(&mut list, "Ready", false, "B", "m2", Some(2));
        assert_eq!(list[0].last_transition_time, t0);
        assert_eq!(list[0].reason, "B");
        std::thread::sleep(std::time::Duration::from_millis(2));
        set_condition(&mut list, "Ready", true, "C", "", Some(2));
        assert_ne!(list[0].last_transition_time, t0);
    }

    #[test]
    fn a_rejected_edit_while_the_old_gateway_serves_is_degraded() {
        assert_eq!(failed_phase(Phase::Ready, true), Phase::Degraded);
        assert_eq!(failed_phase(Phase::Degraded, true), Phase::Degraded);
        assert_eq!(failed_phase(Phase::Pending, true), Phase::Failed);
        assert_eq!(failed_phase(Phase::Suspended, true), Phase::Failed);
        assert_eq!(failed_phase(Phase::Ready, false), Phase::Degraded);
        assert_eq!(failed_phase(Phase::Failed, false), Phase::Pending);
        let ready = OpenClawStatus {
            phase: Phase::Ready,
            ..Default::default()
        };
        let s = failed(&ready, "InvalidSpec", "spec.x: bad; fix", true, Some(2));
        assert_eq!(s.phase, Phase::Degraded);
        let msg = s.message.unwrap();
        assert!(
            msg.contains("rejected") && msg.contains("spec.x: bad; fix"),
            "{msg}"
        );
    }

    #[test]
    fn invalid_spec_fails_the_resource() {
        let s = failed(
            &OpenClawStatus::default(),
            "InvalidSpec",
            "spec.x: bad; fix",
            true,
            Some(3),
        );
        assert_eq!(s.phase, Phase::Failed);
        let ready = &s.conditions[0];
        assert_eq!(
            (ready.status.as_str(), ready.reason.as_str()),
            ("False", "InvalidSpec")
        );
    }
}
