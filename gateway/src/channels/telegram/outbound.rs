//! Posting to a Telegram chat: answers and the "typing" chat action, retried after
//! Telegram's flood-control `retry_after`.

use std::time::Duration;

use teloxide::payloads::{SendChatActionSetters, SendMessageSetters};
use teloxide::prelude::Requester;
use teloxide::types::{ChatAction, ChatId, ThreadId};
use teloxide::{Bot, RequestError};

use crate::channels::dispatch::Conversation;
use crate::secret::Secret;

/// Attempts per message before giving up on flood control.
const MAX_ATTEMPTS: u32 = 5;
/// The longest flood-control wait honoured.
const MAX_RETRY_AFTER: Duration = Duration::from_secs(60);

/// One chat (and forum topic) to answer in.
pub struct TelegramConversation {
    pub api: Bot,
    pub token: Secret,
    pub chat_id: ChatId,
    pub thread: Option<ThreadId>,
}

impl TelegramConversation {
    fn describe(&self, e: &RequestError) -> String {
        super::describe(e, &self.token)
    }
}

impl Conversation for TelegramConversation {
    /// Telegram shows a chat action for 5 seconds; the original refreshes it every 4.
    const TYPING_EVERY: Duration = Duration::from_secs(4);

    async fn typing(&self) -> Result<(), String> {
        let mut request = self.api.send_chat_action(self.chat_id, ChatAction::Typing);
        if let Some(thread) = self.thread {
            request = request.message_thread_id(thread);
        }
        request.await.map(drop).map_err(|e| self.describe(&e))
    }

    async fn send(&self, text: &str) -> Result<(), String> {
        for attempt in 1..=MAX_ATTEMPTS {
            let mut request = self.api.send_message(self.chat_id, text);
            if let Some(thread) = self.thread {
                request = request.message_thread_id(thread);
            }
            match request.await {
                Ok(_) => return Ok(()),
                Err(RequestError::RetryAfter(wait))
                    if attempt < MAX_ATTEMPTS && wait.duration() <= MAX_RETRY_AFTER =>
                {
                    tracing::debug!(target: "telegram", "flood control: retrying in {}s", wait.seconds());
                    tokio::time::sleep(wait.duration()).await;
                }
                Err(e) => return Err(self.describe(&e)),
            }
        }
        Err("flood control: too many retries".into())
    }
}
