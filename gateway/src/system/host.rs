//! The gateway host, read from the kernel (`uname`, `/proc`, `statvfs`): what
//! `system.info` reports and the Control UI's Systems view shows.

use std::path::Path;

use serde_json::{Value, json};

/// `x64`/`arm64` as Node names architectures (the clients were written against it).
pub fn arch() -> &'static str {
    match std::env::consts::ARCH {
        "x86_64" => "x64",
        "aarch64" => "arm64",
        "x86" => "ia32",
        other => other,
    }
}

/// `(hostname, kernel release)`.
pub fn uname() -> (String, String) {
    let u = nix::sys::utsname::uname().ok();
    let field = |f: fn(&nix::sys::utsname::UtsName) -> &std::ffi::OsStr| {
        u.as_ref()
            .map(|u| f(u).to_string_lossy().into_owned())
            .unwrap_or_default()
    };
    (field(|u| u.nodename()), field(|u| u.release()))
}

/// `MemTotal` and `MemAvailable` of `/proc/meminfo`, in bytes.
pub fn memory(meminfo: &str) -> (u64, u64) {
    let kb = |name: &str| {
        meminfo
            .lines()
            .find_map(|l| l.strip_prefix(name))
            .and_then(|rest| rest.split_whitespace().next()?.parse::<u64>().ok())
            .map_or(0, |v| v * 1024)
    };
    (kb("MemTotal:"), kb("MemAvailable:"))
}

/// The 1, 5 and 15 minute load averages of `/proc/loadavg`.
pub fn load_average(loadavg: &str) -> [f64; 3] {
    let mut it = loadavg
        .split_whitespace()
        .map(|v| v.parse::<f64>().unwrap_or(0.0));
    [
        it.next().unwrap_or(0.0),
        it.next().unwrap_or(0.0),
        it.next().unwrap_or(0.0),
    ]
}

/// The first `model name` of `/proc/cpuinfo`.
pub fn cpu_model(cpuinfo: &str) -> Option<String> {
    cpuinfo
        .lines()
        .find(|l| l.starts_with("model name"))
        .and_then(|l| l.split_once(':'))
        .map(|(_, v)| v.trim().to_owned())
}

/// `(total, available)` bytes of the filesystem holding `path`.
pub fn disk(path: &Path) -> Option<(u64, u64)> {
    let s = nix::sys::statvfs::statvfs(path).ok()?;
    let frag = s.fragment_size() as u64;
    Some((s.blocks() as u64 * frag, s.blocks_available() as u64 * frag))
}

/// The `system.info` payload.
pub fn info(port: u16, state_dir: &Path, boot_id: &str, uptime_ms: u64, rss_bytes: u64) -> Value {
    let read = |p: &str| std::fs::read_to_string(p).unwrap_or_default();
    let (hostname, release) = uname();
    let (total, free) = memory(&read("/proc/meminfo"));
    let cpus = std::thread::available_parallelism().map_or(1, |n| n.get());
    let mut v = json!({
        "machineName": hostname, "hostname": hostname, "platform": std::env::consts::OS,
        "release": release, "arch": arch(), "osLabel": format!("Linux {release}"),
        "port": port, "pid": std::process::id(), "processInstanceId": boot_id,
        "uptimeMs": uptime_ms, "cpuCount": cpus, "cpuModel": cpu_model(&read("/proc/cpuinfo")),
        "loadAverage": load_average(&read("/proc/loadavg")),
        "memoryTotalBytes": total, "memoryFreeBytes": free,
        "processMemory": {"rssBytes": rss_bytes},
        "diskPath": state_dir,
    });
    if let Some((total, available)) = disk(state_dir) {
        v["disks"] = json!([{"path": state_dir, "totalBytes": total, "availableBytes": available}]);
        v["diskTotalBytes"] = json!(total);
        v["diskAvailableBytes"] = json!(available);
    }
    v
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn proc_files_parse() {
        let (t, a) =
            memory("MemTotal:       24683664 kB\nMemFree: 1 kB\nMemAvailable:   22550264 kB\n");
        assert_eq!((t, a), (24_683_664 * 1024, 22_550_264 * 1024));
        assert_eq!(load_average("2.62 2.03 1.80 3/512 999"), [2.62, 2.03, 1.8]);
        assert_eq!(
            cpu_model("processor\t: 0\nmodel name\t: AMD EPYC\n").as_deref(),
            Some("AMD EPYC")
        );
        assert!(disk(Path::new("/")).is_some_and(|(t, a)| t >= a && t > 0));
    }
}
