//! The Control UI's Channels tab in real headless Chromium: both bots' connection
//! state, and a Telegram DM access request approved with one click. Screenshot:
//! `target/test-artifacts/control-ui-channels.png`.

mod channels_support;
mod common;

use channels_support::*;
use common::browser::Browser;
use openclaw_fakes::discord::FakeDiscord;
use openclaw_fakes::telegram::{FakeTelegram, Incoming};
use serde_json::json;

#[tokio::test]
async fn chromium_channels_tab_shows_the_bots_and_approves_a_dm_request() {
    let model = model().await;
    let discord = FakeDiscord::start().await;
    let tg = FakeTelegram::start().await;
    let mut env = model_env(&model);
    env.extend([
        ("DISCORD_API_BASE_URL".to_owned(), discord.api_base()),
        ("DISCORD_BOT_TOKEN".to_owned(), discord.token()),
        ("TELEGRAM_API_BASE_URL".to_owned(), tg.api_base()),
        ("TELEGRAM_BOT_TOKEN".to_owned(), tg.token()),
    ]);
    let gw = Gateway::start(
        json!({"channels": {"discord": {"guilds": {"1": {}}}, "telegram": {"dmPolicy": "pairing"}}}),
        &env,
    )
    .await;
    gw.wait_for_log("logged in to discord as fakebot").await;
    gw.wait_for_log("starting provider").await;
    tg.inject(Incoming::direct(77, "let me in"));
    tg.wait_for_sent(1, WAIT).await;

    let mut browser = Browser::open(&format!("http://127.0.0.1:{}/", gw.port)).await;
    let cdp = &mut browser.cdp;
    cdp.log_in(TOKEN).await;
    let overview = cdp
        .wait_until(
            "(() => { const t = document.getElementById('health-channels').textContent; return t.includes('Telegram: connected') && t; })()",
            "the channels on the overview",
        )
        .await;
    assert!(
        overview
            .as_str()
            .unwrap()
            .contains("Discord: connected as @fakebot"),
        "{overview}"
    );

    cdp.eval("document.querySelector('[data-tab=channels]').click()")
        .await;
    let rows = cdp
        .wait_until(
            "document.querySelectorAll('#channel-rows tr').length === 2 && document.getElementById('channel-rows').innerText",
            "the account rows",
        )
        .await;
    let rows = rows.as_str().unwrap();
    assert!(
        rows.contains("@fakebot") && rows.contains("@fake_claw_bot"),
        "{rows}"
    );
    assert_eq!(rows.matches("connected").count(), 2, "{rows}");
    let request = cdp
        .wait_until(
            "document.querySelector('#pairing-rows tr') && document.querySelector('#pairing-rows tr').innerText",
            "the pending request",
        )
        .await;
    assert!(request.as_str().unwrap().contains("77"), "{request}");
    browser.screenshot("control-ui-channels.png").await;

    let cdp = &mut browser.cdp;
    cdp.eval("document.querySelector('#pairing-rows button[data-action=approve]').click()")
        .await;
    cdp.wait_until(
        "document.querySelectorAll('#pairing-rows tr').length === 0",
        "the request to leave the queue",
    )
    .await;
    let sent = tg.wait_for_sent(2, WAIT).await;
    assert!(sent[1].1.contains("access approved"), "{sent:?}");
    tg.inject(Incoming::direct(77, "hello"));
    let sent = tg.wait_for_sent(3, WAIT).await;
    assert_eq!(sent[2], (77, "echo: hello".to_owned()));
}
