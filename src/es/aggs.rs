//! Counting documents per value of a keyword field (per cluster id) in a time range, with a
//! composite aggregation paged by `after_key`, so no bucket is cut off however many clusters
//! there are (a plain `terms` aggregation stops at its `size`).

use super::indices::ClusterCount;
use super::{path_part, Body, EsClient, EsError, Idempotent};
use elasticsearch::http::Method;
use serde_json::{json, Map, Value};

/// Buckets per composite page (the default of [`CountSpec::page_size`]).
pub const COMPOSITE_PAGE: usize = 1000;

/// What to count: documents of `index` matching `filters` (all of them), by `field`.
#[derive(Clone, Debug)]
pub struct CountSpec<'a> {
    pub index: &'a str,
    pub field: &'a str,
    /// The document time, for first/last seen in the range (min/max per bucket).
    pub ts_field: &'a str,
    pub filters: Vec<Value>,
    /// Buckets per request ([`COMPOSITE_PAGE`]); every page is read whatever its size.
    pub page_size: usize,
}

/// A `range` filter on `field`: `gte since`, `lt until` (either may be absent).
pub fn time_range_filter(field: &str, since: Option<&str>, until: Option<&str>) -> Option<Value> {
    let mut r = Map::new();
    if let Some(s) = since {
        r.insert("gte".into(), json!(s));
    }
    if let Some(u) = until {
        r.insert("lt".into(), json!(u));
    }
    if r.is_empty() {
        return None;
    }
    Some(json!({"range": {field: r}}))
}

fn bucket_count(b: &Value, key_name: &str) -> Option<ClusterCount> {
    let time = |k: &str| b.get(k).and_then(|v| v.get("value_as_string")).and_then(Value::as_str).map(str::to_string);
    Some(ClusterCount {
        cluster_id: b.pointer(&format!("/key/{key_name}"))?.as_str()?.to_string(),
        count: b.get("doc_count").and_then(Value::as_u64).unwrap_or(0),
        first_seen: time("first"),
        last_seen: time("last"),
    })
}

impl EsClient {
    /// Documents per value of `spec.field` (every value: composite aggregation, paged), with
    /// the first and last document time of each. A missing index gives nothing.
    pub async fn counts_by_value(&self, spec: &CountSpec<'_>) -> Result<Vec<ClusterCount>, EsError> {
        let path = format!("/{}/_search", path_part(spec.index));
        let q = [("ignore_unavailable", "true".to_string()), ("allow_no_indices", "true".to_string())];
        let mut out = Vec::new();
        let mut after: Option<Value> = None;
        loop {
            let mut composite =
                json!({"size": spec.page_size.max(1), "sources": [{"v": {"terms": {"field": spec.field}}}]});
            if let Some(a) = &after {
                composite["after"] = a.clone();
            }
            let body = json!({
                "size": 0,
                "track_total_hits": false,
                "query": {"bool": {"filter": spec.filters}},
                "aggs": {"c": {
                    "composite": composite,
                    "aggs": {"first": {"min": {"field": spec.ts_field}}, "last": {"max": {"field": spec.ts_field}}}
                }}
            });
            let r = self.request(Method::Post, &path, &q, Some(Body::Json(body)), Idempotent::Yes).await?;
            let agg = r.pointer("/aggregations/c");
            let buckets = agg.and_then(|a| a.get("buckets")).and_then(Value::as_array).cloned().unwrap_or_default();
            let n = buckets.len();
            out.extend(buckets.iter().filter_map(|b| bucket_count(b, "v")));
            let next = agg.and_then(|a| a.get("after_key")).cloned();
            match next {
                // A page with buckets and an `after_key`: there may be more (the last page is the
                // first that comes back empty).
                Some(k) if n > 0 && Some(&k) != after.as_ref() => after = Some(k),
                _ => break,
            }
        }
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn range_filter_has_only_the_given_bounds() {
        assert_eq!(time_range_filter("@t", None, None), None);
        assert_eq!(time_range_filter("@t", Some("a"), None), Some(json!({"range": {"@t": {"gte": "a"}}})));
        assert_eq!(
            time_range_filter("@t", Some("a"), Some("b")),
            Some(json!({"range": {"@t": {"gte": "a", "lt": "b"}}}))
        );
    }

    #[test]
    fn buckets_read_their_key_count_and_times() {
        let b = json!({"key": {"v": "s-1"}, "doc_count": 7,
                       "first": {"value": 1.0, "value_as_string": "2024-01-01T00:00:00.000Z"},
                       "last": {"value": null}});
        let c = bucket_count(&b, "v").unwrap();
        assert_eq!((c.cluster_id.as_str(), c.count), ("s-1", 7));
        assert_eq!(c.first_seen.as_deref(), Some("2024-01-01T00:00:00.000Z"));
        assert_eq!(c.last_seen, None);
        assert!(bucket_count(&json!({"key": {"x": 1}}), "v").is_none());
    }
}
