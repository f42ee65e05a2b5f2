//! What `/proc` says about a process: alive, when it started, which boot it belongs to.

use std::path::Path;

/// `field 22` of `/proc/<pid>/stat`: start time in clock ticks since boot. Two processes
/// with the same pid and start time on the same boot are the same process.
pub fn start_time(pid: u32) -> Option<u64> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    // `comm` (field 2) is parenthesised and may contain spaces or parentheses itself.
    let after_comm = &stat[stat.rfind(')')? + 1..];
    after_comm.split_whitespace().nth(22 - 3)?.parse().ok()
}

/// The kernel's boot id: changes on every boot, so a lock written before a machine or
/// VM restart can be recognised as stale even if its pid was reused.
pub fn boot_id() -> Option<String> {
    let id = std::fs::read_to_string("/proc/sys/kernel/random/boot_id").ok()?;
    Some(id.trim().to_owned()).filter(|id| !id.is_empty())
}

/// Whether a process with this pid exists (a permission error means it does).
pub fn is_alive(pid: u32) -> bool {
    let Ok(pid) = i32::try_from(pid) else {
        return false;
    };
    if pid <= 0 {
        return false;
    }
    match nix::sys::signal::kill(nix::unistd::Pid::from_raw(pid), None) {
        Ok(()) | Err(nix::errno::Errno::EPERM) => !is_zombie(pid as u32),
        Err(_) => Path::new(&format!("/proc/{pid}")).exists() && !is_zombie(pid as u32),
    }
}

fn is_zombie(pid: u32) -> bool {
    std::fs::read_to_string(format!("/proc/{pid}/stat"))
        .ok()
        .and_then(|s| {
            s.rfind(')')
                .and_then(|i| s[i + 1..].split_whitespace().next().map(|st| st == "Z"))
        })
        .unwrap_or(false)
}

/// The command line of `pid`, arguments joined by spaces.
pub fn command_line(pid: u32) -> Option<String> {
    let raw = std::fs::read(format!("/proc/{pid}/cmdline")).ok()?;
    let args: Vec<String> = raw
        .split(|b| *b == 0)
        .filter(|a| !a.is_empty())
        .map(|a| String::from_utf8_lossy(a).into_owned())
        .collect();
    Some(args.join(" "))
}

/// The short process name (`comm`) of `pid`.
pub fn name(pid: u32) -> Option<String> {
    Some(
        std::fs::read_to_string(format!("/proc/{pid}/comm"))
            .ok()?
            .trim()
            .to_owned(),
    )
}

/// Whether `pid` looks like an OpenClaw gateway (Node or ours), for locks without a start time.
pub fn looks_like_gateway(pid: u32) -> bool {
    name(pid).is_some_and(|n| n.starts_with("openclaw-gatewa"))
        || command_line(pid).is_some_and(|c| c.split(' ').any(|arg| arg == "gateway"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_our_own_process() {
        let me = std::process::id();
        assert!(is_alive(me));
        assert!(start_time(me).is_some());
        assert_eq!(start_time(me), start_time(me));
        assert!(boot_id().is_some_and(|b| b.len() >= 32));
        assert!(command_line(me).is_some());
        assert!(!is_alive(0));
        assert!(!is_alive(u32::MAX));
    }
}
