//! `openclaw`: the gateway binary. Everything lives in the library so the operator can
//! embed the same entry point in its multi-call binary.

fn main() -> std::process::ExitCode {
    openclaw_gateway::cli::run(std::env::args_os())
}
