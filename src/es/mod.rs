//! The only module that knows Elasticsearch/OpenSearch endpoints and JSON.
//!
//! [`EsClient`] wraps the `elasticsearch` crate's transport (no product check, works against
//! OpenSearch) and sends every request through its raw `send`, so one code path serves both
//! products; the retry decision for 429/5xx/transport errors is made once, in [`EsError::is_retriable`].
//!
//! # Layout
//! - [`info`]: `GET /` → distribution, version and what the server can do ([`Capabilities`]).
//! - [`search`]: paging (scroll, sliced scroll, point-in-time + `search_after`) and the pending query.
//! - [`bulk`]: the bulk request body and per-item results.
//! - [`indices`]: mappings, index templates, refresh, counts and terms aggregations.
//! - [`aggs`]: documents per value in a time range (composite aggregation, paged).

pub mod aggs;
pub mod bulk;
pub mod docs;
pub mod indices;
pub mod info;
pub mod reader;
pub mod search;

pub use info::{Capabilities, Distribution, ServerInfo};

use crate::metrics::Counter;
use elasticsearch::auth::Credentials;
use elasticsearch::cert::{Certificate, CertificateValidation};
use elasticsearch::http::headers::{HeaderMap, HeaderValue, CONTENT_TYPE};
use elasticsearch::http::transport::{MultiNodeConnectionPool, SingleNodeConnectionPool, TransportBuilder};
use elasticsearch::http::Method;
use elasticsearch::Elasticsearch;
use serde_json::Value;
use std::sync::Arc;
use std::time::Duration;
use tracing::warn;

/// A transport error with its whole chain of causes (the client's own message only says
/// "error sending request"); certificate problems become [`EsError::Tls`], never retried.
fn transport_error(e: &(dyn std::error::Error + 'static)) -> EsError {
    let mut text = e.to_string();
    let mut cause = e.source();
    while let Some(c) = cause {
        let s = c.to_string();
        if !text.contains(&s) {
            text.push_str(": ");
            text.push_str(&s);
        }
        cause = c.source();
    }
    let lower = text.to_ascii_lowercase();
    if ["certificate", "unknownissuer", "tls handshake", "invalid peer", "badsignature", "notvalidforname"]
        .iter()
        .any(|k| lower.contains(k))
    {
        EsError::Tls(text)
    } else {
        EsError::Transport(text)
    }
}

/// An error talking to the search server.
#[derive(Debug, Clone, thiserror::Error)]
pub enum EsError {
    #[error("cannot reach the search server: {0}")]
    Transport(String),
    /// The TLS handshake failed (an untrusted or invalid certificate): waiting does not help.
    #[error("TLS connection to the search server failed: {0}")]
    Tls(String),
    #[error("search server answered {status}{request}: {body}")]
    Status {
        status: u16,
        /// ` to POST /_bulk`, or empty: the request that got this answer.
        request: String,
        body: String,
        /// The answer's `Retry-After` (seconds), honoured by the retry loop up to `max_backoff`.
        retry_after: Option<u64>,
    },
    #[error("unexpected answer from the search server: {0}")]
    Decode(String),
    #[error("client setup failed: {0}")]
    Setup(String),
}

impl EsError {
    /// 429, 5xx (except 501) and transport errors are worth retrying; other 4xx are not.
    pub fn is_retriable(&self) -> bool {
        match self {
            EsError::Transport(_) => true,
            EsError::Status { status, .. } => *status == 429 || (*status >= 500 && *status != 501),
            EsError::Decode(_) | EsError::Setup(_) | EsError::Tls(_) => false,
        }
    }

    pub fn status(&self) -> Option<u16> {
        match self {
            EsError::Status { status, .. } => Some(*status),
            _ => None,
        }
    }

    /// This error, naming the request it came from (`POST /_bulk`).
    pub fn in_request(self, method: Method, path: &str) -> EsError {
        let what = format!("{} {path}", method_name(method));
        match self {
            EsError::Transport(t) => EsError::Transport(format!("{what}: {t}")),
            EsError::Tls(t) => EsError::Tls(format!("{what}: {t}")),
            EsError::Decode(t) => EsError::Decode(format!("{what}: {t}")),
            EsError::Status { status, body, retry_after, .. } => {
                EsError::Status { status, request: format!(" to {what}"), body, retry_after }
            }
            e @ EsError::Setup(_) => e,
        }
    }

    /// The server's `error.type` (e.g. `index_not_found_exception`), when it said one.
    /// The server's own words (`error.reason`), else the whole error.
    pub fn reason(&self) -> String {
        if let EsError::Status { body, .. } = self {
            if let Some(r) = serde_json::from_str::<Value>(body)
                .ok()
                .and_then(|v| v.pointer("/error/reason").and_then(Value::as_str).map(str::to_string))
            {
                return r;
            }
        }
        self.to_string()
    }

    pub fn error_type(&self) -> Option<String> {
        let EsError::Status { body, .. } = self else { return None };
        let v: Value = serde_json::from_str(body).ok()?;
        v.pointer("/error/type").and_then(Value::as_str).map(str::to_string)
    }
}

pub use crate::config::{Auth, ConnectOptions, RetryPolicy};

/// Whether a request may be sent again after a failure that might have reached the server.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(in crate::es) enum Idempotent {
    Yes,
    /// Only retried when the server surely did nothing (429).
    No,
}

/// A cheap-to-clone client of one search server (cluster).
#[derive(Clone)]
pub struct EsClient {
    inner: Elasticsearch,
    retry: RetryPolicy,
    /// Requests sent again after a retriable failure, for metrics.
    /// Request-level retries (a registry counter once [`EsClient::counting_retries`] is called).
    retries: Arc<Counter>,
}

impl EsClient {
    pub fn new(opts: &ConnectOptions) -> Result<EsClient, EsError> {
        let setup = |e: &dyn std::fmt::Display| EsError::Setup(e.to_string());
        let builder = match opts.urls.as_slice() {
            [] => return Err(EsError::Setup("no url".into())),
            [one] => TransportBuilder::new(SingleNodeConnectionPool::new(one.clone())),
            many => TransportBuilder::new(MultiNodeConnectionPool::round_robin(many.to_vec(), None)),
        };
        let mut builder = builder.timeout(opts.timeout).enable_meta_header(false);
        builder = match &opts.auth {
            Auth::None => builder,
            Auth::Basic { username, password } => builder.auth(Credentials::Basic(username.clone(), password.clone())),
            Auth::ApiKey(k) => builder.auth(Credentials::EncodedApiKey(k.clone())),
            Auth::Bearer(t) => builder.auth(Credentials::Bearer(t.clone())),
        };
        if opts.insecure {
            warn!("connection.insecure = true: the search server's TLS certificate is not checked");
            builder = builder.cert_validation(CertificateValidation::None);
        } else if let Some(path) = &opts.ca_file {
            let pem = std::fs::read(path).map_err(|e| setup(&format!("{}: {e}", path.display())))?;
            let cert = Certificate::from_pem(&pem).map_err(|e| setup(&e))?;
            builder = builder.cert_validation(CertificateValidation::Full(cert));
        }
        let transport = builder.build().map_err(|e| setup(&e))?;
        Ok(EsClient {
            inner: Elasticsearch::new(transport),
            retry: opts.retry.clone(),
            retries: Arc::new(Counter::default()),
        })
    }

    /// Counts this client's request retries in `counter` (e.g. `logsift_bulk_retries_total`).
    pub fn counting_retries(mut self, counter: Arc<Counter>) -> Self {
        self.retries = counter;
        self
    }

    /// One request with retries; the answer's JSON body (`null` for an empty body).
    pub(in crate::es) async fn request(
        &self,
        method: Method,
        path: &str,
        query: &[(&str, String)],
        body: Option<Body>,
        idempotent: Idempotent,
    ) -> Result<Value, EsError> {
        self.request_with(method, path, query, body, idempotent, |bytes| {
            if bytes.is_empty() {
                return Ok(Value::Null);
            }
            serde_json::from_slice(&bytes).map_err(|e| EsError::Decode(e.to_string()))
        })
        .await
    }

    /// [`EsClient::request`] returning the raw body bytes (for typed decoding by the caller).
    pub(in crate::es) async fn request_raw(
        &self,
        method: Method,
        path: &str,
        query: &[(&str, String)],
        body: Option<Body>,
        idempotent: Idempotent,
    ) -> Result<bytes::Bytes, EsError> {
        self.request_with(method, path, query, body, idempotent, Ok).await
    }

    /// One request with retries, its answer decoded by `decode`. An answer that does not decode
    /// (cut short by a proxy or a dropped connection, say) is retried like a 503 when the
    /// request is idempotent. The final error names the request (`POST /_bulk`).
    pub(in crate::es) async fn request_with<T>(
        &self,
        method: Method,
        path: &str,
        query: &[(&str, String)],
        body: Option<Body>,
        idempotent: Idempotent,
        decode: impl Fn(bytes::Bytes) -> Result<T, EsError>,
    ) -> Result<T, EsError> {
        let mut attempt = 0;
        loop {
            let e = match self.request_once(method, path, query, body.as_ref()).await.and_then(&decode) {
                Ok(v) => return Ok(v),
                Err(e) => e,
            };
            let may_retry = match &e {
                EsError::Decode(_) => idempotent == Idempotent::Yes,
                _ => e.is_retriable() && (idempotent == Idempotent::Yes || e.status() == Some(429)),
            };
            if !may_retry || attempt >= self.retry.max_retries {
                return Err(e.in_request(method, path));
            }
            attempt += 1;
            self.retries.inc();
            // The server's own `Retry-After`, when it sent one (bounded by `max_backoff`).
            let wait = match &e {
                EsError::Status { retry_after: Some(secs), .. } => {
                    Duration::from_secs(*secs).min(self.retry.max_backoff).max(self.retry.backoff(1))
                }
                _ => self.retry.backoff(attempt),
            };
            warn!(request = %format!("{} {path}", method_name(method)), attempt, max = self.retry.max_retries,
                  wait_ms = wait.as_millis() as u64, error = %e, "search server request failed, retrying");
            tokio::time::sleep(wait).await;
        }
    }

    async fn request_once(
        &self,
        method: Method,
        path: &str,
        query: &[(&str, String)],
        body: Option<&Body>,
    ) -> Result<bytes::Bytes, EsError> {
        let mut headers = HeaderMap::new();
        let q = if query.is_empty() { None } else { Some(query) };
        let resp = match body {
            None => self.inner.send::<(), _>(method, path, headers, q, None, None).await,
            Some(Body::Json(v)) => {
                headers.insert(CONTENT_TYPE, HeaderValue::from_static("application/json"));
                let bytes = serde_json::to_vec(v).map_err(|e| EsError::Decode(e.to_string()))?;
                self.inner.send(method, path, headers, q, Some(bytes), None).await
            }
            Some(Body::NdJson(b)) => {
                headers.insert(CONTENT_TYPE, HeaderValue::from_static("application/x-ndjson"));
                self.inner.send(method, path, headers, q, Some(b.clone()), None).await
            }
        };
        let resp = resp.map_err(|e| match e.status_code() {
            Some(s) => {
                EsError::Status { status: s.as_u16(), request: String::new(), body: e.to_string(), retry_after: None }
            }
            None => transport_error(&e),
        })?;
        let status = resp.status_code().as_u16();
        let retry_after =
            resp.headers().get("retry-after").and_then(|v| v.to_str().ok()).and_then(|v| v.trim().parse::<u64>().ok());
        let bytes = resp.bytes().await.map_err(|e| transport_error(&e))?;
        if status >= 300 {
            let mut body = String::from_utf8_lossy(&bytes).into_owned();
            body.truncate(2000);
            return Err(EsError::Status { status, request: String::new(), body, retry_after });
        }
        Ok(bytes)
    }
}

fn method_name(m: Method) -> &'static str {
    match m {
        Method::Get => "GET",
        Method::Put => "PUT",
        Method::Post => "POST",
        Method::Delete => "DELETE",
        Method::Head => "HEAD",
    }
}

/// A request body.
#[derive(Clone, Debug)]
pub(in crate::es) enum Body {
    Json(Value),
    NdJson(Vec<u8>),
}

/// Percent-encodes an index name or pattern list for a URL path (commas and `*` stay).
pub(in crate::es) fn path_part(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        match b {
            b'a'..=b'z' | b'A'..=b'Z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'*' | b',' => out.push(b as char),
            _ => out.push_str(&format!("%{b:02X}")),
        }
    }
    out
}
