//! The official clients from npm (`openclaw@2026.9.6` on Node 24, its Control UI
//! build, playwright-core) as `.ci/tools.sh` installs them; a test fails naming
//! the variable when one is missing.

#![allow(dead_code)] // each test binary uses a different part

use std::path::{Path, PathBuf};
use std::time::Duration;

use serde_json::Value;

/// A tool path from `.ci/tools.sh`.
pub fn tool(var: &str) -> String {
    std::env::var(var).unwrap_or_else(|_| {
        panic!("{var} is not set: run the tests through .ci/test, or `source .ci/tools.sh` first (it installs Node 24, openclaw@2026.9.6 and playwright-core)")
    })
}

/// The Control UI build shipped in the npm package.
pub fn control_ui_dir() -> PathBuf {
    let cli = PathBuf::from(tool("OPENCLAW_NODE_CLI"));
    let dir = cli
        .parent()
        .expect("openclaw.mjs has a directory")
        .join("dist/control-ui");
    assert!(
        dir.join("index.html").is_file(),
        "no Control UI build at {}",
        dir.display()
    );
    dir
}

/// Debian's Chromium (installed by `.ci/run`).
pub fn chromium() -> String {
    std::env::var("OPENCLAW_CHROMIUM").unwrap_or_else(|_| "/usr/bin/chromium".into())
}

/// The official CLI's output.
pub struct CliRun {
    pub ok: bool,
    pub stdout: String,
    pub stderr: String,
}

impl CliRun {
    /// The JSON document the command printed (after any banner).
    pub fn json(&self) -> Value {
        let start = self.stdout.find(['{', '[']).unwrap_or_else(|| {
            panic!(
                "no JSON in the CLI's output:\n{}\n{}",
                self.stdout, self.stderr
            )
        });
        serde_json::from_str(&self.stdout[start..])
            .unwrap_or_else(|e| panic!("the CLI's output is not JSON ({e}):\n{}", self.stdout))
    }

    pub fn assert_ok(&self, what: &str) -> &Self {
        assert!(self.ok, "{what} failed:\n{}\n{}", self.stdout, self.stderr);
        self
    }
}

/// Runs the official CLI against the gateway on `port` (token auth from the
/// environment, as a user on the gateway host would), sharing its state dir.
pub async fn cli(args: &[&str], state_dir: &Path, port: u16, token: &str) -> CliRun {
    let home = state_dir.join("cli-home");
    std::fs::create_dir_all(&home).expect("CLI home");
    let out = tokio::time::timeout(
        Duration::from_secs(90),
        tokio::process::Command::new(tool("OPENCLAW_NODE24"))
            .arg(tool("OPENCLAW_NODE_CLI"))
            .args(args)
            .env_clear()
            .env("PATH", std::env::var("PATH").unwrap_or_default())
            .env("HOME", &home)
            .env("OPENCLAW_STATE_DIR", state_dir)
            .env("OPENCLAW_GATEWAY_PORT", port.to_string())
            .env("OPENCLAW_GATEWAY_TOKEN", token)
            .env("NO_COLOR", "1")
            .output(),
    )
    .await
    .unwrap_or_else(|_| panic!("`openclaw {}` did not finish within 90 s", args.join(" ")))
    .expect("the CLI runs");
    CliRun {
        ok: out.status.success(),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    }
}
