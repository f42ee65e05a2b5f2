//! fly.toml → `OpenClaw`: a pure translation of a hand deployment (the
//! deployment guide's, or ours) into the resource that does the same and
//! keeps it that way. What has a place in the resource is mapped; what the
//! operator decides itself is said to be so; anything else is listed as not
//! mapped, with the reason. Secrets are referenced by name (`env:`), never
//! copied — one found in `[env]` in plain text is moved to a reference and
//! flagged for rotation.

use std::collections::BTreeMap;

use serde_json::{Map, Value, json};
use toml::Value as Toml;

use crate::crd::DEFAULT_IMAGE;

/// The official Node image the operator is tested with.
pub const NODE_IMAGE: &str = "ghcr.io/openclaw/openclaw:2026.9.6";

/// The translation: the resource, and what could not be carried over.
#[derive(Debug, Clone, PartialEq)]
pub struct Imported {
    /// The `OpenClaw` resource.
    pub resource: Value,
    /// What the operator now decides itself (said, so nobody looks for it).
    pub handled: Vec<String>,
    /// What could not be mapped, with why.
    pub unmapped: Vec<String>,
}

/// Translates `text` (a fly.toml). `secret_names` are the app's secrets (from
/// the API, names only); `name`/`namespace` the resource's metadata.
pub fn import(
    text: &str,
    name: Option<&str>,
    namespace: &str,
    secret_names: &[String],
) -> Result<Imported, String> {
    let doc: toml::Table = text
        .parse()
        .map_err(|e| format!("not a valid fly.toml: {e}"))?;
    let mut t = Translation::default();
    let app = doc.get("app").and_then(Toml::as_str).map(str::to_owned);
    let mut fly = Map::new();
    if let Some(app) = &app {
        fly.insert("app".into(), json!(app));
    }
    if let Some(region) = doc.get("primary_region").and_then(Toml::as_str) {
        fly.insert("region".into(), json!(region));
    }
    let mut gateway = Map::new();
    let mut secrets: BTreeMap<String, Value> = BTreeMap::new();
    for (key, value) in &doc {
        match key.as_str() {
            "app" | "primary_region" => {}
            "build" => {}
            "env" => t.env(value, &mut secrets, &mut gateway),
            "processes" | "experimental" => {}
            "http_service" | "services" => {}
            "vm" => t.vm(value, &mut fly),
            "mounts" => t.mounts(value, &mut fly),
            "checks" => t.handled.push(
                "[checks]: the operator sets its own HTTP check on /healthz at the gateway's port"
                    .into(),
            ),
            "kill_signal" | "kill_timeout" => t.unmapped.push(format!(
                "{key} = {value}: the operator stops the gateway with Fly's defaults; not mapped"
            )),
            other => t.unmapped.push(format!(
                "{other}: not something an OpenClaw resource holds; not mapped"
            )),
        }
    }
    let command = t.command(&doc);
    let image = t.image(&doc, command.as_deref());
    if let Some(cmd) = &command {
        t.flags(cmd, &mut gateway);
    }
    let exposure = t.exposure(&doc, &mut gateway);
    fly.insert("exposure".into(), json!(exposure));
    // A non-loopback bind needs a token; the guide sets OPENCLAW_GATEWAY_TOKEN as a secret.
    secrets.remove("OPENCLAW_GATEWAY_TOKEN");
    gateway.insert(
        "auth".into(),
        json!({ "token": { "env": "OPENCLAW_GATEWAY_TOKEN" } }),
    );
    for s in secret_names {
        if s != "OPENCLAW_GATEWAY_TOKEN" {
            secrets.insert(s.clone(), json!({ "name": s, "env": s }));
        }
    }
    if secret_names.is_empty() {
        t.handled.push(
            "secrets: a fly.toml names none; list the app's with `fly secrets list` (or run import \
             with FLY_API_TOKEN set) and add each as {name: X, env: X}: the operator reads the \
             value from its own environment"
                .into(),
        );
    }
    let mut spec = Map::new();
    spec.insert("image".into(), json!(image));
    spec.insert("fly".into(), Value::Object(fly));
    spec.insert("gateway".into(), Value::Object(gateway));
    if !secrets.is_empty() {
        spec.insert(
            "secrets".into(),
            json!(secrets.into_values().collect::<Vec<_>>()),
        );
    }
    let name = name
        .map(str::to_owned)
        .or(app)
        .ok_or("the fly.toml has no `app`; give the resource a name with --name")?;
    let resource = json!({
        "apiVersion": "openclaw.ai/v1alpha1",
        "kind": "OpenClaw",
        "metadata": { "name": name, "namespace": namespace },
        "spec": spec,
    });
    Ok(Imported {
        resource,
        handled: t.handled,
        unmapped: t.unmapped,
    })
}

#[derive(Default)]
struct Translation {
    handled: Vec<String>,
    unmapped: Vec<String>,
}

/// Names that hold credentials.
fn looks_secret(name: &str) -> bool {
    let n = name.to_ascii_uppercase();
    ["TOKEN", "KEY", "SECRET", "PASSWORD", "PASSWD", "CREDENTIAL"]
        .iter()
        .any(|w| n.contains(w))
}

impl Translation {
    fn env(
        &mut self,
        value: &Toml,
        secrets: &mut BTreeMap<String, Value>,
        gateway: &mut Map<String, Value>,
    ) {
        let Some(env) = value.as_table() else {
            return self
                .unmapped
                .push("[env] is not a table; not mapped".into());
        };
        for (k, v) in env {
            let shown = v
                .as_str()
                .map_or_else(|| v.to_string(), |s| format!("{s:?}"));
            match k.as_str() {
                "OPENCLAW_STATE_DIR" if v.as_str() == Some("/data") => self
                    .handled
                    .push("[env] OPENCLAW_STATE_DIR = \"/data\": the operator always sets it, on the volume".into()),
                "OPENCLAW_STATE_DIR" => self.unmapped.push(format!(
                    "[env] OPENCLAW_STATE_DIR = {shown}: the operator keeps state at /data on the volume; not mapped"
                )),
                "NODE_OPTIONS" => self.handled.push(format!(
                    "[env] NODE_OPTIONS = {shown}: the operator sets --max-old-space-size to 3/4 of the VM's memory for the Node image"
                )),
                "OPENCLAW_GATEWAY_PORT" => {
                    if let Some(p) = v.as_str().and_then(|s| s.parse::<u16>().ok()) {
                        gateway.insert("port".into(), json!(p));
                    }
                    self.handled.push(format!("[env] OPENCLAW_GATEWAY_PORT = {shown}: spec.gateway.port"));
                }
                name if looks_secret(name) => {
                    secrets.insert(name.to_owned(), json!({ "name": name, "env": name }));
                    self.unmapped.push(format!(
                        "[env] {name} holds a secret in plain text in fly.toml: it is now read from \
                         the operator's environment (`env: {name}`); rotate it, it was committed"
                    ));
                }
                name => self.unmapped.push(format!(
                    "[env] {name} = {shown}: the resource has no plain environment variables (the \
                     operator sets the gateway's own); not mapped"
                )),
            }
        }
    }

    fn vm(&mut self, value: &Toml, fly: &mut Map<String, Value>) {
        let vms: Vec<&toml::Table> = match value {
            Toml::Array(a) => a.iter().filter_map(Toml::as_table).collect(),
            Toml::Table(t) => vec![t],
            _ => vec![],
        };
        let Some(vm) = vms.first() else {
            return self.unmapped.push("[[vm]] is empty; not mapped".into());
        };
        if vms.len() > 1 {
            self.unmapped.push(format!(
                "[[vm]]: {} entries (per process group); the gateway's machine takes the first",
                vms.len()
            ));
        }
        let mut out = Map::new();
        for (k, v) in *vm {
            match k.as_str() {
                "size" => {
                    out.insert("size".into(), json!(v.as_str()));
                }
                "memory" | "memory_mb" => match memory_mb(v) {
                    Some(mb) => {
                        out.insert("memoryMb".into(), json!(mb));
                    }
                    None => self
                        .unmapped
                        .push(format!("[[vm]] {k} = {v}: not a memory size; not mapped")),
                },
                "cpus" => {
                    out.insert("cpus".into(), json!(v.as_integer()));
                }
                "cpu_kind" => {
                    out.insert("cpuKind".into(), json!(v.as_str()));
                }
                "processes" => {}
                other => self
                    .unmapped
                    .push(format!("[[vm]] {other} = {v}: not mapped")),
            }
        }
        fly.insert("vm".into(), Value::Object(out));
    }

    fn mounts(&mut self, value: &Toml, fly: &mut Map<String, Value>) {
        let mounts: Vec<&toml::Table> = match value {
            Toml::Array(a) => a.iter().filter_map(Toml::as_table).collect(),
            Toml::Table(t) => vec![t],
            _ => vec![],
        };
        let Some(m) = mounts.first() else { return };
        let mut volume = Map::new();
        if let Some(src) = m.get("source").and_then(Toml::as_str) {
            volume.insert("name".into(), json!(src));
        }
        if let Some(gb) = m.get("initial_size").and_then(size_gb) {
            volume.insert("sizeGb".into(), json!(gb));
        }
        match m.get("destination").and_then(Toml::as_str) {
            Some("/data") | None => {}
            Some(other) => self.unmapped.push(format!(
                "[mounts] destination = {other:?}: the operator mounts the volume at /data (OPENCLAW_STATE_DIR); not mapped"
            )),
        }
        for k in m.keys() {
            if !matches!(
                k.as_str(),
                "source" | "destination" | "initial_size" | "processes"
            ) {
                self.unmapped.push(format!("[mounts] {k}: not mapped"));
            }
        }
        if mounts.len() > 1 {
            self.unmapped.push(
                "[mounts]: only the first mount is the gateway's volume; the others are not mapped"
                    .into(),
            );
        }
        fly.insert("volume".into(), Value::Object(volume));
    }

    /// The gateway's command: `[processes] app` (or the only process), else `[experimental] cmd`.
    fn command(&mut self, doc: &toml::Table) -> Option<String> {
        if let Some(procs) = doc.get("processes").and_then(Toml::as_table) {
            let pick = procs
                .get("app")
                .or_else(|| (procs.len() == 1).then(|| procs.values().next()).flatten());
            for (k, _) in procs
                .iter()
                .filter(|(k, _)| procs.get("app").is_some() && k.as_str() != "app")
            {
                self.unmapped.push(format!(
                    "[processes] {k}: the resource runs one process, the gateway; not mapped"
                ));
            }
            return pick.and_then(Toml::as_str).map(str::to_owned);
        }
        let cmd = doc.get("experimental").and_then(|e| e.get("cmd"))?;
        match cmd {
            Toml::Array(a) => Some(
                a.iter()
                    .filter_map(Toml::as_str)
                    .collect::<Vec<_>>()
                    .join(" "),
            ),
            Toml::String(s) => Some(s.clone()),
            _ => None,
        }
    }

    fn image(&mut self, doc: &toml::Table, command: Option<&str>) -> String {
        let node = command.is_some_and(|c| c.trim_start().starts_with("node"));
        let build = doc.get("build").and_then(Toml::as_table);
        if let Some(image) = build.and_then(|b| b.get("image")).and_then(Toml::as_str) {
            return image.to_owned();
        }
        let (image, what) = if node {
            (
                NODE_IMAGE,
                "the Node gateway's official image (the command runs `node dist/index.js`)",
            )
        } else {
            (DEFAULT_IMAGE, "this repository's Rust gateway")
        };
        if build.is_some() {
            self.unmapped.push(format!(
                "[build]: Fly builds the image at deploy; the operator runs a pushed image. spec.image \
                 is {image}, {what}; push yours and set it instead if you build your own"
            ));
        }
        image.to_owned()
    }

    /// `--port` and `--bind` of `openclaw gateway` / `node dist/index.js gateway`.
    fn flags(&mut self, command: &str, gateway: &mut Map<String, Value>) {
        let words: Vec<&str> = command.split_whitespace().collect();
        let Some(at) = words.iter().position(|w| *w == "gateway") else {
            return self.unmapped.push(format!(
                "the command {command:?} does not run `gateway`; the operator runs the gateway"
            ));
        };
        let mut i = at + 1;
        while i < words.len() {
            let w = words[i];
            let (flag, inline) = match w.split_once('=') {
                Some((f, v)) => (f, Some(v)),
                None => (w, None),
            };
            let mut value = || {
                inline.map(str::to_owned).or_else(|| {
                    i += 1;
                    words.get(i).map(|s| (*s).to_owned())
                })
            };
            match flag {
                "--allow-unconfigured" => {}
                "--port" => {
                    if let Some(p) = value().and_then(|v| v.parse::<u16>().ok()) {
                        gateway.insert("port".into(), json!(p));
                    }
                }
                "--bind" => {
                    if let Some(b) = value() {
                        gateway.insert("bind".into(), json!(b));
                    }
                }
                "--token" | "--password" => {
                    value();
                    self.unmapped.push(format!(
                        "{flag} on the command line: a secret in fly.toml; dropped (the token is \
                         read from OPENCLAW_GATEWAY_TOKEN in the operator's environment) — rotate it"
                    ));
                }
                other => self
                    .unmapped
                    .push(format!("gateway flag {other}: not mapped")),
            }
            i += 1;
        }
    }

    /// `public` with an `[http_service]` (or a TLS/443 service), else `private`.
    fn exposure(&mut self, doc: &toml::Table, gateway: &mut Map<String, Value>) -> &'static str {
        let http = doc.get("http_service").and_then(Toml::as_table);
        let services: Vec<&toml::Table> = doc
            .get("services")
            .and_then(Toml::as_array)
            .map(|a| a.iter().filter_map(Toml::as_table).collect())
            .unwrap_or_default();
        let internal = http
            .and_then(|h| h.get("internal_port"))
            .or_else(|| services.first().and_then(|s| s.get("internal_port")))
            .and_then(Toml::as_integer);
        if let Some(p) = internal.and_then(|p| u16::try_from(p).ok()) {
            match gateway.get("port").and_then(Value::as_u64) {
                Some(flag) if flag != u64::from(p) => self.unmapped.push(format!(
                    "internal_port = {p} but the gateway listens on --port {flag}: Fly's health \
                     checks fail (the guide's trap); the operator uses one port for both, {flag}"
                )),
                Some(_) => {}
                None => {
                    gateway.insert("port".into(), json!(p));
                }
            }
        }
        let service_keys = |t: &toml::Table, section: &str, this: &mut Self| {
            for (k, v) in t {
                match k.as_str() {
                    "internal_port" | "processes" | "protocol" | "ports" => {}
                    "force_https" | "auto_start_machines" => {}
                    "auto_stop_machines"
                        if matches!(v, Toml::Boolean(false)) || v.as_str() == Some("off") => {}
                    "min_machines_running" if v.as_integer().is_some_and(|n| n >= 1) => {}
                    "checks" | "http_checks" | "tcp_checks" => this.handled.push(format!(
                        "[{section}] {k}: the operator sets its own HTTP check on /healthz"
                    )),
                    other => this.unmapped.push(format!(
                        "[{section}] {other} = {v}: the operator keeps one gateway machine always \
                         running; not mapped"
                    )),
                }
            }
        };
        if let Some(h) = http {
            service_keys(h, "http_service", self);
            self.handled.push(
                "[http_service]: exposure public (shared IPv4 + IPv6, TLS on 443, HTTP redirected to HTTPS)".into(),
            );
            return "public";
        }
        let tls = services.iter().any(|s| {
            s.get("ports")
                .and_then(Toml::as_array)
                .is_some_and(|ports| {
                    ports.iter().any(|p| {
                        p.get("port").and_then(Toml::as_integer) == Some(443)
                            || p.get("handlers")
                                .and_then(Toml::as_array)
                                .is_some_and(|h| h.iter().any(|x| x.as_str() == Some("tls")))
                    })
                })
        });
        for s in &services {
            service_keys(s, "services", self);
        }
        if tls {
            self.handled
                .push("[[services]] with TLS on 443: exposure public".into());
            "public"
        } else {
            self.handled.push(
                "no [http_service]: exposure private (a flycast address only; every public IP is released)".into(),
            );
            "private"
        }
    }
}

/// `"2048mb"`, `"2gb"`, `2048` → MB.
fn memory_mb(v: &Toml) -> Option<u64> {
    match v {
        Toml::Integer(n) => u64::try_from(*n).ok(),
        Toml::String(s) => {
            let s = s.trim().to_ascii_lowercase();
            let (num, unit) = s.split_at(s.find(|c: char| !c.is_ascii_digit()).unwrap_or(s.len()));
            let n: u64 = num.parse().ok()?;
            match unit.trim() {
                "" | "mb" | "m" => Some(n),
                "gb" | "g" => Some(n * 1024),
                _ => None,
            }
        }
        _ => None,
    }
}

/// `"1gb"`, `1` → GB.
fn size_gb(v: &Toml) -> Option<u64> {
    match v {
        Toml::Integer(n) => u64::try_from(*n).ok(),
        Toml::String(s) => {
            let s = s.trim().to_ascii_lowercase();
            s.trim_end_matches("gb")
                .trim_end_matches('g')
                .trim()
                .parse()
                .ok()
        }
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The deployment guide's fly.toml, verbatim (`tests/fixtures/guide-fly.toml`).
    const GUIDE: &str = include_str!("../../../tests/fixtures/guide-fly.toml");
    const PRIVATE: &str = include_str!("../../../../fly.private.toml");

    #[test]
    fn the_guides_fly_toml() {
        let out = import(GUIDE, None, "default", &[]).unwrap();
        let spec = &out.resource["spec"];
        assert_eq!(out.resource["metadata"]["name"], "my-openclaw");
        assert_eq!(
            spec["image"], NODE_IMAGE,
            "`node dist/index.js` is the Node gateway"
        );
        assert_eq!(spec["fly"]["app"], "my-openclaw");
        assert_eq!(spec["fly"]["region"], "iad");
        assert_eq!(
            spec["fly"]["vm"],
            json!({"size": "shared-cpu-2x", "memoryMb": 2048})
        );
        assert_eq!(spec["fly"]["volume"], json!({"name": "openclaw_data"}));
        assert_eq!(spec["fly"]["exposure"], "public");
        assert_eq!(spec["gateway"]["port"], 3000);
        assert_eq!(spec["gateway"]["bind"], "lan");
        assert_eq!(
            spec["gateway"]["auth"]["token"]["env"],
            "OPENCLAW_GATEWAY_TOKEN"
        );
        let unmapped = out.unmapped.join("\n");
        for needle in ["NODE_ENV", "OPENCLAW_PREFER_PNPM", "[build]"] {
            assert!(unmapped.contains(needle), "{needle} in {unmapped}");
        }
        let handled = out.handled.join("\n");
        assert!(handled.contains("NODE_OPTIONS"), "{handled}");
        assert!(handled.contains("OPENCLAW_STATE_DIR"), "{handled}");
    }

    #[test]
    fn our_private_fly_toml() {
        let out = import(
            PRIVATE,
            Some("private-claw"),
            "team",
            &["ANTHROPIC_API_KEY".into(), "OPENCLAW_GATEWAY_TOKEN".into()],
        )
        .unwrap();
        let spec = &out.resource["spec"];
        assert_eq!(
            out.resource["metadata"],
            json!({"name": "private-claw", "namespace": "team"})
        );
        assert_eq!(spec["image"], DEFAULT_IMAGE);
        assert_eq!(spec["fly"]["exposure"], "private");
        assert_eq!(spec["fly"]["vm"]["memoryMb"], 256);
        assert_eq!(spec["gateway"]["port"], 3000);
        assert_eq!(
            spec["secrets"],
            json!([{"name": "ANTHROPIC_API_KEY", "env": "ANTHROPIC_API_KEY"}]),
            "names only; the token is spec.gateway.auth"
        );
    }

    #[test]
    fn secrets_in_plain_text_become_references_and_traps_are_said() {
        let text = r#"
app = "x"
[env]
  ANTHROPIC_API_KEY = "sk-ant-123"
[processes]
  app = "openclaw gateway --port 3000 --bind lan --token hunter2"
[http_service]
  internal_port = 8080
  auto_stop_machines = "stop"
"#;
        let out = import(text, None, "default", &[]).unwrap();
        let yaml = out.resource.to_string();
        assert!(
            !yaml.contains("sk-ant-123") && !yaml.contains("hunter2"),
            "never copied: {yaml}"
        );
        assert_eq!(
            out.resource["spec"]["secrets"][0]["env"],
            "ANTHROPIC_API_KEY"
        );
        let unmapped = out.unmapped.join("\n");
        assert!(unmapped.contains("rotate it"), "{unmapped}");
        assert!(
            unmapped.contains("internal_port = 8080 but the gateway listens on --port 3000"),
            "{unmapped}"
        );
        assert!(unmapped.contains("auto_stop_machines"), "{unmapped}");
    }

    #[test]
    fn sizes() {
        assert_eq!(memory_mb(&Toml::String("2048mb".into())), Some(2048));
        assert_eq!(memory_mb(&Toml::String("2gb".into())), Some(2048));
        assert_eq!(memory_mb(&Toml::Integer(512)), Some(512));
        assert_eq!(size_gb(&Toml::String("3gb".into())), Some(3));
    }
}
