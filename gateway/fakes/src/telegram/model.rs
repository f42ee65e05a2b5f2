//! Telegram objects as the Bot API sends them.

use serde_json::{Value, json};

/// The fake bot's user id (the number before `:` in its token).
pub const BOT_ID: i64 = 7_000_000_001;
/// The fake bot's `@username`.
pub const BOT_USERNAME: &str = "fake_claw_bot";

/// A message a person writes, delivered as an Update.
#[derive(Debug, Clone)]
pub struct Incoming {
    pub chat_id: i64,
    /// `private`, `group` or `supergroup`.
    pub chat_type: &'static str,
    pub chat_title: Option<String>,
    pub from_id: i64,
    pub from_name: String,
    pub from_is_bot: bool,
    pub text: String,
    /// Replying to a message the bot wrote.
    pub reply_to_bot: bool,
    /// Forum topic.
    pub thread_id: Option<i64>,
}

impl Incoming {
    /// A direct message from user `from_id`.
    pub fn direct(from_id: i64, text: &str) -> Self {
        Self {
            chat_id: from_id,
            chat_type: "private",
            chat_title: None,
            from_id,
            from_name: "Alice".into(),
            from_is_bot: false,
            text: text.to_owned(),
            reply_to_bot: false,
            thread_id: None,
        }
    }

    /// A message in supergroup `chat_id` (negative) from user `from_id`.
    pub fn group(chat_id: i64, from_id: i64, text: &str) -> Self {
        Self {
            chat_id,
            chat_type: "supergroup",
            chat_title: Some("Test group".into()),
            ..Self::direct(from_id, text)
        }
    }

    pub fn replying_to_bot(mut self) -> Self {
        self.reply_to_bot = true;
        self
    }

    pub fn in_topic(mut self, thread_id: i64) -> Self {
        self.thread_id = Some(thread_id);
        self
    }

    pub(crate) fn to_json(&self, message_id: i64) -> Value {
        let mut chat = json!({"id": self.chat_id, "type": self.chat_type});
        match &self.chat_title {
            Some(title) => chat["title"] = json!(title),
            None => chat["first_name"] = json!(self.from_name),
        }
        let mut m = json!({
            "message_id": message_id,
            "date": jiff::Timestamp::now().as_second(),
            "chat": chat,
            "from": {"id": self.from_id, "is_bot": self.from_is_bot, "first_name": self.from_name},
            "text": self.text,
        });
        let mentions: Vec<Value> = mention_entities(&self.text);
        if !mentions.is_empty() {
            m["entities"] = Value::Array(mentions);
        }
        if self.reply_to_bot {
            m["reply_to_message"] = bot_message(message_id - 1, self.chat_id, "an earlier answer");
        }
        if let Some(thread) = self.thread_id {
            m["message_thread_id"] = json!(thread);
            m["is_topic_message"] = json!(true);
            m["chat"]["is_forum"] = json!(true);
        }
        m
    }
}

/// `mention` entities for every `@name` in `text`, with UTF-16 offsets as Telegram
/// counts them.
fn mention_entities(text: &str) -> Vec<Value> {
    let mut out = Vec::new();
    let mut offset16 = 0usize;
    let chars: Vec<char> = text.chars().collect();
    let mut i = 0;
    while i < chars.len() {
        if chars[i] == '@' && (i == 0 || !chars[i - 1].is_alphanumeric()) {
            let len = chars[i + 1..]
                .iter()
                .take_while(|c| c.is_ascii_alphanumeric() || **c == '_')
                .count();
            if len > 0 {
                out.push(json!({"type": "mention", "offset": offset16, "length": len + 1}));
            }
        }
        offset16 += chars[i].len_utf16();
        i += 1;
    }
    out
}

/// A message the bot wrote.
pub(crate) fn bot_message(message_id: i64, chat_id: i64, text: &str) -> Value {
    json!({
        "message_id": message_id,
        "date": jiff::Timestamp::now().as_second(),
        "chat": {"id": chat_id, "type": if chat_id < 0 { "supergroup" } else { "private" },
                 "title": "Test group", "first_name": "Alice"},
        "from": {"id": BOT_ID, "is_bot": true, "first_name": "Fake Bot", "username": BOT_USERNAME},
        "text": text,
    })
}
