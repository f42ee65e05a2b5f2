//! Warnings, not silence: skipped documents named in `plan` and `up`, a
//! busy metrics port refused before anything starts (and nothing left
//! behind), an image the embedded fly-local cannot run refused before any
//! write, and `up --down` saying what it deleted and what it orphaned.

use crate::access::fly_local_get;
use crate::support::{Home, resource};

const CONFIG_MAP: &str = "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: settings}\n";
const MISSPELT: &str =
    "apiVersion: openclaw.ai/v1alpha1\nkind: Openclaw\nmetadata: {name: typo}\nspec: {}\n";

#[tokio::test]
async fn skipped_documents_are_named_by_plan_and_up() {
    let home = Home::new();
    home.write(
        "claw.yaml",
        &format!("{}---\n{CONFIG_MAP}", resource("claw", "")),
    );
    home.write("typo.yaml", MISSPELT);
    let res = home.resources();
    let (code, plan, _) = home.run(&["plan", "-f", res.to_str().unwrap()]).await;
    assert_eq!(code, 0, "skipping is not a failure: {plan}");
    assert!(plan.contains("claw.yaml: document 2 (settings) skipped: kind ConfigMap (v1) is not an OpenClaw resource"), "{plan}");
    assert!(plan.contains("typo.yaml: document 1 (typo) skipped: kind Openclaw is not a kind the operator serves; did you mean kind: OpenClaw?"), "{plan}");

    let up = home.up(&[]).await;
    up.wait_phase("default/claw", "Ready").await;
    let (_, status, _) = home.run(&["status"]).await;
    assert!(status.contains("did you mean kind: OpenClaw?"), "{status}");
    let out = up.interrupt().await;
    assert!(
        out.contains("did you mean kind: OpenClaw?"),
        "logged as a warning: {out}"
    );
}

#[tokio::test]
async fn a_busy_metrics_port_is_refused_before_anything_starts() {
    let home = Home::new();
    home.write("claw.yaml", &resource("claw", ""));
    let taken = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = taken.local_addr().unwrap().to_string();
    let res = home.resources();
    let (code, _, err) = home
        .run(&[
            "up",
            "--no-table",
            "--metrics-addr",
            &addr,
            "-f",
            res.to_str().unwrap(),
        ])
        .await;
    assert_ne!(code, 0);
    assert!(
        err.contains(&format!("--metrics-addr {addr} is already in use")),
        "{err}"
    );
    assert!(
        err.contains("another `openclaw-operator up` is probably running"),
        "{err}"
    );
    assert!(
        err.contains("--metrics-addr 127.0.0.1:0 picks a free one"),
        "{err}"
    );
    let state = home.operator_state();
    for left in ["fly-local", "fly-local.json", "running"] {
        assert!(
            !state.join(left).exists(),
            "{left} left behind by a failed start"
        );
    }
}

#[tokio::test]
async fn an_image_fly_local_cannot_run_is_refused_before_any_write_and_down_reports() {
    let home = Home::new();
    home.write("claw.yaml", &resource("claw", ""));
    home.write("kept.yaml", &resource("kept", "  deletionPolicy: Orphan\n"));
    home.write(
        "other.yaml",
        &resource("other", "  image: example.com/someone/else:1.0\n"),
    );
    let up = home.up(&["--down"]).await;
    up.wait_phase("default/claw", "Ready").await;
    up.wait_phase("default/kept", "Ready").await;
    let s = up.wait_phase("default/other", "Failed").await;
    let msg = s["status"]["message"].as_str().unwrap();
    assert!(
        msg.contains(
            "spec.image: example.com/someone/else:1.0 cannot run on the embedded fly-local"
        ),
        "{msg}"
    );
    assert!(
        msg.contains("up --image 'example.com/someone/else:*=DIR"),
        "{msg}"
    );
    let (status, _) = fly_local_get(&home, "/v1/apps/other").await;
    assert_eq!(status, 404, "no app was created for it");

    let out = up.interrupt().await;
    assert!(
        out.contains("deleted  default/claw: app claw with its machine, volume and IPs"),
        "{out}"
    );
    assert!(out.contains("orphaned default/kept: app kept"), "{out}");
    assert!(out.contains("--down: done"), "{out}");
}
