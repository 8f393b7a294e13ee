//! `remine`: re-cluster a time range of a source's documents with a batch miner (LogCluster or
//! SLCT with a support threshold), reconcile the result with the clusters the documents carry
//! ([`super::reconcile`]), relabel only the documents whose label changed, flag outliers
//! `logsift.outlier: true`, and recount every touched cluster exactly.
//!
//! Restartable: the batch result does not depend on document order and new ids derive from
//! templates, so a run killed half-way and started again computes the same labels and rewrites
//! only what the first attempt did not; the recount at the end makes counts exact either way.

use super::read::read_all;
use super::reconcile::{new_cluster_id, reconcile};
use super::record::RunCounts;
use super::relabel::{recount, write_labels, ClusterMeta, Label, Relabel};
use super::{Cancel, JobContext, JobError};
use crate::config::jobs::{BatchAlgorithm, RemineSpec};
use crate::engine::{logcluster, slct, Masker};
use serde_json::{json, Value};
use std::collections::{BTreeMap, HashMap};
use std::time::Duration;

struct Doc {
    index: String,
    id: String,
    guard: Option<(i64, i64)>,
    message: String,
    label: Label,
}

async fn read_docs(
    ctx: &JobContext,
    range: Option<Duration>,
    counts: &mut RunCounts,
    cancel: &Cancel,
) -> Result<Vec<Doc>, JobError> {
    let mut filters: Vec<Value> = Vec::new();
    if let Some(r) = range {
        let since = chrono::Utc::now() - chrono::Duration::from_std(r).unwrap_or(chrono::Duration::MAX);
        filters.push(json!({"range": {ctx.source.timestamp_field.clone(): {"gte": since.to_rfc3339()}}}));
    }
    let mut docs = Vec::new();
    read_all(ctx, filters, counts, cancel, |h| {
        let Ok(message) = ctx.extractor.extract(&h.source) else { return };
        let message = message.into_owned();
        docs.push(Doc {
            guard: h.seq_no.zip(h.primary_term),
            label: Label::of(&h.source),
            index: h.index,
            id: h.id,
            message,
        });
    })
    .await?;
    Ok(docs)
}

/// Templates of the source's clusters in the cluster index (empty when it does not exist yet).
async fn existing_templates(ctx: &JobContext) -> Result<HashMap<String, String>, JobError> {
    let query = json!({"term": {"source": ctx.source.name}});
    let fields = vec!["cluster_id".to_string(), "template".to_string()];
    let hits = ctx.client.scan_all(&ctx.clusters_index, query, fields).await?;
    Ok(hits
        .iter()
        .filter_map(|h| {
            let s = &h.source;
            Some((s.get("cluster_id")?.as_str()?.to_string(), s.get("template")?.as_str()?.to_string()))
        })
        .collect())
}

pub async fn run(ctx: &JobContext, spec: &RemineSpec, cancel: &Cancel, counts: &mut RunCounts) -> Result<(), JobError> {
    let docs = read_docs(ctx, spec.range, counts, cancel).await?;
    let masker = Masker::new(&ctx.engine.masks).map_err(|e| JobError::Config(e.to_string()))?;
    let lines: Vec<&str> = docs.iter().map(|d| d.message.as_str()).collect();
    let batch = tokio::task::block_in_place(|| match spec.algorithm {
        BatchAlgorithm::LogCluster => logcluster::mine(&lines, &masker, spec.support),
        BatchAlgorithm::Slct => slct::mine(&lines, &masker, spec.support),
    });
    let mut existing = existing_templates(ctx).await?;
    for d in &docs {
        if let (Some(id), Some(t)) = (&d.label.cluster_id, &d.label.template) {
            existing.entry(id.clone()).or_insert_with(|| t.clone());
        }
    }
    let templates: Vec<String> = batch.clusters.iter().map(|c| c.template.clone()).collect();
    let current: Vec<Option<String>> = docs.iter().map(|d| d.label.cluster_id.clone()).collect();
    let rec = reconcile(&templates, &batch.assignments, &current, &existing, |t| {
        new_cluster_id(&ctx.source.name, spec.algorithm.short(), t)
    });
    counts.clusters = rec.fates.len() as u64;
    counts.clusters_kept = rec.fates.iter().filter(|f| f.kept).count() as u64;
    counts.clusters_new = rec.fates.iter().filter(|f| !f.kept).count() as u64;
    counts.clusters_merged = rec.merged.len() as u64;

    let mut touched: BTreeMap<String, ClusterMeta> = BTreeMap::new();
    for (f, t) in rec.fates.iter().zip(&templates) {
        touched.insert(
            f.id.clone(),
            ClusterMeta {
                template: Some(t.clone()),
                algorithm: spec.algorithm.name(),
                merged_into: None,
                examples: Vec::new(),
            },
        );
    }
    for (old, new) in &rec.merged {
        touched.entry(old.clone()).or_insert(ClusterMeta {
            template: existing.get(old).cloned(),
            algorithm: "drain",
            merged_into: Some(new.clone()),
            examples: Vec::new(),
        });
    }
    let mut updates = Vec::new();
    for (d, a) in docs.into_iter().zip(&batch.assignments) {
        let target = match a {
            Some(b) => Label {
                cluster_id: Some(rec.fates[*b].id.clone()),
                template: Some(templates[*b].clone()),
                outlier: false,
            },
            None => {
                counts.outliers += 1;
                Label { outlier: true, ..d.label.clone() }
            }
        };
        if let Some(old) = &d.label.cluster_id {
            touched.entry(old.clone()).or_insert_with(|| ClusterMeta {
                template: existing.get(old).cloned(),
                algorithm: "drain",
                merged_into: None,
                examples: Vec::new(),
            });
        }
        if target == d.label {
            counts.documents_unchanged += 1;
        } else {
            updates.push(Relabel { index: d.index, id: d.id, guard: d.guard, label: target });
        }
    }
    tracing::info!(job = %ctx.job, clusters = counts.clusters, kept = counts.clusters_kept, new = counts.clusters_new,
        merged = counts.clusters_merged, outliers = counts.outliers, to_relabel = updates.len(), "remine planned");
    write_labels(ctx, updates, spec.bulk_size, 0, cancel, counts).await?;
    recount(ctx, &touched).await?;
    // A merged cluster's name, tags and note go with its documents.
    let dest: BTreeMap<String, String> = rec.merged.iter().cloned().collect();
    crate::store::annotations::carry(&ctx.client, &ctx.clusters_index, &dest).await?;
    Ok(())
}
