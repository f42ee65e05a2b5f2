//! `logs NAME [-f] [--since D]`: the gateway's output, from the log API
//! flyctl reads (`GET /api/v1/apps/{app}/logs`, see
//! [`fly_machines::LogsClient`]): on Fly at `api.fly.io`, on a fly-local at
//! its own address (it serves the same path and shape from its machines'
//! output). Every machine of the gateway's app is included, so a machine
//! the operator replaced is followed into its successor; the position is a
//! token in time, so `-f` carries on across machine restarts and, with the
//! embedded fly-local, across restarts of `up` (the new address is read from
//! its advert).

use std::io::Write;
use std::time::Duration;

use anyhow::Context as _;
use fly_machines::{LogEntry, LogsClient, Token};

use crate::cli::LogsArgs;
use crate::embedded::LocalAdmin;
use crate::running;
use crate::telemetry;

/// Where the lines come from.
struct Source {
    client: LogsClient,
    app: String,
    /// Found through a running `up`'s embedded fly-local (re-found after a restart).
    embedded: bool,
    description: String,
}

/// Longest wait between polls when nothing comes (flyctl's is 4 s).
const MAX_WAIT: Duration = Duration::from_secs(2);
const MIN_WAIT: Duration = Duration::from_millis(100);

/// Prints the lines; with `-f` until Ctrl-C.
pub async fn logs(args: LogsArgs) -> anyhow::Result<u8> {
    let mut source = find_source(&args).await?;
    tracing::debug!(from = %source.description, "reading logs");
    let cutoff = args
        .since
        .and_then(|d| jiff::SignedDuration::try_from(d).ok())
        .and_then(|d| jiff::Timestamp::now().checked_sub(d).ok());
    let mut token = String::new();
    let mut wait = MIN_WAIT;
    let mut said_waiting = false;
    loop {
        let page = tokio::select! {
            p = source.client.page(&source.app, &token, None, None) => p,
            _ = tokio::signal::ctrl_c() => return Ok(0),
        };
        match page {
            Ok((entries, next)) => {
                said_waiting = false;
                token = next;
                let fresh: Vec<&LogEntry> =
                    entries.iter().filter(|e| is_after(e, cutoff)).collect();
                print(&fresh)?;
                if !entries.is_empty() {
                    wait = MIN_WAIT;
                    continue;
                }
                if !args.follow {
                    return Ok(0);
                }
                wait = (wait * 2).min(MAX_WAIT);
            }
            Err(e) if args.follow && (source.embedded || retryable(&e)) => {
                if !said_waiting {
                    eprintln!(
                        "logs: {} did not answer ({e}); waiting for it…",
                        source.description
                    );
                    said_waiting = true;
                }
                if source.embedded
                    && let Ok(again) = find_source(&args).await
                {
                    source = again;
                }
                wait = MAX_WAIT;
            }
            Err(e) => {
                return Err(e).with_context(|| {
                    format!(
                        "reading the logs of app {} from {}",
                        source.app, source.description
                    )
                });
            }
        }
        tokio::select! {
            _ = tokio::time::sleep(wait) => {}
            _ = tokio::signal::ctrl_c() => return Ok(0),
        }
    }
}

/// Worth another try while following: the API was unreachable or busy.
fn retryable(e: &fly_machines::Error) -> bool {
    matches!(
        e,
        fly_machines::Error::Transport { .. }
            | fly_machines::Error::Timeout { .. }
            | fly_machines::Error::Server(_)
            | fly_machines::Error::RateLimited { .. }
    )
}

fn is_after(e: &LogEntry, cutoff: Option<jiff::Timestamp>) -> bool {
    match cutoff {
        None => true,
        Some(cut) => e
            .timestamp
            .parse::<jiff::Timestamp>()
            .is_ok_and(|t| t >= cut),
    }
}

/// One line as flyctl prints it: `TIME app[MACHINE] REGION [LEVEL] MESSAGE`.
pub fn format_entry(e: &LogEntry) -> String {
    format!(
        "{} {}[{}] {} [{}] {}",
        e.timestamp,
        e.provider(),
        e.instance,
        e.region,
        e.level,
        e.message
    )
}

fn print(entries: &[&LogEntry]) -> anyhow::Result<()> {
    if entries.is_empty() {
        return Ok(());
    }
    let mut out = std::io::stdout().lock();
    for e in entries {
        if writeln!(out, "{}", format_entry(e)).is_err() {
            // The reader went away (`| head`): stop quietly, as a pipe expects.
            std::process::exit(0);
        }
    }
    out.flush().ok();
    Ok(())
}

/// The resource's app and the log API to read it from: a running `up`
/// that knows it (its embedded fly-local, else the API it uses), else the
/// API this command is given (`--app`, default NAME).
async fn find_source(args: &LogsArgs) -> anyhow::Result<Source> {
    let state = telemetry::state_dir();
    let found = running::find(&state, &args.name).await.ok().flatten();
    if let Some(found) = &found {
        let app = found.entry["status"]["fly"]["app"]
            .as_str()
            .map(str::to_owned)
            .or_else(|| args.app.clone())
            .unwrap_or_else(|| found.key.name.clone());
        if let Some(fl) = &found.up.advert.fly_local {
            return Ok(Source {
                client: LogsClient::new(&fl.base_url, Token::new(&fl.token)?)?,
                app,
                embedded: true,
                description: format!(
                    "the embedded fly-local of `up` (pid {})",
                    found.up.advert.pid
                ),
            });
        }
        return api_source(args, app).await;
    }
    let app = args.app.clone().unwrap_or_else(|| bare_name(&args.name));
    api_source(args, app).await
}

/// The log API for the Machines API this command is configured with: a
/// fly-local serves logs itself, Fly at `--fly-logs-url`.
async fn api_source(args: &LogsArgs, app: String) -> anyhow::Result<Source> {
    let Some(raw) = args
        .fly
        .fly_api_token
        .as_deref()
        .filter(|t| !t.trim().is_empty())
    else {
        anyhow::bail!(
            "no running `up` declares {} and FLY_API_TOKEN is not set: start `up`, or set \
             FLY_API_TOKEN to read app {app}'s logs from Fly",
            args.name
        );
    };
    let token = Token::new(raw)?;
    let (base, description) = match LocalAdmin::detect(&args.fly.fly_api_url, raw).await {
        Some(_) => (
            args.fly.fly_api_url.clone(),
            format!("the fly-local at {}", args.fly.fly_api_url),
        ),
        None => (
            args.fly_logs_url.clone(),
            format!("Fly's log API at {}", args.fly_logs_url),
        ),
    };
    Ok(Source {
        client: LogsClient::new(&base, token)?,
        app,
        embedded: false,
        description,
    })
}

/// The name of `name` or `namespace/name`: the default app name.
pub fn bare_name(s: &str) -> String {
    s.rsplit('/').next().unwrap_or(s).to_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lines_read_like_flyctl_and_since_filters() {
        let e: LogEntry = serde_json::from_value(serde_json::json!({
            "timestamp": "2026-01-02T03:04:05.000000001Z",
            "message": "[gateway] listening on ws://0.0.0.0:3000",
            "level": "info",
            "instance": "148ed",
            "region": "iad",
            "meta": {"event": {"provider": "app"}}
        }))
        .unwrap();
        assert_eq!(
            format_entry(&e),
            "2026-01-02T03:04:05.000000001Z app[148ed] iad [info] [gateway] listening on ws://0.0.0.0:3000"
        );
        let before: jiff::Timestamp = "2026-01-02T03:00:00Z".parse().unwrap();
        let after: jiff::Timestamp = "2026-01-02T04:00:00Z".parse().unwrap();
        assert!(is_after(&e, Some(before)));
        assert!(!is_after(&e, Some(after)));
        assert!(is_after(&e, None));
        assert_eq!(bare_name("team/claw"), "claw");
    }
}
