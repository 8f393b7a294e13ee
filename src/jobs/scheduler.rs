//! [`JobRunner`]: the declared jobs of one source, run on demand (CLI, API) or on their schedules
//! (inside `logsift run`), one at a time per source (a local mutex; the state-index lock keeps
//! other sidecars out), each cancellable.
//!
//! Jobs started in the background run on the runtime the runner was made on (the daemon's main
//! runtime), never on the caller's: the API serves on a runtime of its own, which is dropped when
//! the API stops, and a job spawned there would be dropped mid-step (its run record left
//! `running`, its lock held). A job's entry in the running set is removed by a guard, so even a
//! dropped run cannot leave [`JobRunner::run_schedules`] waiting for it at shutdown.

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
    /// Where background runs are spawned (the runtime `new` was called on; else the caller's).
    runtime: Option<tokio::runtime::Handle>,
    /// Set at shutdown: no new run is started after it.
    closed: std::sync::atomic::AtomicBool,
}

/// Removes a job from the running set when its run ends, however it ends.
struct RunningEntry<'a> {
    runner: &'a JobRunner,
    name: &'a str,
}

impl Drop for RunningEntry<'_> {
    fn drop(&mut self) {
        self.runner.running.lock().unwrap_or_else(|e| e.into_inner()).remove(self.name);
    }
}

impl JobRunner {
    /// A runner whose background runs go to the current runtime (call it from the daemon's;
    /// outside any runtime, runs go to the runtime `start` is called on).
    pub fn new(ctx: JobContext, specs: Vec<JobSpec>) -> Arc<JobRunner> {
        Arc::new(JobRunner {
            ctx,
            specs,
            running: Mutex::new(HashMap::new()),
            one_at_a_time: tokio::sync::Mutex::new(()),
            runtime: tokio::runtime::Handle::try_current().ok(),
            closed: std::sync::atomic::AtomicBool::new(false),
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
        let (spec, cancel) = self.claim(name)?;
        self.run_claimed(spec, cancel).await
    }

    /// Starts `name` in the background; errors only for an unknown or already running job. The
    /// job is in the running set before this returns, so a shutdown that follows waits for it.
    pub fn start(self: &Arc<Self>, name: &str) -> Result<(), JobError> {
        let (spec, cancel) = self.claim(name)?;
        let me = Arc::clone(self);
        let run = async move {
            let name = spec.name.clone();
            if let Err(error) = me.run_claimed(spec, cancel).await.map(drop).or_else(JobError::ok_if_cancelled) {
                tracing::warn!(job = %name, %error, "job run did not complete");
            }
        };
        match &self.runtime {
            Some(rt) => drop(rt.spawn(run)),
            None => drop(tokio::spawn(run)),
        }
        Ok(())
    }

    /// Enters `name` in the running set (refused when unknown or already running).
    fn claim(&self, name: &str) -> Result<(JobSpec, Cancel), JobError> {
        let spec = self.spec(name).ok_or_else(|| JobError::UnknownJob(name.to_string()))?.clone();
        let mut running = self.running.lock().unwrap_or_else(|e| e.into_inner());
        if self.closed.load(std::sync::atomic::Ordering::SeqCst) {
            return Err(JobError::ShuttingDown);
        }
        if running.contains_key(name) {
            return Err(JobError::AlreadyRunning(name.to_string()));
        }
        let c = Cancel::default();
        running.insert(name.to_string(), c.clone());
        Ok((spec, c))
    }

    /// Runs a claimed job (after any other job of this source); leaves the running set however
    /// it ends, dropped included.
    async fn run_claimed(&self, spec: JobSpec, cancel: Cancel) -> Result<RunRecord, JobError> {
        let _entry = RunningEntry { runner: self, name: &spec.name };
        let _turn = self.one_at_a_time.lock().await;
        let ctx = JobContext { job: spec.name.clone(), ..self.ctx.clone() };
        run_job(&ctx, &spec, &cancel).await
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
        {
            let running = self.running.lock().unwrap_or_else(|e| e.into_inner());
            self.closed.store(true, std::sync::atomic::Ordering::SeqCst);
            for c in running.values() {
                c.cancel();
            }
        }
        // Jobs stop at their next step (page, bulk request, task poll): wait for them, so that
        // whoever waits for this task knows no job is left running.
        while !self.running.lock().unwrap_or_else(|e| e.into_inner()).is_empty() {
            tokio::time::sleep(std::time::Duration::from_millis(50)).await;
        }
    }
}
