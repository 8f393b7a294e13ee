//! The 2,000 OpenSSH documents bar: every document labelled, grouping accuracy from the documents
//! no worse than the engine's own (− 0.01), exact cluster counts, a second run rewrites nothing.

use crate::support::*;
use logsift::engine::{EngineConfig, Miner};
use serde_json::json;
use std::collections::BTreeMap;

#[test]
fn openssh_2k_labelled_exact_and_idempotent() {
    openssh_2k_on(&Server::start());
}

/// The same bar on each real server (`support::real_servers`), one after the other.
#[test]
fn openssh_2k_on_real_servers() {
    for kind in real_servers() {
        eprintln!("real server {kind}: starting");
        let server = Server::start_kind(&kind);
        openssh_2k_on(&server);
        eprintln!("real server {kind}: 2,000 OpenSSH documents labelled, counts exact, rerun rewrote nothing");
    }
}

fn openssh_2k_on(server: &Server) {
    let http = Http::new(&server.url);
    let rows = loghub("OpenSSH");
    assert_eq!(rows.len(), 2000);
    http.load(rows.iter().enumerate().map(|(i, (msg, ev))| {
        let ts = sample_time(i);
        ("ssh-logs".to_string(), json!({"message": msg, "@timestamp": ts, "event_id": ev, "line": i}))
    }));

    let out = logsift(&[
        "run",
        "--once",
        "--url",
        &server.url,
        "--index",
        "ssh-logs",
        "--source-name",
        "sshd",
        "--set",
        "write.batch_docs=700",
    ]);
    let err = stderr(&out);
    assert!(out.status.success(), "{err}");
    assert_eq!(summary_field(&err, "labelled"), 2000, "{err}");

    // Every document carries an id and a template.
    let docs = http.all_docs("ssh-logs");
    assert_eq!(docs.len(), 2000);
    let mut by_line: Vec<(u64, String, String)> = docs
        .iter()
        .map(|d| {
            let s = &d["_source"];
            let id = s["logsift"]["cluster_id"].as_str().unwrap_or_else(|| panic!("unlabelled: {s}"));
            assert!(s["logsift"]["template"].as_str().is_some_and(|t| !t.is_empty()), "no template: {s}");
            (s["line"].as_u64().unwrap(), id.to_string(), s["event_id"].as_str().unwrap().to_string())
        })
        .collect();
    by_line.sort();

    // Grouping accuracy from the documents vs the engine's own on the same lines, same order.
    let pred: Vec<String> = by_line.iter().map(|(_, id, _)| id.clone()).collect();
    let truth: Vec<String> = by_line.iter().map(|(_, _, ev)| ev.clone()).collect();
    let from_docs = grouping_accuracy(&pred, &truth);
    let mut miner = Miner::new(EngineConfig::default()).unwrap();
    let own: Vec<String> = rows.iter().map(|(m, _)| miner.add(m).cluster_id.to_string()).collect();
    let engine_own = grouping_accuracy(&own, &truth);
    eprintln!("grouping accuracy: documents {from_docs:.4}, engine {engine_own:.4}");
    assert!(from_docs >= engine_own - 0.01, "documents {from_docs} < engine {engine_own} - 0.01");

    // Cluster index counts = documents per cluster, and in total.
    let (docs_counts, index_counts) = counts(&http, "ssh-logs", "logsift-clusters");
    assert_eq!(docs_counts, index_counts);
    assert_eq!(index_counts.values().sum::<u64>(), 2000);
    let c = http.ok("GET", &format!("/logsift-clusters/_doc/{}", pred[0]), None);
    for field in
        ["cluster_id", "template", "count", "first_seen", "last_seen", "examples", "source", "algorithm", "updated_at"]
    {
        assert!(!c["_source"][field].is_null(), "cluster doc lacks {field}: {c}");
    }

    // A second run rewrites nothing: every document keeps its sequence number.
    let seq: BTreeMap<String, u64> =
        docs.iter().map(|d| (d["_id"].as_str().unwrap().to_string(), d["_seq_no"].as_u64().unwrap())).collect();
    let out2 = logsift(&["run", "--once", "--url", &server.url, "--index", "ssh-logs", "--source-name", "sshd"]);
    let err2 = stderr(&out2);
    assert!(out2.status.success(), "{err2}");
    assert_eq!(summary_field(&err2, "documents read"), 0, "{err2}");
    let seq2: BTreeMap<String, u64> = http
        .all_docs("ssh-logs")
        .iter()
        .map(|d| (d["_id"].as_str().unwrap().to_string(), d["_seq_no"].as_u64().unwrap()))
        .collect();
    assert_eq!(seq, seq2);
    let (_, index_counts2) = counts(&http, "ssh-logs", "logsift-clusters");
    assert_eq!(index_counts, index_counts2);

    // status reports the source with nothing pending.
    let st = logsift(&["status", "--url", &server.url, "--index", "ssh-logs", "--source-name", "sshd"]);
    let text = String::from_utf8_lossy(&st.stdout);
    assert!(st.status.success(), "{}", stderr(&st));
    assert!(text.contains("pending              0") && text.contains("labelled (by runs)   2000"), "{text}");
}
