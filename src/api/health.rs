//! `GET /health`, `GET /health/live` and `GET /metrics`.
//!
//! Live means the process answers; ready means it can do its work: at least one source engine is
//! loaded and the search server answers (through the probe the sidecar provides; without a probe,
//! as with `logsift serve` alone, the search server is reported `not_configured` and not required).

use super::state::ApiState;
use axum::extract::State;
use axum::http::{header, StatusCode};
use axum::response::IntoResponse;
use axum::Json;
use serde::Serialize;

#[derive(Debug, Serialize)]
pub struct HealthResponse {
    /// `ok` when ready, `unavailable` otherwise.
    pub status: &'static str,
    pub live: bool,
    pub ready: bool,
    pub search_server: SearchServerHealth,
    pub sources: Vec<String>,
}

#[derive(Debug, Serialize)]
pub struct SearchServerHealth {
    /// `up`, `down` or `not_configured`.
    pub status: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
}

pub async fn health(State(state): State<ApiState>) -> impl IntoResponse {
    let search_server = match &state.inner.search_probe {
        None => SearchServerHealth { status: "not_configured", error: None },
        Some(probe) => match tokio::time::timeout(state.config().health_timeout, probe()).await {
            Ok(Ok(())) => SearchServerHealth { status: "up", error: None },
            Ok(Err(e)) => SearchServerHealth { status: "down", error: Some(e) },
            Err(_) => SearchServerHealth {
                status: "down",
                error: Some(format!("no answer within {:?}", state.config().health_timeout)),
            },
        },
    };
    let sources: Vec<String> = state.sources().iter().map(|s| s.name.clone()).collect();
    let engines_loaded = state.sources().iter().all(|s| s.engine.is_loaded());
    let ready = search_server.status != "down" && !sources.is_empty() && engines_loaded;
    let code = if ready { StatusCode::OK } else { StatusCode::SERVICE_UNAVAILABLE };
    let status = if ready { "ok" } else { "unavailable" };
    (code, Json(HealthResponse { status, live: true, ready, search_server, sources }))
}

#[derive(Debug, Serialize)]
pub struct LiveResponse {
    pub live: bool,
}

pub async fn live() -> Json<LiveResponse> {
    Json(LiveResponse { live: true })
}

pub async fn metrics(State(state): State<ApiState>) -> impl IntoResponse {
    let st = state.clone();
    // Counting clusters takes each engine's read lock: do it off the executor.
    let text = tokio::task::spawn_blocking(move || {
        for s in st.sources() {
            if let Some(n) = s.engine.cluster_count() {
                st.metrics().clusters.with(&[&s.name]).set(n as f64);
            }
        }
        st.metrics().render()
    })
    .await
    .unwrap_or_else(|e| format!("# metrics rendering failed: {e}\n"));
    ([(header::CONTENT_TYPE, "text/plain; version=0.0.4; charset=utf-8")], text)
}
