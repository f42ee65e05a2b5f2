//! The official OpenClaw CLI (npm `openclaw@2026.9.6` on Node 24) against a gateway the
//! operator deployed, through the local URL `up` shows: the path a user takes after
//! the quickstart. `.ci/tools.sh` installs both and exports `OPENCLAW_NODE24` /
//! `OPENCLAW_NODE_CLI`.

use serde_json::Value;

use crate::support::{TOKEN, TOKEN_SPEC, World, resource};

fn official_cli() -> (String, String) {
    let hint = "run the tests through .ci/test (it sources .ci/tools.sh, which installs Node 24 and openclaw@2026.9.6)";
    let var = |name: &str| {
        let path = std::env::var(name).unwrap_or_else(|_| panic!("{name} is not set: {hint}"));
        assert!(
            std::path::Path::new(&path).is_file(),
            "{name}={path} does not exist: {hint}"
        );
        path
    };
    (var("OPENCLAW_NODE24"), var("OPENCLAW_NODE_CLI"))
}

#[tokio::test]
async fn official_cli_health_through_the_local_url_of_a_deployed_gateway() {
    let w = World::start().await;
    w.write(
        "cli.yaml",
        &resource("cli", &format!("{TOKEN_SPEC}  fly: {{ region: iad }}\n")),
    );
    let op = w.operator(&[]).await;
    let s = op.wait_phase("e2e/cli", "Ready").await;
    let url = s["localUrl"]
        .as_str()
        .expect("localUrl in /status")
        .to_owned();
    // Without the table (output piped), the URL to open is still printed.
    op.wait_output(&format!("e2e/cli: open {url}/")).await;

    let (node, cli) = official_cli();
    let home = tempfile::tempdir().unwrap();
    let ws_url = url.replacen("http://", "ws://", 1);
    let out = tokio::process::Command::new(node)
        .arg(cli)
        .args([
            "gateway", "call", "health", "--url", &ws_url, "--token", TOKEN,
        ])
        .arg("--json")
        .env("HOME", home.path())
        .env("OPENCLAW_STATE_DIR", home.path().join("state"))
        .env_remove("OPENCLAW_GATEWAY_TOKEN")
        .output()
        .await
        .unwrap();
    let (stdout, stderr) = (
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr),
    );
    assert!(out.status.success(), "{stdout}{stderr}");
    let health: Value = serde_json::from_str(&stdout).unwrap();
    assert_eq!(health["ok"], true, "{health}");
}
