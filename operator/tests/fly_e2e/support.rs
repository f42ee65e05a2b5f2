//! The end-to-end harness: a fly-local (library, real gateway processes as
//! machines) on a free port, resource files in a temp dir, and the operator
//! binary run as a user runs it (`up --no-table`), talking to fly-local over
//! HTTP exactly as it talks to Fly. Readiness comes from the operator's own
//! signals (its "listening" line, `/status`), never from sleeps.

use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use fly_local::{FlyLocal, ImageSpec};
use serde_json::Value;
use tokio::process::{Child, Command};

/// The test's gateway token (its value must never appear in operator output).
pub const TOKEN: &str = "e2e-gateway-token-5f1c";

/// Image of the stand-in for the old Node gateway.
pub const OLD_NODE_IMAGE: &str = "standin/old-node:2026.1.29";

fn target_dir() -> PathBuf {
    let exe = std::env::current_exe().expect("test executable");
    exe.parent()
        .and_then(Path::parent)
        .expect("target dir")
        .to_path_buf()
}

/// Our gateway image → the operator's multi-call binary run as `openclaw`.
/// Always this one, never a `target/debug/openclaw` lying around: cargo rebuilds
/// it for these tests, so the machines run the code under test, not a stale build.
fn gateway_image() -> ImageSpec {
    let mut spec = ImageSpec {
        pattern: "registry.fly.io/openclaw-rs:*".into(),
        path: vec![target_dir()],
        ..ImageSpec::default()
    };
    spec.bin.insert(
        "openclaw".into(),
        env!("CARGO_BIN_EXE_openclaw-operator").into(),
    );
    spec
}

/// A stand-in that behaves like the old Node gateway the deployment guide
/// was written for: it refuses to start while any `gateway.*.lock` exists in
/// its state dir, writes one while it runs, and deletes it on SIGTERM (but
/// not on SIGKILL). Installed as `node`, so the operator's Node command line
/// (`node dist/index.js gateway …`) runs it.
fn old_node_image(dir: &Path) -> ImageSpec {
    let python = which("python3");
    let script = format!(
        r#"#!{python}
import glob, http.server, json, os, signal, sys
state = os.environ.get("OPENCLAW_STATE_DIR", "/data")
args = sys.argv[1:]
port = int(args[args.index("--port") + 1]) if "--port" in args else 18789
locks = glob.glob(os.path.join(state, "gateway.*.lock"))
if locks:
    print("Gateway failed to start: gateway already running; lock file " + locks[0], file=sys.stderr, flush=True)
    sys.exit(1)
with open("/proc/self/stat") as f:
    start = int(f.read().rsplit(")", 1)[1].split()[19])
lock = os.path.join(state, "gateway.41895371.lock")
with open(lock, "w") as f:
    json.dump({{"pid": os.getpid(), "startTime": start}}, f, indent=2)
def term(*_):
    os.remove(lock)
    sys.exit(0)
signal.signal(signal.SIGTERM, term)
class H(http.server.BaseHTTPRequestHandler):
    def do_GET(self):
        self.send_response(200 if self.path == "/healthz" else 404)
        self.end_headers()
        self.wfile.write(b'{{"ok":true}}')
    def log_message(self, *a):
        pass
print("[gateway] listening on ws://0.0.0.0:%d (PID %d)" % (port, os.getpid()), flush=True)
http.server.HTTPServer(("0.0.0.0", port), H).serve_forever()
"#
    );
    // Machines get a fresh /tmp, so the program must live elsewhere: in a
    // directory of its own under the target dir (written atomically).
    let bin = dir.join(format!("e2e-old-node-{}", std::process::id()));
    std::fs::create_dir_all(&bin).unwrap();
    let node = bin.join("node");
    let tmp = bin.join(".node.tmp");
    std::fs::write(&tmp, script).unwrap();
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(&tmp, std::fs::Permissions::from_mode(0o755)).unwrap();
    std::fs::rename(&tmp, &node).unwrap();
    ImageSpec {
        pattern: "standin/old-node:*".into(),
        path: vec![bin],
        ..ImageSpec::default()
    }
}

fn which(name: &str) -> String {
    let out = std::process::Command::new("sh")
        .arg("-c")
        .arg(format!("command -v {name}"))
        .output()
        .unwrap_or_else(|e| panic!("{name} is required (installed by .ci/run): {e}"));
    let path = String::from_utf8_lossy(&out.stdout).trim().to_owned();
    assert!(
        !path.is_empty(),
        "{name} is required for the old-gateway stand-in"
    );
    path
}

/// One test's world: fly-local, a resource directory, a state directory.
pub struct World {
    pub fly: FlyLocal,
    pub resources: tempfile::TempDir,
    pub state: tempfile::TempDir,
    _data: tempfile::TempDir,
    pub http: reqwest::Client,
}

impl World {
    pub async fn start() -> Self {
        let data = tempfile::tempdir().unwrap();
        let fly = FlyLocal::builder()
            .data_dir(data.path().join("fly-local"))
            .image(gateway_image())
            .image(old_node_image(&target_dir()))
            .start()
            .await
            .expect("fly-local starts");
        Self {
            fly,
            resources: tempfile::tempdir().unwrap(),
            state: tempfile::tempdir().unwrap(),
            _data: data,
            http: reqwest::Client::new(),
        }
    }

    /// Writes (or replaces) a resource file.
    pub fn write(&self, file: &str, yaml: &str) {
        let tmp = self.resources.path().join(format!(".{file}.tmp"));
        std::fs::write(&tmp, yaml).unwrap();
        std::fs::rename(tmp, self.resources.path().join(file)).unwrap();
    }

    pub fn remove(&self, file: &str) {
        std::fs::remove_file(self.resources.path().join(file)).unwrap();
    }

    /// Starts `openclaw-operator up` against this world's fly-local.
    pub async fn operator(&self, extra_env: &[(&str, &str)]) -> Operator {
        Operator::start(self, &[self.resources.path()], extra_env).await
    }

    /// Starts `openclaw-operator up -f <each of paths>`.
    pub async fn operator_on(&self, paths: &[&Path]) -> Operator {
        Operator::start(self, paths, &[]).await
    }

    /// Runs `openclaw-operator plan -f <resources>` as `up` would be run; its stdout.
    pub async fn plan(&self) -> String {
        let out = Command::new(env!("CARGO_BIN_EXE_openclaw-operator"))
            .arg("plan")
            .arg("-f")
            .arg(self.resources.path())
            .env("FLY_API_TOKEN", self.fly.token())
            .env("FLY_FLAPS_BASE_URL", self.fly.base_url())
            .env("XDG_STATE_HOME", self.state.path())
            .env("E2E_GATEWAY_TOKEN", TOKEN)
            .output()
            .await
            .expect("plan runs");
        String::from_utf8_lossy(&out.stdout).into_owned()
    }

    /// The records of applied resources in this world's state directory.
    pub fn records(&self) -> Vec<PathBuf> {
        let dir = self.state.path().join("openclaw-operator/applied");
        let mut out: Vec<PathBuf> = std::fs::read_dir(dir)
            .map(|d| d.flatten().map(|e| e.path()).collect())
            .unwrap_or_default();
        out.retain(|p| p.extension().is_some_and(|x| x == "json"));
        out.sort();
        out
    }

    /// GET (or another method) on fly-local with its token.
    pub async fn api(
        &self,
        method: reqwest::Method,
        path: &str,
        body: Option<Value>,
    ) -> (u16, Value) {
        let mut req = self
            .http
            .request(method, format!("{}{path}", self.fly.base_url()))
            .bearer_auth(self.fly.token());
        if let Some(b) = body {
            req = req.json(&b);
        }
        let resp = req.send().await.expect("fly-local answers");
        let status = resp.status().as_u16();
        let text = resp.text().await.unwrap_or_default();
        (
            status,
            serde_json::from_str(&text).unwrap_or(Value::String(text)),
        )
    }

    pub async fn get(&self, path: &str) -> (u16, Value) {
        self.api(reqwest::Method::GET, path, None).await
    }

    /// Highest request-log sequence number so far.
    pub async fn last_seq(&self) -> u64 {
        let (_, v) = self.get("/__fly-local/requests").await;
        v["requests"]
            .as_array()
            .and_then(|r| r.iter().filter_map(|x| x["seq"].as_u64()).max())
            .unwrap_or(0)
    }

    /// Mutating API calls logged after `seq`, as `METHOD path`.
    pub async fn writes_since(&self, seq: u64) -> Vec<String> {
        let (_, v) = self
            .get(&format!("/__fly-local/requests?since={seq}"))
            .await;
        v["requests"]
            .as_array()
            .into_iter()
            .flatten()
            .filter(|r| r["mutating"] == true && r["seq"].as_u64().unwrap_or(0) > seq)
            .map(|r| {
                format!(
                    "{} {}",
                    r["method"].as_str().unwrap_or(""),
                    r["path"].as_str().unwrap_or("")
                )
            })
            .collect()
    }

    /// The app's machines (non-destroyed).
    pub async fn machines(&self, app: &str) -> Vec<Value> {
        let (_, v) = self.get(&format!("/v1/apps/{app}/machines")).await;
        v.as_array().cloned().unwrap_or_default()
    }

    /// deletionPolicy Orphan's result: the app's one machine still running,
    /// no longer owned, marked as orphaned from `owner` (what re-adding adopts).
    pub async fn assert_orphaned(&self, app: &str, owner: &str) {
        let machines = self.machines(app).await;
        assert_eq!(machines.len(), 1, "Orphan keeps the machine: {machines:#?}");
        assert_eq!(machines[0]["state"], "started");
        let metadata = &machines[0]["config"]["metadata"];
        assert!(metadata.get("openclaw.ai/owner").is_none(), "{metadata:#}");
        assert_eq!(metadata["openclaw.ai/orphaned-from"], owner, "{metadata:#}");
    }

    /// `http://127.0.0.1:PORT` where the machine's service is exposed.
    pub async fn local_url(&self, machine: &str) -> String {
        let (_, v) = self
            .get(&format!("/__fly-local/machines/{machine}/endpoint"))
            .await;
        let p = &v["service_ports"][0];
        format!(
            "http://{}:{}",
            p["host"].as_str().unwrap_or("127.0.0.1"),
            p["port"]
        )
    }
}

/// A running `openclaw-operator up`.
pub struct Operator {
    child: Child,
    pub base: String,
    output: Arc<Mutex<String>>,
    http: reqwest::Client,
}

impl Operator {
    async fn start(world: &World, paths: &[&Path], extra_env: &[(&str, &str)]) -> Self {
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_openclaw-operator"));
        cmd.args([
            "up",
            "--no-table",
            "--resync",
            "2s",
            "--check-interval",
            "300ms",
        ])
        .args(["--metrics-addr", "127.0.0.1:0"])
        .args(paths.iter().flat_map(|p| [Path::new("-f"), p]))
        .env("FLY_API_TOKEN", world.fly.token())
        .env("FLY_FLAPS_BASE_URL", world.fly.base_url())
        .env("XDG_STATE_HOME", world.state.path())
        .env("E2E_GATEWAY_TOKEN", TOKEN)
        .env("RUST_LOG", "info")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .kill_on_drop(true);
        for (k, v) in extra_env {
            cmd.env(k, v);
        }
        let mut child = cmd.spawn().expect("the operator starts");
        let crate::output::Output {
            all: output,
            lines: mut rx,
        } = crate::output::capture(&mut child);
        let base = tokio::time::timeout(Duration::from_secs(30), async {
            while let Some(line) = rx.recv().await {
                if let Some(rest) = line.split("/status on ").nth(1) {
                    return rest.trim().to_owned();
                }
            }
            panic!(
                "the operator exited before listening: {}",
                output.lock().unwrap()
            );
        })
        .await
        .expect("the operator announces its status server");
        Self {
            child,
            base,
            output,
            http: reqwest::Client::new(),
        }
    }

    /// Everything the operator printed (logs included).
    pub fn output(&self) -> String {
        self.output.lock().unwrap().clone()
    }

    /// `/status` of one resource.
    pub async fn status(&self, key: &str) -> Value {
        let v: Value = self
            .http
            .get(format!("{}/status", self.base))
            .send()
            .await
            .expect("status server answers")
            .json()
            .await
            .unwrap();
        v["resources"][key].clone()
    }

    pub async fn metrics(&self) -> String {
        self.http
            .get(format!("{}/metrics", self.base))
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap()
    }

    /// Polls `/status` until `pred` holds for `key` (the operator's own
    /// readiness signal), or fails after `secs` with the last status.
    pub async fn wait_for(
        &self,
        key: &str,
        secs: u64,
        what: &str,
        pred: impl Fn(&Value) -> bool,
    ) -> Value {
        let deadline = tokio::time::Instant::now() + Duration::from_secs(secs);
        loop {
            let s = self.status(key).await;
            if pred(&s) {
                return s;
            }
            if tokio::time::Instant::now() > deadline {
                panic!(
                    "{key} never became {what}: {s:#}\n--- operator output ---\n{}",
                    self.output()
                );
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    /// Waits until the operator has printed `needle`, or fails after 10 s.
    pub async fn wait_output(&self, needle: &str) {
        let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
        while !self.output().contains(needle) {
            assert!(
                tokio::time::Instant::now() < deadline,
                "the operator never printed {needle:?}:\n{}",
                self.output()
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    pub async fn wait_phase(&self, key: &str, phase: &str) -> Value {
        self.wait_for(key, 60, phase, |s| s["status"]["phase"] == phase)
            .await
    }

    /// Waits until the resource has been reconciled `n` more times (resyncs).
    pub async fn wait_reconciles(&self, n: u64) {
        let count = |m: &str| -> u64 {
            m.lines()
                .filter(|l| l.starts_with("openclaw_operator_reconciles_total"))
                .filter_map(|l| l.rsplit(' ').next()?.parse::<u64>().ok())
                .sum()
        };
        let start = count(&self.metrics().await);
        let deadline = tokio::time::Instant::now() + Duration::from_secs(30);
        while count(&self.metrics().await) < start + n {
            assert!(
                tokio::time::Instant::now() < deadline,
                "no reconcile happened"
            );
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    /// SIGKILL, as a crash would.
    pub async fn kill(mut self) -> String {
        let _ = self.child.kill().await;
        self.output()
    }

    /// Waits for the process to exit by itself (failpoint), with its output.
    pub async fn exited(mut self) -> String {
        let _ = tokio::time::timeout(Duration::from_secs(60), self.child.wait())
            .await
            .expect("the operator exits");
        // Let the output readers drain.
        tokio::time::sleep(Duration::from_millis(50)).await;
        self.output()
    }
}

/// A resource file for `name` with `spec` (YAML mapping body, indented 2).
pub fn resource(name: &str, spec: &str) -> String {
    format!(
        "apiVersion: openclaw.ai/v1alpha1\nkind: OpenClaw\nmetadata:\n  name: {name}\n  namespace: e2e\nspec:\n{spec}"
    )
}

/// The spec lines every test resource shares: our gateway, token from the env.
pub const TOKEN_SPEC: &str = "  gateway:\n    auth:\n      token: { env: E2E_GATEWAY_TOKEN }\n";
