//! [`BulkUpdateSink`]: sends bulk actions in chunks and resends only the items that failed with
//! 429/5xx, with exponential backoff. Conflicts (409) and missing documents (404) are reported,
//! not retried: a conflicting document stays unlabelled and is read again on the next pass.

use super::SinkError;
use crate::es::bulk::{BulkOp, ItemOutcome};
use crate::es::{EsClient, RetryPolicy};
use crate::metrics::Counter;
use std::sync::Arc;
use tracing::warn;

/// What became of the actions of one [`BulkUpdateSink::write`].
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct WriteReport {
    pub ok: u64,
    pub conflicts: u64,
    pub missing: u64,
    pub failed: u64,
    /// Per action, whether it was applied (same order as the input).
    pub applied: Vec<bool>,
    /// Per action, whether it came back 409 (it may be ours from a resent request).
    pub conflicted: Vec<bool>,
}

pub struct BulkUpdateSink {
    client: EsClient,
    bulk_size: usize,
    retry: RetryPolicy,
    /// Counters (in the metrics registry) of items sent again after a retriable item failure.
    retry_counters: Vec<Arc<Counter>>,
}

impl BulkUpdateSink {
    pub fn new(client: EsClient, bulk_size: usize, retry: RetryPolicy) -> Self {
        BulkUpdateSink { client, bulk_size, retry, retry_counters: Vec::new() }
    }

    /// Also counts every resent item in `counter`.
    pub fn counting_retries(mut self, counter: Arc<Counter>) -> Self {
        self.retry_counters.push(counter);
        self
    }

    pub async fn write(&self, ops: &[BulkOp]) -> Result<WriteReport, SinkError> {
        let mut report =
            WriteReport { applied: vec![false; ops.len()], conflicted: vec![false; ops.len()], ..Default::default() };
        for (chunk_no, chunk) in ops.chunks(self.bulk_size).enumerate() {
            let base = chunk_no * self.bulk_size;
            // Indices (into `ops`) still to send.
            let mut todo: Vec<usize> = (base..base + chunk.len()).collect();
            let mut attempt = 0u32;
            loop {
                let outcomes = self.client.bulk(todo.iter().map(|&i| &ops[i])).await?;
                let mut again = Vec::new();
                let mut first_reason = String::new();
                for (&i, outcome) in todo.iter().zip(outcomes) {
                    match outcome {
                        ItemOutcome::Ok => {
                            report.ok += 1;
                            report.applied[i] = true;
                        }
                        ItemOutcome::Conflict => {
                            report.conflicts += 1;
                            report.conflicted[i] = true;
                        }
                        ItemOutcome::Missing => report.missing += 1,
                        ItemOutcome::Failed { status, reason } => {
                            report.failed += 1;
                            warn!(status, reason = %reason, "bulk item refused");
                        }
                        ItemOutcome::Retriable { status, reason } => {
                            if first_reason.is_empty() {
                                first_reason = format!("{status} {reason}");
                            }
                            again.push(i);
                        }
                    }
                }
                if again.is_empty() {
                    break;
                }
                attempt += 1;
                if attempt > self.retry.max_retries {
                    return Err(SinkError::ItemsExhausted { n: again.len(), attempts: attempt, first: first_reason });
                }
                for c in &self.retry_counters {
                    c.add(again.len() as u64);
                }
                let wait = self.retry.backoff(attempt);
                warn!(n_failed = again.len(), attempt, wait_ms = wait.as_millis() as u64, first = %first_reason,
                      "bulk update partially failed, resending failed items");
                tokio::time::sleep(wait).await;
                todo = again;
            }
        }
        Ok(report)
    }
}
