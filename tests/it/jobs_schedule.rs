//! The schedule loop itself ([`JobRunner::run_schedules`]): a job declared `every 1s` runs again
//! and again on its own; while another sidecar holds the job's lease lock in the state index, the
//! loop skips it (counted `skipped_locked`, no run recorded) and runs it again once the lock is
//! released; shutting the loop down stops the runs.

use crate::support::*;
use logsift::config::{JobKind, JobSpec};
use logsift::es::EsClient;
use logsift::jobs::lock::JobLock;
use logsift::jobs::scheduler::JobRunner;
use logsift::jobs::JobContext;
use logsift::metrics::Metrics;
use logsift::shutdown::ShutdownController;
use serde_json::json;
use std::time::Duration;

/// Run records of `job` in the state index.
fn recorded_runs(http: &Http, job: &str) -> usize {
    http.ok("POST", "/_refresh", None);
    let r = http.ok("POST", "/logsift-state/_search", Some(json!({"size": 1000, "_source": false})));
    let prefix = format!("job-run-{job}-");
    r["hits"]["hits"].as_array().unwrap().iter().filter(|h| h["_id"].as_str().unwrap().starts_with(&prefix)).count()
}

#[test]
fn interval_jobs_run_repeatedly_and_the_lock_keeps_other_sidecars_out() {
    let server = Server::start();
    let http = Http::new(&server.url);
    http.load([(
        "ssh-logs".to_string(),
        json!({"message": "session opened for user root", "@timestamp": "2026-01-01T00:00:00Z"}),
    )]);
    let cfg = sshd_config(&server.url);
    let spec = JobSpec {
        name: "tick".into(),
        kind: JobKind::Prune { older_than: Duration::from_secs(3650 * 86_400) },
        schedule: Some("every 1s".parse().unwrap()),
        source: None,
    };
    let rt = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().unwrap();
    let client = EsClient::new(&cfg.connection).unwrap();
    let metrics = Metrics::new();
    let ctx = JobContext::from_config(&cfg, "", client.clone(), metrics.clone()).unwrap();
    let runner = JobRunner::new(ctx, vec![spec]);
    let successes = || metrics.job_runs.with(&["tick", "success"]).get();
    let skipped = || metrics.job_runs.with(&["tick", "skipped_locked"]).get();

    // Another sidecar holds the job: the loop comes round at least twice and never runs it.
    let held = rt
        .block_on(JobLock::acquire(&client, &cfg.state_index, "tick", "other-host:1", Duration::from_secs(300)))
        .unwrap();
    let stop = ShutdownController::new();
    let loop_task = rt.spawn(runner.clone().run_schedules(stop.listener()));
    wait_until("two skipped rounds", Duration::from_secs(60), || skipped() >= 2);
    assert_eq!(successes(), 0);
    assert_eq!(recorded_runs(&http, "tick"), 0, "a run was recorded while another sidecar held the lock");

    // Released: the loop runs it, and again a second later.
    rt.block_on(held.release(&client)).unwrap();
    wait_until("two scheduled runs", Duration::from_secs(60), || successes() >= 2);
    let runs = recorded_runs(&http, "tick");
    assert!(runs >= 2, "{runs} runs recorded");
    let last = rt.block_on(runner.last("tick")).unwrap().unwrap();
    assert_eq!(last.outcome.as_str(), "success");

    // Shutdown ends the loop; no further run starts.
    stop.trigger().fire();
    rt.block_on(async { tokio::time::timeout(Duration::from_secs(10), loop_task).await })
        .expect("the loop stops on shutdown")
        .unwrap();
    wait_until("the last run to end", Duration::from_secs(60), || !runner.is_running("tick"));
    let after_stop = successes();
    std::thread::sleep(Duration::from_millis(2500));
    assert_eq!(successes(), after_stop, "a run started after shutdown");
}
