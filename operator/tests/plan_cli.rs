//! `plan` as a user runs it: the calls `up` would make, and no writes — not
//! even a generated token on disk.

use std::process::Command;

fn plan(args: &[&str], state: &std::path::Path) -> (i32, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_openclaw-operator"))
        .arg("plan")
        .args(args)
        .env("XDG_STATE_HOME", state)
        .env_remove("FLY_API_TOKEN")
        .output()
        .expect("the operator runs");
    let text =
        String::from_utf8_lossy(&out.stdout).into_owned() + &String::from_utf8_lossy(&out.stderr);
    (out.status.code().unwrap_or(-1), text)
}

#[test]
fn offline_plan_lists_every_create_and_writes_nothing() {
    let state = tempfile::tempdir().unwrap();
    let quickstart = concat!(env!("CARGO_MANIFEST_DIR"), "/../examples/quickstart.yaml");
    let (code, text) = plan(&["-f", quickstart], state.path());
    assert_eq!(code, 0, "{text}");
    for needle in [
        "assuming nothing exists",
        "POST /v1/apps ",
        "create volume openclaw_data (1 GB) in iad",
        "set secrets OPENCLAW_GATEWAY_TOKEN (values not shown)",
        "allocate shared IPv4",
        "allocate public IPv6",
        "create machine openclaw-gateway (256 MB",
    ] {
        assert!(text.contains(needle), "missing {needle:?} in\n{text}");
    }
    let leftovers: Vec<_> = walk(state.path());
    assert!(leftovers.is_empty(), "plan wrote {leftovers:?}");
}

#[test]
fn invalid_resources_fail_the_plan_with_field_and_fix() {
    let state = tempfile::tempdir().unwrap();
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("bad.yaml"),
        "apiVersion: openclaw.ai/v1alpha1\nkind: OpenClaw\nmetadata: {name: bad}\nspec:\n  fly: {vm: {memoryMb: 128}}\n",
    )
    .unwrap();
    let (code, text) = plan(&["-f", dir.path().to_str().unwrap()], state.path());
    assert_eq!(code, 1, "{text}");
    assert!(
        text.contains("default/bad: not applicable (InvalidSpec)"),
        "{text}"
    );
    assert!(
        text.contains("spec.fly.vm.memoryMb: 128 MB is below the 256 MB floor"),
        "{text}"
    );
    assert!(text.contains("spec.gateway.auth.token: bind lan"), "{text}");
}

fn walk(dir: &std::path::Path) -> Vec<std::path::PathBuf> {
    let mut out = vec![];
    for e in std::fs::read_dir(dir).into_iter().flatten().flatten() {
        if e.path().is_dir() {
            out.extend(walk(&e.path()));
        } else {
            out.push(e.path());
        }
    }
    out
}

#[test]
fn invoked_as_openclaw_it_is_the_gateway() {
    let dir = tempfile::tempdir().unwrap();
    let link = dir.path().join("openclaw");
    std::os::unix::fs::symlink(env!("CARGO_BIN_EXE_openclaw-operator"), &link).unwrap();
    let out = Command::new(&link).arg("--help").output().unwrap();
    let text =
        String::from_utf8_lossy(&out.stdout).into_owned() + &String::from_utf8_lossy(&out.stderr);
    assert!(text.contains("gateway"), "{text}");
    assert!(!text.contains("Reconcile resources from files"), "{text}");
}
