//! Exposes each service of a machine on a host port: fly-local listens on
//! 127.0.0.1 and forwards TCP to the machine's address at `internal_port`,
//! as Fly's proxy forwards public traffic. The host port stays the same for
//! the machine's life (across restarts and updates that keep the port).
//! Connections are refused while the machine is not started or is cordoned.

use std::sync::Arc;
use std::time::Duration;

use serde::Serialize;
use tokio::net::TcpListener;
use tokio::task::JoinHandle;

use super::Runtime;
use crate::model::MachineState;

/// Where one service is exposed on the host.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ServicePort {
    pub internal_port: u16,
    pub protocol: String,
    pub host: String,
    pub port: u16,
}

pub struct ProxySet {
    pub ports: Vec<ServicePort>,
    tasks: Vec<JoinHandle<()>>,
}

impl Drop for ProxySet {
    fn drop(&mut self) {
        for t in &self.tasks {
            t.abort();
        }
    }
}

impl ProxySet {
    pub fn internal_ports(&self) -> Vec<u16> {
        self.ports.iter().map(|p| p.internal_port).collect()
    }

    /// Listens for each TCP internal port (UDP services are reported with
    /// port 0: not proxied).
    pub async fn start(rt: &Arc<Runtime>, machine_id: &str, services: &[(String, u16)]) -> Self {
        let mut ports = Vec::new();
        let mut tasks = Vec::new();
        for (protocol, internal_port) in services {
            if protocol != "tcp" {
                ports.push(ServicePort {
                    internal_port: *internal_port,
                    protocol: protocol.clone(),
                    host: "127.0.0.1".into(),
                    port: 0,
                });
                continue;
            }
            let listener = match TcpListener::bind(("127.0.0.1", 0)).await {
                Ok(l) => l,
                Err(err) => {
                    tracing::error!(machine = machine_id, error = %err, "cannot listen for a service");
                    continue;
                }
            };
            let port = listener.local_addr().map(|a| a.port()).unwrap_or(0);
            tracing::info!(
                machine = machine_id,
                internal_port,
                host_port = port,
                "service exposed on 127.0.0.1:{port}"
            );
            ports.push(ServicePort {
                internal_port: *internal_port,
                protocol: protocol.clone(),
                host: "127.0.0.1".into(),
                port,
            });
            tasks.push(tokio::spawn(accept_loop(
                Arc::downgrade(rt),
                machine_id.to_owned(),
                *internal_port,
                listener,
            )));
        }
        Self { ports, tasks }
    }
}

async fn accept_loop(
    rt: std::sync::Weak<Runtime>,
    machine_id: String,
    internal_port: u16,
    listener: TcpListener,
) {
    loop {
        let Ok((mut inbound, _)) = listener.accept().await else {
            continue;
        };
        let Some(rt) = rt.upgrade() else { return };
        let id = machine_id.clone();
        tokio::spawn(async move {
            let routable = rt
                .shared
                .read()
                .machines
                .get(&id)
                .is_some_and(|m| m.state == MachineState::Started && !m.cordoned);
            if !routable {
                return;
            }
            match rt.connect(&id, internal_port, Duration::from_secs(5)).await {
                Ok(mut outbound) => {
                    let _ = tokio::io::copy_bidirectional(&mut inbound, &mut outbound).await;
                }
                Err(err) => {
                    tracing::debug!(machine = %id, internal_port, error = %err, "proxy: machine not reachable");
                }
            }
        });
    }
}
