//! Counters of the sidecar: a plain struct of atomics, shared by the pipeline and (later) the API.

use serde::Serialize;
use std::sync::atomic::{AtomicU64, Ordering::Relaxed};

#[derive(Debug, Default)]
pub struct Metrics {
    pub docs_read: AtomicU64,
    pub docs_labelled: AtomicU64,
    /// Read again (labelled by someone else or newer than the checkpoint), counted, not rewritten.
    pub docs_already_labelled: AtomicU64,
    pub skipped_missing_field: AtomicU64,
    pub skipped_not_string: AtomicU64,
    pub skipped_too_large: AtomicU64,
    pub write_conflicts: AtomicU64,
    pub write_missing: AtomicU64,
    pub write_failed: AtomicU64,
    pub bulk_requests: AtomicU64,
    pub bulk_item_retries: AtomicU64,
    pub batches: AtomicU64,
    pub clusters_recounted: AtomicU64,
    pub clusters_created: AtomicU64,
    pub read_failures: AtomicU64,
}

/// A copy of the counters at one moment.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct MetricsSnapshot {
    pub docs_read: u64,
    pub docs_labelled: u64,
    pub docs_already_labelled: u64,
    pub skipped_missing_field: u64,
    pub skipped_not_string: u64,
    pub skipped_too_large: u64,
    pub write_conflicts: u64,
    pub write_missing: u64,
    pub write_failed: u64,
    pub bulk_requests: u64,
    pub bulk_item_retries: u64,
    pub batches: u64,
    pub clusters_recounted: u64,
    pub clusters_created: u64,
    pub read_failures: u64,
}

impl MetricsSnapshot {
    pub fn skipped(&self) -> u64 {
        self.skipped_missing_field + self.skipped_not_string + self.skipped_too_large
    }
}

impl Metrics {
    pub fn add(counter: &AtomicU64, n: u64) {
        counter.fetch_add(n, Relaxed);
    }

    /// The counter of a [`crate::source::SkipReason::kind`].
    pub fn skipped_counter(&self, kind: &str) -> &AtomicU64 {
        match kind {
            "missing_field" => &self.skipped_missing_field,
            "not_string" => &self.skipped_not_string,
            _ => &self.skipped_too_large,
        }
    }

    pub fn snapshot(&self) -> MetricsSnapshot {
        MetricsSnapshot {
            docs_read: self.docs_read.load(Relaxed),
            docs_labelled: self.docs_labelled.load(Relaxed),
            docs_already_labelled: self.docs_already_labelled.load(Relaxed),
            skipped_missing_field: self.skipped_missing_field.load(Relaxed),
            skipped_not_string: self.skipped_not_string.load(Relaxed),
            skipped_too_large: self.skipped_too_large.load(Relaxed),
            write_conflicts: self.write_conflicts.load(Relaxed),
            write_missing: self.write_missing.load(Relaxed),
            write_failed: self.write_failed.load(Relaxed),
            bulk_requests: self.bulk_requests.load(Relaxed),
            bulk_item_retries: self.bulk_item_retries.load(Relaxed),
            batches: self.batches.load(Relaxed),
            clusters_recounted: self.clusters_recounted.load(Relaxed),
            clusters_created: self.clusters_created.load(Relaxed),
            read_failures: self.read_failures.load(Relaxed),
        }
    }
}
