//! `GET /v1/audit/rare`: the most unusual events of a structured (audit) source in a time
//! range, from the `logsift.audit.*` fields the sidecar writes (`store::audit`).

use super::classify::query_or_error;
use super::error::RequestError;
use super::state::ApiState;
use crate::es::EsClient;
use crate::store::audit::{rare as rare_events, RareEvent, RareQuery};
use axum::extract::rejection::QueryRejection;
use axum::extract::{Query, State};
use axum::Json;
use serde::{Deserialize, Serialize};

/// A structured source's log indices, where its audit verdicts are.
#[derive(Clone)]
pub struct AuditSource {
    pub name: String,
    pub client: EsClient,
    pub indices: String,
    pub timestamp_field: String,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RareParams {
    pub source: Option<String>,
    pub since: Option<String>,
    pub until: Option<String>,
    /// How many (1 to 1000, default 20).
    pub limit: Option<usize>,
}

#[derive(Serialize)]
pub struct RareList {
    pub source: String,
    pub events: Vec<RareEvent>,
}

pub async fn rare(
    State(state): State<ApiState>,
    query: Result<Query<RareParams>, QueryRejection>,
) -> Result<Json<RareList>, RequestError> {
    let q = query_or_error(query)?;
    let limit = q.limit.unwrap_or(20);
    if !(1..=1000).contains(&limit) {
        return Err(RequestError::InvalidQuery("limit must be between 1 and 1000".into()));
    }
    for (name, v) in [("since", &q.since), ("until", &q.until)] {
        if let Some(v) = v.as_deref().filter(|v| crate::store::range::parse_time(v, chrono::Utc::now()).is_err()) {
            return Err(RequestError::InvalidQuery(format!(
                "{name} `{v}`: expected an RFC 3339 time (2026-01-02T03:04:05Z), a date (2026-01-02) or date math (now-1h)"
            )));
        }
    }
    let sources = &state.inner.audit;
    let src = match q.source.as_deref() {
        None => sources.first(),
        Some(n) => sources.iter().find(|s| s.name == n),
    }
    .ok_or_else(|| match &q.source {
        Some(n) => RequestError::UnknownSource(format!("{n} (not a structured source with audit scoring)")),
        None => RequestError::UnknownSource(
            "no structured source: set `source.preset` or `[source.fields]` to score audit events".into(),
        ),
    })?;
    let rq = RareQuery { since: q.since.clone(), until: q.until.clone(), limit };
    let events =
        rare_events(&src.client, &src.indices, &src.timestamp_field, &rq).await.map_err(|e| match e.status() {
            Some(400) => RequestError::InvalidQuery(format!("the search server refused the query: {e}")),
            _ => RequestError::Unavailable(format!("log indices: {e}")),
        })?;
    Ok(Json(RareList { source: src.name.clone(), events }))
}
