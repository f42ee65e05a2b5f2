//! The day-2 harness: `openclaw-operator up` with its embedded fly-local, as
//! a person runs it (no FLY_API_TOKEN), in a temporary state directory, and
//! the other commands (`status`, `logs`, `token`, `proxy`, `import`, `plan`)
//! run against it as separate processes. Readiness comes from the
//! operator's own signals (its start-up line, `/status`), never from sleeps.

use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use serde_json::Value;
use tokio::process::{Child, Command};

pub const BIN: &str = env!("CARGO_BIN_EXE_openclaw-operator");

/// A resource of our gateway with a generated token.
pub fn resource(name: &str, extra_spec: &str) -> String {
    format!(
        "apiVersion: openclaw.ai/v1alpha1\nkind: OpenClaw\nmetadata:\n  name: {name}\n  namespace: default\nspec:\n  gateway:\n    auth:\n      token: {{ generate: {{}} }}\n{extra_spec}"
    )
}

/// A person's machine: a state directory and a directory of resources.
pub struct Home {
    pub dir: tempfile::TempDir,
}

impl Home {
    pub fn new() -> Self {
        let home = Self {
            dir: tempfile::tempdir().unwrap(),
        };
        std::fs::create_dir_all(home.resources()).unwrap();
        // Our gateway image runs the binary under test (multi-call), never a
        // stale `openclaw` that happens to sit next to it.
        let table = format!(
            "images:\n  - pattern: 'registry.fly.io/openclaw-rs:*'\n    path: [{dir:?}]\n    cmd: [openclaw, gateway, --allow-unconfigured, --bind, lan, --port, '3000']\n    bin: {{ openclaw: {BIN:?} }}\n",
            dir = Path::new(BIN).parent().unwrap()
        );
        std::fs::write(home.images_file(), table).unwrap();
        home
    }

    pub fn state(&self) -> PathBuf {
        self.dir.path().join("state")
    }

    pub fn resources(&self) -> PathBuf {
        self.dir.path().join("resources")
    }

    pub fn images_file(&self) -> PathBuf {
        self.dir.path().join("images.yaml")
    }

    /// The operator's state directory (`$XDG_STATE_HOME/openclaw-operator`).
    pub fn operator_state(&self) -> PathBuf {
        self.state().join("openclaw-operator")
    }

    pub fn write(&self, file: &str, yaml: &str) {
        let tmp = self.resources().join(format!(".{file}.tmp"));
        std::fs::write(&tmp, yaml).unwrap();
        std::fs::rename(tmp, self.resources().join(file)).unwrap();
    }

    /// A command of the operator binary in this home.
    pub fn command(&self, args: &[&str]) -> Command {
        let mut cmd = Command::new(BIN);
        cmd.args(args)
            .env("XDG_STATE_HOME", self.state())
            .env_remove("FLY_API_TOKEN")
            .env_remove("FLY_FLAPS_BASE_URL")
            .env("RUST_LOG", "info")
            .env("OPENCLAW_GATEWAY_TOKEN", "day2-gateway-token")
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .kill_on_drop(true);
        // Killed with the test even when it cannot clean up (a timeout's
        // SIGKILL): `up` in its own process group would otherwise outlive it.
        // SAFETY: prctl(2) is async-signal-safe and touches no memory.
        unsafe {
            cmd.pre_exec(|| {
                libc::prctl(libc::PR_SET_PDEATHSIG, libc::SIGKILL);
                Ok(())
            });
        }
        cmd
    }

    /// Runs a command to its end: (exit code, stdout, stderr).
    pub async fn run(&self, args: &[&str]) -> (i32, String, String) {
        let out = tokio::time::timeout(Duration::from_secs(60), self.command(args).output())
            .await
            .unwrap_or_else(|_| panic!("{args:?} did not finish"))
            .unwrap();
        (
            out.status.code().unwrap_or(-1),
            String::from_utf8_lossy(&out.stdout).into_owned(),
            String::from_utf8_lossy(&out.stderr).into_owned(),
        )
    }

    /// `up -f resources` with the embedded fly-local, in its own process
    /// group (as a shell runs it), with `extra` arguments.
    pub async fn up(&self, extra: &[&str]) -> Up {
        let resources = self.resources();
        let images = self.images_file();
        let mut args = vec![
            "up",
            "--no-table",
            "--metrics-addr",
            "127.0.0.1:0",
            "--check-interval",
            "300ms",
            "--resync",
            "2s",
            "--images",
            images.to_str().unwrap(),
            "-f",
            resources.to_str().unwrap(),
        ];
        args.extend_from_slice(extra);
        let mut cmd = self.command(&args);
        cmd.process_group(0);
        let mut child = cmd.spawn().expect("up starts");
        let crate::output::Output { all, mut lines } = crate::output::capture(&mut child);
        let base = tokio::time::timeout(Duration::from_secs(30), async {
            while let Some(line) = lines.recv().await {
                if let Some(rest) = line.split("/status on ").nth(1) {
                    return rest.trim().to_owned();
                }
            }
            panic!("up exited before listening: {}", all.lock().unwrap());
        })
        .await
        .expect("up announces its status server");
        Up {
            child,
            base,
            output: all,
        }
    }
}

/// A running `up`.
pub struct Up {
    child: Child,
    pub base: String,
    output: Arc<Mutex<String>>,
}

impl Up {
    pub fn output(&self) -> String {
        self.output.lock().unwrap().clone()
    }

    pub async fn status(&self, key: &str) -> Value {
        let v: Value = reqwest::get(format!("{}/status", self.base))
            .await
            .expect("status answers")
            .json()
            .await
            .unwrap();
        v["resources"][key].clone()
    }

    /// Polls `/status` until `key` is in `phase` (60 s at most).
    pub async fn wait_phase(&self, key: &str, phase: &str) -> Value {
        self.wait_phase_within(key, phase, 60).await
    }

    /// Polls `/status` until `key` is in `phase`, `secs` at most.
    pub async fn wait_phase_within(&self, key: &str, phase: &str, secs: u64) -> Value {
        let deadline = tokio::time::Instant::now() + Duration::from_secs(secs);
        loop {
            let s = self.status(key).await;
            if s["status"]["phase"] == phase && (phase != "Ready" || s["localUrl"].is_string()) {
                return s;
            }
            assert!(
                tokio::time::Instant::now() < deadline,
                "{key} never became {phase}: {s:#}\n--- up ---\n{}",
                self.output()
            );
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    /// Ctrl-C as a terminal sends it (SIGINT to the process group), then
    /// waits for the exit; returns everything printed.
    pub async fn interrupt(mut self) -> String {
        let pid = self.child.id().expect("running") as i32;
        // SAFETY: kill(2) on our child's process group.
        assert_eq!(unsafe { libc::kill(-pid, libc::SIGINT) }, 0);
        tokio::time::timeout(Duration::from_secs(60), self.child.wait())
            .await
            .expect("up stops after Ctrl-C")
            .unwrap();
        // The output readers see the end of the pipes.
        let deadline = tokio::time::Instant::now() + Duration::from_secs(5);
        while !self.output().contains("openclaw-operator: stopped")
            && !self.output().contains("--down:")
            && tokio::time::Instant::now() < deadline
        {
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        self.output()
    }
}

/// GET `url`, its status (0 when nothing answers).
pub async fn http_status(url: &str) -> u16 {
    match reqwest::get(url).await {
        Ok(r) => r.status().as_u16(),
        Err(_) => 0,
    }
}
