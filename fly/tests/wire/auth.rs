//! Authorization header and user agent.

use fly_machines::{Client, Token};

use crate::support::{Reply, Scripted};

async fn authorization_sent_for(raw_token: &str) -> String {
    let server = Scripted::start([Reply::json(200, serde_json::json!({"name": "a"}))]).await;
    let client = Client::builder()
        .base_url(&server.base_url)
        .unwrap()
        .token(Token::new(raw_token).unwrap())
        .build()
        .unwrap();
    client.apps().get("a").await.unwrap();
    server.only().header("authorization").unwrap().to_owned()
}

#[tokio::test]
async fn plain_tokens_are_sent_as_bearer() {
    assert_eq!(
        authorization_sent_for("local-token").await,
        "Bearer local-token"
    );
}

#[tokio::test]
async fn macaroon_tokens_are_sent_as_flyv1_as_flyctl_prints_them() {
    assert_eq!(
        authorization_sent_for("FlyV1 fm2_aaa,fm2_bbb").await,
        "FlyV1 fm2_aaa,fm2_bbb"
    );
    assert_eq!(authorization_sent_for("fm1r_ccc").await, "FlyV1 fm1r_ccc");
}

#[tokio::test]
async fn user_agent_names_the_client_and_the_product() {
    let server = Scripted::start([Reply::json(200, serde_json::json!({"name": "a"}))]).await;
    let client = server
        .builder()
        .user_agent("openclaw-operator/0.1.0")
        .build()
        .unwrap();
    client.apps().get("a").await.unwrap();
    let agent = server.only().header("user-agent").unwrap().to_owned();
    assert_eq!(
        agent,
        format!(
            "openclaw-operator/0.1.0 fly-machines-rs/{}",
            env!("CARGO_PKG_VERSION")
        )
    );
}

#[tokio::test]
async fn a_base_url_ending_in_v1_is_not_doubled() {
    let server = Scripted::start([Reply::json(200, serde_json::json!({"name": "a"}))]).await;
    let client = Client::builder()
        .base_url(&format!("{}/v1", server.base_url))
        .unwrap()
        .build()
        .unwrap();
    client.apps().get("a").await.unwrap();
    let seen = server.only();
    assert_eq!(seen.path, "/v1/apps/a");
    assert_eq!(
        seen.header("authorization"),
        None,
        "no token configured, none sent"
    );
}
