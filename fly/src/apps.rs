//! App calls: the operator's first reconcile step is "get by name, create in
//! the org if missing".

use crate::client::{Client, Request};
use crate::error::{Error, optional};
use crate::route::Route;
use crate::types::{App, CreateApp, ListAppsResponse};

/// App calls, from [`Client::apps`].
#[derive(Debug, Clone)]
pub struct Apps {
    client: Client,
}

impl Apps {
    pub(crate) fn new(client: Client) -> Self {
        Self { client }
    }

    /// Apps of organisation `org_slug` (`personal` for the personal org).
    pub async fn list(&self, org_slug: &str) -> Result<Vec<App>, Error> {
        let request = Request::new(Route::APPS_LIST, &[]).query("org_slug", org_slug);
        Ok(self.client.json::<ListAppsResponse>(request).await?.apps)
    }

    /// App `name`. A name held by an org this token cannot see answers 403
    /// ([`Error::Forbidden`]), not 404.
    pub async fn get(&self, name: &str) -> Result<App, Error> {
        self.client
            .json(Request::new(Route::APP_GET, &[name]))
            .await
    }

    /// App `name`, or `None` when no app has that name.
    pub async fn find(&self, name: &str) -> Result<Option<App>, Error> {
        optional(self.get(name).await)
    }

    /// Creates an app and returns it. Never retried except on 429 (a lost
    /// answer would make the retry fail with `name_taken`); a taken name is
    /// [`Error::Invalid`] with [`Error::is_name_taken`].
    pub async fn create(&self, app: &CreateApp) -> Result<App, Error> {
        // `wait=true` (as the official client sends) returns once the app is usable.
        let request = Request::new(Route::APPS_CREATE, &[])
            .query("wait", "true")
            .json(app)?;
        let response = self.client.send(request).await?;
        if !response.is_empty()
            && let Ok(created) = response.json::<App>()
        {
            return Ok(created);
        }
        // The spec documents an empty 201; read the app back.
        self.get(&app.name).await
    }

    /// Deletes app `name` and everything in it. `force` also deletes running
    /// machines.
    pub async fn delete(&self, name: &str, force: bool) -> Result<(), Error> {
        let mut request = Request::new(Route::APP_DELETE, &[name]).gone_is_done();
        if force {
            request = request.query("force", "true");
        }
        self.client.unit(request).await
    }
}
