//! The API's view of the live miner: the same [`Miner`] the sidecar labels documents with.
//!
//! The sidecar owns the miner as `Arc<RwLock<Miner>>` and hands a clone to the API, so a message
//! classified here gets the id the sidecar writes into a document with that message. Learning
//! (`Miner::add`) takes the write lock for one message (a few microseconds); read-only
//! classification takes the read lock. The bulk endpoint takes the write lock once per batch
//! (on a blocking thread). Anything else that can assign ids (an engine thread behind a channel,
//! for instance) can implement [`LiveEngine`] instead.

use crate::engine::{ClusterId, Miner};
use std::sync::RwLock;

/// A message's cluster, as the API reports it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Labelled {
    pub cluster_id: ClusterId,
    pub template: String,
    pub params: Vec<String>,
}

/// What the API needs from the live engine of one source.
pub trait LiveEngine: Send + Sync + 'static {
    /// Assigns the message to a cluster and learns from it (may create or generalise a cluster).
    fn learn(&self, message: &str) -> Labelled;
    /// The cluster the message would join, without learning.
    fn classify(&self, message: &str) -> Option<Labelled>;
    /// [`LiveEngine::learn`] for many messages, in order, under one lock.
    fn learn_many(&self, messages: &[&str]) -> Vec<Labelled> {
        messages.iter().map(|m| self.learn(m)).collect()
    }
    /// How many clusters the engine knows.
    fn cluster_count(&self) -> usize;
}

fn labelled(miner: &Miner, id: ClusterId, message: &str) -> Labelled {
    Labelled {
        cluster_id: id,
        template: miner.template(id).unwrap_or_default(),
        params: miner.params(id, message),
    }
}

impl LiveEngine for RwLock<Miner> {
    fn learn(&self, message: &str) -> Labelled {
        // A poisoned lock only means a panic elsewhere; the miner itself is still consistent
        // (the engine never panics half-way through an update), so keep serving.
        let mut miner = self.write().unwrap_or_else(|e| e.into_inner());
        let id = miner.add(message).cluster_id;
        labelled(&miner, id, message)
    }

    fn classify(&self, message: &str) -> Option<Labelled> {
        let miner = self.read().unwrap_or_else(|e| e.into_inner());
        let id = miner.classify(message)?;
        Some(labelled(&miner, id, message))
    }

    fn learn_many(&self, messages: &[&str]) -> Vec<Labelled> {
        let mut miner = self.write().unwrap_or_else(|e| e.into_inner());
        messages
            .iter()
            .map(|m| {
                let id = miner.add(m).cluster_id;
                labelled(&miner, id, m)
            })
            .collect()
    }

    fn cluster_count(&self) -> usize {
        self.read().unwrap_or_else(|e| e.into_inner()).clusters().len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::EngineConfig;

    #[test]
    fn learn_then_classify_agree_with_the_shared_miner() {
        let shared = std::sync::Arc::new(RwLock::new(Miner::new(EngineConfig::default()).unwrap()));
        let engine: std::sync::Arc<dyn LiveEngine> = shared.clone();
        let a = engine.learn("Accepted password for alice from 10.0.0.1 port 22 ssh2");
        // The sidecar's side of the same miner sees the same id.
        let sidecar_id = shared.write().unwrap().add("Accepted password for alice from 10.0.0.1 port 22 ssh2").cluster_id;
        assert_eq!(a.cluster_id, sidecar_id);
        assert_eq!(engine.classify("Accepted password for alice from 10.0.0.1 port 22 ssh2").map(|l| l.cluster_id), Some(a.cluster_id));
        assert_eq!(engine.cluster_count(), 1);
        let many = engine.learn_many(&["x y z", "Accepted password for alice from 10.0.0.1 port 22 ssh2"]);
        assert_eq!(many.len(), 2);
        assert_eq!(many[1].cluster_id, a.cluster_id);
        assert_ne!(many[0].cluster_id, a.cluster_id);
    }
}
