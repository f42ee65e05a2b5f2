//! The Control UI's Chat tab in real headless Chromium: send a message, watch
//! the answer stream in from the fallback model (the primary is overloaded),
//! see which model answered and why the other was skipped, then find the
//! conversation again in the session's history. Screenshot:
//! `target/test-artifacts/control-ui-chat.png`.

mod agents_support;
mod common;

use std::time::Duration;

use agents_support::gateway::{GatewayProc, TOKEN};
use agents_support::*;
use common::browser::Browser;
use openclaw_fakes::providers::{Answer, Failure, Reply};

const LAST_ANSWER: &str =
    "[...document.querySelectorAll('#chat-log li[data-role=assistant]')].pop()";

#[tokio::test]
async fn chromium_chat_tab_streams_an_answer_and_shows_the_fallback() {
    let h = Harness::new().await;
    h.anthropic.always(Reply::Fail(Failure::Overloaded));
    h.openai.always(Reply::Answer(
        Answer::text("The quick brown fox jumps over the lazy dog.")
            .deltas(8)
            .delay(Duration::from_millis(30)),
    ));
    let gw = GatewayProc::start(
        h.dir.path(),
        &chain("anthropic/claude-opus-4-5", &["openai/gpt-4o"], 4),
        &h.env().0,
    )
    .await;
    let mut browser = Browser::open(&format!("http://127.0.0.1:{}/", gw.port)).await;
    let cdp = &mut browser.cdp;
    cdp.log_in(TOKEN).await;

    cdp.eval("document.querySelector('[data-tab=chat]').click()")
        .await;
    cdp.wait_until(
        "!document.getElementById('tab-chat').hidden && document.getElementById('tab-chat').dataset.ready === 'true'",
        "the chat tab",
    )
    .await;
    cdp.eval("(() => { const i = document.getElementById('chat-input'); i.value = 'Tell me about foxes'; document.getElementById('chat-form').requestSubmit(); return true; })()")
        .await;
    let answer = cdp
        .wait_until(
            &format!("(() => {{ const li = {LAST_ANSWER}; return li && li.dataset.state === 'done' && li.querySelector('.text').textContent; }})()"),
            "the streamed answer",
        )
        .await;
    assert_eq!(answer, "The quick brown fox jumps over the lazy dog.");
    let meta = cdp
        .wait_until(&format!("({LAST_ANSWER}).querySelector('.meta') && ({LAST_ANSWER}).querySelector('.meta').textContent"), "the model note")
        .await;
    let meta = meta.as_str().unwrap();
    assert!(meta.contains("openai/gpt-4o"), "{meta}");
    assert!(
        meta.contains("skipped anthropic/claude-opus-4-5: overloaded"),
        "{meta}"
    );
    let user = cdp
        .eval("document.querySelector('#chat-log li[data-role=user]').textContent")
        .await;
    assert_eq!(user, "Tell me about foxes");

    // Reloading the session shows the same conversation, from history.
    cdp.eval("(() => { document.getElementById('chat-session').dispatchEvent(new Event('change')); return true; })()")
        .await;
    let from_history = cdp
        .wait_until(
            "document.querySelectorAll('#chat-log li').length === 2 && !document.querySelector('#chat-log li[data-run]') && document.getElementById('chat-log').innerText",
            "the history",
        )
        .await;
    let shown = from_history.as_str().unwrap();
    assert!(
        shown.contains("Tell me about foxes") && shown.contains("lazy dog"),
        "{shown}"
    );
    assert!(
        shown.contains("skipped anthropic/claude-opus-4-5: overloaded"),
        "{shown}"
    );

    let shot = browser.screenshot("control-ui-chat.png").await;
    assert!(shot.is_file());
    gw.stop().await;
}
