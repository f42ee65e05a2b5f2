//! Resources removed while `up` was stopped (pruned at the next start, per
//! source set and deletionPolicy), a corrupt record, and re-adopting what
//! deletionPolicy Orphan left behind.

use serde_json::Value;

use crate::support::{TOKEN_SPEC, World, resource};

fn orphan(name: &str) -> String {
    resource(name, &format!("{TOKEN_SPEC}  deletionPolicy: Orphan\n"))
}

async fn app_status(w: &World, app: &str) -> u16 {
    w.get(&format!("/v1/apps/{app}")).await.0
}

/// Applies `<name>.yaml` with a first `up`, waits until it is Ready, and stops that `up`.
async fn applied_then_stopped(w: &World, name: &str) {
    w.write(&format!("{name}.yaml"), &resource(name, TOKEN_SPEC));
    let op = w.operator(&[]).await;
    op.wait_phase(&format!("e2e/{name}"), "Ready").await;
    op.kill().await;
}

#[tokio::test]
async fn files_removed_while_stopped_are_pruned_by_their_own_source_set_only() {
    let w = World::start().await;
    w.write("gone.yaml", &resource("gone", TOKEN_SPEC));
    w.write("kept.yaml", &orphan("kept"));
    let op = w.operator(&[]).await;
    op.wait_phase("e2e/gone", "Ready").await;
    op.wait_phase("e2e/kept", "Ready").await;
    op.kill().await;
    w.remove("gone.yaml");
    w.remove("kept.yaml");

    // `plan` shows the pending prunes as calls, and writes nothing.
    let seq = w.last_seq().await;
    let plan = w.plan().await;
    assert!(
        plan.contains("e2e/gone: removed from") && plan.contains("deletionPolicy: Delete"),
        "{plan}"
    );
    assert!(plan.contains("delete app gone"), "{plan}");
    assert!(plan.contains("remove openclaw.ai/owner"), "{plan}");
    assert_eq!(w.writes_since(seq).await, Vec::<String>::new());

    // Another source set (here a superset of the same directory) prunes nothing.
    let extra = tempfile::tempdir().unwrap();
    let other = w.operator_on(&[w.resources.path(), extra.path()]).await;
    assert!(
        other
            .output()
            .contains("0 resource(s) applied from these files before"),
        "{}",
        other.output()
    );
    assert_eq!(app_status(&w, "gone").await, 200);
    assert_eq!(w.machines("kept").await.len(), 1);
    other.kill().await;

    // The same source set prunes each by its recorded policy, and says why.
    let op = w.operator(&[]).await;
    assert!(
        op.output()
            .contains("2 resource(s) applied from these files before"),
        "{}",
        op.output()
    );
    op.wait_output("while the operator was stopped").await;
    op.wait_for("e2e/gone", 60, "deleted", Value::is_null).await;
    op.wait_for("e2e/kept", 60, "released", Value::is_null)
        .await;
    assert_eq!(app_status(&w, "gone").await, 404, "Delete removes the app");
    w.assert_orphaned("kept", "e2e/kept").await;
    for record in w.records() {
        let r: Value = serde_json::from_slice(&std::fs::read(&record).unwrap()).unwrap();
        assert_eq!(r["resources"], serde_json::json!({}), "{record:?}: {r:#}");
    }
}

#[tokio::test]
async fn nothing_is_pruned_while_a_file_cannot_be_read() {
    let w = World::start().await;
    applied_then_stopped(&w, "broken").await;
    // Half-saved while the operator was stopped: what it declares is unknown.
    w.write(
        "broken.yaml",
        "apiVersion: openclaw.ai/v1alpha1\nkind: [Open",
    );

    let op = w.operator(&[]).await;
    op.wait_output("not deleted yet").await;
    assert_eq!(app_status(&w, "broken").await, 200);
    assert_eq!(w.machines("broken").await.len(), 1);

    // Fixed without the resource: now it is known to be gone, and pruned.
    w.write("broken.yaml", "# nothing here any more\n");
    op.wait_output("while the operator was stopped").await;
    op.wait_for("e2e/broken", 60, "deleted", Value::is_null)
        .await;
    assert_eq!(app_status(&w, "broken").await, 404);
}

#[tokio::test]
async fn a_corrupt_record_is_set_aside_and_prunes_nothing() {
    let w = World::start().await;
    applied_then_stopped(&w, "solo").await;
    w.remove("solo.yaml");
    let records = w.records();
    assert_eq!(records.len(), 1, "{records:?}");
    std::fs::write(&records[0], "{\"version\": 1, \"resour").unwrap();

    let op = w.operator(&[]).await;
    let out = op.output();
    assert!(
        out.contains("could not be used") && out.contains("nothing is pruned"),
        "{out}"
    );
    assert!(
        out.contains("0 resource(s) applied from these files before"),
        "{out}"
    );
    assert_eq!(app_status(&w, "solo").await, 200, "nothing deleted");
    let dir = records[0].parent().unwrap();
    let aside: Vec<_> = std::fs::read_dir(dir)
        .unwrap()
        .flatten()
        .filter(|e| e.file_name().to_string_lossy().contains(".corrupt-"))
        .collect();
    assert_eq!(aside.len(), 1);
    assert_eq!(
        std::fs::read_to_string(aside[0].path()).unwrap(),
        "{\"version\": 1, \"resour",
        "kept as it was"
    );
}

#[tokio::test]
async fn an_orphaned_resource_added_back_adopts_its_machine_and_volume() {
    let w = World::start().await;
    w.write("kept.yaml", &orphan("kept"));
    let op = w.operator(&[]).await;
    let s = op.wait_phase("e2e/kept", "Ready").await;
    let machine = s["status"]["fly"]["machineId"].as_str().unwrap().to_owned();
    w.remove("kept.yaml");
    op.wait_for("e2e/kept", 60, "released", Value::is_null)
        .await;

    w.write("kept.yaml", &orphan("kept"));
    let s = op
        .wait_for("e2e/kept", 60, "adopted and Ready", |s| {
            s["status"]["phase"] == "Ready"
                && s["events"]
                    .as_array()
                    .is_some_and(|e| e.iter().any(|e| e["reason"] == "Adopted"))
        })
        .await;
    assert_eq!(s["status"]["fly"]["machineId"], machine.as_str());
    let machines = w.machines("kept").await;
    assert_eq!(machines.len(), 1, "no second machine: {machines:#?}");
    assert_eq!(
        machines[0]["config"]["metadata"]["openclaw.ai/owner"],
        "e2e/kept"
    );
    let (_, vols) = w.get("/v1/apps/kept/volumes").await;
    let live: Vec<_> = vols
        .as_array()
        .unwrap()
        .iter()
        .filter(|v| v["state"] == "created")
        .collect();
    assert_eq!(live.len(), 1, "no second volume: {vols:#}");
}

#[tokio::test]
async fn a_resource_added_back_while_it_is_being_pruned_is_reconciled_again() {
    let w = World::start().await;
    applied_then_stopped(&w, "back").await;
    w.remove("back.yaml");
    // The app's deletion keeps failing: the prune is still retrying when the file returns.
    let (code, body) = w
        .api(
            reqwest::Method::POST,
            "/__fly-local/faults",
            Some(serde_json::json!({
                "route": "DELETE /v1/apps/{app_name}", "kind": "error", "status": 500, "times": 1000
            })),
        )
        .await;
    assert_eq!(code, 201, "{body}");

    let op = w.operator(&[]).await;
    op.wait_for("e2e/back", 60, "retrying its deletion", |s| {
        s["events"].as_array().is_some_and(|e| {
            e.iter().any(|e| {
                e["message"]
                    .as_str()
                    .is_some_and(|m| m.starts_with("deletion:"))
            })
        })
    })
    .await;
    w.write("back.yaml", &resource("back", TOKEN_SPEC));
    op.wait_phase("e2e/back", "Ready").await;
    assert_eq!(w.machines("back").await.len(), 1);
}

#[tokio::test]
async fn a_resource_moved_to_other_files_is_not_pruned_from_the_old_ones() {
    let w = World::start().await;
    applied_then_stopped(&w, "moved").await;

    // The same resource, now also applied from another directory.
    let elsewhere = tempfile::tempdir().unwrap();
    std::fs::write(
        elsewhere.path().join("moved.yaml"),
        resource("moved", TOKEN_SPEC),
    )
    .unwrap();
    let other = w.operator_on(&[elsewhere.path()]).await;
    other.wait_phase("e2e/moved", "Ready").await;
    other.kill().await;

    // Removed from the first directory: those files no longer manage it.
    w.remove("moved.yaml");
    let op = w.operator(&[]).await;
    op.wait_output("left to those files, not deleted").await;
    op.wait_for("e2e/moved", 60, "released", Value::is_null)
        .await;
    assert_eq!(app_status(&w, "moved").await, 200);
    assert_eq!(w.machines("moved").await.len(), 1);
    assert!(
        w.machines("moved").await[0]["config"]["metadata"]["openclaw.ai/owner"] == "e2e/moved",
        "still owned, for the other files' operator"
    );
}
