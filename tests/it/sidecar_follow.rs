//! `logsift run` (no --once) follows new documents and stops cleanly on SIGTERM.

use crate::support::*;
use serde_json::json;
use std::io::Read;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

fn wait_labelled(http: &Http, index: &str, n: u64) {
    let deadline = Instant::now() + Duration::from_secs(120);
    loop {
        http.ok("POST", &format!("/{index}/_refresh"), None);
        let c = http.ok(
            "POST",
            &format!("/{index}/_count"),
            Some(json!({"query": {"exists": {"field": "logsift.cluster_id"}}})),
        );
        if c["count"].as_u64() == Some(n) {
            return;
        }
        assert!(Instant::now() < deadline, "only {} of {n} labelled", c["count"]);
        std::thread::sleep(Duration::from_millis(200));
    }
}

#[test]
fn follows_new_documents_and_stops_on_sigterm() {
    let server = Server::start();
    let http = Http::new(&server.url);
    let lines = loghub("Zookeeper");
    let doc = |i: usize| {
        (
            "follow-logs".to_string(),
            json!({"message": lines[i % lines.len()].0, "@timestamp": format!("2024-02-01T00:{:02}:{:02}Z", i / 60 % 60, i % 60)}),
        )
    };
    http.load((0..500).map(doc));
    let mut child = Command::new(env!("CARGO_BIN_EXE_logsift"))
        .args(["run", "--url", &server.url, "--index", "follow-logs", "--set", "run.poll_interval_secs=1"])
        .env("NO_COLOR", "1")
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    wait_labelled(&http, "follow-logs", 500);
    http.load((500..900).map(doc));
    wait_labelled(&http, "follow-logs", 900);
    let (docs, clusters) = counts(&http, "follow-logs", "logsift-clusters");
    assert_eq!(docs, clusters);

    assert!(Command::new("kill").args(["-TERM", &child.id().to_string()]).status().unwrap().success());
    let mut err = String::new();
    child.stderr.take().unwrap().read_to_string(&mut err).unwrap();
    let status = child.wait().unwrap();
    assert!(status.success(), "{err}");
    assert!(err.contains("signal received, shutting down"), "{err}");
    assert_eq!(summary_field(&err, "labelled"), 900, "{err}");
}
