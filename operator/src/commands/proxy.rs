//! `proxy NAME [LOCAL_PORT]`: a local port forwarded to a gateway, for a
//! private (flycast) one above all.
//!
//! - On a fly-local (the embedded one of a running `up`, or one given with
//!   `FLY_FLAPS_BASE_URL`): to where that fly-local exposes the machine's
//!   service, re-resolved per connection, so it survives heals and restarts.
//! - On Fly: `fly proxy` reaches private addresses through a WireGuard tunnel
//!   into the organization's private network (6PN) that flyctl opens itself
//!   (its agent creates a WireGuard peer through Fly's GraphQL API and runs
//!   userspace WireGuard), and dials `APP.internal` / `APP.flycast` inside it.
//!   This operator has no WireGuard of its own: it forwards to the machine's
//!   6PN address (`private_ip` from the Machines API) at its internal port,
//!   which works from any host with a route into 6PN — a tunnel made with
//!   `fly wireguard create ORG REGION NAME wg0.conf` and `wg-quick up`, or a
//!   Fly machine of the same organization. Without one it says so and names
//!   `fly proxy`, rather than listening on a port that leads nowhere.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use futures::future::BoxFuture;

use crate::access::{Forwarder, Upstream, authority};
use crate::cli::ProxyArgs;
use crate::embedded::LocalAdmin;
use crate::metrics::Metrics;
use crate::{connect, running, telemetry};

/// The gateway's port when nothing says otherwise.
const DEFAULT_GATEWAY_PORT: u16 = 3000;

/// How long the reachability check of a 6PN address may take.
const PROBE_TIMEOUT: Duration = Duration::from_secs(3);

/// Forwards until Ctrl-C.
pub async fn proxy(args: ProxyArgs) -> anyhow::Result<u8> {
    let (upstream, port, description) = find_upstream(&args).await?;
    let local_port = args.local_port.unwrap_or(port);
    let addr = SocketAddr::new(args.bind, local_port);
    let fwd = Forwarder::bind(addr, upstream).map_err(|e| {
        anyhow::anyhow!(
            "cannot listen on {addr}: {e}; give another port: openclaw-operator proxy {} PORT",
            args.name
        )
    })?;
    eprintln!(
        "Proxying {} to {} ({description}); Ctrl-C stops.",
        fwd.local_addr(),
        args.name
    );
    println!("http://{}/", fwd.local_addr());
    crate::commands::up::shutdown_signal().await;
    Ok(0)
}

/// A fixed `host:port`.
struct Fixed(String);

impl Upstream for Fixed {
    fn resolve(&self) -> BoxFuture<'_, Result<String, String>> {
        Box::pin(async move { Ok(self.0.clone()) })
    }
}

/// A fly-local machine's service, looked up per connection (machines change).
struct LocalMachines {
    client: fly_machines::Client,
    admin: LocalAdmin,
    app: String,
    port: u16,
}

impl Upstream for LocalMachines {
    fn resolve(&self) -> BoxFuture<'_, Result<String, String>> {
        Box::pin(async move {
            let id = started_machine(&self.client, &self.app).await?.0;
            let url =
                self.admin.local_url(&id, self.port).await.ok_or_else(|| {
                    format!("machine {id} exposes no service on port {}", self.port)
                })?;
            authority(&url).ok_or_else(|| format!("unexpected local URL {url}"))
        })
    }
}

/// A Fly machine's 6PN address, looked up per connection.
struct PrivateNetwork {
    client: fly_machines::Client,
    app: String,
    port: u16,
}

impl Upstream for PrivateNetwork {
    fn resolve(&self) -> BoxFuture<'_, Result<String, String>> {
        Box::pin(async move {
            let (_, ip) = started_machine(&self.client, &self.app).await?;
            Ok(format!("[{ip}]:{}", self.port))
        })
    }
}

/// The first started machine of `app`: its id and 6PN address.
async fn started_machine(
    client: &fly_machines::Client,
    app: &str,
) -> Result<(String, String), String> {
    let machines = client
        .machines(app)
        .list(&fly_machines::ListMachines::default())
        .await
        .map_err(|e| format!("listing the machines of {app}: {e}"))?;
    machines
        .into_iter()
        .find(|m| m.state == fly_machines::MachineState::Started)
        .map(|m| (m.id.clone(), m.private_ip.clone().unwrap_or_default()))
        .ok_or_else(|| format!("app {app} has no started machine"))
}

/// The internal port of the gateway's machine service (else 3000).
async fn internal_port(client: &fly_machines::Client, app: &str) -> u16 {
    let machines = client
        .machines(app)
        .list(&fly_machines::ListMachines::default())
        .await
        .unwrap_or_default();
    machines
        .iter()
        .filter_map(|m| m.config.as_ref())
        .flat_map(|c| c.services.iter())
        .find_map(|s| s.internal_port)
        .unwrap_or(DEFAULT_GATEWAY_PORT)
}

async fn find_upstream(args: &ProxyArgs) -> anyhow::Result<(Arc<dyn Upstream>, u16, String)> {
    let state = telemetry::state_dir();
    let found = running::find(&state, &args.name).await?;
    let mut app = args
        .app
        .clone()
        .unwrap_or_else(|| super::logs::bare_name(&args.name));
    if let Some(found) = &found {
        if let Some(url) = found.entry["localUrl"].as_str()
            && let Some(target) = authority(url)
        {
            // `up` keeps this port for the resource, whatever serves it.
            let port = DEFAULT_GATEWAY_PORT;
            return Ok((
                Arc::new(Fixed(target)),
                port,
                format!("through `up`'s local port {url}"),
            ));
        }
        if let Some(a) = found.entry["status"]["fly"]["app"].as_str() {
            app = a.to_owned();
        }
        if found.up.advert.fly_local.is_some() {
            anyhow::bail!(
                "{} has no running gateway right now (see `openclaw-operator status {}`)",
                found.key,
                found.key.name
            );
        }
    }
    let Some(conn) = connect::from_args(&args.fly, Arc::new(Metrics::new()))? else {
        anyhow::bail!(
            "no running `up` declares {} and FLY_API_TOKEN is not set: start `up`, or set \
             FLY_API_TOKEN to reach app {app} on Fly",
            args.name
        );
    };
    let raw = args.fly.fly_api_token.clone().unwrap_or_default();
    let port = internal_port(&conn.client, &app).await;
    if let Some(admin) = LocalAdmin::detect(&args.fly.fly_api_url, &raw).await {
        let up = LocalMachines {
            client: conn.client,
            admin,
            app: app.clone(),
            port,
        };
        return Ok((
            Arc::new(up),
            port,
            format!("app {app} on the fly-local at {}", args.fly.fly_api_url),
        ));
    }
    let (machine, ip) = started_machine(&conn.client, &app)
        .await
        .map_err(anyhow::Error::msg)?;
    let target = format!("[{ip}]:{port}");
    let reachable = tokio::time::timeout(PROBE_TIMEOUT, tokio::net::TcpStream::connect(&target))
        .await
        .is_ok_and(|r| r.is_ok());
    if !reachable {
        anyhow::bail!(
            "machine {machine} of app {app} is at {target} on Fly's private network (6PN), which \
             this host cannot reach. `fly proxy` gets there through a WireGuard tunnel it opens \
             itself; this operator needs one to exist: `fly wireguard create <org> <region> <name> \
             wg0.conf && sudo wg-quick up ./wg0.conf`, then run this again — or use flyctl's own: \
             `fly proxy {}:{port} {app}.flycast -a {app}`",
            args.local_port.unwrap_or(port)
        );
    }
    let up = PrivateNetwork {
        client: conn.client,
        app: app.clone(),
        port,
    };
    Ok((
        Arc::new(up),
        port,
        format!("app {app} over Fly's private network"),
    ))
}
