//! `openclaw gateway`: the start-up sequence, in the original's order, then serving.
//!
//! environment + `.env` → paths → config (exit 78 if invalid, file untouched) → settings
//! (refusals exit 78) → `--force` → lock (exit 78 if another gateway owns the state
//! dir) → bind (exit 1 if the port stays busy) → serve → on SIGTERM/SIGINT drain, delete
//! the lock, exit 0. Everything before serving is synchronous: no runtime, no threads.

use std::path::Path;
use std::process::ExitCode;
use std::time::Duration;

use crate::config::{self, GatewayMode, Paths};
use crate::env::Environment;
use crate::lock::{self, GatewayLock, LockRequest};
use crate::net::{force, listen};
use crate::settings::{Overrides, Settings, StartupError};
use crate::state::GatewayBuilder;

/// Flags of `openclaw gateway [run]` beyond those in [`Overrides`].
#[derive(Debug, Clone, Default)]
pub struct RunOptions {
    pub overrides: Overrides,
    pub allow_unconfigured: bool,
    pub verbose: bool,
}

/// Runs the gateway in the foreground until a signal stops it.
pub fn run(options: RunOptions, env: Environment, cwd: &Path) -> ExitCode {
    crate::logging::init(options.verbose);
    set_process_name();
    match start(options, env, cwd) {
        Ok(code) => code,
        Err(e) => {
            for line in e.message.lines() {
                eprintln!("{} {line}", crate::logging::timestamp());
            }
            ExitCode::from(e.exit_code)
        }
    }
}

fn start(options: RunOptions, mut env: Environment, cwd: &Path) -> Result<ExitCode, StartupError> {
    let dotenv = |env: &mut Environment, path: &Path| {
        env.load_dotenv(path)
            .map_err(|e| StartupError::config(e.to_string()))
    };
    dotenv(&mut env, &cwd.join(".env"))?;
    let state_dir = Paths::resolve(&env, cwd).state_dir;
    dotenv(&mut env, &state_dir.join(".env"))?;
    let paths = Paths::resolve(&env, cwd);

    tracing::info!(target: "gateway", "loading configuration…");
    let config = match config::load(&paths.config_path, &paths.include_roots, &env) {
        Ok(config) => config,
        Err(e) => {
            return Err(StartupError::config(format!(
                "Gateway failed to start: Invalid config at {}:\n{e}\nFix the file and restart; the gateway never rewrites it.",
                paths.config_path.display()
            )));
        }
    };
    let exists = config.is_some();
    let config = config.unwrap_or_default();
    if !options.allow_unconfigured {
        match (exists, config.gateway.mode) {
            (false, _) => {
                return Err(StartupError::config(
                    "Missing config. Run `openclaw setup` or set gateway.mode=local (or pass --allow-unconfigured).",
                ));
            }
            (true, None) => {
                return Err(StartupError::config(format!(
                    "Gateway start blocked: existing config is missing gateway.mode. Treat this as suspicious or clobbered config. Set gateway.mode=local in {} or pass --allow-unconfigured.",
                    paths.config_path.display()
                )));
            }
            (true, Some(GatewayMode::Remote)) => {
                return Err(StartupError::config(format!(
                    "Gateway start blocked: gateway.mode is \"remote\" in {} (this config points a client at another gateway). Set gateway.mode=local or pass --allow-unconfigured.",
                    paths.config_path.display()
                )));
            }
            (true, Some(GatewayMode::Local)) => {}
        }
    }

    crate::logs::file::configure(crate::logs::target(config.untyped.get("logging")));
    tracing::info!(target: "gateway", "log file: {}", crate::logs::file::current_file().display());
    tracing::info!(target: "gateway", "resolving authentication…");
    let in_container = crate::net::bind::in_container(&env);
    let settings = Settings::resolve(&options.overrides, &env, &config, paths, in_container)?;
    for warning in &settings.warnings {
        tracing::warn!(target: "gateway", "{warning}");
    }
    let unimplemented = config.unimplemented_keys();
    if !unimplemented.is_empty() {
        tracing::warn!(
            target: "gateway",
            "config keys accepted but not implemented by this gateway yet (ignored): {}",
            unimplemented.join(", ")
        );
    }

    if settings.force && settings.port != 0 {
        for victim in force::free_port(settings.port, Duration::from_secs(5)) {
            tracing::info!(target: "gateway", "force: killed pid {} ({}) on port {}", victim.pid, victim.name, settings.port);
        }
    }

    let mut held = if settings.skip_lock {
        None
    } else {
        let request = LockRequest {
            state_dir: &settings.paths.state_dir,
            config_path: &settings.paths.config_path,
            port: settings.port,
            timeout: lock::DEFAULT_TIMEOUT,
        };
        let (held, reclaimed) =
            GatewayLock::acquire(&request).map_err(|e| StartupError::config(e.to_string()))?;
        if let Some(r) = reclaimed {
            tracing::info!(
                target: "gateway",
                "reclaimed stale lock {} (previous owner pid {}: {})",
                held.path().display(),
                r.previous_pid.map_or("unknown".into(), |p| p.to_string()),
                r.reason
            );
        }
        Some(held)
    };

    let bound = match listen::bind(
        &settings.listen,
        settings.port,
        listen::BIND_ATTEMPTS,
        listen::BIND_RETRY_DELAY,
    ) {
        Ok(bound) => bound,
        Err(e) => {
            if let Some(lock) = held.take() {
                let _ = lock.release();
            }
            return Err(bind_failure(&settings, e));
        }
    };
    let addr = bound.local_addr();
    if let Some(lock) = held.as_mut() {
        lock.set_port(addr.port())
            .map_err(|e| StartupError::failure(format!("cannot update lock file: {e}")))?;
    }

    let mut builder = GatewayBuilder::new(settings, config, env);
    builder.lock_path = held.as_ref().map(|l| l.path().to_owned());
    crate::features::install(&mut builder);
    let gateway = builder.build();

    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| StartupError::failure(format!("cannot start the async runtime: {e}")))?;
    let served = runtime.block_on(crate::server::serve(gateway, bound));
    drop(runtime);
    if let Some(Err(e)) = held.map(GatewayLock::release) {
        tracing::warn!(target: "shutdown", "could not delete the lock file: {e}");
    }
    served
        .map(|_| ExitCode::SUCCESS)
        .map_err(|e| StartupError::failure(format!("Gateway stopped: {e}")))
}

fn bind_failure(settings: &Settings, e: std::io::Error) -> StartupError {
    let host = settings.listen.primary;
    let port = settings.port;
    if e.kind() != std::io::ErrorKind::AddrInUse {
        return StartupError::failure(format!(
            "Gateway failed to start: cannot listen on {host}:{port}: {e}"
        ));
    }
    let mut message = format!(
        "Gateway failed to start: another process is already listening on ws://{host}:{port} | listen EADDRINUSE: address already in use {host}:{port}\nPort {port} is already in use."
    );
    for l in force::listeners(port) {
        message.push_str(&format!(
            "\n- pid {}: {} ({host}:{port})",
            l.pid, l.command_line
        ));
    }
    message.push_str("\nStop it, pass --force to stop it for you, or pick another port with --port / OPENCLAW_GATEWAY_PORT.");
    StartupError::failure(message)
}

/// `ps` and `pkill` see `openclaw-gateway`, as for the original's process title.
fn set_process_name() {
    // SAFETY: PR_SET_NAME reads a NUL-terminated string of at most 16 bytes.
    unsafe {
        libc::prctl(
            libc::PR_SET_NAME,
            c"openclaw-gateway".as_ptr() as libc::c_ulong,
            0,
            0,
            0,
        );
    }
}
