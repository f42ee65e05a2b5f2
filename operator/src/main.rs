//! `openclaw-operator`: a thin entry point; everything lives in the library.
//!
//! Multi-call: invoked as `openclaw` (a symlink, or the alias fly-local puts
//! on a machine's PATH) this binary is the gateway itself, so the operator and
//! the gateway ship as one file.

use std::process::ExitCode;

use clap::Parser;
use openclaw_operator::cli::{Cli, Command};
use openclaw_operator::commands;

fn main() -> anyhow::Result<ExitCode> {
    let invoked_as = std::env::args_os()
        .next()
        .and_then(|a| {
            std::path::Path::new(&a)
                .file_name()
                .map(|n| n.to_string_lossy().into_owned())
        })
        .unwrap_or_default();
    if invoked_as == "openclaw" {
        return Ok(openclaw_gateway::cli::run(std::env::args_os()));
    }
    let cli = Cli::parse();
    match cli.command {
        Command::Crd => {
            print!("{}", openclaw_operator::crd::crd_yaml()?);
            Ok(ExitCode::SUCCESS)
        }
        Command::Plan(args) => {
            let code = runtime()?.block_on(commands::plan::plan(args))?;
            Ok(ExitCode::from(code))
        }
        Command::Up(args) => {
            runtime()?.block_on(commands::up::up(args))?;
            Ok(ExitCode::SUCCESS)
        }
        Command::Run(args) => {
            runtime()?.block_on(commands::run::run(args))?;
            Ok(ExitCode::SUCCESS)
        }
        Command::Status(args) => code(commands::status::status(args)),
        Command::Logs(args) => code(commands::logs::logs(args)),
        Command::Token(args) => code(commands::token::token(args)),
        Command::Proxy(args) => code(commands::proxy::proxy(args)),
        Command::Import(args) => code(commands::import::import(args)),
    }
}

/// Runs a day-2 command, which logs to stderr (warnings only, unless
/// RUST_LOG says otherwise) and returns its exit code.
fn code(cmd: impl std::future::Future<Output = anyhow::Result<u8>>) -> anyhow::Result<ExitCode> {
    openclaw_operator::telemetry::to_stderr_quiet();
    Ok(ExitCode::from(runtime()?.block_on(cmd)?))
}

fn runtime() -> std::io::Result<tokio::runtime::Runtime> {
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
}
