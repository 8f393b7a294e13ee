//! [`JobRunner`]: the declared jobs of one source, run on demand (CLI, API) or on their schedules
//! (inside `logsift run`), one at a time per source (a local mutex; the state-index lock keeps
//! other sidecars out), each cancellable.

use super::record::RunRecord;
use super::{run_job, Cancel, JobContext, JobError};
use crate::config::JobSpec;
use crate::shutdown::Shutdown;
use chrono::Utc;
use std::collections::HashMap;
use std::sync::{Arc, Mutex};

pub struct JobRunner {
    ctx: JobContext,
    specs: Vec<JobSpec>,
    /// Cancel flags of the running jobs.
    running: Mutex<HashMap<String, Cancel>>,
    /// One job at a time per source.
    one_at_a_time: tokio::sync::Mutex<()>,
}

impl JobRunner {
    pub fn new(ctx: JobContext, specs: Vec<JobSpec>) -> Arc<JobRunner> {
        Arc::new(JobRunner {
            ctx,
            specs,
            running: Mutex::new(HashMap::new()),
            one_at_a_time: tokio::sync::Mutex::new(()),
        })
    }

    pub fn specs(&self) -> &[JobSpec] {
        &self.specs
    }

    pub fn spec(&self, name: &str) -> Option<&JobSpec> {
        self.specs.iter().find(|s| s.name == name)
    }

    pub fn is_running(&self, name: &str) -> bool {
        self.running.lock().unwrap_or_else(|e| e.into_inner()).contains_key(name)
    }

    /// Asks a running job to stop at its next step; false when it is not running here.
    pub fn cancel(&self, name: &str) -> bool {
        match self.running.lock().unwrap_or_else(|e| e.into_inner()).get(name) {
            Some(c) => {
                c.cancel();
                true
            }
            None => false,
        }
    }

    /// The latest recorded run of `name` (from any sidecar).
    pub async fn last(&self, name: &str) -> Result<Option<RunRecord>, JobError> {
        Ok(RunRecord::last(&self.ctx.client, &self.ctx.state_index, name).await?)
    }

    /// Runs `name` now and waits for it (after any other job of this source finishes).
    pub async fn run_now(&self, name: &str) -> Result<RunRecord, JobError> {
        let spec = self.spec(name).ok_or_else(|| JobError::UnknownJob(name.to_string()))?.clone();
        let cancel = {
            let mut running = self.running.lock().unwrap_or_else(|e| e.into_inner());
            if running.contains_key(name) {
                return Err(JobError::AlreadyRunning(name.to_string()));
            }
            let c = Cancel::default();
            running.insert(name.to_string(), c.clone());
            c
        };
        let result = async {
            let _turn = self.one_at_a_time.lock().await;
            let ctx = JobContext { job: spec.name.clone(), ..self.ctx.clone() };
            run_job(&ctx, &spec, &cancel).await
        }
        .await;
        self.running.lock().unwrap_or_else(|e| e.into_inner()).remove(name);
        result
    }

    /// Starts `name` in the background; errors only for an unknown or already running job.
    pub fn start(self: &Arc<Self>, name: &str) -> Result<(), JobError> {
        if self.spec(name).is_none() {
            return Err(JobError::UnknownJob(name.to_string()));
        }
        if self.is_running(name) {
            return Err(JobError::AlreadyRunning(name.to_string()));
        }
        let me = Arc::clone(self);
        let name = name.to_string();
        tokio::spawn(async move {
            if let Err(error) = me.run_now(&name).await {
                tracing::warn!(job = %name, %error, "job run did not complete");
            }
        });
        Ok(())
    }

    /// Runs scheduled jobs when due until shutdown is signalled; then cancels running jobs.
    pub async fn run_schedules(self: Arc<Self>, mut shutdown: Shutdown) {
        let mut next: HashMap<String, chrono::DateTime<Utc>> = HashMap::new();
        let now = Utc::now();
        for s in &self.specs {
            if let Some(t) = s.schedule.as_ref().and_then(|sch| sch.next_after(now)) {
                next.insert(s.name.clone(), t);
            }
        }
        loop {
            let Some((name, due)) = next.iter().min_by_key(|(_, t)| **t).map(|(n, t)| (n.clone(), *t)) else {
                shutdown.recv().await;
                break;
            };
            let wait = (due - Utc::now()).to_std().unwrap_or_default();
            tokio::select! {
                _ = tokio::time::sleep(wait) => {}
                _ = shutdown.recv() => {}
            }
            if shutdown.is_shutdown() {
                break;
            }
            if Utc::now() < due {
                continue;
            }
            if let Err(error) = self.start(&name) {
                tracing::info!(job = %name, %error, "scheduled run skipped");
            }
            let sch = self.spec(&name).and_then(|s| s.schedule.clone());
            match sch.and_then(|s| s.next_after(Utc::now())) {
                Some(t) => next.insert(name, t),
                None => next.remove(&name),
            };
        }
        for c in self.running.lock().unwrap_or_else(|e| e.into_inner()).values() {
            c.cancel();
        }
        // Jobs stop at their next step (page, bulk request, task poll): wait for them, so that
        // whoever waits for this task knows no job is left running.
        while !self.running.lock().unwrap_or_else(|e| e.into_inner()).is_empty() {
            tokio::time::sleep(std::time::Duration::from_millis(50)).await;
        }
    }
}
