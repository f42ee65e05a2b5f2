//! `import fly.toml`: the deployment guide's file verbatim and our private
//! one become resources `plan -f -` reads from a pipe.

use std::process::Stdio;

use tokio::io::AsyncWriteExt;

use crate::support::Home;

const GUIDE: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/guide-fly.toml");
const PRIVATE: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../fly.private.toml");

async fn plan_stdin(home: &Home, yaml: &str) -> (i32, String) {
    let mut cmd = home.command(&["plan", "-f", "-"]);
    cmd.stdin(Stdio::piped())
        .env("OPENCLAW_GATEWAY_TOKEN", "t0ken");
    let mut child = cmd.spawn().unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(yaml.as_bytes())
        .await
        .unwrap();
    let out = child.wait_with_output().await.unwrap();
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
    )
}

#[tokio::test]
async fn imported_fly_tomls_plan_from_a_pipe() {
    let home = Home::new();
    let (code, guide, err) = home.run(&["import", GUIDE]).await;
    assert_eq!(code, 0, "{err}");
    assert!(guide.starts_with("# Imported from"), "{guide}");
    assert!(
        guide.contains("# Not mapped:") && guide.contains("NODE_ENV"),
        "{guide}"
    );
    assert!(
        guide.contains("image: ghcr.io/openclaw/openclaw:2026.9.6"),
        "{guide}"
    );
    let (code, plan) = plan_stdin(&home, &guide).await;
    assert_eq!(code, 0, "{plan}");
    assert!(plan.contains("default/my-openclaw:"), "{plan}");
    assert!(plan.contains("POST /v1/apps"), "creates the app: {plan}");
    assert!(!plan.contains("not applicable"), "{plan}");

    let (code, private, err) = home
        .run(&[
            "import",
            PRIVATE,
            "--name",
            "private-claw",
            "--namespace",
            "team",
        ])
        .await;
    assert_eq!(code, 0, "{err}");
    assert!(private.contains("exposure: private"), "{private}");
    let (code, plan) = plan_stdin(&home, &private).await;
    assert_eq!(code, 0, "{plan}");
    assert!(plan.contains("team/private-claw:"), "{plan}");
}
