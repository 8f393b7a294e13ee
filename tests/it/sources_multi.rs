//! Several `[[sources]]` in one daemon: two sources reading one index with different queries
//! label their documents with their own ids, each with an engine of its own (the same clusters
//! as a daemon for that source alone), and `status`, the API, `/metrics` and jobs work per source.

use crate::support::*;
use serde_json::{json, Value};
use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::Duration;

const INDEX: &str = "syslog";

/// One index holding sshd lines (`program: sshd`), kernel lines (`program: kernel`),
/// interleaved as a syslog index would hold them, and a few cron lines no source selects.
fn syslog_docs() -> Vec<(String, Value)> {
    let (ssh, linux) = (loghub("OpenSSH"), loghub("Linux"));
    let mut docs = Vec::new();
    for i in 0..ssh.len().max(linux.len()) {
        for (rows, program) in [(&ssh, "sshd"), (&linux, "kernel")] {
            if let Some((m, _)) = rows.get(i) {
                let n = docs.len();
                docs.push((INDEX.to_string(), json!({"message": m, "program": program, "@timestamp": sample_time(n)})));
            }
        }
        if i % 500 == 0 {
            let n = docs.len();
            docs.push((
                INDEX.to_string(),
                json!({"message": "(root) CMD (run-parts /etc/cron.hourly)", "program": "cron", "@timestamp": sample_time(n)}),
            ));
        }
    }
    docs
}

fn two_sources_config(dir: &Path, url: &str, listen: &str) -> String {
    let path = dir.join("logsift.toml");
    let text = format!(
        r#"[connection]
urls = ["{url}"]
[api]
listen = "{listen}"
[run]
poll_interval_secs = 1
[engine]
similarity = 0.5

[[sources]]
name = "sshd"
indices = ["{INDEX}"]
query = '{{"term": {{"program": "sshd"}}}}'

[[sources]]
name = "linux"
indices = ["{INDEX}"]
query = '{{"term": {{"program": "kernel"}}}}'
similarity = 0.4

[[jobs]]
name = "remine-linux"
kind = "remine"
source = "linux"
support = "10"
"#
    );
    std::fs::write(&path, text).unwrap();
    path_str(&path)
}

/// `{document id: cluster id}` of the documents of `program`.
fn labels(http: &Http, index: &str, program: &str) -> BTreeMap<String, Option<String>> {
    http.all_docs(index)
        .into_iter()
        .filter(|d| d["_source"]["program"] == program)
        .map(|d| {
            let id = d["_source"]["logsift"]["cluster_id"].as_str().map(str::to_string);
            (d["_id"].as_str().unwrap().to_string(), id)
        })
        .collect()
}

/// The partition of the documents of `program` into clusters, as sets of messages in order.
fn partition(http: &Http, index: &str, program: &str) -> BTreeSet<Vec<String>> {
    let mut by: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for d in http.all_docs(index) {
        if d["_source"]["program"] == program {
            let id = d["_source"]["logsift"]["cluster_id"].as_str().unwrap_or("none").to_string();
            by.entry(id).or_default().push(format!("{}", d["_source"]["@timestamp"]));
        }
    }
    by.into_values().collect()
}

#[test]
fn two_sources_on_one_index_label_their_documents_with_their_own_ids() {
    two_sources_on(&Server::start(), true);
}

/// The scenario on `server`. `same_clusters`: also check each source's clusters against a daemon
/// for that source alone, on an index of its own loaded alike (Drain depends on the read order:
/// osmem-server reads both in load order, a real server's merges may reorder one of them).
pub(crate) fn two_sources_on(server: &Server, same_clusters: bool) {
    let http = Http::new(&server.url);
    let docs = syslog_docs();
    http.load(docs.clone());
    let dir = tempfile::tempdir().unwrap();
    let cfg = two_sources_config(dir.path(), &server.url, "127.0.0.1:0");

    let out = logsift(&["run", "--once", "-c", &cfg]);
    let err = stderr(&out);
    assert!(out.status.success(), "{err}");
    // One summary per source, each counting its own documents.
    assert!(err.contains("source `sshd`") && err.contains("source `linux`"), "{err}");
    // Each sidecar's log lines name their source.
    assert!(err.lines().any(|l| l.contains("source{name=linux}") && l.contains("connected to search server")), "{err}");
    let summaries: Vec<&str> = err.split("logsift run summary").skip(1).collect();
    assert_eq!(summaries.len(), 2, "{err}");
    let labelled: Vec<u64> = summaries.iter().map(|s| summary_field(s, "labelled")).collect();
    let by_program = |p: &str| docs.iter().filter(|(_, d)| d["program"] == p).count() as u64;
    let mut expected = vec![by_program("sshd"), by_program("kernel")];
    let mut got = labelled.clone();
    expected.sort();
    got.sort();
    assert_eq!(got, expected, "{err}");

    // Every sshd document carries an `sshd-` id, every kernel one a `linux-` id; cron none.
    for (program, prefix) in [("sshd", "sshd-"), ("kernel", "linux-")] {
        let l = labels(&http, INDEX, program);
        let wrong: Vec<_> = l.values().filter(|id| !id.as_deref().is_some_and(|i| i.starts_with(prefix))).collect();
        assert!(
            wrong.is_empty(),
            "{program}: {} of {} without a {prefix} id: {:?}",
            wrong.len(),
            l.len(),
            &wrong[..wrong.len().min(5)]
        );
    }
    assert!(labels(&http, INDEX, "cron").values().all(Option::is_none), "cron lines belong to no source");
    // The cluster index counts each source's clusters exactly.
    let (from_docs, from_index) = counts(&http, INDEX, "logsift-clusters");
    assert_eq!(from_docs, from_index);
    assert!(from_index.keys().any(|k| k.starts_with("sshd-")) && from_index.keys().any(|k| k.starts_with("linux-")));

    // One engine per source: the sshd clusters are those of a daemon for sshd alone (same
    // similarity), the kernel ones those of a daemon for the kernel lines alone at 0.4.
    if same_clusters {
        let solo = "syslog-solo";
        http.load(docs.iter().map(|(_, d)| (solo.to_string(), d.clone())));
        for (program, name, similarity) in [("sshd", "sshd", "0.5"), ("kernel", "linux", "0.4")] {
            let query = format!("source.query={{\"term\": {{\"program\": \"{program}\"}}}}");
            let sim = format!("engine.similarity={similarity}");
            let o = logsift(&[
                "run",
                "--once",
                "--url",
                &server.url,
                "--index",
                solo,
                "--source-name",
                name,
                "--set",
                &query,
                "--set",
                &sim,
                "--set",
                "clusters.index=solo-clusters",
                "--set",
                "state.index=solo-state",
            ]);
            assert!(o.status.success(), "{}", stderr(&o));
            assert_eq!(partition(&http, INDEX, program), partition(&http, solo, program), "{program}");
        }
    }

    // `status` shows each source; `--source` picks one; an unknown one is refused by name.
    let st = logsift(&["status", "-c", &cfg]);
    let text = String::from_utf8_lossy(&st.stdout).to_string();
    assert!(st.status.success(), "{}", stderr(&st));
    assert!(
        text.contains("source `sshd` on `syslog` where") && text.contains("source `linux` on `syslog` where"),
        "{text}"
    );
    assert_eq!(text.matches("  pending              0").count(), 2, "{text}");
    let one = logsift(&["status", "-c", &cfg, "--source", "linux"]);
    let one_text = String::from_utf8_lossy(&one.stdout).to_string();
    assert!(one_text.contains("source `linux`") && !one_text.contains("source `sshd`"), "{one_text}");
    let bad = logsift(&["status", "-c", &cfg, "--source", "nginx"]);
    assert_eq!(bad.status.code(), Some(2));
    assert!(stderr(&bad).contains("`nginx` is not a declared source (sshd, linux)"), "{}", stderr(&bad));
    // [source] flags beside [[sources]] are refused, not silently ignored.
    let both = logsift(&["run", "--once", "-c", &cfg, "--index", "other"]);
    assert_eq!(both.status.code(), Some(2));
    assert!(stderr(&both).contains("give [source] or [[sources]], not both"), "{}", stderr(&both));

    // A job works on its own source: re-mining `linux` relabels kernel lines only.
    let sshd_before = labels(&http, INDEX, "sshd");
    let job = logsift(&["jobs", "run", "remine-linux", "--wait", "-c", &cfg]);
    assert!(job.status.success(), "{}", stderr(&job));
    assert_eq!(labels(&http, INDEX, "sshd"), sshd_before, "the sshd documents are not the job's");
    let linux_after = labels(&http, INDEX, "kernel");
    assert!(linux_after.values().all(|id| id.as_deref().is_some_and(|i| i.starts_with("linux-"))));
    assert!(linux_after.values().any(|id| id.as_deref().is_some_and(|i| i.starts_with("linux-lc-"))), "re-mined ids");
    let list = logsift(&["jobs", "list", "-c", &cfg]);
    assert!(String::from_utf8_lossy(&list.stdout).contains("remine-linux         remine   linux"), "{:?}", list);
}

#[test]
fn the_api_and_metrics_answer_for_each_source() {
    let server = Server::start();
    let http = Http::new(&server.url);
    let docs = syslog_docs();
    http.load(docs.clone());
    let dir = tempfile::tempdir().unwrap();
    let listen = format!("127.0.0.1:{}", free_port());
    let cfg = two_sources_config(dir.path(), &server.url, &listen);
    let _daemon = Terminate(
        Command::new(env!("CARGO_BIN_EXE_logsift"))
            .args(["run", "-c", &cfg])
            .env("NO_COLOR", "1")
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap(),
    );
    let api = Http::new(&format!("http://{listen}"));
    let total = docs.iter().filter(|(_, d)| d["program"] != "cron").count() as u64;
    wait_until("both sources labelled", Duration::from_secs(120), || {
        labelled_count(&http, INDEX) == total && api.req("GET", "/health", None).0 == 200
    });
    let (_, health) = api.req("GET", "/health", None);
    assert_eq!(health["sources"], json!(["sshd", "linux"]), "{health}");

    // Classify per source: the same kernel line is known to `linux`, unknown to `sshd`.
    let kernel_line = docs.iter().find(|(_, d)| d["program"] == "kernel").unwrap().1["message"].clone();
    let (s, v) = api.req("POST", "/v1/classify?source=linux", Some(json!({"message": kernel_line})));
    assert_eq!(s, 200, "{v}");
    assert!(v["cluster_id"].as_str().is_some_and(|i| i.starts_with("linux-")), "{v}");
    let (s, v) = api.req("POST", "/v1/classify?source=nginx", Some(json!({"message": kernel_line})));
    assert_eq!(s, 404, "{v}");

    // Time-range counts per source equal a terms aggregation of that source's documents.
    for (name, program) in [("sshd", "sshd"), ("linux", "kernel")] {
        let got = api.ok("GET", &format!("/v1/clusters?source={name}&since=2000-01-01&size=1000"), None);
        let got: BTreeMap<String, u64> = got["clusters"]
            .as_array()
            .unwrap()
            .iter()
            .map(|c| (c["cluster_id"].as_str().unwrap().to_string(), c["count"].as_u64().unwrap()))
            .collect();
        let agg = http.ok(
            "POST",
            &format!("/{INDEX}/_search"),
            Some(json!({"size": 0, "query": {"term": {"program": program}},
                "aggs": {"c": {"terms": {"field": "logsift.cluster_id", "size": 10000}}}})),
        );
        let want: BTreeMap<String, u64> = agg["aggregations"]["c"]["buckets"]
            .as_array()
            .unwrap()
            .iter()
            .map(|b| (b["key"].as_str().unwrap().to_string(), b["doc_count"].as_u64().unwrap()))
            .collect();
        assert_eq!(got, want, "{name}");
    }
    let (s, v) = api.req("GET", "/v1/clusters?source=nginx&since=2000-01-01", None);
    assert_eq!(s, 404, "{v}");

    // Metrics per source; the jobs of every source are listed.
    let (_, metrics) = api.req("GET", "/metrics", None);
    let text = metrics.as_str().unwrap_or_default().to_string();
    for name in ["sshd", "linux"] {
        let line = format!("logsift_documents_labelled_total{{source=\"{name}\"}}");
        assert!(text.lines().any(|l| l.starts_with(&line) && !l.ends_with(" 0")), "{line} in\n{text}");
    }
    let jobs = api.ok("GET", "/v1/jobs", None);
    assert!(jobs.to_string().contains("remine-linux"), "{jobs}");
}
