//! The HTTP API: classify messages with the live engine, clusters, jobs, health, metrics.
//!
//! The API names no sidecar or job type: it defines what it needs as traits ([`LiveEngine`] for
//! a source's live miner, [`JobControl`] for the job runner, [`SearchProbe`] for `/health`) and
//! `app` implements them for `logsift run`. `logsift serve` runs it alone on a fresh miner.
//!
//! # Layout
//! - [`routes`]: the route table, auth, request counting, JSON fallbacks.
//! - [`classify`]: `/v1/classify` and `/v1/classify/_bulk`.
//! - [`health`]: `/health`, `/health/live`, `/metrics`.
//! - [`clusters`]: `/v1/clusters`, `/v1/clusters/{id}` (with `since`/`until`: counts in that range).
//! - [`compare`]: `/v1/compare` (two periods: new, gone and changed templates).
//! - [`jobs`]: `/v1/jobs`, `/v1/jobs/{name}`, `/v1/jobs/{name}/run`, `/v1/jobs/{name}/cancel`; the [`JobControl`] trait.
//! - [`live`]: the [`LiveEngine`] trait, and its implementation over a plain miner (`serve`).
//! - [`document`]: the message of a posted document, via the source's [`crate::message::Extractor`].
//! - [`state`]: the shared [`ApiState`] and each source's [`SourceEndpoint`].
//! - [`error`]: [`RequestError`] (JSON errors with codes) and [`ServeError`].
//!
//! The API description is `api/openapi.json`; a test keeps it and [`routes::route_table`] equal.

pub mod annotations;
pub mod audit;
pub mod classify;
pub mod clusters;
pub mod compare;
pub mod document;
pub mod error;
pub mod health;
pub mod jobs;
pub mod live;
pub mod routes;
pub mod state;

pub use crate::config::api::DEFAULT_LISTEN;
pub use crate::config::ApiConfig;
pub use error::{RequestError, ServeError};
pub use jobs::{JobControl, JobControlError, RunRecord};
pub use live::{Labelled, LiveEngine, NotReady};
pub use state::{ApiState, IdFormat, SearchProbe, SourceEndpoint};

use axum::serve::ListenerExt;
use std::future::Future;
use std::net::SocketAddr;

/// The OpenAPI description, embedded so the binary can serve or print it.
pub const OPENAPI_JSON: &str = include_str!("../../api/openapi.json");

/// A bound, not yet running API server.
pub struct ApiServer {
    listener: tokio::net::TcpListener,
    state: ApiState,
}

impl ApiServer {
    /// Binds the configured address (port 0 picks a free port: see [`ApiServer::local_addr`]).
    pub async fn bind(state: ApiState) -> Result<ApiServer, ServeError> {
        let addr = state.config().listen;
        let listener = tokio::net::TcpListener::bind(addr)
            .await
            .map_err(|source| ServeError::Bind { addr: addr.to_string(), source })?;
        Ok(ApiServer { listener, state })
    }

    pub fn local_addr(&self) -> Result<SocketAddr, ServeError> {
        Ok(self.listener.local_addr()?)
    }

    /// Serves until `shutdown` completes, then finishes in-flight requests and returns.
    pub async fn run(self, shutdown: impl Future<Output = ()> + Send + 'static) -> Result<(), ServeError> {
        let addr = self.local_addr()?;
        let app = routes::router(self.state);
        // Small request/response pairs (one per Logstash event): do not wait for Nagle.
        let listener = self.listener.tap_io(|tcp| {
            if let Err(error) = tcp.set_nodelay(true) {
                tracing::debug!(%error, "cannot set tcp_nodelay");
            }
        });
        tracing::info!(%addr, "api listening");
        axum::serve(listener, app).with_graceful_shutdown(shutdown).await?;
        tracing::info!(%addr, "api stopped");
        Ok(())
    }
}
