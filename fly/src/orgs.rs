//! Organisation-wide calls. Listing every machine of an org is a handful of
//! paged calls, where per-app lists cost one call per app — what an operator
//! managing many gateways wants for its periodic resync.

use crate::client::{Client, Request};
use crate::error::Error;
use crate::route::Route;
use crate::types::{ListOrgMachines, OrgMachine, OrgMachinesPage};

/// Calls on one organisation, from [`Client::org`].
#[derive(Debug, Clone)]
pub struct Org {
    client: Client,
    slug: String,
}

impl Org {
    pub(crate) fn new(client: Client, slug: String) -> Self {
        Self { client, slug }
    }

    /// The organisation slug.
    pub fn slug(&self) -> &str {
        &self.slug
    }

    /// Every machine of the organisation matching `filter`, following the
    /// cursor until the API has no more (pages may be short, even empty,
    /// before the end).
    pub async fn machines(&self, filter: &ListOrgMachines) -> Result<Vec<OrgMachine>, Error> {
        let mut all = Vec::new();
        let mut cursor: Option<String> = None;
        loop {
            let mut request =
                Request::new(Route::ORG_MACHINES_LIST, &[&self.slug]).queries(filter.query());
            if let Some(cursor) = &cursor {
                request = request.query("cursor", cursor);
            }
            let page: OrgMachinesPage = self.client.json(request).await?;
            all.extend(page.machines);
            match page.next_cursor.filter(|next| !next.is_empty()) {
                None => return Ok(all),
                Some(next) if cursor.as_deref() == Some(next.as_str()) => {
                    return Err(Error::Decode {
                        route: Route::ORG_MACHINES_LIST.label,
                        status: 200,
                        message: format!(
                            "the cursor did not advance ({next}); stopping instead of looping"
                        ),
                        request_id: None,
                    });
                }
                Some(next) => cursor = Some(next),
            }
        }
    }
}
