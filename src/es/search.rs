//! Paging through the documents of a query: scroll (every version of both products, sliced when
//! parallel) or point in time + `search_after` (Elasticsearch `/_pit`, OpenSearch
//! `/_search/point_in_time`). A [`Pager`] is always closed by its owner ([`Pager::close`]), since
//! an open scroll or PIT holds server resources (and slows writes on some servers).

use super::{path_part, Body, Capabilities, Distribution, EsClient, EsError, Idempotent, ServerInfo};
use elasticsearch::http::Method;
use serde_json::value::RawValue;
use serde_json::{json, Value};
use std::borrow::Cow;
use tracing::{debug, warn};

const KEEP_ALIVE: &str = "5m";

/// How to page.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PagingMode {
    Scroll,
    Pit,
}

/// What to read.
#[derive(Clone, Debug)]
pub struct SearchSpec {
    /// Comma-separated index names/patterns.
    pub indices: String,
    pub query: Value,
    /// `_source` includes; empty = whole source.
    pub source_fields: Vec<String>,
    pub page_size: usize,
    /// `(id, max)` of a sliced read.
    pub slice: Option<(u32, u32)>,
}

/// One document of a page.
#[derive(Clone, Debug, PartialEq)]
pub struct Hit {
    /// The concrete index (a backing index for data streams and aliases).
    pub index: String,
    pub id: String,
    pub seq_no: Option<i64>,
    pub primary_term: Option<i64>,
    pub source: Value,
}

/// The query for documents logsift has not handled yet: no `logsift.cluster_id` and no
/// `logsift.skipped`, or (when a checkpoint time is known) newer than it.
pub fn pending_query(filter: Option<&Value>, timestamp_field: &str, newer_than: Option<&str>) -> Value {
    let unlabelled = json!({"bool": {"must_not": [
        {"exists": {"field": "logsift.cluster_id"}},
        {"exists": {"field": "logsift.skipped"}}
    ]}});
    let mut should = vec![unlabelled];
    if let Some(ts) = newer_than {
        should.push(json!({"range": {timestamp_field: {"gt": ts}}}));
    }
    let mut b = json!({"bool": {"should": should, "minimum_should_match": 1}});
    if let Some(f) = filter {
        b["bool"]["filter"] = json!([f]);
    }
    b
}

/// An open read: scroll id or PIT id plus the paging position.
pub struct Pager {
    client: EsClient,
    spec: SearchSpec,
    state: PagerState,
}

enum PagerState {
    /// Not yet started (scroll) — the first search opens the scroll.
    ScrollNew,
    Scroll {
        id: String,
    },
    Pit {
        id: String,
        dist: Distribution,
        search_after: Option<Value>,
    },
    Done,
}

impl Pager {
    /// Opens a read. `Pit` needs a server with PIT and `_shard_doc` (see [`Capabilities`]).
    pub async fn open(
        client: &EsClient,
        spec: SearchSpec,
        mode: PagingMode,
        info: &ServerInfo,
    ) -> Result<Pager, EsError> {
        let caps: Capabilities = info.capabilities();
        let state = match mode {
            PagingMode::Scroll => PagerState::ScrollNew,
            PagingMode::Pit => {
                if !(caps.pit && caps.shard_doc) {
                    return Err(EsError::Setup(format!("{info} has no point in time with `_shard_doc`")));
                }
                let idx = path_part(&spec.indices);
                let q = [("keep_alive", KEEP_ALIVE.to_string())];
                let (path, key) = match info.distribution {
                    // Elasticsearch: `POST /{index}/_pit?keep_alive=` → `{"id"}`; close with
                    // `DELETE /_pit {"id"}`. The test server (osmem) lacks this endpoint, so this
                    // path follows the Elasticsearch reference only; OpenSearch's is tested.
                    Distribution::Elasticsearch => (format!("/{idx}/_pit"), "id"),
                    Distribution::OpenSearch => (format!("/{idx}/_search/point_in_time"), "pit_id"),
                };
                let r = client.request(Method::Post, &path, &q, None, Idempotent::Yes).await?;
                let id = r
                    .get(key)
                    .and_then(Value::as_str)
                    .ok_or_else(|| EsError::Decode(format!("no `{key}` in PIT answer")))?;
                PagerState::Pit { id: id.to_string(), dist: info.distribution, search_after: None }
            }
        };
        Ok(Pager { client: client.clone(), spec, state })
    }

    fn body(&self) -> Value {
        let mut b = json!({
            "size": self.spec.page_size,
            "query": self.spec.query,
            "seq_no_primary_term": true,
        });
        if !self.spec.source_fields.is_empty() {
            b["_source"] = json!(self.spec.source_fields);
        }
        if let Some((id, max)) = self.spec.slice {
            b["slice"] = json!({"id": id, "max": max});
        }
        b
    }

    /// The next page; empty when the read is complete.
    pub async fn next_page(&mut self) -> Result<Vec<Hit>, EsError> {
        let c = self.client.clone();
        let resp = match &self.state {
            PagerState::Done => return Ok(Vec::new()),
            PagerState::ScrollNew => {
                let mut b = self.body();
                b["sort"] = json!(["_doc"]);
                let path = format!("/{}/_search", path_part(&self.spec.indices));
                let q = [("scroll", KEEP_ALIVE.to_string()), ("ignore_unavailable", "true".to_string())];
                c.request_raw(Method::Post, &path, &q, Some(Body::Json(b)), Idempotent::Yes).await?
            }
            PagerState::Scroll { id } => {
                let b = json!({"scroll": KEEP_ALIVE, "scroll_id": id});
                c.request_raw(Method::Post, "/_search/scroll", &[], Some(Body::Json(b)), Idempotent::No).await?
            }
            PagerState::Pit { id, search_after, .. } => {
                let mut b = self.body();
                b["pit"] = json!({"id": id, "keep_alive": KEEP_ALIVE});
                b["track_total_hits"] = json!(false); // not allowed with scroll
                b["sort"] = json!([{"_shard_doc": "asc"}]);
                if let Some(sa) = search_after {
                    b["search_after"] = sa.clone();
                }
                c.request_raw(Method::Post, "/_search", &[], Some(Body::Json(b)), Idempotent::Yes).await?
            }
        };
        let resp: SearchAnswer<'_> =
            serde_json::from_slice(&resp).map_err(|e| EsError::Decode(format!("search answer: {e}")))?;
        // Only a PIT read needs the last hit's sort values (the next `search_after`).
        let last_sort = match resp.hits.hits.last().and_then(|h| h.sort) {
            Some(raw) if matches!(self.state, PagerState::Pit { .. }) => {
                Some(serde_json::from_str(raw.get()).map_err(|e| EsError::Decode(format!("sort values: {e}")))?)
            }
            _ => None,
        };
        let hits: Vec<Hit> = resp
            .hits
            .hits
            .into_iter()
            .map(|h| Hit {
                index: h.index.into_owned(),
                id: h.id.into_owned(),
                seq_no: h.seq_no,
                primary_term: h.primary_term,
                source: h.source,
            })
            .collect();
        match &mut self.state {
            PagerState::ScrollNew | PagerState::Scroll { .. } => {
                if let Some(id) = resp.scroll_id {
                    self.state = PagerState::Scroll { id };
                }
            }
            PagerState::Pit { id, search_after, .. } => {
                if let Some(new_id) = resp.pit_id {
                    *id = new_id;
                }
                *search_after = last_sort;
            }
            PagerState::Done => {}
        }
        Ok(hits)
    }

    /// Releases the scroll or PIT. Failures are logged, not returned: the server drops it after
    /// the keep-alive anyway.
    pub async fn close(mut self) {
        let state = std::mem::replace(&mut self.state, PagerState::Done);
        let c = &self.client;
        let result = match state {
            PagerState::Scroll { id } => {
                let b = json!({"scroll_id": [id]});
                c.request(Method::Delete, "/_search/scroll", &[], Some(Body::Json(b)), Idempotent::Yes).await
            }
            PagerState::Pit { id, dist: Distribution::Elasticsearch, .. } => {
                c.request(Method::Delete, "/_pit", &[], Some(Body::Json(json!({"id": id}))), Idempotent::Yes).await
            }
            PagerState::Pit { id, dist: Distribution::OpenSearch, .. } => {
                let b = json!({"pit_id": [id]});
                c.request(Method::Delete, "/_search/point_in_time", &[], Some(Body::Json(b)), Idempotent::Yes).await
            }
            PagerState::ScrollNew | PagerState::Done => return,
        };
        match result {
            Ok(_) => debug!("search context closed"),
            // A context the server already dropped (index deleted, expired) is fine.
            Err(e) if e.status() == Some(404) => debug!(error = %e, "search context already gone"),
            Err(e) => warn!(error = %e, "closing search context failed"),
        }
    }
}

/// The parts of a search answer paging needs (typed and borrowing from the answer's bytes where
/// it can: cheaper than a `Value` tree; this runs once per document).
#[derive(serde::Deserialize)]
struct SearchAnswer<'a> {
    #[serde(rename = "_scroll_id")]
    scroll_id: Option<String>,
    pit_id: Option<String>,
    #[serde(borrow)]
    hits: HitsAnswer<'a>,
}

#[derive(serde::Deserialize)]
struct HitsAnswer<'a> {
    #[serde(default, borrow)]
    hits: Vec<HitAnswer<'a>>,
}

#[derive(serde::Deserialize)]
struct HitAnswer<'a> {
    #[serde(rename = "_index", borrow)]
    index: Cow<'a, str>,
    #[serde(rename = "_id", borrow)]
    id: Cow<'a, str>,
    #[serde(rename = "_seq_no")]
    seq_no: Option<i64>,
    #[serde(rename = "_primary_term")]
    primary_term: Option<i64>,
    #[serde(rename = "_source", default)]
    source: Value,
    #[serde(borrow)]
    sort: Option<&'a RawValue>,
}
