//! The scenarios only a real server can falsify, run on osmem-server and on each real server of
//! `support::real_servers` (OpenSearch 2 and 3, Elasticsearch 7 from `tools/search-server/start`),
//! one server per kind, each scenario on its own index and source:
//! - SIGKILLs during a 30k run, then a restart: nothing lost, counts exact;
//! - every paging mode the server has (scroll, sliced scroll, PIT with `_shard_doc`);
//! - a concurrent writer: another client updates documents logsift has read but not yet written,
//!   so the server answers real 409s; nothing is overwritten and a rerun labels them;
//! - the `reindex` job's `_reindex` copy as a task where `_tasks` exists, cancelled by SIGTERM
//!   (the task is cancelled on the server), then run again to the end;
//! - bad documents (no message, not a string, too large, a mapping conflict between indices):
//!   counted, marked, never fatal (`sidecar_bad_input::bad_documents_on`);
//! - near-real-time refresh: a document indexed without refresh while `run` follows is labelled
//!   by a later pass, never skipped for good;
//! - then, on the real servers, the API and job tests of other modules (`api_sidecar`: classify
//!   through `run`'s API, jobs run and cancelled at shutdown through it; `jobs_remine`; `jobs_reindex`).

use crate::support::fault_proxy::{Fault, FaultProxy, Rule};
use crate::support::*;
use serde_json::{json, Value};
use std::collections::BTreeMap;
use std::process::{Command, Stdio};
use std::sync::atomic::Ordering;
use std::time::{Duration, Instant};

#[test]
fn real_server_scenarios_on_osmem() {
    scenarios(&Server::start(), "osmem");
}

#[test]
fn real_server_scenarios_on_real_servers() {
    for kind in real_servers() {
        eprintln!("real server {kind}: starting");
        let server = Server::start_kind(&kind);
        scenarios(&server, &kind);
        // The API and job scenarios of their own modules, each on a server emptied of the
        // indices the one before it made (they use the default index names).
        let http = Http::new(&server.url);
        for (what, scenario) in [
            (
                "classify through the API of `run` matches what it writes; jobs through the API",
                crate::api_sidecar::classify_matches_on as fn(&Server),
            ),
            ("remine (LogCluster): ids kept, outliers flagged, counts exact", crate::jobs_remine::remine_on),
            ("reindex: relabelled exactly, survives a kill", crate::jobs_reindex::relabel_on),
            ("time-range counts (API, top, status) equal a terms aggregation", crate::api_ranges::range_counts_on),
            ("compare: exactly the planted new/gone/grown templates", crate::api_ranges::compare_on),
            ("two [[sources]] on one index: own ids, status, jobs per source", |s: &Server| {
                crate::sources_multi::two_sources_on(s, false)
            }),
        ] {
            delete_user_indices(&http);
            let t = Instant::now();
            scenario(&server);
            eprintln!("{kind}: {what} ({:.0} s)", t.elapsed().as_secs_f64());
        }
    }
}

/// Deletes every index not starting with `.` (one by one: no wildcard delete needed).
fn delete_user_indices(http: &Http) {
    let list = http.ok("GET", "/_cat/indices?format=json&h=index", None);
    for i in list.as_array().into_iter().flatten().filter_map(|r| r["index"].as_str()) {
        if !i.starts_with('.') {
            http.ok("DELETE", &format!("/{i}"), None);
        }
    }
}

fn scenarios(server: &Server, kind: &str) {
    let http = Http::new(&server.url);
    let root = http.ok("GET", "/", None);
    let t = Instant::now();
    kills_then_restart(server, &http);
    eprintln!("{kind}: 3 SIGKILLs on 30k, restart: nothing lost, counts exact ({:.0} s)", t.elapsed().as_secs_f64());
    let t = Instant::now();
    let modes = paging_modes(server, &http, &root);
    eprintln!("{kind}: paging {modes:?}: all labelled, counts exact ({:.0} s)", t.elapsed().as_secs_f64());
    let t = Instant::now();
    let conflicts = concurrent_writer(server, &http);
    eprintln!(
        "{kind}: concurrent writer: {conflicts} real 409s, nothing overwritten, rerun labelled them ({:.0} s)",
        t.elapsed().as_secs_f64()
    );
    let t = Instant::now();
    let how = copy_as_task_with_cancel(server, &http);
    eprintln!("{kind}: _reindex copy {how}, then copied and labelled whole ({:.0} s)", t.elapsed().as_secs_f64());
    let t = Instant::now();
    crate::sidecar_bad_input::bad_documents_on(server);
    eprintln!("{kind}: bad documents counted, marked, not read again ({:.0} s)", t.elapsed().as_secs_f64());
    let t = Instant::now();
    unrefreshed_document(server, &http);
    eprintln!(
        "{kind}: a document indexed without refresh was labelled by a later pass ({:.0} s)",
        t.elapsed().as_secs_f64()
    );
}

fn args<'a>(url: &'a str, index: &'a str, source: &'a str, rest: &[&'a str]) -> Vec<&'a str> {
    let mut a = vec!["run", "--once", "--url", url, "--index", index, "--source-name", source];
    a.extend_from_slice(rest);
    a
}

fn load(http: &Http, index: &str, n: usize, systems: &[&str]) {
    let mut lines = Vec::new();
    for s in systems {
        lines.extend(loghub(s).into_iter().map(|(m, _)| m));
    }
    http.load((0..n).map(|i| {
        (index.to_string(), json!({"message": lines[i % lines.len()], "@timestamp": sample_time(i), "seq": i}))
    }));
}

/// `{cluster_id: count}` from the documents of `index` and from the cluster documents of `source`.
fn source_counts(http: &Http, index: &str, source: &str) -> (BTreeMap<String, u64>, BTreeMap<String, u64>) {
    let mut from_docs = BTreeMap::new();
    for d in http.all_docs(index) {
        let id = d["_source"]["logsift"]["cluster_id"].as_str().unwrap_or("(unlabelled)").to_string();
        *from_docs.entry(id).or_insert(0) += 1;
    }
    let from_index = http
        .all_docs("logsift-clusters")
        .iter()
        .filter(|c| c["_source"]["source"] == json!(source))
        .map(|c| (c["_id"].as_str().unwrap().to_string(), c["_source"]["count"].as_u64().unwrap()))
        .collect();
    (from_docs, from_index)
}

fn assert_exact(http: &Http, index: &str, source: &str, n: u64) {
    let (from_docs, from_index) = source_counts(http, index, source);
    assert!(!from_docs.contains_key("(unlabelled)"), "{index}: unlabelled documents: {from_docs:?}");
    assert_eq!(from_docs, from_index, "{index}: cluster counts differ from the documents");
    assert_eq!(from_index.values().sum::<u64>(), n, "{index}");
}

fn kills_then_restart(server: &Server, http: &Http) {
    let n = 30_000;
    load(http, "rs-crash", n, &["OpenSSH", "Linux", "Apache", "HDFS", "Zookeeper"]);
    let a =
        args(&server.url, "rs-crash", "rs_crash", &["--set", "write.batch_docs=2000", "--set", "read.page_size=1000"]);
    let mut delays = XorShift(0x2545_F491_4F6C_DD1D);
    let mut labelled_at_kills = Vec::new();
    for _ in 0..3 {
        let delay = Duration::from_millis(delays.below(400));
        if kill_when(&a, &[], |l| l.contains("progress"), delay) == KillOutcome::Finished {
            break;
        }
        http.ok("POST", "/rs-crash/_refresh", None);
        let c =
            http.ok("POST", "/rs-crash/_count", Some(json!({"query": {"exists": {"field": "logsift.cluster_id"}}})));
        labelled_at_kills.push(c["count"].as_u64().unwrap());
    }
    assert_eq!(labelled_at_kills.len(), 3, "the run finished before 3 kills");
    assert!(labelled_at_kills.iter().any(|&c| c > 0 && c < n as u64), "no kill landed mid-run: {labelled_at_kills:?}");
    let out = logsift(&a);
    assert!(out.status.success(), "{}", stderr(&out));
    assert_exact(http, "rs-crash", "rs_crash", n as u64);
    let again = logsift(&a);
    assert_eq!(summary_field(&stderr(&again), "labelled"), 0, "a rerun wrote labels: {}", stderr(&again));
}

/// Scroll, sliced scroll, and PIT where the server has it (Elasticsearch 7.12+ and OpenSearch
/// 3.3+ sort a PIT by `_shard_doc`; logsift refuses PIT without it).
fn paging_modes(server: &Server, http: &Http, root: &Value) -> Vec<&'static str> {
    let version = root["version"]["number"].as_str().unwrap_or("0");
    let major: u32 = version.split('.').next().and_then(|v| v.parse().ok()).unwrap_or(0);
    let minor: u32 = version.split('.').nth(1).and_then(|v| v.parse().ok()).unwrap_or(0);
    let opensearch = root["version"]["distribution"] == json!("opensearch");
    let pit = if opensearch { (major, minor) >= (3, 3) } else { (major, minor) >= (7, 12) };
    let mut modes = vec![("scroll", vec!["--set", "read.paging=scroll"])];
    modes.push(("sliced", vec!["--set", "read.paging=scroll", "--set", "read.slices=3"]));
    if pit {
        modes.push(("pit", vec!["--set", "read.paging=pit"]));
    }
    for (name, extra) in &modes {
        let index = format!("rs-paging-{name}");
        load(http, &index, 5_000, &["OpenSSH", "HDFS"]);
        let mut rest = vec!["--set", "read.page_size=300"];
        rest.extend(extra.iter().copied());
        let source = index.replace('-', "_");
        let out = logsift(&args(&server.url, &index, &source, &rest));
        let err = stderr(&out);
        assert!(out.status.success(), "{name}: {err}");
        assert!(err.contains(&format!("paging {}", if *name == "sliced" { "scroll" } else { name })), "{name}: {err}");
        assert_eq!(summary_field(&err, "labelled"), 5_000, "{name}: {err}");
        assert_exact(http, &index, &source, 5_000);
    }
    modes.iter().map(|(n, _)| *n).collect()
}

/// The first bulk request is held back by the proxy; meanwhile another client updates every
/// document of the index (a new field), so the held-back guarded updates meet real 409s. They
/// are left pending (never written over the other client's change), and a rerun labels them.
fn concurrent_writer(server: &Server, http: &Http) -> u64 {
    let n = 3_000;
    load(http, "rs-conflict", n, &["Linux"]);
    let ids: Vec<String> =
        http.all_docs("rs-conflict").iter().map(|d| d["_id"].as_str().unwrap().to_string()).collect();
    let proxy = FaultProxy::start(&server.url, vec![Rule::first("/_bulk", 1, Fault::Stall { ms: 3_000 })]);
    let a = args(
        &proxy.url,
        "rs-conflict",
        "rs_conflict",
        &["--set", "write.batch_docs=1000", "--set", "write.bulk_size=500"],
    );
    // Its own file: the osmem and the real-server scenarios run at once in one test process.
    let log_dir = tempfile::tempdir().unwrap();
    let log = log_dir.path().join("run.log");
    let mut child = Command::new(env!("CARGO_BIN_EXE_logsift"))
        .args(&a)
        .env("NO_COLOR", "1")
        .stderr(std::fs::File::create(&log).unwrap())
        .stdout(Stdio::null())
        .spawn()
        .unwrap();
    let deadline = Instant::now() + Duration::from_secs(60);
    while proxy.injected.load(Ordering::SeqCst) == 0 {
        if Instant::now() > deadline || child.try_wait().unwrap().is_some() {
            panic!("the first bulk never reached the proxy: {}", std::fs::read_to_string(&log).unwrap_or_default());
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    let mut nd = String::new();
    for id in &ids {
        nd += &format!(
            "{}\n{}\n",
            json!({"update": {"_index": "rs-conflict", "_id": id}}),
            json!({"doc": {"touched": true}})
        );
    }
    let r = http.bulk_ndjson(nd);
    assert_eq!(r["errors"], json!(false), "the other client's updates failed: {r}");
    child.wait().unwrap();
    let err = std::fs::read_to_string(&log).unwrap();
    let conflicts = summary_line_number(&err, "conflict");
    assert!(conflicts >= 1, "no real 409 although every document changed under the first bulk: {err}");
    // Nothing written over the other client's change; a rerun labels what was left pending.
    let out = logsift(&args(&server.url, "rs-conflict", "rs_conflict", &[]));
    assert!(out.status.success(), "{}", stderr(&out));
    let docs = http.all_docs("rs-conflict");
    assert!(docs.iter().all(|d| d["_source"]["touched"] == json!(true)), "a label overwrote the other client's change");
    assert_exact(http, "rs-conflict", "rs_conflict", n as u64);
    conflicts
}

/// `(conflict N, …)` of the summary's `not written` line.
fn summary_line_number(err: &str, what: &str) -> u64 {
    let line = err.lines().find(|l| l.trim_start().starts_with("not written")).unwrap_or_else(|| panic!("{err}"));
    let at = line.find(&format!("({what} ")).unwrap_or_else(|| panic!("{line}")) + what.len() + 2;
    line[at..].split(|c: char| !c.is_ascii_digit()).next().unwrap().parse().unwrap()
}

/// `run` follows an index; a document indexed without `refresh` is not searchable at once on a
/// real server (near real time), yet a later pass labels it.
fn unrefreshed_document(server: &Server, http: &Http) {
    load(http, "rs-refresh", 500, &["Zookeeper"]);
    let mut child = Command::new(env!("CARGO_BIN_EXE_logsift"))
        .args(["run", "--url", &server.url, "--index", "rs-refresh", "--source-name", "rs_refresh"])
        .args(["--set", "run.poll_interval_secs=1"])
        .env("NO_COLOR", "1")
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let labelled = |http: &Http| {
        http.ok("POST", "/rs-refresh/_refresh", None);
        let c =
            http.ok("POST", "/rs-refresh/_count", Some(json!({"query": {"exists": {"field": "logsift.cluster_id"}}})));
        c["count"].as_u64().unwrap()
    };
    wait_until("the first 500 labelled", Duration::from_secs(60), || labelled(http) == 500);
    // No `refresh` parameter: searchable only after the server's next refresh.
    let (status, body) = http.req(
        "PUT",
        "/rs-refresh/_doc/late-1",
        Some(json!({"message": "Accepted password for late user from 10.0.0.1", "@timestamp": sample_time(1)})),
    );
    assert!(status < 300, "{status} {body}");
    wait_until("the unrefreshed document labelled", Duration::from_secs(60), || {
        let (s, d) = http.req("GET", "/rs-refresh/_doc/late-1", None);
        s == 200 && d["_source"]["logsift"]["cluster_id"].is_string()
    });
    // The cluster document follows the label within the same batch (its step 5).
    wait_until("the cluster index to count the late document", Duration::from_secs(30), || {
        let (from_docs, from_index) = source_counts(http, "rs-refresh", "rs_refresh");
        from_docs == from_index
    });
    let _ = child.kill();
    let _ = child.wait();
    assert_exact(http, "rs-refresh", "rs_refresh", 501);
}

/// The `reindex` job with a destination: on a server with the tasks API the copy runs as a task;
/// SIGTERM to `jobs run` cancels that task on the server; a second run copies and labels all.
fn copy_as_task_with_cancel(server: &Server, http: &Http) -> &'static str {
    load_openssh(http, "ssh-logs");
    let dir = tempfile::tempdir().unwrap();
    let job = "[[jobs]]\nname = \"copy\"\nkind = \"reindex\"\ndest = \"ssh-copy\"\ndest_source = \"sshcopy\"\ndocs_per_sec = 100\n";
    let cfg = path_str(&ssh_config(dir.path(), &server.url, job));
    let (tasks_status, _) = http.req("GET", "/_tasks", None);
    let has_tasks = tasks_status == 200;
    let running_copies = || -> usize {
        let (_, v) = http.req("GET", "/_tasks?actions=*reindex&detailed=true", None);
        v["nodes"]
            .as_object()
            .map_or(0, |nodes| nodes.values().map(|n| n["tasks"].as_object().map_or(0, |t| t.len())).sum())
    };
    let how = if has_tasks {
        let child = Command::new(env!("CARGO_BIN_EXE_logsift"))
            .args(["jobs", "-c", &cfg, "run", "copy", "--wait"])
            .env("NO_COLOR", "1")
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        wait_until("the copy task on the server", Duration::from_secs(60), || running_copies() > 0);
        assert!(Command::new("kill").args(["-TERM", &child.id().to_string()]).status().unwrap().success());
        let out = child.wait_with_output().unwrap();
        assert_eq!(out.status.code(), Some(1), "a cancelled job exits 1: {out:?}");
        wait_until("the copy task cancelled on the server", Duration::from_secs(5), || running_copies() == 0);
        http.ok("POST", "/ssh-copy/_refresh", None);
        let copied = http.ok("POST", "/ssh-copy/_count", None)["count"].as_u64().unwrap();
        assert!(copied < 2_000, "the throttled copy finished before SIGTERM: {out:?}");
        assert!(String::from_utf8_lossy(&out.stderr).contains("was cancelled"), "{out:?}");
        "as a task, cancelled on the server by SIGTERM"
    } else {
        "synchronously (no tasks API)"
    };
    // The same job unthrottled: it resumes the copy and labels it.
    let cfg = path_str(&ssh_config(dir.path(), &server.url, &job.replace("docs_per_sec = 100", "docs_per_sec = 0")));
    let out = logsift(&["jobs", "-c", &cfg, "run", "copy", "--wait"]);
    assert!(out.status.success(), "{}", stderr(&out));
    let (from_docs, from_index) = source_counts(http, "ssh-copy", "sshcopy");
    assert!(!from_docs.contains_key("(unlabelled)"), "unlabelled copies: {from_docs:?}");
    assert_eq!(from_docs, from_index);
    assert_eq!(from_index.values().sum::<u64>(), 2_000);
    how
}
