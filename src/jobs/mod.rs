//! Scheduled jobs: `remine`, `reindex`, `prune`. Each is declared with a name, a kind and an
//! optional schedule; [`run_job`] runs one under a lock in the state index (two sidecars never run
//! the same job at once), records the run there, and counts it in the metrics.
//!
//! # Layout
//! - [`schedule`]: cron expressions and intervals.
//! - [`lock`]: the lease lock document.
//! - [`record`]: run records (`job-run-*`, `job-last-*`).
//! - [`read`]: the scroll over a source's documents that `reindex` and `remine` share.
//! - [`reconcile`]: pure mapping of batch clusters onto existing cluster ids.
//! - [`relabel`]: guarded bulk relabelling, throttling, exact recounts.
//! - [`remine`]: the batch re-mining job.
//! - [`reindex`]: relabelling every document from scratch (after a change of masks).
//! - [`copy`]: the `_reindex` copy phase of a `reindex` job with a destination index.
//! - [`prune`]: forgetting clusters not seen for a while.
//! - [`config`]: the `[[jobs]]` config entries.
//! - [`scheduler`]: runs declared jobs on their schedules inside `logsift run`.

pub mod copy;
pub mod lock;
pub mod prune;
pub mod read;
pub mod reconcile;
pub mod record;
pub mod reindex;
pub mod relabel;
pub mod remine;
pub mod scheduler;

use crate::config::{JobKind, JobSpec, SourceConfig};
use crate::engine::EngineConfig;
use crate::es::{EsClient, EsError};
use crate::message::Extractor;
use crate::metrics::Metrics;
use lock::{JobLock, LockError};
use record::{Outcome, RunRecord};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;

/// Why a job run did not complete.
#[derive(Debug, thiserror::Error)]
pub enum JobError {
    #[error(transparent)]
    Es(#[from] EsError),
    #[error(transparent)]
    Locked(LockError),
    #[error("job was cancelled")]
    Cancelled,
    #[error("invalid job setting: {0}")]
    Config(String),
    #[error("unknown job `{0}`")]
    UnknownJob(String),
    #[error("job `{0}` is already running")]
    AlreadyRunning(String),
    #[error("the sidecar is shutting down: no new job runs")]
    ShuttingDown,
    #[error("{0}")]
    Write(String),
}

impl JobError {
    /// `Ok` for a cancelled run (it stopped as asked), the error otherwise.
    pub fn ok_if_cancelled(self) -> Result<(), JobError> {
        match self {
            JobError::Cancelled => Ok(()),
            e => Err(e),
        }
    }

    pub fn is_retriable(&self) -> bool {
        match self {
            JobError::Es(e) => e.is_retriable(),
            JobError::Locked(_) => true,
            _ => false,
        }
    }
}

impl From<LockError> for JobError {
    fn from(e: LockError) -> Self {
        match e {
            LockError::Es(e) => JobError::Es(e),
            held => JobError::Locked(held),
        }
    }
}

/// A cancellation flag shared between a running job and whoever may stop it.
#[derive(Clone, Debug, Default)]
pub struct Cancel(Arc<AtomicBool>);

impl Cancel {
    pub fn cancel(&self) {
        self.0.store(true, Ordering::SeqCst);
    }

    pub fn is_cancelled(&self) -> bool {
        self.0.load(Ordering::SeqCst)
    }
}

/// What every job needs: the server, the source, the engine settings, the indices.
#[derive(Clone)]
pub struct JobContext {
    pub job: String,
    pub client: EsClient,
    pub source: SourceConfig,
    pub extractor: Arc<Extractor>,
    pub engine: EngineConfig,
    pub clusters_index: String,
    pub state_index: String,
    pub metrics: Arc<Metrics>,
    /// Who runs it (host and process id), written into locks and run records.
    pub holder: String,
}

impl JobContext {
    /// The context of `job` for the configured source.
    pub fn from_config(
        cfg: &crate::config::Config,
        job: &str,
        client: EsClient,
        metrics: Arc<Metrics>,
    ) -> Result<JobContext, JobError> {
        let extractor = Extractor::new(&cfg.source.extract).map_err(|e| JobError::Config(e.to_string()))?;
        Ok(JobContext {
            job: job.to_string(),
            client,
            source: cfg.source.clone(),
            extractor: Arc::new(extractor),
            engine: cfg.engine.clone(),
            clusters_index: cfg.clusters_index.clone(),
            state_index: cfg.state_index.clone(),
            metrics,
            holder: holder_id(),
        })
    }
}

/// This process's identity for locks and records.
pub fn holder_id() -> String {
    let host = std::env::var("HOSTNAME").ok().filter(|h| !h.is_empty()).unwrap_or_else(|| "localhost".into());
    format!("{host}:{}", std::process::id())
}

const LEASE: Duration = Duration::from_secs(120);

/// Runs `spec` once under its lock and records the run. A job held elsewhere is not run
/// (`JobError::Locked`, nothing recorded). The lease is renewed while the job runs.
pub async fn run_job(ctx: &JobContext, spec: &JobSpec, cancel: &Cancel) -> Result<RunRecord, JobError> {
    let mut lock =
        JobLock::acquire(&ctx.client, &ctx.state_index, &spec.name, &ctx.holder, LEASE).await.map_err(|e| {
            if matches!(e, LockError::Held { .. }) {
                ctx.metrics.job_runs.with(&[&spec.name, "skipped_locked"]).inc();
            }
            JobError::from(e)
        })?;
    let mut rec = RunRecord::start(&spec.name, spec.kind.name(), &ctx.source.name, &ctx.holder);
    if let Err(e) = rec.save(&ctx.client, &ctx.state_index).await {
        // Nothing ran: give the lock back rather than leave it to expire.
        if let Err(error) = lock.release(&ctx.client).await {
            tracing::warn!(job = %spec.name, %error, "job lock release failed (it expires on its own)");
        }
        return Err(e.into());
    }
    ctx.metrics.job_running.with(&[&spec.name]).set(1.0);
    tracing::info!(job = %spec.name, kind = spec.kind.name(), run_id = %rec.run_id, "job started");
    let mut counts = record::RunCounts::default();
    let work = async {
        match &spec.kind {
            JobKind::Remine(r) => remine::run(ctx, r, cancel, &mut counts).await,
            JobKind::Reindex(r) => reindex::run(ctx, r, cancel, &mut counts).await,
            JobKind::Prune { older_than } => prune::run(ctx, *older_than, cancel, &mut counts).await,
        }
    };
    // Renew the lease while the work runs.
    let renew = async {
        loop {
            tokio::time::sleep(LEASE / 3).await;
            if let Err(error) = lock.renew(&ctx.client, LEASE).await {
                tracing::warn!(job = %spec.name, %error, "job lock renewal failed");
            }
        }
    };
    let result = tokio::select! { r = work => r, _ = renew => unreachable!("renewal loop never ends") };
    rec.counts = counts;
    let (outcome, error) = match &result {
        Ok(()) => (Outcome::Success, None),
        Err(JobError::Cancelled) => (Outcome::Cancelled, None),
        Err(e) => (Outcome::Failed, Some(e.to_string())),
    };
    rec.finish(outcome, error);
    ctx.metrics.job_running.with(&[&spec.name]).set(0.0);
    ctx.metrics.job_runs.with(&[&spec.name, outcome.as_str()]).inc();
    let saved = rec.save(&ctx.client, &ctx.state_index).await;
    if let Err(error) = lock.release(&ctx.client).await {
        tracing::warn!(job = %spec.name, %error, "job lock release failed (it expires on its own)");
    }
    match result {
        Ok(()) => {
            tracing::info!(job = %spec.name, run_id = %rec.run_id, relabelled = rec.counts.documents_relabelled, "job finished");
            saved?;
            Ok(rec)
        }
        Err(JobError::Cancelled) => {
            tracing::info!(job = %spec.name, run_id = %rec.run_id, "job cancelled");
            Err(JobError::Cancelled)
        }
        Err(e) => {
            tracing::warn!(job = %spec.name, run_id = %rec.run_id, error = %e, "job failed");
            Err(e)
        }
    }
}
