//! Waiting for a machine state across the API's 60-second ceiling.
//!
//! One `GET …/wait` blocks for at most 60 s and answers 408 when the state
//! was not reached. [`Machines::wait`] keeps re-waiting (as flyctl does)
//! until the caller's deadline, and treats a 404 as success when waiting for
//! `destroyed` (a destroyed machine may already be forgotten).

use std::time::{Duration, Instant};

use crate::client::Request;
use crate::error::Error;
use crate::machines::{Machines, SERVER_TIME_SLACK};
use crate::route::Route;
use crate::types::{MachineState, WaitFor, WaitResponse, WaitState};

/// The longest a single wait request may block on the server.
pub const MAX_WAIT_PER_REQUEST: Duration = Duration::from_secs(60);

/// Pause before re-waiting after a failed (not timed-out) attempt.
const REWAIT_PAUSE: Duration = Duration::from_millis(500);

impl Machines {
    /// Waits until machine `id` reaches one of `target.states`, or fails with
    /// [`Error::Timeout`] once `target.deadline` has passed.
    pub async fn wait(&self, id: &str, target: &WaitFor) -> Result<WaitResponse, Error> {
        let started = Instant::now();
        let deadline = started + target.deadline;
        let mut last_error: Option<Error> = None;
        loop {
            let remaining = deadline.saturating_duration_since(Instant::now());
            if remaining.is_zero() {
                return Err(self.wait_timed_out(id, target, last_error));
            }
            let server_wait = remaining.min(MAX_WAIT_PER_REQUEST);
            let secs = server_wait
                .as_secs_f64()
                .ceil()
                .clamp(1.0, MAX_WAIT_PER_REQUEST.as_secs_f64()) as u64;
            let mut request = Request::new(Route::MACHINE_WAIT, &[&self.app, id])
                .timeout(Duration::from_secs(secs) + SERVER_TIME_SLACK)
                .query("timeout", secs);
            for state in &target.states {
                request = request.query("state", state.as_str());
            }
            if let Some(version) = &target.version {
                request = request.query("version", version);
            }
            if let Some(event) = &target.from_event_id {
                request = request.query("from_event_id", event);
            }
            match self.client.json::<WaitResponse>(request).await {
                Ok(reached) => return Ok(reached),
                Err(error)
                    if error.is_not_found() && target.states.contains(&WaitState::Destroyed) =>
                {
                    return Ok(WaitResponse {
                        ok: true,
                        state: MachineState::Destroyed,
                        version: target.version.clone(),
                        event_id: None,
                        extra: Default::default(),
                    });
                }
                // 408: the server's wait expired; ask again.
                Err(error @ Error::Timeout { .. }) => last_error = Some(error),
                Err(error) if error.is_transient() => {
                    // Retries are exhausted for this request; pause (as long as a
                    // 429 asks, if it does) and wait again while time remains.
                    let pause = error.retry_after().unwrap_or(REWAIT_PAUSE);
                    last_error = Some(error);
                    tokio::time::sleep(
                        pause.min(deadline.saturating_duration_since(Instant::now())),
                    )
                    .await;
                }
                Err(error) => return Err(error),
            }
        }
    }

    fn wait_timed_out(&self, id: &str, target: &WaitFor, last_error: Option<Error>) -> Error {
        let states: Vec<&str> = target.states.iter().map(|s| s.as_str()).collect();
        let mut message = format!(
            "machine {id} of app {} did not reach {} within {:?}",
            self.app,
            states.join("|"),
            target.deadline
        );
        let mut request_id = None;
        if let Some(error) = last_error {
            request_id = error.request_id().map(str::to_owned);
            message.push_str(&format!(" (last answer: {error})"));
        }
        Error::Timeout {
            route: Route::MACHINE_WAIT.label,
            message,
            request_id,
        }
    }
}
