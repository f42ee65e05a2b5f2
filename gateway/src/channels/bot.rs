//! What every bot account needs besides its platform client.

use std::sync::Arc;

use super::dispatch::ReplyStyle;
use super::pairing::PairingStore;
use super::status::AccountStatus;
use crate::agents::Engine;

/// One account's shared parts: where its state is reported, the engine that
/// answers, the pairing store, and how replies are shaped for its platform.
pub struct BotContext {
    pub status: Arc<AccountStatus>,
    /// `None` when the agents could not start (messages are then not answered).
    pub engine: Option<Engine>,
    pub pairing: Arc<PairingStore>,
    pub style: ReplyStyle,
}
