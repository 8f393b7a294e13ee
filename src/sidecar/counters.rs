//! The sidecar's counters: handles into the one metrics registry ([`crate::metrics::Metrics`]),
//! resolved once per source, so `/metrics` renders what the sidecar counts without a copy and a
//! hot-path increment is one relaxed atomic add. [`Counters::snapshot`] reads them for the run
//! summary.

use crate::metrics::{Counter, Gauge, Metrics};
use serde::Serialize;
use std::sync::Arc;

/// The sidecar's counters for one source.
#[derive(Debug)]
pub struct Counters {
    pub docs_read: Arc<Counter>,
    pub docs_labelled: Arc<Counter>,
    /// Read again (labelled by someone else or newer than the checkpoint), counted, not rewritten.
    pub docs_already_labelled: Arc<Counter>,
    pub skipped_missing_field: Arc<Counter>,
    pub skipped_not_string: Arc<Counter>,
    pub skipped_too_large: Arc<Counter>,
    pub write_conflicts: Arc<Counter>,
    pub write_missing: Arc<Counter>,
    write_failed: Arc<Counter>,
    bulk_failures: Arc<Counter>,
    pub bulk_requests: Arc<Counter>,
    /// Items resent by the sidecar's bulk writes (per source).
    pub bulk_item_retries: Arc<Counter>,
    /// Every retry of a bulk request or item, the jobs' too (`logsift_bulk_retries_total`).
    pub bulk_retries: Arc<Counter>,
    pub batches: Arc<Counter>,
    pub clusters_recounted: Arc<Counter>,
    pub clusters_created: Arc<Counter>,
    pub read_failures: Arc<Counter>,
    /// Documents of indices that refused the `logsift.*` mapping (left unlabelled).
    pub docs_unmappable: Arc<Counter>,
    /// Time (Unix seconds) of the newest document the checkpoint covers; 0 = none yet.
    /// `/metrics` exports `now − this` as `logsift_lag_seconds`.
    newest_doc: Arc<Gauge>,
}

/// A copy of the counters at one moment.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct CountersSnapshot {
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
    pub docs_unmappable: u64,
}

impl CountersSnapshot {
    pub fn skipped(&self) -> u64 {
        self.skipped_missing_field + self.skipped_not_string + self.skipped_too_large
    }
}

impl Counters {
    /// The counters of `source` in `metrics` (created at zero on first use).
    pub fn register(metrics: &Metrics, source: &str) -> Counters {
        let skipped = |reason: &str| metrics.documents_skipped.with(&[source, reason]);
        Counters {
            docs_read: metrics.documents_read.with(&[source]),
            docs_labelled: metrics.documents_labelled.with(&[source]),
            docs_already_labelled: skipped("already_labelled"),
            skipped_missing_field: skipped("missing_field"),
            skipped_not_string: skipped("not_string"),
            skipped_too_large: skipped("too_large"),
            write_conflicts: skipped("write_conflict"),
            write_missing: skipped("document_gone"),
            write_failed: skipped("write_refused"),
            bulk_failures: metrics.bulk_failures.with(&[]),
            bulk_requests: metrics.bulk_requests.with(&[source]),
            bulk_item_retries: metrics.bulk_item_retries.with(&[source]),
            bulk_retries: metrics.bulk_retries.with(&[]),
            batches: metrics.batches.with(&[source]),
            clusters_recounted: metrics.clusters_recounted.with(&[source]),
            clusters_created: metrics.clusters_created.with(&[source]),
            read_failures: metrics.read_failures.with(&[source]),
            docs_unmappable: skipped("mapping_refused"),
            newest_doc: metrics.newest_document.with(&[source]),
        }
    }

    /// Bulk items refused for good (also counted in `logsift_bulk_failures_total`).
    pub fn add_write_failed(&self, n: u64) {
        self.write_failed.add(n);
        self.bulk_failures.add(n);
    }

    /// Records the checkpoint's newest document time (RFC 3339), if it parses and is newer.
    pub fn set_newest_doc(&self, rfc3339: Option<&str>) {
        if let Some(t) = rfc3339.and_then(|t| chrono::DateTime::parse_from_rfc3339(t).ok()) {
            self.newest_doc.set_max(t.timestamp_millis() as f64 / 1000.0);
        }
    }

    /// The counter of a [`crate::message::SkipReason::kind`].
    pub fn skipped_counter(&self, kind: &str) -> &Counter {
        match kind {
            "missing_field" => &self.skipped_missing_field,
            "not_string" => &self.skipped_not_string,
            _ => &self.skipped_too_large,
        }
    }

    pub fn snapshot(&self) -> CountersSnapshot {
        CountersSnapshot {
            docs_read: self.docs_read.get(),
            docs_labelled: self.docs_labelled.get(),
            docs_already_labelled: self.docs_already_labelled.get(),
            skipped_missing_field: self.skipped_missing_field.get(),
            skipped_not_string: self.skipped_not_string.get(),
            skipped_too_large: self.skipped_too_large.get(),
            write_conflicts: self.write_conflicts.get(),
            write_missing: self.write_missing.get(),
            write_failed: self.write_failed.get(),
            bulk_requests: self.bulk_requests.get(),
            bulk_item_retries: self.bulk_item_retries.get(),
            batches: self.batches.get(),
            clusters_recounted: self.clusters_recounted.get(),
            clusters_created: self.clusters_created.get(),
            read_failures: self.read_failures.get(),
            docs_unmappable: self.docs_unmappable.get(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_land_in_the_registry_and_lag_follows_the_newest_document() {
        let m = Metrics::default();
        let c = Counters::register(&m, "ssh");
        c.docs_read.add(3);
        c.add_write_failed(2);
        c.bulk_item_retries.inc();
        c.bulk_retries.inc();
        m.bulk_retries.with(&[]).inc(); // a job's retry goes to the same family
        let now = chrono::DateTime::parse_from_rfc3339("2026-01-01T00:01:00Z").unwrap().to_utc();
        let text = m.render_at(now);
        assert!(!text.contains("logsift_lag_seconds{"), "no lag before a first document: {text}");
        c.set_newest_doc(Some("2026-01-01T00:00:00.500Z"));
        c.set_newest_doc(Some("2025-12-31T00:00:00Z"));
        c.set_newest_doc(Some("not a time"));
        let text = m.render_at(now);
        assert!(text.contains("logsift_documents_read_total{source=\"ssh\"} 3\n"), "{text}");
        assert!(text.contains("logsift_documents_skipped_total{source=\"ssh\",reason=\"write_refused\"} 2\n"));
        assert!(text.contains("logsift_bulk_failures_total 2\n"));
        assert!(text.contains("logsift_bulk_retries_total 2\n"));
        assert!(text.contains("logsift_lag_seconds{source=\"ssh\"} 59.5\n"), "{text}");
        assert_eq!(c.snapshot().write_failed, 2);
        assert_eq!(c.snapshot().bulk_item_retries, 1);
    }
}
