//! [`ClusterIndexSink`]: one document per cluster in the cluster index, `_id` = cluster id.
//!
//! Counts are exact: a cluster is recounted from the documents themselves (a terms aggregation on
//! `logsift.cluster_id` over the source indices, with min/max document time) the first time a
//! process touches it and whenever a batch was interrupted; in between, the pipeline adds the
//! acknowledged labels to those exact figures. Documents get absolute values, so writes are idempotent.

use super::{BulkUpdateSink, SinkError};
use crate::es::bulk::BulkOp;
use crate::es::indices::ClusterCount;
use crate::es::EsClient;
use crate::store::state::now_rfc3339;
use serde_json::{json, Value};
use std::collections::HashMap;

/// What the engine knows of a cluster, merged with the exact figures on write.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct ClusterDoc {
    pub template: Option<String>,
    pub examples: Vec<String>,
}

pub struct ClusterIndexSink {
    client: EsClient,
    index: String,
    source_indices: String,
    timestamp_field: String,
    source_name: String,
    algorithm: String,
}

pub const CLUSTER_ID_FIELD: &str = "logsift.cluster_id";

impl ClusterIndexSink {
    pub fn new(client: EsClient, index: &str, source_indices: &str, timestamp_field: &str, source_name: &str) -> Self {
        ClusterIndexSink {
            client,
            index: index.to_string(),
            source_indices: source_indices.to_string(),
            timestamp_field: timestamp_field.to_string(),
            source_name: source_name.to_string(),
            algorithm: "drain".to_string(),
        }
    }

    /// Exact figures of `ids` from the documents: refresh, then a terms aggregation.
    pub async fn recount(&self, ids: &[String]) -> Result<Vec<ClusterCount>, SinkError> {
        if ids.is_empty() {
            return Ok(Vec::new());
        }
        self.client.refresh(&self.source_indices).await?;
        Ok(self.client.cluster_counts(&self.source_indices, CLUSTER_ID_FIELD, &self.timestamp_field, ids).await?)
    }

    /// Writes the cluster documents with these figures (absolute values, so idempotent).
    pub async fn upsert(
        &self,
        sink: &BulkUpdateSink,
        counts: &[ClusterCount],
        known: &HashMap<String, ClusterDoc>,
    ) -> Result<usize, SinkError> {
        let now = now_rfc3339();
        let ops: Vec<BulkOp> = counts
            .iter()
            .map(|c| {
                let mut doc = json!({
                    "cluster_id": c.cluster_id,
                    "count": c.count,
                    "first_seen": c.first_seen,
                    "last_seen": c.last_seen,
                    "source": self.source_name,
                    "algorithm": self.algorithm,
                    "updated_at": now,
                });
                if let Some(k) = known.get(&c.cluster_id) {
                    if let Some(t) = &k.template {
                        doc["template"] = Value::String(t.clone());
                    }
                    if !k.examples.is_empty() {
                        doc["examples"] = json!(k.examples);
                    }
                }
                BulkOp::Update { index: self.index.clone(), id: c.cluster_id.clone(), guard: None, doc, upsert: true }
            })
            .collect();
        let report = sink.write(&ops).await?;
        Ok(report.ok as usize)
    }
}
