//! The versioned, serialisable state of the online miner (PROVISIONAL).

use super::ConfigError;
use serde::{Deserialize, Serialize};

pub const SNAPSHOT_VERSION: u32 = 1;

/// Everything needed to continue mining where a [`super::Miner`] stopped.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct MinerSnapshot {
    pub version: u32,
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
