//! Health checks: the machine's top-level `checks` and each service's
//! `checks`, run on their interval against the machine's address (so a
//! process bound to loopback fails them, as on Fly), reported in machine GET
//! as `passing` / `warning` / `critical` with an output line.

use std::sync::Arc;
use std::time::Duration;

use http_body_util::Empty;
use hyper::Request;
use hyper::body::Bytes;
use hyper_util::rt::TokioIo;
use tokio::task::JoinHandle;

use super::Runtime;
use crate::clock::rfc3339;
use crate::model::config::{CheckView, ConfigView};
use crate::model::duration;
use crate::model::{CheckStatus, Machine};

/// One configured check with its resolved name and port.
#[derive(Debug, Clone)]
pub struct CheckSpec {
    pub name: String,
    pub check: CheckView,
    pub port: u16,
}

/// All checks of a config, named as Fly names them (`servicecheck-00-http-8080`
/// for service checks).
pub fn specs(view: &ConfigView) -> Vec<CheckSpec> {
    let mut out: Vec<CheckSpec> = view
        .checks
        .iter()
        .map(|(name, check)| CheckSpec {
            name: name.clone(),
            check: check.clone(),
            port: check.port.unwrap_or(0),
        })
        .collect();
    let mut n = 0;
    for service in &view.services {
        for check in &service.checks {
            let port = check.port.or(service.internal_port).unwrap_or(0);
            let kind = check.kind.clone().unwrap_or_else(|| "tcp".into());
            out.push(CheckSpec {
                name: format!("servicecheck-{n:02}-{kind}-{port}"),
                check: check.clone(),
                port,
            });
            n += 1;
        }
    }
    out
}

pub struct CheckTasks {
    tasks: Vec<JoinHandle<()>>,
}

impl Drop for CheckTasks {
    fn drop(&mut self) {
        for t in &self.tasks {
            t.abort();
        }
    }
}

impl CheckTasks {
    /// Starts the checks of a booted machine. Simulated machines report
    /// every check passing.
    pub fn start(rt: &Arc<Runtime>, machine: &Machine, simulated: bool) -> Self {
        let view: ConfigView = serde_json::from_value(machine.config.clone()).unwrap_or_default();
        let specs = specs(&view);
        let now = rfc3339(rt.clock.now());
        let initial = specs
            .iter()
            .map(|s| CheckStatus {
                name: s.name.clone(),
                status: if simulated { "passing" } else { "warning" }.into(),
                output: if simulated {
                    "simulated machine"
                } else {
                    "waiting for status update"
                }
                .into(),
                updated_at: now.clone(),
            })
            .collect();
        rt.set_checks(&machine.id, initial);
        if simulated {
            return Self { tasks: Vec::new() };
        }
        let tasks = specs
            .into_iter()
            .map(|spec| tokio::spawn(run_check(Arc::downgrade(rt), machine.id.clone(), spec)))
            .collect();
        Self { tasks }
    }
}

async fn run_check(rt: std::sync::Weak<Runtime>, machine_id: String, spec: CheckSpec) {
    let dur = |v: &Option<serde_json::Value>, default: Duration| {
        v.as_ref()
            .and_then(|v| duration::parse(v).ok())
            .unwrap_or(default)
    };
    let interval =
        dur(&spec.check.interval, Duration::from_secs(15)).max(Duration::from_millis(50));
    let timeout = dur(&spec.check.timeout, Duration::from_secs(2));
    let grace = dur(&spec.check.grace_period, Duration::ZERO);
    tokio::time::sleep(grace).await;
    loop {
        let Some(runtime) = rt.upgrade() else { return };
        let (status, output) =
            match tokio::time::timeout(timeout, probe(&runtime, &machine_id, &spec)).await {
                Ok(Ok(output)) => ("passing", output),
                Ok(Err(output)) => ("critical", output),
                Err(_) => (
                    "critical",
                    format!("timeout after {}", duration::format(timeout)),
                ),
            };
        runtime.update_check(&machine_id, &spec.name, status, &output);
        drop(runtime);
        tokio::time::sleep(interval).await;
    }
}

async fn probe(rt: &Runtime, machine_id: &str, spec: &CheckSpec) -> Result<String, String> {
    let stream = rt
        .connect(machine_id, spec.port, Duration::from_secs(5))
        .await
        .map_err(|e| format!("dial tcp :{}: connect: {e}", spec.port))?;
    if spec.check.kind.as_deref() != Some("http") {
        return Ok("Success".into());
    }
    let (mut sender, conn) = hyper::client::conn::http1::handshake(TokioIo::new(stream))
        .await
        .map_err(|e| format!("http handshake failed: {e}"))?;
    tokio::spawn(async move {
        let _ = conn.await;
    });
    let path = spec.check.path.clone().unwrap_or_else(|| "/".into());
    let method = spec
        .check
        .method
        .clone()
        .unwrap_or_else(|| "GET".into())
        .to_uppercase();
    let mut req = Request::builder()
        .method(method.as_str())
        .uri(&path)
        .header("host", format!("localhost:{}", spec.port))
        .header("user-agent", "Consul Health Check");
    for h in &spec.check.headers {
        for v in &h.values {
            req = req.header(h.name.as_str(), v.as_str());
        }
    }
    let req = req
        .body(Empty::<Bytes>::new())
        .map_err(|e| format!("bad check request: {e}"))?;
    let resp = sender
        .send_request(req)
        .await
        .map_err(|e| format!("{method} {path}: {e}"))?;
    let status = resp.status();
    let line = format!(
        "{method} {path}: {} {}",
        status.as_u16(),
        status.canonical_reason().unwrap_or("")
    );
    if status.is_success() || status.is_redirection() {
        Ok(line)
    } else {
        Err(line)
    }
}
