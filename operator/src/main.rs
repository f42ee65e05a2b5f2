//! `openclaw-operator`: a thin entry point; everything lives in the library.

use clap::Parser;
use openclaw_operator::cli::{Cli, Command};

fn main() -> anyhow::Result<()> {
    let cli = Cli::parse();
    match cli.command {
        Command::Crd => {
            print!("{}", openclaw_operator::crd::crd_yaml()?);
            Ok(())
        }
        Command::Plan(_) | Command::Up(_) => {
            anyhow::bail!("not implemented yet")
        }
    }
}
