//! Outbound network of machines in namespace isolation (as root, as here
//! and in CI): slirp4netns NAT to whatever the host reaches, DNS through the
//! host's resolver, the host's loopback at `FLY_LOCAL_HOST` only when
//! allowed, and a clear "none" when slirp4netns is missing. Everything is
//! observed from inside a machine (`exec`) and on the host side of a real
//! socket.

use std::net::{Ipv4Addr, SocketAddr};
use std::sync::{Arc, Mutex};

use axum::extract::ConnectInfo;
use axum::http::Uri;
use serde_json::{Value, json};

use crate::support::{TestServer, checks_become, http_get, service_port, standin_image};

const IMAGE: &str = "test/standin:1";

/// Root and slirp4netns are what these tests are about: missing either is a
/// failure that says how to fix it, never a skip.
pub fn require_egress_tools() {
    assert!(
        nix::unistd::geteuid().is_root(),
        "egress tests need root (network namespaces); run the suite as root as CI does"
    );
    let found = std::env::split_paths(&std::env::var_os("PATH").unwrap_or_default())
        .any(|d| d.join("slirp4netns").is_file());
    assert!(
        found,
        "slirp4netns is missing: `apt-get install slirp4netns` (.ci/run installs it)"
    );
}

/// A started stand-in machine (HTTP on 8080, checked) in a new app.
async fn machine(t: &TestServer, app: &str) -> String {
    t.app(app).await;
    let cfg = json!({
        "image": IMAGE,
        "guest": {"cpu_kind": "shared", "cpus": 1, "memory_mb": 256},
        "services": [{"protocol": "tcp", "internal_port": 8080, "ports": [{"port": 80, "handlers": ["http"]}]}],
        "checks": {"alive": {"type": "http", "port": 8080, "path": "/healthz", "interval": "100ms", "timeout": "1s"}},
    });
    let m = t
        .api
        .create_machine(app, json!({"region": "iad", "config": cfg}))
        .await;
    let id = m["id"].as_str().unwrap().to_owned();
    t.api.wait_state(app, &id, "started").await;
    checks_become(t, app, &id, "passing").await;
    id
}

/// Runs a Python program inside the machine; returns its stdout (exit 0 asserted).
async fn python(t: &TestServer, app: &str, id: &str, code: &str) -> String {
    let r = t
        .api
        .post(
            &format!("/v1/apps/{app}/machines/{id}/exec"),
            json!({"command": ["python3", "-c", code], "timeout": 30}),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(r.body["exit_code"], 0, "in the machine: {:#}", r.body);
    r.body["stdout"].as_str().unwrap().to_owned()
}

/// An HTTP server on the host that records what reached it.
struct HostHttp {
    addr: SocketAddr,
    seen: Arc<Mutex<Vec<String>>>,
    _task: tokio::task::JoinHandle<()>,
}

impl HostHttp {
    async fn start(ip: Ipv4Addr) -> Self {
        let seen = Arc::new(Mutex::new(Vec::new()));
        let record = seen.clone();
        let app = axum::Router::new().fallback(
            move |ConnectInfo(peer): ConnectInfo<SocketAddr>, uri: Uri| {
                let record = record.clone();
                async move {
                    record.lock().unwrap().push(uri.path().to_owned());
                    format!("host saw {} from {}", uri.path(), peer.ip())
                }
            },
        );
        let listener = tokio::net::TcpListener::bind((ip, 0)).await.unwrap();
        let addr = listener.local_addr().unwrap();
        let task = tokio::spawn(async move {
            let _ = axum::serve(
                listener,
                app.into_make_service_with_connect_info::<SocketAddr>(),
            )
            .await;
        });
        Self {
            addr,
            seen,
            _task: task,
        }
    }

    fn seen(&self) -> Vec<String> {
        self.seen.lock().unwrap().clone()
    }
}

/// The host's first global IPv4 address: what a machine reaches through NAT
/// like any outside address (the host's loopback is another matter).
fn host_outside_ipv4() -> Ipv4Addr {
    let out = std::process::Command::new("ip")
        .args(["-4", "-o", "addr", "show", "scope", "global"])
        .output()
        .expect("run `ip` (iproute2)");
    String::from_utf8_lossy(&out.stdout)
        .split_whitespace()
        .skip_while(|w| *w != "inet")
        .nth(1)
        .and_then(|cidr| cidr.split('/').next()?.parse().ok())
        .expect("this test needs a global IPv4 address on the host (`ip -4 addr`)")
}

async fn info(t: &TestServer) -> Value {
    t.api.get("/__fly-local/info").await.body
}

#[tokio::test]
async fn a_machine_reaches_a_host_service_at_fly_local_host() {
    require_egress_tools();
    let t =
        TestServer::start(|b| b.image(standin_image("test/standin:*")).host_loopback(true)).await;
    let info = info(&t).await;
    assert_eq!(info["egress"], "slirp4netns", "{info}");
    assert_eq!(info["host_address"], "10.0.2.2", "{info}");
    let host = HostHttp::start(Ipv4Addr::LOCALHOST).await;
    let id = machine(&t, "egress-host").await;

    let out = python(
        &t,
        "egress-host",
        &id,
        &format!(
            "import os, urllib.request\n\
             host = os.environ['FLY_LOCAL_HOST']\n\
             print(host)\n\
             print(urllib.request.urlopen(f'http://{{host}}:{}/from-the-machine', timeout=10).read().decode())",
            host.addr.port()
        ),
    )
    .await;
    assert_eq!(
        out, "10.0.2.2\nhost saw /from-the-machine from 127.0.0.1\n",
        "the answer came back inside the machine"
    );
    assert_eq!(host.seen(), ["/from-the-machine"], "the request arrived");

    // The main process has it too, and inbound still goes through the proxy.
    let port = service_port(&t, &id).await;
    assert_eq!(
        http_get(port, "/env/FLY_LOCAL_HOST").await.unwrap(),
        (200, "10.0.2.2".into())
    );
}

#[tokio::test]
async fn by_default_machines_reach_the_outside_but_not_the_hosts_loopback() {
    require_egress_tools();
    let t = TestServer::start(|b| b.image(standin_image("test/standin:*"))).await;
    assert_eq!(info(&t).await["host_address"], Value::Null);
    let outside = host_outside_ipv4();
    let web = HostHttp::start(outside).await;
    let local = HostHttp::start(Ipv4Addr::LOCALHOST).await;
    let udp = tokio::net::UdpSocket::bind((outside, 0)).await.unwrap();
    let udp_port = udp.local_addr().unwrap().port();
    let echo = tokio::spawn(async move {
        let mut buf = [0u8; 64];
        let (n, peer) = udp.recv_from(&mut buf).await.unwrap();
        let reply = [b"echo:", &buf[..n]].concat();
        udp.send_to(&reply, peer).await.unwrap();
    });
    let id = machine(&t, "egress-out").await;

    let out = python(
        &t,
        "egress-out",
        &id,
        &format!(
            "import os, socket, urllib.request\n\
             print(os.environ.get('FLY_LOCAL_HOST', 'unset'))\n\
             print(urllib.request.urlopen('http://{outside}:{}/outside', timeout=10).read().decode())\n\
             u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); u.settimeout(10)\n\
             u.sendto(b'ping', ('{outside}', {udp_port})); print(u.recv(64).decode())\n\
             try:\n    socket.create_connection(('10.0.2.2', {}), timeout=5); print('loopback reached')\n\
             except OSError as e:\n    print('loopback refused')",
            web.addr.port(),
            local.addr.port()
        ),
    )
    .await;
    let lines: Vec<&str> = out.lines().collect();
    assert_eq!(lines[0], "unset", "no FLY_LOCAL_HOST without host loopback");
    assert!(
        lines[1].starts_with("host saw /outside from "),
        "TCP through NAT: {out}"
    );
    assert_eq!(lines[2], "echo:ping", "UDP through NAT");
    assert_eq!(lines[3], "loopback refused", "{out}");
    assert_eq!(web.seen(), ["/outside"]);
    assert!(
        local.seen().is_empty(),
        "nothing reached the host's loopback"
    );
    echo.await.unwrap();
}

#[tokio::test]
async fn names_resolve_in_a_machine() {
    require_egress_tools();
    let t = TestServer::start(|b| b.image(standin_image("test/standin:*"))).await;
    let id = machine(&t, "egress-names").await;
    let out = python(
        &t,
        "egress-names",
        &id,
        "import socket\n\
         print(open('/etc/resolv.conf').read().split('nameserver ')[1].strip())\n\
         print(socket.gethostbyname('localhost'))\n\
         print(socket.gethostbyname(socket.gethostname()))",
    )
    .await;
    let lines: Vec<&str> = out.lines().collect();
    assert_eq!(lines[0], "10.0.2.3", "slirp's DNS is the nameserver");
    assert_eq!(lines[1], "127.0.0.1", "localhost still resolves");
    assert!(
        lines[2].starts_with("172.19."),
        "the machine's hostname is its private address: {out}"
    );
}

#[tokio::test]
async fn without_slirp4netns_machines_run_and_fly_local_says_why() {
    let logged = CapturedLog::install();
    let t = TestServer::start(|b| {
        b.image(standin_image("test/standin:*"))
            .slirp4netns("/nonexistent/slirp4netns")
            .host_loopback(true)
    })
    .await;
    let warning = logged.text();
    assert!(
        warning.contains("WARN")
            && warning.contains("no outbound network")
            && warning.contains("apt-get install slirp4netns"),
        "one clear warning at start: {warning}"
    );
    let info = info(&t).await;
    let egress = info["egress"].as_str().unwrap();
    assert!(
        egress.starts_with("none: /nonexistent/slirp4netns is not an executable file"),
        "{info}"
    );
    assert_eq!(info["host_address"], Value::Null, "{info}");

    let id = machine(&t, "egress-none").await;
    let port = service_port(&t, &id).await;
    assert_eq!(
        http_get(port, "/env/FLY_LOCAL_HOST").await.unwrap().0,
        404,
        "no FLY_LOCAL_HOST for an unreachable host"
    );
    let logs = t
        .api
        .get(&format!("/__fly-local/machines/{id}/logs"))
        .await
        .text;
    assert!(
        logs.contains(
            "WARN fly-local: this machine has no outbound network: /nonexistent/slirp4netns"
        ),
        "{logs}"
    );
}

/// Captures what fly-local logs on this thread (the test's current-thread runtime).
struct CapturedLog {
    buf: Arc<Mutex<Vec<u8>>>,
    _guard: tracing::subscriber::DefaultGuard,
}

impl CapturedLog {
    fn install() -> Self {
        let buf = Arc::new(Mutex::new(Vec::new()));
        let writer = buf.clone();
        let subscriber = tracing_subscriber::fmt()
            .with_ansi(false)
            .with_writer(move || SharedWriter(writer.clone()))
            .finish();
        Self {
            buf,
            _guard: tracing::subscriber::set_default(subscriber),
        }
    }

    fn text(&self) -> String {
        String::from_utf8_lossy(&self.buf.lock().unwrap()).into_owned()
    }
}

struct SharedWriter(Arc<Mutex<Vec<u8>>>);

impl std::io::Write for SharedWriter {
    fn write(&mut self, data: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(data);
        Ok(data.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// Host processes named slirp4netns holding the network namespace `ns`
/// (`net:[inode]`, as `/proc/<pid>/ns/net` reads inside the machine).
fn slirps_of(ns: &str) -> Vec<i32> {
    let Ok(procs) = std::fs::read_dir("/proc") else {
        return Vec::new();
    };
    procs
        .filter_map(|e| e.ok()?.file_name().to_str()?.parse::<i32>().ok())
        .filter(|pid| {
            std::fs::read_to_string(format!("/proc/{pid}/comm"))
                .is_ok_and(|c| c.trim() == "slirp4netns")
        })
        .filter(|pid| {
            std::fs::read_dir(format!("/proc/{pid}/fd")).is_ok_and(|fds| {
                fds.filter_map(Result::ok).any(|fd| {
                    std::fs::read_link(fd.path()).is_ok_and(|l| l.to_string_lossy() == ns)
                })
            })
        })
        .collect()
}

#[tokio::test]
async fn slirp4netns_lives_with_the_machine() {
    require_egress_tools();
    let mut t = TestServer::start(|b| b.image(standin_image("test/standin:*"))).await;
    let app = "egress-life";
    let id = machine(&t, app).await;
    let ns = python(
        &t,
        app,
        &id,
        "import os; print(os.readlink('/proc/self/ns/net'))",
    )
    .await;
    let ns = ns.trim();
    assert_eq!(
        slirps_of(ns).len(),
        1,
        "one slirp4netns serves the machine's namespace {ns}"
    );

    // A restart keeps the machine's network (and its slirp4netns).
    let r = t
        .api
        .post(&format!("/v1/apps/{app}/machines/{id}/restart"), json!({}))
        .await;
    assert_eq!(r.status, 200, "{}", r.body);
    t.api.wait_state(app, &id, "started").await;
    assert_eq!(slirps_of(ns).len(), 1);

    // fly-local stopping ends it; the next start gives the machine a new one.
    t.restart(|b| b.image(standin_image("test/standin:*")))
        .await;
    assert!(slirps_of(ns).is_empty(), "slirp4netns ended with fly-local");
    t.api.wait_state(app, &id, "started").await;
    let ns = python(
        &t,
        app,
        &id,
        "import os; print(os.readlink('/proc/self/ns/net'))",
    )
    .await;
    let ns = ns.trim();
    assert_eq!(slirps_of(ns).len(), 1);

    // Destroying the machine ends it.
    let r = t
        .api
        .delete(&format!("/v1/apps/{app}/machines/{id}?force=true"))
        .await;
    assert_eq!(r.status, 200, "{}", r.body);
    t.api.wait_state(app, &id, "destroyed").await;
    assert!(
        slirps_of(ns).is_empty(),
        "slirp4netns ended with the machine"
    );
}

/// The host's resolver as slirp4netns finds it: this test's threads get a
/// private mount namespace whose /etc/resolv.conf names a fake DNS server on
/// a loopback address of their own, so the whole path (machine → 10.0.2.3 →
/// slirp4netns → the host's nameserver) is observed without touching the
/// host's resolver.
#[test]
fn dns_queries_from_a_machine_reach_the_hosts_resolver() {
    require_egress_tools();
    use nix::mount::{MsFlags, mount};
    nix::sched::unshare(nix::sched::CloneFlags::CLONE_NEWNS).expect("a private mount namespace");
    mount(
        None::<&str>,
        "/",
        None::<&str>,
        MsFlags::MS_REC | MsFlags::MS_PRIVATE,
        None::<&str>,
    )
    .expect("make mounts private");
    let dns = FakeDns::start();
    let dir = tempfile::tempdir().unwrap();
    let resolv = dir.path().join("resolv.conf");
    std::fs::write(&resolv, format!("nameserver {}\n", dns.ip)).unwrap();
    mount(
        Some(&resolv),
        "/etc/resolv.conf",
        None::<&str>,
        MsFlags::MS_BIND,
        None::<&str>,
    )
    .expect("bind a resolv.conf for this test");

    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    rt.block_on(async {
        let t = TestServer::start(|b| b.image(standin_image("test/standin:*"))).await;
        let id = machine(&t, "egress-dns").await;
        let out = python(
            &t,
            "egress-dns",
            &id,
            "import socket; print(socket.gethostbyname('api.provider.test'))",
        )
        .await;
        assert_eq!(out.trim(), "10.9.8.7", "the fake resolver's answer");
    });
    assert!(
        dns.names().iter().any(|n| n == "api.provider.test"),
        "the query reached the host's resolver: {:?}",
        dns.names()
    );
}

/// Answers every A query with 10.9.8.7 (other types: no records), on UDP port 53
/// of a random 127/8 address, and records the names asked.
struct FakeDns {
    ip: Ipv4Addr,
    names: Arc<Mutex<Vec<String>>>,
}

impl FakeDns {
    fn start() -> Self {
        let [b, c, d]: [u8; 3] = rand::random();
        let ip = Ipv4Addr::new(127, b | 1, c, d.max(2));
        let socket = std::net::UdpSocket::bind((ip, 53)).expect("bind UDP port 53 (as root)");
        let names = Arc::new(Mutex::new(Vec::new()));
        let record = names.clone();
        std::thread::spawn(move || {
            let mut buf = [0u8; 512];
            while let Ok((n, peer)) = socket.recv_from(&mut buf) {
                let Some((name, question_end, qtype)) = parse_question(&buf[..n]) else {
                    continue;
                };
                record.lock().unwrap().push(name);
                let a = qtype == 1;
                let mut reply = buf[..2].to_vec(); // id
                reply.extend_from_slice(&[0x81, 0x80, 0, 1, 0, u8::from(a), 0, 0, 0, 0]);
                reply.extend_from_slice(&buf[12..question_end]);
                if a {
                    // name pointer, A, IN, TTL 60, 4 bytes
                    reply.extend_from_slice(&[
                        0xc0, 0x0c, 0, 1, 0, 1, 0, 0, 0, 60, 0, 4, 10, 9, 8, 7,
                    ]);
                }
                let _ = socket.send_to(&reply, peer);
            }
        });
        Self { ip, names }
    }

    fn names(&self) -> Vec<String> {
        self.names.lock().unwrap().clone()
    }
}

/// (name, offset just past the question, qtype) of a DNS query.
fn parse_question(msg: &[u8]) -> Option<(String, usize, u16)> {
    let mut labels = Vec::new();
    let mut i = 12;
    loop {
        let len = *msg.get(i)? as usize;
        i += 1;
        if len == 0 {
            break;
        }
        labels.push(String::from_utf8_lossy(msg.get(i..i + len)?).into_owned());
        i += len;
    }
    let qtype = u16::from_be_bytes([*msg.get(i)?, *msg.get(i + 1)?]);
    Some((labels.join("."), i + 4, qtype))
}
