//! Bad input is counted and reported, never fatal, never silently dropped: documents without the
//! message field, non-string messages, a 1 MB message, an index deleted mid-run, a server that is
//! down at start.

use crate::support::*;
use serde_json::json;
use std::io::{BufReader, Read};
use std::process::{Command, Stdio};

#[test]
fn bad_documents_are_counted_marked_and_not_fatal() {
    bad_documents_on(&Server::start());
}

/// The bad-documents bar on `server` (also run on the real servers by `real_servers.rs`).
pub fn bad_documents_on(server: &Server) {
    let http = Http::new(&server.url);
    let big = "word ".repeat(1 << 18); // 1.25 MB
    let mut docs = vec![
        json!({"msg": "no message field here"}),
        json!({"message": null}),
        json!({"message": 12345}),
        json!({"message": {"text": "an object"}}),
        json!({ "message": big }),
    ];
    for i in 0..6 {
        docs.push(
            json!({"message": format!("user u{i} logged in from 10.0.0.{i}"), "@timestamp": "2024-01-01T00:00:00Z"}),
        );
    }
    http.ok("PUT", "/bad-logs-a", Some(json!({"mappings": {"properties": {"message": {"type": "text"}}}})));
    // An object where another document has a string is a mapping conflict within one index.
    let object_msg = json!({"message": {"text": "an object"}});
    let mut loaded: Vec<(String, serde_json::Value)> =
        docs.into_iter().filter(|d| *d != object_msg).map(|d| ("bad-logs-a".to_string(), d)).collect();
    loaded.push(("bad-logs-b".to_string(), object_msg));
    http.load(loaded);

    let out = logsift(&["run", "--once", "--url", &server.url, "--index", "bad-logs-*"]);
    let err = stderr(&out);
    assert!(out.status.success(), "{err}");
    assert_eq!(summary_field(&err, "labelled"), 6, "{err}");
    assert_eq!(summary_field(&err, "skipped"), 5, "{err}");
    assert!(err.contains("(missing field 2, not a string 2, too large 1)"), "{err}");

    let mut reasons: Vec<String> = http
        .all_docs("bad-logs-*")
        .iter()
        .filter_map(|d| d["_source"]["logsift"]["skipped"].as_str().map(String::from))
        .collect();
    reasons.sort();
    assert_eq!(reasons, ["missing_field", "missing_field", "not_string", "not_string", "too_large"]);

    // Marked documents are not read again.
    let out2 = logsift(&["run", "--once", "--url", &server.url, "--index", "bad-logs-*"]);
    assert_eq!(summary_field(&stderr(&out2), "documents read"), 0, "{}", stderr(&out2));
}

#[test]
fn server_down_at_start_is_retried_with_a_clear_log_line() {
    let port = free_port();
    let url = format!("http://127.0.0.1:{port}");
    let mut child = Command::new(env!("CARGO_BIN_EXE_logsift"))
        .args([
            "run",
            "--once",
            "--url",
            &url,
            "--index",
            "late-logs",
            "--set",
            "connection.initial_backoff_ms=100",
            "--set",
            "connection.max_backoff_ms=400",
            "--set",
            "connection.max_retries=100",
        ])
        .env("NO_COLOR", "1")
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut reader = BufReader::new(child.stderr.take().unwrap());
    let seen = read_until(&mut reader, "search server request failed, retrying");
    assert!(seen.contains("cannot reach the search server"), "{seen}");
    // Now the server comes up on that port; the run goes on and ends well.
    // The index does not exist: nothing to do, but the run must succeed.
    let _server = Server::start_on(&format!("127.0.0.1:{port}"));
    let mut rest = String::new();
    reader.read_to_string(&mut rest).unwrap();
    let status = child.wait().unwrap();
    assert!(status.success(), "{seen}{rest}");
    assert!(rest.contains("connected to search server"), "{rest}");
}

#[test]
fn server_that_never_comes_up_fails_clearly() {
    let url = format!("http://127.0.0.1:{}", free_port());
    let out = logsift(&[
        "run",
        "--once",
        "--url",
        &url,
        "--set",
        "connection.max_retries=2",
        "--set",
        "connection.initial_backoff_ms=50",
    ]);
    let err = stderr(&out);
    assert_eq!(out.status.code(), Some(1), "{err}");
    assert!(err.contains("error: cannot reach the search server"), "{err}");
    assert_eq!(err.matches("retrying").count(), 2, "{err}");
}

#[test]
fn invalid_config_names_the_key_and_exits_2() {
    let out = logsift(&["run", "--once", "--url", "http://127.0.0.1:9", "--set", "read.paging=sideways"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("`read.paging`"), "{}", stderr(&out));
}

#[test]
fn index_deleted_mid_run_is_reported_not_fatal() {
    let server = Server::start();
    let http = Http::new(&server.url);
    http.load(
        (0..8000).map(|i| ("gone-logs".to_string(), json!({"message": format!("job {i} finished in {} ms", i % 97)}))),
    );
    let mut child = Command::new(env!("CARGO_BIN_EXE_logsift"))
        .args([
            "run",
            "--once",
            "--url",
            &server.url,
            "--index",
            "gone-logs",
            "--set",
            "read.page_size=500",
            "--set",
            "write.batch_docs=500",
            "--set",
            "read.queue_pages=1",
        ])
        .env("NO_COLOR", "1")
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut reader = BufReader::new(child.stderr.take().unwrap());
    let seen = read_until(&mut reader, "progress");
    http.ok("DELETE", "/gone-logs", None);
    let mut rest = String::new();
    reader.read_to_string(&mut rest).unwrap();
    let status = child.wait().unwrap();
    let all = seen + &rest;
    assert!(status.success(), "{all}");
    let gone = summary_field(&all, "not written");
    let read_errors = all.matches("  read error: ").count();
    assert!(gone > 0 || read_errors > 0, "the deletion was not reported:\n{all}");
    assert!(summary_field(&all, "labelled") < 8000, "{all}");
}

#[test]
fn an_index_whose_mapping_conflicts_is_named_and_the_others_are_labelled() {
    let server = Server::start();
    let http = Http::new(&server.url);
    // `logsift` mapped as a keyword: the logsift.* object mapping can never be put on this index.
    http.ok("PUT", "/conf-kw", Some(json!({"mappings": {"properties": {"logsift": {"type": "keyword"}}}})));
    let lines = loghub("OpenSSH");
    http.load((0..300).map(|i| {
        let index = if i % 3 == 0 { "conf-kw" } else { "conf-good" };
        (index.to_string(), json!({"message": lines[i].0, "@timestamp": sample_time(i)}))
    }));
    let out = logsift(&["run", "--once", "--url", &server.url, "--index", "conf-*"]);
    let err = stderr(&out);
    assert!(!out.status.success(), "documents were left unlabelled, yet exit 0: {err}");
    assert!(err.contains("conf-kw"), "the error names the index: {err}");
    let docs = http.all_docs("conf-good");
    assert_eq!(docs.len(), 200);
    assert!(docs.iter().all(|d| d["_source"]["logsift"]["cluster_id"].is_string()), "conf-good fully labelled: {err}");
    assert_eq!(summary_field(&err, "mapping refused"), 100, "{err}");
}
