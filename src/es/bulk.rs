//! The bulk API: request body (NDJSON) and per-item outcomes.

use super::{Body, EsClient, EsError, Idempotent};
use elasticsearch::http::Method;
use serde_json::{json, Value};

/// One action of a bulk request.
#[derive(Clone, Debug, PartialEq)]
pub enum BulkOp {
    /// Partial-document update; guarded by `if_seq_no`/`if_primary_term` when given, so that a
    /// concurrent writer is never overwritten. `upsert` creates the document when missing.
    Update { index: String, id: String, guard: Option<(i64, i64)>, doc: Value, upsert: bool },
    /// Whole-document write (create or replace).
    Index { index: String, id: String, doc: Value },
    /// [`BulkOp::Update`] with the partial document already serialised (`{"logsift": {...}}`),
    /// for the hot path where many documents share most of their update.
    UpdateRaw { index: String, id: String, guard: Option<(i64, i64)>, doc_json: String },
}

/// What happened to one item.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ItemOutcome {
    Ok,
    /// 409: the document changed since it was read (or an earlier attempt of ours already wrote it).
    Conflict,
    /// 404: the document or its index is gone.
    Missing,
    /// 429/5xx on the item: send it again.
    Retriable { status: u16, reason: String },
    /// Any other refusal (mapping conflict, ...): not sent again.
    Failed { status: u16, reason: String },
}

pub fn encode<'a>(ops: impl IntoIterator<Item = &'a BulkOp>) -> Vec<u8> {
    let mut out = Vec::with_capacity(64 * 1024);
    for op in ops {
        let (meta, body) = match op {
            BulkOp::Update { index, id, guard, doc, upsert } => {
                let mut m = json!({"_index": index, "_id": id});
                if let Some((seq, term)) = guard {
                    m["if_seq_no"] = json!(seq);
                    m["if_primary_term"] = json!(term);
                }
                let mut b = json!({"doc": doc});
                if *upsert {
                    b["doc_as_upsert"] = json!(true);
                }
                (json!({"update": m}), b)
            }
            BulkOp::UpdateRaw { index, id, guard, doc_json } => {
                let mut m = json!({"_index": index, "_id": id});
                if let Some((seq, term)) = guard {
                    m["if_seq_no"] = json!(seq);
                    m["if_primary_term"] = json!(term);
                }
                serde_json::to_writer(&mut out, &json!({"update": m})).expect("json to vec");
                out.extend_from_slice(b"\n{\"doc\":");
                out.extend_from_slice(doc_json.as_bytes());
                out.extend_from_slice(b"}\n");
                continue;
            }
            BulkOp::Index { index, id, doc } => {
                let meta = json!({"index": {"_index": index, "_id": id}});
                serde_json::to_writer(&mut out, &meta).expect("json to vec");
                out.push(b'\n');
                serde_json::to_writer(&mut out, doc).expect("json to vec");
                out.push(b'\n');
                continue;
            }
        };
        serde_json::to_writer(&mut out, &meta).expect("json to vec");
        out.push(b'\n');
        serde_json::to_writer(&mut out, &body).expect("json to vec");
        out.push(b'\n');
    }
    out
}

#[derive(serde::Deserialize)]
struct BulkAnswer {
    items: Vec<std::collections::HashMap<String, ItemAnswer>>,
}

#[derive(serde::Deserialize)]
struct ItemAnswer {
    #[serde(default)]
    status: u16,
    #[serde(default)]
    error: Option<ItemError>,
}

#[derive(serde::Deserialize, Default)]
struct ItemError {
    #[serde(default, rename = "type")]
    kind: String,
    #[serde(default)]
    reason: Option<String>,
}

/// Reads the items of a bulk answer (raw JSON bytes), in request order.
pub fn outcomes_from_slice(body: &[u8], expected: usize) -> Result<Vec<ItemOutcome>, EsError> {
    let a: BulkAnswer = serde_json::from_slice(body).map_err(|e| EsError::Decode(format!("bulk answer: {e}")))?;
    to_outcomes(a, expected)
}

/// Reads the items of a bulk answer, in request order.
pub fn outcomes(resp: &Value, expected: usize) -> Result<Vec<ItemOutcome>, EsError> {
    let a: BulkAnswer = serde_json::from_value(resp.clone()).map_err(|e| EsError::Decode(format!("bulk answer: {e}")))?;
    to_outcomes(a, expected)
}

fn to_outcomes(a: BulkAnswer, expected: usize) -> Result<Vec<ItemOutcome>, EsError> {
    let items = a.items;
    if items.len() != expected {
        return Err(EsError::Decode(format!("bulk answer has {} items for {expected} actions", items.len())));
    }
    Ok(items
        .into_iter()
        .map(|it| {
            let r = it.into_values().next().unwrap_or(ItemAnswer { status: 0, error: None });
            let status = r.status;
            let reason = || {
                let e = r.error.as_ref();
                format!("{}: {}", e.map_or("", |e| e.kind.as_str()), e.and_then(|e| e.reason.as_deref()).unwrap_or(""))
            };
            match status {
                200..=299 => ItemOutcome::Ok,
                409 => ItemOutcome::Conflict,
                404 => ItemOutcome::Missing,
                429 | 500..=599 => ItemOutcome::Retriable { status, reason: reason() },
                _ => ItemOutcome::Failed { status, reason: reason() },
            }
        })
        .collect())
}

impl EsClient {
    /// Sends one bulk request (whole-request failures retried; item failures are the caller's).
    pub async fn bulk<'a>(&self, ops: impl ExactSizeIterator<Item = &'a BulkOp>) -> Result<Vec<ItemOutcome>, EsError> {
        let n = ops.len();
        if n == 0 {
            return Ok(Vec::new());
        }
        let body = encode(ops);
        // Safe to resend: guarded updates of an earlier, applied attempt come back as 409.
        let resp = self.request_raw(Method::Post, "/_bulk", &[], Some(Body::NdJson(body)), Idempotent::Yes).await?;
        outcomes_from_slice(&resp, n)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn encodes_guarded_partial_updates() {
        let ops = vec![
            BulkOp::Update { index: "i".into(), id: "a".into(), guard: Some((3, 1)), doc: json!({"x": 1}), upsert: false },
            BulkOp::Update { index: "c".into(), id: "b".into(), guard: None, doc: json!({"y": 2}), upsert: true },
        ];
        let text = String::from_utf8(encode(&ops)).unwrap();
        let lines: Vec<Value> = text.lines().map(|l| serde_json::from_str(l).unwrap()).collect();
        assert_eq!(lines[0], json!({"update": {"_index": "i", "_id": "a", "if_seq_no": 3, "if_primary_term": 1}}));
        assert_eq!(lines[1], json!({"doc": {"x": 1}}));
        assert_eq!(lines[3], json!({"doc": {"y": 2}, "doc_as_upsert": true}));
        let raw = BulkOp::UpdateRaw { index: "i".into(), id: "c".into(), guard: Some((1, 2)), doc_json: r#"{"a":1}"#.into() };
        let text = String::from_utf8(encode([&raw])).unwrap();
        let lines: Vec<Value> = text.lines().map(|l| serde_json::from_str(l).unwrap()).collect();
        assert_eq!(lines, vec![json!({"update": {"_index": "i", "_id": "c", "if_seq_no": 1, "if_primary_term": 2}}), json!({"doc": {"a": 1}})]);
    }

    #[test]
    fn reads_item_outcomes() {
        let resp = json!({"items": [
            {"update": {"status": 200}},
            {"update": {"status": 409, "error": {"type": "version_conflict_engine_exception"}}},
            {"update": {"status": 404}},
            {"update": {"status": 429, "error": {"type": "es_rejected_execution_exception", "reason": "full"}}},
            {"update": {"status": 400, "error": {"type": "mapper_parsing_exception", "reason": "bad"}}}
        ]});
        let o = outcomes(&resp, 5).unwrap();
        assert_eq!(o[0], ItemOutcome::Ok);
        assert_eq!(o[1], ItemOutcome::Conflict);
        assert_eq!(o[2], ItemOutcome::Missing);
        assert!(matches!(o[3], ItemOutcome::Retriable { status: 429, .. }));
        assert!(matches!(o[4], ItemOutcome::Failed { status: 400, .. }));
        assert!(outcomes(&resp, 4).is_err());
    }
}
