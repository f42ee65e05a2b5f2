//! The committed CRD must be what the code generates: a stale file would make
//! `kubectl apply -f crds/` install a schema the operator does not speak.

#[test]
fn committed_crd_matches_the_generated_one() {
    let generated = openclaw_operator::crd::crd_yaml().expect("CRD serialises");
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../crds/openclaw.ai_openclaws.yaml"
    );
    let committed = std::fs::read_to_string(path).unwrap_or_default();
    assert!(
        committed == generated,
        "crds/openclaw.ai_openclaws.yaml is stale; regenerate it with:\n  \
         cargo run -p openclaw-operator -- crd > crds/openclaw.ai_openclaws.yaml"
    );
}

#[test]
fn crd_has_the_promised_names_and_columns() {
    let yaml = openclaw_operator::crd::crd_yaml().unwrap();
    let crd: serde_json::Value = serde_saphyr::from_str(&yaml).unwrap();
    assert_eq!(crd["spec"]["group"], "openclaw.ai");
    assert_eq!(crd["spec"]["names"]["shortNames"][0], "claw");
    assert_eq!(crd["spec"]["scope"], "Namespaced");
    let v = &crd["spec"]["versions"][0];
    assert_eq!(v["name"], "v1alpha1");
    assert!(v["subresources"]["status"].is_object());
    let cols: Vec<_> = v["additionalPrinterColumns"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["name"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(cols, ["Phase", "Endpoint", "Machine", "Age"]);
    let config = &v["schema"]["openAPIV3Schema"]["properties"]["spec"]["properties"]["config"];
    assert_eq!(config["x-kubernetes-preserve-unknown-fields"], true);
}
