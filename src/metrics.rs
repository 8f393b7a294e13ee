//! Process metrics: a small registry of atomic counters and gauges, rendered as Prometheus text.
//!
//! One [`Metrics`] value is created at start and shared (`Arc`) by the sidecar pipeline, the jobs
//! and the HTTP API; each increments the families it owns and `GET /metrics` renders them all.
//! Hot paths should resolve a labelled child once (`metrics.documents_read.with(&[source])`) and
//! keep the returned `Arc`, so an increment is a single relaxed atomic add.
//!
//! No global state: tests build their own registry.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, RwLock};

/// A monotonically increasing count.
#[derive(Debug, Default)]
pub struct Counter(AtomicU64);

impl Counter {
    pub fn inc(&self) {
        self.add(1);
    }

    pub fn add(&self, n: u64) {
        self.0.fetch_add(n, Ordering::Relaxed);
    }

    pub fn get(&self) -> u64 {
        self.0.load(Ordering::Relaxed)
    }
}

/// A value that goes up and down (stored as the bits of an `f64`).
#[derive(Debug, Default)]
pub struct Gauge(AtomicU64);

impl Gauge {
    pub fn set(&self, v: f64) {
        self.0.store(v.to_bits(), Ordering::Relaxed);
    }

    pub fn get(&self) -> f64 {
        f64::from_bits(self.0.load(Ordering::Relaxed))
    }

    /// Raises the gauge to `v` if `v` is larger (for "newest time seen").
    pub fn set_max(&self, v: f64) {
        let _ = self
            .0
            .fetch_update(Ordering::Relaxed, Ordering::Relaxed, |old| (v > f64::from_bits(old)).then_some(v.to_bits()));
    }
}

/// How a metric value is written in the exposition format.
pub trait MetricValue: Default + Send + Sync {
    const KIND: &'static str;
    fn render(&self) -> String;
}

impl MetricValue for Counter {
    const KIND: &'static str = "counter";
    fn render(&self) -> String {
        self.get().to_string()
    }
}

impl MetricValue for Gauge {
    const KIND: &'static str = "gauge";
    fn render(&self) -> String {
        let v = self.get();
        if v.is_finite() {
            format!("{v}")
        } else if v.is_nan() {
            "NaN".into()
        } else if v > 0.0 {
            "+Inf".into()
        } else {
            "-Inf".into()
        }
    }
}

/// A metric with a fixed set of label names; one child per combination of label values.
#[derive(Debug)]
pub struct Family<M> {
    name: &'static str,
    help: &'static str,
    labels: &'static [&'static str],
    children: RwLock<BTreeMap<Vec<String>, Arc<M>>>,
}

impl<M: MetricValue> Family<M> {
    pub fn new(name: &'static str, help: &'static str, labels: &'static [&'static str]) -> Self {
        Family { name, help, labels, children: RwLock::new(BTreeMap::new()) }
    }

    /// The child for these label values (created at zero on first use). Extra values are
    /// ignored and missing ones are empty, so a wrong call site never panics.
    pub fn with(&self, values: &[&str]) -> Arc<M> {
        let key: Vec<String> =
            (0..self.labels.len()).map(|i| values.get(i).copied().unwrap_or("").to_string()).collect();
        if let Some(m) = self.children.read().unwrap_or_else(|e| e.into_inner()).get(&key) {
            return Arc::clone(m);
        }
        let mut w = self.children.write().unwrap_or_else(|e| e.into_inner());
        Arc::clone(w.entry(key).or_default())
    }

    pub fn name(&self) -> &'static str {
        self.name
    }

    fn render_into(&self, out: &mut String) {
        let _ = writeln!(out, "# HELP {} {}", self.name, self.help);
        let _ = writeln!(out, "# TYPE {} {}", self.name, M::KIND);
        let children = self.children.read().unwrap_or_else(|e| e.into_inner());
        if children.is_empty() && self.labels.is_empty() {
            let _ = writeln!(out, "{} {}", self.name, M::default().render());
        }
        for (values, m) in children.iter() {
            out.push_str(self.name);
            if !self.labels.is_empty() {
                out.push('{');
                for (i, (k, v)) in self.labels.iter().zip(values).enumerate() {
                    if i > 0 {
                        out.push(',');
                    }
                    let _ = write!(out, "{k}=\"{}\"", escape_label(v));
                }
                out.push('}');
            }
            let _ = writeln!(out, " {}", m.render());
        }
    }
}

fn escape_label(v: &str) -> String {
    v.replace('\\', "\\\\").replace('"', "\\\"").replace('\n', "\\n")
}

/// Every metric logsift exports. Fields are public so each component increments its own.
#[derive(Debug)]
pub struct Metrics {
    /// Documents fetched from the search server, per source.
    pub documents_read: Family<Counter>,
    /// Documents whose `logsift.*` fields were written back, per source.
    pub documents_labelled: Family<Counter>,
    /// Documents not labelled, per source and reason (`no_message`, `not_a_string`, ...).
    pub documents_skipped: Family<Counter>,
    /// Unix time of the newest document the checkpoint covers, per source; `/metrics` shows
    /// `logsift_lag_seconds` = scrape time minus this (absent until a first document).
    pub newest_document: Family<Gauge>,
    /// Clusters known to the live miner, per source.
    pub clusters: Family<Gauge>,
    /// Bulk requests (or items) retried after a retriable failure.
    pub bulk_retries: Family<Counter>,
    /// Bulk items that failed for good.
    pub bulk_failures: Family<Counter>,
    /// Bulk requests the sidecar sent, per source.
    pub bulk_requests: Family<Counter>,
    /// Bulk items the sidecar resent after a retriable item failure, per source.
    pub bulk_item_retries: Family<Counter>,
    /// Batches the sidecar finished, per source.
    pub batches: Family<Counter>,
    /// Clusters born in the sidecar, per source.
    pub clusters_created: Family<Counter>,
    /// Clusters recounted exactly from the documents, per source.
    pub clusters_recounted: Family<Counter>,
    /// Reads (search or scroll pages) that failed, per source.
    pub read_failures: Family<Counter>,
    /// Job runs finished, per job and outcome (`success`, `failed`, `cancelled`, `skipped_locked`).
    pub job_runs: Family<Counter>,
    /// 1 while a job runs, per job.
    pub job_running: Family<Gauge>,
    /// HTTP API requests answered, per route and status code.
    pub api_requests: Family<Counter>,
    /// Messages classified through the API, per source and mode (`learn` or `classify`).
    pub api_classified: Family<Counter>,
    /// New-template webhook calls, per source and outcome (`sent`, `failed`).
    pub notifications: Family<Counter>,
    /// New templates reported by webhook calls that were delivered, per source.
    pub notified_templates: Family<Counter>,
    /// New templates that found the notification queue full (counted in the next call, not listed).
    pub notify_omitted: Family<Counter>,
}

impl Default for Metrics {
    fn default() -> Self {
        Metrics {
            documents_read: Family::new(
                "logsift_documents_read_total",
                "Documents read from the search server.",
                &["source"],
            ),
            documents_labelled: Family::new(
                "logsift_documents_labelled_total",
                "Documents labelled with logsift fields.",
                &["source"],
            ),
            documents_skipped: Family::new(
                "logsift_documents_skipped_total",
                "Documents not labelled, by reason.",
                &["source", "reason"],
            ),
            newest_document: Family::new(
                "logsift_newest_document_timestamp_seconds",
                "Unix time of the newest document the checkpoint covers.",
                &["source"],
            ),
            clusters: Family::new("logsift_clusters", "Clusters known to the live miner.", &["source"]),
            bulk_retries: Family::new(
                "logsift_bulk_retries_total",
                "Bulk requests retried after a retriable failure.",
                &[],
            ),
            bulk_failures: Family::new("logsift_bulk_failures_total", "Bulk items that failed for good.", &[]),
            bulk_requests: Family::new(
                "logsift_bulk_requests_total",
                "Bulk requests sent by the sidecar.",
                &["source"],
            ),
            bulk_item_retries: Family::new(
                "logsift_bulk_item_retries_total",
                "Bulk items resent after a retriable item failure.",
                &["source"],
            ),
            batches: Family::new("logsift_batches_total", "Batches the sidecar finished.", &["source"]),
            clusters_created: Family::new(
                "logsift_clusters_created_total",
                "Clusters born in the sidecar.",
                &["source"],
            ),
            clusters_recounted: Family::new(
                "logsift_clusters_recounted_total",
                "Clusters recounted exactly from the documents.",
                &["source"],
            ),
            read_failures: Family::new(
                "logsift_read_failures_total",
                "Search or scroll pages that failed.",
                &["source"],
            ),
            job_runs: Family::new(
                "logsift_job_runs_total",
                "Job runs finished, by job and outcome.",
                &["job", "outcome"],
            ),
            job_running: Family::new("logsift_job_running", "1 while the job runs.", &["job"]),
            api_requests: Family::new(
                "logsift_api_requests_total",
                "HTTP API requests answered, by route and status.",
                &["route", "status"],
            ),
            api_classified: Family::new(
                "logsift_api_classified_total",
                "Messages classified through the HTTP API.",
                &["source", "mode"],
            ),
            notifications: Family::new(
                "logsift_notifications_total",
                "New-template webhook calls, by outcome.",
                &["source", "outcome"],
            ),
            notified_templates: Family::new(
                "logsift_notified_templates_total",
                "New templates reported by delivered webhook calls.",
                &["source"],
            ),
            notify_omitted: Family::new(
                "logsift_notify_omitted_total",
                "New templates that found the notification queue full (counted, not listed).",
                &["source"],
            ),
        }
    }
}

impl Metrics {
    pub fn new() -> Arc<Metrics> {
        Arc::new(Metrics::default())
    }

    /// The Prometheus text exposition (format 0.0.4) of every family, at the current time.
    pub fn render(&self) -> String {
        self.render_at(chrono::Utc::now())
    }

    /// [`Metrics::render`] with `now` as the scrape time (the lag is computed from it).
    pub fn render_at(&self, now: chrono::DateTime<chrono::Utc>) -> String {
        let mut out = String::with_capacity(4096);
        self.documents_read.render_into(&mut out);
        self.documents_labelled.render_into(&mut out);
        self.documents_skipped.render_into(&mut out);
        self.render_lag(&mut out, now);
        self.newest_document.render_into(&mut out);
        self.clusters.render_into(&mut out);
        self.bulk_retries.render_into(&mut out);
        self.bulk_failures.render_into(&mut out);
        self.bulk_requests.render_into(&mut out);
        self.bulk_item_retries.render_into(&mut out);
        self.batches.render_into(&mut out);
        self.clusters_created.render_into(&mut out);
        self.clusters_recounted.render_into(&mut out);
        self.read_failures.render_into(&mut out);
        self.job_runs.render_into(&mut out);
        self.job_running.render_into(&mut out);
        self.api_requests.render_into(&mut out);
        self.api_classified.render_into(&mut out);
        self.notifications.render_into(&mut out);
        self.notified_templates.render_into(&mut out);
        self.notify_omitted.render_into(&mut out);
        out
    }

    /// `logsift_lag_seconds{source}`: `now` minus each source's newest document time.
    fn render_lag(&self, out: &mut String, now: chrono::DateTime<chrono::Utc>) {
        let _ = writeln!(out, "# HELP logsift_lag_seconds Seconds between now and the newest document time processed.");
        let _ = writeln!(out, "# TYPE logsift_lag_seconds gauge");
        let now = now.timestamp_millis() as f64 / 1000.0;
        let children = self.newest_document.children.read().unwrap_or_else(|e| e.into_inner());
        for (values, newest) in children.iter() {
            let t = newest.get();
            if t > 0.0 {
                let lag = Gauge::default();
                lag.set(((now - t) * 1000.0).round() / 1000.0);
                let _ =
                    writeln!(out, "logsift_lag_seconds{{source=\"{}\"}} {}", escape_label(&values[0]), lag.render());
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn renders_labelled_and_plain_families() {
        let m = Metrics::default();
        m.documents_skipped.with(&["ssh", "no_message"]).add(3);
        m.documents_skipped.with(&["ssh", "no_message"]).inc();
        m.clusters.with(&["ssh"]).set(1.5);
        m.bulk_retries.with(&[]).add(2);
        let text = m.render();
        assert!(text.contains("logsift_documents_skipped_total{source=\"ssh\",reason=\"no_message\"} 4\n"), "{text}");
        assert!(text.contains("logsift_clusters{source=\"ssh\"} 1.5\n"));
        assert!(text.contains("logsift_bulk_retries_total 2\n"));
        // An unlabelled family with no child still shows its zero.
        assert!(text.contains("logsift_bulk_failures_total 0\n"));
        assert!(text.contains("# TYPE logsift_lag_seconds gauge\n"));
    }

    #[test]
    fn escapes_label_values_and_tolerates_wrong_arity() {
        let m = Metrics::default();
        m.job_runs.with(&["re\"mine\n"]).inc();
        let text = m.render();
        assert!(text.contains("logsift_job_runs_total{job=\"re\\\"mine\\n\",outcome=\"\"} 1\n"), "{text}");
    }
}
