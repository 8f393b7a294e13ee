//! `GET /v1/clusters` (top, new or rare clusters; by source and time) and `GET /v1/clusters/{id}`,
//! from the cluster index the sidecar keeps exact. Without a search server (`logsift serve`),
//! from the live miner (counts are what the miner has seen; no times).

use super::classify::query_or_error;
use super::error::RequestError;
use super::routes::PathParam;
use super::state::{ApiState, SourceEndpoint};
use crate::es::EsClient;
use axum::extract::rejection::QueryRejection;
use axum::extract::{Query, State};
use axum::Json;
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};

/// Where cluster documents are read from.
#[derive(Clone)]
pub struct ClusterIndex {
    pub client: EsClient,
    pub index: String,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ClustersQuery {
    /// `top` (most documents, default), `rare` (fewest) or `new` (latest first seen).
    pub order: Option<String>,
    pub source: Option<String>,
    /// Only clusters seen (for `new`: first seen) at or after this time (RFC 3339 or date math).
    pub since: Option<String>,
    /// ... and before this time.
    pub until: Option<String>,
    /// How many (1 to 1000, default 20).
    pub size: Option<usize>,
}

#[derive(Debug, Serialize, Deserialize, PartialEq)]
pub struct ClusterView {
    pub cluster_id: String,
    pub template: Option<String>,
    pub count: u64,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub source: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub first_seen: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub last_seen: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub merged_into: Option<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub examples: Vec<String>,
}

#[derive(Serialize)]
pub struct ClusterList {
    pub order: String,
    pub clusters: Vec<ClusterView>,
}

fn view(id: &str, s: &Value) -> ClusterView {
    let str_of = |k: &str| s.get(k).and_then(Value::as_str).map(str::to_string);
    ClusterView {
        cluster_id: str_of("cluster_id").unwrap_or_else(|| id.to_string()),
        template: str_of("template"),
        count: s.get("count").and_then(Value::as_u64).unwrap_or(0),
        source: str_of("source"),
        first_seen: str_of("first_seen"),
        last_seen: str_of("last_seen"),
        merged_into: str_of("merged_into"),
        examples: s
            .get("examples")
            .and_then(Value::as_array)
            .map(|a| a.iter().filter_map(|v| v.as_str().map(str::to_string)).collect())
            .unwrap_or_default(),
    }
}

/// An RFC 3339 time, a plain date, or Elasticsearch/OpenSearch date math (`now`, `now-1h`,
/// `now-7d/d`), the forms `since`/`until` accept.
pub(super) fn is_time(v: &str) -> bool {
    if chrono::DateTime::parse_from_rfc3339(v).is_ok() || chrono::NaiveDate::parse_from_str(v, "%Y-%m-%d").is_ok() {
        return true;
    }
    let Some(mut rest) = v.strip_prefix("now") else { return false };
    let unit = |c: char| "yMwdhHms".contains(c);
    while let Some(c) = rest.chars().next() {
        match c {
            '+' | '-' => {
                let digits = rest[1..].chars().take_while(char::is_ascii_digit).count();
                let u = rest[1 + digits..].chars().next();
                if digits == 0 || !u.is_some_and(unit) {
                    return false;
                }
                rest = &rest[2 + digits..];
            }
            '/' => return rest.len() == 2 && rest[1..].chars().all(unit),
            _ => return false,
        }
    }
    true
}

fn unavailable(e: crate::es::EsError) -> RequestError {
    RequestError::Unavailable(format!("cluster index: {e}"))
}

pub async fn list(
    State(state): State<ApiState>,
    query: Result<Query<ClustersQuery>, QueryRejection>,
) -> Result<Json<ClusterList>, RequestError> {
    let q = query_or_error(query)?;
    let order = q.order.clone().unwrap_or_else(|| "top".into());
    if !["top", "rare", "new"].contains(&order.as_str()) {
        return Err(RequestError::InvalidQuery(format!("order `{order}`: use top, rare or new")));
    }
    let size = q.size.unwrap_or(20);
    if !(1..=1000).contains(&size) {
        return Err(RequestError::InvalidQuery("size must be between 1 and 1000".into()));
    }
    for (name, v) in [("since", &q.since), ("until", &q.until)] {
        if let Some(v) = v.as_deref().filter(|v| !is_time(v)) {
            return Err(RequestError::InvalidQuery(format!(
                "{name} `{v}`: expected an RFC 3339 time (2026-01-02T03:04:05Z), a date (2026-01-02) or date math (now-1h)"
            )));
        }
    }
    let Some(ci) = &state.inner.clusters else { return from_miner(&state, &q, order, size) };
    let time_field = if order == "new" { "first_seen" } else { "last_seen" };
    let mut filter = vec![json!({"range": {"count": {"gt": 0}}})];
    if let Some(s) = &q.source {
        filter.push(json!({"term": {"source": s}}));
    }
    if q.since.is_some() || q.until.is_some() {
        let mut r = serde_json::Map::new();
        if let Some(s) = &q.since {
            r.insert("gte".into(), json!(s));
        }
        if let Some(u) = &q.until {
            r.insert("lt".into(), json!(u));
        }
        filter.push(json!({"range": {time_field: r}}));
    }
    let sort = match order.as_str() {
        "top" => json!([{"count": "desc"}, {"cluster_id": "asc"}]),
        "rare" => json!([{"count": "asc"}, {"cluster_id": "asc"}]),
        _ => json!([{"first_seen": {"order": "desc", "missing": "_last"}}, {"cluster_id": "asc"}]),
    };
    let body = json!({"size": size, "query": {"bool": {"filter": filter}}, "sort": sort});
    let hits = ci.client.search_hits(&ci.index, &body).await.map_err(|e| match e.status() {
        Some(400) => RequestError::InvalidQuery(format!("the search server refused the filter: {e}")),
        _ => unavailable(e),
    })?;
    let clusters = hits
        .iter()
        .map(|h| view(h.get("_id").and_then(Value::as_str).unwrap_or(""), h.get("_source").unwrap_or(&Value::Null)))
        .collect();
    Ok(Json(ClusterList { order, clusters }))
}

fn from_miner(
    state: &ApiState,
    q: &ClustersQuery,
    order: String,
    size: usize,
) -> Result<Json<ClusterList>, RequestError> {
    let src = state
        .source(q.source.as_deref())
        .ok_or_else(|| RequestError::UnknownSource(q.source.clone().unwrap_or_default()))?;
    let mut all =
        src.engine.clusters().ok_or_else(|| RequestError::Unavailable("the engine is not loaded yet".into()))?;
    match order.as_str() {
        "top" => all.sort_by(|a, b| b.size.cmp(&a.size).then(a.id.cmp(&b.id))),
        "rare" => all.sort_by(|a, b| a.size.cmp(&b.size).then(a.id.cmp(&b.id))),
        _ => all.sort_by_key(|c| std::cmp::Reverse(c.id)),
    }
    let clusters = all.into_iter().take(size).map(|c| live_view(src, src.format_id(c.id), c)).collect();
    Ok(Json(ClusterList { order, clusters }))
}

/// A cluster of a live miner (no times or examples: those live in the cluster index).
fn live_view(src: &SourceEndpoint, cluster_id: String, c: crate::engine::ClusterInfo) -> ClusterView {
    ClusterView {
        cluster_id,
        template: Some(c.template),
        count: c.size,
        source: Some(src.name.clone()),
        first_seen: None,
        last_seen: None,
        merged_into: None,
        examples: Vec::new(),
    }
}

pub async fn get_cluster(
    State(state): State<ApiState>,
    PathParam(id): PathParam,
) -> Result<Json<ClusterView>, RequestError> {
    if let Some(ci) = &state.inner.clusters {
        return match ci.client.get_source(&ci.index, &id).await.map_err(unavailable)? {
            Some(s) => Ok(Json(view(&id, &s))),
            None => Err(RequestError::UnknownCluster(id)),
        };
    }
    for src in state.sources() {
        if let Some(all) = src.engine.clusters() {
            if let Some(c) = all.into_iter().find(|c| src.format_id(c.id) == id) {
                return Ok(Json(live_view(src, id, c)));
            }
        }
    }
    Err(RequestError::UnknownCluster(id))
}

#[cfg(test)]
mod tests {
    use super::is_time;

    #[test]
    fn since_and_until_accept_times_dates_and_date_math_only() {
        for ok in [
            "2026-01-02T03:04:05Z",
            "2026-01-02T03:04:05.5+01:00",
            "2026-01-02",
            "now",
            "now-1h",
            "now-7d/d",
            "now+15m",
        ] {
            assert!(is_time(ok), "{ok}");
        }
        for bad in ["garbage", "now-", "now-1", "now-1x", "2026-13-40", "now/", "now/dd", "1h", ""] {
            assert!(!is_time(bad), "{bad}");
        }
    }
}
