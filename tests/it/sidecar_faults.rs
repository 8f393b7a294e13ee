//! Reading through faults (`support::fault_proxy` between `logsift run --once` and the server):
//! a failed scroll page does not end the pass for good, a page holding bytes a JSON parser
//! rejects does not block the documents behind it, and a run that leaves documents unread does
//! not exit 0.

use crate::support::fault_proxy::{Fault, FaultProxy, Rule};
use crate::support::*;
use serde_json::json;

fn load_logs(http: &Http, n: usize) {
    let lines = loghub("OpenSSH");
    http.load((0..n).map(|i| {
        ("fault-logs".to_string(), json!({"message": lines[i % lines.len()].0, "@timestamp": sample_time(i)}))
    }));
}

fn labelled(http: &Http) -> usize {
    http.all_docs("fault-logs").iter().filter(|d| d["_source"]["logsift"]["cluster_id"].is_string()).count()
}

/// Small pages so that a 10,000-document run sends ~50 scroll requests.
const PAGING: [&str; 4] = ["--set", "read.page_size=200", "--set", "connection.initial_backoff_ms=20"];

#[test]
fn failed_scroll_pages_are_read_again_and_every_document_is_labelled() {
    let server = Server::start();
    let http = Http::new(&server.url);
    load_logs(&http, 10_000);
    let proxy = FaultProxy::start(
        &server.url,
        vec![
            Rule { path: "/_search/scroll", every: 10, fault: Fault::Unavailable },
            Rule { path: "/_search/scroll", every: 13, fault: Fault::Reset },
            Rule { path: "/_bulk", every: 5, fault: Fault::Unavailable },
        ],
    );
    let mut args = vec!["run", "--once", "--url", &proxy.url, "--index", "fault-logs"];
    args.extend(PAGING);
    let out = logsift(&args);
    let err = stderr(&out);
    assert!(proxy.injected.load(std::sync::atomic::Ordering::SeqCst) >= 5, "faults were injected: {err}");
    assert!(out.status.success(), "{err}");
    assert_eq!(labelled(&http), 10_000, "{err}");
    // A rerun finds nothing pending.
    let out = logsift(&["run", "--once", "--url", &server.url, "--index", "fault-logs"]);
    assert_eq!(summary_field(&stderr(&out), "documents read"), 0, "{}", stderr(&out));
}

#[test]
fn a_page_with_bytes_a_json_parser_rejects_blocks_nothing_behind_it() {
    let server = Server::start();
    let http = Http::new(&server.url);
    load_logs(&http, 1_000);
    // Every first search answer (the page that opens the scroll) gets a lone surrogate escape.
    let proxy = FaultProxy::start(
        &server.url,
        vec![Rule { path: "fault-logs/_search", every: 1, fault: Fault::LoneSurrogate }],
    );
    let mut args = vec!["run", "--once", "--url", &proxy.url, "--index", "fault-logs"];
    args.extend(PAGING);
    let out = logsift(&args);
    let err = stderr(&out);
    assert!(proxy.injected.load(std::sync::atomic::Ordering::SeqCst) >= 1, "{err}");
    assert!(out.status.success(), "{err}");
    assert!(err.contains("undecodable bytes in a page replaced by U+FFFD"), "the repair is reported: {err}");
    assert_eq!(labelled(&http), 1_000, "{err}");
}

#[test]
fn a_server_gone_for_good_mid_run_gives_a_non_zero_exit() {
    let server = Server::start();
    let http = Http::new(&server.url);
    load_logs(&http, 3_000);
    let proxy = FaultProxy::start(&server.url, Vec::new());
    // Enough connections for the start, the set-up and a first page or two; then nothing answers.
    proxy.gone_after.store(20, std::sync::atomic::Ordering::SeqCst);
    let mut args = vec!["run", "--once", "--url", &proxy.url, "--index", "fault-logs"];
    args.extend(PAGING);
    args.extend(["--set", "connection.max_retries=2"]);
    let out = logsift(&args);
    let err = stderr(&out);
    assert!(!out.status.success(), "documents were left unread, yet exit 0: {err}");
    assert!(labelled(&http) < 3_000, "{err}");
}

#[test]
fn a_refused_connection_names_its_cause_and_stderr_to_a_pipe_has_no_colour() {
    let url = format!("http://127.0.0.1:{}", free_port());
    // Without NO_COLOR, stderr a pipe: no ANSI escapes.
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_logsift"))
        .args(["run", "--once", "--url", &url, "--set", "connection.max_retries=0"])
        .env_remove("NO_COLOR")
        .env_remove("RUST_LOG")
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&out.stderr).to_string();
    assert!(!out.status.success(), "{err}");
    assert!(!err.contains('\u{1b}'), "colour codes on a pipe: {err:?}");
    assert!(err.to_ascii_lowercase().contains("connection refused"), "the cause is named: {err}");
}

#[test]
fn retry_after_is_honoured() {
    let server = Server::start();
    let http = Http::new(&server.url);
    load_logs(&http, 100);
    // Every bulk request is refused with `Retry-After: 2`: logsift waits what it was told
    // (bounded by connection.max_backoff_ms), not its own 20 ms first backoff.
    let proxy = FaultProxy::start(
        &server.url,
        vec![Rule { path: "/_bulk", every: 1, fault: Fault::TooManyRequests { retry_after: 2 } }],
    );
    let mut args = vec!["run", "--once", "--url", &proxy.url, "--index", "fault-logs"];
    args.extend(PAGING);
    args.extend(["--set", "connection.max_retries=1"]);
    let out = logsift(&args);
    let err = stderr(&out);
    assert!(err.contains("wait_ms=2000"), "Retry-After: 2 was not honoured: {err}");
    assert!(!out.status.success(), "every write was refused, yet exit 0: {err}");
}
