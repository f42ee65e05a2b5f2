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
    s.phase = if spec_problem {
        Phase::Failed
    } else if previous.phase == Phase::Ready {
        Phase::Degraded
    } else {
        previous.phase.max_pending()
    };
    s.message = Some(message.to_owned());
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
