//! The HTTP API: classify messages with the live engine, jobs, health, metrics.
//!
//! The sidecar (`logsift run`) builds an [`ApiState`] from its live miners, extractors, metrics and
//! a search-server probe, then [`ApiServer::bind`] + [`ApiServer::run`] with its shutdown signal.
//! `logsift serve` runs the API alone on a fresh miner (for trying and benchmarking it).
//!
//! # Layout
//! - [`sidecar`]: wiring into `logsift run` (live miner, metrics mirror, probe, job scheduler).
//! - [`routes`]: the route table, auth, request counting, JSON fallbacks.
//! - [`classify`]: `/v1/classify` and `/v1/classify/_bulk`.
//! - [`health`]: `/health`, `/health/live`, `/metrics`.
//! - [`clusters`]: `/v1/clusters`, `/v1/clusters/{id}`.
//! - [`jobs`]: `/v1/jobs`, `/v1/jobs/{name}`, `/v1/jobs/{name}/run`, `/v1/jobs/{name}/cancel`.
//! - [`live`]: the [`LiveEngine`] trait over the shared miner.
//! - [`extract`]: the message of a posted document, via the source's `source::extract::Extractor`.
//! - [`state`]: [`ApiConfig`] and the shared [`ApiState`]; [`config`]: the `[api]` config section.
//! - [`error`]: [`RequestError`] (JSON errors with codes) and [`ServeError`].
//!
//! The API description is `api/openapi.json`; a test keeps it and [`routes::route_table`] equal.

pub mod classify;
pub mod clusters;
pub mod config;
pub mod error;
pub mod extract;
pub mod health;
pub mod jobs;
pub mod live;
pub mod routes;
pub mod sidecar;
pub mod state;

pub use error::{RequestError, ServeError};
pub use live::{Labelled, LiveEngine};
pub use state::{ApiConfig, ApiState, IdFormat, SearchProbe, SourceEndpoint, DEFAULT_LISTEN};

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
