//! `prune`: remove from the cluster index the clusters of a source not seen (by document time,
//! `last_seen`) for a given time. Documents keep their labels; a pruned cluster seen again is
//! recounted and written back by the sidecar as usual.

use super::record::RunCounts;
use super::{Cancel, JobContext, JobError};
use serde_json::{json, Value};
use std::time::Duration;

pub async fn run(
    ctx: &JobContext,
    older_than: Duration,
    cancel: &Cancel,
    counts: &mut RunCounts,
) -> Result<(), JobError> {
    let cutoff = chrono::Utc::now() - chrono::Duration::from_std(older_than).unwrap_or(chrono::Duration::MAX);
    loop {
        if cancel.is_cancelled() {
            return Err(JobError::Cancelled);
        }
        let body = json!({
            "size": 1000, "_source": false,
            "query": {"bool": {"filter": [
                {"term": {"source": ctx.source.name}},
                {"range": {"last_seen": {"lt": cutoff.to_rfc3339()}}}
            ]}}
        });
        let hits = ctx.client.search_hits(&ctx.clusters_index, &body).await?;
        let ids: Vec<String> = hits.iter().filter_map(|h| h.get("_id")?.as_str().map(str::to_string)).collect();
        if ids.is_empty() {
            return Ok(());
        }
        let mut nd = Vec::new();
        for id in &ids {
            serde_json::to_writer(&mut nd, &json!({"delete": {"_index": ctx.clusters_index, "_id": id}}))
                .map_err(|e| JobError::Write(e.to_string()))?;
            nd.push(b'\n');
        }
        let resp = ctx.client.bulk_ndjson(nd, true).await?;
        let items = resp.get("items").and_then(Value::as_array).cloned().unwrap_or_default();
        let deleted = items
            .iter()
            .filter(|i| i.pointer("/delete/status").and_then(Value::as_u64).is_some_and(|s| s < 300 || s == 404))
            .count();
        counts.clusters_pruned += deleted as u64;
        if deleted < ids.len() {
            return Err(JobError::Write(format!("{} of {} cluster deletions failed", ids.len() - deleted, ids.len())));
        }
        tracing::info!(job = %ctx.job, n = deleted, "pruned clusters");
    }
}
