//! The API's traits implemented over the daemon's parts: [`SidecarEngine`] gives `/v1/classify`
//! the sidecar's live miner (locked per message, see `sidecar::live`), [`Jobs`] gives
//! `/v1/jobs` the job runner.

use crate::api::{JobControl, JobControlError, Labelled, LiveEngine, NotReady, RunRecord};
use crate::config::JobSpec;
use crate::engine::ClusterInfo;
use crate::jobs::scheduler::JobRunner;
use crate::jobs::JobError;
use crate::sidecar::LiveMiner;
use futures::future::BoxFuture;
use std::sync::Arc;

/// The sidecar's live miner as the API's [`LiveEngine`].
pub struct SidecarEngine(pub Arc<LiveMiner>);

impl LiveEngine for SidecarEngine {
    fn learn(&self, message: &str) -> Result<Labelled, NotReady> {
        let mut g = self.0.write();
        Ok(crate::api::live::learn_in(g.as_mut().ok_or(NotReady)?, message))
    }

    fn classify(&self, message: &str) -> Result<Option<Labelled>, NotReady> {
        let g = self.0.read();
        Ok(crate::api::live::classify_in(g.as_ref().ok_or(NotReady)?, message))
    }

    /// One lock per message, so a bulk request never holds the miner for long either.
    fn learn_many(&self, messages: &[&str]) -> Result<Vec<Labelled>, NotReady> {
        messages.iter().map(|m| self.learn(m)).collect()
    }

    fn cluster_count(&self) -> Option<usize> {
        self.0.read().as_ref().map(|m| m.len())
    }

    fn clusters(&self) -> Option<Vec<ClusterInfo>> {
        self.0.read().as_ref().map(|m| m.clusters())
    }

    fn is_loaded(&self) -> bool {
        self.0.is_loaded()
    }
}

/// The job runner of `logsift run` as the API's [`JobControl`].
pub struct Jobs(pub Arc<JobRunner>);

fn control_error(e: JobError) -> JobControlError {
    match e {
        JobError::UnknownJob(n) => JobControlError::UnknownJob(n),
        JobError::AlreadyRunning(_) | JobError::Locked(_) => JobControlError::Conflict(e.to_string()),
        other => JobControlError::Unavailable(other.to_string()),
    }
}

fn record<T: serde::Serialize>(r: T) -> RunRecord {
    serde_json::to_value(r).unwrap_or_default()
}

impl JobControl for Jobs {
    fn specs(&self) -> Vec<JobSpec> {
        self.0.specs().to_vec()
    }

    fn is_running(&self, name: &str) -> bool {
        self.0.is_running(name)
    }

    fn last<'a>(&'a self, name: &'a str) -> BoxFuture<'a, Result<Option<RunRecord>, JobControlError>> {
        Box::pin(async move { self.0.last(name).await.map(|r| r.map(record)).map_err(control_error) })
    }

    fn run_now<'a>(&'a self, name: &'a str) -> BoxFuture<'a, Result<RunRecord, JobControlError>> {
        Box::pin(async move { self.0.run_now(name).await.map(record).map_err(control_error) })
    }

    fn start(&self, name: &str) -> Result<(), JobControlError> {
        self.0.start(name).map_err(control_error)
    }

    fn cancel(&self, name: &str) -> bool {
        self.0.cancel(name)
    }
}
