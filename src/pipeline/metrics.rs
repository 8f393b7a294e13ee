//! Counters of the sidecar: a plain struct of atomics, shared by the pipeline and (later) the API.

use serde::Serialize;
use std::sync::atomic::{AtomicI64, AtomicU64, Ordering::Relaxed};

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
    /// Time (Unix milliseconds) of the newest document the checkpoint covers; 0 = none yet.
    /// `now − this` is the lag exported in `/metrics`.
    pub newest_doc_millis: AtomicI64,
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
    /// Records the checkpoint's newest document time (RFC 3339), if it parses.
    pub fn set_newest_doc(&self, rfc3339: Option<&str>) {
        if let Some(t) = rfc3339.and_then(|t| chrono::DateTime::parse_from_rfc3339(t).ok()) {
            self.newest_doc_millis.fetch_max(t.timestamp_millis(), Relaxed);
        }
    }

    /// Seconds between `now` and the newest document time processed, if any.
    pub fn lag_seconds(&self, now: chrono::DateTime<chrono::Utc>) -> Option<f64> {
        let t = self.newest_doc_millis.load(Relaxed);
        (t != 0).then(|| (now.timestamp_millis() - t) as f64 / 1000.0)
    }

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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lag_is_now_minus_the_newest_document_time() {
        let m = Metrics::default();
        let now = chrono::DateTime::parse_from_rfc3339("2026-01-01T00:01:00Z").unwrap().to_utc();
        assert_eq!(m.lag_seconds(now), None);
        m.set_newest_doc(Some("2026-01-01T00:00:00.500Z"));
        m.set_newest_doc(Some("2025-12-31T00:00:00Z"));
        m.set_newest_doc(Some("not a time"));
        assert_eq!(m.lag_seconds(now), Some(59.5));
    }
}
