//! The template engine: pure, synchronous log-template mining.
//!
//! No I/O, no async, no clock, no serde_json. Every function that takes a log line
//! returns an answer for it (a line that matches nothing starts a new cluster); only
//! configuration ([`EngineConfig::validate`]) and snapshots ([`Miner::restore`]) can fail.
//!
//! # Layout
//! - [`mask`]: tokenisation and masking of variables in one pass ([`Masker`]).
//! - [`drain`]: the online, incremental miner ([`Miner`]).
//! - [`batch`]: shared types of the batch miners ([`Support`], [`BatchResult`]).
//! - [`slct`], [`logcluster`]: R. Vaarandi's support-threshold batch miners.
//! - `shape`: the line memo, what the miner did with recent lines of each shape.
//! - [`snapshot`]: the versioned, serialisable miner state.
//! - [`compare`]: two periods' counts per template → new, gone, grew, shrank (G-test, Bonferroni).
//! - [`audit`]: rarity of (who, what, where, which) combinations of audit events, bounded state.

pub mod audit;
pub mod batch;
pub mod compare;
pub mod drain;
pub mod logcluster;
pub mod mask;
mod shape;
pub mod slct;
pub mod snapshot;

pub use batch::{BatchCluster, BatchResult, Support};
pub use drain::{Assignment, Change, ClusterInfo, DrainConfig, Miner};
pub use mask::{MaskConfig, Masker};
pub use snapshot::{MinerSnapshot, SnapshotError};

use std::fmt;

/// The wildcard that stands for a variable in a template.
pub const WILDCARD: &str = "<*>";

/// A cluster's id: given when the cluster is born, never changed afterwards.
/// Ids count up from 1 in order of birth, so the same input order gives the same ids.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ClusterId(pub u64);

impl fmt::Display for ClusterId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.0)
    }
}

/// Everything that configures the engine. Built by the `config` edge module or
/// by hand; checked by [`EngineConfig::validate`] before use.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct EngineConfig {
    pub masks: MaskConfig,
    pub drain: DrainConfig,
}

/// A configuration or snapshot value the engine refuses, with the key at fault.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error("invalid engine setting `{key}`: {reason}")]
pub struct ConfigError {
    pub key: String,
    pub reason: String,
}

impl ConfigError {
    pub fn new(key: impl Into<String>, reason: impl Into<String>) -> Self {
        ConfigError { key: key.into(), reason: reason.into() }
    }
}

impl EngineConfig {
    pub fn validate(&self) -> Result<(), ConfigError> {
        self.masks.validate()?;
        self.drain.validate()
    }
}

/// Decodes bytes as UTF-8, replacing invalid sequences, so that no input line is refused.
pub fn lossy(bytes: &[u8]) -> std::borrow::Cow<'_, str> {
    String::from_utf8_lossy(bytes)
}
