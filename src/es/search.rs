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
        let pit = matches!(self.state, PagerState::Pit { .. });
        let page = match decode_page(&resp, pit) {
            Ok(p) => p,
            Err(error) => match repair_json(&resp) {
                // Bytes a JSON parser rejects (invalid UTF-8, a lone surrogate escape) in one
                // document must not fail the page, and with it every document behind it, on every
                // run: they are replaced by U+FFFD and the page is read (the message is labelled
                // as it reads then; the stored document is not changed).
                Some(fixed) => {
                    let page = decode_page(fixed.as_bytes(), pit)?;
                    let ids: Vec<&str> = page
                        .hits
                        .iter()
                        .filter(|h| h.source.to_string().contains('\u{FFFD}'))
                        .map(|h| h.id.as_str())
                        .take(10)
                        .collect();
                    warn!(%error, ?ids, "undecodable bytes in a page replaced by U+FFFD");
                    page
                }
                None => return Err(error),
            },
        };
        let (hits, last_sort) = (page.hits, page.last_sort);
        let resp = PageIds { scroll_id: page.scroll_id, pit_id: page.pit_id };
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

struct PageIds {
    scroll_id: Option<String>,
    pit_id: Option<String>,
}

/// A decoded page: its hits, the ids to go on with, and (PIT) the last hit's sort values.
struct Page {
    hits: Vec<Hit>,
    scroll_id: Option<String>,
    pit_id: Option<String>,
    last_sort: Option<Value>,
}

fn decode_page(bytes: &[u8], pit: bool) -> Result<Page, EsError> {
    let resp: SearchAnswer<'_> =
        serde_json::from_slice(bytes).map_err(|e| EsError::Decode(format!("search answer: {e}")))?;
    // Only a PIT read needs the last hit's sort values (the next `search_after`).
    let last_sort = match resp.hits.hits.last().and_then(|h| h.sort) {
        Some(raw) if pit => {
            Some(serde_json::from_str(raw.get()).map_err(|e| EsError::Decode(format!("sort values: {e}")))?)
        }
        _ => None,
    };
    let hits = resp
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
    Ok(Page { hits, scroll_id: resp.scroll_id, pit_id: resp.pit_id, last_sort })
}

/// `bytes` with what a JSON parser refuses inside otherwise well-formed JSON replaced by U+FFFD:
/// invalid UTF-8 sequences and `\u` escapes of a lone surrogate. `None` when there was nothing
/// to replace (the answer is broken in another way, e.g. truncated).
pub fn repair_json(bytes: &[u8]) -> Option<String> {
    let text = String::from_utf8_lossy(bytes);
    let mut changed = matches!(text, Cow::Owned(_));
    let b = text.as_bytes();
    let mut out = String::with_capacity(text.len());
    let mut i = 0;
    let mut copied = 0;
    let hex = |at: usize| -> Option<u32> {
        let h = b.get(at..at + 4)?;
        u32::from_str_radix(std::str::from_utf8(h).ok()?, 16).ok()
    };
    while i < b.len() {
        if b[i] != b'\\' {
            i += 1;
            continue;
        }
        if b.get(i + 1) != Some(&b'u') {
            i += 2; // any other escape, `\\` included
            continue;
        }
        let Some(u) = hex(i + 2) else {
            i += 2;
            continue;
        };
        let lone = match u {
            0xD800..=0xDBFF => {
                let low = (b.get(i + 6) == Some(&b'\\') && b.get(i + 7) == Some(&b'u')).then(|| hex(i + 8)).flatten();
                if matches!(low, Some(0xDC00..=0xDFFF)) {
                    i += 12; // a valid pair
                    continue;
                }
                true
            }
            0xDC00..=0xDFFF => true,
            _ => false,
        };
        if lone {
            out.push_str(&text[copied..i]);
            out.push_str("\\ufffd");
            copied = i + 6;
            changed = true;
        }
        i += 6;
    }
    out.push_str(&text[copied..]);
    changed.then_some(out)
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

#[cfg(test)]
mod tests {
    use super::*;

    fn page_with(source: &[u8]) -> Vec<u8> {
        let mut b = br#"{"_scroll_id":"s1","hits":{"hits":[{"_index":"i","_id":"good","_source":{"message":"ok"}},{"_index":"i","_id":"bad","_source":{"message":""#.to_vec();
        b.extend_from_slice(source);
        b.extend_from_slice(br#""}},{"_index":"i","_id":"after","_source":{"message":"fine"}}]}}"#);
        b
    }

    #[test]
    fn a_lone_surrogate_or_a_raw_invalid_byte_fails_the_page_and_repair_reads_every_hit() {
        for bad in [&br"x \ud800 y"[..], &b"x \xff y"[..], &br"x \udc00"[..], &br"\ud800\ud800"[..]] {
            let bytes = page_with(bad);
            assert!(decode_page(&bytes, false).is_err(), "{:?} decodes as is", String::from_utf8_lossy(bad));
            let fixed = repair_json(&bytes).expect("something to repair");
            let page = decode_page(fixed.as_bytes(), false).unwrap();
            let ids: Vec<&str> = page.hits.iter().map(|h| h.id.as_str()).collect();
            assert_eq!(ids, ["good", "bad", "after"]);
            assert!(page.hits[1].source["message"].as_str().unwrap().contains('\u{FFFD}'));
            assert_eq!(page.hits[2].source["message"], "fine");
            assert_eq!(page.scroll_id.as_deref(), Some("s1"));
        }
    }

    #[test]
    fn valid_escapes_are_left_alone() {
        // A surrogate pair, an escaped backslash before `u`, other escapes: nothing to repair.
        let bytes = page_with(br#"\ud83d\ude00 \\ud800 \n \" \u00e9"#);
        assert!(decode_page(&bytes, false).is_ok());
        assert_eq!(repair_json(&bytes), None);
        let page = decode_page(&bytes, false).unwrap();
        assert_eq!(page.hits[1].source["message"], "\u{1F600} \\ud800 \n \" \u{e9}");
    }

    #[test]
    fn a_truncated_answer_is_not_repaired() {
        let bytes = page_with(b"x");
        assert_eq!(repair_json(&bytes[..bytes.len() - 10]), None);
    }
}
