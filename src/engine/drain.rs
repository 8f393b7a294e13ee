//! The online, incremental miner (PROVISIONAL: being rewritten; API stable).

use super::{mask::Masker, ClusterId, ConfigError, EngineConfig, MinerSnapshot, SnapshotError, WILDCARD};
use std::collections::HashMap;

/// Settings of the online miner.
#[derive(Clone, Debug, PartialEq)]
pub struct DrainConfig {
    /// Minimum share of a template's constant tokens a message must match to join it.
    pub similarity: f64,
}

impl Default for DrainConfig {
    fn default() -> Self {
        DrainConfig { similarity: 0.5 }
    }
}

impl DrainConfig {
    pub fn validate(&self) -> Result<(), ConfigError> {
        if !(self.similarity > 0.0 && self.similarity <= 1.0) {
            return Err(ConfigError::new("drain.similarity", "must be in (0, 1]"));
        }
        Ok(())
    }
}

/// What adding a message did to the miner.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Change {
    /// A new cluster was born for this message.
    Created,
    /// The message joined a cluster whose template became more general.
    Generalized,
    /// The message joined a cluster and left its template as it was.
    Unchanged,
}

/// The cluster a message was assigned to.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Assignment {
    pub cluster_id: ClusterId,
    pub change: Change,
}

/// A read-only view of one cluster.
#[derive(Clone, Debug, PartialEq)]
pub struct ClusterInfo {
    pub id: ClusterId,
    pub template: String,
    /// Messages assigned to it so far.
    pub size: u64,
}

/// The online miner. Feed it messages with [`Miner::add`].
#[derive(Clone, Debug)]
pub struct Miner {
    config: EngineConfig,
    masker: Masker,
    by_template: HashMap<Vec<String>, ClusterId>,
    clusters: Vec<(Vec<String>, u64)>,
}

impl Miner {
    pub fn new(config: EngineConfig) -> Result<Miner, ConfigError> {
        config.validate()?;
        let masker = Masker::new(&config.masks)?;
        Ok(Miner { config, masker, by_template: HashMap::new(), clusters: Vec::new() })
    }

    pub fn config(&self) -> &EngineConfig {
        &self.config
    }

    /// Assigns a message to a cluster, learning from it.
    pub fn add(&mut self, message: &str) -> Assignment {
        let toks = self.masker.masked_tokens(message);
        if let Some(&id) = self.by_template.get(&toks) {
            self.clusters[(id.0 - 1) as usize].1 += 1;
            return Assignment { cluster_id: id, change: Change::Unchanged };
        }
        let id = ClusterId(self.clusters.len() as u64 + 1);
        self.clusters.push((toks.clone(), 1));
        self.by_template.insert(toks, id);
        Assignment { cluster_id: id, change: Change::Created }
    }

    /// [`Miner::add`] for raw bytes; invalid UTF-8 is replaced, never refused.
    pub fn add_bytes(&mut self, message: &[u8]) -> Assignment {
        self.add(&super::lossy(message))
    }

    /// The cluster a message would join, without learning from it.
    pub fn classify(&self, message: &str) -> Option<ClusterId> {
        self.by_template.get(&self.masker.masked_tokens(message)).copied()
    }

    pub fn template(&self, id: ClusterId) -> Option<String> {
        self.clusters.get((id.0 as usize).checked_sub(1)?).map(|(t, _)| t.join(" "))
    }

    /// The values of the template's variables in `message`, in order.
    pub fn params(&self, id: ClusterId, message: &str) -> Vec<String> {
        let Some((t, _)) = self.clusters.get((id.0 as usize).wrapping_sub(1)) else { return vec![] };
        t.iter()
            .zip(message.split_whitespace())
            .filter(|(t, _)| t.as_str() == WILDCARD)
            .map(|(_, m)| m.to_string())
            .collect()
    }

    pub fn cluster(&self, id: ClusterId) -> Option<ClusterInfo> {
        let (t, n) = self.clusters.get((id.0 as usize).checked_sub(1)?)?;
        Some(ClusterInfo { id, template: t.join(" "), size: *n })
    }

    /// Every cluster, in order of birth.
    pub fn clusters(&self) -> Vec<ClusterInfo> {
        (1..=self.clusters.len() as u64).filter_map(|i| self.cluster(ClusterId(i))).collect()
    }

    pub fn snapshot(&self) -> MinerSnapshot {
        MinerSnapshot::default()
    }

    pub fn restore(snapshot: MinerSnapshot) -> Result<Miner, SnapshotError> {
        let _ = snapshot;
        Miner::new(EngineConfig::default()).map_err(SnapshotError::Config)
    }
}
