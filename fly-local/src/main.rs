//! `fly-local`: serve a local Fly Machines API, or read a machine's logs.

use std::net::SocketAddr;
use std::path::PathBuf;

use anyhow::{Context, bail};
use clap::{Parser, Subcommand, ValueEnum};
use fly_local::{Delays, EgressSettings, FlyLocal, ImageSpec, ImageTable, Isolation, Settings};

#[derive(Parser)]
#[command(
    name = "fly-local",
    version,
    about = "A local, faithful Fly Machines API whose machines are real processes"
)]
struct Cli {
    #[command(subcommand)]
    command: Cmd,
}

#[derive(Subcommand)]
enum Cmd {
    /// Serve the Machines API (under /v1) and fly-local's admin API (under /__fly-local).
    Serve(Serve),
    /// Print a machine's captured stdout/stderr.
    Logs(Logs),
}

#[derive(Parser)]
struct Serve {
    /// Address to listen on.
    #[arg(long, default_value = "127.0.0.1:4280")]
    listen: SocketAddr,
    /// Data directory (state, machine roots, logs, volumes).
    #[arg(long)]
    data: PathBuf,
    /// API token clients must send (Bearer or FlyV1); random if not set.
    #[arg(long, env = "FLY_LOCAL_TOKEN", hide_env_values = true)]
    token: Option<String>,
    /// Image table entry PATTERN=DIR[:DIR…] (programs of images matching PATTERN are found in DIRs).
    #[arg(long = "image", value_name = "PATTERN=DIRS")]
    images: Vec<String>,
    /// Image table file (YAML or JSON, see the crate docs); entries from --image come first.
    #[arg(long = "images", value_name = "FILE")]
    images_file: Option<PathBuf>,
    /// Run all machines without processes (state machine only).
    #[arg(long)]
    simulate: bool,
    /// Region for machines and volumes created without one.
    #[arg(long, default_value = "iad")]
    region: String,
    /// How machine processes are isolated.
    #[arg(long, value_enum, default_value_t = IsolationArg::Auto)]
    isolation: IsolationArg,
    /// The slirp4netns program giving machines outbound network (namespace
    /// isolation); without it machines run with loopback only.
    #[arg(long, value_name = "PATH", default_value = "slirp4netns")]
    slirp4netns: PathBuf,
    /// Let machines reach services on this host's 127.0.0.1 at 10.0.2.2, given to them as
    /// FLY_LOCAL_HOST (a fly-local extension; off by default: machine code could reach
    /// every unauthenticated local service).
    #[arg(long)]
    host_loopback: bool,
    /// How long transient states (starting, stopping, …) last, in milliseconds.
    #[arg(long, default_value_t = 20)]
    transition_ms: u64,
    /// How long a volume stays bound to a destroyed machine, in milliseconds.
    #[arg(long, default_value_t = 0)]
    volume_unbind_ms: u64,
    /// App names that belong to another organization (GET → 403, create → 422).
    #[arg(long = "foreign-app")]
    foreign_apps: Vec<String>,
    /// Log as JSON lines.
    #[arg(long)]
    json_logs: bool,
}

#[derive(Clone, Copy, ValueEnum)]
enum IsolationArg {
    Auto,
    Namespaces,
    Host,
}

#[derive(Parser)]
struct Logs {
    /// Machine id.
    machine_id: String,
    /// Only accept the machine if it belongs to this app.
    #[arg(long)]
    app: Option<String>,
    /// Read from this data directory instead of a running server.
    #[arg(long)]
    data: Option<PathBuf>,
    /// Base URL of a running fly-local.
    #[arg(long, default_value = "http://127.0.0.1:4280")]
    url: String,
    #[arg(long, env = "FLY_LOCAL_TOKEN", hide_env_values = true)]
    token: Option<String>,
    /// Only the last N lines.
    #[arg(long)]
    tail: Option<usize>,
    /// Keep printing new lines as they are written (across restarts of the
    /// machine), until Ctrl-C or the machine is destroyed.
    #[arg(short = 'f', long)]
    follow: bool,
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    match Cli::parse().command {
        Cmd::Serve(args) => serve(args).await,
        Cmd::Logs(args) => logs(args).await,
    }
}

async fn serve(args: Serve) -> anyhow::Result<()> {
    init_tracing(args.json_logs);
    let mut table = ImageTable::default();
    for s in &args.images {
        table
            .images
            .push(ImageSpec::parse_short(s).map_err(anyhow::Error::msg)?);
    }
    if let Some(file) = &args.images_file {
        table.images.extend(
            ImageTable::from_file(file)
                .map_err(anyhow::Error::msg)?
                .images,
        );
    }
    let transition = std::time::Duration::from_millis(args.transition_ms);
    let settings = Settings {
        token: args.token.unwrap_or_default(),
        default_region: args.region,
        simulate: args.simulate,
        images: table,
        delays: Delays {
            launch: transition,
            start: transition,
            stop: transition,
            destroy: transition,
            volume_destroy: transition,
            volume_unbind: std::time::Duration::from_millis(args.volume_unbind_ms),
            ..Delays::default()
        },
        isolation: match args.isolation {
            IsolationArg::Auto => Isolation::Auto,
            IsolationArg::Namespaces => Isolation::Namespaces,
            IsolationArg::Host => Isolation::Host,
        },
        egress: EgressSettings {
            slirp4netns: args.slirp4netns,
            host_loopback: args.host_loopback,
        },
        foreign_apps: args.foreign_apps,
        ..Settings::default()
    };
    let server = FlyLocal::builder()
        .data_dir(&args.data)
        .listen(args.listen)
        .settings(settings)
        .start()
        .await
        .context("cannot start fly-local")?;
    eprintln!("fly-local: Machines API on {}/v1", server.base_url());
    eprintln!(
        "fly-local: export FLY_API_HOSTNAME={} FLY_API_TOKEN={}",
        server.base_url(),
        server.token()
    );
    eprintln!("fly-local: {}", server.egress().summary());
    tokio::signal::ctrl_c()
        .await
        .context("waiting for Ctrl-C")?;
    eprintln!(
        "fly-local: stopping (machine processes end; state stays in {})",
        args.data.display()
    );
    server.shutdown().await;
    Ok(())
}

async fn logs(args: Logs) -> anyhow::Result<()> {
    if let Some(data) = &args.data {
        let logs = fly_local::runtime::logs::Logs::new(data.join("machines"));
        if !data.join("machines").join(&args.machine_id).exists() {
            bail!("no machine {} in {}", args.machine_id, data.display());
        }
        let lines = logs.lines_after(&args.machine_id, None);
        let start = args.tail.map_or(0, |n| lines.len().saturating_sub(n));
        print_lines(&lines[start..]);
        if !args.follow {
            return Ok(());
        }
        let mut cursor = lines.iter().map(|l| l.nanos()).max().unwrap_or(0);
        loop {
            tokio::select! {
                _ = tokio::signal::ctrl_c() => return Ok(()),
                _ = tokio::time::sleep(std::time::Duration::from_millis(200)) => {}
            }
            let new = logs.lines_after(&args.machine_id, Some(cursor));
            if let Some(last) = new.last() {
                cursor = last.nanos();
                print_lines(&new);
            }
        }
    }
    let token = args
        .token
        .context("--token (or FLY_LOCAL_TOKEN) is required to read logs from a server")?;
    if let Some(app) = &args.app {
        let (status, _) = http_get(
            &args.url,
            &format!("/v1/apps/{app}/machines/{}", args.machine_id),
            &token,
        )
        .await?;
        if status != 200 {
            bail!(
                "machine {} not found in app {app} (HTTP {status})",
                args.machine_id
            );
        }
    }
    let mut path = format!(
        "/__fly-local/machines/{}/logs?follow={}",
        args.machine_id, args.follow
    );
    if let Some(n) = args.tail {
        path.push_str(&format!("&tail={n}"));
    }
    let mut resp = http_request(&args.url, &path, &token).await?;
    let status = resp.status().as_u16();
    if status != 200 {
        let body = read_body(resp).await?;
        bail!(
            "cannot read logs of {} (HTTP {status}): {body}",
            args.machine_id
        );
    }
    use http_body_util::BodyExt;
    use std::io::Write;
    loop {
        let frame = tokio::select! {
            _ = tokio::signal::ctrl_c() => return Ok(()),
            f = resp.frame() => f,
        };
        let Some(frame) = frame else { return Ok(()) };
        if let Ok(data) = frame?.into_data() {
            let mut out = std::io::stdout().lock();
            out.write_all(&data)?;
            out.flush()?;
        }
    }
}

fn print_lines(lines: &[fly_local::runtime::logs::LogLine]) {
    use std::io::Write;
    let mut out = std::io::stdout().lock();
    for l in lines {
        // A closed pipe (`| head`) ends the output; nothing to report.
        let _ = writeln!(out, "{}", l.text);
    }
    let _ = out.flush();
}

/// A minimal GET over HTTP/1 (the CLI talks to a local server only).
async fn http_get(base: &str, path: &str, token: &str) -> anyhow::Result<(u16, String)> {
    let resp = http_request(base, path, token).await?;
    let status = resp.status().as_u16();
    Ok((status, read_body(resp).await?))
}

async fn read_body(resp: hyper::Response<hyper::body::Incoming>) -> anyhow::Result<String> {
    use http_body_util::BodyExt;
    let body = resp.into_body().collect().await?.to_bytes();
    Ok(String::from_utf8_lossy(&body).into_owned())
}

/// Sends the GET; the body is read by the caller (streamed when following).
async fn http_request(
    base: &str,
    path: &str,
    token: &str,
) -> anyhow::Result<hyper::Response<hyper::body::Incoming>> {
    use http_body_util::Empty;
    let authority = base
        .strip_prefix("http://")
        .context("--url must be an http:// URL of a local fly-local")?
        .trim_end_matches('/');
    let stream = tokio::net::TcpStream::connect(authority)
        .await
        .with_context(|| format!("cannot connect to fly-local at {base}"))?;
    let (mut sender, conn) =
        hyper::client::conn::http1::handshake(hyper_util::rt::TokioIo::new(stream)).await?;
    tokio::spawn(conn);
    let req = hyper::Request::get(path)
        .header("host", authority)
        .header("authorization", format!("Bearer {token}"))
        .body(Empty::<bytes::Bytes>::new())?;
    Ok(sender.send_request(req).await?)
}

fn init_tracing(json: bool) {
    use tracing_subscriber::EnvFilter;
    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info"));
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr);
    if json {
        builder.json().init();
    } else {
        builder.init();
    }
}
