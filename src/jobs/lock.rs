//! A job lock in the state index, so two sidecars never run the same job at once.
//!
//! The lock is the document `job-lock-{job}`, created with `op_type=create` (the server refuses a
//! second create with 409). It holds a lease (`expires_at`) that the holder renews while the job
//! runs; a lock whose lease has expired (its holder died) is taken over with a write guarded by
//! `if_seq_no`/`if_primary_term`, so of two sidecars racing for it only one wins. A lock held by a
//! process of this host that no longer exists (a killed run) is taken over at once. Release deletes
//! it with the same guard.

use crate::es::docs::DocWrite;
use crate::es::{EsClient, EsError};
use chrono::{DateTime, Utc};
use serde_json::{json, Value};
use std::time::Duration;

/// A held lock. Renew it before its lease ends; release it when done.
#[derive(Debug, Clone)]
pub struct JobLock {
    pub index: String,
    pub job: String,
    pub holder: String,
    seq_no: i64,
    primary_term: i64,
}

/// Why a lock was not obtained.
#[derive(Debug, thiserror::Error)]
pub enum LockError {
    #[error("job `{job}` is running elsewhere (held by {holder} until {expires_at})")]
    Held { job: String, holder: String, expires_at: String },
    #[error(transparent)]
    Es(#[from] EsError),
}

/// A holder `host:pid` on this host whose process is gone (a killed run): its lock is free.
fn holder_is_dead(holder: &str) -> bool {
    let Some((host, pid)) = holder.rsplit_once(':') else { return false };
    let me = super::holder_id();
    let my_host = me.rsplit_once(':').map(|(h, _)| h).unwrap_or("");
    host == my_host
        && pid
            .parse::<u32>()
            .is_ok_and(|p| p != std::process::id() && !std::path::Path::new(&format!("/proc/{p}")).exists())
}

fn doc_id(job: &str) -> String {
    format!("job-lock-{job}")
}

fn lock_doc(job: &str, holder: &str, lease: Duration, now: DateTime<Utc>) -> Value {
    let expires = now + chrono::Duration::from_std(lease).unwrap_or_else(|_| chrono::Duration::minutes(5));
    json!({
        "kind": "job_lock", "job": job, "holder": holder,
        "acquired_at": now.to_rfc3339(), "expires_at": expires.to_rfc3339(), "updated_at": now.to_rfc3339()
    })
}

fn guard_of(v: &Value) -> Result<(i64, i64), EsError> {
    let s = v.get("_seq_no").and_then(Value::as_i64);
    let t = v.get("_primary_term").and_then(Value::as_i64);
    s.zip(t).ok_or_else(|| EsError::Decode("write answer has no _seq_no/_primary_term".into()))
}

impl JobLock {
    /// Takes the lock for `job`, or says who holds it.
    pub async fn acquire(
        client: &EsClient,
        index: &str,
        job: &str,
        holder: &str,
        lease: Duration,
    ) -> Result<JobLock, LockError> {
        let id = doc_id(job);
        let now = Utc::now();
        let create = DocWrite { create: true, guard: None, wait_for_refresh: true };
        match client.write_doc(index, &id, &lock_doc(job, holder, lease, now), create).await {
            Ok(v) => {
                let (seq_no, primary_term) = guard_of(&v)?;
                return Ok(JobLock {
                    index: index.into(),
                    job: job.into(),
                    holder: holder.into(),
                    seq_no,
                    primary_term,
                });
            }
            Err(e) if e.status() == Some(409) => {}
            Err(e) => return Err(e.into()),
        }
        // Someone holds it: take it over only if the lease has expired.
        let cur = client.get_doc(index, &id).await?;
        let src = cur.get("_source").cloned().unwrap_or(Value::Null);
        let expires_at = src.get("expires_at").and_then(Value::as_str).unwrap_or("").to_string();
        let cur_holder = src.get("holder").and_then(Value::as_str).unwrap_or("?").to_string();
        let expired =
            DateTime::parse_from_rfc3339(&expires_at).map(|t| t < now).unwrap_or(true) || holder_is_dead(&cur_holder);
        if !expired {
            return Err(LockError::Held { job: job.into(), holder: cur_holder, expires_at });
        }
        let (seq, term) = guard_of(&cur)?;
        let takeover = DocWrite { create: false, guard: Some((seq, term)), wait_for_refresh: true };
        match client.write_doc(index, &id, &lock_doc(job, holder, lease, now), takeover).await {
            Ok(v) => {
                let (seq_no, primary_term) = guard_of(&v)?;
                tracing::warn!(job, previous = %cur_holder, "took over an expired job lock");
                Ok(JobLock { index: index.into(), job: job.into(), holder: holder.into(), seq_no, primary_term })
            }
            Err(e) if e.status() == Some(409) => {
                Err(LockError::Held { job: job.into(), holder: "another sidecar".into(), expires_at })
            }
            Err(e) => Err(e.into()),
        }
    }

    /// Extends the lease; fails with 409 if the lock was taken over meanwhile.
    pub async fn renew(&mut self, client: &EsClient, lease: Duration) -> Result<(), EsError> {
        let guarded =
            DocWrite { create: false, guard: Some((self.seq_no, self.primary_term)), wait_for_refresh: false };
        let doc = lock_doc(&self.job, &self.holder, lease, Utc::now());
        let v = client.write_doc(&self.index, &doc_id(&self.job), &doc, guarded).await?;
        (self.seq_no, self.primary_term) = guard_of(&v)?;
        Ok(())
    }

    /// Gives the lock back (a lock already taken over by someone else is left alone).
    pub async fn release(self, client: &EsClient) -> Result<(), EsError> {
        let guarded = DocWrite { create: false, guard: Some((self.seq_no, self.primary_term)), wait_for_refresh: true };
        match client.delete_doc(&self.index, &doc_id(&self.job), guarded).await {
            Ok(_) => Ok(()),
            Err(e) if matches!(e.status(), Some(404) | Some(409)) => Ok(()),
            Err(e) => Err(e),
        }
    }
}
