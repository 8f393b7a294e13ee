//! The sidecar's live engine, shared with the classify API: a miner behind a lock that is never
//! held for more than one message (or one small, bounded step such as reading a template), so a
//! request waits microseconds, not a batch. `None` until the engine is restored or rebuilt.
//!
//! One poisoning policy: a panic while the lock was held does not make the miner unusable
//! (the engine never panics on input; its state is only changed by whole `add` calls), so
//! every access recovers the guard (`into_inner`) instead of propagating the poison.

use crate::engine::Miner;
use std::sync::{RwLock, RwLockReadGuard, RwLockWriteGuard};

/// The live miner of one source.
#[derive(Debug, Default)]
pub struct LiveMiner(RwLock<Option<Miner>>);

impl LiveMiner {
    /// A live miner holding `miner` (or nothing yet).
    pub fn new(miner: Option<Miner>) -> LiveMiner {
        LiveMiner(RwLock::new(miner))
    }

    /// Shared access, for reading templates, parameters or a snapshot.
    pub fn read(&self) -> RwLockReadGuard<'_, Option<Miner>> {
        self.0.read().unwrap_or_else(|e| e.into_inner())
    }

    /// Exclusive access, for one `add` (or for putting a restored miner in place).
    pub fn write(&self) -> RwLockWriteGuard<'_, Option<Miner>> {
        self.0.write().unwrap_or_else(|e| e.into_inner())
    }

    pub fn is_loaded(&self) -> bool {
        self.read().is_some()
    }

    /// The number of clusters (0 before the engine is loaded).
    pub fn cluster_count(&self) -> usize {
        self.read().as_ref().map_or(0, Miner::len)
    }
}
