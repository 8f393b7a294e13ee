//! The `[[jobs]]` entries of the config file: raw serde form → validated [`JobSpec`].
//!
//! ```toml
//! [[jobs]]
//! name = "remine-week"     # unique; used by `logsift jobs run NAME` and /v1/jobs/NAME
//! kind = "remine"          # remine | reindex | prune
//! schedule = "0 3 * * *"   # cron (5 or 6 fields) or "every 6h"; omitted: on demand only
//! algorithm = "logcluster" # remine: logcluster | slct
//! support = "0.5%"         # remine: a count or a percentage of the documents in range
//! range = "7d"             # remine: only documents newer than this (omitted: all)
//! older_than = "30d"       # prune: clusters not seen for this long
//! docs_per_sec = 2000      # reindex: throttle (0 = none)
//! dest = "logs-labelled"   # reindex: copy the source into this index (`_reindex`), then label it
//! dest_source = "labelled" # reindex with dest: source name of the copy's cluster ids (default: dest)
//! source = "sshd"          # with several [[sources]]: the source the job works on (required then)
//! ```

use super::schedule::{parse_duration, Schedule};
use crate::engine::Support;
use serde::Deserialize;
use std::time::Duration;

/// The work of one job.
#[derive(Clone, Debug)]
pub enum JobKind {
    Remine(RemineSpec),
    Reindex(ReindexSpec),
    Prune { older_than: Duration },
}

impl JobKind {
    pub fn name(&self) -> &'static str {
        match self {
            JobKind::Remine(_) => "remine",
            JobKind::Reindex(_) => "reindex",
            JobKind::Prune { .. } => "prune",
        }
    }
}

/// A declared job.
#[derive(Clone, Debug)]
pub struct JobSpec {
    pub name: String,
    pub kind: JobKind,
    pub schedule: Option<Schedule>,
    /// The source the job works on (`None`: the configuration's only source). Checked against
    /// the declared sources by `config::validate`.
    pub source: Option<String>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum BatchAlgorithm {
    LogCluster,
    Slct,
}

impl BatchAlgorithm {
    pub fn name(&self) -> &'static str {
        match self {
            BatchAlgorithm::LogCluster => "logcluster",
            BatchAlgorithm::Slct => "slct",
        }
    }

    pub(crate) fn short(&self) -> &'static str {
        match self {
            BatchAlgorithm::LogCluster => "lc",
            BatchAlgorithm::Slct => "slct",
        }
    }
}

#[derive(Clone, Debug)]
pub struct RemineSpec {
    pub algorithm: BatchAlgorithm,
    pub support: Support,
    /// Only documents newer than now minus this (None = all documents).
    pub range: Option<Duration>,
    pub bulk_size: usize,
}

#[derive(Clone, Debug)]
pub struct ReindexSpec {
    /// Documents rewritten per second at most (0 = no limit).
    pub docs_per_sec: u64,
    pub bulk_size: usize,
    /// Copy the source into this index first, then label the copy (None: relabel in place).
    pub dest: Option<CopyDest>,
}

/// Where a copying `reindex` writes.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CopyDest {
    /// The destination index (created with the `logsift.*` mappings when missing).
    pub index: String,
    /// The source name of the copy's clusters (`{source}-{n}` ids, cluster index, snapshot).
    pub source: String,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct RawJob {
    pub name: String,
    pub kind: String,
    pub schedule: Option<String>,
    pub algorithm: Option<String>,
    pub support: Option<String>,
    pub range: Option<String>,
    pub bulk_size: Option<usize>,
    pub older_than: Option<String>,
    pub docs_per_sec: Option<u64>,
    pub dest: Option<String>,
    pub dest_source: Option<String>,
    pub source: Option<String>,
}

/// A refused job setting: `(key, reason)`.
pub type JobConfigError = (String, String);

/// Validates every job; names must be unique.
pub fn validate(raw: &[RawJob]) -> Result<Vec<JobSpec>, JobConfigError> {
    let mut out: Vec<JobSpec> = Vec::new();
    for (i, j) in raw.iter().enumerate() {
        let key = |k: &str| format!("jobs[{i}].{k}");
        if j.name.is_empty() || !j.name.chars().all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_') {
            return Err((key("name"), format!("`{}` must be non-empty letters, digits, `-` or `_`", j.name)));
        }
        if out.iter().any(|o| o.name == j.name) {
            return Err((key("name"), format!("job `{}` is declared twice", j.name)));
        }
        let schedule =
            j.schedule.as_deref().map(|s| s.parse::<Schedule>()).transpose().map_err(|e| (key("schedule"), e))?;
        let kind = match j.kind.as_str() {
            "remine" => {
                let algorithm = match j.algorithm.as_deref().unwrap_or("logcluster") {
                    "logcluster" => BatchAlgorithm::LogCluster,
                    "slct" => BatchAlgorithm::Slct,
                    other => return Err((key("algorithm"), format!("`{other}`: use logcluster or slct"))),
                };
                let support =
                    Support::parse(j.support.as_deref().unwrap_or("0.5%")).map_err(|e| (key("support"), e.reason))?;
                let range = j.range.as_deref().map(parse_duration).transpose().map_err(|e| (key("range"), e))?;
                JobKind::Remine(RemineSpec { algorithm, support, range, bulk_size: j.bulk_size.unwrap_or(500).max(1) })
            }
            "reindex" => {
                let dest = match &j.dest {
                    None => None,
                    Some(index) => {
                        let bad = index.is_empty()
                            || index.starts_with(['-', '_', '+'])
                            || index.chars().any(|c| c.is_ascii_uppercase() || "*,?\"<>|/\\ #".contains(c));
                        if bad {
                            return Err((
                                key("dest"),
                                format!("`{index}` is not a concrete index name (lowercase, no wildcards or commas)"),
                            ));
                        }
                        let source = j.dest_source.clone().unwrap_or_else(|| index.clone());
                        if source.is_empty() {
                            return Err((key("dest_source"), "must not be empty".into()));
                        }
                        Some(CopyDest { index: index.clone(), source })
                    }
                };
                if j.dest.is_none() && j.dest_source.is_some() {
                    return Err((key("dest_source"), "only with dest".into()));
                }
                JobKind::Reindex(ReindexSpec {
                    docs_per_sec: j.docs_per_sec.unwrap_or(0),
                    bulk_size: j.bulk_size.unwrap_or(500).max(1),
                    dest,
                })
            }
            "prune" => {
                let older = j
                    .older_than
                    .as_deref()
                    .ok_or_else(|| (key("older_than"), "prune needs older_than (e.g. \"30d\")".to_string()))?;
                JobKind::Prune { older_than: parse_duration(older).map_err(|e| (key("older_than"), e))? }
            }
            other => return Err((key("kind"), format!("`{other}`: use remine, reindex or prune"))),
        };
        out.push(JobSpec { name: j.name.clone(), kind, schedule, source: j.source.clone() });
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn job(name: &str, kind: &str) -> RawJob {
        RawJob { name: name.into(), kind: kind.into(), ..RawJob::default() }
    }

    #[test]
    fn validates_jobs_and_names_the_key_at_fault() {
        let ok = validate(&[RawJob {
            schedule: Some("every 6h".into()),
            range: Some("7d".into()),
            ..job("week", "remine")
        }])
        .unwrap();
        assert!(
            matches!(&ok[0].kind, JobKind::Remine(r) if r.algorithm == BatchAlgorithm::LogCluster && r.range.is_some())
        );
        assert_eq!(validate(&[job("a", "remine"), job("a", "remine")]).unwrap_err().0, "jobs[1].name");
        assert_eq!(validate(&[job("a", "dance")]).unwrap_err().0, "jobs[0].kind");
        assert_eq!(
            validate(&[RawJob { schedule: Some("nope nope".into()), ..job("a", "remine") }]).unwrap_err().0,
            "jobs[0].schedule"
        );
        assert_eq!(
            validate(&[RawJob { support: Some("0%".into()), ..job("a", "remine") }]).unwrap_err().0,
            "jobs[0].support"
        );
        assert_eq!(validate(&[job("p", "prune")]).unwrap_err().0, "jobs[0].older_than");
        assert_eq!(validate(&[job("bad name", "prune")]).unwrap_err().0, "jobs[0].name");
        let copy = validate(&[RawJob { dest: Some("logs-labelled".into()), ..job("c", "reindex") }]).unwrap();
        assert!(
            matches!(&copy[0].kind, JobKind::Reindex(r) if r.dest.as_ref().is_some_and(|d| d.index == "logs-labelled" && d.source == "logs-labelled"))
        );
        assert_eq!(
            validate(&[RawJob { dest: Some("logs-*".into()), ..job("c", "reindex") }]).unwrap_err().0,
            "jobs[0].dest"
        );
        assert_eq!(
            validate(&[RawJob { dest_source: Some("x".into()), ..job("c", "reindex") }]).unwrap_err().0,
            "jobs[0].dest_source"
        );
    }
}
