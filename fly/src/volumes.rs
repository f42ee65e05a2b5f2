//! Volume calls of one app. Volume ids are server-assigned and names are not
//! unique, so "ensure a volume" is: list, pick by name and region, create
//! only when none fits.

use serde::Serialize;

use crate::client::{Client, Request};
use crate::error::{Error, optional};
use crate::route::Route;
use crate::types::{CreateVolume, ExtendedVolume, UpdateVolume, Volume};

/// Volume calls of one app, from [`Client::volumes`].
#[derive(Debug, Clone)]
pub struct Volumes {
    client: Client,
    app: String,
}

impl Volumes {
    pub(crate) fn new(client: Client, app: String) -> Self {
        Self { client, app }
    }

    /// The app these calls address.
    pub fn app(&self) -> &str {
        &self.app
    }

    /// Every volume of the app, including those being destroyed (see
    /// [`crate::VolumeState::is_being_destroyed`]).
    pub async fn list(&self) -> Result<Vec<Volume>, Error> {
        self.client
            .json(Request::new(Route::VOLUMES_LIST, &[&self.app]))
            .await
    }

    /// Volume `id`.
    pub async fn get(&self, id: &str) -> Result<Volume, Error> {
        self.client
            .json(Request::new(Route::VOLUME_GET, &[&self.app, id]))
            .await
    }

    /// Volume `id`, or `None` when it does not exist.
    pub async fn find(&self, id: &str) -> Result<Option<Volume>, Error> {
        optional(self.get(id).await)
    }

    /// Creates a volume. Never retried after it may have been applied.
    pub async fn create(&self, volume: &CreateVolume) -> Result<Volume, Error> {
        self.client
            .json(Request::new(Route::VOLUMES_CREATE, &[&self.app]).json(volume)?)
            .await
    }

    /// Changes a volume's snapshot settings.
    pub async fn update(&self, id: &str, update: &UpdateVolume) -> Result<Volume, Error> {
        self.client
            .json(Request::new(Route::VOLUME_UPDATE, &[&self.app, id]).json(update)?)
            .await
    }

    /// Grows volume `id` to `size_gb` (volumes never shrink; a smaller size
    /// is refused by the API).
    pub async fn extend(&self, id: &str, size_gb: u32) -> Result<ExtendedVolume, Error> {
        #[derive(Serialize)]
        struct Body {
            size_gb: u32,
        }
        self.client
            .json(Request::new(Route::VOLUME_EXTEND, &[&self.app, id]).json(&Body { size_gb })?)
            .await
    }

    /// Destroys volume `id` and returns it (heading to `destroyed`). A volume
    /// still bound to a machine is [`Error::PreconditionFailed`].
    pub async fn delete(&self, id: &str) -> Result<Volume, Error> {
        self.client
            .json(Request::new(Route::VOLUME_DELETE, &[&self.app, id]))
            .await
    }
}
