//! The remine bar: LogCluster over the 2,000 OpenSSH documents labelled by `logsift run --once`
//! keeps the ids of the clusters whose template it finds again, flags its outliers
//! `logsift.outlier: true`, keeps cluster counts exact, records the run, and a second run (or a
//! restart) rewrites nothing. Also: the job lock refuses a second holder.

use crate::support::*;
use logsift::config::jobs::{BatchAlgorithm, RemineSpec};
use logsift::config::{JobKind, JobSpec};
use logsift::engine::{logcluster, Masker, Support};
use logsift::es::EsClient;
use logsift::jobs::lock::JobLock;
use logsift::jobs::record::{Outcome, RunRecord};
use logsift::jobs::{run_job, Cancel, JobContext, JobError};
use logsift::metrics::Metrics;
use serde_json::{json, Value};
use std::collections::{BTreeMap, HashMap};
use std::time::Duration;

fn label(d: &Value, k: &str) -> Option<String> {
    d["_source"]["logsift"][k].as_str().map(str::to_string)
}

#[test]
fn remine_logcluster_keeps_ids_flags_outliers_and_counts_exactly() {
    remine_on(&Server::start());
}

/// The same on any server (the real servers run it too: `real_servers`); it owns the server's
/// `ssh-logs` index and logsift's default indices while it runs.
pub fn remine_on(server: &Server) {
    let http = Http::new(&server.url);
    let rows = loghub("OpenSSH");
    http.load(rows.iter().enumerate().map(|(i, (msg, _))| {
        let ts = sample_time(i);
        ("ssh-logs".to_string(), json!({"message": msg, "@timestamp": ts, "line": i}))
    }));
    let out = logsift(&["run", "--once", "--url", &server.url, "--index", "ssh-logs", "--source-name", "sshd"]);
    assert!(out.status.success(), "{}", stderr(&out));

    // Before: the online miner's clusters.
    let before: HashMap<String, String> = http
        .all_docs("logsift-clusters")
        .iter()
        .map(|d| (d["_id"].as_str().unwrap().to_string(), d["_source"]["template"].as_str().unwrap().to_string()))
        .collect();
    assert!(!before.is_empty());

    let cfg = sshd_config(&server.url);
    let support = Support::Count(10);
    let spec = JobSpec {
        name: "remine-week".into(),
        kind: JobKind::Remine(RemineSpec {
            algorithm: BatchAlgorithm::LogCluster,
            support,
            range: None,
            bulk_size: 500,
        }),
        schedule: None,
        source: None,
    };
    let rt = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().unwrap();
    let client = EsClient::new(&cfg.connection).unwrap();
    let metrics = Metrics::new();
    let ctx = JobContext::from_config(&cfg, &spec.name, client.clone(), metrics.clone()).unwrap();
    let rec = rt.block_on(run_job(&ctx, &spec, &Cancel::default())).unwrap();
    assert_eq!(rec.outcome, Outcome::Success);
    assert_eq!(rec.counts.documents_read, 2000);

    // The same LogCluster run, computed here independently, in document order.
    let docs = http.all_docs("ssh-logs");
    let messages: Vec<&str> = docs.iter().map(|d| d["_source"]["message"].as_str().unwrap()).collect();
    let masker = Masker::new(&cfg.engine.masks).unwrap();
    let batch = logcluster::mine(&messages, &masker, support);
    let n_outliers = batch.outliers().count();
    assert!(n_outliers > 0 && n_outliers < 2000, "a support of 10 leaves some outliers ({n_outliers})");
    assert_eq!(rec.counts.outliers, n_outliers as u64);

    // Outliers are flagged (and keep a cluster id); the others are not.
    for (d, a) in docs.iter().zip(&batch.assignments) {
        let flagged = d["_source"]["logsift"]["outlier"].as_bool();
        match a {
            None => {
                assert_eq!(flagged, Some(true), "outlier not flagged: {}", d["_source"]);
                assert!(label(d, "cluster_id").is_some());
            }
            Some(b) => {
                assert_ne!(flagged, Some(true), "{}", d["_source"]);
                assert_eq!(label(d, "template").as_deref(), Some(batch.clusters[*b].template.as_str()));
            }
        }
    }

    // Every batch cluster is one id; a template found again keeps the old id.
    let mut ids_of_cluster: BTreeMap<usize, std::collections::BTreeSet<String>> = BTreeMap::new();
    for (d, a) in docs.iter().zip(&batch.assignments) {
        if let Some(b) = a {
            ids_of_cluster.entry(*b).or_default().insert(label(d, "cluster_id").unwrap());
        }
    }
    let mut found_again = 0;
    for (b, ids) in &ids_of_cluster {
        assert_eq!(ids.len(), 1, "batch cluster {b} split over ids {ids:?}");
        let t = &batch.clusters[*b].template;
        if let Some((old_id, _)) = before.iter().find(|(_, bt)| *bt == t) {
            assert_eq!(ids.iter().next().unwrap(), old_id, "template `{t}` found again but its id changed");
            found_again += 1;
        }
    }
    assert!(found_again > 0, "no LogCluster template equals an online template: the check would be vacuous");
    assert!(rec.counts.clusters_kept as usize >= found_again);

    // Counts exact: every cluster document equals the documents carrying its id.
    let (from_docs, from_index) = counts(&http, "ssh-logs", "logsift-clusters");
    for (id, n) in &from_docs {
        assert_eq!(from_index.get(id), Some(n), "cluster {id}");
    }
    for (id, n) in &from_index {
        assert_eq!(from_docs.get(id).copied().unwrap_or(0), *n, "cluster {id}");
    }
    assert_eq!(from_docs.values().sum::<u64>(), 2000);

    // The run is recorded; a second run rewrites nothing and ends in the same state.
    let last = rt.block_on(RunRecord::last(&client, &cfg.state_index, "remine-week")).unwrap().unwrap();
    assert_eq!((last.outcome, last.counts.documents_relabelled), (Outcome::Success, rec.counts.documents_relabelled));
    assert!(last.ended_at.is_some());
    let seq_before: Vec<Value> = docs.iter().map(|d| d["_seq_no"].clone()).collect();
    let rec2 = rt.block_on(run_job(&ctx, &spec, &Cancel::default())).unwrap();
    assert_eq!(rec2.counts.documents_relabelled, 0);
    let seq_after: Vec<Value> = http.all_docs("ssh-logs").iter().map(|d| d["_seq_no"].clone()).collect();
    assert_eq!(seq_before, seq_after);
    assert!(metrics.render().contains("logsift_job_runs_total{job=\"remine-week\",outcome=\"success\"} 2\n"));

    // A job held by another sidecar is not run.
    let held = rt
        .block_on(JobLock::acquire(&client, &cfg.state_index, "remine-week", "other-host:1", Duration::from_secs(60)))
        .unwrap();
    let err = rt.block_on(run_job(&ctx, &spec, &Cancel::default())).unwrap_err();
    assert!(matches!(err, JobError::Locked(_)), "{err}");
    rt.block_on(held.release(&client)).unwrap();
    rt.block_on(run_job(&ctx, &spec, &Cancel::default())).unwrap();
}
