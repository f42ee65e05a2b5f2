//! Test support: an embedded fly-local on a free port with a temporary data
//! dir, and an HTTP client that validates every exchange against the spec.

pub mod spec;

use std::path::{Path, PathBuf};
use std::time::Duration;

use fly_local::{Delays, FlyLocal, FlyLocalBuilder, ImageSpec};
use serde_json::{Value, json};

pub const TOKEN: &str = "test-token";

pub struct TestServer {
    pub server: Option<FlyLocal>,
    pub dir: tempfile::TempDir,
    pub api: Api,
}

impl TestServer {
    /// A server whose machines are simulated (no processes).
    pub async fn simulated() -> Self {
        Self::start(|b| b.simulate(true)).await
    }

    pub async fn start(configure: impl FnOnce(FlyLocalBuilder) -> FlyLocalBuilder) -> Self {
        let dir = tempfile::tempdir().expect("tempdir");
        let server = configure(base_builder(dir.path()))
            .start()
            .await
            .expect("start fly-local");
        let api = Api::new(&server.base_url());
        Self {
            server: Some(server),
            dir,
            api,
        }
    }

    /// Stops the server and starts a new one on the same data dir.
    pub async fn restart(&mut self, configure: impl FnOnce(FlyLocalBuilder) -> FlyLocalBuilder) {
        if let Some(s) = self.server.take() {
            s.shutdown().await;
        }
        let server = configure(base_builder(self.dir.path()))
            .start()
            .await
            .expect("restart fly-local");
        self.api = Api::new(&server.base_url());
        self.server = Some(server);
    }

    pub fn data_dir(&self) -> &Path {
        self.dir.path()
    }

    /// Creates an app and returns its name.
    pub async fn app(&self, name: &str) -> String {
        let r = self
            .api
            .post("/v1/apps", json!({"name": name, "org_slug": "personal"}))
            .await;
        assert_eq!(r.status, 201, "create app: {}", r.body);
        name.to_owned()
    }
}

fn base_builder(dir: &Path) -> FlyLocalBuilder {
    FlyLocal::builder()
        .data_dir(dir.join("data"))
        .token(TOKEN)
        .delays(Delays {
            launch: Duration::from_millis(10),
            start: Duration::from_millis(10),
            stop: Duration::from_millis(10),
            destroy: Duration::from_millis(10),
            volume_unbind: Duration::ZERO,
            volume_destroy: Duration::from_millis(10),
            restart_backoff: Duration::from_millis(20),
        })
}

/// The stand-in machine program (a small Python HTTP server).
pub fn standin_image(pattern: &str) -> ImageSpec {
    let dir = PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/tests/machines"));
    ImageSpec {
        pattern: pattern.to_owned(),
        path: vec![dir.clone()],
        cmd: vec![
            "python3".into(),
            dir.join("standin.py").display().to_string(),
        ],
        env: [("PYTHONUNBUFFERED".to_string(), "1".to_string())].into(),
        ..ImageSpec::default()
    }
}

#[derive(Debug, Clone)]
pub struct Resp {
    pub status: u16,
    pub body: Value,
    pub text: String,
    pub headers: reqwest::header::HeaderMap,
}

#[derive(Clone)]
pub struct Api {
    base: String,
    http: reqwest::Client,
    token: Option<String>,
}

impl Api {
    pub fn new(base: &str) -> Self {
        Self {
            base: base.to_owned(),
            http: reqwest::Client::new(),
            token: Some(TOKEN.to_owned()),
        }
    }

    pub fn with_auth(&self, token: Option<&str>) -> Self {
        Self {
            token: token.map(str::to_owned),
            ..self.clone()
        }
    }

    pub async fn get(&self, path: &str) -> Resp {
        self.send("GET", path, None, &[], true).await
    }

    pub async fn post(&self, path: &str, body: Value) -> Resp {
        self.send("POST", path, Some(body), &[], true).await
    }

    pub async fn put(&self, path: &str, body: Value) -> Resp {
        self.send("PUT", path, Some(body), &[], true).await
    }

    pub async fn delete(&self, path: &str) -> Resp {
        self.send("DELETE", path, None, &[], true).await
    }

    /// A request with extra headers.
    pub async fn with_headers(
        &self,
        method: &str,
        path: &str,
        body: Option<Value>,
        headers: &[(&str, &str)],
    ) -> Resp {
        self.send(method, path, body, headers, true).await
    }

    /// A request that deliberately departs from the spec (bad input, or a
    /// client variant the API accepts); only the response is validated.
    pub async fn off_spec(&self, method: &str, path: &str, body: Option<Value>) -> Resp {
        self.send(method, path, body, &[], false).await
    }

    /// Sends raw bytes (invalid JSON, huge bodies); the response is validated.
    pub async fn raw(&self, method: &str, path: &str, body: Vec<u8>) -> Resp {
        let req = self
            .request(method, path)
            .header("content-type", "application/json")
            .body(body);
        self.finish(method, path, None, false, req).await
    }

    fn request(&self, method: &str, path: &str) -> reqwest::RequestBuilder {
        let mut req = self.http.request(
            method.parse().expect("method"),
            format!("{}{path}", self.base),
        );
        if let Some(t) = &self.token {
            req = req.bearer_auth(t);
        }
        req
    }

    async fn send(
        &self,
        method: &str,
        path: &str,
        body: Option<Value>,
        headers: &[(&str, &str)],
        check_request: bool,
    ) -> Resp {
        let mut req = self.request(method, path);
        for (k, v) in headers {
            req = req.header(*k, *v);
        }
        if let Some(b) = &body {
            req = req.json(b);
        }
        self.finish(method, path, body.as_ref(), check_request, req)
            .await
    }

    async fn finish(
        &self,
        method: &str,
        path: &str,
        body: Option<&Value>,
        check_request: bool,
        req: reqwest::RequestBuilder,
    ) -> Resp {
        let resp = req
            .send()
            .await
            .unwrap_or_else(|e| panic!("{method} {path}: {e}"));
        let status = resp.status().as_u16();
        let headers = resp.headers().clone();
        let text = resp.text().await.expect("response body");
        let parsed: Option<Value> = if text.is_empty() {
            None
        } else {
            serde_json::from_str(&text).ok()
        };
        if path.starts_with("/v1") {
            assert!(
                headers.contains_key("fly-request-id"),
                "{method} {path}: no fly-request-id header"
            );
            if status != 204 && !text.is_empty() {
                assert!(
                    parsed.is_some(),
                    "{method} {path} → {status}: body is not JSON: {text}"
                );
            }
            if let Err(e) =
                spec::spec().check(method, path, body, check_request, status, parsed.as_ref())
            {
                panic!("spec mismatch: {e}");
            }
        }
        Resp {
            status,
            body: parsed.unwrap_or(Value::Null),
            text,
            headers,
        }
    }

    /// Waits (server-side long poll) for a machine state.
    pub async fn wait_state(&self, app: &str, id: &str, state: &str) -> Resp {
        let r = self
            .get(&format!(
                "/v1/apps/{app}/machines/{id}/wait?state={state}&timeout=30"
            ))
            .await;
        assert_eq!(r.status, 200, "wait {state}: {}", r.body);
        r
    }

    pub async fn machine(&self, app: &str, id: &str) -> Value {
        let r = self.get(&format!("/v1/apps/{app}/machines/{id}")).await;
        assert_eq!(r.status, 200, "{}", r.body);
        r.body
    }

    pub async fn create_machine(&self, app: &str, body: Value) -> Value {
        let r = self.post(&format!("/v1/apps/{app}/machines"), body).await;
        assert_eq!(r.status, 200, "create machine: {}", r.body);
        r.body
    }
}

/// Polls machine GET until every check has `status` (checks have no push signal).
pub async fn checks_become(t: &TestServer, app: &str, id: &str, status: &str) -> Value {
    for _ in 0..300 {
        let m = t.api.machine(app, id).await;
        let checks = m["checks"].as_array().unwrap();
        if !checks.is_empty() && checks.iter().all(|c| c["status"] == status) {
            return m;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!(
        "checks of {id} never became {status}: {:#}",
        t.api.machine(app, id).await["checks"]
    );
}

/// Polls the machine's log until it contains `needle` (the program's own readiness line).
pub async fn log_shows(t: &TestServer, id: &str, needle: &str) {
    for _ in 0..300 {
        if t.api
            .get(&format!("/__fly-local/machines/{id}/logs"))
            .await
            .text
            .contains(needle)
        {
            return;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("machine {id} never logged {needle:?}");
}

pub async fn http_get(port: u16, path: &str) -> Result<(u16, String), String> {
    let r = reqwest::get(format!("http://127.0.0.1:{port}{path}"))
        .await
        .map_err(|e| e.to_string())?;
    let status = r.status().as_u16();
    Ok((status, r.text().await.map_err(|e| e.to_string())?))
}

pub async fn service_port(t: &TestServer, id: &str) -> u16 {
    let ep = t
        .api
        .get(&format!("/__fly-local/machines/{id}/endpoint"))
        .await
        .body;
    ep["service_ports"][0]["port"].as_u64().unwrap() as u16
}
