//! The rare-combinations view of a structured (audit) source: its log documents with the
//! highest `logsift.audit.score` in a time range, most unusual first (`GET /v1/audit/rare`,
//! `logsift audit rare`).

use crate::es::{EsClient, EsError};
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};

/// One event of the view.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct RareEvent {
    pub score: f64,
    #[serde(rename = "_index")]
    pub index: String,
    #[serde(rename = "_id")]
    pub id: String,
    pub time: Option<String>,
    pub cluster_id: Option<String>,
    /// The `what` of the event (its template).
    pub what: Option<String>,
    pub user: Option<String>,
    pub address: Option<String>,
    pub block: Option<String>,
    pub objects: Vec<String>,
    pub outcome: Option<String>,
    pub reasons: Vec<String>,
    pub new_pair: bool,
    pub rare_for_user: bool,
    /// How often the user did this before, and since when.
    pub seen: u64,
    pub first_seen: Option<String>,
}

/// What to ask for.
#[derive(Clone, Debug, Default)]
pub struct RareQuery {
    pub since: Option<String>,
    pub until: Option<String>,
    pub limit: usize,
}

fn strs(v: Option<&Value>) -> Vec<String> {
    match v {
        Some(Value::Array(a)) => a.iter().filter_map(|x| x.as_str().map(str::to_string)).collect(),
        Some(Value::String(s)) => vec![s.clone()],
        _ => Vec::new(),
    }
}

/// The search body (public for tests).
pub fn rare_body(q: &RareQuery, timestamp_field: &str) -> Value {
    let mut filter = vec![json!({"exists": {"field": "logsift.audit.score"}})];
    if q.since.is_some() || q.until.is_some() {
        let mut r = serde_json::Map::new();
        if let Some(s) = &q.since {
            r.insert("gte".into(), json!(s));
        }
        if let Some(u) = &q.until {
            r.insert("lt".into(), json!(u));
        }
        filter.push(json!({"range": {timestamp_field: r}}));
    }
    json!({
        "size": q.limit,
        "query": {"bool": {"filter": filter}},
        "sort": [
            {"logsift.audit.score": {"order": "desc", "unmapped_type": "float"}},
            {timestamp_field: {"order": "desc", "unmapped_type": "date"}}
        ],
        "_source": ["logsift", timestamp_field]
    })
}

/// The most unusual events of `indices` in the range.
pub async fn rare(
    client: &EsClient,
    indices: &str,
    timestamp_field: &str,
    q: &RareQuery,
) -> Result<Vec<RareEvent>, EsError> {
    let hits = client.search_hits(indices, &rare_body(q, timestamp_field)).await?;
    Ok(hits.iter().map(|h| event(h, timestamp_field)).collect())
}

fn event(h: &Value, timestamp_field: &str) -> RareEvent {
    let src = h.get("_source").unwrap_or(&Value::Null);
    let ls = crate::message::lookup(src, "logsift").unwrap_or(&Value::Null);
    let a = ls.get("audit").unwrap_or(&Value::Null);
    let s = |v: &Value, k: &str| v.get(k).and_then(Value::as_str).map(str::to_string);
    RareEvent {
        score: a.get("score").and_then(Value::as_f64).unwrap_or(0.0),
        index: s(h, "_index").unwrap_or_default(),
        id: s(h, "_id").unwrap_or_default(),
        time: crate::message::lookup(src, timestamp_field).map(|t| match t {
            Value::String(s) => s.clone(),
            other => other.to_string(),
        }),
        cluster_id: s(ls, "cluster_id"),
        what: s(ls, "template"),
        user: s(a, "user"),
        address: s(a, "address"),
        block: s(a, "block"),
        objects: strs(a.get("objects")),
        outcome: s(a, "outcome"),
        reasons: strs(a.get("reasons")),
        new_pair: a.get("new_pair").and_then(Value::as_bool).unwrap_or(false),
        rare_for_user: a.get("rare_for_user").and_then(Value::as_bool).unwrap_or(false),
        seen: a.get("seen").and_then(Value::as_u64).unwrap_or(0),
        first_seen: s(a, "first_seen"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn body_sorts_by_score_and_filters_the_range() {
        let q = RareQuery { since: Some("now-1d".into()), until: None, limit: 5 };
        let b = rare_body(&q, "@timestamp");
        assert_eq!(b["size"], 5);
        assert_eq!(b["query"]["bool"]["filter"][1]["range"]["@timestamp"]["gte"], "now-1d");
        assert_eq!(b["sort"][0]["logsift.audit.score"]["order"], "desc");
        let h = json!({"_index": "a", "_id": "1", "_source": {"@timestamp": "t", "logsift": {"cluster_id": "s-1",
            "template": "IAM deleteUser", "audit": {"score": 9.5, "user": "alice", "objects": ["u1"],
            "reasons": ["incident"], "new_pair": true}}}});
        let e = event(&h, "@timestamp");
        assert_eq!((e.score, e.user.as_deref(), e.objects.len(), e.new_pair), (9.5, Some("alice"), 1, true));
        assert_eq!(e.what.as_deref(), Some("IAM deleteUser"));
    }
}
