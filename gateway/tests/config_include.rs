//! `$include` through the real binary: a config split over files starts the gateway
//! with the included settings; a circular include refuses to start, naming the chain.

mod common;

use common::*;

#[test]
fn a_config_split_over_two_files_starts_with_the_included_auth() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("openclaw.json"),
        "{\n  gateway: {\n    $include: './conf.d/gateway.json5',\n    bind: 'loopback',\n  },\n}\n",
    )
    .unwrap();
    std::fs::create_dir(dir.path().join("conf.d")).unwrap();
    std::fs::write(
        dir.path().join("conf.d/gateway.json5"),
        "{mode: 'local', auth: {mode: 'token', token: '${SPLIT_TOKEN}'}}",
    )
    .unwrap();
    let gw = Gateway::start_with(dir, &["--port", "0"], &[], &[("SPLIT_TOKEN", "split-0123")]);
    let rt = tokio::runtime::Runtime::new().unwrap();
    rt.block_on(async {
        let (mut ws, _) = open(&gw.url(), None).await;
        send(
            &mut ws,
            &connect_frame("cli", "cli", serde_json::json!({"token": "wrong"})),
        )
        .await;
        assert_eq!(
            next_json(&mut ws).await["ok"],
            false,
            "a wrong token is refused"
        );
        let (mut ws, _) = open(&gw.url(), None).await;
        send(
            &mut ws,
            &connect_frame("cli", "cli", serde_json::json!({"token": "split-0123"})),
        )
        .await;
        assert_eq!(next_json(&mut ws).await["ok"], true, "{}", gw.output());
    });
}

#[test]
fn a_circular_include_refuses_to_start_naming_the_chain_and_touches_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let main = dir.path().join("openclaw.json");
    let a = dir.path().join("a.json5");
    let texts = [
        (
            main.clone(),
            "{gateway: {mode: 'local'}, agents: {$include: './a.json5'}}",
        ),
        (
            a.clone(),
            "{\n  defaults: {$include: './openclaw.json'},\n}",
        ),
    ];
    for (path, text) in &texts {
        std::fs::write(path, text).unwrap();
    }
    let (code, _, stderr) = run_to_exit(dir.path(), &["--port", "0", "--token", "t"], &[]);
    assert_eq!(code, 78, "{stderr}");
    let expected = format!(
        "{}:2:24: agents.defaults.$include: cannot include \"./openclaw.json\": circular include: {} -> {} -> {}; remove one of these includes",
        a.display(),
        main.display(),
        a.display(),
        main.display()
    );
    assert!(stderr.contains(&expected), "{stderr}");
    for (path, text) in &texts {
        assert_eq!(&std::fs::read_to_string(path).unwrap(), text);
    }
}
