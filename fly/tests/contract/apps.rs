//! Apps against fly-local: create, get, list by org, find, delete, name taken.

use fly_machines::{CreateApp, Error};

use crate::local::Local;

#[tokio::test]
async fn app_lifecycle() {
    let local = Local::start().await;
    let apps = local.client().apps();
    assert!(apps.find("contract-app").await.unwrap().is_none());

    let created = apps
        .create(&CreateApp::new("contract-app", "personal"))
        .await
        .unwrap();
    assert_eq!(created.name, "contract-app");
    let got = apps.get("contract-app").await.unwrap();
    assert_eq!(got.name, "contract-app");
    assert_eq!(
        got.organization.as_ref().map(|o| o.slug.as_str()),
        Some("personal")
    );
    let listed = apps.list("personal").await.unwrap();
    assert!(
        listed.iter().any(|a| a.name == "contract-app"),
        "{listed:?}"
    );

    apps.delete("contract-app", false).await.unwrap();
    assert!(apps.find("contract-app").await.unwrap().is_none());
}

#[tokio::test]
async fn a_taken_name_is_invalid_with_code_name_taken() {
    let local = Local::start().await;
    let apps = local.client().apps();
    apps.create(&CreateApp::new("taken", "personal"))
        .await
        .unwrap();
    let error = apps
        .create(&CreateApp::new("taken", "personal"))
        .await
        .unwrap_err();
    assert!(matches!(error, Error::Invalid(_)), "{error:?}");
    assert!(error.is_name_taken(), "{error:?}");
    assert_eq!(error.status(), Some(422));
    assert!(
        error.request_id().is_some(),
        "fly-local sends fly-request-id"
    );
}

#[tokio::test]
async fn a_wrong_token_is_unauthorized() {
    let local = Local::start().await;
    let client = fly_machines::Client::builder()
        .base_url(&local.base_url())
        .unwrap()
        .token(fly_machines::Token::new("not-the-token").unwrap())
        .build()
        .unwrap();
    let error = client.apps().get("anything").await.unwrap_err();
    assert!(matches!(error, Error::Unauthorized(_)), "{error:?}");
    let no_token = fly_machines::Client::builder()
        .base_url(&local.base_url())
        .unwrap()
        .build()
        .unwrap();
    assert!(matches!(
        no_token.apps().list("personal").await.unwrap_err(),
        Error::Unauthorized(_)
    ));
}
