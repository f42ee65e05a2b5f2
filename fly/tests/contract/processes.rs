//! Machines that are real processes: exec runs in the machine and returns
//! its output and exit code; a killed process shows up as an exit event.

use std::time::Duration;

use fly_machines::{
    CreateMachine, EventType, ExecRequest, MachineConfig, MachineRestart, RestartPolicy, WaitFor,
    WaitState,
};

use crate::local::{Local, SHELL_IMAGE};

#[tokio::test]
async fn exec_runs_in_the_machine() {
    let local = Local::start_with_processes().await;
    local.app("oc-a").await;
    let machines = local.client().machines("oc-a");
    let mut config = MachineConfig::new(SHELL_IMAGE);
    config
        .env
        .insert("GREETING".into(), "hello from the machine".into());
    let machine = machines
        .create(&CreateMachine::new(config).region("iad"))
        .await
        .unwrap();
    local.started("oc-a", &machine.id).await;

    let ok = machines
        .exec(
            &machine.id,
            &ExecRequest::new(["sh", "-c", "echo \"$GREETING\""]).timeout_secs(10),
        )
        .await
        .unwrap();
    assert!(ok.success(), "{ok:?}");
    assert_eq!(ok.stdout, "hello from the machine\n");
    let failed = machines
        .exec(
            &machine.id,
            &ExecRequest::new(["sh", "-c", "echo oops >&2; exit 3"]),
        )
        .await
        .unwrap();
    assert_eq!(failed.exit_code, Some(3));
    assert_eq!(failed.stderr, "oops\n");
}

#[tokio::test]
async fn a_killed_process_is_an_exit_event_and_the_restart_policy_applies() {
    let local = Local::start_with_processes().await;
    local.app("oc-a").await;
    let machines = local.client().machines("oc-a");
    let mut config = MachineConfig::new(SHELL_IMAGE);
    config.restart = Some(MachineRestart::policy(RestartPolicy::No));
    let machine = machines
        .create(&CreateMachine::new(config).region("iad"))
        .await
        .unwrap();
    local.started("oc-a", &machine.id).await;

    local.kill(&machine.id).await;
    let stopped = machines
        .wait(
            &machine.id,
            &WaitFor::state(WaitState::Stopped, Duration::from_secs(30))
                .version(&machine.instance_id),
        )
        .await
        .unwrap();
    assert_eq!(
        stopped.state,
        fly_machines::MachineState::Stopped,
        "restart policy `no` leaves it stopped"
    );
    let events = machines.events(&machine.id, None).await.unwrap();
    assert!(
        events.iter().any(|e| e.kind == EventType::Exit),
        "an exit event is recorded: {events:?}"
    );
}
