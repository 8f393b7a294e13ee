//! Against the real sidecar (`logsift run` with its API): a throttled copy job started through
//! `POST /v1/jobs/{name}/run` is stopped with `logsift jobs cancel` (which calls
//! `POST /v1/jobs/{name}/cancel`) and its run is recorded `cancelled`; cancelling an unknown job
//! is 404 and a job that is not running 409 `job_not_running`. Also: `/metrics` reports the
//! source's lag, now minus the newest document time the sidecar processed.

use crate::support::*;
use serde_json::json;
use std::process::{Command, Stdio};
use std::time::Duration;

/// The value of the first sample of `name{labels}` in Prometheus text.
fn sample(text: &str, series: &str) -> Option<f64> {
    text.lines()
        .find(|l| l.starts_with(series) && l[series.len()..].starts_with(' '))
        .and_then(|l| l[series.len()..].trim().parse().ok())
}

#[test]
fn a_running_job_is_cancelled_through_the_api_and_metrics_report_the_lag() {
    let server = Server::start();
    let http = Http::new(&server.url);
    let rows = loghub("OpenSSH");
    // Documents up to one minute old: the lag after labelling them is a minute and a bit.
    let loaded_at = chrono::Utc::now();
    let newest = loaded_at - chrono::Duration::seconds(60);
    http.load(rows.iter().enumerate().map(|(i, (msg, _))| {
        let t = newest - chrono::Duration::seconds((rows.len() - 1 - i) as i64);
        ("ssh-logs".to_string(), json!({"message": msg, "@timestamp": t.to_rfc3339()}))
    }));
    let listen = format!("127.0.0.1:{}", free_port());
    let dir = tempfile::tempdir().unwrap();
    let cfg_path = ssh_config(
        dir.path(),
        &server.url,
        &format!(
            r#"
[api]
listen = "{listen}"
[[jobs]]
name = "copy"
kind = "reindex"
dest = "ssh-copy"
docs_per_sec = 100
bulk_size = 20
"#
        ),
    );
    let cfg_arg = path_str(&cfg_path);
    let _sidecar = Terminate(
        Command::new(env!("CARGO_BIN_EXE_logsift"))
            .args(["run", "-c", &cfg_arg, "--set", "run.poll_interval_secs=1"])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap(),
    );
    // Documents of `index` labelled with ids of `prefix` (the copy carries the source's labels
    // until the job relabels it with its own ids).
    let labelled = |index: &str, prefix: &str| {
        let (s, v) = http.req(
            "POST",
            &format!("/{index}/_count"),
            Some(json!({"query": {"prefix": {"logsift.cluster_id": prefix}}})),
        );
        if s == 200 {
            v["count"].as_u64().unwrap()
        } else {
            0
        }
    };
    wait_until("2000 labelled documents", Duration::from_secs(120), || labelled("ssh-logs", "sshd-") == 2000);
    wait_until("the API", Duration::from_secs(30), || std::net::TcpStream::connect(&listen).is_ok());
    let api = Http::new(&format!("http://{listen}"));

    // Lag: now minus the newest document time processed, a minute and the time since loading.
    wait_until("the lag in /metrics", Duration::from_secs(30), || {
        let (_, m) = api.req("GET", "/metrics", None);
        sample(m.as_str().unwrap_or(""), "logsift_lag_seconds{source=\"sshd\"}").is_some()
    });
    let (_, m) = api.req("GET", "/metrics", None);
    let lag = sample(m.as_str().unwrap(), "logsift_lag_seconds{source=\"sshd\"}").unwrap();
    let since_load = (chrono::Utc::now() - loaded_at).num_milliseconds() as f64 / 1000.0;
    assert!((60.0..=60.0 + since_load + 1.0).contains(&lag), "lag {lag}s, loaded {since_load}s ago");

    // Cancelling what is unknown or not running.
    let (status, body) = api.req("POST", "/v1/jobs/nope/cancel", None);
    assert_eq!((status, body["error"]["code"].clone()), (404, json!("unknown_job")), "{body}");
    let (status, body) = api.req("POST", "/v1/jobs/copy/cancel", None);
    assert_eq!((status, body["error"]["code"].clone()), (409, json!("job_not_running")), "{body}");
    let out = logsift(&["jobs", "-c", &cfg_arg, "cancel", "copy"]);
    assert!(!out.status.success() && stderr(&out).contains("job_not_running"), "{}", stderr(&out));

    // Start the throttled copy, cancel it once it has labelled part of the copy.
    let (status, _) = api.req("POST", "/v1/jobs/copy/run", None);
    assert_eq!(status, 202);
    wait_until("part of the copy labelled", Duration::from_secs(90), || labelled("ssh-copy", "ssh-copy-") >= 40);
    let out = logsift(&["jobs", "-c", &cfg_arg, "cancel", "copy"]);
    assert!(out.status.success(), "{}", stderr(&out));
    wait_until("the run recorded as cancelled", Duration::from_secs(30), || {
        let job = api.ok("GET", "/v1/jobs/copy", None);
        job["last_run"]["outcome"] == "cancelled" && job["running"] == false
    });
    let stopped_at = labelled("ssh-copy", "ssh-copy-");
    assert!(stopped_at < 2000, "the job was not stopped");
    std::thread::sleep(Duration::from_millis(1000));
    assert_eq!(labelled("ssh-copy", "ssh-copy-"), stopped_at, "the job goes on after its cancellation");
    let job = api.ok("GET", "/v1/jobs/copy", None);
    assert!(job["last_run"]["ended_at"].is_string(), "{job}");
    let (_, m) = api.req("GET", "/metrics", None);
    assert_eq!(
        sample(m.as_str().unwrap(), "logsift_job_runs_total{job=\"copy\",outcome=\"cancelled\"}"),
        Some(1.0),
        "{m}"
    );
    // Not running any more.
    let (status, _) = api.req("POST", "/v1/jobs/copy/cancel", None);
    assert_eq!(status, 409);
}
