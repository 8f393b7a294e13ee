//! `GET /v1/clusters` (top, new or rare clusters; by source and time) and `GET /v1/clusters/{id}`,
//! from the cluster index the sidecar keeps exact. With `since`/`until`, counts are the documents
//! in that range (a composite aggregation over the log indices, `store::range`), not all-time
//! totals. Without a search server (`logsift serve`), from the live miner (counts are what the
//! miner has seen; no times).

use super::classify::query_or_error;
use super::error::RequestError;
use super::routes::PathParam;
use super::state::{ApiState, SourceEndpoint};
use crate::es::EsClient;
use crate::store::range::{RangeOrder, TimeRange};
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
    /// All-time documents (the cluster index's count), when `count` is of a time range.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub total: Option<u64>,
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
    /// A user's name, tags and note (`PUT /v1/clusters/{id}/annotation`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub annotation: Option<Value>,
}

#[derive(Serialize)]
pub struct ClusterList {
    pub order: String,
    /// The range counted, resolved to RFC 3339 (`now-1h` as the time it meant).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub since: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub until: Option<String>,
    pub clusters: Vec<ClusterView>,
}

fn view(id: &str, s: &Value) -> ClusterView {
    let str_of = |k: &str| s.get(k).and_then(Value::as_str).map(str::to_string);
    ClusterView {
        cluster_id: str_of("cluster_id").unwrap_or_else(|| id.to_string()),
        template: str_of("template"),
        count: s.get("count").and_then(Value::as_u64).unwrap_or(0),
        total: None,
        source: str_of("source"),
        first_seen: str_of("first_seen"),
        last_seen: str_of("last_seen"),
        merged_into: str_of("merged_into"),
        examples: s
            .get("examples")
            .and_then(Value::as_array)
            .map(|a| a.iter().filter_map(|v| v.as_str().map(str::to_string)).collect())
            .unwrap_or_default(),
        annotation: s.get("annotation").filter(|a| a.is_object()).cloned(),
    }
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
    let range = TimeRange::parse(q.since.as_deref(), q.until.as_deref(), chrono::Utc::now())
        .map_err(RequestError::InvalidQuery)?;
    let Some(ci) = &state.inner.clusters else {
        if !range.is_open() {
            return Err(RequestError::InvalidQuery(
                "since/until: counts in a time range need the search server (`logsift run`); `logsift serve` has only the live miner's all-time counts".into(),
            ));
        }
        return from_miner(&state, &q, order, size);
    };
    let ranges = ranges_of(&state, q.source.as_deref())?;
    if let (Some(rc), false) = (ranges, range.is_open()) {
        if order != "new" {
            let o = if order == "top" { RangeOrder::Top } else { RangeOrder::Rare };
            let found = rc.top(&range, o, size).await.map_err(range_error)?;
            let clusters = found
                .into_iter()
                .map(|c| ClusterView {
                    cluster_id: c.cluster_id,
                    template: c.template,
                    count: c.count,
                    total: c.total,
                    source: Some(rc.source().to_string()),
                    first_seen: c.first_seen,
                    last_seen: c.last_seen,
                    merged_into: None,
                    examples: Vec::new(),
                    annotation: c.annotation,
                })
                .collect();
            return Ok(Json(ClusterList { order, since: range.since_text(), until: range.until_text(), clusters }));
        }
    }
    let time_field = if order == "new" { "first_seen" } else { "last_seen" };
    let mut filter = vec![json!({"range": {"count": {"gt": 0}}})];
    if let Some(s) = &q.source {
        filter.push(json!({"term": {"source": s}}));
    }
    if !range.is_open() {
        let mut r = serde_json::Map::new();
        if let Some(s) = range.since_text() {
            r.insert("gte".into(), json!(s));
        }
        if let Some(u) = range.until_text() {
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
    let mut clusters: Vec<ClusterView> = hits
        .iter()
        .map(|h| view(h.get("_id").and_then(Value::as_str).unwrap_or(""), h.get("_source").unwrap_or(&Value::Null)))
        .collect();
    // New in the range: first seen (all time) in it; the count is of the range, the total beside it.
    if let (Some(rc), false) = (ranges, range.is_open()) {
        let ids: Vec<String> = clusters.iter().map(|c| c.cluster_id.clone()).collect();
        let counts = rc.counts_of(&ids, &range).await.map_err(range_error)?;
        let by_id: std::collections::HashMap<&str, u64> =
            counts.iter().map(|c| (c.cluster_id.as_str(), c.count)).collect();
        for c in &mut clusters {
            c.total = Some(c.count);
            c.count = by_id.get(c.cluster_id.as_str()).copied().unwrap_or(0);
        }
    }
    Ok(Json(ClusterList { order, since: range.since_text(), until: range.until_text(), clusters }))
}

/// The range counting of the requested source (the first without `source`).
pub(crate) fn ranges_of<'a>(
    state: &'a ApiState,
    source: Option<&str>,
) -> Result<Option<&'a crate::store::range::RangeCounts>, RequestError> {
    state.ranges(source).map_err(|known| {
        RequestError::UnknownSource(format!("{}: the sources are {}", source.unwrap_or_default(), known.join(", ")))
    })
}

fn range_error(e: crate::es::EsError) -> RequestError {
    match e.status() {
        Some(400) => RequestError::InvalidQuery(format!("the search server refused the range: {e}")),
        _ => RequestError::Unavailable(format!("log indices: {e}")),
    }
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
    Ok(Json(ClusterList { order, since: None, until: None, clusters }))
}

/// A cluster of a live miner (no times or examples: those live in the cluster index).
fn live_view(src: &SourceEndpoint, cluster_id: String, c: crate::engine::ClusterInfo) -> ClusterView {
    ClusterView {
        cluster_id,
        template: Some(c.template),
        count: c.size,
        total: None,
        source: Some(src.name.clone()),
        first_seen: None,
        last_seen: None,
        merged_into: None,
        examples: Vec::new(),
        annotation: None,
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
