//! One task per machine drives its lifecycle: API handlers validate a request,
//! record the transient state (`starting`, `stopping`, …) and hand the
//! supervisor a [`Command`]; the supervisor does the slow part (spawning,
//! signalling, waiting) and records where the machine ends up. Process exits
//! are answered by the restart policy here too.
//!
//! Every step re-checks the state it expects before writing, so a command
//! overtaken by a later one (e.g. a destroy during a launch) does nothing.

use std::sync::Arc;
use std::time::Duration;

use nix::sys::signal::Signal;
use serde_json::json;
use tokio::sync::mpsc;

use super::Runtime;
use super::process::{ExitInfo, Proc};
use super::services::Services;
use crate::clock::rfc3339;
use crate::model::config::{ConfigView, RestartPolicy};
use crate::model::{Event, Machine, MachineState, Source};

use MachineState::*;

/// What the API asks a machine's supervisor to do.
#[derive(Debug, Clone)]
pub enum Command {
    /// Boot a newly created machine (`created` → `starting` → `started`).
    Launch,
    /// The handler set `starting`: boot (or resume) the machine.
    Start,
    /// The handler set `stopping`.
    Stop {
        signal: Option<Signal>,
        timeout: Option<Duration>,
    },
    /// The handler set `restarting`.
    Restart {
        signal: Option<Signal>,
        timeout: Option<Duration>,
    },
    /// The handler stored a new version; reboot into it if `launch`.
    Replace { launch: bool },
    /// The handler set `suspending`.
    Suspend,
    /// The handler set `destroying`.
    Destroy,
    /// Deliver a signal to the main process (API `signal`, admin `kill`).
    Signal(Signal),
    /// fly-local is stopping: end the process, keep the recorded state.
    Shutdown,
}

/// How long a machine gets to exit after the shutdown signal when its
/// config names no `stop_config.timeout` (`docker stop`'s default).
pub const SHUTDOWN_GRACE: Duration = Duration::from_secs(10);

/// What woke an idle supervisor.
enum Wake {
    Command(Option<Command>),
    Exit(ExitInfo),
}

/// What follows a main-process exit.
enum AfterExit {
    /// Boot again after this delay (restart policy).
    Restart(Duration),
    /// `auto_destroy`: destroy the machine.
    Destroy,
    /// Stay stopped (or the exit was expected).
    Stay,
    /// fly-local is stopping, or the machine is gone.
    End,
}

pub struct Supervisor {
    id: String,
    rt: Arc<Runtime>,
    rx: mpsc::UnboundedReceiver<Command>,
    proc: Option<Proc>,
    services: Option<Services>,
    suspended: bool,
}

impl Supervisor {
    pub fn new(id: String, rt: Arc<Runtime>, rx: mpsc::UnboundedReceiver<Command>) -> Self {
        Self {
            id,
            rt,
            rx,
            proc: None,
            services: None,
            suspended: false,
        }
    }

    pub async fn run(mut self) {
        loop {
            let wake = {
                let exit = async {
                    match self.proc.as_mut() {
                        Some(p) => p.wait().await,
                        None => std::future::pending().await,
                    }
                };
                tokio::select! {
                    cmd = self.rx.recv() => Wake::Command(cmd),
                    exit = exit => Wake::Exit(exit),
                }
            };
            // Boxed: an idle supervisor (most of them, at scale) keeps only
            // the small select above, not the state of every action.
            if Box::pin(self.on_wake(wake)).await {
                return;
            }
        }
    }

    /// Returns true when the supervisor must end.
    async fn on_wake(&mut self, wake: Wake) -> bool {
        match wake {
            Wake::Command(Some(Command::Shutdown)) => {
                self.shutdown_process().await;
                true
            }
            Wake::Command(None) => {
                self.end_process().await;
                true
            }
            Wake::Command(Some(Command::Destroy)) => {
                self.destroy().await;
                true
            }
            Wake::Command(Some(cmd)) => self.handle(cmd).await,
            Wake::Exit(exit) => {
                self.proc = None;
                self.rt.process_ended(&self.id);
                self.after_exit(exit).await
            }
        }
    }

    /// Returns true when the machine is gone and the supervisor must end.
    async fn handle(&mut self, cmd: Command) -> bool {
        tracing::debug!(machine = %self.id, ?cmd, "supervisor command");
        match cmd {
            Command::Launch => {
                tokio::time::sleep(self.rt.settings.delays.launch).await;
                let ok = self.transition(&[Created], |m| {
                    if !m.launch_pending {
                        return false;
                    }
                    m.launch_pending = false;
                    m.state = Starting;
                    true
                });
                if ok {
                    return self.boot_loop(Source::Flyd, "start").await;
                }
            }
            Command::Start => {
                if self.state() == Some(Starting) {
                    return self.boot_loop(Source::User, "start").await;
                }
            }
            Command::Stop { signal, timeout } => {
                if self.state() != Some(Stopping) {
                    return false;
                }
                self.stop_process(signal, timeout).await;
                tokio::time::sleep(self.rt.settings.delays.stop).await;
                if self.settle_stopped(Stopping, "stop", Source::User) && self.auto_destroy() {
                    self.destroy_now(Stopped).await;
                    return true;
                }
            }
            Command::Restart { signal, timeout } => {
                if self.state() != Some(Restarting) {
                    return false;
                }
                self.stop_process(signal, timeout).await;
                tokio::time::sleep(self.rt.settings.delays.stop).await;
                return self.boot_loop(Source::User, "restart").await;
            }
            Command::Replace { launch } => {
                if self.state() != Some(Replacing) {
                    return false;
                }
                self.stop_process(None, None).await;
                tokio::time::sleep(self.rt.settings.delays.stop).await;
                if launch {
                    return self.boot_loop(Source::User, "start").await;
                }
                self.settle_stopped(Replacing, "update", Source::User);
            }
            Command::Suspend => {
                if self.state() != Some(Suspending) {
                    return false;
                }
                if let Some(p) = &self.proc {
                    p.freeze();
                    self.suspended = true;
                }
                if let Some(services) = self.services.take() {
                    services.stop();
                }
                tokio::time::sleep(self.rt.settings.delays.stop).await;
                let now = self.now_ms();
                self.transition(&[Suspending], |m| {
                    m.state = Suspended;
                    m.push_event(Event::new("suspend", "suspended", Source::User, now));
                    true
                });
                self.rt.set_checks(&self.id, Vec::new());
            }
            Command::Signal(signal) => {
                if let Some(p) = &self.proc {
                    p.signal(signal);
                }
            }
            Command::Destroy | Command::Shutdown => unreachable!("handled by run"),
        }
        false
    }

    /// Boots, and keeps booting while the restart policy says so after a
    /// failed launch. Returns true when the machine was destroyed.
    async fn boot_loop(&mut self, mut source: Source, mut kind: &'static str) -> bool {
        loop {
            let Some(exit) = self.boot(source, kind).await else {
                return false;
            };
            match self.on_exit(exit).await {
                AfterExit::Restart(delay) => {
                    tokio::time::sleep(delay).await;
                    (source, kind) = (Source::Flyd, "start");
                }
                AfterExit::Destroy => {
                    self.destroy_now(Stopped).await;
                    return true;
                }
                AfterExit::Stay => return false,
                AfterExit::End => return true,
            }
        }
    }

    /// Handles an exit of a running process. Returns true when the supervisor must end.
    async fn after_exit(&mut self, exit: ExitInfo) -> bool {
        match self.on_exit(exit).await {
            AfterExit::Restart(delay) => {
                tokio::time::sleep(delay).await;
                self.boot_loop(Source::Flyd, "start").await
            }
            AfterExit::Destroy => {
                self.destroy_now(Stopped).await;
                true
            }
            AfterExit::Stay => false,
            AfterExit::End => true,
        }
    }

    /// Spawns (or resumes) the main process and records `started`. Returns
    /// the exit of a launch that failed (as if the process exited at once).
    async fn boot(&mut self, source: Source, event_kind: &str) -> Option<ExitInfo> {
        tokio::time::sleep(self.rt.settings.delays.start).await;
        let machine = self.machine()?;
        if !matches!(machine.state, Starting | Restarting | Replacing) {
            return None;
        }
        if self.suspended
            && let Some(p) = &self.proc
        {
            p.resume();
            self.suspended = false;
        } else {
            self.suspended = false;
            match self.rt.spawn(&machine).await {
                Ok(p) => self.proc = Some(p),
                Err(err) => {
                    self.rt.logs.append(&self.id, &format!(" ERROR {err}"));
                    tracing::warn!(machine = %self.id, error = %err, "machine failed to launch");
                    self.set_started(source, event_kind);
                    return Some(ExitInfo::code(127));
                }
            }
        }
        self.set_started(source, event_kind);
        if let Some(p) = &self.proc {
            self.services = Some(Services::start(&self.rt, &machine, p.is_simulated()));
        }
        None
    }

    fn set_started(&mut self, source: Source, event_kind: &str) {
        let now = self.now_ms();
        let kind = event_kind.to_owned();
        self.transition(&[Starting, Restarting, Replacing], |m| {
            m.state = Started;
            m.launch_pending = false;
            m.push_event(Event::new(&kind, "started", source, now));
            true
        });
    }

    /// Records a main-process exit and decides with the restart policy.
    async fn on_exit(&mut self, exit: ExitInfo) -> AfterExit {
        if self.rt.is_closed() {
            return AfterExit::End;
        }
        if let Some(services) = self.services.take() {
            services.stop();
        }
        self.rt.logs.append(&self.id, &exit.log_line());
        let Some(machine) = self.machine() else {
            return AfterExit::End;
        };
        if machine.state != Started {
            return AfterExit::Stay;
        }
        let view: ConfigView = serde_json::from_value(machine.config.clone()).unwrap_or_default();
        let restart = match view.restart_policy() {
            RestartPolicy::No => false,
            RestartPolicy::Always => true,
            RestartPolicy::OnFailure { max_retries } => {
                !exit.success() && machine.restart_count < max_retries
            }
        };
        let now = self.now_ms();
        let at = rfc3339(self.rt.clock.now());
        let attempt = machine.restart_count + 1;
        self.transition(&[Started], |m| {
            let event = Event::new(
                "exit",
                if restart { "starting" } else { "stopped" },
                Source::Flyd,
                now,
            )
            .with_request(json!({
                "exit_event": exit.event_json(false, restart, &at),
                "restart_count": if restart { attempt } else { m.restart_count },
            }));
            m.push_event(event);
            if restart {
                m.restart_count = attempt;
                m.state = Starting;
            } else {
                m.state = Stopped;
            }
            true
        });
        self.rt.set_checks(&self.id, Vec::new());
        if restart {
            let backoff = self.rt.settings.delays.restart_backoff * attempt.min(50);
            AfterExit::Restart(backoff.min(Duration::from_secs(5)))
        } else if view.auto_destroy {
            AfterExit::Destroy
        } else {
            AfterExit::Stay
        }
    }

    fn auto_destroy(&self) -> bool {
        self.machine()
            .and_then(|m| serde_json::from_value::<ConfigView>(m.config).ok())
            .is_some_and(|v| v.auto_destroy)
    }

    fn settle_stopped(&mut self, from: MachineState, kind: &str, source: Source) -> bool {
        let now = self.now_ms();
        let kind = kind.to_owned();
        let ok = self.transition(&[from], |m| {
            m.state = Stopped;
            m.push_event(Event::new(&kind, "stopped", source, now));
            true
        });
        self.rt.set_checks(&self.id, Vec::new());
        ok
    }

    /// Signals the process (config stop signal unless given), waits up to the
    /// timeout, then kills it.
    /// fly-local is stopping: ends the process as a host shutdown does
    /// (systemd, `docker stop`): the machine's `stop_config.signal`, else
    /// SIGTERM, then SIGKILL after its `stop_config.timeout` (else
    /// [`SHUTDOWN_GRACE`]). Its recorded state is left as it was (`started`),
    /// so the next start boots it again.
    async fn shutdown_process(&mut self) {
        if self.proc.is_none() {
            return self.end_process().await;
        }
        let view: ConfigView = self
            .machine()
            .and_then(|m| serde_json::from_value(m.config).ok())
            .unwrap_or_default();
        let configured = view.stop_config.clone().unwrap_or_default();
        let signal = configured
            .signal
            .as_deref()
            .and_then(|s| crate::model::signal::parse_name(s).ok())
            .unwrap_or(Signal::SIGTERM);
        let timeout = configured
            .timeout
            .as_ref()
            .and_then(|t| crate::model::duration::parse(t).ok())
            .unwrap_or(SHUTDOWN_GRACE);
        self.rt.logs.append(
            &self.id,
            " INFO fly-local is stopping: the machine stays started and boots again at its next start",
        );
        self.stop_process(Some(signal), Some(timeout)).await;
    }

    async fn stop_process(&mut self, signal: Option<Signal>, timeout: Option<Duration>) {
        if let Some(services) = self.services.take() {
            services.stop();
        }
        let Some(mut p) = self.proc.take() else {
            return;
        };
        let view: ConfigView = self
            .machine()
            .and_then(|m| serde_json::from_value(m.config).ok())
            .unwrap_or_default();
        let (default_signal, default_timeout) = view.stop_signal();
        let signal = signal
            .or_else(|| crate::model::signal::parse_name(&default_signal).ok())
            .unwrap_or(Signal::SIGINT);
        let timeout = timeout.unwrap_or(default_timeout);
        if self.suspended {
            p.resume();
            self.suspended = false;
        }
        self.rt.logs.append(
            &self.id,
            &format!(" INFO Sending signal {} to main child", signal.as_str()),
        );
        p.signal(signal);
        let exit = match tokio::time::timeout(timeout, p.wait()).await {
            Ok(exit) => exit,
            Err(_) => {
                self.rt.logs.append(
                    &self.id,
                    &format!(
                        " WARN Main child did not exit {}s after {}; sending SIGKILL",
                        timeout.as_secs_f32(),
                        signal.as_str()
                    ),
                );
                p.signal(Signal::SIGKILL);
                p.wait().await
            }
        };
        self.rt.process_ended(&self.id);
        self.rt.logs.append(&self.id, &exit.log_line());
    }

    async fn end_process(&mut self) {
        if let Some(services) = self.services.take() {
            services.stop();
        }
        if let Some(mut p) = self.proc.take() {
            p.resume();
            p.signal(Signal::SIGKILL);
            p.wait().await;
            self.rt.process_ended(&self.id);
        }
    }

    async fn destroy(&mut self) {
        if self.state() != Some(Destroying) {
            // Already destroyed or never existed: nothing to do but forget it.
            self.rt.forget(&self.id);
            return;
        }
        self.destroy_now(Destroying).await;
    }

    async fn destroy_now(&mut self, from: MachineState) {
        self.end_process().await;
        if from != Destroying {
            self.transition(&[from], |m| {
                m.state = Destroying;
                true
            });
        }
        tokio::time::sleep(self.rt.settings.delays.destroy).await;
        self.rt.cleanup_machine(&self.id);
        let now = self.now_ms();
        let unbind_at = self
            .rt
            .clock
            .now()
            .checked_add(
                jiff::SignedDuration::try_from(self.rt.settings.delays.volume_unbind)
                    .unwrap_or_default(),
            )
            .unwrap_or_else(|_| self.rt.clock.now());
        let id = self.id.clone();
        let mut w = self.rt.shared.write();
        let app_exists = w
            .machines
            .get(&id)
            .is_some_and(|m| w.apps.contains_key(&m.app));
        if let Some(m) = w.machines.get_mut(&id) {
            m.state = Destroyed;
            m.lease = None;
            m.push_event(Event::new("destroy", "destroyed", Source::User, now));
            if let Some(vol_id) = m
                .config
                .pointer("/mounts/0/volume")
                .and_then(|v| v.as_str())
                .map(str::to_owned)
                && let Some(vol) = w.volumes.get_mut(&vol_id)
                && vol.attached_machine_id.as_deref() == Some(id.as_str())
            {
                vol.detach_after = Some(unbind_at);
                w.touch_volume(&vol_id);
            }
            if !app_exists {
                w.machines.remove(&id);
            }
            w.touch_machine(&id);
        }
        if let Err(err) = w.commit() {
            tracing::error!(machine = %id, error = %err, "cannot record machine destroy");
        }
        self.rt.set_checks(&id, Vec::new());
        self.rt.forget(&id);
    }

    fn machine(&self) -> Option<Machine> {
        self.rt.shared.read().machines.get(&self.id).cloned()
    }

    fn state(&self) -> Option<MachineState> {
        self.rt
            .shared
            .read()
            .machines
            .get(&self.id)
            .map(|m| m.state)
    }

    fn now_ms(&self) -> i64 {
        self.rt.clock.now().as_millisecond()
    }

    /// Applies `f` if the machine is in one of `expect`; `f` may decline by
    /// returning false. Persists and returns whether the change was made.
    fn transition(&self, expect: &[MachineState], f: impl FnOnce(&mut Machine) -> bool) -> bool {
        let now = self.rt.clock.now();
        let mut w = self.rt.shared.write();
        let Some(m) = w.machines.get_mut(&self.id) else {
            return false;
        };
        if !expect.contains(&m.state) || !f(m) {
            return false;
        }
        m.updated_at = now;
        w.touch_machine(&self.id);
        match w.commit() {
            Ok(()) => true,
            Err(err) => {
                tracing::error!(machine = %self.id, error = %err, "cannot record a state change");
                false
            }
        }
    }
}
