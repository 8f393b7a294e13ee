//! The HTTP API over a real loopback socket: classify and bulk behaviour, and every bad request
//! getting a clear JSON 4xx.

use crate::support::api as test_api;

use logsift::engine::ClusterId;
use serde_json::{json, Value};
use std::sync::Arc;
use test_api::{error_code, Options, TestApi};

const SSH_OK: &str = "Accepted password for alice from 10.0.0.1 port 22 ssh2";
const SSH_BAD: &str = "Failed password for invalid user admin from 173.234.31.186 port 38926 ssh2";

fn client() -> reqwest::Client {
    reqwest::Client::new()
}

#[tokio::test]
async fn classify_learns_and_matches_the_shared_miner() {
    let api = TestApi::start(Options::default()).await;
    let r = client().post(api.url("/v1/classify")).json(&json!({"message": SSH_OK})).send().await.unwrap();
    assert_eq!(r.status(), 200);
    let a: Value = r.json().await.unwrap();
    let id: u64 = a["cluster_id"].as_str().unwrap().parse().unwrap();
    // What the sidecar would write for a document with this message: same miner, same id.
    let (sidecar_id, template, params) = {
        let mut m = api.miner.write().unwrap();
        let id = m.add(SSH_OK).cluster_id;
        (id, m.template(id).unwrap(), m.params(id, SSH_OK))
    };
    assert_eq!(ClusterId(id), sidecar_id);
    assert_eq!(a["template"], json!(template));
    assert_eq!(a["params"], json!(params));
    // A different message gets a different cluster; the first one keeps its id.
    let b: Value = client()
        .post(api.url("/v1/classify"))
        .json(&json!({"message": SSH_BAD}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_ne!(b["cluster_id"], a["cluster_id"]);
    let a2: Value = client()
        .post(api.url("/v1/classify"))
        .json(&json!({"message": SSH_OK}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(a2["cluster_id"], a["cluster_id"]);
    api.stop().await;
}

#[tokio::test]
async fn classify_extracts_the_message_of_a_document() {
    let api = TestApi::start(Options { message_field: "log.text".into(), ..Options::default() }).await;
    let doc = json!({"@timestamp": "2026-01-01T00:00:00Z", "host": "h1", "log": {"text": SSH_OK}});
    let r = client().post(api.url("/v1/classify")).json(&doc).send().await.unwrap();
    assert_eq!(r.status(), 200);
    let a: Value = r.json().await.unwrap();
    let expected = api.miner.read().unwrap().classify(SSH_OK).unwrap();
    assert_eq!(a["cluster_id"], json!(expected.to_string()));
    // A document without that field is refused with 422, not treated as a message.
    let r = client().post(api.url("/v1/classify")).json(&json!({"host": "h1", "text": SSH_OK})).send().await.unwrap();
    assert_eq!(r.status(), 422);
    assert_eq!(error_code(r).await, "no_message");
    api.stop().await;
}

#[tokio::test]
async fn classify_strips_the_syslog_header_like_the_sidecar() {
    let api = TestApi::start(Options::default()).await;
    let line = format!("Jan 29 11:23:02 host sshd[10348]: {SSH_OK}");
    let a: Value = client()
        .post(api.url("/v1/classify"))
        .json(&json!({"message": line}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let b: Value = client()
        .post(api.url("/v1/classify"))
        .json(&json!({"message": line.replace("10348", "7")}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(a["cluster_id"], b["cluster_id"]);
    let (id, n) = {
        let m = api.miner.read().unwrap();
        (m.classify(SSH_OK).unwrap().to_string(), m.clusters().len())
    };
    assert_eq!(a["cluster_id"], json!(id));
    assert_eq!(n, 1);
    api.stop().await;
}

#[tokio::test]
async fn learn_false_only_classifies() {
    let api = TestApi::start(Options::default()).await;
    let r = client().post(api.url("/v1/classify?learn=false")).json(&json!({"message": SSH_OK})).send().await.unwrap();
    assert_eq!(r.status(), 200);
    let a: Value = r.json().await.unwrap();
    assert_eq!(a, json!({"cluster_id": null, "template": null, "params": []}));
    assert!(api.miner.read().unwrap().clusters().is_empty(), "learn=false must not add a cluster");
    let learned: Value = client()
        .post(api.url("/v1/classify"))
        .json(&json!({"message": SSH_OK}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let again: Value = client()
        .post(api.url("/v1/classify?learn=false"))
        .json(&json!({"message": SSH_OK}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(again["cluster_id"], learned["cluster_id"]);
    api.stop().await;
}

#[tokio::test]
async fn bulk_answers_each_line_in_order_with_per_line_errors() {
    let api = TestApi::start(Options::default()).await;
    let body = format!(
        "{}\n\n{}\nnot json\n{}\n{}\n[1,2]\n",
        json!({"message": SSH_OK}),
        json!({"message": SSH_BAD}),
        json!({"message": SSH_OK}),
        json!({"other": 1}),
    );
    let r = client().post(api.url("/v1/classify/_bulk")).body(body).send().await.unwrap();
    assert_eq!(r.status(), 200);
    assert_eq!(r.headers()["content-type"], "application/x-ndjson");
    let text = r.text().await.unwrap();
    let lines: Vec<Value> = text.lines().map(|l| serde_json::from_str(l).unwrap()).collect();
    assert_eq!(lines.len(), 6, "one answer per non-blank input line: {text}");
    let m = api.miner.read().unwrap().clone();
    assert_eq!(lines[0]["cluster_id"], json!(m.classify(SSH_OK).unwrap().to_string()));
    assert_eq!(lines[1]["cluster_id"], json!(m.classify(SSH_BAD).unwrap().to_string()));
    assert_eq!(lines[2], json!({"error": lines[2]["error"], "line": 4}));
    assert_eq!(lines[2]["error"]["code"], "invalid_json");
    assert_eq!(lines[3]["cluster_id"], lines[0]["cluster_id"]);
    assert_eq!(lines[4]["error"]["code"], "no_message");
    assert_eq!(lines[4]["line"], 6);
    assert_eq!(lines[5]["error"]["code"], "invalid_document");
    assert_eq!(m.cluster(m.classify(SSH_OK).unwrap()).unwrap().size, 2);
    api.stop().await;
}

#[tokio::test]
async fn bulk_and_single_classify_agree() {
    let api = TestApi::start(Options::default()).await;
    let msgs = ["a b 1", "connection closed by 10.1.1.1", "a b 2", "session opened for user root"];
    let body: String = msgs.iter().map(|m| format!("{}\n", json!({"message": m}))).collect();
    let text = client().post(api.url("/v1/classify/_bulk")).body(body).send().await.unwrap().text().await.unwrap();
    let bulk: Vec<Value> = text.lines().map(|l| serde_json::from_str(l).unwrap()).collect();
    for (m, b) in msgs.iter().zip(&bulk) {
        let single: Value = client()
            .post(api.url("/v1/classify?learn=false"))
            .json(&json!({"message": m}))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        assert_eq!(&single, b, "{m}");
    }
    api.stop().await;
}

async fn post_raw(api: &TestApi, path: &str, body: impl Into<reqwest::Body>) -> reqwest::Response {
    client().post(api.url(path)).header("content-type", "application/json").body(body).send().await.unwrap()
}

#[tokio::test]
async fn invalid_json_is_400() {
    let api = TestApi::start(Options::default()).await;
    for body in [&b"{\"message\": "[..], b"", b"\xff\xfe{}", b"{\"message\": \"a\"} trailing"] {
        let r = post_raw(&api, "/v1/classify", body.to_vec()).await;
        assert_eq!(r.status(), 400, "{body:?}");
        assert_eq!(error_code(r).await, "invalid_json");
    }
    api.stop().await;
}

#[tokio::test]
async fn non_object_json_is_400_invalid_document() {
    let api = TestApi::start(Options::default()).await;
    for body in ["\"just a string\"", "[1]", "42", "null"] {
        let r = post_raw(&api, "/v1/classify", body).await;
        assert_eq!(r.status(), 400, "{body}");
        assert_eq!(error_code(r).await, "invalid_document");
    }
    api.stop().await;
}

#[tokio::test]
async fn missing_or_non_string_message_is_422() {
    let api = TestApi::start(Options::default()).await;
    for body in
        [json!({}), json!({"message": 7}), json!({"message": null}), json!({"msg": "x"}), json!({"message": ["a"]})]
    {
        let r = client().post(api.url("/v1/classify")).json(&body).send().await.unwrap();
        assert_eq!(r.status(), 422, "{body}");
        assert_eq!(error_code(r).await, "no_message");
    }
    api.stop().await;
}

/// Sends a body with `Transfer-Encoding: chunked` (no Content-Length) over a raw socket.
async fn post_chunked(api: &TestApi, path: &str, body: &[u8]) -> (u16, String) {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let addr = api.base.trim_start_matches("http://");
    let mut s = tokio::net::TcpStream::connect(addr).await.unwrap();
    let head =
        format!("POST {path} HTTP/1.1\r\nHost: {addr}\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n");
    s.write_all(head.as_bytes()).await.unwrap();
    for c in body.chunks(1000) {
        // The server may answer and close before the whole body is sent.
        if s.write_all(format!("{:x}\r\n", c.len()).as_bytes()).await.is_err()
            || s.write_all(c).await.is_err()
            || s.write_all(b"\r\n").await.is_err()
        {
            break;
        }
    }
    let _ = s.write_all(b"0\r\n\r\n").await;
    let mut out = Vec::new();
    let _ = s.read_to_end(&mut out).await;
    let text = String::from_utf8_lossy(&out).into_owned();
    let status = text.split_whitespace().nth(1).and_then(|c| c.parse().ok()).unwrap_or(0);
    (status, text)
}

#[tokio::test]
async fn huge_bodies_are_413() {
    let api = TestApi::start(Options { max_body_bytes: 1024, max_bulk_bytes: 4096, ..Options::default() }).await;
    let big = json!({"message": "x".repeat(2000)}).to_string();
    let r = post_raw(&api, "/v1/classify", big.clone()).await;
    assert_eq!(r.status(), 413);
    assert_eq!(error_code(r).await, "body_too_large");
    // The bulk limit is separate: the same line passes there...
    let r = post_raw(&api, "/v1/classify/_bulk", big.clone()).await;
    assert_eq!(r.status(), 200);
    // ...but not a batch over its own limit, also when streamed without a Content-Length.
    let batch = format!("{big}\n").repeat(3);
    let r = post_raw(&api, "/v1/classify/_bulk", batch.clone()).await;
    assert_eq!(r.status(), 413);
    assert_eq!(error_code(r).await, "body_too_large");
    let (status, body) = post_chunked(&api, "/v1/classify/_bulk", batch.as_bytes()).await;
    assert_eq!(status, 413, "{body}");
    assert!(body.contains("\"body_too_large\""), "{body}");
    // The server still answers afterwards.
    let r = client().post(api.url("/v1/classify")).json(&json!({"message": "ok"})).send().await.unwrap();
    assert_eq!(r.status(), 200);
    api.stop().await;
}

#[tokio::test]
async fn an_announced_oversized_body_is_refused_before_it_is_sent() {
    let api = TestApi::start(Options { max_body_bytes: 1024, ..Options::default() }).await;
    let addr = api.base.trim_start_matches("http://").to_string();
    // Headers only: a client that announces 100 MB and waits for an answer before sending it.
    let answer = tokio::task::spawn_blocking(move || {
        use std::io::{Read, Write};
        let mut s = std::net::TcpStream::connect(addr).unwrap();
        s.set_read_timeout(Some(std::time::Duration::from_secs(5))).unwrap();
        write!(s, "POST /v1/classify HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 104857600\r\n\r\n").unwrap();
        let mut buf = [0u8; 4096];
        let n = s.read(&mut buf).unwrap_or(0);
        String::from_utf8_lossy(&buf[..n]).to_string()
    })
    .await
    .unwrap();
    assert!(answer.starts_with("HTTP/1.1 413"), "no 413 from the headers alone: {answer:?}");
    assert!(answer.contains("body_too_large"), "{answer}");
    api.stop().await;
}

#[tokio::test]
async fn missing_and_wrong_tokens_are_401() {
    let api = TestApi::start(Options { token: Some("s3cret-token".into()), ..Options::default() }).await;
    let body = json!({"message": SSH_OK});
    let r = client().post(api.url("/v1/classify")).json(&body).send().await.unwrap();
    assert_eq!(r.status(), 401);
    assert_eq!(r.headers()["www-authenticate"], "Bearer");
    assert_eq!(error_code(r).await, "missing_token");
    for auth in ["Bearer wrong", "Bearer s3cret-toke", "Basic czNjcmV0LXRva2Vu", "s3cret-token", "Bearer "] {
        let r = client().post(api.url("/v1/classify")).header("authorization", auth).json(&body).send().await.unwrap();
        assert_eq!(r.status(), 401, "{auth}");
        assert_eq!(error_code(r).await, "invalid_token");
    }
    let r = client().get(api.url("/metrics")).send().await.unwrap();
    assert_eq!(r.status(), 401);
    // No learning happened for refused requests.
    assert!(api.miner.read().unwrap().clusters().is_empty());
    let r = client().post(api.url("/v1/classify")).bearer_auth("s3cret-token").json(&body).send().await.unwrap();
    assert_eq!(r.status(), 200);
    // Health stays open for probes.
    assert_eq!(client().get(api.url("/health")).send().await.unwrap().status(), 200);
    assert_eq!(client().get(api.url("/health/live")).send().await.unwrap().status(), 200);
    api.stop().await;
}

#[tokio::test]
async fn unknown_routes_methods_sources_and_queries_are_clear_4xx() {
    let api = TestApi::start(Options::default()).await;
    let r = client().get(api.url("/v1/nope")).send().await.unwrap();
    assert_eq!(r.status(), 404);
    assert_eq!(error_code(r).await, "unknown_route");
    let r = client().get(api.url("/v1/classify")).send().await.unwrap();
    assert_eq!(r.status(), 405);
    assert_eq!(error_code(r).await, "method_not_allowed");
    let r = client().post(api.url("/v1/classify?source=nginx")).json(&json!({"message": "a"})).send().await.unwrap();
    assert_eq!(r.status(), 404);
    assert_eq!(error_code(r).await, "unknown_source");
    for q in ["learn=maybe", "colour=red"] {
        let r =
            client().post(api.url(&format!("/v1/classify?{q}"))).json(&json!({"message": "a"})).send().await.unwrap();
        assert_eq!(r.status(), 400, "{q}");
        assert_eq!(error_code(r).await, "invalid_query");
    }
    let r = client().post(api.url("/v1/classify?source=ssh")).json(&json!({"message": "a"})).send().await.unwrap();
    assert_eq!(r.status(), 200);
    // Jobs: none are configured here, so every name is unknown.
    let r = client().post(api.url("/v1/jobs/remine-week/run")).send().await.unwrap();
    assert_eq!(r.status(), 404);
    assert_eq!(error_code(r).await, "unknown_job");
    let r = client().get(api.url("/v1/jobs/nope")).send().await.unwrap();
    assert_eq!(r.status(), 404);
    assert_eq!(error_code(r).await, "unknown_job");
    let r: Value = client().get(api.url("/v1/jobs")).send().await.unwrap().json().await.unwrap();
    assert_eq!(r, json!({"jobs": []}));
    api.stop().await;
}

#[tokio::test]
async fn odd_messages_never_break_the_server() {
    let api = TestApi::start(Options::default()).await;
    let long = "word ".repeat(12_000);
    for m in ["", " ", "\u{0}\u{1}\u{7f}", "\u{202e}évil ünicode 🙂", long.as_str()] {
        let r = client().post(api.url("/v1/classify")).json(&json!({"message": m})).send().await.unwrap();
        assert_eq!(r.status(), 200, "{:?}", &m[..m.len().min(20)]);
    }
    // Over the source's message size limit (the sidecar skips such documents): a clear 422.
    let huge = "word ".repeat(100_000);
    let r = client().post(api.url("/v1/classify")).json(&json!({"message": huge})).send().await.unwrap();
    assert_eq!(r.status(), 422);
    assert_eq!(error_code(r).await, "message_too_large");
    let r = client().get(api.url("/health/live")).send().await.unwrap();
    assert_eq!(r.status(), 200);
    api.stop().await;
}

#[tokio::test]
async fn health_reports_the_search_server() {
    let api = TestApi::start(Options::default()).await;
    let h: Value = client().get(api.url("/health")).send().await.unwrap().json().await.unwrap();
    assert_eq!(h["search_server"]["status"], "not_configured");
    assert_eq!(h["ready"], true);
    assert_eq!(h["sources"], json!(["ssh"]));
    api.stop().await;

    let down: logsift::api::SearchProbe = Arc::new(|| Box::pin(async { Err("connection refused".to_string()) }));
    let api = TestApi::start(Options { probe: Some(down), ..Options::default() }).await;
    let r = client().get(api.url("/health")).send().await.unwrap();
    assert_eq!(r.status(), 503);
    let h: Value = r.json().await.unwrap();
    assert_eq!((h["live"].clone(), h["ready"].clone()), (json!(true), json!(false)));
    assert_eq!(h["search_server"], json!({"status": "down", "error": "connection refused"}));
    assert_eq!(client().get(api.url("/health/live")).send().await.unwrap().status(), 200);
    api.stop().await;

    let up: logsift::api::SearchProbe = Arc::new(|| Box::pin(async { Ok(()) }));
    let api = TestApi::start(Options { probe: Some(up), ..Options::default() }).await;
    let r = client().get(api.url("/health")).send().await.unwrap();
    assert_eq!(r.status(), 200);
    let h: Value = r.json().await.unwrap();
    assert_eq!(h["search_server"]["status"], "up");
    api.stop().await;
}

#[tokio::test]
async fn metrics_count_requests_and_clusters() {
    let api = TestApi::start(Options::default()).await;
    for m in [SSH_OK, SSH_BAD, SSH_OK] {
        client().post(api.url("/v1/classify")).json(&json!({"message": m})).send().await.unwrap();
    }
    client().post(api.url("/v1/classify")).body("{").send().await.unwrap();
    api.metrics.documents_skipped.with(&["ssh", "no_message"]).add(5);
    let r = client().get(api.url("/metrics")).send().await.unwrap();
    assert_eq!(r.status(), 200);
    assert!(r.headers()["content-type"].to_str().unwrap().starts_with("text/plain; version=0.0.4"));
    let text = r.text().await.unwrap();
    let n_clusters = api.miner.read().unwrap().clusters().len();
    assert!(text.contains("logsift_api_classified_total{source=\"ssh\",mode=\"learn\"} 3\n"), "{text}");
    assert!(text.contains("logsift_api_requests_total{route=\"/v1/classify\",status=\"200\"} 3\n"), "{text}");
    assert!(text.contains("logsift_api_requests_total{route=\"/v1/classify\",status=\"400\"} 1\n"), "{text}");
    assert!(text.contains(&format!("logsift_clusters{{source=\"ssh\"}} {n_clusters}\n")), "{text}");
    assert!(text.contains("logsift_documents_skipped_total{source=\"ssh\",reason=\"no_message\"} 5\n"));
    api.stop().await;
}

#[tokio::test]
async fn clusters_from_the_live_miner_without_a_search_server() {
    let api = TestApi::start(Options::default()).await;
    // A time that is not one is refused by the API itself, with its own words.
    let r = client().get(api.url("/v1/clusters?since=garbage")).send().await.unwrap();
    assert_eq!(r.status(), 400);
    let body: Value = r.json().await.unwrap();
    assert_eq!(body["error"]["code"], "invalid_query", "{body}");
    assert!(body["error"]["message"].as_str().unwrap().contains("since `garbage`"), "{body}");
    for m in [SSH_OK, SSH_BAD, SSH_OK, SSH_OK] {
        client().post(api.url("/v1/classify")).json(&json!({"message": m})).send().await.unwrap();
    }
    let top: Value = client().get(api.url("/v1/clusters?order=top&size=1")).send().await.unwrap().json().await.unwrap();
    let ok_id = api.miner.read().unwrap().classify(SSH_OK).unwrap().to_string();
    assert_eq!(top["clusters"].as_array().unwrap().len(), 1);
    assert_eq!(top["clusters"][0]["cluster_id"], json!(ok_id));
    assert_eq!(top["clusters"][0]["count"], 3);
    let rare: Value = client().get(api.url("/v1/clusters?order=rare")).send().await.unwrap().json().await.unwrap();
    assert_eq!(rare["clusters"][0]["count"], 1);
    let one: Value =
        client().get(api.url(&format!("/v1/clusters/{ok_id}"))).send().await.unwrap().json().await.unwrap();
    assert_eq!(one["count"], 3);
    let r = client().get(api.url("/v1/clusters/999")).send().await.unwrap();
    assert_eq!(r.status(), 404);
    assert_eq!(error_code(r).await, "unknown_cluster");
    for q in ["order=best", "size=0", "size=5000", "bogus=1"] {
        let r = client().get(api.url(&format!("/v1/clusters?{q}"))).send().await.unwrap();
        assert_eq!(r.status(), 400, "{q}");
        assert_eq!(error_code(r).await, "invalid_query");
    }
    api.stop().await;
}

/// Sends `raw` (a whole HTTP/1.1 request) over a socket and reads the answer until the server
/// closes the connection, failing the test after 5 s: an answer, never a hang.
async fn raw_exchange(api: &TestApi, raw: Vec<u8>) -> (u16, String) {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let addr = api.base.trim_start_matches("http://").to_string();
    let exchange = async move {
        let mut s = tokio::net::TcpStream::connect(addr).await.unwrap();
        // The server may answer and close before the whole request is sent.
        let _ = s.write_all(&raw).await;
        let mut out = Vec::new();
        let _ = s.read_to_end(&mut out).await;
        out
    };
    let out = tokio::time::timeout(std::time::Duration::from_secs(5), exchange).await.expect("an answer within 5 s");
    let text = String::from_utf8_lossy(&out).into_owned();
    let status = text.split_whitespace().nth(1).and_then(|c| c.parse().ok()).unwrap_or(0);
    (status, text)
}

/// A request with `head` lines (each ending in CRLF) and `body`, asking the server to close after.
fn request(line: &str, head: &str, body: &[u8]) -> Vec<u8> {
    let mut r =
        format!("{line}\r\nHost: x\r\nConnection: close\r\nContent-Length: {}\r\n{head}\r\n", body.len()).into_bytes();
    r.extend_from_slice(body);
    r
}

#[tokio::test]
async fn deeply_nested_json_is_400_not_a_stack_overflow() {
    let api = TestApi::start(Options::default()).await;
    let arrays = "[".repeat(100_000);
    let inner = format!("{{\"message\": \"x\", \"a\": {}1{}}}", "[".repeat(10_000), "]".repeat(10_000));
    let objects = format!("{}1{}", "{\"a\":".repeat(5_000), "}".repeat(5_000));
    for body in [&arrays, &inner, &objects] {
        let r = post_raw(&api, "/v1/classify", body.clone()).await;
        assert_eq!(r.status(), 400, "{}", &body[..40]);
        let v: Value = r.json().await.unwrap();
        assert_eq!(v["error"]["code"], "invalid_json", "{v}");
        assert!(v["error"]["message"].as_str().unwrap().contains("recursion limit"), "{v}");
    }
    // In a batch, the nested line gets its error and the others their answers.
    let batch = format!("{{\"message\": \"{SSH_OK}\"}}\n{inner}\n{{\"message\": \"{SSH_BAD}\"}}\n");
    let r = post_raw(&api, "/v1/classify/_bulk", batch).await;
    assert_eq!(r.status(), 200);
    let lines: Vec<Value> = r.text().await.unwrap().lines().map(|l| serde_json::from_str(l).unwrap()).collect();
    assert_eq!(lines.len(), 3);
    assert!(lines[0]["cluster_id"].is_string() && lines[2]["cluster_id"].is_string(), "{lines:?}");
    assert_eq!((lines[1]["error"]["code"].clone(), lines[1]["line"].clone()), (json!("invalid_json"), json!(2)));
    api.stop().await;
}

#[tokio::test]
async fn invalid_utf8_in_body_path_or_query_is_a_json_4xx() {
    let api = TestApi::start(Options::default()).await;
    // Inside a JSON string, and as a whole body.
    for body in [&b"{\"message\": \"caf\xe9\"}"[..], b"{\"message\": \"\xed\xa0\x80\"}", b"\xc3\x28"] {
        let r = post_raw(&api, "/v1/classify", body.to_vec()).await;
        assert_eq!(r.status(), 400, "{body:?}");
        assert_eq!(error_code(r).await, "invalid_json");
    }
    let r = post_raw(&api, "/v1/classify/_bulk", b"{\"message\": \"ok\"}\n{\"message\": \"\xff\"}\n".to_vec()).await;
    assert_eq!(r.status(), 200);
    let text = r.text().await.unwrap();
    let second: Value = serde_json::from_str(text.lines().nth(1).unwrap()).unwrap();
    assert_eq!((second["error"]["code"].clone(), second["line"].clone()), (json!("invalid_json"), json!(2)), "{text}");
    // A path parameter that is not UTF-8 once decoded names nothing: the route's own 404.
    for (method, path, code) in [
        ("GET", "/v1/jobs/%FF", "unknown_job"),
        ("POST", "/v1/jobs/%FF%FE/run", "unknown_job"),
        ("POST", "/v1/jobs/%C3%28/cancel", "unknown_job"),
        ("GET", "/v1/clusters/%FF", "unknown_cluster"),
    ] {
        let m = reqwest::Method::from_bytes(method.as_bytes()).unwrap();
        let r = client().request(m, api.url(path)).send().await.unwrap();
        assert_eq!(r.status(), 404, "{method} {path}");
        assert_eq!(r.headers()["content-type"], "application/json", "{method} {path}");
        assert_eq!(error_code(r).await, code, "{method} {path}");
    }
    // In the query string.
    let r = client().post(api.url("/v1/classify?source=%FF")).json(&json!({"message": "a"})).send().await.unwrap();
    assert_eq!(r.status(), 404);
    assert_eq!(error_code(r).await, "unknown_source");
    let r = client().post(api.url("/v1/classify?learn=%FF")).json(&json!({"message": "a"})).send().await.unwrap();
    assert_eq!(r.status(), 400);
    assert_eq!(error_code(r).await, "invalid_query");
    // Unencoded UTF-8 in the path reaches the route; a raw byte that is no URL at all (0xFF) is
    // refused by the HTTP layer before any route (a bare 400: no route to answer in its words).
    let (status, answer) = raw_exchange(&api, request("GET /v1/clusters/caf\u{e9} HTTP/1.1", "", b"")).await;
    assert_eq!(status, 404, "{answer}");
    assert!(answer.contains("\"unknown_cluster\""), "{answer}");
    let mut raw = b"GET /v1/clusters/\xff HTTP/1.1".to_vec();
    raw.extend_from_slice(&request("", "", b"")[..]);
    let (status, answer) = raw_exchange(&api, raw).await;
    assert_eq!(status, 400, "{answer}");
    api.stop().await;
}

#[tokio::test]
async fn oversized_headers_are_431_at_once_and_the_server_goes_on() {
    let api = TestApi::start(Options::default()).await;
    let body = json!({"message": SSH_OK}).to_string();
    let huge = format!("X-Big: {}\r\n", "x".repeat(1 << 20));
    let many: String = (0..200).map(|i| format!("X-Header-{i}: y\r\n")).collect();
    for head in [huge, many] {
        let start = std::time::Instant::now();
        let (status, answer) = raw_exchange(&api, request("POST /v1/classify HTTP/1.1", &head, body.as_bytes())).await;
        // hyper refuses these before there is a request to route (so no JSON body: there is no
        // route yet to answer in the API's words), and closes the connection.
        assert_eq!(status, 431, "{}", &answer[..answer.len().min(200)]);
        assert!(start.elapsed() < std::time::Duration::from_secs(2), "{:?}", start.elapsed());
    }
    // Large but acceptable headers (a long cookie, 32 KB) are fine.
    let head = format!("Content-Type: application/json\r\nCookie: {}\r\n", "c".repeat(32 << 10));
    let (status, answer) = raw_exchange(&api, request("POST /v1/classify HTTP/1.1", &head, body.as_bytes())).await;
    assert_eq!(status, 200, "{answer}");
    let r = client().post(api.url("/v1/classify")).json(&json!({"message": SSH_OK})).send().await.unwrap();
    assert_eq!(r.status(), 200);
    api.stop().await;
}
