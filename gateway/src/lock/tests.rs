use super::*;

fn request(dir: &Path) -> LockRequest<'_> {
    LockRequest {
        state_dir: dir,
        config_path: Path::new("/data/openclaw.json"),
        port: 3000,
        timeout: Duration::from_millis(300),
    }
}

#[test]
fn lock_name_matches_the_original() {
    assert_eq!(
        lock_path(Path::new("/data"), Path::new("/data/openclaw.json")),
        Path::new("/data/gateway.41895371.lock")
    );
}

#[test]
fn second_acquire_waits_then_names_pid_and_path() {
    let dir = tempfile::tempdir().unwrap();
    let (lock, reclaimed) = GatewayLock::acquire(&request(dir.path())).unwrap();
    assert!(reclaimed.is_none());
    let text = std::fs::read_to_string(lock.path()).unwrap();
    assert_eq!(content::parse(&text).unwrap().pid, Some(std::process::id()));
    // A second handle in the same process cannot take the flock.
    let err = GatewayLock::acquire(&request(dir.path())).unwrap_err();
    let msg = err.to_string();
    assert!(
        msg.contains("already running") && msg.contains(&std::process::id().to_string()),
        "{msg}"
    );
    assert!(msg.contains(&lock.path().display().to_string()), "{msg}");
    let path = lock.path().to_owned();
    lock.release().unwrap();
    assert!(!path.exists());
}

fn plant(dir: &Path, content: &LockContent) -> PathBuf {
    let path = lock_path(dir, Path::new("/data/openclaw.json"));
    std::fs::write(&path, content::render(content, &[7; 16])).unwrap();
    path
}

fn node_style(pid: u32, start_time: Option<u64>) -> LockContent {
    LockContent {
        pid: Some(pid),
        owner_id: "someone-else".into(),
        cron_owner_projection: None,
        created_at: None,
        config_path: None,
        state_dir: None,
        port: Some(3000),
        start_time,
        boot_id: None,
    }
}

#[test]
fn reclaims_dead_pid_reused_pid_and_other_boot() {
    let dir = tempfile::tempdir().unwrap();
    let mut child = std::process::Command::new("true").spawn().unwrap();
    let dead = child.id();
    child.wait().unwrap();
    // Dead owner.
    plant(dir.path(), &node_style(dead, Some(1)));
    let (lock, reclaimed) = GatewayLock::acquire(&request(dir.path())).unwrap();
    assert_eq!(reclaimed.unwrap().reason, StaleReason::ProcessGone);
    lock.release().unwrap();

    // A live process (pid 1 of this namespace) that is not the recorded one.
    let wrong_start = process::start_time(1).map(|t| t + 1);
    plant(dir.path(), &node_style(1, wrong_start));
    let (lock, reclaimed) = GatewayLock::acquire(&request(dir.path())).unwrap();
    assert_eq!(reclaimed.unwrap().reason, StaleReason::StartTimeDiffers);
    lock.release().unwrap();

    // Right pid and start time, but written by a previous boot.
    let mut other_boot = node_style(1, process::start_time(1));
    other_boot.boot_id = Some("00000000-0000-0000-0000-000000000000".into());
    plant(dir.path(), &other_boot);
    let (lock, reclaimed) = GatewayLock::acquire(&request(dir.path())).unwrap();
    assert_eq!(reclaimed.unwrap().reason, StaleReason::BootIdDiffers);
    lock.release().unwrap();

    // Garbage.
    std::fs::write(
        lock_path(dir.path(), Path::new("/data/openclaw.json")),
        "{\"pi",
    )
    .unwrap();
    let (lock, reclaimed) = GatewayLock::acquire(&request(dir.path())).unwrap();
    assert_eq!(reclaimed.unwrap().reason, StaleReason::Unreadable);
    lock.release().unwrap();
}

#[test]
fn a_live_owner_that_does_not_flock_is_respected() {
    let dir = tempfile::tempdir().unwrap();
    // A live process with its real start time: held, even though nobody holds the flock.
    let mut sleeper = std::process::Command::new("sleep")
        .arg("30")
        .spawn()
        .unwrap();
    let pid = sleeper.id();
    plant(dir.path(), &node_style(pid, process::start_time(pid)));
    let err = GatewayLock::acquire(&request(dir.path())).unwrap_err();
    assert!(
        matches!(err, LockError::AlreadyRunning { pid: Some(p), .. } if p == pid),
        "{err}"
    );
    sleeper.kill().unwrap();
    sleeper.wait().unwrap();
    let (_lock, reclaimed) = GatewayLock::acquire(&request(dir.path())).unwrap();
    assert_eq!(reclaimed.unwrap().previous_pid, Some(pid));
}

#[test]
fn set_port_rewrites_the_record_and_release_keeps_foreign_files() {
    let dir = tempfile::tempdir().unwrap();
    let (mut lock, _) = GatewayLock::acquire(&request(dir.path())).unwrap();
    lock.set_port(41234).unwrap();
    let on_disk = content::parse(&std::fs::read_to_string(lock.path()).unwrap()).unwrap();
    assert_eq!(on_disk.port, Some(41234));
    // Someone replaced the file: release must not delete theirs.
    let path = lock.path().to_owned();
    std::fs::remove_file(&path).unwrap();
    std::fs::write(&path, "theirs").unwrap();
    lock.release().unwrap();
    assert_eq!(std::fs::read_to_string(&path).unwrap(), "theirs");
}
