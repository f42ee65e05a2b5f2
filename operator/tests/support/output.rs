//! A child process's output, as the operator's process harnesses read it: every
//! line of stdout and stderr kept (for failure messages) and streamed (to wait
//! for a readiness line), with terminal colour codes removed.

use std::sync::{Arc, Mutex};

use tokio::io::{AsyncBufReadExt, BufReader};
use tokio::process::Child;
use tokio::sync::mpsc::UnboundedReceiver;

/// Everything printed so far, and the lines as they come.
pub struct Output {
    pub all: Arc<Mutex<String>>,
    pub lines: UnboundedReceiver<String>,
}

/// Starts reading `child`'s piped stdout and stderr.
pub fn capture(child: &mut Child) -> Output {
    let all = Arc::new(Mutex::new(String::new()));
    let (tx, lines) = tokio::sync::mpsc::unbounded_channel::<String>();
    for stream in [
        Box::new(child.stdout.take().expect("stdout piped"))
            as Box<dyn tokio::io::AsyncRead + Unpin + Send>,
        Box::new(child.stderr.take().expect("stderr piped")),
    ] {
        let (all, tx) = (all.clone(), tx.clone());
        tokio::spawn(async move {
            let mut reader = BufReader::new(stream).lines();
            while let Ok(Some(line)) = reader.next_line().await {
                let line = strip_ansi(&line);
                {
                    let mut all = all.lock().unwrap();
                    all.push_str(&line);
                    all.push('\n');
                }
                let _ = tx.send(line);
            }
        });
    }
    Output { all, lines }
}

/// Removes terminal colour codes (`ESC [ … m`) from a log line.
fn strip_ansi(line: &str) -> String {
    let mut out = String::with_capacity(line.len());
    let mut chars = line.chars();
    while let Some(c) = chars.next() {
        if c == '\u{1b}' {
            for c in chars.by_ref() {
                if c.is_ascii_alphabetic() {
                    break;
                }
            }
        } else {
            out.push(c);
        }
    }
    out
}
