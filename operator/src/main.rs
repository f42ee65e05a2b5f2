//! `openclaw-operator`: a thin entry point; everything lives in the library.

use clap::Parser;
use openclaw_operator::cli::{Cli, Command};
use openclaw_operator::commands;

fn main() -> anyhow::Result<()> {
    let cli = Cli::parse();
    match cli.command {
        Command::Crd => {
            print!("{}", openclaw_operator::crd::crd_yaml()?);
            Ok(())
        }
        Command::Plan(args) => {
            let code = runtime()?.block_on(commands::plan::plan(args))?;
            std::process::exit(code)
        }
        Command::Up(args) => runtime()?.block_on(commands::up::up(args)),
    }
}

fn runtime() -> std::io::Result<tokio::runtime::Runtime> {
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
}
