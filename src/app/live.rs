//! The API's traits implemented over the daemon's parts: [`SidecarEngine`] gives `/v1/classify`
//! the sidecar's live miner (locked per message, see `sidecar::live`), [`Jobs`] gives
//! `/v1/jobs` the job runners (one per source).

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

/// The job runners of `logsift run` (one per source) as the API's [`JobControl`]; job names
/// are unique across sources, so a name finds its runner.
pub struct Jobs(pub Vec<Arc<JobRunner>>);

impl Jobs {
    /// The runner of job `name`, or the first one (which then answers "unknown job").
    fn runner(&self, name: &str) -> &Arc<JobRunner> {
        self.0.iter().find(|r| r.specs().iter().any(|s| s.name == name)).unwrap_or(&self.0[0])
    }
}

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
        self.0.iter().flat_map(|r| r.specs().to_vec()).collect()
    }

    fn is_running(&self, name: &str) -> bool {
        self.runner(name).is_running(name)
    }

    fn last<'a>(&'a self, name: &'a str) -> BoxFuture<'a, Result<Option<RunRecord>, JobControlError>> {
        Box::pin(async move { self.runner(name).last(name).await.map(|r| r.map(record)).map_err(control_error) })
    }

    fn run_now<'a>(&'a self, name: &'a str) -> BoxFuture<'a, Result<RunRecord, JobControlError>> {
        Box::pin(async move { self.runner(name).run_now(name).await.map(record).map_err(control_error) })
    }

    fn start(&self, name: &str) -> Result<(), JobControlError> {
        self.runner(name).start(name).map_err(control_error)
    }

    fn cancel(&self, name: &str) -> bool {
        self.runner(name).cancel(name)
    }
}
