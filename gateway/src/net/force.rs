//! `--force`: stop whatever listens on the gateway port, as the original does.
//!
//! Listeners are found through `/proc/net/tcp{,6}` (socket inode of the LISTEN entry) and
//! `/proc/<pid>/fd` (which process holds that inode), so no `lsof`/`ss` is needed.

use std::collections::HashSet;
use std::time::{Duration, Instant};

use super::listen::port_in_use;

/// A process that was listening on the port.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Listener {
    pub pid: u32,
    pub name: String,
    pub command_line: String,
}

/// Processes (other than this one) with a listening TCP socket on `port`.
pub fn listeners(port: u16) -> Vec<Listener> {
    let inodes = listening_inodes(port);
    if inodes.is_empty() {
        return Vec::new();
    }
    let me = std::process::id();
    let mut found = Vec::new();
    let Ok(procs) = std::fs::read_dir("/proc") else {
        return found;
    };
    for entry in procs.flatten() {
        let Some(pid) = entry
            .file_name()
            .to_str()
            .and_then(|s| s.parse::<u32>().ok())
        else {
            continue;
        };
        if pid == me {
            continue;
        }
        let Ok(fds) = std::fs::read_dir(entry.path().join("fd")) else {
            continue;
        };
        let holds = fds.flatten().any(|fd| {
            std::fs::read_link(fd.path())
                .ok()
                .and_then(|target| {
                    let t = target.to_str()?.to_owned();
                    t.strip_prefix("socket:[")?
                        .strip_suffix(']')?
                        .parse::<u64>()
                        .ok()
                })
                .is_some_and(|inode| inodes.contains(&inode))
        });
        if holds {
            found.push(Listener {
                pid,
                name: crate::lock::process::name(pid).unwrap_or_default(),
                command_line: crate::lock::process::command_line(pid).unwrap_or_default(),
            });
        }
    }
    found
}

fn listening_inodes(port: u16) -> HashSet<u64> {
    const LISTEN: &str = "0A";
    let mut inodes = HashSet::new();
    for table in ["/proc/net/tcp", "/proc/net/tcp6"] {
        let Ok(text) = std::fs::read_to_string(table) else {
            continue;
        };
        for line in text.lines().skip(1) {
            let cols: Vec<&str> = line.split_whitespace().collect();
            let (Some(local), Some(state), Some(inode)) = (cols.get(1), cols.get(3), cols.get(9))
            else {
                continue;
            };
            let local_port = local
                .rsplit(':')
                .next()
                .and_then(|p| u16::from_str_radix(p, 16).ok());
            if *state == LISTEN && local_port == Some(port) {
                inodes.extend(inode.parse::<u64>().ok().filter(|i| *i != 0));
            }
        }
    }
    inodes
}

/// SIGTERMs every listener on `port`, waits up to `grace` for the port to free, then
/// SIGKILLs the survivors. Returns who was stopped.
pub fn free_port(port: u16, grace: Duration) -> Vec<Listener> {
    use nix::sys::signal::{Signal, kill};
    use nix::unistd::Pid;
    let victims = listeners(port);
    for v in &victims {
        let _ = kill(Pid::from_raw(v.pid as i32), Signal::SIGTERM);
    }
    let deadline = Instant::now() + grace;
    while Instant::now() < deadline
        && !victims.is_empty()
        && (port_in_use(port) || any_alive(&victims))
    {
        std::thread::sleep(Duration::from_millis(50));
    }
    for v in victims
        .iter()
        .filter(|v| crate::lock::process::is_alive(v.pid))
    {
        let _ = kill(Pid::from_raw(v.pid as i32), Signal::SIGKILL);
    }
    victims
}

fn any_alive(victims: &[Listener]) -> bool {
    victims
        .iter()
        .any(|v| crate::lock::process::is_alive(v.pid))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_and_stops_a_listener() {
        let mut child = std::process::Command::new("python3")
            .args(["-c", "import socket,sys,time; s=socket.socket(); s.bind(('127.0.0.1',0)); s.listen(); print(s.getsockname()[1], flush=True); time.sleep(60)"])
            .stdout(std::process::Stdio::piped())
            .spawn()
            .expect("python3 is needed for this test (installed on every CI machine)");
        let mut line = String::new();
        std::io::BufRead::read_line(
            &mut std::io::BufReader::new(child.stdout.take().unwrap()),
            &mut line,
        )
        .unwrap();
        let port: u16 = line.trim().parse().unwrap();
        let found = listeners(port);
        assert_eq!(
            found.iter().map(|l| l.pid).collect::<Vec<_>>(),
            [child.id()]
        );
        let stopped = free_port(port, Duration::from_secs(2));
        assert_eq!(stopped.len(), 1);
        assert!(child.wait().is_ok());
        assert!(listeners(port).is_empty());
    }
}
