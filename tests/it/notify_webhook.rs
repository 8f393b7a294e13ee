//! New-template notifications (`[notify]`) against a local webhook receiver:
//! - in follow mode a new template reaches the receiver, with its id, template and first document;
//! - 1,000 new templates in one batch make a handful of calls that together count all of them;
//! - a webhook that never answers (or refuses connections) delays no labelling, and the run still
//!   ends cleanly;
//! - the stack-alerting examples in `kibana/alerting/` find exactly the templates born in their window.

use crate::support::*;
use serde_json::{json, Value};
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// How the receiver answers.
#[derive(Clone, Copy, PartialEq)]
enum Answer {
    Ok,
    /// Reads the request and never answers (holds the connection).
    Hang,
}

/// A webhook receiver on a loopback port: records the JSON bodies it is sent.
struct Receiver {
    url: String,
    bodies: Arc<Mutex<Vec<Value>>>,
    /// Requests read (answered or not).
    requests: Arc<AtomicUsize>,
}

impl Receiver {
    fn start(answer: Answer) -> Receiver {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let url = format!("http://{}/hook", listener.local_addr().unwrap());
        let bodies = Arc::new(Mutex::new(Vec::new()));
        let requests = Arc::new(AtomicUsize::new(0));
        let (b, r) = (bodies.clone(), requests.clone());
        std::thread::spawn(move || {
            let mut held = Vec::new();
            for conn in listener.incoming() {
                let Ok(mut conn) = conn else { continue };
                let Some(body) = read_request(&mut conn) else { continue };
                r.fetch_add(1, Ordering::SeqCst);
                if let Ok(v) = serde_json::from_slice::<Value>(&body) {
                    b.lock().unwrap().push(v);
                }
                match answer {
                    Answer::Ok => {
                        let _ = conn.write_all(b"HTTP/1.1 200 OK\r\nContent-Length: 0\r\nConnection: close\r\n\r\n");
                    }
                    Answer::Hang => held.push(conn),
                }
            }
        });
        Receiver { url, bodies, requests }
    }

    fn bodies(&self) -> Vec<Value> {
        self.bodies.lock().unwrap().clone()
    }

    /// Templates counted by the calls received so far.
    fn counted(&self) -> u64 {
        self.bodies().iter().map(|b| b["count"].as_u64().unwrap()).sum()
    }
}

fn read_request(conn: &mut TcpStream) -> Option<Vec<u8>> {
    let mut r = BufReader::new(conn.try_clone().ok()?);
    let mut len = 0usize;
    loop {
        let mut line = String::new();
        if r.read_line(&mut line).ok()? == 0 {
            return None;
        }
        let l = line.trim_end();
        if l.is_empty() {
            break;
        }
        if let Some((k, v)) = l.split_once(':') {
            if k.eq_ignore_ascii_case("content-length") {
                len = v.trim().parse().ok()?;
            }
        }
    }
    let mut body = vec![0; len];
    r.read_exact(&mut body).ok()?;
    Some(body)
}

fn notify_config(dir: &std::path::Path, url: &str, webhook: &str, extra: &str) -> String {
    let rest =
        format!("[run]\npoll_interval_secs = 1\n[notify]\nwebhook_url = \"{webhook}\"\nbatch_secs = 0.5\n{extra}");
    path_str(&ssh_config(dir, url, &rest))
}

fn cluster_count(http: &Http) -> u64 {
    http.ok("POST", "/logsift-clusters/_refresh", None);
    http.ok("POST", "/logsift-clusters/_count", Some(json!({"query": {"term": {"source": "sshd"}}})))["count"]
        .as_u64()
        .unwrap()
}

#[test]
fn a_new_template_reaches_the_webhook_in_follow_mode() {
    let server = Server::start();
    let http = Http::new(&server.url);
    load_openssh(&http, "ssh-logs");
    let hook = Receiver::start(Answer::Ok);
    let dir = tempfile::tempdir().unwrap();
    let cfg = notify_config(dir.path(), &server.url, &hook.url, "");
    let _child = Terminate(
        Command::new(env!("CARGO_BIN_EXE_logsift"))
            .args(["run", "-c", &cfg, "--listen", &format!("127.0.0.1:{}", free_port())])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap(),
    );
    let labelled = || labelled_count(&http, "ssh-logs");
    wait_until("2000 labelled", Duration::from_secs(120), || labelled() == 2000);
    // Every cluster born from the backlog is counted by the calls, in a few calls (one batch).
    // (The cluster documents are written after the labels, and the calls after them.)
    wait_until("the backlog's templates notified", Duration::from_secs(60), || {
        hook.counted() > 0 && hook.counted() == cluster_count(&http)
    });
    let clusters = cluster_count(&http);
    let calls = hook.bodies().len();
    assert!(calls <= 3, "{calls} calls for one batch of {clusters} new templates");
    let b = &hook.bodies()[0];
    assert_eq!((b["event"].clone(), b["source"].clone()), (json!("new_templates"), json!("sshd")), "{b}");
    assert_eq!(b["templates"].as_array().unwrap().len(), (clusters as usize).min(20), "{b}");

    // A document with a template never seen: notified with its id, template and document.
    let msg = "quorum lost between frobnicator shards alpha and omega";
    let r =
        http.ok("POST", "/ssh-logs/_doc?refresh=true", Some(json!({"message": msg, "@timestamp": sample_time(5000)})));
    let doc_id = r["_id"].as_str().unwrap().to_string();
    wait_until("the new template notified", Duration::from_secs(60), || {
        hook.bodies().iter().any(|b| b["templates"].as_array().unwrap().iter().any(|t| t["message"] == msg))
    });
    let bodies = hook.bodies();
    let t =
        bodies.iter().flat_map(|b| b["templates"].as_array().unwrap().clone()).find(|t| t["message"] == msg).unwrap();
    assert_eq!(t["document_id"], doc_id.as_str(), "{t}");
    assert_eq!(t["index"], "ssh-logs");
    let doc = http.ok("GET", &format!("/ssh-logs/_doc/{doc_id}"), None);
    assert_eq!(t["cluster_id"], doc["_source"]["logsift"]["cluster_id"], "{t} vs {doc}");
    assert_eq!(t["template"], doc["_source"]["logsift"]["template"]);
    assert_eq!(hook.counted(), clusters + 1, "nothing else was new");
}

/// `n` messages, each its own template: three letter-only words no other message shares.
fn distinct_messages(n: usize) -> Vec<String> {
    let word = |mut i: usize, salt: u8| {
        let mut w = String::new();
        for _ in 0..4 {
            w.push((b'a' + ((i % 26) as u8 + salt) % 26) as char);
            i /= 26;
        }
        w
    };
    (0..n).map(|i| format!("{} {} {} happened", word(i, 0), word(i, 7), word(i, 13))).collect()
}

#[test]
fn a_thousand_new_templates_make_a_handful_of_calls() {
    let server = Server::start();
    let http = Http::new(&server.url);
    let msgs = distinct_messages(1000);
    http.load(
        msgs.iter()
            .enumerate()
            .map(|(i, m)| ("ssh-logs".to_string(), json!({"message": m, "@timestamp": sample_time(i)}))),
    );
    let hook = Receiver::start(Answer::Ok);
    let dir = tempfile::tempdir().unwrap();
    let cfg = notify_config(dir.path(), &server.url, &hook.url, "");
    let out = logsift(&["run", "--once", "-c", &cfg, "--set", "write.batch_docs=5000"]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(cluster_count(&http), 1000, "each message is its own template");
    // `--once` sends what it holds before it exits.
    let calls = hook.bodies().len();
    assert!((1..=3).contains(&calls), "{calls} calls");
    assert_eq!(hook.counted(), 1000);
    let listed: usize = hook.bodies().iter().map(|b| b["templates"].as_array().unwrap().len()).sum();
    assert!(listed <= 20 * calls, "at most max_listed per call");
    assert_eq!(hook.bodies()[0]["not_listed"], json!(1000 - 20), "{}", hook.bodies()[0]);
}

#[test]
fn a_webhook_that_is_down_delays_no_labelling() {
    let server = Server::start();
    let http = Http::new(&server.url);
    load_openssh(&http, "ssh-logs");
    // Follow mode with a webhook that reads each call and never answers: every document is
    // labelled while the first call is still unanswered.
    let hook = Receiver::start(Answer::Hang);
    let dir = tempfile::tempdir().unwrap();
    let cfg = notify_config(dir.path(), &server.url, &hook.url, "timeout_secs = 600\nmax_retries = 0\n");
    let mut child = Terminate(
        Command::new(env!("CARGO_BIN_EXE_logsift"))
            .args([
                "run",
                "-c",
                &cfg,
                "--listen",
                &format!("127.0.0.1:{}", free_port()),
                "--set",
                "write.batch_docs=500",
            ])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap(),
    );
    let labelled = || labelled_count(&http, "ssh-logs");
    wait_until("2000 labelled", Duration::from_secs(120), || labelled() == 2000);
    wait_until("a first call", Duration::from_secs(60), || hook.requests.load(Ordering::SeqCst) == 1);
    // While that call hangs, new documents with new templates are labelled all the same.
    http.load((0..300).map(|i| {
        let m = format!("unseen kind {} of event here", ["p", "q", "r"][i % 3]);
        ("ssh-logs".to_string(), json!({"message": m, "@timestamp": sample_time(2000 + i)}))
    }));
    wait_until("300 more labelled", Duration::from_secs(120), || labelled() == 2300);
    assert_eq!(hook.requests.load(Ordering::SeqCst), 1, "the first call is still unanswered, no other was made");
    // SIGTERM: the process ends although the call in flight never gets an answer (it is given up).
    let _ = Command::new("kill").arg(child.0.id().to_string()).status();
    wait_until("exit after SIGTERM", Duration::from_secs(60), || child.0.try_wait().unwrap().is_some());
    assert!(child.0.try_wait().unwrap().unwrap().success());

    // `--once` with a refused port: labels everything, says the notification was not delivered,
    // exits 0 (no document is left unread).
    let port = free_port();
    let dir2 = tempfile::tempdir().unwrap();
    http.load((0..300).map(|i| {
        ("ssh-logs".to_string(), json!({"message": format!("new kind {} of event", ["x", "y", "z"][i % 3]), "@timestamp": sample_time(3000 + i)}))
    }));
    let cfg = notify_config(dir2.path(), &server.url, &format!("http://127.0.0.1:{port}/hook"), "max_retries = 1\n");
    let out = logsift(&["run", "--once", "-c", &cfg]);
    let err = stderr(&out);
    assert!(out.status.success(), "{err}");
    assert_eq!(labelled(), 2600);
    assert!(err.contains("new-template notification not delivered"), "{err}");
}

#[test]
fn stack_alerting_examples_find_the_templates_born_in_their_window() {
    let server = Server::start();
    let http = Http::new(&server.url);
    load_openssh(&http, "ssh-logs");
    let out = logsift(&["run", "--once", "--url", &server.url, "--index", "ssh-logs", "--source-name", "sshd"]);
    assert!(out.status.success(), "{}", stderr(&out));
    http.ok("POST", "/logsift-clusters/_refresh", None);
    let clusters = http.ok("POST", "/logsift-clusters/_search", Some(json!({"size": 1000})));
    let first_seen: Vec<i64> = clusters["hits"]["hits"]
        .as_array()
        .unwrap()
        .iter()
        .map(|h| {
            chrono::DateTime::parse_from_rfc3339(h["_source"]["first_seen"].as_str().unwrap())
                .unwrap()
                .timestamp_millis()
        })
        .collect();
    // A window end 10 minutes after the first document: the templates born in its last 5 minutes.
    let t0 = *first_seen.iter().min().unwrap();
    let end = t0 + 10 * 60_000;
    let expected = first_seen.iter().filter(|&&t| t >= end - 5 * 60_000 && t <= end).count() as u64;
    assert!(expected > 0 && expected < first_seen.len() as u64, "the window must split the templates: {expected}");

    let read = |f: &str| -> Value {
        serde_json::from_str(&std::fs::read_to_string(root().join("kibana/alerting").join(f)).unwrap()).unwrap()
    };
    // OpenSearch monitor: its search, as the Alerting plugin runs it.
    let monitor = read("opensearch-new-template-monitor.json");
    let search = &monitor["inputs"][0]["search"];
    let query = search["query"].to_string().replace("{{period_end}}", &end.to_string());
    let index = search["indices"][0].as_str().unwrap();
    let r = http.ok("POST", &format!("/{index}/_search"), Some(serde_json::from_str(&query).unwrap()));
    assert_eq!(r["hits"]["total"]["value"], expected, "{r}");
    assert!(r["hits"]["hits"][0]["_source"]["template"].is_string());

    // Kibana rule: its query over its index, within its time field's window.
    let rule = read("kibana-new-template-rule.json");
    let p = &rule["params"];
    let es_query: Value = serde_json::from_str(p["esQuery"].as_str().unwrap()).unwrap();
    let minutes = p["timeWindowSize"].as_i64().unwrap();
    assert_eq!(p["timeWindowUnit"], "m");
    let body = json!({"size": 0, "query": {"bool": {"filter": [
        es_query["query"],
        {"range": {p["timeField"].as_str().unwrap(): {"gte": end - minutes * 60_000, "lte": end, "format": "epoch_millis"}}}
    ]}}});
    let r = http.ok("POST", &format!("/{}/_search", p["index"][0].as_str().unwrap()), Some(body));
    assert_eq!(r["hits"]["total"]["value"], expected, "{r}");
}
