//! Writing labels back for jobs: guarded bulk partial updates of the `logsift.*` fields of the
//! documents whose label changed, then exact recounts of the touched clusters into the cluster
//! index (terms aggregation over the documents, so counts equal the documents carrying each id).

use super::record::RunCounts;
use super::{Cancel, JobContext, JobError};
use crate::es::bulk::{BulkOp, ItemOutcome};
use serde_json::{json, Value};
use std::collections::{BTreeMap, BTreeSet};
use std::time::{Duration, Instant};

/// The labels a document should carry.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Label {
    pub cluster_id: Option<String>,
    pub template: Option<String>,
    pub outlier: bool,
}

impl Label {
    /// The label a document carries now (from its `_source`).
    pub fn of(source: &Value) -> Label {
        let l = source.get("logsift");
        let s = |k: &str| l.and_then(|l| l.get(k)).and_then(Value::as_str).map(str::to_string);
        Label {
            cluster_id: s("cluster_id"),
            template: s("template"),
            outlier: l.and_then(|l| l.get("outlier")).and_then(Value::as_bool).unwrap_or(false),
        }
    }

    fn doc(&self) -> Value {
        json!({"logsift": {"cluster_id": self.cluster_id, "template": self.template, "outlier": self.outlier}})
    }
}

/// One planned document update.
pub struct Relabel {
    pub index: String,
    pub id: String,
    pub guard: Option<(i64, i64)>,
    pub label: Label,
}

/// Sends the updates in bulk requests of `batch` items, at most `docs_per_sec` documents per
/// second (0 = unthrottled), stopping between requests when cancelled.
pub async fn write_labels(
    ctx: &JobContext,
    updates: Vec<Relabel>,
    batch: usize,
    docs_per_sec: u64,
    cancel: &Cancel,
    counts: &mut RunCounts,
) -> Result<(), JobError> {
    let started = Instant::now();
    let mut sent: u64 = 0;
    for chunk in updates.chunks(batch.max(1)) {
        if cancel.is_cancelled() {
            return Err(JobError::Cancelled);
        }
        let ops: Vec<BulkOp> = chunk
            .iter()
            .map(|u| BulkOp::Update {
                index: u.index.clone(),
                id: u.id.clone(),
                guard: u.guard,
                doc: u.label.doc(),
                upsert: false,
            })
            .collect();
        let mut pending: Vec<usize> = (0..ops.len()).collect();
        for attempt in 0..5u32 {
            let batch_ops: Vec<BulkOp> = pending.iter().map(|&i| ops[i].clone()).collect();
            let outcomes = ctx.client.bulk(batch_ops.iter()).await?;
            let mut retry = Vec::new();
            for (&i, o) in pending.iter().zip(outcomes) {
                match o {
                    ItemOutcome::Ok => counts.documents_relabelled += 1,
                    // Changed since we read it (a concurrent writer, or our own earlier attempt):
                    // the next run sees its new state.
                    ItemOutcome::Conflict => counts.conflicts += 1,
                    ItemOutcome::Missing => {}
                    ItemOutcome::Retriable { .. } => retry.push(i),
                    ItemOutcome::Failed { status, reason } => {
                        ctx.metrics.bulk_failures.with(&[]).inc();
                        tracing::warn!(job = %ctx.job, status, %reason, "relabel item failed");
                    }
                }
            }
            if retry.is_empty() {
                break;
            }
            ctx.metrics.bulk_retries.with(&[]).inc();
            tokio::time::sleep(Duration::from_millis(200 << attempt)).await;
            pending = retry;
        }
        sent += chunk.len() as u64;
        if docs_per_sec > 0 {
            let due = Duration::from_secs_f64(sent as f64 / docs_per_sec as f64);
            if let Some(wait) = due.checked_sub(started.elapsed()) {
                tokio::time::sleep(wait).await;
            }
        }
    }
    Ok(())
}

/// What the cluster index should say about one cluster besides its counts.
pub struct ClusterMeta {
    pub template: Option<String>,
    pub algorithm: &'static str,
    pub merged_into: Option<String>,
    /// Example messages to store (left as they are when empty).
    pub examples: Vec<String>,
}

/// Recounts `ids` over the source's documents and writes their cluster documents.
pub async fn recount(ctx: &JobContext, ids: &BTreeMap<String, ClusterMeta>) -> Result<(), JobError> {
    let indices = ctx.source.index_expr();
    ctx.client.refresh(&indices).await?;
    let keys: Vec<String> = ids.keys().cloned().collect();
    let counts = ctx.client.cluster_counts(&indices, "logsift.cluster_id", &ctx.source.timestamp_field, &keys).await?;
    let by_id: BTreeMap<&str, &crate::es::indices::ClusterCount> =
        counts.iter().map(|c| (c.cluster_id.as_str(), c)).collect();
    let now = chrono::Utc::now().to_rfc3339();
    let mut ops = Vec::new();
    for (id, meta) in ids {
        let c = by_id.get(id.as_str());
        let mut doc = json!({
            "cluster_id": id, "source": ctx.source.name, "count": c.map(|c| c.count).unwrap_or(0),
            "updated_at": now, "algorithm": meta.algorithm,
        });
        if let Some(t) = &meta.template {
            doc["template"] = json!(t);
        }
        if let Some(c) = c {
            doc["first_seen"] = json!(c.first_seen);
            doc["last_seen"] = json!(c.last_seen);
        }
        if !meta.examples.is_empty() {
            doc["examples"] = json!(meta.examples);
        }
        if let Some(m) = &meta.merged_into {
            doc["merged_into"] = json!(m);
        }
        ops.push(BulkOp::Update { index: ctx.clusters_index.clone(), id: id.clone(), guard: None, doc, upsert: true });
    }
    for chunk in ops.chunks(500) {
        for o in ctx.client.bulk(chunk.iter()).await? {
            if let ItemOutcome::Failed { status, reason } | ItemOutcome::Retriable { status, reason } = o {
                return Err(JobError::Write(format!("cluster index update failed ({status}): {reason}")));
            }
        }
    }
    ctx.client.refresh(&ctx.clusters_index).await?;
    Ok(())
}

/// The ids of a set, for callers that collect touched clusters.
pub fn touched<'a>(labels: impl IntoIterator<Item = &'a Label>) -> BTreeSet<String> {
    labels.into_iter().filter_map(|l| l.cluster_id.clone()).collect()
}
