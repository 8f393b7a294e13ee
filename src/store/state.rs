//! Checkpoints and engine snapshots, kept in the state index so that a sidecar can restart anywhere.
//!
//! Two documents per source: `{source}.checkpoint` ([`Checkpoint`]) and `{source}.snapshot`
//! (the engine's [`MinerSnapshot`] and its cluster count). Each is written whole (atomic) and
//! read back by id (real-time GET), so an acknowledged write is what the next start sees.

use crate::engine::MinerSnapshot;
use crate::es::{EsClient, EsError};
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};

pub const CHECKPOINT_VERSION: u32 = 1;

#[derive(Debug, thiserror::Error)]
pub enum StateError {
    #[error(transparent)]
    Es(#[from] EsError),
    #[error("state document `{id}` is unreadable: {reason}")]
    Corrupt { id: String, reason: String },
}

impl StateError {
    pub fn is_retriable(&self) -> bool {
        matches!(self, StateError::Es(e) if e.is_retriable())
    }
}

/// Progress of one source. Moves only after the write-back it covers is acknowledged.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct Checkpoint {
    pub version: u32,
    /// Latest document time among the documents handled (`gt` bound for re-reading labelled ones).
    pub max_timestamp: Option<String>,
    /// Clusters whose documents are being written: recounted at start if a run died mid-batch.
    pub pending_recount: Vec<String>,
    pub docs_labelled: u64,
    pub docs_skipped: u64,
    pub batches: u64,
    pub updated_at: Option<String>,
}

/// The saved engine with the number of clusters it had, to check a restore.
#[derive(Clone, Debug)]
pub struct SavedSnapshot {
    pub snapshot: MinerSnapshot,
    pub n_clusters: u64,
    pub in_flight: InFlight,
    /// A structured source's rarity state (`engine::audit::AuditSnapshot`), saved in the same
    /// document as the engine so that the two always describe the same events.
    pub audit: Option<Value>,
}

/// The documents the saved engine has already seen whose labels may not have been written: saved
/// in the same document as the engine (one atomic write), so that a run killed between the
/// snapshot and the write-back labels them with the clusters the engine gave them instead of
/// adding them a second time (which would change later clustering).
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct InFlight {
    /// The checkpoint's `batches` once the batch that saved this snapshot is done: a larger
    /// number than the checkpoint's means that batch's write-back may not have landed.
    pub seq: u64,
    /// `(index, id, cluster)` of each document the batch `seq` added to the engine.
    pub batch: Vec<(String, String, u64)>,
    /// Entries of an earlier interrupted batch not seen again yet.
    pub carried: Vec<(String, String, u64)>,
}

impl InFlight {
    /// The entries still to honour, given the checkpoint's `batches`.
    pub fn live(self, batches: u64) -> Vec<(String, String, u64)> {
        let mut out = self.carried;
        if self.seq > batches {
            out.extend(self.batch);
        }
        out
    }
}

/// Reads and writes one source's state documents.
#[derive(Clone)]
pub struct StateStore {
    client: EsClient,
    index: String,
    source: String,
}

pub fn now_rfc3339() -> String {
    chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Millis, true)
}

impl StateStore {
    pub fn new(client: EsClient, index: &str, source: &str) -> Self {
        StateStore { client, index: index.to_string(), source: source.to_string() }
    }

    fn id(&self, kind: &str) -> String {
        format!("{}.{kind}", self.source)
    }

    pub async fn load_checkpoint(&self) -> Result<Option<Checkpoint>, StateError> {
        let id = self.id("checkpoint");
        let Some(doc) = self.client.get_source(&self.index, &id).await? else { return Ok(None) };
        let cp = doc.get("checkpoint").cloned().unwrap_or(Value::Null);
        serde_json::from_value(cp).map(Some).map_err(|e| StateError::Corrupt { id, reason: e.to_string() })
    }

    pub async fn save_checkpoint(&self, cp: &Checkpoint) -> Result<(), StateError> {
        let mut cp = cp.clone();
        cp.version = CHECKPOINT_VERSION;
        cp.updated_at = Some(now_rfc3339());
        let doc = json!({"kind": "checkpoint", "source": self.source, "updated_at": cp.updated_at, "checkpoint": cp});
        Ok(self.client.put_doc(&self.index, &self.id("checkpoint"), &doc).await?)
    }

    pub async fn load_snapshot(&self) -> Result<Option<SavedSnapshot>, StateError> {
        let id = self.id("snapshot");
        let Some(doc) = self.client.get_source(&self.index, &id).await? else { return Ok(None) };
        let corrupt = |reason: String| StateError::Corrupt { id: id.clone(), reason };
        let snapshot = serde_json::from_value(doc.get("snapshot").cloned().unwrap_or(Value::Null))
            .map_err(|e| corrupt(e.to_string()))?;
        let n_clusters =
            doc.get("n_clusters").and_then(Value::as_u64).ok_or_else(|| corrupt("no n_clusters".into()))?;
        let in_flight = match doc.get("in_flight") {
            None | Some(Value::Null) => InFlight::default(),
            Some(v) => serde_json::from_value(v.clone()).map_err(|e| corrupt(format!("in_flight: {e}")))?,
        };
        let audit = doc.get("audit").filter(|v| !v.is_null()).cloned();
        Ok(Some(SavedSnapshot { snapshot, n_clusters, in_flight, audit }))
    }

    pub async fn save_snapshot(
        &self,
        snapshot: &MinerSnapshot,
        n_clusters: u64,
        in_flight: &InFlight,
        audit: Option<&Value>,
    ) -> Result<(), StateError> {
        let doc = json!({"kind": "snapshot", "source": self.source, "updated_at": now_rfc3339(),
                         "n_clusters": n_clusters, "snapshot": snapshot, "in_flight": in_flight, "audit": audit});
        Ok(self.client.put_doc(&self.index, &self.id("snapshot"), &doc).await?)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn in_flight_entries_live_until_their_batch_is_checkpointed() {
        let e = |id: &str| ("i".to_string(), id.to_string(), 1u64);
        let f = InFlight { seq: 5, batch: vec![e("b")], carried: vec![e("c")] };
        // The checkpoint is at 4 batches: batch 5 may not have been written.
        assert_eq!(f.clone().live(4), vec![e("c"), e("b")]);
        // Batch 5 is done: only what an earlier interrupted batch left is still to honour.
        assert_eq!(f.clone().live(5), vec![e("c")]);
        // A snapshot written before `in_flight` existed reads as nothing in flight.
        let old: InFlight = serde_json::from_value(json!({})).unwrap();
        assert_eq!(old.live(0), Vec::new());
    }
}
