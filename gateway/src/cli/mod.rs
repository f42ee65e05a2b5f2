//! The `openclaw` command line: `openclaw gateway [run] [flags]`.
//!
//! Only the server side of the original CLI exists here; client subcommands (`gateway
//! call`, `health`, …) are the official CLI's job and are rejected with a clear message.

use std::ffi::OsString;
use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Args, Parser, Subcommand};

use crate::config::{AuthMode, BindMode};
use crate::env::Environment;
use crate::settings::Overrides;
use crate::startup::{self, RunOptions};

#[derive(Debug, Parser)]
#[command(name = "openclaw", version = crate::version::BUILD_ID, about = "OpenClaw gateway (Rust runtime)")]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Run the gateway (WebSocket control plane + HTTP) in the foreground.
    Gateway(GatewayCommand),
}

#[derive(Debug, Args)]
#[command(args_conflicts_with_subcommands = true)]
struct GatewayCommand {
    #[command(subcommand)]
    action: Option<GatewayAction>,
    #[command(flatten)]
    flags: GatewayFlags,
}

#[derive(Debug, Subcommand)]
enum GatewayAction {
    /// Run the gateway in the foreground (same as `openclaw gateway`).
    Run(GatewayFlags),
}

/// Flags of `openclaw gateway [run]`, as the original's.
#[derive(Debug, Clone, Args)]
struct GatewayFlags {
    /// Port for WebSocket and HTTP (default: $OPENCLAW_GATEWAY_PORT, gateway.port, 18789; 0 = any free port).
    #[arg(long)]
    port: Option<u16>,
    /// loopback | lan | auto | custom | tailnet (default: gateway.bind, else loopback; auto in a container).
    #[arg(long, value_parser = parse_bind)]
    bind: Option<BindMode>,
    /// Shared token clients must present (default: gateway.auth.token, $OPENCLAW_GATEWAY_TOKEN).
    #[arg(long)]
    token: Option<String>,
    /// Shared password (visible in process listings: prefer --password-file or $OPENCLAW_GATEWAY_PASSWORD).
    #[arg(long)]
    password: Option<String>,
    /// Read the shared password from this file.
    #[arg(long)]
    password_file: Option<PathBuf>,
    /// none | token | password (default: gateway.auth.mode, else from the secret given).
    #[arg(long, value_parser = parse_auth)]
    auth: Option<AuthMode>,
    /// Run without a config file or without gateway.mode=local (writes nothing).
    #[arg(long)]
    allow_unconfigured: bool,
    /// Stop whatever listens on the port first.
    #[arg(long)]
    force: bool,
    /// Debug logs.
    #[arg(long)]
    verbose: bool,
}

fn parse_bind(s: &str) -> Result<BindMode, String> {
    BindMode::parse(s).ok_or_else(|| {
        "Invalid --bind. Use \"loopback\", \"lan\", \"tailnet\", \"auto\", or \"custom\".".into()
    })
}

fn parse_auth(s: &str) -> Result<AuthMode, String> {
    AuthMode::parse(s).ok_or_else(|| {
        "Invalid --auth. Use \"none\", \"token\", \"password\", or \"trusted-proxy\".".into()
    })
}

/// Runs the command line `args` (argv[0] first) and returns the process exit code.
pub fn run(args: impl IntoIterator<Item = OsString>) -> ExitCode {
    let cli = match Cli::try_parse_from(args) {
        Ok(cli) => cli,
        Err(e) => {
            let _ = e.print();
            return ExitCode::from(e.exit_code() as u8);
        }
    };
    let Command::Gateway(gateway) = cli.command;
    let flags = match gateway.action {
        Some(GatewayAction::Run(flags)) => flags,
        None => gateway.flags,
    };
    let options = RunOptions {
        overrides: Overrides {
            port: flags.port,
            bind: flags.bind,
            token: flags.token,
            password: flags.password,
            password_file: flags.password_file,
            auth: flags.auth,
            force: flags.force,
        },
        allow_unconfigured: flags.allow_unconfigured,
        verbose: flags.verbose,
    };
    let cwd = std::env::current_dir().unwrap_or_else(|_| PathBuf::from("/"));
    startup::run(options, Environment::from_process(), &cwd)
}
