//! The live table on a real terminal (tmux, 80×24): redrawn in place (no
//! screen clears), within 80 columns, with the start-up lines still on
//! screen; and Ctrl-C typed in that terminal stops the gateway gracefully.

use std::process::Command;
use std::time::Duration;

use crate::support::{BIN, Home, resource};

struct Tmux {
    socket: std::path::PathBuf,
    session: String,
}

impl Tmux {
    fn cmd(&self, args: &[&str]) -> String {
        let out = Command::new("tmux")
            .arg("-S")
            .arg(&self.socket)
            .args(args)
            .output()
            .expect("tmux is installed (.ci/run installs it)");
        String::from_utf8_lossy(&out.stdout).into_owned()
    }

    fn screen(&self) -> String {
        self.cmd(&["capture-pane", "-p", "-t", &self.session])
    }

    async fn wait_screen(&self, what: &str, pred: impl Fn(&str) -> bool) -> String {
        let deadline = tokio::time::Instant::now() + Duration::from_secs(60);
        loop {
            let screen = self.screen();
            if pred(&screen) {
                return screen;
            }
            assert!(
                tokio::time::Instant::now() < deadline,
                "never {what}:\n{screen}"
            );
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
    }
}

impl Drop for Tmux {
    fn drop(&mut self) {
        self.cmd(&["kill-server"]);
    }
}

#[tokio::test]
async fn the_live_table_redraws_in_place_within_80_columns() {
    let home = Home::new();
    // A long name and a long error make rows wider than 80 columns.
    home.write("a.yaml", &resource("a-gateway-with-a-rather-long-name", ""));
    home.write(
        "bad.yaml",
        &resource("bad", "  fly: { vm: { memoryMb: 128 } }\n"),
    );
    let raw = home.dir.path().join("raw.log");
    let script = format!(
        "XDG_STATE_HOME={state} {BIN} up --metrics-addr 127.0.0.1:0 --check-interval 300ms \
         --images {images} -f {res}; echo UP-EXITED; sleep 60",
        state = home.state().display(),
        images = home.images_file().display(),
        res = home.resources().display(),
    );
    let t = Tmux {
        socket: home.dir.path().join("tmux.sock"),
        session: "day2".into(),
    };
    t.cmd(&[
        "new-session",
        "-d",
        "-s",
        "day2",
        "-x",
        "80",
        "-y",
        "24",
        &script,
    ]);
    t.cmd(&[
        "pipe-pane",
        "-t",
        "day2",
        "-o",
        &format!("cat >> {}", raw.display()),
    ]);
    let screen = t
        .wait_screen("Ready with a local URL", |s| {
            s.lines().any(|l| l.contains("Ready")) && s.contains("open http://127.0.0.1:")
        })
        .await;
    // Let it redraw a few more times.
    let again = t
        .wait_screen("redrawn", |s| s != screen || s.contains("Failed"))
        .await;
    tokio::time::sleep(Duration::from_millis(1500)).await;
    let screen = t.screen();
    for line in screen.lines() {
        assert!(line.chars().count() <= 80, "{line:?}\n{screen}");
    }
    let joined = t.cmd(&["capture-pane", "-p", "-J", "-t", "day2"]);
    assert_eq!(
        joined.lines().count(),
        screen.lines().count(),
        "no line wrapped:\n{screen}"
    );
    assert!(
        screen.contains("reconciling against the embedded fly-local"),
        "start-up lines stay:\n{screen}"
    );
    assert!(
        screen.contains("NAME") && screen.contains("LAST EVENT"),
        "{screen}"
    );
    assert!(
        screen.contains("…"),
        "the long row is cut with an ellipsis:\n{screen}"
    );
    let failed = screen
        .lines()
        .find(|l| l.contains("default/bad"))
        .expect(&screen);
    assert!(failed.contains("Failed"), "{failed}");
    assert!(!again.is_empty());
    let bytes = std::fs::read(&raw).unwrap();
    let stream = String::from_utf8_lossy(&bytes);
    assert!(
        !stream.contains("\x1b[2J") && !stream.contains("\x1b[H"),
        "no screen clears"
    );
    assert_eq!(
        stream.matches("reconciling against").count(),
        1,
        "the start-up lines are printed once"
    );
    assert!(
        stream.matches("\x1b[").count() > 3,
        "it did redraw (cursor addressing)"
    );

    // Ctrl-C in the terminal: gateways get SIGTERM, not the terminal's SIGINT.
    t.cmd(&["send-keys", "-t", "day2", "C-c"]);
    let screen = t.wait_screen("up exits", |s| s.contains("UP-EXITED")).await;
    assert!(
        screen.contains("stopped; the gateways stay declared"),
        "{screen}"
    );
    let machines = home.operator_state().join("fly-local/machines");
    let log: String = std::fs::read_dir(&machines)
        .unwrap()
        .flatten()
        .map(|m| std::fs::read_to_string(m.path().join("machine.log")).unwrap_or_default())
        .collect();
    assert!(
        log.contains("Sending signal SIGTERM to main child"),
        "{log}"
    );
    assert!(
        !log.contains("received SIGINT"),
        "the terminal's SIGINT never reached the gateway: {log}"
    );
}
