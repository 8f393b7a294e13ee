//! `reindex`: relabel every document of the source from scratch, after a change of masks or
//! algorithm: a fresh online miner with the configured engine settings is fed every document's
//! message in a fixed order (document time, then index, then id), so the same documents always
//! give the same ids; only documents whose label differs are rewritten (throttled, in guarded
//! bulk updates), every cluster of the source is recounted exactly, clusters no document carries
//! any more are removed from the cluster index, and the new engine is saved as the source's
//! snapshot so the sidecar goes on with the new ids.
//!
//! Killed mid-run, it restarts from scratch and ends in the same state: labels are a function of
//! the documents, documents already relabelled are skipped, and counts come from a recount.
//! Run it while the source's sidecar is stopped (its miner would keep the old ids otherwise).
//!
//! With a destination (`dest`), the job first copies the source into that index with the
//! server's `_reindex` ([`super::copy`]), then labels the copy as above, as a source of its own
//! (cluster ids `{dest_source}-{n}`, counted over the destination, its own engine snapshot), so
//! the source's documents, clusters and snapshot are left untouched. The phase reached is kept in
//! the state index: a run killed while labelling resumes with labelling; one killed while copying
//! copies again (a no-op for what is already there).
//!
//! Limit: messages and positions of all documents are held in memory for the sort.

use super::copy::{self, Phase};
use super::read::read_all;
use super::record::RunCounts;
use super::relabel::{recount, write_labels, ClusterMeta, Label, Relabel};
use super::{Cancel, JobContext, JobError};
use crate::config::jobs::ReindexSpec;
use crate::engine::Miner;
use crate::ids::cluster_key;
use crate::store::state::StateStore;
use serde_json::{json, Value};
use std::collections::BTreeMap;

struct Doc {
    key: (String, String, String),
    guard: Option<(i64, i64)>,
    message: Option<String>,
    label: Label,
}

async fn read_docs(ctx: &JobContext, counts: &mut RunCounts, cancel: &Cancel) -> Result<Vec<Doc>, JobError> {
    let mut docs = Vec::new();
    let ts_field = ctx.source.timestamp_field.as_str();
    read_all(ctx, Vec::new(), counts, cancel, |h| {
        let ts = crate::message::lookup(&h.source, ts_field).map(|v| match v {
            Value::String(s) => s.clone(),
            other => other.to_string(),
        });
        let message = ctx.extractor.extract(&h.source).ok().map(|m| m.into_owned());
        docs.push(Doc {
            guard: h.seq_no.zip(h.primary_term),
            message,
            label: Label::of(&h.source),
            key: (ts.unwrap_or_default(), h.index, h.id),
        });
    })
    .await?;
    Ok(docs)
}

/// Ids of the source's clusters in the cluster index.
async fn indexed_cluster_ids(ctx: &JobContext) -> Result<Vec<String>, JobError> {
    let query = json!({"term": {"source": ctx.source.name}});
    let hits = ctx.client.scan_all(&ctx.clusters_index, query, vec!["cluster_id".into()]).await?;
    Ok(hits.into_iter().map(|h| h.id).collect())
}

pub async fn run(
    ctx: &JobContext,
    spec: &ReindexSpec,
    cancel: &Cancel,
    counts: &mut RunCounts,
) -> Result<(), JobError> {
    let Some(dest) = &spec.dest else { return relabel_all(ctx, spec, cancel, counts).await };
    if ctx.source.indices.iter().any(|i| i == &dest.index) {
        return Err(JobError::Config(format!("dest `{}` is one of the source's indices", dest.index)));
    }
    if dest.source == ctx.source.name {
        // Relabelling the copy under the source's name would recount (and prune) the source's clusters.
        return Err(JobError::Config(format!("dest_source `{}` is the source's own name", dest.source)));
    }
    let report = if copy::load_phase(ctx, &dest.index).await? == Some(Phase::Label) {
        tracing::info!(job = %ctx.job, dest = %dest.index, "copy already done; resuming with labelling");
        None
    } else {
        copy::prepare_dest(ctx, &dest.index).await?;
        copy::save_phase(ctx, &dest.index, Phase::Copy, None).await?;
        let report = copy::copy(ctx, &dest.index, spec.docs_per_sec, cancel).await?;
        counts.documents_copied = report.created;
        tracing::info!(job = %ctx.job, dest = %dest.index, total = report.total, created = report.created, skipped = report.version_conflicts, "copy done");
        copy::save_phase(ctx, &dest.index, Phase::Label, Some(&report)).await?;
        Some(report)
    };
    ctx.client.refresh(&dest.index).await?;
    let mut source = ctx.source.clone();
    source.name = dest.source.clone();
    source.indices = vec![dest.index.clone()];
    // The copy holds only matching documents already.
    source.query = None;
    let dest_ctx = JobContext { source, ..ctx.clone() };
    relabel_all(&dest_ctx, spec, cancel, counts).await?;
    copy::save_phase(ctx, &dest.index, Phase::Done, report.as_ref()).await
}

/// Relabels every document of `ctx.source` from scratch (see the module header).
async fn relabel_all(
    ctx: &JobContext,
    spec: &ReindexSpec,
    cancel: &Cancel,
    counts: &mut RunCounts,
) -> Result<(), JobError> {
    let mut docs = read_docs(ctx, counts, cancel).await?;
    docs.sort_by(|a, b| a.key.cmp(&b.key));
    let mut miner = Miner::new(ctx.engine.clone()).map_err(|e| JobError::Config(e.to_string()))?;
    let ids: Vec<Option<crate::engine::ClusterId>> = tokio::task::block_in_place(|| {
        docs.iter().map(|d| d.message.as_deref().map(|m| miner.add(m).cluster_id)).collect()
    });
    let source = &ctx.source.name;
    let mut touched: BTreeMap<String, ClusterMeta> = BTreeMap::new();
    for c in miner.clusters() {
        touched.insert(
            cluster_key(source, c.id),
            ClusterMeta {
                template: Some(c.template.clone()),
                algorithm: "drain",
                merged_into: None,
                examples: Vec::new(),
            },
        );
    }
    // Where each old cluster's documents went, for its annotation (the ids are renumbered).
    let moves: Vec<(&str, String)> = docs
        .iter()
        .zip(&ids)
        .filter_map(|(d, id)| Some((d.label.cluster_id.as_deref()?, cluster_key(source, (*id)?))))
        .collect();
    let annotations_to = crate::store::annotations::destinations(moves.iter().map(|(old, new)| (*old, new.as_str())));
    drop(moves);
    let mut updates = Vec::new();
    for (d, id) in docs.into_iter().zip(&ids) {
        let Some(id) = id else { continue };
        let key = cluster_key(source, *id);
        if let (Some(meta), Some(m)) = (touched.get_mut(&key), &d.message) {
            if meta.examples.len() < 3 && !meta.examples.contains(m) {
                meta.examples.push(m.clone());
            }
        }
        let target = Label { cluster_id: Some(key), template: miner.template(*id), outlier: false };
        if target == d.label {
            counts.documents_unchanged += 1;
        } else {
            let (_, index, doc_id) = d.key;
            updates.push(Relabel { index, id: doc_id, guard: d.guard, label: target });
        }
    }
    counts.clusters = touched.len() as u64;
    tracing::info!(job = %ctx.job, clusters = counts.clusters, to_relabel = updates.len(), "reindex planned");
    write_labels(ctx, updates, spec.bulk_size, spec.docs_per_sec, cancel, counts).await?;
    // Clusters of the old labelling that no document carries any more are recounted too (to 0).
    let stale: Vec<String> =
        indexed_cluster_ids(ctx).await?.into_iter().filter(|id| !touched.contains_key(id)).collect();
    for id in &stale {
        touched.insert(
            id.clone(),
            ClusterMeta { template: None, algorithm: "drain", merged_into: None, examples: Vec::new() },
        );
    }
    recount(ctx, &touched).await?;
    crate::store::annotations::carry(&ctx.client, &ctx.clusters_index, &annotations_to).await?;
    delete_empty(ctx, &stale).await?;
    counts.clusters_pruned = stale.len() as u64;
    StateStore::new(ctx.client.clone(), &ctx.state_index, source)
        .save_snapshot(&miner.snapshot(), miner.len() as u64, &Default::default(), None)
        .await
        .map_err(|e| JobError::Write(format!("saving the engine snapshot: {e}")))?;
    Ok(())
}

/// Removes cluster documents whose recount found no document.
async fn delete_empty(ctx: &JobContext, ids: &[String]) -> Result<(), JobError> {
    if ids.is_empty() {
        return Ok(());
    }
    let indices = ctx.source.index_expr();
    let still = ctx.client.cluster_counts(&indices, "logsift.cluster_id", &ctx.source.timestamp_field, ids).await?;
    let mut nd = Vec::new();
    for id in ids.iter().filter(|id| !still.iter().any(|c| &c.cluster_id == *id && c.count > 0)) {
        serde_json::to_writer(&mut nd, &json!({"delete": {"_index": ctx.clusters_index, "_id": id}}))
            .map_err(|e| JobError::Write(e.to_string()))?;
        nd.push(b'\n');
    }
    if !nd.is_empty() {
        ctx.client.bulk_ndjson(nd, true).await?;
    }
    Ok(())
}
