//! Volumes against fly-local: create, list, get, extend (grow only),
//! attach through a mount, delete refused while attached.

use fly_machines::{CreateMachine, CreateVolume, Error, MachineConfig, MachineMount};

use crate::local::{IMAGE, Local};

#[tokio::test]
async fn volume_lifecycle_and_attachment_rules() {
    let local = Local::start().await;
    local.app("oc-a").await;
    let volumes = local.client().volumes("oc-a");

    let volume = volumes
        .create(&CreateVolume::new("openclaw_data", "iad", 1))
        .await
        .unwrap();
    assert!(volume.id.starts_with("vol_"), "{}", volume.id);
    assert!(volume.is_free());
    assert_eq!(volumes.get(&volume.id).await.unwrap().size_gb, 1);
    let twin = volumes
        .create(&CreateVolume::new("openclaw_data", "iad", 1))
        .await
        .unwrap();
    assert_ne!(twin.id, volume.id, "names are not unique");
    assert_eq!(volumes.list().await.unwrap().len(), 2);

    let extended = volumes.extend(&volume.id, 3).await.unwrap();
    assert_eq!(extended.volume.size_gb, 3);
    let error = volumes.extend(&volume.id, 2).await.unwrap_err();
    assert!(
        matches!(error, Error::Invalid(_) | Error::PreconditionFailed(_)),
        "shrinking is refused: {error:?}"
    );

    let mut config = MachineConfig::new(IMAGE);
    config.mounts.push(MachineMount::new(&volume.id, "/data"));
    let machines = local.client().machines("oc-a");
    let machine = machines
        .create(&CreateMachine::new(config.clone()).region("iad"))
        .await
        .unwrap();
    local.started("oc-a", &machine.id).await;
    assert_eq!(
        volumes
            .get(&volume.id)
            .await
            .unwrap()
            .attached_machine_id
            .as_deref(),
        Some(machine.id.as_str())
    );

    let error = machines
        .create(&CreateMachine::new(config).region("iad"))
        .await
        .unwrap_err();
    assert!(
        matches!(error, Error::PreconditionFailed(_)),
        "one machine per volume: {error:?}"
    );
    let error = volumes.delete(&volume.id).await.unwrap_err();
    assert!(
        matches!(error, Error::PreconditionFailed(_)),
        "attached volume: {error:?}"
    );

    let deleted = volumes.delete(&twin.id).await.unwrap();
    assert_eq!(deleted.id, twin.id);
    assert!(
        volumes
            .get(&twin.id)
            .await
            .map(|v| v.state.is_being_destroyed())
            .unwrap_or_else(|e| e.is_not_found())
    );
}

#[tokio::test]
async fn a_volume_in_another_region_cannot_be_mounted() {
    let local = Local::start().await;
    local.app("oc-a").await;
    let volume = local
        .client()
        .volumes("oc-a")
        .create(&CreateVolume::new("d", "ams", 1))
        .await
        .unwrap();
    let mut config = MachineConfig::new(IMAGE);
    config.mounts.push(MachineMount::new(&volume.id, "/data"));
    let error = local
        .client()
        .machines("oc-a")
        .create(&CreateMachine::new(config).region("iad"))
        .await
        .unwrap_err();
    assert!(
        error.status().is_some_and(|s| (400..500).contains(&s)),
        "{error:?}"
    );
}
