//! The *drift* check: which fields the operator owns differ between the live
//! machine and the desired config — the deployment guide's troubleshooting
//! list (bind, port vs `internal_port` vs check port, memory, mount path,
//! `OPENCLAW_STATE_DIR`) plus the rest of what the operator sets.

use fly_machines::MachineConfig;

use super::build::{bind_in, port_in};

/// One owned field whose live value differs from the desired one.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FieldDiff {
    /// Short field name, e.g. `bind`, `guest.memory_mb`.
    pub field: &'static str,
    /// Live value (`<none>` when absent).
    pub live: String,
    /// Desired value.
    pub desired: String,
}

type Probe = fn(&MachineConfig) -> Option<String>;

/// The owned fields, each with how to read it from a config.
const FIELDS: &[(&str, Probe)] = &[
    ("image", |c| Some(c.image.clone())),
    ("bind", |c| {
        cmd(c).and_then(|a| bind_in(&a).map(str::to_owned))
    }),
    ("port", |c| {
        cmd(c).and_then(|a| port_in(&a).map(str::to_owned))
    }),
    ("command", |c| cmd(c).map(|a| a.join(" "))),
    ("services.internal_port", |c| {
        c.services
            .first()
            .and_then(|s| s.internal_port)
            .map(|p| p.to_string())
    }),
    ("services.ports", |c| {
        c.services
            .first()
            .map(|s| serde_json::to_string(&s.ports).unwrap_or_default())
    }),
    ("checks.port", |c| {
        c.checks
            .get(super::build::CHECK_NAME)
            .and_then(|k| k.port)
            .map(|p| p.to_string())
    }),
    ("checks.path", |c| {
        c.checks
            .get(super::build::CHECK_NAME)
            .and_then(|k| k.path.clone())
    }),
    ("guest.memory_mb", |c| {
        c.guest
            .as_ref()
            .and_then(|g| g.memory_mb)
            .map(|m| m.to_string())
    }),
    ("guest.cpus", |c| {
        c.guest.as_ref().and_then(|g| g.cpus).map(|m| m.to_string())
    }),
    ("guest.cpu_kind", |c| {
        c.guest
            .as_ref()
            .and_then(|g| g.cpu_kind.as_ref())
            .map(|k| k.to_string())
    }),
    ("mounts.path", |c| c.mounts.first().map(|m| m.path.clone())),
    ("env.OPENCLAW_STATE_DIR", |c| {
        c.env.get("OPENCLAW_STATE_DIR").cloned()
    }),
    ("env.OPENCLAW_GATEWAY_PORT", |c| {
        c.env.get("OPENCLAW_GATEWAY_PORT").cloned()
    }),
    ("env.OPENCLAW_CONFIG_PATH", |c| {
        c.env.get("OPENCLAW_CONFIG_PATH").cloned()
    }),
    ("env.NODE_OPTIONS", |c| c.env.get("NODE_OPTIONS").cloned()),
    ("files", |c| {
        let mut files: Vec<_> = c
            .files
            .iter()
            .map(|f| {
                let content = f.content().unwrap_or_default();
                format!(
                    "{}:{}",
                    f.guest_path,
                    super::build::short_digest(&crate::secrets::digest_hex(&content))
                )
            })
            .collect();
        files.sort();
        Some(files.join(","))
    }),
    ("restart.policy", |c| {
        c.restart
            .as_ref()
            .and_then(|r| r.policy.as_ref())
            .map(|p| p.to_string())
    }),
];

fn cmd(c: &MachineConfig) -> Option<Vec<String>> {
    c.init.as_ref().and_then(|i| i.cmd.clone())
}

/// Owned fields that differ, in a stable order.
pub fn diff_owned(desired: &MachineConfig, live: &MachineConfig) -> Vec<FieldDiff> {
    FIELDS
        .iter()
        .filter_map(|(field, probe)| {
            let (want, have) = (probe(desired), probe(live));
            (want != have).then(|| FieldDiff {
                field,
                live: have.unwrap_or_else(|| "<none>".into()),
                desired: want.unwrap_or_else(|| "<none>".into()),
            })
        })
        // `command` repeats what `bind`/`port` already say; keep it only
        // when it is the sole difference in the command line.
        .fold(Vec::new(), |mut acc: Vec<FieldDiff>, d| {
            let cmd_explained = acc.iter().any(|x| x.field == "bind" || x.field == "port");
            if !(d.field == "command" && cmd_explained) {
                acc.push(d);
            }
            acc
        })
}

/// Merges the desired config into the live one: owned fields are replaced,
/// everything else (fields this operator does not set, other metadata keys)
/// is kept, so an update never drops what someone else configured.
pub fn merge(desired: &MachineConfig, live: &MachineConfig) -> MachineConfig {
    let mut out = live.clone();
    out.image = desired.image.clone();
    out.init = desired.init.clone();
    for (k, v) in &desired.env {
        out.env.insert(k.clone(), v.clone());
    }
    if !desired.env.contains_key("OPENCLAW_CONFIG_PATH") {
        out.env.remove("OPENCLAW_CONFIG_PATH");
    }
    if !desired.env.contains_key("NODE_OPTIONS") {
        out.env.remove("NODE_OPTIONS");
    }
    out.guest = desired.guest.clone();
    out.mounts = desired.mounts.clone();
    out.services = desired.services.clone();
    out.checks.insert(
        super::build::CHECK_NAME.into(),
        desired.checks[super::build::CHECK_NAME].clone(),
    );
    out.restart = desired.restart.clone();
    out.files
        .retain(|f| f.guest_path != super::build::CONFIG_PATH);
    out.files.extend(desired.files.iter().cloned());
    for (k, v) in &desired.metadata {
        out.metadata.insert(k.clone(), v.clone());
    }
    out
}
