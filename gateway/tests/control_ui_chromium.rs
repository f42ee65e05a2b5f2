//! The Control UI in real headless Chromium, driven over the DevTools protocol: load the
//! page, paste the token, see the health. The screenshot is kept under
//! `target/test-artifacts/control-ui.png`.

mod common;

use common::browser::Browser;
use common::*;

#[tokio::test]
async fn chromium_control_ui_shows_health_after_pasting_the_token() {
    let gw = Gateway::start(&[]);
    let mut browser = Browser::open(&gw.http("/")).await;
    let cdp = &mut browser.cdp;

    cdp.log_in(TOKEN).await;
    assert_eq!(cdp.eval("document.title").await, "OpenClaw Control");
    let health = cdp
        .wait_until(
            "document.getElementById('health-state').textContent.replace('…', '')",
            "health",
        )
        .await;
    assert_eq!(health, "OK");
    // Presence lists the gateway and this browser.
    cdp.eval("document.querySelector('[data-tab=clients]').click()")
        .await;
    let rows = cdp.wait_until("document.querySelectorAll('#presence-rows tr').length >= 2 && document.getElementById('presence-rows').innerText", "presence").await;
    assert!(
        rows.as_str().unwrap().contains("openclaw-control-ui"),
        "{rows}"
    );
    cdp.eval("document.querySelector('[data-tab=overview]').click()")
        .await;

    browser.screenshot("control-ui.png").await;
}
