//! Machine metadata calls: the labels the operator finds its machines by.
//! (Metadata is also part of the config; these calls change it without a
//! machine update, so no reboot and no lease.)

use std::collections::BTreeMap;

use serde::Serialize;

use crate::client::Request;
use crate::error::Error;
use crate::machines::Machines;
use crate::route::Route;

impl Machines {
    /// All metadata of machine `id`.
    pub async fn metadata(&self, id: &str) -> Result<BTreeMap<String, String>, Error> {
        self.client
            .json(Request::new(Route::METADATA_GET, &[&self.app, id]))
            .await
    }

    /// Sets one metadata key.
    pub async fn set_metadata(&self, id: &str, key: &str, value: &str) -> Result<(), Error> {
        #[derive(Serialize)]
        struct Body<'a> {
            value: &'a str,
        }
        let request =
            Request::new(Route::METADATA_SET, &[&self.app, id, key]).json(&Body { value })?;
        self.client.unit(request).await
    }

    /// Removes one metadata key.
    pub async fn delete_metadata(&self, id: &str, key: &str) -> Result<(), Error> {
        self.client
            .unit(Request::new(Route::METADATA_DELETE, &[&self.app, id, key]).gone_is_done())
            .await
    }

    /// Sets (`Some`) and removes (`None`) several keys at once. With
    /// `machine_version`, the API refuses with [`Error::PreconditionFailed`]
    /// when the machine has moved past that version.
    pub async fn update_metadata(
        &self,
        id: &str,
        changes: &BTreeMap<String, Option<String>>,
        machine_version: Option<&str>,
    ) -> Result<(), Error> {
        #[derive(Serialize)]
        struct Body<'a> {
            metadata: &'a BTreeMap<String, Option<String>>,
            #[serde(skip_serializing_if = "Option::is_none")]
            machine_version: Option<&'a str>,
        }
        let request = Request::new(Route::METADATA_UPDATE, &[&self.app, id]).json(&Body {
            metadata: changes,
            machine_version,
        })?;
        self.client.unit(request).await
    }
}
