//! The copy phase of a `reindex` job with a destination (`dest = "logs-labelled"`): the server's
//! `_reindex` copies the source's documents (those matching the source's query) into the
//! destination index, which [`super::reindex`] then labels as a source of its own.
//!
//! - The destination gets the `logsift.*` mappings before the first document arrives: a missing
//!   one is created with the mappings of the source index (when the source is a single index) plus
//!   `logsift.*`; an existing one gets `logsift.*` added. So `logsift.cluster_id` is a keyword the
//!   exact recount can aggregate on, whatever dynamic mapping would have guessed.
//! - The copy is idempotent: `op_type: create` + `conflicts: proceed` skip documents already in
//!   the destination (same `_id`), so a copy killed half-way is simply run again, and a later run
//!   copies only the documents new in the source (labels already in the destination stay).
//! - Progress (`copy` → `label` → `done`) is the state-index document `job-progress-{job}`: a run
//!   that finds `label` for the same destination skips the copy and resumes with labelling.
//! - The copy runs as a server task (`wait_for_completion=false`), polled with `GET _tasks/{id}`
//!   and cancelled with `POST _tasks/{id}/_cancel`. osmem-server (the test server) accepts
//!   `wait_for_completion=false` and answers with a task id, but has no `_tasks` API (400 "no
//!   handler found"); then the copy is run again synchronously, which is a no-op for whatever the
//!   task already copied.
//! - Throttling: `requests_per_second` = the job's `docs_per_sec` (documents per second for
//!   `_reindex`, as the server pads its batches to that rate).

use super::{Cancel, JobContext, JobError};
use crate::es::indices::logsift_fields_mapping;
use crate::es::EsError;
use serde_json::{json, Value};
use std::time::Duration;

/// Where a copy job stands, as stored in `job-progress-{job}`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Phase {
    Copy,
    Label,
    Done,
}

impl Phase {
    pub fn as_str(&self) -> &'static str {
        match self {
            Phase::Copy => "copy",
            Phase::Label => "label",
            Phase::Done => "done",
        }
    }

    fn parse(s: &str) -> Option<Phase> {
        match s {
            "copy" => Some(Phase::Copy),
            "label" => Some(Phase::Label),
            "done" => Some(Phase::Done),
            _ => None,
        }
    }
}

/// What one `_reindex` reported.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct CopyReport {
    /// Source documents the copy went through.
    pub total: u64,
    /// Documents created in the destination.
    pub created: u64,
    /// Documents already in the destination (skipped).
    pub version_conflicts: u64,
}

fn progress_id(job: &str) -> String {
    format!("job-progress-{job}")
}

/// The phase recorded for `job` copying into `dest` (another destination counts as no record).
pub async fn load_phase(ctx: &JobContext, dest: &str) -> Result<Option<Phase>, JobError> {
    let doc = ctx.client.get_source(&ctx.state_index, &progress_id(&ctx.job)).await?;
    Ok(doc
        .filter(|d| d.get("dest").and_then(Value::as_str) == Some(dest))
        .and_then(|d| d.get("phase").and_then(Value::as_str).and_then(Phase::parse)))
}

pub async fn save_phase(
    ctx: &JobContext,
    dest: &str,
    phase: Phase,
    report: Option<&CopyReport>,
) -> Result<(), JobError> {
    let mut doc = json!({
        "kind": "job_progress", "job": ctx.job, "source": ctx.source.name, "dest": dest,
        "phase": phase.as_str(), "updated_at": chrono::Utc::now().to_rfc3339(),
    });
    if let Some(r) = report {
        doc["copy"] = json!({"total": r.total, "created": r.created, "version_conflicts": r.version_conflicts});
    }
    ctx.client.put_doc(&ctx.state_index, &progress_id(&ctx.job), &doc).await?;
    Ok(())
}

/// Creates `dest` with the source's mappings plus `logsift.*`, or adds `logsift.*` to it.
pub async fn prepare_dest(ctx: &JobContext, dest: &str) -> Result<(), JobError> {
    let info = ctx.client.server_info().await?;
    let fields = logsift_fields_mapping(&info.capabilities());
    let mut mappings = source_mappings(ctx).await?.unwrap_or_else(|| json!({}));
    if !mappings.is_object() {
        mappings = json!({});
    }
    let props = mappings.as_object_mut().expect("object").entry("properties").or_insert_with(|| json!({}));
    if let (Some(p), Some(l)) = (props.as_object_mut(), fields.pointer("/properties/logsift")) {
        p.insert("logsift".into(), l.clone());
    }
    if ctx.client.create_index_if_missing(dest, &json!({"mappings": mappings})).await? {
        tracing::info!(job = %ctx.job, index = dest, "created the destination index");
    } else {
        ctx.client.put_mapping(dest, &fields).await?;
    }
    Ok(())
}

/// The mappings of the source when it names exactly one concrete index.
async fn source_mappings(ctx: &JobContext) -> Result<Option<Value>, JobError> {
    let Some(r) = ctx.client.get_mapping(&ctx.source.index_expr()).await? else { return Ok(None) };
    let Some(obj) = r.as_object().filter(|o| o.len() == 1) else { return Ok(None) };
    Ok(obj.values().next().and_then(|v| v.get("mappings")).cloned())
}

fn reindex_body(ctx: &JobContext, dest: &str) -> Value {
    let mut source = json!({"index": ctx.source.indices, "size": 1000});
    if let Some(q) = &ctx.source.query {
        source["query"] = q.clone();
    }
    json!({"conflicts": "proceed", "source": source, "dest": {"index": dest, "op_type": "create"}})
}

fn report_of(r: &Value) -> Result<CopyReport, JobError> {
    if let Some(f) = r.get("failures").and_then(Value::as_array).and_then(|f| f.first()) {
        return Err(JobError::Write(format!("_reindex failed: {f}")));
    }
    let n = |k: &str| r.get(k).and_then(Value::as_u64).unwrap_or(0);
    Ok(CopyReport { total: n("total"), created: n("created"), version_conflicts: n("version_conflicts") })
}

/// A server without the tasks API (osmem-server answers 400 "no handler found").
fn no_tasks_api(e: &EsError) -> bool {
    matches!(e.status(), Some(400) | Some(404) | Some(405) | Some(501))
        && e.error_type().is_none_or(|t| t != "resource_not_found_exception")
}

/// Copies the source into `dest` with `_reindex`, throttled to `docs_per_sec` (0 = no limit).
/// `created` is the growth of the destination's document count (exact whichever way the copy
/// ran: after a task on a server without the tasks API, the synchronous rerun creates nothing).
pub async fn copy(ctx: &JobContext, dest: &str, docs_per_sec: u64, cancel: &Cancel) -> Result<CopyReport, JobError> {
    if cancel.is_cancelled() {
        return Err(JobError::Cancelled);
    }
    let all = json!({"match_all": {}});
    ctx.client.refresh(dest).await?;
    let before = ctx.client.count(dest, &all).await?;
    let mut report = run_copy(ctx, dest, docs_per_sec, cancel).await?;
    ctx.client.refresh(dest).await?;
    report.created = ctx.client.count(dest, &all).await?.saturating_sub(before);
    report.version_conflicts = report.total.saturating_sub(report.created);
    Ok(report)
}

async fn run_copy(ctx: &JobContext, dest: &str, docs_per_sec: u64, cancel: &Cancel) -> Result<CopyReport, JobError> {
    let rps = if docs_per_sec > 0 { docs_per_sec.to_string() } else { "-1".to_string() };
    let body = reindex_body(ctx, dest);
    let started = ctx.client.reindex(&body, &rps, false).await?;
    if let Some(task) = started.get("task").and_then(Value::as_str) {
        match poll_task(ctx, task, cancel).await {
            Ok(Some(report)) => return Ok(report),
            Ok(None) => tracing::info!(job = %ctx.job, task, "no tasks API on this server; copying synchronously"),
            Err(e) => return Err(e),
        }
    } else if started.get("total").is_some() {
        // A server that ignored wait_for_completion=false answered with the finished copy.
        return report_of(&started);
    }
    // Synchronous copy: cancellation stops waiting (the server may finish the copy; the next
    // run's copy is then a no-op).
    let sync = ctx.client.reindex(&body, &rps, true);
    let watch_cancel = async {
        while !cancel.is_cancelled() {
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    };
    tokio::select! {
        r = sync => report_of(&r?),
        _ = watch_cancel => Err(JobError::Cancelled),
    }
}

/// Polls the copy task until it ends; `None` when the server has no tasks API.
async fn poll_task(ctx: &JobContext, task: &str, cancel: &Cancel) -> Result<Option<CopyReport>, JobError> {
    loop {
        if cancel.is_cancelled() {
            if let Err(error) = ctx.client.cancel_task(task).await {
                tracing::warn!(job = %ctx.job, task, %error, "cancelling the copy task failed");
            }
            return Err(JobError::Cancelled);
        }
        let r = match ctx.client.task(task).await {
            Ok(r) => r,
            Err(e) if no_tasks_api(&e) => return Ok(None),
            Err(e) => return Err(e.into()),
        };
        if r.get("completed").and_then(Value::as_bool) == Some(true) {
            if let Some(err) = r.get("error") {
                return Err(JobError::Write(format!("_reindex task failed: {err}")));
            }
            return report_of(r.get("response").unwrap_or(&Value::Null)).map(Some);
        }
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reports_and_phases() {
        let r = report_of(&json!({"total": 5, "created": 3, "version_conflicts": 2, "failures": []})).unwrap();
        assert_eq!(r, CopyReport { total: 5, created: 3, version_conflicts: 2 });
        assert!(report_of(&json!({"failures": [{"cause": "boom"}]})).is_err());
        for p in [Phase::Copy, Phase::Label, Phase::Done] {
            assert_eq!(Phase::parse(p.as_str()), Some(p));
        }
        let no_handler = EsError::Status {
            status: 400,
            request: String::new(),
            body: r#"{"error":"no handler found for uri"}"#.into(),
            retry_after: None,
        };
        assert!(no_tasks_api(&no_handler));
        let gone = EsError::Status {
            status: 404,
            request: String::new(),
            body: r#"{"error":{"type":"resource_not_found_exception"}}"#.into(),
            retry_after: None,
        };
        assert!(!no_tasks_api(&gone));
    }
}
