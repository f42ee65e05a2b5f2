//! Machines as running things: one supervisor task per machine, real
//! processes in sandboxes (or simulated ones), their logs, service proxies
//! and health checks.

pub mod cgroup;
pub mod checks;
pub mod egress;
pub mod launch;
pub mod logs;
pub mod netns;
pub mod network;
pub mod process;
pub mod proxy;
pub mod sandbox;
pub mod services;
pub mod shim;
pub mod spawner;
pub mod supervisor;

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, OnceLock};
use std::time::Duration;

use nix::unistd::Pid;
use tokio::net::TcpStream;
use tokio::sync::mpsc;
use tokio::task::JoinHandle;

use self::egress::Egress;
use self::launch::LaunchPlan;
use self::logs::Logs;
use self::network::MachineNet;
use self::process::{Proc, Simulated};
use self::proxy::{ProxySet, ServicePort};
use self::sandbox::{MachineDirs, Sandbox};
use self::spawner::Spawner;
pub use self::supervisor::Command;
use crate::clock::{Clock, rfc3339};
use crate::db::Shared;
use crate::error::ApiError;
use crate::images::ImageSpec;
use crate::model::config::ConfigView;
use crate::model::{CheckStatus, Event, Machine, MachineState, Source};
use crate::settings::{Isolation, Settings};

/// The output of `exec`.
#[derive(Debug, Clone)]
pub struct ExecOutput {
    pub exit_code: i32,
    pub exit_signal: Option<i32>,
    pub stdout: Vec<u8>,
    pub stderr: Vec<u8>,
}

pub struct Runtime {
    pub shared: Arc<Shared>,
    pub settings: Arc<Settings>,
    pub clock: Arc<Clock>,
    pub logs: Logs,
    data_dir: PathBuf,
    /// `Namespaces` or `Host` (never `Auto`).
    pub isolation: Isolation,
    /// What outbound network machines get.
    pub egress: Egress,
    spawner: OnceLock<Arc<Spawner>>,
    supervisors: Mutex<HashMap<String, mpsc::UnboundedSender<Command>>>,
    tasks: Mutex<Vec<JoinHandle<()>>>,
    checks: Mutex<HashMap<String, Vec<CheckStatus>>>,
    proxies: tokio::sync::Mutex<HashMap<String, ProxySet>>,
    endpoints: Mutex<HashMap<String, Vec<ServicePort>>>,
    networks: Mutex<HashMap<String, Arc<MachineNet>>>,
    init_pids: Mutex<HashMap<String, Pid>>,
    child_pids: Mutex<HashMap<String, Pid>>,
    closed: std::sync::atomic::AtomicBool,
    warned_cgroup: std::sync::atomic::AtomicBool,
}

impl Runtime {
    pub fn new(
        shared: Arc<Shared>,
        settings: Arc<Settings>,
        clock: Arc<Clock>,
        data_dir: &Path,
    ) -> Arc<Self> {
        let is_root = nix::unistd::geteuid().is_root();
        let isolation = match settings.isolation {
            Isolation::Auto if is_root => Isolation::Namespaces,
            Isolation::Auto => Isolation::Host,
            other => other,
        };
        if is_root {
            cgroup::sweep();
        }
        if isolation == Isolation::Host {
            tracing::warn!(
                "fly-local is not running as root: machine processes run on the host network \
                 and see their volume at its real path (mount paths are rewritten in env and args)"
            );
        }
        let egress = Egress::detect(&settings.egress, isolation);
        match &egress {
            Egress::None(reason) if !settings.simulate => tracing::warn!(
                "machines will have no outbound network (no model providers, no Discord): {reason}"
            ),
            Egress::Slirp(c) if c.host_loopback => tracing::info!(
                host = %egress::HOST_LOOPBACK,
                "machines reach the host's loopback at {} (FLY_LOCAL_HOST)",
                egress::HOST_LOOPBACK
            ),
            _ => {}
        }
        Arc::new(Self {
            shared,
            settings,
            clock,
            logs: Logs::new(data_dir.join("machines")),
            data_dir: data_dir.to_path_buf(),
            isolation,
            egress,
            spawner: OnceLock::new(),
            supervisors: Mutex::default(),
            tasks: Mutex::default(),
            checks: Mutex::default(),
            proxies: tokio::sync::Mutex::default(),
            endpoints: Mutex::default(),
            networks: Mutex::default(),
            init_pids: Mutex::default(),
            child_pids: Mutex::default(),
            closed: Default::default(),
            warned_cgroup: Default::default(),
        })
    }

    /// Hands a command to the machine's supervisor (starting one if needed).
    pub fn send(self: &Arc<Self>, id: &str, cmd: Command) {
        let mut sups = self.supervisors.lock().expect("supervisors");
        if let Some(tx) = sups.get(id)
            && tx.send(cmd.clone()).is_ok()
        {
            return;
        }
        if matches!(cmd, Command::Shutdown) {
            return;
        }
        let (tx, rx) = mpsc::unbounded_channel();
        let _ = tx.send(cmd);
        sups.insert(id.to_owned(), tx);
        let sup = supervisor::Supervisor::new(id.to_owned(), self.clone(), rx);
        let handle = tokio::spawn(sup.run());
        let mut tasks = self.tasks.lock().expect("tasks");
        tasks.retain(|t| !t.is_finished());
        tasks.push(handle);
    }

    /// Forgets the pids of a machine's process once it has been reaped, so a
    /// reused pid is never signalled or joined.
    pub fn process_ended(&self, id: &str) {
        self.init_pids.lock().expect("init pids").remove(id);
        self.child_pids.lock().expect("child pids").remove(id);
    }

    /// Forgets a machine's supervisor (it is ending).
    pub fn forget(&self, id: &str) {
        self.supervisors.lock().expect("supervisors").remove(id);
    }

    /// Brings machines back after fly-local (re)starts: running machines boot
    /// again (as after a host reboot), interrupted transitions complete.
    pub fn recover(self: &Arc<Self>) {
        let now = self.clock.now();
        let mut to_send = Vec::new();
        {
            let mut w = self.shared.write();
            let ids: Vec<String> = w.machines.keys().cloned().collect();
            for id in ids {
                let Some(m) = w.machines.get_mut(&id) else {
                    continue;
                };
                let cmd = match m.state {
                    MachineState::Created if m.launch_pending => Some(Command::Launch),
                    MachineState::Started
                    | MachineState::Starting
                    | MachineState::Restarting
                    | MachineState::Replacing => {
                        m.state = MachineState::Starting;
                        Some(Command::Start)
                    }
                    MachineState::Stopping => {
                        m.state = MachineState::Stopped;
                        m.push_event(Event::new(
                            "stop",
                            "stopped",
                            Source::Flyd,
                            now.as_millisecond(),
                        ));
                        None
                    }
                    MachineState::Suspending => {
                        m.state = MachineState::Suspended;
                        None
                    }
                    MachineState::Destroying => Some(Command::Destroy),
                    _ => None,
                };
                if let Some(cmd) = cmd {
                    m.updated_at = now;
                    w.touch_machine(&id);
                    to_send.push((id, cmd));
                }
            }
            if let Err(err) = w.commit() {
                tracing::error!(error = %err, "cannot record recovered machine states");
            }
        }
        for (id, cmd) in to_send {
            if matches!(cmd, Command::Start) {
                self.logs
                    .append(&id, " INFO fly-local restarted: booting the machine again");
            }
            self.send(&id, cmd);
        }
    }

    /// True once fly-local is stopping: supervisors record nothing more.
    pub fn is_closed(&self) -> bool {
        self.closed.load(std::sync::atomic::Ordering::SeqCst)
    }

    /// Kills every machine process at once (for `Drop`, which cannot wait).
    pub fn kill_all_now(&self) {
        self.closed.store(true, std::sync::atomic::Ordering::SeqCst);
        for pid in self.child_pids.lock().expect("child pids").values() {
            let _ = nix::sys::signal::kill(*pid, nix::sys::signal::Signal::SIGKILL);
        }
        self.networks.lock().expect("networks").clear();
    }

    /// Stops every machine process (recorded states are kept) and waits.
    pub async fn shutdown(&self) {
        self.closed.store(true, std::sync::atomic::Ordering::SeqCst);
        let senders: Vec<_> = self
            .supervisors
            .lock()
            .expect("supervisors")
            .drain()
            .collect();
        for (_, tx) in senders {
            let _ = tx.send(Command::Shutdown);
        }
        let tasks: Vec<_> = self.tasks.lock().expect("tasks").drain(..).collect();
        for t in tasks {
            let _ = t.await;
        }
        self.proxies.lock().await.clear();
        self.networks.lock().expect("networks").clear();
    }

    /// Whether an image can run here: 422 if no image table entry matches.
    pub fn check_image(&self, image: &str) -> Result<(), ApiError> {
        if self.settings.simulate || self.settings.images.lookup(image).is_some() {
            return Ok(());
        }
        Err(ApiError::unprocessable(format!(
            "failed to resolve image {image:?}: no such image in fly-local's image table \
             (map it with --image PATTERN=DIR or an ImageSpec, or run with --simulate)"
        )))
    }

    fn image_for(&self, image: &str) -> Option<&ImageSpec> {
        self.settings.images.lookup(image)
    }

    pub fn is_simulated(&self, machine: &Machine) -> bool {
        self.settings.simulate || self.image_for(machine.image()).is_none_or(|s| s.simulate)
    }

    pub fn checks_of(&self, id: &str) -> Vec<CheckStatus> {
        self.checks
            .lock()
            .expect("checks")
            .get(id)
            .cloned()
            .unwrap_or_default()
    }

    pub fn set_checks(&self, id: &str, checks: Vec<CheckStatus>) {
        self.checks
            .lock()
            .expect("checks")
            .insert(id.to_owned(), checks);
    }

    pub fn update_check(&self, id: &str, name: &str, status: &str, output: &str) {
        let now = rfc3339(self.clock.now());
        let mut all = self.checks.lock().expect("checks");
        if let Some(check) = all
            .get_mut(id)
            .and_then(|cs| cs.iter_mut().find(|c| c.name == name))
        {
            check.status = status.to_owned();
            check.output = output.to_owned();
            check.updated_at = now;
        }
    }

    /// Where the machine's services are exposed on the host.
    pub fn endpoints_of(&self, id: &str) -> Vec<ServicePort> {
        self.endpoints
            .lock()
            .expect("endpoints")
            .get(id)
            .cloned()
            .unwrap_or_default()
    }

    pub fn machine_dirs(&self, id: &str) -> MachineDirs {
        MachineDirs {
            root: self.data_dir.join("machines").join(id),
        }
    }

    pub fn volume_dir(&self, volume_id: &str) -> PathBuf {
        self.data_dir.join("volumes").join(volume_id)
    }

    /// Opens a TCP connection to the machine's address (not its loopback).
    pub async fn connect(
        &self,
        id: &str,
        port: u16,
        timeout: Duration,
    ) -> std::io::Result<TcpStream> {
        let net = self.networks.lock().expect("networks").get(id).cloned();
        match net {
            Some(net) => net.ns.connect(net.ns.target(port), timeout).await,
            None => tokio::time::timeout(timeout, TcpStream::connect(("127.0.0.1", port)))
                .await
                .map_err(|_| {
                    std::io::Error::new(std::io::ErrorKind::TimedOut, "connect timed out")
                })?,
        }
    }

    /// Releases what a destroyed machine held (network namespace and its
    /// slirp4netns, proxies, root filesystem; its log is kept).
    pub fn cleanup_machine(&self, id: &str) {
        self.networks.lock().expect("networks").remove(id);
        self.endpoints.lock().expect("endpoints").remove(id);
        self.init_pids.lock().expect("init pids").remove(id);
        if let Ok(mut proxies) = self.proxies.try_lock() {
            proxies.remove(id);
        }
        let dirs = self.machine_dirs(id);
        let _ = std::fs::remove_dir_all(dirs.root.join("rootfs"));
        let _ = std::fs::remove_dir_all(dirs.host_root());
    }

    fn spawner(&self) -> std::io::Result<Arc<Spawner>> {
        if let Some(s) = self.spawner.get() {
            return Ok(s.clone());
        }
        let s = Arc::new(Spawner::start()?);
        Ok(self.spawner.get_or_init(|| s).clone())
    }

    /// The env and command of a machine as it would boot now.
    pub fn plan(&self, machine: &Machine) -> Result<(LaunchPlan, ConfigView), String> {
        let view: ConfigView =
            serde_json::from_value(machine.config.clone()).map_err(|e| e.to_string())?;
        let image = self.image_for(machine.image()).ok_or_else(|| {
            format!(
                "image {:?} is not in fly-local's image table",
                machine.image()
            )
        })?;
        let mut env = fly_env(machine, &view);
        if let Some(host) = self.egress.host_address() {
            env.push((egress::HOST_ENV.into(), host.to_string()));
        }
        let plan = launch::plan(machine, &view, image, &env).map_err(|e| e.to_string())?;
        Ok((plan, view))
    }

    /// Starts a machine's main process for one boot.
    pub async fn spawn(self: &Arc<Self>, machine: &Machine) -> Result<Proc, String> {
        if self.is_closed() {
            return Err("fly-local is shutting down".into());
        }
        if self.is_simulated(machine) {
            return Ok(Proc::Simulated(Simulated::default()));
        }
        let (mut plan, view) = self.plan(machine)?;
        self.ensure_proxies(machine, &view).await;
        let net = match self.isolation {
            Isolation::Host => None,
            _ => Some(self.ensure_net(machine).await?),
        };
        if let Some(net) = &net {
            plan.files.splice(0..0, net.guest_files(&machine.id));
            if let Some(reason) = net.egress_problem() {
                self.logs.append(
                    &machine.id,
                    &format!(" WARN fly-local: this machine has no outbound network: {reason}"),
                );
            }
        }
        let dirs = self.machine_dirs(&machine.id);
        let volume_dir = view.mount().map(|m| self.volume_dir(&m.volume));
        if let Some(v) = &volume_dir {
            std::fs::create_dir_all(v)
                .map_err(|e| format!("cannot create volume directory: {e}"))?;
        }
        let host_mode = self.isolation == Isolation::Host;
        sandbox::prepare_boot(&plan, &dirs, volume_dir.as_deref(), host_mode)
            .map_err(|e| format!("cannot prepare the machine's root filesystem: {e}"))?;
        let cgroup = cgroup::Cgroup::create(&machine.id, plan.memory_mb);
        if cgroup.is_none()
            && !self
                .warned_cgroup
                .swap(true, std::sync::atomic::Ordering::Relaxed)
        {
            tracing::warn!("cannot create memory cgroups: guest.memory_mb is not enforced");
        }
        self.logs.append(
            &machine.id,
            &format!(" INFO Preparing to run: `{}` as root", plan.argv.join(" ")),
        );
        let (cmd, pid_pipe) = match &net {
            None => {
                self.logs.append(
                    &machine.id,
                    " WARN host isolation (fly-local is not root, or was told so): this machine shares the host network and sees its volume at its host path",
                );
                sandbox::command_fresh(&plan, &plan.argv, &dirs, volume_dir.as_deref(), &Sandbox::Host, cgroup.as_ref())
            }
            Some(net) => sandbox::command_fresh(
                &plan,
                &plan.argv,
                &dirs,
                volume_dir.as_deref(),
                &Sandbox::Namespaces { netns: &net.ns, hostname: &machine.id },
                cgroup.as_ref(),
            ),
        }
        .map_err(|e| format!("cannot build the machine's sandbox: {e}"))?;
        let spawner = self.spawner().map_err(|e| e.to_string())?;
        let (proc, output) = sandbox::spawn_main(&spawner, cmd, pid_pipe, cgroup)
            .await
            .map_err(|e| format!("failed to spawn command: {}: {e}", plan.argv.join(" ")))?;
        self.logs.capture(&machine.id, output);
        if let Some(pid) = proc.init_pid {
            self.init_pids
                .lock()
                .expect("init pids")
                .insert(machine.id.clone(), pid);
        }
        if let Some(pid) = proc.pid() {
            self.child_pids
                .lock()
                .expect("child pids")
                .insert(machine.id.clone(), pid);
        }
        Ok(Proc::Real(Box::new(proc)))
    }

    /// The machine's network, created (with its egress) on first use.
    async fn ensure_net(&self, machine: &Machine) -> Result<Arc<MachineNet>, String> {
        if let Some(net) = self.networks.lock().expect("networks").get(&machine.id) {
            return Ok(net.clone());
        }
        let (id, ip) = (machine.id.clone(), machine.private_ip.clone());
        let egress = self.egress.clone();
        let slirp_log = self.machine_dirs(&machine.id).root.join("slirp4netns.log");
        let net =
            tokio::task::spawn_blocking(move || MachineNet::create(&id, &ip, &egress, &slirp_log))
                .await
                .map_err(|e| format!("cannot create the machine's network: {e}"))?
                .map_err(|e| format!("cannot create the machine's network namespace: {e}"))?;
        let mut all = self.networks.lock().expect("networks");
        // A boot and an exec may race to create it: the first one stays.
        Ok(all
            .entry(machine.id.clone())
            .or_insert_with(|| Arc::new(net))
            .clone())
    }

    async fn ensure_proxies(self: &Arc<Self>, machine: &Machine, view: &ConfigView) {
        let wanted: Vec<(String, u16)> = view
            .services
            .iter()
            .filter_map(|s| {
                Some((
                    s.protocol.clone().unwrap_or_else(|| "tcp".into()),
                    s.internal_port?,
                ))
            })
            .collect();
        let wanted_ports: Vec<u16> = wanted.iter().map(|(_, p)| *p).collect();
        let mut proxies = self.proxies.lock().await;
        if proxies
            .get(&machine.id)
            .is_some_and(|p| p.internal_ports() == wanted_ports)
        {
            return;
        }
        let set = ProxySet::start(self, &machine.id, &wanted).await;
        self.endpoints
            .lock()
            .expect("endpoints")
            .insert(machine.id.clone(), set.ports.clone());
        proxies.insert(machine.id.clone(), set);
    }

    /// Runs a command in the machine's context: its namespaces (joined while
    /// the machine runs, else a fresh root like a boot), env and volume.
    pub async fn exec(
        self: &Arc<Self>,
        machine: &Machine,
        argv: Vec<String>,
        timeout: Duration,
    ) -> Result<ExecOutput, ApiError> {
        if self.is_simulated(machine) {
            return Ok(ExecOutput {
                exit_code: 0,
                exit_signal: None,
                stdout: Vec::new(),
                stderr: Vec::new(),
            });
        }
        let (plan, view) = self.plan(machine).map_err(ApiError::precondition)?;
        let dirs = self.machine_dirs(&machine.id);
        let volume_dir = view.mount().map(|m| self.volume_dir(&m.volume));
        let init = self
            .init_pids
            .lock()
            .expect("init pids")
            .get(&machine.id)
            .copied();
        let alive =
            init.is_some_and(|p| std::path::Path::new(&format!("/proc/{}", p.as_raw())).exists());
        let net = match self.isolation {
            Isolation::Host => None,
            _ => Some(self.ensure_net(machine).await.map_err(ApiError::internal)?),
        };
        let cmd = match &net {
            None => sandbox::command_fresh(
                &plan,
                &argv,
                &dirs,
                volume_dir.as_deref(),
                &Sandbox::Host,
                None,
            )
            .map(|(c, _)| c),
            Some(net) => {
                let ns = &net.ns;
                match init {
                    Some(pid) if alive => sandbox::command_join(&plan, &argv, pid, ns),
                    _ => {
                        if !dirs.upper().exists() {
                            let mut plan = plan.clone();
                            plan.files.splice(0..0, net.guest_files(&machine.id));
                            sandbox::prepare_boot(&plan, &dirs, volume_dir.as_deref(), false)
                                .map_err(|e| {
                                    ApiError::internal(format!(
                                        "cannot prepare the machine root: {e}"
                                    ))
                                })?;
                        }
                        sandbox::command_fresh(
                            &plan,
                            &argv,
                            &dirs,
                            volume_dir.as_deref(),
                            &Sandbox::Namespaces {
                                netns: ns,
                                hostname: &machine.id,
                            },
                            None,
                        )
                        .map(|(c, _)| c)
                    }
                }
            }
        }
        .map_err(|e| ApiError::internal(format!("cannot build the exec sandbox: {e}")))?;
        let spawner = self
            .spawner()
            .map_err(|e| ApiError::internal(e.to_string()))?;
        let child = spawner
            .run(move || {
                let mut cmd = tokio::process::Command::from(cmd);
                cmd.stdin(std::process::Stdio::null())
                    .stdout(std::process::Stdio::piped())
                    .stderr(std::process::Stdio::piped())
                    .kill_on_drop(true);
                cmd.spawn()
            })
            .await
            .map_err(|e| {
                ApiError::bad_request(format!("failed to run {:?}: {e}", argv_label(&plan)))
            })?;
        let out = tokio::time::timeout(timeout, child.wait_with_output())
            .await
            .map_err(|_| {
                ApiError::timeout(format!(
                    "command did not finish within {}s",
                    timeout.as_secs()
                ))
            })?
            .map_err(|e| ApiError::internal(format!("exec failed: {e}")))?;
        use std::os::unix::process::ExitStatusExt;
        Ok(ExecOutput {
            exit_code: out
                .status
                .code()
                .unwrap_or_else(|| 128 + out.status.signal().unwrap_or(0)),
            exit_signal: out.status.signal(),
            stdout: out.stdout,
            stderr: out.stderr,
        })
    }
}

fn argv_label(plan: &LaunchPlan) -> String {
    plan.argv.first().cloned().unwrap_or_default()
}

/// The runtime variables Fly sets in every machine.
pub fn fly_env(machine: &Machine, view: &ConfigView) -> Vec<(String, String)> {
    let group = view
        .metadata
        .get("fly_process_group")
        .cloned()
        .unwrap_or_else(|| "app".into());
    let mut env = vec![
        ("FLY_APP_NAME".to_string(), machine.app.clone()),
        ("FLY_MACHINE_ID".into(), machine.id.clone()),
        ("FLY_ALLOC_ID".into(), machine.id.clone()),
        ("FLY_REGION".into(), machine.region.clone()),
        ("FLY_PRIVATE_IP".into(), machine.private_ip.clone()),
        ("FLY_IMAGE_REF".into(), machine.image().to_owned()),
        ("FLY_MACHINE_VERSION".into(), machine.instance_id.clone()),
        ("FLY_PROCESS_GROUP".into(), group),
        ("FLY_VM_MEMORY_MB".into(), view.memory_mb().to_string()),
        ("FLY_PUBLIC_IP".into(), String::new()),
    ];
    if !view.env.contains_key("PRIMARY_REGION") {
        env.push(("PRIMARY_REGION".into(), machine.region.clone()));
    }
    env
}
