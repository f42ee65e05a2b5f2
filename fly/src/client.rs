//! The client: base URL, authentication, user agent, and the request
//! plumbing every resource module goes through (one place that builds URLs
//! from route templates, sends the lease nonce, classifies errors, retries and
//! reports each attempt to the observer).

use std::sync::Arc;
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::{Duration, Instant};

use backon::Retryable as _;
use bytes::Bytes;
use reqwest::header::{AUTHORIZATION, CONTENT_TYPE, HeaderMap, RETRY_AFTER};
use serde::Serialize;
use serde::de::DeserializeOwned;
use url::Url;

use crate::apps::Apps;
use crate::auth::Token;
use crate::error::{ApiError, Error, message_and_code, parse_retry_after};
use crate::ips::Ips;
use crate::machines::Machines;
use crate::observe::{CallRecord, Observer};
use crate::orgs::Org;
use crate::retry::RetryPolicy;
use crate::route::Route;
use crate::secrets::Secrets;
use crate::volumes::Volumes;

/// The public Machines API.
pub const DEFAULT_BASE_URL: &str = "https://api.machines.dev";
/// Environment variable overriding the base URL (the one flyctl reads).
pub const BASE_URL_ENV: &str = "FLY_FLAPS_BASE_URL";
/// Header carrying the lease nonce on calls made under a lease.
pub const NONCE_HEADER: &str = "fly-machine-lease-nonce";
/// Response header identifying a request to Fly support.
pub const REQUEST_ID_HEADER: &str = "fly-request-id";
/// Default per-request timeout (waits and execs get their own).
pub const DEFAULT_REQUEST_TIMEOUT: Duration = Duration::from_secs(60);

/// A Machines API client. Cheap to clone (shared connection pool).
///
/// ```no_run
/// # async fn demo() -> Result<(), fly_machines::Error> {
/// use fly_machines::{Client, Token};
/// let fly = Client::builder()
///     .base_url("http://127.0.0.1:4280")?
///     .token(Token::new("local-token")?)
///     .build()?;
/// let app = fly.apps().get("my-openclaw").await?;
/// # Ok(()) }
/// ```
#[derive(Clone)]
pub struct Client {
    inner: Arc<Inner>,
}

struct Inner {
    http: reqwest::Client,
    base: Url,
    token: Option<Token>,
    retry: RetryPolicy,
    timeout: Duration,
    observer: Option<Arc<dyn Observer>>,
}

impl std::fmt::Debug for Client {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Client")
            .field("base_url", &self.inner.base.as_str())
            .field("token", &self.inner.token)
            .field("retry", &self.inner.retry)
            .finish_non_exhaustive()
    }
}

/// Configures a [`Client`].
#[must_use]
pub struct ClientBuilder {
    base: Url,
    token: Option<Token>,
    product: Option<String>,
    retry: RetryPolicy,
    timeout: Duration,
    connect_timeout: Duration,
    observer: Option<Arc<dyn Observer>>,
}

impl Default for ClientBuilder {
    fn default() -> Self {
        Self {
            base: Url::parse(DEFAULT_BASE_URL).expect("the default base URL is valid"),
            token: None,
            product: None,
            retry: RetryPolicy::default(),
            timeout: DEFAULT_REQUEST_TIMEOUT,
            connect_timeout: Duration::from_secs(10),
            observer: None,
        }
    }
}

impl ClientBuilder {
    /// API base URL, e.g. `https://api.machines.dev` (the default) or
    /// fly-local's `http://127.0.0.1:4280`. A trailing `/v1` is accepted.
    pub fn base_url(mut self, url: &str) -> Result<Self, Error> {
        self.base = parse_base_url(url)?;
        Ok(self)
    }

    /// The API token. Without one, requests are sent unauthenticated (and
    /// the API answers 401).
    pub fn token(mut self, token: Token) -> Self {
        self.token = Some(token);
        self
    }

    /// Reads the token from `FLY_API_TOKEN` and the base URL from
    /// `FLY_FLAPS_BASE_URL` when they are set.
    pub fn from_env(mut self) -> Result<Self, Error> {
        if let Some(token) = Token::from_env()? {
            self.token = Some(token);
        }
        if let Ok(url) = std::env::var(BASE_URL_ENV)
            && !url.trim().is_empty()
        {
            self.base = parse_base_url(url.trim())?;
        }
        Ok(self)
    }

    /// Prepends `product` (e.g. `openclaw-operator/0.1.0`) to the user agent
    /// `fly-machines-rs/<version>`.
    pub fn user_agent(mut self, product: impl Into<String>) -> Self {
        self.product = Some(product.into());
        self
    }

    /// Retry policy for transient failures.
    pub fn retry_policy(mut self, retry: RetryPolicy) -> Self {
        self.retry = retry;
        self
    }

    /// Time one request may take (default 60 s; waits and execs add their
    /// own duration to it).
    pub fn request_timeout(mut self, timeout: Duration) -> Self {
        self.timeout = timeout;
        self
    }

    /// Time to establish a connection (default 10 s).
    pub fn connect_timeout(mut self, timeout: Duration) -> Self {
        self.connect_timeout = timeout;
        self
    }

    /// Reports every HTTP attempt to `observer` (metrics by route/status).
    pub fn observer(mut self, observer: impl Observer + 'static) -> Self {
        self.observer = Some(Arc::new(observer));
        self
    }

    /// Builds the client.
    pub fn build(self) -> Result<Client, Error> {
        let agent = match &self.product {
            Some(product) => format!("{product} {}", user_agent()),
            None => user_agent(),
        };
        let http = reqwest::Client::builder()
            .user_agent(agent)
            // The API sets per-app affinity cookies so that a read follows
            // the node that just wrote; the official client keeps them too.
            .cookie_store(true)
            .connect_timeout(self.connect_timeout)
            .build()
            .map_err(|e| Error::InvalidArgument(format!("cannot build the HTTP client: {e}")))?;
        Ok(Client {
            inner: Arc::new(Inner {
                http,
                base: self.base,
                token: self.token,
                retry: self.retry,
                timeout: self.timeout,
                observer: self.observer,
            }),
        })
    }
}

/// `fly-machines-rs/<crate version>`.
pub fn user_agent() -> String {
    format!("fly-machines-rs/{}", env!("CARGO_PKG_VERSION"))
}

fn parse_base_url(raw: &str) -> Result<Url, Error> {
    let mut url = Url::parse(raw).map_err(|e| {
        Error::InvalidArgument(format!(
            "base URL {raw:?} is not a URL ({e}); expected e.g. {DEFAULT_BASE_URL}"
        ))
    })?;
    if !matches!(url.scheme(), "http" | "https") || url.cannot_be_a_base() {
        return Err(Error::InvalidArgument(format!(
            "base URL {raw:?} must be an http(s) URL such as {DEFAULT_BASE_URL}"
        )));
    }
    let path = url.path().trim_end_matches('/');
    let path = path.strip_suffix("/v1").unwrap_or(path).to_owned();
    url.set_path(&path);
    url.set_query(None);
    url.set_fragment(None);
    Ok(url)
}

impl Client {
    /// A builder with the defaults (public API, no token).
    pub fn builder() -> ClientBuilder {
        ClientBuilder::default()
    }

    /// A client configured from `FLY_API_TOKEN` and `FLY_FLAPS_BASE_URL`.
    pub fn from_env() -> Result<Self, Error> {
        Self::builder().from_env()?.build()
    }

    /// The base URL calls go to.
    pub fn base_url(&self) -> &Url {
        &self.inner.base
    }

    /// App calls.
    pub fn apps(&self) -> Apps {
        Apps::new(self.clone())
    }

    /// Machine calls of app `app` (including leases, wait, exec, metadata).
    pub fn machines(&self, app: impl Into<String>) -> Machines {
        Machines::new(self.clone(), app.into())
    }

    /// Volume calls of app `app`.
    pub fn volumes(&self, app: impl Into<String>) -> Volumes {
        Volumes::new(self.clone(), app.into())
    }

    /// Secret calls of app `app`.
    pub fn secrets(&self, app: impl Into<String>) -> Secrets {
        Secrets::new(self.clone(), app.into())
    }

    /// IP assignment calls of app `app`.
    pub fn ips(&self, app: impl Into<String>) -> Ips {
        Ips::new(self.clone(), app.into())
    }

    /// Organisation-wide calls of org `slug`.
    pub fn org(&self, slug: impl Into<String>) -> Org {
        Org::new(self.clone(), slug.into())
    }

    /// Sends `request` (with retries as its route allows) and returns the
    /// successful response.
    pub(crate) async fn send(&self, request: Request<'_>) -> Result<Response, Error> {
        let url = request.url(&self.inner.base)?;
        let attempts = AtomicU32::new(0);
        let policy = self.inner.retry;
        let class = request.route.retry;
        let attempt = || async {
            let number = attempts.fetch_add(1, Ordering::Relaxed) + 1;
            self.attempt(&request, &url, number).await
        };
        let result = attempt
            .retry(policy.backoff())
            .sleep(tokio::time::sleep)
            .when(|error| RetryPolicy::should_retry(class, error))
            .adjust(|error, backoff| policy.delay(error, backoff))
            .notify(|error, delay| {
                tracing::debug!(route = request.route.label, %error, delay_ms = delay.as_millis() as u64, "retrying Fly API call");
            })
            .await;
        match result {
            // A delete whose earlier attempt failed in transit may well have
            // been applied: finding nothing on the retry means it is done.
            Err(Error::NotFound(api))
                if request.gone_is_done && attempts.load(Ordering::Relaxed) > 1 =>
            {
                tracing::debug!(
                    route = api.route,
                    "retried delete found the resource gone; an earlier attempt applied it"
                );
                Ok(Response {
                    route: api.route,
                    status: api.status,
                    request_id: api.request_id,
                    body: Bytes::new(),
                })
            }
            other => other,
        }
    }

    /// Sends `request` and decodes the JSON body.
    pub(crate) async fn json<T: DeserializeOwned>(&self, request: Request<'_>) -> Result<T, Error> {
        self.send(request).await?.json()
    }

    /// Sends `request`, ignoring the body of the answer.
    pub(crate) async fn unit(&self, request: Request<'_>) -> Result<(), Error> {
        self.send(request).await.map(drop)
    }

    /// One HTTP attempt: send, read the whole answer, report it to the
    /// observer, classify it.
    async fn attempt(
        &self,
        request: &Request<'_>,
        url: &Url,
        number: u32,
    ) -> Result<Response, Error> {
        let route = request.route;
        let timeout = request.timeout.unwrap_or(self.inner.timeout);
        let started = Instant::now();
        let outcome = async {
            let response = self.http_request(request, url, timeout).send().await?;
            let status = response.status().as_u16();
            let headers = response.headers().clone();
            let body = response.bytes().await?;
            Ok::<_, reqwest::Error>((status, headers, body))
        }
        .await;
        let elapsed = started.elapsed();

        match outcome {
            Ok((status, headers, body)) => {
                let request_id = header_text(&headers, REQUEST_ID_HEADER);
                self.observe(route, Some(status), number, elapsed, request_id.as_deref());
                tracing::debug!(
                    route = route.label,
                    attempt = number,
                    status,
                    request_id = request_id.as_deref(),
                    elapsed_ms = elapsed.as_millis() as u64,
                    "Fly API call"
                );
                classify(route, status, &headers, request_id, body)
            }
            Err(source) => {
                self.observe(route, None, number, elapsed, None);
                tracing::debug!(route = route.label, attempt = number, error = %source, "Fly API call failed");
                Err(if source.is_timeout() {
                    Error::Timeout {
                        route: route.label,
                        message: format!("no answer within {timeout:?}"),
                        request_id: None,
                    }
                } else {
                    Error::Transport {
                        route: route.label,
                        source,
                    }
                })
            }
        }
    }

    /// The HTTP request for `request`: auth, nonce, JSON body, timeout (the
    /// user agent and cookie jar come with the reqwest client).
    fn http_request(
        &self,
        request: &Request<'_>,
        url: &Url,
        timeout: Duration,
    ) -> reqwest::RequestBuilder {
        let mut builder = self
            .inner
            .http
            .request(request.route.method.to_reqwest(), url.clone())
            .timeout(timeout);
        if let Some(token) = &self.inner.token {
            builder = builder.header(AUTHORIZATION, token.header().clone());
        }
        if let Some(nonce) = request.nonce {
            builder = builder.header(NONCE_HEADER, nonce);
        }
        if let Some(body) = &request.body {
            builder = builder
                .header(CONTENT_TYPE, "application/json")
                .body(body.clone());
        }
        builder
    }

    fn observe(
        &self,
        route: Route,
        status: Option<u16>,
        attempt: u32,
        elapsed: Duration,
        request_id: Option<&str>,
    ) {
        if let Some(observer) = &self.inner.observer {
            observer.on_call(&CallRecord {
                route: route.label,
                method: route.method.as_str(),
                status,
                attempt,
                elapsed,
                request_id,
            });
        }
    }
}

/// A 2xx answer is a [`Response`]; anything else an [`Error`] of the kind
/// its status says, with the API's message, code and `Retry-After`.
fn classify(
    route: Route,
    status: u16,
    headers: &HeaderMap,
    request_id: Option<String>,
    body: Bytes,
) -> Result<Response, Error> {
    if (200..300).contains(&status) {
        return Ok(Response {
            route: route.label,
            status,
            request_id,
            body,
        });
    }
    let (message, code) = message_and_code(status, &body);
    let retry_after =
        header_text(headers, RETRY_AFTER.as_str()).and_then(|v| parse_retry_after(&v));
    Err(Error::from_status(
        ApiError {
            route: route.label,
            status,
            message,
            code,
            request_id,
        },
        retry_after,
    ))
}

fn header_text(headers: &HeaderMap, name: &str) -> Option<String> {
    headers.get(name)?.to_str().ok().map(str::to_owned)
}

/// One call to make: route, path parameters, query, body, lease nonce.
pub(crate) struct Request<'a> {
    route: Route,
    params: Vec<String>,
    query: Vec<(String, String)>,
    body: Option<Bytes>,
    nonce: Option<&'a str>,
    timeout: Option<Duration>,
    gone_is_done: bool,
}

impl<'a> Request<'a> {
    /// A call of `route` with `params` filling its path template in order.
    pub(crate) fn new(route: Route, params: &[&str]) -> Self {
        let params = params.iter().map(|p| (*p).to_owned()).collect();
        Self {
            route,
            params,
            query: Vec::new(),
            body: None,
            nonce: None,
            timeout: None,
            gone_is_done: false,
        }
    }

    /// Adds a query parameter.
    pub(crate) fn query(mut self, key: impl Into<String>, value: impl ToString) -> Self {
        self.query.push((key.into(), value.to_string()));
        self
    }

    /// Adds query parameters.
    pub(crate) fn queries(mut self, pairs: impl IntoIterator<Item = (String, String)>) -> Self {
        self.query.extend(pairs);
        self
    }

    /// Sets a JSON body.
    pub(crate) fn json(mut self, body: &impl Serialize) -> Result<Self, Error> {
        let bytes = serde_json::to_vec(body).map_err(|e| {
            Error::InvalidArgument(format!(
                "{}: cannot encode the request body: {e}",
                self.route.label
            ))
        })?;
        self.body = Some(Bytes::from(bytes));
        Ok(self)
    }

    /// Sends the lease nonce.
    pub(crate) fn nonce(mut self, nonce: &'a str) -> Self {
        self.nonce = Some(nonce);
        self
    }

    /// For deletes: a 404 on a retry (after an attempt that may have been
    /// applied) counts as success.
    pub(crate) fn gone_is_done(mut self) -> Self {
        self.gone_is_done = true;
        self
    }

    /// Overrides the request timeout.
    pub(crate) fn timeout(mut self, timeout: Duration) -> Self {
        self.timeout = Some(timeout);
        self
    }

    fn url(&self, base: &Url) -> Result<Url, Error> {
        let params: Vec<&str> = self.params.iter().map(String::as_str).collect();
        let mut url = self.route.url(base, &params)?;
        if !self.query.is_empty() {
            url.query_pairs_mut().extend_pairs(&self.query);
        }
        Ok(url)
    }
}

/// A successful answer.
pub(crate) struct Response {
    route: &'static str,
    status: u16,
    request_id: Option<String>,
    body: Bytes,
}

impl Response {
    /// Decodes the body as JSON.
    pub(crate) fn json<T: DeserializeOwned>(&self) -> Result<T, Error> {
        serde_json::from_slice(&self.body).map_err(|e| Error::Decode {
            route: self.route,
            status: self.status,
            message: format!(
                "{e}; body: {}",
                String::from_utf8_lossy(&self.body[..self.body.len().min(500)])
            ),
            request_id: self.request_id.clone(),
        })
    }

    /// True when the body is empty (or only whitespace).
    pub(crate) fn is_empty(&self) -> bool {
        self.body.iter().all(u8::is_ascii_whitespace)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn base_urls_are_normalised() {
        for (raw, expected) in [
            ("https://api.machines.dev", "https://api.machines.dev/"),
            ("https://api.machines.dev/v1", "https://api.machines.dev/"),
            ("http://127.0.0.1:4280/v1/", "http://127.0.0.1:4280/"),
            ("http://proxy/fly/", "http://proxy/fly"),
        ] {
            assert_eq!(parse_base_url(raw).unwrap().as_str(), expected, "{raw}");
        }
    }

    #[test]
    fn bad_base_urls_are_refused_with_an_example() {
        for raw in ["api.machines.dev", "ftp://x", ""] {
            let err = parse_base_url(raw).unwrap_err().to_string();
            assert!(err.contains(DEFAULT_BASE_URL), "{raw}: {err}");
        }
    }

    #[test]
    fn user_agent_names_the_crate_and_version() {
        assert_eq!(
            user_agent(),
            format!("fly-machines-rs/{}", env!("CARGO_PKG_VERSION"))
        );
    }
}
