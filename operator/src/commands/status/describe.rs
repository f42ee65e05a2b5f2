//! `status NAME`: one resource in detail, as `kubectl describe` shows it:
//! phase and message, where to reach it, what exists on Fly, conditions,
//! drift corrections and recent events.

use std::fmt::Write;

use crate::board::Entry;
use crate::resource::ResourceKey;
use crate::table::age;

fn since(at: &str, now: jiff::Timestamp) -> String {
    at.parse::<jiff::Timestamp>()
        .map_or_else(|_| "-".into(), |t| age(now.duration_since(t)))
}

/// The description of `key`.
pub fn describe(key: &ResourceKey, e: &Entry, now: jiff::Timestamp) -> String {
    let s = &e.status;
    let mut out = String::new();
    let field = |out: &mut String, name: &str, value: &str| {
        let _ = writeln!(out, "{:<14}{value}", format!("{name}:"));
    };
    field(&mut out, "Name", &key.to_string());
    let phase = match s.message.as_deref() {
        Some(m) if !m.is_empty() => format!("{} — {m}", s.phase),
        _ => s.phase.to_string(),
    };
    field(&mut out, "Phase", &phase);
    if let Some(endpoint) = &s.endpoint {
        field(&mut out, "Endpoint", endpoint);
    }
    if let Some(url) = &e.local_url {
        field(&mut out, "Local URL", &format!("{url}/"));
    }
    if let Some(hint) = &e.token_hint {
        field(
            &mut out,
            "Token",
            &format!("{hint}   (or: openclaw-operator token {})", key.name),
        );
    }
    if let Some(at) = &e.since {
        field(&mut out, "Age", &since(at, now));
    }
    if let Some(fly) = &s.fly {
        out.push_str("Fly:\n");
        let sub = |out: &mut String, name: &str, value: Option<String>| {
            if let Some(v) = value {
                let _ = writeln!(out, "  {:<12}{v}", format!("{name}:"));
            }
        };
        sub(&mut out, "App", fly.app.clone());
        sub(&mut out, "Hostname", fly.hostname.clone());
        sub(
            &mut out,
            "Machine",
            fly.machine_id.as_ref().map(|id| match &fly.machine_state {
                Some(st) => format!("{id} ({st})"),
                None => id.clone(),
            }),
        );
        sub(
            &mut out,
            "Volume",
            fly.volume_id.as_ref().map(|v| match fly.volume_size_gb {
                Some(gb) => format!("{v} ({gb} GB, larger than the spec asks)"),
                None => v.clone(),
            }),
        );
        sub(
            &mut out,
            "IPs",
            (!fly.ips.is_empty()).then(|| fly.ips.join(", ")),
        );
        sub(&mut out, "Config", fly.config_digest.clone());
    }
    if let Some(k) = &s.kubernetes {
        out.push_str("Kubernetes:\n");
        for (name, v) in [
            ("StatefulSet", &k.stateful_set),
            ("Pod", &k.pod),
            ("Service", &k.service),
            ("Secret", &k.secret),
        ] {
            if let Some(v) = v {
                let _ = writeln!(out, "  {:<12}{v}", format!("{name}:"));
            }
        }
    }
    if !s.conditions.is_empty() {
        out.push_str("Conditions:\n");
        let _ = writeln!(
            out,
            "  {:<16}{:<8}{:<20}{:<7}MESSAGE",
            "TYPE", "STATUS", "REASON", "SINCE"
        );
        for c in &s.conditions {
            let _ = writeln!(
                out,
                "  {:<16}{:<8}{:<20}{:<7}{}",
                c.type_,
                c.status,
                c.reason,
                age(now.duration_since(c.last_transition_time.0)),
                c.message
            );
        }
    }
    if !s.last_drift_corrections.is_empty() {
        out.push_str("Drift corrections:\n");
        for d in &s.last_drift_corrections {
            let _ = writeln!(
                out,
                "  {:<6}{}: {} → {}",
                since(&d.at, now),
                d.field,
                d.from,
                d.to
            );
        }
    }
    out.push_str("Events:\n");
    if e.events.is_empty() {
        out.push_str("  <none>\n");
    } else {
        let _ = writeln!(out, "  {:<6}{:<9}{:<22}MESSAGE", "AGE", "TYPE", "REASON");
        for ev in &e.events {
            let _ = writeln!(
                out,
                "  {:<6}{:<9}{:<22}{}",
                since(&ev.at, now),
                format!("{:?}", ev.event.type_),
                ev.event.reason,
                ev.event.message
            );
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::board::RecordedEvent;
    use crate::crd::{DriftCorrection, FlyStatus, OpenClawStatus, Phase};
    use crate::report::Event;

    #[test]
    fn shows_conditions_ips_volume_drift_and_events() {
        let now = jiff::Timestamp::now();
        let mut status = OpenClawStatus {
            phase: Phase::Ready,
            message: Some("gateway healthy".into()),
            endpoint: Some("wss://claw.fly.dev".into()),
            fly: Some(FlyStatus {
                app: Some("claw".into()),
                machine_id: Some("148ed".into()),
                machine_state: Some("started".into()),
                volume_id: Some("vol_1".into()),
                ips: vec!["fdaa::1".into(), "1.2.3.4".into()],
                ..Default::default()
            }),
            last_drift_corrections: vec![DriftCorrection {
                at: now.to_string(),
                field: "machine.config.guest.memory_mb".into(),
                from: "128".into(),
                to: "256".into(),
            }],
            ..Default::default()
        };
        crate::status::set_condition(
            &mut status.conditions,
            "Ready",
            true,
            "Reconciled",
            "",
            None,
        );
        let entry = Entry {
            status,
            events: [RecordedEvent {
                at: now.to_string(),
                event: Event::normal("DriftCorrected", "memory 128 → 256"),
            }]
            .into(),
            local_url: Some("http://127.0.0.1:41000".into()),
            ..Default::default()
        };
        let text = describe(&ResourceKey::new("default", "claw"), &entry, now);
        for needle in [
            "Phase:        Ready — gateway healthy",
            "Local URL:    http://127.0.0.1:41000/",
            "Machine:    148ed (started)",
            "Volume:     vol_1",
            "IPs:        fdaa::1, 1.2.3.4",
            "Ready           True    Reconciled",
            "machine.config.guest.memory_mb: 128 → 256",
            "DriftCorrected",
        ] {
            assert!(text.contains(needle), "{needle:?} in\n{text}");
        }
    }
}
