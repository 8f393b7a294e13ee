//! `reindex` with a destination: the source is copied into a new index with the server's
//! `_reindex`, and the copy is labelled as a source of its own (`{dest}-{n}` ids). Every copied
//! document is labelled as an uninterrupted run would label it, the source's documents and
//! clusters are untouched, the copy's counts in the cluster index are exact, a run killed while
//! labelling resumes without copying again, and a later run copies only what is new.

use crate::support::*;
use logsift::config::{self, Overrides};
use logsift::engine::Miner;
use logsift::ids::cluster_key;
use serde_json::{json, Value};
use std::collections::BTreeMap;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

/// `{cluster_id: count}` of the cluster documents of one source.
fn indexed_counts(http: &Http, source: &str) -> BTreeMap<String, u64> {
    http.all_docs("logsift-clusters")
        .iter()
        .filter(|d| d["_source"]["source"] == json!(source))
        .map(|d| (d["_id"].as_str().unwrap().to_string(), d["_source"]["count"].as_u64().unwrap()))
        .collect()
}

fn doc_counts(http: &Http, index: &str) -> BTreeMap<String, u64> {
    let mut m = BTreeMap::new();
    for d in http.all_docs(index) {
        *m.entry(d["_source"]["logsift"]["cluster_id"].as_str().unwrap_or("(none)").to_string()).or_insert(0) += 1;
    }
    m
}

/// `_id` → (`_seq_no`, `_source`) of every document of `index`.
fn snapshot(http: &Http, index: &str) -> BTreeMap<String, (Value, Value)> {
    http.all_docs(index)
        .into_iter()
        .map(|d| (d["_id"].as_str().unwrap().to_string(), (d["_seq_no"].clone(), d["_source"].clone())))
        .collect()
}

/// What an uninterrupted run gives: a fresh miner over the copy's documents in time order.
fn expected_labels(http: &Http, cfg: &config::Config, index: &str, source: &str) -> BTreeMap<String, (String, String)> {
    let mut docs = http.all_docs(index);
    docs.sort_by_key(|d| {
        (
            d["_source"]["@timestamp"].as_str().unwrap().to_string(),
            d["_index"].as_str().unwrap().to_string(),
            d["_id"].as_str().unwrap().to_string(),
        )
    });
    let mut miner = Miner::new(cfg.engine.clone()).unwrap();
    let ids: Vec<_> = docs.iter().map(|d| miner.add(d["_source"]["message"].as_str().unwrap()).cluster_id).collect();
    docs.iter()
        .zip(&ids)
        .map(|(d, id)| {
            (d["_id"].as_str().unwrap().to_string(), (cluster_key(source, *id), miner.template(*id).unwrap()))
        })
        .collect()
}

#[test]
fn copy_into_a_new_index_labels_every_copy_and_leaves_the_source_alone() {
    let server = Server::start();
    let http = Http::new(&server.url);
    let rows = loghub("OpenSSH");
    http.load(rows.iter().enumerate().map(|(i, (msg, _))| {
        ("ssh-logs".to_string(), json!({"message": msg, "@timestamp": sample_time(i), "line": i}))
    }));
    // The source is labelled by the sidecar first; its labels and clusters must survive the copy.
    let out = logsift(&["run", "--once", "--url", &server.url, "--index", "ssh-logs", "--source-name", "sshd"]);
    assert!(out.status.success(), "{}", stderr(&out));
    let source_before = snapshot(&http, "ssh-logs");
    let source_clusters_before = indexed_counts(&http, "sshd");
    assert_eq!(source_clusters_before.values().sum::<u64>(), 2000);

    let dir = tempfile::tempdir().unwrap();
    let cfg_path = ssh_config(
        dir.path(),
        &server.url,
        r#"
[[jobs]]
name = "copy"
kind = "reindex"
dest = "ssh-labelled"
dest_source = "sshcopy"
docs_per_sec = 250
bulk_size = 50
"#,
    );
    let cfg = config::load(&Overrides { file: Some(cfg_path.clone()), ..Overrides::default() }).unwrap();
    let cfg_arg = path_str(&cfg_path);

    // Start the copy, kill it while it labels, start it again.
    let mut child = Command::new(env!("CARGO_BIN_EXE_logsift"))
        .args(["jobs", "-c", &cfg_arg, "run", "copy", "--wait"])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let labelled = || {
        let (s, v) = http.req(
            "POST",
            "/ssh-labelled/_count",
            Some(json!({"query": {"prefix": {"logsift.cluster_id": "sshcopy-"}}})),
        );
        if s == 200 {
            v["count"].as_u64().unwrap()
        } else {
            0
        }
    };
    let start = Instant::now();
    loop {
        let n = labelled();
        if n >= 100 {
            assert!(n < 2000, "the job finished before it could be killed; lower docs_per_sec");
            break;
        }
        assert!(start.elapsed() < Duration::from_secs(90), "the copy labels nothing");
        std::thread::sleep(Duration::from_millis(100));
    }
    child.kill().unwrap();
    child.wait().unwrap();
    assert!(labelled() < 2000);
    let progress = http.ok("GET", "/logsift-state/_doc/job-progress-copy", None);
    assert_eq!(progress["_source"]["phase"], "label", "{progress}");
    assert_eq!(progress["_source"]["copy"]["created"], 2000, "{progress}");

    let out = logsift(&["jobs", "-c", &cfg_arg, "run", "copy", "--wait"]);
    assert!(out.status.success(), "{}", stderr(&out));
    let text = String::from_utf8_lossy(&out.stdout).into_owned();
    assert!(text.contains("success"), "{text}");

    // The destination: mapped for logsift, every copy labelled as an uninterrupted run would.
    let mapping = http.ok("GET", "/ssh-labelled/_mapping", None);
    assert_eq!(
        mapping["ssh-labelled"]["mappings"]["properties"]["logsift"]["properties"]["cluster_id"]["type"], "keyword",
        "{mapping}"
    );
    assert_eq!(mapping["ssh-labelled"]["mappings"]["properties"]["@timestamp"]["type"], "date", "{mapping}");
    let expected = expected_labels(&http, &cfg, "ssh-labelled", "sshcopy");
    let copies = http.all_docs("ssh-labelled");
    assert_eq!(copies.len(), 2000);
    for d in &copies {
        let (id, t) = &expected[d["_id"].as_str().unwrap()];
        assert_eq!(d["_source"]["logsift"]["cluster_id"], json!(id), "{}", d["_source"]);
        assert_eq!(d["_source"]["logsift"]["template"], json!(t), "{}", d["_source"]);
        // The same document as in the source (same id), apart from its labels.
        let (_, orig) = &source_before[d["_id"].as_str().unwrap()];
        assert_eq!(d["_source"]["message"], orig["message"]);
    }
    // Counts exact for the copy; the source and its clusters untouched.
    let copy_counts = doc_counts(&http, "ssh-labelled");
    assert_eq!(copy_counts, indexed_counts(&http, "sshcopy"));
    assert_eq!(copy_counts.values().sum::<u64>(), 2000);
    assert_eq!(snapshot(&http, "ssh-logs"), source_before);
    assert_eq!(indexed_counts(&http, "sshd"), source_clusters_before);
    let progress = http.ok("GET", "/logsift-state/_doc/job-progress-copy", None);
    assert_eq!(progress["_source"]["phase"], "done", "{progress}");

    // Documents new in the source: the next run copies only those and labels them.
    http.load((0..10).map(|i| {
        ("ssh-logs".to_string(), json!({"message": rows[i].0, "@timestamp": sample_time(3000 + i), "line": 3000 + i}))
    }));
    let copied_before = snapshot(&http, "ssh-labelled");
    let out = logsift(&["jobs", "-c", &cfg_arg, "run", "copy", "--wait"]);
    assert!(out.status.success(), "{}", stderr(&out));
    let text = String::from_utf8_lossy(&out.stdout).into_owned();
    assert!(text.contains("copied 10 ") && text.contains("relabelled 10 "), "{text}");
    let rec = http.ok("GET", "/logsift-state/_doc/job-last-copy", None);
    assert_eq!(rec["_source"]["counts"]["documents_copied"], 10, "{rec}");
    assert_eq!(rec["_source"]["counts"]["documents_relabelled"], 10, "{rec}");
    let after = snapshot(&http, "ssh-labelled");
    assert_eq!(after.len(), 2010);
    for (id, v) in &copied_before {
        assert_eq!(&after[id], v, "an already labelled copy was rewritten");
    }
    let copy_counts = doc_counts(&http, "ssh-labelled");
    assert!(!copy_counts.contains_key("(none)"));
    assert_eq!(copy_counts, indexed_counts(&http, "sshcopy"));
}

/// A copy killed half-way leaves part of the documents in the destination and the phase `copy`:
/// the next run copies the rest (skipping what is there) and labels all of it.
#[test]
fn a_copy_interrupted_while_copying_finishes_on_the_next_run() {
    let server = Server::start();
    let http = Http::new(&server.url);
    let rows = loghub("OpenSSH");
    http.load(
        rows.iter()
            .take(300)
            .enumerate()
            .map(|(i, (msg, _))| ("ssh-logs".to_string(), json!({"message": msg, "@timestamp": sample_time(i)}))),
    );
    let source_before = snapshot(&http, "ssh-logs");
    // What the killed run left: the destination with its mappings and a third of the documents.
    http.ok("PUT", "/ssh-copy", Some(json!({"mappings": {"properties": {"@timestamp": {"type": "date"}, "logsift": {"properties": {"cluster_id": {"type": "keyword"}, "template": {"type": "keyword"}}}}}})));
    let mut nd = String::new();
    for d in http.all_docs("ssh-logs").iter().take(100) {
        nd += &format!("{}\n{}\n", json!({"create": {"_index": "ssh-copy", "_id": d["_id"]}}), d["_source"]);
    }
    assert_eq!(http.bulk_ndjson(nd)["errors"], json!(false));
    http.ok(
        "PUT",
        "/logsift-state/_doc/job-progress-copy?refresh=true",
        Some(json!({"kind": "job_progress", "job": "copy", "dest": "ssh-copy", "phase": "copy"})),
    );

    let dir = tempfile::tempdir().unwrap();
    let job = |rest: &str| {
        ssh_config(dir.path(), &server.url, &format!("[[jobs]]\nname = \"copy\"\nkind = \"reindex\"\n{rest}"))
    };
    // A destination that is the source itself is refused.
    let cfg_path = job("dest = \"ssh-logs\"\n");
    let cfg_arg = path_str(&cfg_path);
    let out = logsift(&["jobs", "-c", &cfg_arg, "run", "copy", "--wait"]);
    assert!(!out.status.success() && stderr(&out).contains("is one of the source's indices"), "{}", stderr(&out));
    // So is a copy labelled under the source's own name (its recount would take over the source's clusters).
    job("dest = \"ssh-copy\"\ndest_source = \"sshd\"\n");
    let out = logsift(&["jobs", "-c", &cfg_arg, "run", "copy", "--wait"]);
    assert!(!out.status.success() && stderr(&out).contains("is the source's own name"), "{}", stderr(&out));

    job("dest = \"ssh-copy\"\n");
    let cfg = config::load(&Overrides { file: Some(cfg_path.clone()), ..Overrides::default() }).unwrap();
    let out = logsift(&["jobs", "-c", &cfg_arg, "run", "copy", "--wait"]);
    assert!(out.status.success(), "{}", stderr(&out));
    let rec = http.ok("GET", "/logsift-state/_doc/job-last-copy", None);
    assert_eq!(rec["_source"]["counts"]["documents_copied"], 200, "{rec}");
    let expected = expected_labels(&http, &cfg, "ssh-copy", "ssh-copy");
    // Each source document once (the 100 already there were not copied again).
    let copies = http.all_docs("ssh-copy");
    assert_eq!(copies.len(), 300);
    for d in &copies {
        let (id, t) = &expected[d["_id"].as_str().unwrap()];
        assert_eq!(d["_source"]["logsift"]["cluster_id"], json!(id), "{}", d["_source"]);
        assert_eq!(d["_source"]["logsift"]["template"], json!(t), "{}", d["_source"]);
    }
    let copy_counts = doc_counts(&http, "ssh-copy");
    assert_eq!(copy_counts, indexed_counts(&http, "ssh-copy"));
    assert_eq!(snapshot(&http, "ssh-logs"), source_before);
}
