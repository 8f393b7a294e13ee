//! The versioned, serialisable state of the online miner.
//!
//! This is the one engine type that derives serde: the edges write it as JSON (to a file
//! or the state index). A snapshot holds the configuration and every cluster (template
//! tokens, white space of its first message, size) in order of birth; the order gives the
//! ids back. Restoring validates everything and refuses what it cannot trust.

use super::drain::DrainConfig;
use super::mask::{CustomMask, MaskConfig};
use super::{ConfigError, EngineConfig};
use serde::{Deserialize, Serialize};

/// The snapshot format this build writes and reads.
/// Version 1 (no merges, no gaps) is still read.
/// Version 3 adds `config.verbatim` (versions 1 and 2 read as not verbatim).
pub const SNAPSHOT_VERSION: u32 = 3;

/// Everything needed to continue mining where a [`super::Miner`] stopped.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct MinerSnapshot {
    pub version: u32,
    pub config: ConfigState,
    pub clusters: Vec<ClusterState>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ConfigState {
    pub masks_disable: Vec<String>,
    pub masks_enable: Vec<String>,
    /// `(name, regex)` pairs.
    pub masks_custom: Vec<(String, String)>,
    pub similarity: f64,
    pub cache_capacity: usize,
    /// Since version 3.
    #[serde(default)]
    pub verbatim: bool,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ClusterState {
    pub tokens: Vec<String>,
    pub seps: Vec<String>,
    pub size: u64,
    /// The position of the variable that may span several words (since version 2).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub gap: Option<u32>,
    /// The id of the cluster this one was merged into (since version 2).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub merged_into: Option<u64>,
}

#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum SnapshotError {
    #[error("snapshot version {found} is not supported (this build reads version {supported})")]
    Version { found: u32, supported: u32 },
    #[error("snapshot is inconsistent: {0}")]
    Corrupt(String),
    #[error(transparent)]
    Config(#[from] ConfigError),
}

impl MinerSnapshot {
    pub(crate) fn new(config: &EngineConfig, clusters: Vec<ClusterState>) -> MinerSnapshot {
        MinerSnapshot {
            version: SNAPSHOT_VERSION,
            config: ConfigState {
                masks_disable: config.masks.disable.clone(),
                masks_enable: config.masks.enable.clone(),
                masks_custom: config.masks.custom.iter().map(|m| (m.name.clone(), m.regex.clone())).collect(),
                similarity: config.drain.similarity,
                cache_capacity: config.drain.cache_capacity,
                verbatim: config.drain.verbatim,
            },
            clusters,
        }
    }

    /// The engine configuration the snapshot was taken with.
    pub fn engine_config(&self) -> EngineConfig {
        let c = &self.config;
        EngineConfig {
            masks: MaskConfig {
                disable: c.masks_disable.clone(),
                enable: c.masks_enable.clone(),
                custom: c.masks_custom.iter().map(|(n, r)| CustomMask { name: n.clone(), regex: r.clone() }).collect(),
            },
            drain: DrainConfig { similarity: c.similarity, cache_capacity: c.cache_capacity, verbatim: c.verbatim },
        }
    }

    pub(crate) fn into_parts(self) -> Result<(EngineConfig, Vec<ClusterState>), SnapshotError> {
        if !(1..=SNAPSHOT_VERSION).contains(&self.version) {
            return Err(SnapshotError::Version { found: self.version, supported: SNAPSHOT_VERSION });
        }
        let config = self.engine_config();
        config.validate()?;
        for (i, c) in self.clusters.iter().enumerate() {
            if c.seps.len() != c.tokens.len() + 1 {
                return Err(SnapshotError::Corrupt(format!(
                    "cluster {} has {} tokens but {} separators",
                    i + 1,
                    c.tokens.len(),
                    c.seps.len()
                )));
            }
            if c.size == 0 {
                return Err(SnapshotError::Corrupt(format!("cluster {} is empty", i + 1)));
            }
            if c.gap.is_some_and(|g| g as usize >= c.tokens.len()) {
                return Err(SnapshotError::Corrupt(format!("cluster {} has its gap out of range", i + 1)));
            }
            // A cluster is merged into an earlier one (so merges never form a cycle).
            if let Some(into) = c.merged_into.filter(|&k| !(1..=i as u64).contains(&k)) {
                return Err(SnapshotError::Corrupt(format!("cluster {} is merged into {into}", i + 1)));
            }
            // A token may hold white space inside (a quoted string), not at its ends.
            if c.tokens
                .iter()
                .any(|t| t.is_empty() || t.starts_with(char::is_whitespace) || t.ends_with(char::is_whitespace))
            {
                return Err(SnapshotError::Corrupt(format!("cluster {} has an invalid token", i + 1)));
            }
        }
        Ok((config, self.clusters))
    }
}
