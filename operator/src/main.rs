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
    }
}

fn runtime() -> std::io::Result<tokio::runtime::Runtime> {
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
}
