//! The API's view of the live miner: the same [`Miner`] the sidecar labels documents with.
//!
//! The sidecar owns the miner as `Arc<RwLock<Miner>>` and hands a clone to the API, so a message
//! classified here gets the id the sidecar writes into a document with that message. Learning
//! (`Miner::add`) takes the write lock for one message (a few microseconds); read-only
//! classification takes the read lock. The bulk endpoint takes the write lock once per batch
//! (on a blocking thread). Anything else that can assign ids (an engine thread behind a channel,
//! for instance) can implement [`LiveEngine`] instead.

use crate::engine::{Change, ClusterId, Miner};
use std::sync::RwLock;

/// A message's cluster, as the API reports it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Labelled {
    pub cluster_id: ClusterId,
    pub template: String,
    pub params: Vec<String>,
    /// What learning the message did (`None` when only classified). A sidecar that must persist
    /// clusters born through the API (so ids survive a restart) watches for `Created`.
    pub change: Option<Change>,
}

/// The engine is not loaded yet (the sidecar is still restoring its snapshot).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct NotReady;

/// What the API needs from the live engine of one source.
pub trait LiveEngine: Send + Sync + 'static {
    /// Assigns the message to a cluster and learns from it (may create or generalise a cluster).
    fn learn(&self, message: &str) -> Result<Labelled, NotReady>;
    /// The cluster the message would join, without learning.
    fn classify(&self, message: &str) -> Result<Option<Labelled>, NotReady>;
    /// [`LiveEngine::learn`] for many messages, in order, under one lock.
    fn learn_many(&self, messages: &[&str]) -> Result<Vec<Labelled>, NotReady> {
        messages.iter().map(|m| self.learn(m)).collect()
    }
    /// How many clusters the engine knows (`None` when not loaded).
    fn cluster_count(&self) -> Option<usize>;
    /// Every cluster (`None` when not loaded).
    fn clusters(&self) -> Option<Vec<crate::engine::ClusterInfo>>;
    /// Whether the engine can answer (cheap: no cluster listing).
    fn is_loaded(&self) -> bool {
        true
    }
}

fn labelled(miner: &Miner, id: ClusterId, message: &str, change: Option<Change>) -> Labelled {
    Labelled {
        cluster_id: id,
        template: miner.template(id).unwrap_or_default(),
        params: miner.params(id, message),
        change,
    }
}

pub fn learn_in(miner: &mut Miner, message: &str) -> Labelled {
    let a = miner.add(message);
    labelled(miner, a.cluster_id, message, Some(a.change))
}

pub fn classify_in(miner: &Miner, message: &str) -> Option<Labelled> {
    let id = miner.classify(message)?;
    Some(labelled(miner, id, message, None))
}

// A poisoned lock only means a panic elsewhere while it was held; the engine never panics half-way
// through an update, so the API keeps serving (`into_inner`).

/// A miner that is always there (`logsift serve`).
impl LiveEngine for RwLock<Miner> {
    fn learn(&self, message: &str) -> Result<Labelled, NotReady> {
        Ok(learn_in(&mut self.write().unwrap_or_else(|e| e.into_inner()), message))
    }

    fn classify(&self, message: &str) -> Result<Option<Labelled>, NotReady> {
        Ok(classify_in(&self.read().unwrap_or_else(|e| e.into_inner()), message))
    }

    fn learn_many(&self, messages: &[&str]) -> Result<Vec<Labelled>, NotReady> {
        let mut miner = self.write().unwrap_or_else(|e| e.into_inner());
        Ok(messages.iter().map(|m| learn_in(&mut miner, m)).collect())
    }

    fn cluster_count(&self) -> Option<usize> {
        Some(self.read().unwrap_or_else(|e| e.into_inner()).len())
    }

    fn clusters(&self) -> Option<Vec<crate::engine::ClusterInfo>> {
        Some(self.read().unwrap_or_else(|e| e.into_inner()).clusters())
    }
}

/// A miner that may not be loaded yet (`None`), for tests of the not-ready answers.
#[cfg(test)]
impl LiveEngine for RwLock<Option<Miner>> {
    fn learn(&self, message: &str) -> Result<Labelled, NotReady> {
        let mut g = self.write().unwrap_or_else(|e| e.into_inner());
        Ok(learn_in(g.as_mut().ok_or(NotReady)?, message))
    }

    fn classify(&self, message: &str) -> Result<Option<Labelled>, NotReady> {
        let g = self.read().unwrap_or_else(|e| e.into_inner());
        Ok(classify_in(g.as_ref().ok_or(NotReady)?, message))
    }

    fn learn_many(&self, messages: &[&str]) -> Result<Vec<Labelled>, NotReady> {
        let mut g = self.write().unwrap_or_else(|e| e.into_inner());
        let miner = g.as_mut().ok_or(NotReady)?;
        Ok(messages.iter().map(|m| learn_in(miner, m)).collect())
    }

    fn cluster_count(&self) -> Option<usize> {
        self.read().unwrap_or_else(|e| e.into_inner()).as_ref().map(|m| m.len())
    }

    fn is_loaded(&self) -> bool {
        self.read().unwrap_or_else(|e| e.into_inner()).is_some()
    }

    fn clusters(&self) -> Option<Vec<crate::engine::ClusterInfo>> {
        self.read().unwrap_or_else(|e| e.into_inner()).as_ref().map(|m| m.clusters())
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
        let a = engine.learn("Accepted password for alice from 10.0.0.1 port 22 ssh2").unwrap();
        assert_eq!(a.change, Some(Change::Created));
        // The sidecar's side of the same miner sees the same id.
        let sidecar_id =
            shared.write().unwrap().add("Accepted password for alice from 10.0.0.1 port 22 ssh2").cluster_id;
        assert_eq!(a.cluster_id, sidecar_id);
        assert_eq!(
            engine.classify("Accepted password for alice from 10.0.0.1 port 22 ssh2").unwrap().map(|l| l.cluster_id),
            Some(a.cluster_id)
        );
        assert_eq!(engine.cluster_count(), Some(1));
        let many = engine.learn_many(&["x y z", "Accepted password for alice from 10.0.0.1 port 22 ssh2"]).unwrap();
        assert_eq!(many.len(), 2);
        assert_eq!(many[1].cluster_id, a.cluster_id);
        assert_ne!(many[0].cluster_id, a.cluster_id);
    }

    #[test]
    fn an_unloaded_sidecar_miner_is_not_ready() {
        let shared: std::sync::Arc<RwLock<Option<Miner>>> = std::sync::Arc::new(RwLock::new(None));
        let engine: std::sync::Arc<dyn LiveEngine> = shared.clone();
        assert_eq!(engine.learn("a"), Err(NotReady));
        assert_eq!(engine.cluster_count(), None);
        *shared.write().unwrap() = Some(Miner::new(EngineConfig::default()).unwrap());
        assert_eq!(engine.learn("a").unwrap().cluster_id, ClusterId(1));
    }
}
