//! Telegram end to end: the real gateway process runs teloxide against the fake
//! Bot API (long polling and webhooks), and the default agent answers through a
//! fake model provider.

mod channels_support;

use std::time::Duration;

use channels_support::*;
use openclaw_fakes::providers::{Answer, FakeProvider, Reply};
use openclaw_fakes::telegram::{BOT_USERNAME, FakeTelegram, Incoming};
use openclaw_gateway::channels::chunk::{Limits, Unit, split};
use serde_json::{Value, json};

const OWNER: i64 = 42;
const STRANGER: i64 = 7;
const GROUP: i64 = -1_001_234_567_890;
const OTHER_GROUP: i64 = -1_009_999_999_999;

fn env(tg: &FakeTelegram, model: &FakeProvider) -> Vec<(String, String)> {
    let mut env = model_env(model);
    env.push(("TELEGRAM_API_BASE_URL".into(), tg.api_base()));
    env.push(("TELEGRAM_BOT_TOKEN".into(), tg.token()));
    env
}

fn telegram(block: Value) -> Value {
    json!({"channels": {"telegram": block}})
}

fn at_bot(text: &str) -> String {
    format!("@{BOT_USERNAME} {text}")
}

async fn started(gw: &Gateway) {
    gw.wait_for_log(&format!(
        "[telegram] [default] starting provider (@{BOT_USERNAME})"
    ))
    .await;
}

#[tokio::test]
async fn an_allowed_dm_gets_the_answer_in_telegram_sized_chunks() {
    let model = model().await;
    // Emoji are one code point but two UTF-16 units: Telegram's count.
    let answer = format!("{}\n\n{}", "🙂 smile ".repeat(700), long_answer(10));
    model.always(Reply::Answer(Answer::text(answer.clone()).deltas(3)));
    let tg = FakeTelegram::start().await;
    let gw = Gateway::start(
        telegram(json!({"dmPolicy": "allowlist", "allowFrom": [OWNER.to_string()]})),
        &env(&tg, &model),
    )
    .await;
    started(&gw).await;

    tg.inject(Incoming::direct(OWNER, "tell me everything"));
    let expected = split(
        &answer,
        Limits {
            max_units: 4096,
            max_lines: None,
            unit: Unit::Utf16,
        },
    );
    assert!(expected.len() >= 3);
    let sent = tg.wait_for_sent(expected.len(), WAIT).await;
    let texts: Vec<&str> = sent.iter().map(|(_, t)| t.as_str()).collect();
    assert_eq!(texts, expected, "{}", gw.logs());
    for (chat, text) in &sent {
        assert_eq!(*chat, OWNER);
        assert!(text.encode_utf16().count() <= 4096);
    }
    // "typing…" went out before the first part.
    let calls = tg.calls();
    let typing = calls
        .iter()
        .position(|c| c.method.eq_ignore_ascii_case("sendChatAction"));
    let first_send = calls
        .iter()
        .position(|c| c.method.eq_ignore_ascii_case("sendMessage"));
    assert!(typing.unwrap() < first_send.unwrap());
    assert_eq!(calls[typing.unwrap()].body["action"], "typing");
    // Long polling asked for messages only, and carried the offset forward.
    let polls = tg.calls_of("getUpdates");
    assert_eq!(polls[0].body["allowed_updates"], json!(["message"]));
    assert!(
        tg.wait_until(WAIT, |t| t
            .calls_of("getUpdates")
            .iter()
            .any(|p| p.body["offset"].as_i64() > Some(0)))
            .await
    );
    // DMs share the agent's main session, as the original's default dmScope.
    let mut ws = gw.connect().await;
    let history = ws
        .call("chat.history", json!({"sessionKey": "agent:main:main"}))
        .await;
    assert!(
        history["payload"]["messages"]
            .to_string()
            .contains("tell me everything"),
        "{history}"
    );
    let health = ws.call("health", json!({})).await;
    let t = &health["payload"]["channels"]["telegram"];
    assert_eq!(
        (t["connected"].as_bool(), t["mode"].as_str()),
        (Some(true), Some("polling")),
        "{t}"
    );
    assert_eq!(t["probe"]["bot"]["username"], BOT_USERNAME);
    let logs = gw.stop().await;
    assert!(
        !logs.contains(&tg.token()),
        "the token never reaches the logs"
    );
}

#[tokio::test]
async fn group_messages_follow_the_allowlists_and_mention_gating() {
    let model = model().await;
    let tg = FakeTelegram::start().await;
    let gw = Gateway::start(
        telegram(
            json!({"dmPolicy": "allowlist", "allowFrom": [OWNER.to_string()],
                        "groups": {GROUP.to_string(): {"requireMention": true}}}),
        ),
        &env(&tg, &model),
    )
    .await;
    started(&gw).await;

    tg.inject(Incoming::group(
        OTHER_GROUP,
        OWNER,
        &at_bot("unlisted group"),
    ));
    tg.inject(Incoming::group(GROUP, OWNER, "no mention"));
    tg.inject(Incoming::group(GROUP, STRANGER, &at_bot("not my owner")));
    tg.inject(Incoming::direct(STRANGER, "a stranger's DM"));
    tg.inject(Incoming::group(GROUP, OWNER, &at_bot("the question")));
    let sent = tg.wait_for_sent(1, WAIT).await;
    assert_eq!(
        sent[0],
        (GROUP, "echo: Alice: the question".into()),
        "{}",
        gw.logs()
    );
    for reason in [
        "group is not in channels.telegram.groups",
        "the bot was not mentioned (requireMention)",
        "sender is not in groupAllowFrom/allowFrom",
        "sender is not in allowFrom (dmPolicy=allowlist)",
    ] {
        let line = gw.wait_for_log(reason).await;
        assert!(line.contains("[telegram] ignored message"), "{line}");
    }
    // Replying to the bot counts as a mention; a forum topic is answered in place.
    tg.inject(Incoming::group(GROUP, OWNER, "and a follow-up").replying_to_bot());
    tg.inject(Incoming::group(GROUP, OWNER, &at_bot("in a topic")).in_topic(5));
    let sent = tg.wait_for_sent(3, WAIT).await;
    assert_eq!(sent.len(), 3);
    assert_eq!(sent[1].1, "echo: Alice: and a follow-up");
    let topic = tg
        .calls_of("sendMessage")
        .into_iter()
        .find(|c| c.body["text"] == "echo: Alice: in a topic")
        .expect("topic answer");
    assert_eq!(topic.body["message_thread_id"], 5);
    assert_eq!(
        model.requests().len(),
        3,
        "ignored messages never reached the model"
    );
    // The group has its own session.
    let mut ws = gw.connect().await;
    let history = ws
        .call(
            "chat.history",
            json!({"sessionKey": format!("agent:main:telegram:group:{GROUP}")}),
        )
        .await;
    assert!(
        history["payload"]["messages"]
            .to_string()
            .contains("Alice: the question")
    );
}

#[tokio::test]
async fn unknown_dm_senders_pair_and_are_told_when_approved() {
    let model = model().await;
    let tg = FakeTelegram::start().await;
    let gw = Gateway::start(telegram(json!({"enabled": true})), &env(&tg, &model)).await;
    started(&gw).await;

    tg.inject(Incoming::direct(STRANGER, "hello?"));
    let (chat, reply) = tg.wait_for_sent(1, WAIT).await[0].clone();
    assert_eq!(chat, STRANGER);
    assert!(reply.contains("Your Telegram user id: 7"), "{reply}");
    assert!(
        reply.contains("openclaw pairing approve telegram "),
        "{reply}"
    );
    let mut ws = gw.connect().await;
    let list = ws.call("channels.pairing.list", json!({})).await;
    assert_eq!(
        list["payload"]["accounts"][0]["channel"], "telegram",
        "{list}"
    );
    assert_eq!(list["payload"]["limits"]["pendingPerAccount"], 3);
    let request_id = list["payload"]["requests"][0]["requestId"]
        .as_str()
        .unwrap()
        .to_owned();
    let approved = ws
        .call(
            "channels.pairing.approve",
            json!({"channel": "telegram", "accountId": "default", "requestId": request_id, "notify": true}),
        )
        .await;
    assert_eq!(approved["payload"]["notification"], "sent", "{approved}");
    let sent = tg.wait_for_sent(2, WAIT).await;
    assert_eq!(
        sent[1],
        (
            STRANGER,
            "✅ OpenClaw access approved. Send a message to start chatting.".into()
        )
    );
    tg.inject(Incoming::direct(STRANGER, "thanks"));
    let sent = tg.wait_for_sent(3, WAIT).await;
    assert_eq!(sent[2], (STRANGER, "echo: thanks".into()));
    // A request that is gone cannot be dismissed.
    let denied = ws
        .call(
            "channels.pairing.dismiss",
            json!({"channel": "telegram", "requestId": "nope"}),
        )
        .await;
    assert_eq!(
        denied["error"]["message"], "pending DM access request no longer exists",
        "{denied}"
    );
}

#[tokio::test]
async fn webhook_mode_serves_telegrams_posts_on_the_gateway_port() {
    let model = model().await;
    let tg = FakeTelegram::start().await;
    let port = free_port();
    let url = format!("http://127.0.0.1:{port}/tg/hook");
    let gw = Gateway::start_in(
        tempfile::tempdir().unwrap(),
        telegram(json!({"dmPolicy": "allowlist", "allowFrom": [OWNER],
                        "webhookUrl": url, "webhookSecret": "s3cr3t-token_1"})),
        &env(&tg, &model),
        port,
    )
    .await;
    gw.wait_for_log("webhook registered").await;
    assert_eq!(tg.webhook_url(), url);
    let set = &tg.calls_of("setWebhook")[0];
    assert_eq!(set.body["secret_token"], "s3cr3t-token_1");
    assert_eq!(set.body["allowed_updates"], json!(["message"]));

    tg.inject(Incoming::direct(OWNER, "via webhook"));
    let sent = tg.wait_for_sent(1, WAIT).await;
    assert_eq!(
        sent[0],
        (OWNER, "echo: via webhook".into()),
        "{}",
        gw.logs()
    );
    assert_eq!(tg.deliveries()[0].status, 200);
    assert!(
        tg.calls_of("getUpdates").is_empty(),
        "no polling in webhook mode"
    );

    // Anyone else posting to the path is refused and never reaches the agent.
    let http = reqwest::Client::new();
    let forged = json!({"update_id": 1, "message": {"message_id": 9, "date": 0,
        "chat": {"id": OWNER, "type": "private", "first_name": "Mallory"},
        "from": {"id": OWNER, "is_bot": false, "first_name": "Mallory"}, "text": "forged"}});
    for secret in [None, Some("wrong")] {
        let mut request = http.post(&url).json(&forged);
        if let Some(s) = secret {
            request = request.header("X-Telegram-Bot-Api-Secret-Token", s);
        }
        assert_eq!(request.send().await.unwrap().status().as_u16(), 401);
    }
    assert_eq!(model.requests().len(), 1);
    let mut ws = gw.connect().await;
    let health = ws.call("health", json!({})).await;
    let t = &health["payload"]["channels"]["telegram"];
    assert_eq!(
        (t["mode"].as_str(), t["webhookPath"].as_str()),
        (Some("webhook"), Some("/tg/hook")),
        "{t}"
    );
}

#[tokio::test]
async fn a_bad_token_gives_one_clear_error_and_the_gateway_keeps_serving() {
    let model = model().await;
    let tg = FakeTelegram::start().await;
    let wrong = "7000000001:WRONG-token-SECRET";
    let mut env = env(&tg, &model);
    env.retain(|(k, _)| k != "TELEGRAM_BOT_TOKEN");
    env.push(("TELEGRAM_BOT_TOKEN".into(), wrong.into()));
    let gw = Gateway::start(telegram(json!({})), &env).await;

    let line = gw.wait_for_log("Telegram rejected the bot token").await;
    assert!(
        line.contains("[telegram] error:") && line.contains("TELEGRAM_BOT_TOKEN"),
        "{line}"
    );
    assert_eq!(
        gw.log_lines("error:").len(),
        1,
        "exactly one error line:\n{}",
        gw.logs()
    );
    assert!(!gw.logs().contains(wrong) && !gw.logs().contains("WRONG-token"));
    assert_eq!(gw.http_status("/healthz").await, 200);
    let mut ws = gw.connect().await;
    let health = ws.call("health", json!({})).await;
    assert_eq!(
        health["payload"]["channels"]["telegram"]["lifecycle"],
        "blocked"
    );
    assert_eq!(tg.calls_of("getUpdates").len(), 0);
}

#[tokio::test]
async fn flood_control_is_waited_out_and_the_answer_sent_once() {
    let model = model().await;
    let tg = FakeTelegram::start().await;
    tg.rate_limit_next_sends(&[1]);
    let gw = Gateway::start(
        telegram(json!({"dmPolicy": "allowlist", "allowFrom": [OWNER]})),
        &env(&tg, &model),
    )
    .await;
    started(&gw).await;
    tg.inject(Incoming::direct(OWNER, "hi"));
    let sent = tg.wait_for_sent(1, WAIT).await;
    assert_eq!(sent, [(OWNER, "echo: hi".to_owned())]);
    let attempts = tg.calls_of("sendMessage");
    assert_eq!(attempts.len(), 2);
    assert!(!attempts[0].ok && attempts[1].ok);
    assert!(attempts[1].at.duration_since(attempts[0].at) >= Duration::from_secs(1));
}

#[tokio::test]
async fn a_restart_resumes_polling_after_the_last_handled_update() {
    let model = model().await;
    let tg = FakeTelegram::start().await;
    let config = telegram(json!({"dmPolicy": "allowlist", "allowFrom": [OWNER]}));
    let gw = Gateway::start(config.clone(), &env(&tg, &model)).await;
    started(&gw).await;
    let first = tg.inject(Incoming::direct(OWNER, "one"));
    tg.wait_for_sent(1, WAIT).await;
    let offsets = gw.state_dir().join("telegram/update-offset-default.json");
    let saved: Value = serde_json::from_str(&std::fs::read_to_string(&offsets).unwrap()).unwrap();
    assert_eq!(saved["lastUpdateId"], first);
    let (_, state) = gw.stop_keeping_state().await;

    let polls_before = tg.calls_of("getUpdates").len();
    let gw = Gateway::start_in(state, config, &env(&tg, &model), 0).await;
    started(&gw).await;
    let second = tg.inject(Incoming::direct(OWNER, "two"));
    let sent = tg.wait_for_sent(2, WAIT).await;
    assert_eq!(sent[1], (OWNER, "echo: two".into()));
    let first_poll = &tg.calls_of("getUpdates")[polls_before];
    assert_eq!(
        first_poll.body["offset"],
        first + 1,
        "polling resumed after the handled update"
    );
    assert_eq!(sent.len(), 2, "the first message was not answered again");
    assert!(second > first);
}
