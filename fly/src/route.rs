//! The routes this client calls, each with its retry class.
//!
//! A route is the method plus the spec's path template, e.g.
//! `POST /v1/apps/{app_name}/machines`; it labels every call for metrics
//! ([`crate::CallRecord::route`]) and matches fly-local's request log. The
//! request path is built *from* the template, so label and path never
//! disagree.
//!
//! # Which calls are retried
//!
//! A call is retried on transient failures (429 honouring `Retry-After`,
//! 502/503/504, broken connections) only when doing it twice has the same
//! effect as doing it once — [`Retry::Safe`]:
//! - reads (`GET`), including `wait`;
//! - deletes of one named resource (machine, volume, secret, IP, lease,
//!   metadata key): the second attempt finds nothing left to delete;
//! - state changes towards a target: start, stop, restart, suspend, signal,
//!   cordon/uncordon, lease refresh (same nonce), metadata set, volume extend
//!   (absolute size), secret set (same value).
//!
//! Everything that creates something with a server-assigned identity or may
//! apply twice is [`Retry::Never`]: app, machine and volume creates, IP
//! allocation, lease acquisition (a lost answer leaves us holding a lease
//! whose nonce we never saw), machine update (a second replace reboots again
//! and, with `current_version`, fails), and exec (the command runs twice).
//! Those are retried only when the failure proves nothing happened: a 429
//! from the rate limiter, or a connection that was never established.
//!
//! A retried delete of a machine, app, secret, IP or metadata key that
//! answers 404 succeeds: the attempt that failed in transit was applied.

use url::Url;

use crate::error::Error;

/// Whether a route may be sent again after a transient failure.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Retry {
    /// Idempotent in effect: retried on 429, 502/503/504 and connection errors.
    Safe,
    /// Not idempotent: retried only on 429 and connection-establishment errors.
    Never,
}

/// HTTP methods the API uses.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Method {
    /// GET
    Get,
    /// POST
    Post,
    /// PUT
    Put,
    /// PATCH
    Patch,
    /// DELETE
    Delete,
}

impl Method {
    /// The method name.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Get => "GET",
            Self::Post => "POST",
            Self::Put => "PUT",
            Self::Patch => "PATCH",
            Self::Delete => "DELETE",
        }
    }

    pub(crate) fn to_reqwest(self) -> reqwest::Method {
        match self {
            Self::Get => reqwest::Method::GET,
            Self::Post => reqwest::Method::POST,
            Self::Put => reqwest::Method::PUT,
            Self::Patch => reqwest::Method::PATCH,
            Self::Delete => reqwest::Method::DELETE,
        }
    }
}

/// One API route.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Route {
    /// HTTP method.
    pub method: Method,
    /// Path template, e.g. `/v1/apps/{app_name}/machines/{machine_id}`.
    pub template: &'static str,
    /// `"<METHOD> <template>"`.
    pub label: &'static str,
    /// Retry class.
    pub retry: Retry,
}

macro_rules! method {
    (GET) => {
        Method::Get
    };
    (POST) => {
        Method::Post
    };
    (PUT) => {
        Method::Put
    };
    (PATCH) => {
        Method::Patch
    };
    (DELETE) => {
        Method::Delete
    };
}

macro_rules! route {
    ($name:ident, $method:ident, $template:literal, $retry:ident) => {
        #[doc = concat!("`", stringify!($method), " ", $template, "`")]
        pub const $name: Route = Route {
            method: method!($method),
            template: $template,
            label: concat!(stringify!($method), " ", $template),
            retry: Retry::$retry,
        };
    };
}

// One route per line: the table is meant to be read (and reviewed) as a table.
#[rustfmt::skip]
impl Route {
    route!(APPS_LIST, GET, "/v1/apps", Safe);
    route!(APPS_CREATE, POST, "/v1/apps", Never);
    route!(APP_GET, GET, "/v1/apps/{app_name}", Safe);
    route!(APP_DELETE, DELETE, "/v1/apps/{app_name}", Safe);

    route!(MACHINES_LIST, GET, "/v1/apps/{app_name}/machines", Safe);
    route!(MACHINES_CREATE, POST, "/v1/apps/{app_name}/machines", Never);
    route!(MACHINE_GET, GET, "/v1/apps/{app_name}/machines/{machine_id}", Safe);
    route!(MACHINE_UPDATE, POST, "/v1/apps/{app_name}/machines/{machine_id}", Never);
    route!(MACHINE_DESTROY, DELETE, "/v1/apps/{app_name}/machines/{machine_id}", Safe);
    route!(MACHINE_START, POST, "/v1/apps/{app_name}/machines/{machine_id}/start", Safe);
    route!(MACHINE_STOP, POST, "/v1/apps/{app_name}/machines/{machine_id}/stop", Safe);
    route!(MACHINE_RESTART, POST, "/v1/apps/{app_name}/machines/{machine_id}/restart", Safe);
    route!(MACHINE_SIGNAL, POST, "/v1/apps/{app_name}/machines/{machine_id}/signal", Safe);
    route!(MACHINE_SUSPEND, POST, "/v1/apps/{app_name}/machines/{machine_id}/suspend", Safe);
    route!(MACHINE_CORDON, POST, "/v1/apps/{app_name}/machines/{machine_id}/cordon", Safe);
    route!(MACHINE_UNCORDON, POST, "/v1/apps/{app_name}/machines/{machine_id}/uncordon", Safe);
    route!(MACHINE_WAIT, GET, "/v1/apps/{app_name}/machines/{machine_id}/wait", Safe);
    route!(MACHINE_EXEC, POST, "/v1/apps/{app_name}/machines/{machine_id}/exec", Never);
    route!(MACHINE_EVENTS, GET, "/v1/apps/{app_name}/machines/{machine_id}/events", Safe);
    route!(MACHINE_VERSIONS, GET, "/v1/apps/{app_name}/machines/{machine_id}/versions", Safe);

    route!(LEASE_GET, GET, "/v1/apps/{app_name}/machines/{machine_id}/lease", Safe);
    route!(LEASE_ACQUIRE, POST, "/v1/apps/{app_name}/machines/{machine_id}/lease", Never);
    route!(LEASE_REFRESH, POST, "/v1/apps/{app_name}/machines/{machine_id}/lease", Safe);
    route!(LEASE_RELEASE, DELETE, "/v1/apps/{app_name}/machines/{machine_id}/lease", Safe);

    route!(METADATA_GET, GET, "/v1/apps/{app_name}/machines/{machine_id}/metadata", Safe);
    route!(METADATA_UPDATE, PATCH, "/v1/apps/{app_name}/machines/{machine_id}/metadata", Safe);
    route!(METADATA_SET, POST, "/v1/apps/{app_name}/machines/{machine_id}/metadata/{key}", Safe);
    route!(METADATA_DELETE, DELETE, "/v1/apps/{app_name}/machines/{machine_id}/metadata/{key}", Safe);

    route!(VOLUMES_LIST, GET, "/v1/apps/{app_name}/volumes", Safe);
    route!(VOLUMES_CREATE, POST, "/v1/apps/{app_name}/volumes", Never);
    route!(VOLUME_GET, GET, "/v1/apps/{app_name}/volumes/{volume_id}", Safe);
    route!(VOLUME_UPDATE, PUT, "/v1/apps/{app_name}/volumes/{volume_id}", Safe);
    route!(VOLUME_DELETE, DELETE, "/v1/apps/{app_name}/volumes/{volume_id}", Safe);
    route!(VOLUME_EXTEND, PUT, "/v1/apps/{app_name}/volumes/{volume_id}/extend", Safe);

    route!(SECRETS_LIST, GET, "/v1/apps/{app_name}/secrets", Safe);
    route!(SECRETS_UPDATE, POST, "/v1/apps/{app_name}/secrets", Safe);
    route!(SECRET_GET, GET, "/v1/apps/{app_name}/secrets/{secret_name}", Safe);
    route!(SECRET_SET, POST, "/v1/apps/{app_name}/secrets/{secret_name}", Safe);
    route!(SECRET_DELETE, DELETE, "/v1/apps/{app_name}/secrets/{secret_name}", Safe);

    route!(IPS_LIST, GET, "/v1/apps/{app_name}/ip_assignments", Safe);
    route!(IPS_ALLOCATE, POST, "/v1/apps/{app_name}/ip_assignments", Never);
    route!(IP_RELEASE, DELETE, "/v1/apps/{app_name}/ip_assignments/{ip}", Safe);

    route!(ORG_MACHINES_LIST, GET, "/v1/orgs/{org_slug}/machines", Safe);
}

impl Route {
    /// Builds the URL of this route under `base` with `params` filling the
    /// template's placeholders in order (each percent-encoded as one path
    /// segment, so a metadata key like `openclaw.ai/owner` stays one segment).
    pub(crate) fn url(&self, base: &Url, params: &[&str]) -> Result<Url, Error> {
        let mut url = base.clone();
        let mut params = params.iter();
        {
            let mut segments = url.path_segments_mut().map_err(|()| {
                Error::InvalidArgument(format!("base URL {base} cannot carry a path"))
            })?;
            segments.pop_if_empty();
            for segment in self.template.split('/').filter(|s| !s.is_empty()) {
                if let Some(name) = segment.strip_prefix('{').and_then(|s| s.strip_suffix('}')) {
                    let value = params.next().ok_or_else(|| {
                        Error::InvalidArgument(format!("{}: missing {name}", self.label))
                    })?;
                    if value.is_empty() {
                        return Err(Error::InvalidArgument(format!(
                            "{}: {name} is empty; pass the {name} of an existing resource",
                            self.label
                        )));
                    }
                    segments.push(value);
                } else {
                    segments.push(segment);
                }
            }
        }
        debug_assert!(
            params.next().is_none(),
            "{}: too many path parameters",
            self.label
        );
        Ok(url)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn labels_are_method_and_template() {
        assert_eq!(
            Route::MACHINES_CREATE.label,
            "POST /v1/apps/{app_name}/machines"
        );
        assert_eq!(
            Route::IP_RELEASE.label,
            "DELETE /v1/apps/{app_name}/ip_assignments/{ip}"
        );
    }

    #[test]
    fn builds_paths_from_the_template_with_encoded_segments() {
        let base = Url::parse("http://127.0.0.1:4280").unwrap();
        let url = Route::METADATA_SET
            .url(&base, &["my-app", "1857156b526dd8", "openclaw.ai/owner"])
            .unwrap();
        assert_eq!(
            url.path(),
            "/v1/apps/my-app/machines/1857156b526dd8/metadata/openclaw.ai%2Fowner"
        );
        let url = Route::IP_RELEASE.url(&base, &["a", "fdaa:0:1::3"]).unwrap();
        assert_eq!(url.path(), "/v1/apps/a/ip_assignments/fdaa:0:1::3");
    }

    #[test]
    fn keeps_a_base_path_prefix() {
        let base = Url::parse("https://proxy.example/fly/").unwrap();
        let url = Route::APP_GET.url(&base, &["a"]).unwrap();
        assert_eq!(url.as_str(), "https://proxy.example/fly/v1/apps/a");
    }

    #[test]
    fn refuses_empty_identifiers() {
        let base = Url::parse("http://127.0.0.1:4280").unwrap();
        let err = Route::MACHINE_GET.url(&base, &["a", ""]).unwrap_err();
        assert!(err.to_string().contains("machine_id is empty"), "{err}");
    }
}
