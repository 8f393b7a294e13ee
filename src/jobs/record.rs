//! Job runs recorded in the state index: one document per run (`job-run-{job}-{run_id}`) and the
//! latest run of each job (`job-last-{job}`), so `jobs status` and `GET /v1/jobs/{name}` need no
//! search. A run is written when it starts (`running`), as it progresses, and when it ends.

use crate::es::docs::DocWrite;
use crate::es::{EsClient, EsError};
use serde::{Deserialize, Serialize};
use serde_json::Value;

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Outcome {
    Running,
    Success,
    Failed,
    Cancelled,
}

impl Outcome {
    pub fn as_str(&self) -> &'static str {
        match self {
            Outcome::Running => "running",
            Outcome::Success => "success",
            Outcome::Failed => "failed",
            Outcome::Cancelled => "cancelled",
        }
    }
}

/// Counters of one run (what it read, rewrote, found).
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct RunCounts {
    pub documents_read: u64,
    /// Documents a `reindex` job with a destination copied into it (`_reindex` "created").
    #[serde(default)]
    pub documents_copied: u64,
    pub documents_relabelled: u64,
    pub documents_unchanged: u64,
    pub conflicts: u64,
    pub outliers: u64,
    pub clusters: u64,
    pub clusters_kept: u64,
    pub clusters_new: u64,
    pub clusters_merged: u64,
    pub clusters_pruned: u64,
}

/// One run of one job, as stored.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct RunRecord {
    pub kind: String,
    pub job: String,
    pub job_kind: String,
    pub source: String,
    pub run_id: String,
    pub holder: String,
    pub started_at: String,
    pub ended_at: Option<String>,
    pub updated_at: String,
    pub outcome: Outcome,
    pub counts: RunCounts,
    pub error: Option<String>,
}

impl RunRecord {
    pub fn start(job: &str, job_kind: &str, source: &str, holder: &str) -> RunRecord {
        let now = chrono::Utc::now();
        RunRecord {
            kind: "job_run".into(),
            job: job.into(),
            job_kind: job_kind.into(),
            source: source.into(),
            run_id: format!("{}", now.format("%Y%m%dT%H%M%S%.3fZ")),
            holder: holder.into(),
            started_at: now.to_rfc3339(),
            ended_at: None,
            updated_at: now.to_rfc3339(),
            outcome: Outcome::Running,
            counts: RunCounts::default(),
            error: None,
        }
    }

    pub fn finish(&mut self, outcome: Outcome, error: Option<String>) {
        let now = chrono::Utc::now().to_rfc3339();
        self.ended_at = Some(now.clone());
        self.updated_at = now;
        self.outcome = outcome;
        self.error = error;
    }

    /// Writes the run document and the job's latest-run document.
    pub async fn save(&mut self, client: &EsClient, state_index: &str) -> Result<(), EsError> {
        self.updated_at = chrono::Utc::now().to_rfc3339();
        let doc = serde_json::to_value(&*self).map_err(|e| EsError::Decode(e.to_string()))?;
        let visible = DocWrite { wait_for_refresh: true, ..DocWrite::default() };
        for id in [format!("job-run-{}-{}", self.job, self.run_id), format!("job-last-{}", self.job)] {
            client.write_doc(state_index, &id, &doc, visible).await?;
        }
        Ok(())
    }

    /// The latest run of `job`, if it ever ran.
    pub async fn last(client: &EsClient, state_index: &str, job: &str) -> Result<Option<RunRecord>, EsError> {
        let src: Option<Value> = client.get_source(state_index, &format!("job-last-{job}")).await?;
        src.map(|v| serde_json::from_value(v).map_err(|e| EsError::Decode(format!("job run record: {e}")))).transpose()
    }
}
