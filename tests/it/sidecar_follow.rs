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
    // A batch's cluster documents are written after its labels: the counts become exact right
    // after (on a loaded machine, a moment after the last label is visible).
    let mut last = Default::default();
    wait_until("exact cluster documents", Duration::from_secs(60), || {
        last = counts(&http, "follow-logs", "logsift-clusters");
        last.0 == last.1
    });
    assert_eq!(last.0.values().sum::<u64>(), 900);

    assert!(Command::new("kill").args(["-TERM", &child.id().to_string()]).status().unwrap().success());
    let mut err = String::new();
    child.stderr.take().unwrap().read_to_string(&mut err).unwrap();
    let status = child.wait().unwrap();
    assert!(status.success(), "{err}");
    assert!(err.contains("signal received, shutting down"), "{err}");
    assert_eq!(summary_field(&err, "labelled"), 900, "{err}");
}

/// Follow mode through the fault proxy (failed scroll pages, bulks applied then answered 503,
/// 429s), killed with SIGKILL while new documents keep arriving and restarted: every document
/// labelled, counts exact, a later `run --once` finds nothing pending.
#[test]
fn follow_mode_through_faults_and_a_sigkill_labels_everything() {
    use crate::support::fault_proxy::{Fault, FaultProxy, Rule};
    let server = Server::start();
    let http = Http::new(&server.url);
    let lines = loghub("Linux");
    let doc = |i: usize| {
        ("follow-faults".to_string(), json!({"message": lines[i % lines.len()].0, "@timestamp": sample_time(i)}))
    };
    let proxy = FaultProxy::start(
        &server.url,
        vec![
            Rule::every("_search", 7, Fault::Unavailable),
            Rule::every("/_bulk", 5, Fault::AppliedThen503),
            Rule::every("/_bulk", 4, Fault::TooManyRequests { retry_after: 0 }),
        ],
    );
    let follow = || {
        Command::new(env!("CARGO_BIN_EXE_logsift"))
            .args(["run", "--url", &proxy.url, "--index", "follow-faults", "--set", "run.poll_interval_secs=1"])
            .args([
                "--set",
                "read.page_size=100",
                "--set",
                "write.bulk_size=100",
                "--set",
                "connection.initial_backoff_ms=20",
            ])
            .env("NO_COLOR", "1")
            .stderr(Stdio::null())
            .spawn()
            .unwrap()
    };
    http.load((0..1_500).map(doc));
    let mut child = follow();
    wait_labelled(&http, "follow-faults", 1_500);
    http.load((1_500..3_000).map(doc));
    std::thread::sleep(Duration::from_millis(700));
    child.kill().unwrap(); // SIGKILL, somewhere in the new documents
    child.wait().unwrap();
    http.load((3_000..4_000).map(doc));
    let mut child = follow();
    wait_labelled(&http, "follow-faults", 4_000);
    child.kill().unwrap();
    child.wait().unwrap();
    assert!(proxy.injected.load(std::sync::atomic::Ordering::SeqCst) > 5, "faults were injected");
    let out = logsift(&["run", "--once", "--url", &server.url, "--index", "follow-faults"]);
    let err = stderr(&out);
    assert!(out.status.success(), "{err}");
    // Nothing left to write (documents after the killed run's checkpoint time are looked at
    // again and found labelled).
    assert_eq!(summary_field(&err, "labelled"), 0, "{err}");
    assert_eq!(summary_field(&err, "documents read"), summary_field(&err, "already labelled"), "{err}");
    let (docs, clusters) = counts(&http, "follow-faults", "logsift-clusters");
    assert_eq!(docs, clusters, "cluster counts differ from the documents");
    assert_eq!(clusters.values().sum::<u64>(), 4_000);
}
