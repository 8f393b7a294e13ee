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

pub fn encode(ops: &[BulkOp]) -> Vec<u8> {
    let mut out = Vec::with_capacity(ops.len() * 160);
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
            BulkOp::Index { index, id, doc } => (json!({"index": {"_index": index, "_id": id}}), doc.clone()),
        };
        serde_json::to_writer(&mut out, &meta).expect("json to vec");
        out.push(b'\n');
        serde_json::to_writer(&mut out, &body).expect("json to vec");
        out.push(b'\n');
    }
    out
}

/// Reads the items of a bulk answer, in request order.
pub fn outcomes(resp: &Value, expected: usize) -> Result<Vec<ItemOutcome>, EsError> {
    let items = resp.get("items").and_then(Value::as_array).ok_or_else(|| EsError::Decode("bulk answer has no items".into()))?;
    if items.len() != expected {
        return Err(EsError::Decode(format!("bulk answer has {} items for {expected} actions", items.len())));
    }
    Ok(items
        .iter()
        .map(|it| {
            let r = it.as_object().and_then(|o| o.values().next()).cloned().unwrap_or(Value::Null);
            let status = r.get("status").and_then(Value::as_u64).unwrap_or(0) as u16;
            let reason = || {
                let e = r.get("error");
                let t = e.and_then(|e| e.get("type")).and_then(Value::as_str).unwrap_or("");
                let why = e.and_then(|e| e.get("reason")).and_then(Value::as_str).unwrap_or("");
                format!("{t}: {why}")
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
    pub async fn bulk(&self, ops: &[BulkOp]) -> Result<Vec<ItemOutcome>, EsError> {
        if ops.is_empty() {
            return Ok(Vec::new());
        }
        let body = encode(ops);
        // Safe to resend: guarded updates of an earlier, applied attempt come back as 409.
        let resp = self.request(Method::Post, "/_bulk", &[], Some(Body::NdJson(body)), Idempotent::Yes).await?;
        outcomes(&resp, ops.len())
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
