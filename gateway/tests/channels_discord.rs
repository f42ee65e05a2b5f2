//! Discord end to end: the real gateway process runs serenity against the fake
//! Discord (REST + gateway WebSocket), and the default agent answers through a
//! fake model provider.

mod channels_support;

use std::time::Duration;

use channels_support::*;
use openclaw_fakes::discord::{BOT_ID, FakeDiscord, Incoming, intents};
use openclaw_fakes::providers::{Answer, Reply};
use openclaw_gateway::channels::chunk::{Limits, Unit, split};
use serde_json::{Value, json};

const GUILD: &str = "100000000000000001";
const OTHER_GUILD: &str = "100000000000000002";
const GENERAL: &str = "200000000000000001";
const RANDOM: &str = "200000000000000002";

fn mention(text: &str) -> String {
    format!("<@{BOT_ID}> {text}")
}

/// The deployment guide's Discord block (guild allowlist, `general` by name).
fn guide_config(require_mention: bool) -> Value {
    json!({"channels": {"discord": {
        "enabled": true,
        "groupPolicy": "allowlist",
        "guilds": {GUILD: {"channels": {"general": {"allow": true}}, "requireMention": require_mention}}
    }}})
}

async fn discord() -> FakeDiscord {
    let d = FakeDiscord::start().await;
    d.add_channel(GENERAL, "general", GUILD, None);
    d.add_channel(RANDOM, "random", GUILD, None);
    d.set_heartbeat_interval(Duration::from_millis(500));
    d
}

fn env(d: &FakeDiscord, model: &openclaw_fakes::providers::FakeProvider) -> Vec<(String, String)> {
    let mut env = model_env(model);
    env.push(("DISCORD_API_BASE_URL".into(), d.api_base()));
    env.push(("DISCORD_BOT_TOKEN".into(), d.token()));
    env
}

async fn connected(gw: &Gateway, d: &FakeDiscord) {
    assert!(
        d.wait_ready(WAIT).await,
        "the bot identified:\n{}",
        gw.logs()
    );
    gw.wait_for_log("[discord] logged in to discord as fakebot")
        .await;
}

#[tokio::test]
async fn an_allowed_channel_gets_the_agents_answer_in_discord_sized_chunks() {
    let model = model().await;
    let answer = long_answer(14);
    model.always(Reply::Answer(Answer::text(answer.clone()).deltas(5)));
    let d = discord().await;
    let gw = Gateway::start(guide_config(true), &env(&d, &model)).await;
    connected(&gw, &d).await;

    let id = d.inject(Incoming::guild(GUILD, GENERAL, &mention("plan the trip")));
    // The answer is split as Discord needs: ≤ 2,000 code points and ≤ 17 lines per
    // message, on paragraph/line boundaries, fences closed and reopened.
    let expected = split(
        &answer,
        Limits {
            max_units: 2000,
            max_lines: Some(17),
            unit: Unit::CodePoints,
        },
    );
    assert!(expected.len() >= 3);
    let posts = d.wait_for_posts(expected.len(), WAIT).await;
    let contents: Vec<&str> = posts.iter().map(|p| p.content.as_str()).collect();
    assert_eq!(contents, expected, "{}", gw.logs());
    for p in &posts {
        assert_eq!(p.channel_id, GENERAL);
        assert!(p.content.chars().count() <= 2000);
        assert!(
            p.content.matches("```").count() % 2 == 0,
            "fences balanced: {:?}",
            p.content
        );
        assert_eq!(p.body["allowed_mentions"], json!({"parse": ["users"]}));
    }
    let words = |s: &str| {
        s.split_whitespace()
            .filter(|w| !w.starts_with("```"))
            .map(str::to_owned)
            .collect::<Vec<_>>()
    };
    let sent: Vec<String> = posts.iter().flat_map(|p| words(&p.content)).collect();
    assert_eq!(sent, words(&answer), "nothing lost or reordered");
    // The typing indicator went out before the answer.
    let typing = d.typing();
    assert!(
        typing
            .iter()
            .any(|(c, at)| c == GENERAL && *at <= posts[0].at),
        "{typing:?}"
    );
    // The model saw the message (mention removed, author named: one session per channel).
    let asked = &model.requests()[0];
    assert!(
        asked.body.to_string().contains("alice: plan the trip"),
        "{}",
        asked.body
    );

    // The bot's own posts came back as MESSAGE_CREATE and were not answered; the
    // next message gets exactly one more answer.
    model.always(Reply::Answer(Answer::text("short answer")));
    d.inject(Incoming::guild(GUILD, GENERAL, &mention("and now?")));
    let all = d.wait_for_posts(posts.len() + 1, WAIT).await;
    assert_eq!(all.len(), posts.len() + 1);
    assert_eq!(all.last().unwrap().content, "short answer");
    assert!(
        !gw.log_lines("the bot's own message").is_empty(),
        "own posts are seen and ignored"
    );

    // The conversation is the channel's session of the bound (default) agent.
    let mut ws = gw.connect().await;
    let history = ws
        .call(
            "chat.history",
            json!({"sessionKey": format!("agent:main:discord:channel:{GENERAL}")}),
        )
        .await;
    assert!(
        history["payload"]["messages"]
            .to_string()
            .contains("alice: plan the trip"),
        "{history}"
    );
    assert!(!id.is_empty());

    // health, status and channels.status report the connection.
    let health = ws.call("health", json!({})).await;
    let dc = &health["payload"]["channels"]["discord"];
    assert_eq!(dc["connected"], true, "{health}");
    assert_eq!(dc["probe"]["bot"]["username"], "fakebot");
    assert_eq!(dc["tokenSource"], "env");
    assert_eq!(health["payload"]["channelOrder"], json!(["discord"]));
    assert_eq!(
        health["payload"]["channelLabels"],
        json!({"discord": "Discord"})
    );
    let status = ws.call("status", json!({})).await;
    let summary = status["payload"]["channelSummary"].to_string();
    assert!(
        summary.contains("Discord: connected") && summary.contains("@fakebot"),
        "{summary}"
    );
    let cs = ws
        .call("channels.status", json!({"channel": "discord"}))
        .await;
    assert_eq!(
        cs["payload"]["channelAccounts"]["discord"][0]["accountId"], "default",
        "{cs}"
    );
    assert_eq!(cs["payload"]["channels"]["discord"]["configured"], true);
    let logs = gw.stop().await;
    assert!(
        !logs.contains(&d.token()),
        "the token never reaches the logs"
    );
}

#[tokio::test]
async fn messages_outside_the_rules_are_ignored_with_a_reason_at_debug() {
    let model = model().await;
    let d = discord().await;
    let mut config = guide_config(true);
    config["channels"]["discord"]["dmPolicy"] = json!("disabled");
    let gw = Gateway::start(config, &env(&d, &model)).await;
    connected(&gw, &d).await;

    d.inject(Incoming::guild(
        OTHER_GUILD,
        "200000000000000009",
        &mention("other guild"),
    ));
    d.inject(Incoming::guild(GUILD, RANDOM, &mention("unlisted channel")));
    d.inject(Incoming::guild(GUILD, GENERAL, "no mention here"));
    d.inject(Incoming::direct("a DM"));
    d.inject(
        Incoming::guild(GUILD, GENERAL, &mention("from a bot"))
            .from("500", "otherbot")
            .by_bot(),
    );
    d.inject(Incoming::guild(
        GUILD,
        GENERAL,
        &mention("the real question"),
    ));
    let posts = d.wait_for_posts(1, WAIT).await;
    assert_eq!(
        posts[0].content,
        "echo: alice: the real question",
        "{}",
        gw.logs()
    );
    for reason in [
        "guild is not in channels.discord.guilds",
        "channel is not in the guild's channels allowlist",
        "the bot was not mentioned (requireMention)",
        "direct messages are disabled (dmPolicy=disabled)",
        "written by a bot",
    ] {
        let lines = gw.wait_for_logs(reason, 1).await;
        assert!(lines[0].contains("[discord] ignored message"), "{lines:?}");
    }
    // Only the one answer: a second valid message is the next post.
    d.inject(Incoming::guild(GUILD, GENERAL, &mention("again")));
    let posts = d.wait_for_posts(2, WAIT).await;
    assert_eq!(posts.len(), 2);
    assert_eq!(posts[1].content, "echo: alice: again");
    assert_eq!(
        model.requests().len(),
        2,
        "ignored messages never reached the model"
    );
}

#[tokio::test]
async fn unknown_dm_senders_get_a_pairing_code_until_approved() {
    let model = model().await;
    let d = discord().await;
    let gw = Gateway::start(json!({"channels": {"discord": {}}}), &env(&d, &model)).await;
    connected(&gw, &d).await;

    d.inject(Incoming::direct("hi"));
    let reply = d.wait_for_posts(1, WAIT).await[0].content.clone();
    assert!(
        reply.starts_with("OpenClaw: access not configured."),
        "{reply}"
    );
    assert!(
        reply.contains("Your Discord user id: 300000000000000001"),
        "{reply}"
    );
    let code = reply
        .lines()
        .skip_while(|l| *l != "Pairing code:")
        .nth(2)
        .unwrap()
        .to_owned();
    assert_eq!(code.len(), 8);
    // A second DM while the request is pending gets no second code.
    d.inject(Incoming::direct("hello?"));
    gw.wait_for_log("pairing request pending").await;

    let mut ws = gw.connect().await;
    let list = ws
        .call("channels.pairing.list", json!({"channel": "discord"}))
        .await;
    let request = &list["payload"]["requests"][0];
    assert_eq!(request["senderId"], "300000000000000001", "{list}");
    assert_eq!(request["code"], code.as_str());
    let approved = ws
        .call(
            "channels.pairing.approve",
            json!({"channel": "discord", "accountId": "default", "requestId": code, "notify": true}),
        )
        .await;
    assert_eq!(
        approved["payload"]["senderId"], "300000000000000001",
        "{approved}"
    );
    assert_eq!(approved["payload"]["notification"], "sent", "{approved}");
    let posts = d.wait_for_posts(2, WAIT).await;
    assert!(
        posts[1].content.contains("access approved"),
        "{}",
        posts[1].content
    );

    d.inject(Incoming::direct("now answer me"));
    let posts = d.wait_for_posts(3, WAIT).await;
    assert_eq!(posts[2].content, "echo: now answer me");
    // The approval is on disk in the file older releases used.
    let allow =
        std::fs::read_to_string(gw.state_dir().join("credentials/discord-allowFrom.json")).unwrap();
    assert!(allow.contains("300000000000000001"));
    let again = ws
        .call(
            "channels.pairing.approve",
            json!({"channel": "discord", "accountId": "default", "requestId": code}),
        )
        .await;
    assert_eq!(
        again["error"]["message"],
        "pending DM access request no longer exists"
    );
}

#[tokio::test]
async fn a_dropped_gateway_connection_resumes_without_losing_or_repeating_a_message() {
    let model = model().await;
    let d = discord().await;
    let gw = Gateway::start(guide_config(false), &env(&d, &model)).await;
    connected(&gw, &d).await;

    // Heartbeats every 500 ms are acknowledged: the connection stays up.
    assert!(d.wait_until(WAIT, |d| d.heartbeat_count() >= 2).await);
    assert_eq!(d.resume_count(), 0);
    d.inject(Incoming::guild(GUILD, GENERAL, "before the drop"));
    d.wait_for_posts(1, WAIT).await;

    // The socket closes with a resumable code; a message written meanwhile waits
    // in the session and is replayed on RESUME.
    assert!(d.close_connection(4000));
    d.inject(Incoming::guild(GUILD, GENERAL, "during the drop"));
    assert!(
        d.wait_until(WAIT, |d| d.resume_count() >= 1 && d.is_connected())
            .await,
        "{}",
        gw.logs()
    );
    d.wait_for_posts(2, WAIT).await;

    // Discord asks for a reconnect (op 7): resumed again.
    assert!(d.request_reconnect());
    assert!(
        d.wait_until(WAIT, |d| d.resume_count() >= 2 && d.is_connected())
            .await
    );
    d.inject(Incoming::guild(GUILD, GENERAL, "after the reconnect"));
    // The TCP connection just dies (no close frame).
    d.wait_for_posts(3, WAIT).await;
    assert!(d.abort_connection());
    d.inject(Incoming::guild(GUILD, GENERAL, "after the abort"));
    let posts = d.wait_for_posts(4, WAIT).await;

    let contents: Vec<&str> = posts.iter().map(|p| p.content.as_str()).collect();
    assert_eq!(
        contents,
        [
            "echo: alice: before the drop",
            "echo: alice: during the drop",
            "echo: alice: after the reconnect",
            "echo: alice: after the abort"
        ]
    );
    assert_eq!(d.identify_count(), 1, "every reconnect resumed the session");
    assert!(d.resume_count() >= 3);
    assert_eq!(
        model.requests().len(),
        4,
        "each message reached the model once"
    );
    let mut ws = gw.connect().await;
    let health = ws.call("health", json!({})).await;
    let dc = &health["payload"]["channels"]["discord"];
    assert_eq!(dc["connected"], true);
    assert!(dc["reconnectAttempts"].as_u64().unwrap() >= 3, "{dc}");
}

#[tokio::test]
async fn a_rate_limited_post_is_retried_after_retry_after() {
    let model = model().await;
    let d = discord().await;
    d.rate_limit_next_posts(&[0.4]);
    let gw = Gateway::start(guide_config(false), &env(&d, &model)).await;
    connected(&gw, &d).await;

    d.inject(Incoming::guild(GUILD, GENERAL, "hello"));
    let posts = d.wait_for_posts(1, WAIT).await;
    assert_eq!(posts[0].content, "echo: alice: hello");
    let attempts: Vec<_> = d
        .requests()
        .into_iter()
        .filter(|r| r.method == "POST" && r.path.ends_with("/messages"))
        .collect();
    assert_eq!(attempts.len(), 2, "{attempts:?}");
    assert_eq!((attempts[0].status, attempts[1].status), (429, 200));
    assert!(attempts[1].at.duration_since(attempts[0].at) >= Duration::from_millis(400));
    assert!(
        attempts[0]
            .authorization
            .as_deref()
            .unwrap()
            .starts_with("Bot ")
    );
    assert_eq!(d.posted().len(), 1, "posted exactly once");
}

#[tokio::test]
async fn a_bad_token_gives_one_clear_error_and_the_gateway_keeps_serving() {
    let model = model().await;
    let d = discord().await;
    let mut env = env(&d, &model);
    let wrong = "wrong-token.MTIz-SECRET";
    env.retain(|(k, _)| k != "DISCORD_BOT_TOKEN");
    env.push(("DISCORD_BOT_TOKEN".into(), wrong.into()));
    let gw = Gateway::start(guide_config(true), &env).await;

    let line = gw.wait_for_log("Discord rejected the bot token").await;
    assert!(
        line.contains("[discord] error:") && line.contains("DISCORD_BOT_TOKEN"),
        "{line}"
    );
    assert_eq!(
        gw.log_lines("error:").len(),
        1,
        "exactly one error line:\n{}",
        gw.logs()
    );
    assert!(!gw.logs().contains(wrong), "the token is never logged");
    assert_eq!(gw.http_status("/healthz").await, 200);
    let mut ws = gw.connect().await;
    let health = ws.call("health", json!({})).await;
    let dc = &health["payload"]["channels"]["discord"];
    assert_eq!(dc["lifecycle"], "blocked", "{dc}");
    assert!(
        dc["lastError"]
            .as_str()
            .unwrap()
            .contains("rejected the bot token")
    );
    let cs = ws.call("channels.status", json!({})).await;
    assert_eq!(
        cs["payload"]["statusIssues"][0]["accountId"], "default",
        "{cs}"
    );
    assert_eq!(
        d.identify_count(),
        0,
        "no gateway connection with a refused token"
    );
}

#[tokio::test]
async fn a_refused_message_content_intent_names_the_fix() {
    let model = model().await;
    let d = discord().await;
    d.refuse_intents(intents::MESSAGE_CONTENT);
    let gw = Gateway::start(guide_config(true), &env(&d, &model)).await;

    let line = gw
        .wait_for_log("Discord refused the bot's gateway intents")
        .await;
    assert!(
        line.contains("Message Content Intent") && line.contains("Developer Portal"),
        "{line}"
    );
    assert_eq!(gw.log_lines("error:").len(), 1, "{}", gw.logs());
    let frames = d.gateway_frames();
    let identify = frames.iter().find(|f| f["op"] == 2).expect("an IDENTIFY");
    let asked = identify["d"]["intents"].as_u64().unwrap();
    assert_eq!(asked & intents::MESSAGE_CONTENT, intents::MESSAGE_CONTENT);
    assert_eq!(asked & intents::GUILD_MESSAGES, intents::GUILD_MESSAGES);
    assert_eq!(
        gw.http_status("/readyz").await,
        200,
        "a channel problem does not fail readiness"
    );
}

#[tokio::test]
async fn no_token_means_no_connection_and_a_clear_status() {
    let model = model().await;
    let d = discord().await;
    let mut env = env(&d, &model);
    env.retain(|(k, _)| k != "DISCORD_BOT_TOKEN");
    let gw = Gateway::start(guide_config(true), &env).await;
    let line = gw.wait_for_log("not started").await;
    assert!(
        line.contains("set DISCORD_BOT_TOKEN or channels.discord.token"),
        "{line}"
    );
    let mut ws = gw.connect().await;
    let health = ws.call("health", json!({})).await;
    assert_eq!(
        health["payload"]["channels"]["discord"]["configured"],
        false
    );
    assert!(d.requests().is_empty());
}
