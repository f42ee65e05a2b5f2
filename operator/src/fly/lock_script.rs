//! The stale-lock check run inside the machine with `exec`.
//!
//! A lock is stale when the process it names is gone, or when a process with
//! that pid exists but started at another time (containers reuse low pids
//! after a restart, so "pid alive" alone is not proof). Only stale locks are
//! removed; the script prints one line per lock it saw.

/// POSIX sh, so it runs in the Node image and in any image with a shell.
pub const SCRIPT: &str = r#"
dir="${OPENCLAW_STATE_DIR:-/data}"
for f in "$dir"/gateway.*.lock "$dir"/tmp/openclaw-*/gateway.*.lock; do
  [ -f "$f" ] || continue
  pid=$(sed -n 's/.*"pid": *\([0-9][0-9]*\).*/\1/p' "$f" | head -n 1)
  st=$(sed -n 's/.*"startTime": *\([0-9][0-9]*\).*/\1/p' "$f" | head -n 1)
  alive=no
  if [ -n "$pid" ] && [ -r "/proc/$pid/stat" ]; then
    if [ -z "$st" ]; then
      alive=yes
    else
      cur=$(sed 's/^.*) //' "/proc/$pid/stat" | cut -d ' ' -f 20)
      [ "$cur" = "$st" ] && alive=yes
    fi
  fi
  if [ "$alive" = yes ]; then
    echo "live $f pid=$pid"
  else
    rm -f "$f" && echo "removed $f pid=${pid:-?}"
  fi
done
"#;

/// Lock files the script reports as removed.
pub fn removed(stdout: &str) -> Vec<String> {
    stdout
        .lines()
        .filter_map(|l| l.strip_prefix("removed "))
        .map(|rest| rest.split(" pid=").next().unwrap_or(rest).to_owned())
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::process::Command;

    fn run(dir: &std::path::Path) -> String {
        let out = Command::new("sh")
            .arg("-c")
            .arg(SCRIPT)
            .env("OPENCLAW_STATE_DIR", dir)
            .output()
            .expect("sh runs");
        String::from_utf8(out.stdout).unwrap()
    }

    fn start_time(pid: u32) -> String {
        let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap();
        let rest = &stat[stat.rfind(')').unwrap() + 2..];
        rest.split(' ').nth(19).unwrap().to_owned()
    }

    #[test]
    fn removes_dead_and_reused_pids_keeps_the_live_owner() {
        let dir = tempfile::tempdir().unwrap();
        let me = std::process::id();
        let lock = |pid: u32, st: &str| {
            format!("{{\n  \"pid\": {pid},\n  \"startTime\": {st}\n}}\n\t\t \t\n")
        };
        std::fs::write(
            dir.path().join("gateway.live.lock"),
            lock(me, &start_time(me)),
        )
        .unwrap();
        std::fs::write(dir.path().join("gateway.reused.lock"), lock(me, "1")).unwrap();
        std::fs::create_dir_all(dir.path().join("tmp/openclaw-0")).unwrap();
        std::fs::write(
            dir.path().join("tmp/openclaw-0/gateway.41895371.lock"),
            lock(999_999_999, "5"),
        )
        .unwrap();
        let out = run(dir.path());
        let gone = removed(&out);
        assert_eq!(gone.len(), 2, "{out}");
        assert!(dir.path().join("gateway.live.lock").exists(), "{out}");
        assert!(!dir.path().join("gateway.reused.lock").exists());
        assert!(
            !dir.path()
                .join("tmp/openclaw-0/gateway.41895371.lock")
                .exists()
        );
    }
}
