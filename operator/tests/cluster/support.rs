//! The cluster harness: the API-server stand-in served over HTTP on a free
//! port with the `OpenClaw` CRD registered, and `openclaw-operator run`
//! started as a process with a kubeconfig pointing at it — exactly as it
//! runs against a cluster. Tests act as a person with `kubectl` would, through
//! their own client, and wait on watches (kube's `await_condition`), never
//! on sleeps.

use std::path::PathBuf;
use std::process::Stdio;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use k8s_openapi::api::core::v1::Namespace;
use k8s_openapi::apiextensions_apiserver::pkg::apis::apiextensions::v1::CustomResourceDefinition;
use kube::api::{Api, PostParams};
use kube::runtime::wait::await_condition;
use kube::{CustomResourceExt, Resource};
use kube_stand_in::{RequestRecord, Served, StandIn};
use openclaw_operator::crd::OpenClaw;
use serde::de::DeserializeOwned;
use tokio::process::{Child, Command};

/// The operator's bearer token, and the user it names in the request log.
pub const OPERATOR_TOKEN: &str = "operator-token";
/// See [`OPERATOR_TOKEN`].
pub const OPERATOR_USER: &str = "system:serviceaccount:openclaw-system:openclaw-operator";

/// How long any awaited condition may take.
pub const WAIT: Duration = Duration::from_secs(30);

/// A cluster: the stand-in, served, with the CRD and namespaces.
pub struct Cluster {
    pub stand_in: StandIn,
    pub served: Served,
    /// The tests' own client (user `tester`).
    pub client: kube::Client,
    pub dir: tempfile::TempDir,
}

impl Cluster {
    /// A cluster with the CRD and the given namespaces.
    pub async fn start(namespaces: &[&str]) -> Self {
        let stand_in = StandIn::new();
        stand_in.add_user(OPERATOR_TOKEN, OPERATOR_USER);
        stand_in.add_user("tester-token", "tester");
        let served = stand_in.serve().await.expect("the stand-in serves");
        let client = served.client("tester-token").await;
        let crds: Api<CustomResourceDefinition> = Api::all(client.clone());
        crds.create(&PostParams::default(), &OpenClaw::crd())
            .await
            .expect("the CRD registers");
        let ns: Api<Namespace> = Api::all(client.clone());
        for n in namespaces {
            let body: Namespace =
                serde_json::from_value(serde_json::json!({"metadata": {"name": n}})).unwrap();
            ns.create(&PostParams::default(), &body).await.unwrap();
        }
        Self {
            stand_in,
            served,
            client,
            dir: tempfile::tempdir().unwrap(),
        }
    }

    /// Writes a kubeconfig for `token`.
    pub fn kubeconfig(&self, token: &str) -> PathBuf {
        let path = self.dir.path().join(format!("kubeconfig-{token}"));
        self.served
            .write_kubeconfig(&path, token, "openclaw-system")
            .unwrap();
        path
    }

    /// Starts `openclaw-operator run ARGS` against this cluster.
    pub async fn operator(&self, args: &[&str], env: &[(&str, &str)]) -> Operator {
        Operator::start(self, OPERATOR_TOKEN, args, env).await
    }

    /// Starts `openclaw-operator run ARGS` as the user `user` (its own token).
    pub async fn operator_as(&self, user: &str, args: &[&str]) -> Operator {
        let token = format!("{user}-token");
        self.stand_in.add_user(&token, user);
        Operator::start(self, &token, args, &[]).await
    }

    /// A namespaced API for the tests' client.
    pub fn api<K>(&self, ns: &str) -> Api<K>
    where
        K: Resource<Scope = k8s_openapi::NamespaceResourceScope, DynamicType = ()>,
    {
        Api::namespaced(self.client.clone(), ns)
    }

    /// Requests the operator made.
    pub fn operator_requests(&self) -> Vec<RequestRecord> {
        self.requests_of(OPERATOR_USER)
    }

    /// Requests `user` made.
    pub fn requests_of(&self, user: &str) -> Vec<RequestRecord> {
        self.stand_in
            .requests()
            .into_iter()
            .filter(|r| r.user == user)
            .collect()
    }

    /// Waits until `user` has made a request matching `pred` (polling the
    /// stand-in's request log: the only signal of "the operator looked").
    pub async fn wait_request(
        &self,
        user: &str,
        what: &str,
        pred: impl Fn(&RequestRecord) -> bool,
    ) {
        let found = tokio::time::timeout(WAIT, async {
            loop {
                if self.requests_of(user).iter().any(&pred) {
                    return;
                }
                tokio::time::sleep(Duration::from_millis(20)).await;
            }
        })
        .await;
        assert!(found.is_ok(), "{user} never made a request for {what}");
    }
}

/// `run` flags for one operator watching `team-a` without leader election.
pub const TEAM_A: &[&str] = &["--namespace", "team-a", "--leader-election", "false"];

impl Cluster {
    /// Creates an object from JSON (as `kubectl create -f` would).
    pub async fn create<K>(&self, ns: &str, object: serde_json::Value) -> K
    where
        K: Resource<Scope = k8s_openapi::NamespaceResourceScope, DynamicType = ()>
            + Clone
            + DeserializeOwned
            + serde::Serialize
            + std::fmt::Debug,
    {
        let obj: K = serde_json::from_value(object).expect("a valid object");
        self.api::<K>(ns)
            .create(&PostParams::default(), &obj)
            .await
            .expect("created")
    }

    /// Creates `OpenClaw` `name` in `ns` with `spec` (YAML); returns the API.
    pub async fn create_claw(&self, ns: &str, name: &str, spec: &str) -> Api<OpenClaw> {
        let claws = self.api::<OpenClaw>(ns);
        let yaml = format!(
            "apiVersion: openclaw.ai/v1alpha1\nkind: OpenClaw\nmetadata: {{name: {name}}}\nspec: {spec}\n"
        );
        claws
            .create(&PostParams::default(), &openclaw(&yaml))
            .await
            .expect("the OpenClaw is created");
        claws
    }
}

/// Waits (on a watch) until `cond` holds for object `name`.
pub async fn wait_for<K>(
    api: &Api<K>,
    name: &str,
    what: &str,
    cond: impl Fn(Option<&K>) -> bool,
) -> Option<K>
where
    K: Resource + Clone + DeserializeOwned + std::fmt::Debug + Send + 'static,
{
    match tokio::time::timeout(WAIT, await_condition(api.clone(), name, cond)).await {
        Ok(Ok(obj)) => obj,
        Ok(Err(e)) => panic!("watching {name} for {what}: {e}"),
        Err(_) => {
            let now = api.get_opt(name).await.ok().flatten();
            panic!("{name} never reached {what} within {WAIT:?}; it is now: {now:#?}")
        }
    }
}

/// A running `openclaw-operator run`.
pub struct Operator {
    child: Child,
    /// `http://ADDR` of its `/metrics`, `/healthz` and `/status`.
    pub metrics: String,
    output: Arc<Mutex<String>>,
}

impl Operator {
    async fn start(cluster: &Cluster, token: &str, args: &[&str], env: &[(&str, &str)]) -> Self {
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_openclaw-operator"));
        cmd.arg("run")
            .args(["--metrics-addr", "127.0.0.1:0"])
            .args(args)
            .env("KUBECONFIG", cluster.kubeconfig(token))
            .env_remove("FLY_API_TOKEN")
            .env_remove("POD_NAMESPACE")
            .env_remove("POD_NAME")
            .env_remove("OPENCLAW_WATCH_NAMESPACES")
            .env("RUST_LOG", "info,kube=warn")
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .kill_on_drop(true);
        for (k, v) in env {
            cmd.env(k, v);
        }
        let mut child = cmd.spawn().expect("the operator starts");
        let crate::output::Output {
            all: output,
            lines: mut rx,
        } = crate::output::capture(&mut child);
        let metrics = tokio::time::timeout(WAIT, async {
            while let Some(line) = rx.recv().await {
                if line.contains("openclaw-operator run")
                    && let Some(addr) = line.split("metrics=").nth(1)
                {
                    return format!("http://{}", addr.split_whitespace().next().unwrap_or(""));
                }
            }
            panic!(
                "the operator exited before starting: {}",
                output.lock().unwrap()
            );
        })
        .await
        .unwrap_or_else(|_| {
            panic!(
                "the operator did not start within {WAIT:?}: {}",
                output.lock().unwrap()
            )
        });
        Self {
            child,
            metrics,
            output,
        }
    }

    /// Everything it printed.
    pub fn output(&self) -> String {
        self.output.lock().unwrap().clone()
    }

    /// `/metrics` text.
    pub async fn metrics_text(&self) -> String {
        reqwest::get(format!("{}/metrics", self.metrics))
            .await
            .expect("metrics answer")
            .text()
            .await
            .unwrap()
    }

    /// SIGKILL, as a crashed node would.
    pub async fn kill(mut self) -> String {
        let _ = self.child.kill().await;
        self.output()
    }

    /// SIGTERM, and wait for a clean exit.
    pub async fn terminate(mut self) -> String {
        if let Some(pid) = self.child.id() {
            let _ = std::process::Command::new("kill")
                .args(["-TERM", &pid.to_string()])
                .status();
        }
        let status = tokio::time::timeout(WAIT, self.child.wait())
            .await
            .expect("the operator exits on SIGTERM")
            .unwrap();
        assert!(status.success(), "exit status {status}: {}", self.output());
        self.output()
    }
}

impl Drop for Operator {
    /// A failing test shows what the operator said.
    fn drop(&mut self) {
        if std::thread::panicking() {
            eprintln!("--- operator output ---\n{}", self.output());
        }
    }
}

/// An `OpenClaw` from YAML.
pub fn openclaw(yaml: &str) -> OpenClaw {
    serde_saphyr::from_str(yaml).unwrap_or_else(|e| panic!("{e}: {yaml}"))
}
