//! App secret calls. Values are write-only unless asked for; each write
//! returns the app's new secrets version, which machine creates and updates
//! pass as `min_secrets_version` so they boot with the new values.

use std::collections::BTreeMap;

use serde::Serialize;

use crate::client::{Client, Request};
use crate::error::{Error, optional};
use crate::route::Route;
use crate::types::{
    AppSecret, ListSecretsResponse, SecretsWrite, SetSecretResponse, UpdateSecretsResponse,
    WireVersion,
};

/// Secret calls of one app, from [`Client::secrets`].
#[derive(Debug, Clone)]
pub struct Secrets {
    client: Client,
    app: String,
}

impl Secrets {
    pub(crate) fn new(client: Client, app: String) -> Self {
        Self { client, app }
    }

    /// The app these calls address.
    pub fn app(&self) -> &str {
        &self.app
    }

    /// Names and digests of the app's secrets (no values).
    pub async fn list(&self) -> Result<Vec<AppSecret>, Error> {
        let request = Request::new(Route::SECRETS_LIST, &[&self.app]);
        Ok(self
            .client
            .json::<ListSecretsResponse>(request)
            .await?
            .secrets)
    }

    /// The app's secrets with their values (`show_secrets=true`).
    pub async fn list_with_values(&self) -> Result<Vec<AppSecret>, Error> {
        let request = Request::new(Route::SECRETS_LIST, &[&self.app]).query("show_secrets", "true");
        Ok(self
            .client
            .json::<ListSecretsResponse>(request)
            .await?
            .secrets)
    }

    /// Secret `name` (no value), or `None` when it is not set.
    pub async fn get(&self, name: &str) -> Result<Option<AppSecret>, Error> {
        optional(
            self.client
                .json(Request::new(Route::SECRET_GET, &[&self.app, name]))
                .await,
        )
    }

    /// Sets secret `name` to `value`.
    pub async fn set(&self, name: &str, value: &str) -> Result<SecretsWrite<AppSecret>, Error> {
        #[derive(Serialize)]
        struct Body<'a> {
            value: &'a str,
        }
        let request = Request::new(Route::SECRET_SET, &[&self.app, name]).json(&Body { value })?;
        let response: SetSecretResponse = self.client.json(request).await?;
        Ok(SecretsWrite {
            version: response.version.get(),
            value: response.secret,
        })
    }

    /// Removes secret `name`; returns the app's new secrets version.
    pub async fn unset(&self, name: &str) -> Result<Option<u64>, Error> {
        let response = self
            .client
            .send(Request::new(Route::SECRET_DELETE, &[&self.app, name]).gone_is_done())
            .await?;
        if response.is_empty() {
            return Ok(None);
        }
        Ok(response.json::<WireVersion>()?.get())
    }

    /// Sets (`Some`) and removes (`None`) several secrets in one write.
    pub async fn update(
        &self,
        values: &BTreeMap<String, Option<String>>,
    ) -> Result<SecretsWrite<Vec<AppSecret>>, Error> {
        #[derive(Serialize)]
        struct Body<'a> {
            values: &'a BTreeMap<String, Option<String>>,
        }
        let request = Request::new(Route::SECRETS_UPDATE, &[&self.app]).json(&Body { values })?;
        let response: UpdateSecretsResponse = self.client.json(request).await?;
        Ok(SecretsWrite {
            version: response.version.get(),
            value: response.secrets,
        })
    }
}
