//! Index-level calls: mappings, index templates, refresh, documents by id, and the terms
//! aggregation that recounts clusters exactly.

use super::{path_part, Body, Capabilities, EsClient, EsError, Idempotent};
use elasticsearch::http::Method;
use serde_json::{json, Value};

/// The `logsift.*` fields written into log documents.
pub fn logsift_fields_mapping(caps: &Capabilities) -> Value {
    json!({"properties": {"logsift": {"properties": {
        "cluster_id": {"type": "keyword"},
        "template": template_field(caps),
        "params": {"type": "keyword", "ignore_above": 1024},
        "outlier": {"type": "boolean"},
        "skipped": {"type": "keyword"},
        "header": {"properties": {
            "host": {"type": "keyword", "ignore_above": 1024},
            "program": {"type": "keyword", "ignore_above": 1024},
            "pid": {"type": "keyword", "ignore_above": 1024},
            "level": {"type": "keyword", "ignore_above": 1024}
        }},
        "audit": audit_fields_mapping()
    }}}})
}

/// `logsift.audit.*`: the roles and the rarity verdict of a structured (audit) event, as
/// keywords and numbers, so that dashboards aggregate on them whatever the source's layout.
fn audit_fields_mapping() -> Value {
    let kw = json!({"type": "keyword", "ignore_above": 1024});
    json!({"properties": {
        "score": {"type": "float"},
        "new_pair": {"type": "boolean"},
        "new_pairs": {"type": "keyword"},
        "rare_for_user": {"type": "boolean"},
        "sensitive": {"type": "boolean"},
        "reasons": {"type": "keyword"},
        "what": {"type": "keyword", "ignore_above": 8191},
        "user": kw, "address": kw, "block": {"type": "keyword"}, "objects": kw,
        "outcome": {"type": "keyword"},
        "hour": {"type": "integer"},
        "seen": {"type": "long"},
        "first_seen": {"type": "date"}
    }})
}

/// Keyword mappings for a structured source's own fields (`paths` dotted, `a.b`), so that they
/// aggregate as they are (`trace_name`, `Parameters.Name`) instead of as text with a `.keyword`
/// sub-field under default dynamic mapping. A path that would sit inside another (`user` and
/// `user.name`) keeps the first one given.
pub fn keyword_fields_mapping<S: AsRef<str>>(paths: &[S]) -> Value {
    let mut root = serde_json::Map::new();
    'paths: for path in paths {
        let parts: Vec<&str> = path.as_ref().split('.').filter(|p| !p.is_empty()).collect();
        let Some((leaf, parents)) = parts.split_last() else { continue };
        let mut node = &mut root;
        for p in parents {
            let entry = node.entry(p.to_string()).or_insert_with(|| json!({"properties": {}}));
            match entry.get_mut("properties").and_then(Value::as_object_mut) {
                Some(props) => node = props,
                None => continue 'paths, // already a leaf: keep it
            }
        }
        node.entry(leaf.to_string()).or_insert_with(|| json!({"type": "keyword", "ignore_above": 1024}));
    }
    json!({"properties": root})
}

/// Keyword (aggregatable) with a full-text sub-field for searching inside templates.
fn template_field(caps: &Capabilities) -> Value {
    let text = if caps.match_only_text { "match_only_text" } else { "text" };
    json!({"type": "keyword", "ignore_above": 8191, "fields": {"text": {"type": text}}})
}

/// Mapping of the cluster index (one document per cluster).
pub fn cluster_index_mapping(caps: &Capabilities) -> Value {
    json!({"dynamic": false, "properties": {
        "cluster_id": {"type": "keyword"},
        "template": template_field(caps),
        "count": {"type": "long"},
        "first_seen": {"type": "date"},
        "last_seen": {"type": "date"},
        "examples": {"type": "keyword", "ignore_above": 2048},
        "source": {"type": "keyword"},
        "algorithm": {"type": "keyword"},
        "updated_at": {"type": "date"},
        "merged_into": {"type": "keyword"},
        // Set by `logsift annotate` / `PUT /v1/clusters/{id}/annotation` (`store::annotations`);
        // keywords, so that dashboards show and filter them (the note is text: shown, searched).
        "annotation": {"properties": {
            "name": {"type": "keyword", "ignore_above": 1024, "fields": {"text": {"type": "text"}}},
            "tags": {"type": "keyword"},
            "note": {"type": "text"},
            "updated_at": {"type": "date"}
        }}
    }})
}

/// Mapping of the state index (checkpoints, engine snapshots, locks, job runs).
pub fn state_index_mapping() -> Value {
    json!({"dynamic": false, "properties": {
        "kind": {"type": "keyword"},
        "source": {"type": "keyword"},
        "updated_at": {"type": "date"},
        "checkpoint": {"type": "object", "enabled": false},
        "snapshot": {"type": "object", "enabled": false},
        "audit": {"type": "object", "enabled": false}
    }})
}

/// One cluster's exact figures, from the documents.
#[derive(Clone, Debug, PartialEq)]
pub struct ClusterCount {
    pub cluster_id: String,
    pub count: u64,
    pub first_seen: Option<String>,
    pub last_seen: Option<String>,
}

impl EsClient {
    pub async fn put_mapping(&self, index: &str, mapping: &Value) -> Result<(), EsError> {
        let path = format!("/{}/_mapping", path_part(index));
        self.request(Method::Put, &path, &[], Some(Body::Json(mapping.clone())), Idempotent::Yes).await.map(drop)
    }

    /// Creates an index unless it exists (an existing one is left as it is).
    pub async fn create_index_if_missing(&self, index: &str, body: &Value) -> Result<bool, EsError> {
        let path = format!("/{}", path_part(index));
        match self.request(Method::Put, &path, &[], Some(Body::Json(body.clone())), Idempotent::Yes).await {
            Ok(_) => Ok(true),
            Err(e) if e.error_type().as_deref() == Some("resource_already_exists_exception") => Ok(false),
            Err(e) => Err(e),
        }
    }

    pub async fn put_component_template(&self, name: &str, body: &Value) -> Result<(), EsError> {
        let path = format!("/_component_template/{}", path_part(name));
        self.request(Method::Put, &path, &[], Some(Body::Json(body.clone())), Idempotent::Yes).await.map(drop)
    }

    pub async fn put_index_template(&self, name: &str, body: &Value) -> Result<(), EsError> {
        let path = format!("/_index_template/{}", path_part(name));
        self.request(Method::Put, &path, &[], Some(Body::Json(body.clone())), Idempotent::Yes).await.map(drop)
    }

    pub async fn refresh(&self, index: &str) -> Result<(), EsError> {
        let path = format!("/{}/_refresh", path_part(index));
        let q = [("ignore_unavailable", "true".to_string()), ("allow_no_indices", "true".to_string())];
        self.request(Method::Post, &path, &q, None, Idempotent::Yes).await.map(drop)
    }

    /// `_source` of a document, or `None` when it (or its index) does not exist.
    pub async fn get_source(&self, index: &str, id: &str) -> Result<Option<Value>, EsError> {
        let path = format!("/{}/_doc/{}", path_part(index), path_part(id));
        match self.request(Method::Get, &path, &[], None, Idempotent::Yes).await {
            Ok(v) if v.get("found").and_then(Value::as_bool) == Some(true) => Ok(v.get("_source").cloned()),
            Ok(_) => Ok(None),
            Err(e) if e.status() == Some(404) => Ok(None),
            Err(e) => Err(e),
        }
    }

    /// The `_source` (only `fields`) of each `(index, id)` by the real-time multi-get, in order;
    /// `None` for a document that is not there.
    pub async fn mget_sources(&self, docs: &[(&str, &str)], fields: &[&str]) -> Result<Vec<Option<Value>>, EsError> {
        let mut out = Vec::with_capacity(docs.len());
        for chunk in docs.chunks(1000) {
            let body = json!({"docs": chunk.iter().map(|(index, id)| json!({"_index": index, "_id": id, "_source": fields})).collect::<Vec<_>>()});
            let r = self.request(Method::Post, "/_mget", &[], Some(Body::Json(body)), Idempotent::Yes).await?;
            let answers = r.get("docs").and_then(Value::as_array).map(Vec::as_slice).unwrap_or_default();
            if answers.len() != chunk.len() {
                return Err(EsError::Decode(format!("_mget answered {} docs for {}", answers.len(), chunk.len())));
            }
            out.extend(answers.iter().map(|d| {
                (d.get("found").and_then(Value::as_bool) == Some(true)).then(|| d.get("_source").cloned()).flatten()
            }));
        }
        Ok(out)
    }

    /// Writes a whole document (atomic; readable at once by id through the real-time GET).
    pub async fn put_doc(&self, index: &str, id: &str, doc: &Value) -> Result<(), EsError> {
        let path = format!("/{}/_doc/{}", path_part(index), path_part(id));
        self.request(Method::Put, &path, &[], Some(Body::Json(doc.clone())), Idempotent::Yes).await.map(drop)
    }

    /// Documents matching a query (0 when no index matches).
    pub async fn count(&self, index: &str, query: &Value) -> Result<u64, EsError> {
        let path = format!("/{}/_count", path_part(index));
        let q = [("ignore_unavailable", "true".to_string()), ("allow_no_indices", "true".to_string())];
        let r =
            self.request(Method::Post, &path, &q, Some(Body::Json(json!({"query": query}))), Idempotent::Yes).await?;
        r.get("count").and_then(Value::as_u64).ok_or_else(|| EsError::Decode("no `count`".into()))
    }

    /// Exact document count and first/last document time of each of `ids`, over `index`.
    /// Ids with no documents are absent from the answer.
    pub async fn cluster_counts(
        &self,
        index: &str,
        field: &str,
        ts_field: &str,
        ids: &[String],
    ) -> Result<Vec<ClusterCount>, EsError> {
        let mut out = Vec::with_capacity(ids.len());
        let path = format!("/{}/_search", path_part(index));
        let q = [("ignore_unavailable", "true".to_string()), ("allow_no_indices", "true".to_string())];
        for chunk in ids.chunks(1000) {
            let body = json!({
                "size": 0,
                "query": {"terms": {field: chunk}},
                "aggs": {"c": {
                    "terms": {"field": field, "size": chunk.len()},
                    "aggs": {"first": {"min": {"field": ts_field}}, "last": {"max": {"field": ts_field}}}
                }}
            });
            let r = self.request(Method::Post, &path, &q, Some(Body::Json(body)), Idempotent::Yes).await?;
            let buckets = r.pointer("/aggregations/c/buckets").and_then(Value::as_array).cloned().unwrap_or_default();
            for b in buckets {
                let time = |k: &str| {
                    b.get(k).and_then(|v| v.get("value_as_string")).and_then(Value::as_str).map(str::to_string)
                };
                out.push(ClusterCount {
                    cluster_id: b.get("key").and_then(Value::as_str).unwrap_or_default().to_string(),
                    count: b.get("doc_count").and_then(Value::as_u64).unwrap_or(0),
                    first_seen: time("first"),
                    last_seen: time("last"),
                });
            }
        }
        Ok(out)
    }
}

impl EsClient {
    /// One example document `_source` per value of `field` starting with `prefix`
    /// (a terms aggregation with a `top_hits` of one), at most `max` values.
    pub async fn one_doc_per_value(
        &self,
        index: &str,
        field: &str,
        prefix: &str,
        source_fields: &[&str],
        max: usize,
    ) -> Result<Vec<(String, Value)>, EsError> {
        let path = format!("/{}/_search", path_part(index));
        let q = [("ignore_unavailable", "true".to_string()), ("allow_no_indices", "true".to_string())];
        let body = json!({
            "size": 0,
            "query": {"prefix": {field: prefix}},
            "aggs": {"v": {"terms": {"field": field, "size": max},
                           "aggs": {"ex": {"top_hits": {"size": 1, "_source": source_fields}}}}}
        });
        let r = self.request(Method::Post, &path, &q, Some(Body::Json(body)), Idempotent::Yes).await?;
        let buckets = r.pointer("/aggregations/v/buckets").and_then(Value::as_array).cloned().unwrap_or_default();
        Ok(buckets
            .into_iter()
            .filter_map(|b| {
                let key = b.get("key")?.as_str()?.to_string();
                let src = b.pointer("/ex/hits/hits/0/_source")?.clone();
                Some((key, src))
            })
            .collect())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keyword_fields_nest_dotted_paths_and_keep_the_first_of_overlapping_ones() {
        let m =
            keyword_fields_mapping(&["trace_name", "user.name", "user.id", "Parameters.Name", "user", "trace_name.x"]);
        let kw = json!({"type": "keyword", "ignore_above": 1024});
        assert_eq!(
            m,
            json!({"properties": {
                "trace_name": kw,
                "user": {"properties": {"name": kw, "id": kw}},
                "Parameters": {"properties": {"Name": kw}}
            }})
        );
        assert_eq!(keyword_fields_mapping::<&str>(&[]), json!({"properties": {}}));
    }

    #[test]
    fn audit_roles_are_keywords_under_fixed_names() {
        let caps = Capabilities { pit: false, shard_doc: false, match_only_text: false };
        let a = &logsift_fields_mapping(&caps)["properties"]["logsift"]["properties"]["audit"]["properties"];
        for f in ["what", "user", "address", "objects", "outcome", "new_pairs", "reasons"] {
            assert_eq!(a[f]["type"], "keyword", "logsift.audit.{f}");
        }
        for f in ["sensitive", "new_pair", "rare_for_user"] {
            assert_eq!(a[f]["type"], "boolean", "logsift.audit.{f}");
        }
        let ann = &cluster_index_mapping(&caps)["properties"]["annotation"]["properties"];
        assert_eq!((ann["name"]["type"].as_str(), ann["tags"]["type"].as_str()), (Some("keyword"), Some("keyword")));
    }
}
