//! The bulk API: request body (NDJSON) and per-item outcomes.

use super::{Body, EsClient, EsError, Idempotent};
use elasticsearch::http::Method;
use serde::de::{Deserializer, IgnoredAny, MapAccess, Visitor};
use serde_json::Value;
use std::io::Write;
use std::sync::Arc;

/// One action of a bulk request.
#[derive(Clone, Debug, PartialEq)]
pub enum BulkOp {
    /// Partial-document update; guarded by `if_seq_no`/`if_primary_term` when given, so that a
    /// concurrent writer is never overwritten. `upsert` creates the document when missing.
    Update { index: String, id: String, guard: Option<(i64, i64)>, doc: Value, upsert: bool },
    /// Whole-document write (create or replace).
    Index { index: String, id: String, doc: Value },
    /// [`BulkOp::Update`] with the partial document already serialised, as `doc_head` followed
    /// by `doc_tail` (e.g. `{"logsift":{"cluster_id":..,"template":..` + `,"params":[..]}}`), for
    /// the hot path where many documents share most of their update: the head and the index
    /// name are shared, not copied per document.
    UpdateRaw { index: Arc<str>, id: String, guard: Option<(i64, i64)>, doc_head: Arc<str>, doc_tail: String },
}

impl BulkOp {
    /// The `(index, id)` the action writes.
    pub fn target(&self) -> (&str, &str) {
        match self {
            BulkOp::Update { index, id, .. } | BulkOp::Index { index, id, .. } => (index, id),
            BulkOp::UpdateRaw { index, id, .. } => (index, id),
        }
    }
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
    Retriable {
        status: u16,
        reason: String,
    },
    /// Any other refusal (mapping conflict, ...): not sent again.
    Failed {
        status: u16,
        reason: String,
    },
}

/// The NDJSON body of a bulk request. Action lines are written directly (no `Value` trees): this
/// runs once per document on the sidecar's hot path.
pub fn encode<'a>(ops: impl IntoIterator<Item = &'a BulkOp> + Clone) -> Vec<u8> {
    // Sized up front (the hot path's body is ~0.5 MB): no regrowing and copying.
    let size: usize = ops
        .clone()
        .into_iter()
        .map(|op| match op {
            BulkOp::UpdateRaw { index, id, doc_head, doc_tail, .. } => {
                96 + index.len() + id.len() + doc_head.len() + doc_tail.len()
            }
            _ => 256,
        })
        .sum();
    let mut out = Vec::with_capacity(size);
    for op in ops {
        match op {
            BulkOp::Update { index, id, guard, doc, upsert } => {
                write_action(&mut out, "update", index, id, *guard);
                out.extend_from_slice(b"{\"doc\":");
                serde_json::to_writer(&mut out, doc).expect("json to vec");
                if *upsert {
                    out.extend_from_slice(b",\"doc_as_upsert\":true");
                }
                out.extend_from_slice(b"}\n");
            }
            BulkOp::UpdateRaw { index, id, guard, doc_head, doc_tail } => {
                write_action(&mut out, "update", index, id, *guard);
                out.extend_from_slice(b"{\"doc\":");
                out.extend_from_slice(doc_head.as_bytes());
                out.extend_from_slice(doc_tail.as_bytes());
                out.extend_from_slice(b"}\n");
            }
            BulkOp::Index { index, id, doc } => {
                write_action(&mut out, "index", index, id, None);
                serde_json::to_writer(&mut out, doc).expect("json to vec");
                out.push(b'\n');
            }
        }
    }
    out
}

/// `{"<action>":{"_index":..,"_id":..[,"if_seq_no":..,"if_primary_term":..]}}` and a newline.
fn write_action(out: &mut Vec<u8>, action: &str, index: &str, id: &str, guard: Option<(i64, i64)>) {
    out.extend_from_slice(b"{\"");
    out.extend_from_slice(action.as_bytes());
    out.extend_from_slice(b"\":{\"_index\":");
    serde_json::to_writer(&mut *out, index).expect("json to vec");
    out.extend_from_slice(b",\"_id\":");
    serde_json::to_writer(&mut *out, id).expect("json to vec");
    if let Some((seq, term)) = guard {
        write!(out, ",\"if_seq_no\":{seq},\"if_primary_term\":{term}").expect("write to vec");
    }
    out.extend_from_slice(b"}}\n");
}

#[derive(serde::Deserialize)]
struct BulkAnswer {
    items: Vec<BulkItem>,
}

/// One item of a bulk answer: `{"<action>": {...}}`, read without building a map.
struct BulkItem(Option<ItemAnswer>);

impl<'de> serde::Deserialize<'de> for BulkItem {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = BulkItem;
            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str("a bulk answer item `{\"<action>\": {...}}`")
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<BulkItem, A::Error> {
                let mut first = None;
                while map.next_key::<IgnoredAny>()?.is_some() {
                    if first.is_none() {
                        first = Some(map.next_value::<ItemAnswer>()?);
                    } else {
                        map.next_value::<IgnoredAny>()?;
                    }
                }
                Ok(BulkItem(first))
            }
        }
        d.deserialize_map(V)
    }
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
    let a: BulkAnswer =
        serde_json::from_value(resp.clone()).map_err(|e| EsError::Decode(format!("bulk answer: {e}")))?;
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
            let r = it.0.unwrap_or(ItemAnswer { status: 0, error: None });
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

/// The parts of a bulk answer [`outcomes_from_slice`] reads.
pub const BULK_FILTER_PATH: &str = "errors,items.*.status,items.*.error,error,status";

impl EsClient {
    /// Sends one bulk request (whole-request failures retried; item failures are the caller's).
    pub async fn bulk<'a>(
        &self,
        ops: impl ExactSizeIterator<Item = &'a BulkOp> + Clone,
    ) -> Result<Vec<ItemOutcome>, EsError> {
        let n = ops.len();
        if n == 0 {
            return Ok(Vec::new());
        }
        let body = encode(ops);
        // Safe to resend: guarded updates of an earlier, applied attempt come back as 409.
        // Only what `outcomes_from_slice` reads: a tenth of the answer's bytes to receive and parse.
        // `filter_path` is a common option of every REST API of both products; the top-level
        // `error`/`status` keep a refused request's error readable.
        let q = [("filter_path", BULK_FILTER_PATH.to_string())];
        // An answer cut short is sent again (the updates are guarded, see above).
        self.request_with(Method::Post, "/_bulk", &q, Some(Body::NdJson(body)), Idempotent::Yes, |resp| {
            outcomes_from_slice(&resp, n)
        })
        .await
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn encodes_guarded_partial_updates() {
        let ops = vec![
            BulkOp::Update {
                index: "i".into(),
                id: "a".into(),
                guard: Some((3, 1)),
                doc: json!({"x": 1}),
                upsert: false,
            },
            BulkOp::Update { index: "c".into(), id: "b".into(), guard: None, doc: json!({"y": 2}), upsert: true },
        ];
        let text = String::from_utf8(encode(&ops)).unwrap();
        let lines: Vec<Value> = text.lines().map(|l| serde_json::from_str(l).unwrap()).collect();
        assert_eq!(lines[0], json!({"update": {"_index": "i", "_id": "a", "if_seq_no": 3, "if_primary_term": 1}}));
        assert_eq!(lines[1], json!({"doc": {"x": 1}}));
        assert_eq!(lines[3], json!({"doc": {"y": 2}, "doc_as_upsert": true}));
        assert_eq!(lines[2], json!({"update": {"_index": "c", "_id": "b"}}));
        let raw = BulkOp::UpdateRaw {
            index: "i\"x".into(),
            id: "c\n".into(),
            guard: Some((1, 2)),
            doc_head: r#"{"a":1"#.into(),
            doc_tail: "}".into(),
        };
        let put = BulkOp::Index { index: "j".into(), id: "d".into(), doc: json!({"z": [1]}) };
        let text = String::from_utf8(encode([&raw, &put])).unwrap();
        let lines: Vec<Value> = text.lines().map(|l| serde_json::from_str(l).unwrap()).collect();
        assert_eq!(
            lines,
            vec![
                json!({"update": {"_index": "i\"x", "_id": "c\n", "if_seq_no": 1, "if_primary_term": 2}}),
                json!({"doc": {"a": 1}}),
                json!({"index": {"_index": "j", "_id": "d"}}),
                json!({"z": [1]}),
            ]
        );
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
        // As a server writes it: more fields per item, the action name varies.
        let raw = br#"{"took":3,"errors":true,"items":[{"index":{"_index":"i","_id":"1","_version":1,"result":"created","status":201}},
                     {"update":{"_index":"i","_id":"2","status":409,"error":{"type":"version_conflict_engine_exception","reason":"x","index":"i"}}}]}"#;
        assert_eq!(outcomes_from_slice(raw, 2).unwrap(), vec![ItemOutcome::Ok, ItemOutcome::Conflict]);
        assert!(outcomes_from_slice(br#"{"items":[{"update":{"status":"x"}}]}"#, 1).is_err());
    }
}
