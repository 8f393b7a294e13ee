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

/// A server holding `n` documents, the fault proxy with `rules` in front of it, and one
/// `run --once` through the proxy with small pages and the `extra` arguments.
struct ProxiedRun {
    server: Server,
    http: Http,
    proxy: FaultProxy,
    out: std::process::Output,
    err: String,
}

fn run_through_proxy(n: usize, rules: Vec<Rule>, extra: &[&str]) -> ProxiedRun {
    let server = Server::start();
    let http = Http::new(&server.url);
    load_logs(&http, n);
    let proxy = FaultProxy::start(&server.url, rules);
    let mut args = vec!["run", "--once", "--url", &proxy.url, "--index", "fault-logs"];
    args.extend(PAGING);
    args.extend(extra);
    let out = logsift(&args);
    let err = stderr(&out);
    ProxiedRun { server, http, proxy, out, err }
}

/// Small pages so that a 10,000-document run sends ~50 scroll requests.
const PAGING: [&str; 4] = ["--set", "read.page_size=200", "--set", "connection.initial_backoff_ms=20"];

#[test]
fn failed_scroll_pages_are_read_again_and_every_document_is_labelled() {
    let ProxiedRun { server, http, proxy, out, err } = run_through_proxy(
        10_000,
        vec![
            Rule::every("/_search/scroll", 10, Fault::Unavailable),
            Rule::every("/_search/scroll", 13, Fault::Reset),
            Rule::every("/_bulk", 5, Fault::Unavailable),
        ],
        &[],
    );
    assert!(proxy.injected.load(std::sync::atomic::Ordering::SeqCst) >= 5, "faults were injected: {err}");
    assert!(out.status.success(), "{err}");
    assert_eq!(labelled(&http), 10_000, "{err}");
    // A rerun finds nothing pending.
    let out = logsift(&["run", "--once", "--url", &server.url, "--index", "fault-logs"]);
    assert_eq!(summary_field(&stderr(&out), "documents read"), 0, "{}", stderr(&out));
}

#[test]
fn a_page_with_bytes_a_json_parser_rejects_blocks_nothing_behind_it() {
    // Every first search answer (the page that opens the scroll) gets a lone surrogate escape.
    let ProxiedRun { server: _server, http, proxy, out, err } =
        run_through_proxy(1_000, vec![Rule::every("fault-logs/_search", 1, Fault::LoneSurrogate)], &[]);
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
    // Every bulk request is refused with `Retry-After: 2`: logsift waits what it was told
    // (bounded by connection.max_backoff_ms), not its own 20 ms first backoff.
    let ProxiedRun { out, err, .. } = run_through_proxy(
        100,
        vec![Rule::every("/_bulk", 1, Fault::TooManyRequests { retry_after: 2 })],
        &["--set", "connection.max_retries=1"],
    );
    assert!(err.contains("wait_ms=2000"), "Retry-After: 2 was not honoured: {err}");
    assert!(!out.status.success(), "every write was refused, yet exit 0: {err}");
}

/// Every document labelled, the cluster index exact, and the summary clean: nothing "left pending".
fn assert_all_labelled_and_exact(http: &Http, n: usize, err: &str) {
    assert_eq!(labelled(http), n, "{err}");
    let (from_docs, from_index) = counts(http, "fault-logs", "logsift-clusters");
    assert_eq!(from_docs, from_index, "cluster counts differ from the documents: {err}");
    assert_eq!(from_index.values().sum::<u64>(), n as u64, "{err}");
    assert_eq!(summary_field(err, "not written"), 0, "a write that landed was reported left pending: {err}");
}

/// The bar: a tenth of the search and scroll requests fail (503, a cut connection, a
/// stall beyond the client's timeout, a stall within it) and a fifth of the bulk requests are
/// refused with 429: one `run --once` labels all 10,000 documents and exits 0.
#[test]
fn ten_percent_failed_reads_and_twenty_percent_throttled_writes_label_all_in_one_run() {
    let ProxiedRun { server, http, proxy, out, err } = run_through_proxy(
        10_000,
        vec![
            Rule::every("_search", 40, Fault::Unavailable),
            Rule::every("_search", 39, Fault::Reset),
            Rule::every("_search", 38, Fault::Stall { ms: 2_500 }),
            Rule::every("_search", 37, Fault::Stall { ms: 300 }),
            Rule::every("/_bulk", 5, Fault::TooManyRequests { retry_after: 0 }),
        ],
        &["--set", "connection.timeout_secs=1", "--set", "write.batch_docs=1000", "--set", "write.bulk_size=200"],
    );
    // ~55 search and scroll requests (a tenth of them fail) and ~60 bulk requests (a fifth refused).
    assert!(proxy.injected.load(std::sync::atomic::Ordering::SeqCst) >= 15, "faults were injected: {err}");
    assert!(out.status.success(), "{err}");
    assert_all_labelled_and_exact(&http, 10_000, &err);
    let out = logsift(&["run", "--once", "--url", &server.url, "--index", "fault-logs"]);
    assert_eq!(summary_field(&stderr(&out), "documents read"), 0, "{}", stderr(&out));
}

/// An answer cut short (no Content-Length, half the body, connection closed) to a bulk request
/// or to the set-up's component templates is sent again, not fatal.
#[test]
fn truncated_answers_to_bulk_and_setup_requests_are_sent_again() {
    let ProxiedRun { server: _server, http, proxy, out, err } = run_through_proxy(
        2_000,
        vec![Rule::first("/_component_template", 1, Fault::Truncate), Rule::every("/_bulk", 3, Fault::Truncate)],
        &["--set", "write.bulk_size=100"],
    );
    assert!(proxy.injected.load(std::sync::atomic::Ordering::SeqCst) >= 3, "{err}");
    assert!(out.status.success(), "{err}");
    assert!(err.contains("POST /_bulk"), "the retried request is named: {err}");
    assert_all_labelled_and_exact(&http, 2_000, &err);
}

/// Writes that landed although their answer said otherwise (a 503 after forwarding, items
/// applied but reported 503) are resent, come back 409, and are recognised as this run's own:
/// the summary counts them as labelled, not as conflicts left pending.
#[test]
fn writes_applied_but_reported_failed_are_counted_as_written() {
    let ProxiedRun { server: _server, http, proxy, out, err } = run_through_proxy(
        3_000,
        vec![Rule::every("/_bulk", 2, Fault::ItemsAppliedButFailed), Rule::every("/_bulk", 3, Fault::AppliedThen503)],
        &["--set", "write.bulk_size=100"],
    );
    assert!(proxy.injected.load(std::sync::atomic::Ordering::SeqCst) >= 4, "{err}");
    assert!(out.status.success(), "{err}");
    assert!(err.contains("this run's own earlier attempts"), "{err}");
    assert_eq!(summary_field(&err, "labelled"), 3_000, "{err}");
    assert_all_labelled_and_exact(&http, 3_000, &err);
}

/// The server refusing connections for 6 s mid-run (a restart) is waited out with the default
/// backoff: everything labelled, exit 0.
#[test]
fn an_outage_of_a_few_seconds_is_waited_out() {
    let server = Server::start();
    let http = Http::new(&server.url);
    load_logs(&http, 6_000);
    let proxy = FaultProxy::start(&server.url, Vec::new());
    let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_logsift"))
        .args(["run", "--once", "--url", &proxy.url, "--index", "fault-logs", "--set", "read.page_size=200"])
        .args(["--set", "write.batch_docs=400"])
        .env("NO_COLOR", "1")
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let mut reader = std::io::BufReader::new(child.stderr.take().unwrap());
    let mut err = read_until(&mut reader, "progress");
    proxy.outage(std::time::Duration::from_secs(6));
    let mut rest = String::new();
    std::io::Read::read_to_string(&mut reader, &mut rest).unwrap();
    err += &rest;
    let status = child.wait().unwrap();
    assert_eq!(proxy.outages.load(std::sync::atomic::Ordering::SeqCst), 1);
    assert!(err.contains("retrying"), "the outage was noticed: {err}");
    assert!(status.success(), "{err}");
    assert_all_labelled_and_exact(&http, 6_000, &err);
}
