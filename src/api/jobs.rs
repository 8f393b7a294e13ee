//! `GET /v1/jobs`, `GET /v1/jobs/{name}`, `POST /v1/jobs/{name}/run`, `POST /v1/jobs/{name}/cancel`:
//! the declared jobs of the sidecar, their latest recorded run, starting one (in the background,
//! or `?wait=true`), and asking a running one to stop (recorded as `cancelled`).

use super::classify::query_or_error;
use super::error::RequestError;
use super::routes::PathParam;
use super::state::ApiState;
use crate::config::schedule::Schedule;
use crate::config::JobSpec;
use axum::extract::rejection::QueryRejection;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Json;
use futures::future::BoxFuture;
use serde::{Deserialize, Serialize};
use std::sync::Arc;

/// A job run's record as the API shows it (the job runner's own record, serialised).
pub type RunRecord = serde_json::Value;

/// Why the job runner refused a request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum JobControlError {
    UnknownJob(String),
    /// Already running here, or its lock is held elsewhere.
    Conflict(String),
    /// The run failed or the state index could not be read.
    Unavailable(String),
}

/// What the API needs of the job runner; `app` implements it for the runner of `logsift run`.
pub trait JobControl: Send + Sync + 'static {
    /// The declared jobs.
    fn specs(&self) -> Vec<JobSpec>;
    fn is_running(&self, name: &str) -> bool;
    /// The record of the job's latest run, if any.
    fn last<'a>(&'a self, name: &'a str) -> BoxFuture<'a, Result<Option<RunRecord>, JobControlError>>;
    /// Runs the job now and waits for its record.
    fn run_now<'a>(&'a self, name: &'a str) -> BoxFuture<'a, Result<RunRecord, JobControlError>>;
    /// Starts the job in the background.
    fn start(&self, name: &str) -> Result<(), JobControlError>;
    /// Asks a running job to stop; false when it is not running here.
    fn cancel(&self, name: &str) -> bool;
}

#[derive(Debug, Serialize)]
pub struct JobView {
    pub name: String,
    pub kind: &'static str,
    pub schedule: Option<String>,
    pub running: bool,
    pub last_run: Option<RunRecord>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub last_run_error: Option<String>,
}

fn schedule_text(s: &Schedule) -> String {
    match s {
        Schedule::Cron(c) => c.source().to_string(),
        Schedule::Every(d) => format!("every {}s", d.as_secs()),
    }
}

async fn view(runner: &dyn JobControl, spec: &JobSpec) -> JobView {
    let (last_run, last_run_error) = match runner.last(&spec.name).await {
        Ok(r) => (r, None),
        Err(JobControlError::UnknownJob(m) | JobControlError::Conflict(m) | JobControlError::Unavailable(m)) => {
            (None, Some(m))
        }
    };
    JobView {
        name: spec.name.clone(),
        kind: spec.kind.name(),
        schedule: spec.schedule.as_ref().map(schedule_text),
        running: runner.is_running(&spec.name),
        last_run,
        last_run_error,
    }
}

fn runner_for<'a>(state: &'a ApiState, name: &str) -> Result<(&'a Arc<dyn JobControl>, JobSpec), RequestError> {
    let runner = state.inner.jobs.as_ref().ok_or_else(|| RequestError::UnknownJob(name.to_string()))?;
    let spec = runner
        .specs()
        .into_iter()
        .find(|s| s.name == name)
        .ok_or_else(|| RequestError::UnknownJob(name.to_string()))?;
    Ok((runner, spec))
}

#[derive(Serialize)]
pub struct JobList {
    pub jobs: Vec<JobView>,
}

pub async fn list(State(state): State<ApiState>) -> Json<JobList> {
    let mut jobs = Vec::new();
    if let Some(r) = &state.inner.jobs {
        for s in r.specs() {
            jobs.push(view(r.as_ref(), &s).await);
        }
    }
    Json(JobList { jobs })
}

pub async fn get_job(State(state): State<ApiState>, PathParam(name): PathParam) -> Result<Json<JobView>, RequestError> {
    let (runner, spec) = runner_for(&state, &name)?;
    Ok(Json(view(runner.as_ref(), &spec).await))
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RunQuery {
    /// Wait for the run to finish and answer with its record.
    pub wait: Option<bool>,
}

#[derive(Serialize)]
struct Started {
    job: String,
    started: bool,
}

pub async fn run(
    State(state): State<ApiState>,
    PathParam(name): PathParam,
    query: Result<Query<RunQuery>, QueryRejection>,
) -> Result<Response, RequestError> {
    let q = query_or_error(query)?;
    let (runner, spec) = runner_for(&state, &name)?;
    let map = |e: JobControlError| match e {
        JobControlError::UnknownJob(n) => RequestError::UnknownJob(n),
        JobControlError::Conflict(m) => RequestError::Conflict(m),
        JobControlError::Unavailable(m) => RequestError::Unavailable(m),
    };
    if q.wait.unwrap_or(false) {
        let rec = runner.run_now(&spec.name).await.map_err(map)?;
        return Ok(Json(rec).into_response());
    }
    runner.start(&spec.name).map_err(map)?;
    Ok((StatusCode::ACCEPTED, Json(Started { job: spec.name, started: true })).into_response())
}

#[derive(Serialize)]
struct Cancelling {
    job: String,
    cancelling: bool,
}

/// Asks the job to stop at its next step (between bulk requests, pages or task polls): 202, and
/// the run is recorded `cancelled` once it stops. 404 for an unknown job; 409 `job_not_running`
/// when it is not running in this sidecar (a run started elsewhere is cancelled there).
pub async fn cancel(State(state): State<ApiState>, PathParam(name): PathParam) -> Result<Response, RequestError> {
    let (runner, spec) = runner_for(&state, &name)?;
    if !runner.cancel(&spec.name) {
        return Err(RequestError::JobNotRunning(spec.name));
    }
    tracing::info!(job = %spec.name, "job cancellation requested through the api");
    Ok((StatusCode::ACCEPTED, Json(Cancelling { job: spec.name, cancelling: true })).into_response())
}
