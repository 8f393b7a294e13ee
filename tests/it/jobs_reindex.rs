//! The reindex bar: after the engine settings change, a `reindex` job relabels every document of
//! the index; counts in the cluster index stay exact; killing the job mid-run (SIGKILL) and
//! starting it again ends in the same state as an uninterrupted run would.

use crate::support::*;
use logsift::config::{self, Overrides};
use logsift::engine::Miner;
use logsift::ids::cluster_key;
use serde_json::{json, Value};
use std::collections::BTreeMap;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

#[test]
fn reindex_relabels_everything_exactly_and_survives_a_kill() {
    relabel_on(&Server::start());
}

/// The same on any server (the real servers run it too: `real_servers`); it owns the server's
/// `ssh-logs` index and logsift's default indices while it runs.
pub fn relabel_on(server: &Server) {
    let http = Http::new(&server.url);
    let rows = loghub("OpenSSH");
    http.load(rows.iter().enumerate().map(|(i, (msg, _))| {
        let ts = sample_time(i);
        ("ssh-logs".to_string(), json!({"message": msg, "@timestamp": ts}))
    }));
    let out = logsift(&["run", "--once", "--url", &server.url, "--index", "ssh-logs", "--source-name", "sshd"]);
    assert!(out.status.success(), "{}", stderr(&out));
    // Labels from "before the change": every document carries an id and template of an old
    // labelling, so the job has to rewrite all of them (whatever the engine's masks do).
    let mut nd = String::new();
    for d in http.all_docs("ssh-logs") {
        let old = d["_source"]["logsift"]["cluster_id"].as_str().unwrap().replace("sshd-", "sshd-old");
        nd += &format!(
            "{}\n{}\n",
            json!({"update": {"_index": "ssh-logs", "_id": d["_id"]}}),
            json!({"doc": {"logsift": {"cluster_id": old, "template": "old <*>"}}})
        );
    }
    assert_eq!(http.bulk_ndjson(nd)["errors"], json!(false));

    let dir = tempfile::tempdir().unwrap();
    let cfg_path = ssh_config(
        dir.path(),
        &server.url,
        r#"
[engine]
disable_masks = ["hex"]
[[jobs]]
name = "relabel"
kind = "reindex"
docs_per_sec = 250
bulk_size = 50
"#,
    );
    let cfg = config::load(&Overrides { file: Some(cfg_path.clone()), ..Overrides::default() }).unwrap();
    let cfg_arg = cfg_path.to_string_lossy().into_owned();

    // The labels an uninterrupted run gives: a fresh miner over the documents in time order.
    let mut docs = http.all_docs("ssh-logs");
    docs.sort_by_key(|d| {
        (
            d["_source"]["@timestamp"].as_str().unwrap().to_string(),
            d["_index"].as_str().unwrap().to_string(),
            d["_id"].as_str().unwrap().to_string(),
        )
    });
    let mut miner = Miner::new(cfg.engine.clone()).unwrap();
    let ids: Vec<_> = docs.iter().map(|d| miner.add(d["_source"]["message"].as_str().unwrap()).cluster_id).collect();
    let expected: BTreeMap<String, (String, String)> = docs
        .iter()
        .zip(&ids)
        .map(|(d, id)| {
            (d["_id"].as_str().unwrap().to_string(), (cluster_key("sshd", *id), miner.template(*id).unwrap()))
        })
        .collect();

    // Start the job, kill it once part of the documents are relabelled, start it again.
    let mut child = Command::new(env!("CARGO_BIN_EXE_logsift"))
        .args(["jobs", "-c", &cfg_arg, "run", "relabel", "--wait"])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let old_left = || {
        http.ok("POST", "/ssh-logs/_count", Some(json!({"query": {"term": {"logsift.template": "old <*>"}}})))["count"]
            .as_u64()
            .unwrap()
    };
    let start = Instant::now();
    loop {
        let left = old_left();
        if left < 1900 {
            assert!(left > 0, "the job finished before it could be killed; lower docs_per_sec");
            break;
        }
        assert!(start.elapsed() < Duration::from_secs(60), "the job relabels nothing");
        std::thread::sleep(Duration::from_millis(100));
    }
    child.kill().unwrap();
    child.wait().unwrap();
    assert!(old_left() > 0);
    let out = logsift(&["jobs", "-c", &cfg_arg, "run", "relabel", "--wait"]);
    assert!(out.status.success(), "{}", stderr(&out));

    // Every document carries exactly what an uninterrupted run gives.
    let after = http.all_docs("ssh-logs");
    assert_eq!(after.len(), 2000);
    for d in &after {
        let (id, t) = &expected[d["_id"].as_str().unwrap()];
        assert_eq!(d["_source"]["logsift"]["cluster_id"], json!(id), "{}", d["_source"]);
        assert_eq!(d["_source"]["logsift"]["template"], json!(t), "{}", d["_source"]);
    }
    // Counts exact; no cluster document without documents.
    let (from_docs, from_index) = counts(&http, "ssh-logs", "logsift-clusters");
    assert_eq!(from_docs, from_index);
    assert_eq!(from_index.values().sum::<u64>(), 2000);

    // The run is recorded; a further run rewrites nothing.
    let status = Command::new(env!("CARGO_BIN_EXE_logsift"))
        .args(["jobs", "-c", &cfg_arg, "status", "relabel"])
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&status.stdout).into_owned();
    assert!(text.contains("reindex") && text.contains("success"), "{text}");
    let out = logsift(&["jobs", "-c", &cfg_arg, "run", "relabel", "--wait"]);
    let text = String::from_utf8_lossy(&out.stdout).into_owned();
    assert!(out.status.success() && text.contains("relabelled 0"), "{text}");
    let unchanged: Vec<Value> = http.all_docs("ssh-logs").iter().map(|d| d["_seq_no"].clone()).collect();
    assert_eq!(unchanged, after.iter().map(|d| d["_seq_no"].clone()).collect::<Vec<_>>());
}
