//! `logsift kibana install` against a local endpoint that records the request and answers like
//! Kibana's `_import` API (success, partial import, 4xx, 503 while starting).

use axum::body::Bytes;
use axum::http::{HeaderMap, Method, StatusCode, Uri};
use axum::response::IntoResponse;
use serde_json::{json, Value};
use std::process::Command;
use std::sync::{Arc, Mutex};

#[derive(Clone, Debug)]
struct Recorded {
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
}

/// A recording server on 127.0.0.1:0 answering the queued (status, body) pairs in order
/// (the last one repeats). Lives on its own thread and runtime for the whole test.
struct RecordingKibana {
    url: String,
    requests: Arc<Mutex<Vec<Recorded>>>,
}

impl RecordingKibana {
    fn start(answers: Vec<(u16, Value)>) -> Self {
        let requests = Arc::new(Mutex::new(Vec::new()));
        let (tx, rx) = std::sync::mpsc::channel();
        let recs = requests.clone();
        std::thread::spawn(move || {
            let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
            rt.block_on(async move {
                let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
                tx.send(listener.local_addr().unwrap()).unwrap();
                let app =
                    axum::Router::new().fallback(move |method: Method, uri: Uri, headers: HeaderMap, body: Bytes| {
                        let recs = recs.clone();
                        let answers = answers.clone();
                        async move {
                            let mut r = recs.lock().unwrap();
                            let (status, answer) = answers[r.len().min(answers.len() - 1)].clone();
                            r.push(Recorded { method, uri, headers, body });
                            (StatusCode::from_u16(status).unwrap(), axum::Json(answer)).into_response()
                        }
                    });
                axum::serve(listener, app).await.unwrap();
            });
        });
        let addr = rx.recv().unwrap();
        Self { url: format!("http://{addr}"), requests }
    }

    fn requests(&self) -> Vec<Recorded> {
        self.requests.lock().unwrap().clone()
    }
}

/// The parts of a multipart/form-data body: (Content-Disposition line, content).
fn multipart_parts(content_type: &str, body: &[u8]) -> Vec<(String, String)> {
    let boundary = content_type.split("boundary=").nth(1).expect("multipart boundary").trim_matches('"');
    let body = String::from_utf8(body.to_vec()).unwrap();
    let delim = format!("--{boundary}");
    let mut parts = Vec::new();
    for chunk in body.split(&delim).skip(1) {
        if chunk.starts_with("--") {
            break;
        }
        let (head, content) = chunk.trim_start_matches("\r\n").split_once("\r\n\r\n").expect("part headers");
        let disposition =
            head.lines().find(|l| l.to_ascii_lowercase().starts_with("content-disposition")).unwrap_or_default();
        parts.push((disposition.to_owned(), content.strip_suffix("\r\n").unwrap_or(content).to_owned()));
    }
    parts
}

fn logsift(args: &[&str]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_logsift"))
        .args(args)
        .env_remove("LOGSIFT_KIBANA_URL")
        .env_remove("LOGSIFT_SOURCE__INDICES")
        .env_remove("LOGSIFT_CLUSTERS__INDEX")
        .env_remove("LOGSIFT_CONFIG")
        .output()
        .unwrap()
}

fn success(n: u64) -> (u16, Value) {
    (200, json!({"success": true, "successCount": n, "successResults": []}))
}

#[test]
fn install_sends_the_adapted_bundle_as_kibana_expects() {
    let kb = RecordingKibana::start(vec![success(21)]);
    let out = logsift(&[
        "kibana",
        "install",
        "--url",
        &kb.url,
        "--space",
        "ops",
        "--user",
        "elastic",
        "--password",
        "s3cret",
        "--source-pattern",
        "filebeat-*",
        "--cluster-index",
        "prod-templates",
    ]);
    assert!(out.status.success(), "stderr: {}", String::from_utf8_lossy(&out.stderr));
    let reqs = kb.requests();
    assert_eq!(reqs.len(), 1);
    let r = &reqs[0];
    assert_eq!(r.method, Method::POST);
    assert_eq!(r.uri.path(), "/s/ops/api/saved_objects/_import");
    assert_eq!(r.uri.query(), Some("overwrite=true"));
    assert!(r.headers.contains_key("kbn-xsrf"), "kbn-xsrf missing");
    assert!(r.headers.contains_key("osd-xsrf"), "osd-xsrf missing");
    use base64::Engine;
    let basic = format!("Basic {}", base64::engine::general_purpose::STANDARD.encode("elastic:s3cret"));
    assert_eq!(r.headers["authorization"], basic.as_str());
    let ct = r.headers["content-type"].to_str().unwrap();
    assert!(ct.starts_with("multipart/form-data"), "{ct}");

    let parts = multipart_parts(ct, &r.body);
    assert_eq!(parts.len(), 1, "{parts:?}");
    let (disposition, content) = &parts[0];
    assert!(disposition.contains("name=\"file\""), "{disposition}");
    assert!(disposition.contains("filename=\"logsift.ndjson\""), "Kibana wants a .ndjson file name: {disposition}");
    let objects: Vec<Value> = content.lines().map(|l| serde_json::from_str(l).unwrap()).collect();
    let expected: Vec<Value> = logsift::kibana::BUNDLE.lines().map(|l| serde_json::from_str(l).unwrap()).collect();
    assert_eq!(objects.len(), expected.len());
    let title = |id: &str| objects.iter().find(|o| o["id"] == id).unwrap()["attributes"]["title"].clone();
    assert_eq!(title("logsift-logs"), "filebeat-*");
    assert_eq!(title("logsift-clusters"), "prod-templates");
    assert!(!content.contains("logs-*"), "the default source pattern is still in the bundle");
}

#[test]
fn partial_import_fails_and_names_the_objects() {
    let kb = RecordingKibana::start(vec![(
        200,
        json!({"success": false, "successCount": 19, "errors": [
            {"id": "logsift-top-templates", "type": "visualization", "title": "logsift: top templates",
             "error": {"type": "missing_references", "references": [{"type": "index-pattern", "id": "logsift-clusters"}]}},
            {"id": "logsift-audit", "type": "dashboard", "error": {"type": "unknown", "message": "boom", "statusCode": 500}}
        ]}),
    )]);
    let out = logsift(&["kibana", "install", "--url", &kb.url, "--wait", "30"]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "stderr: {stderr}");
    assert!(stderr.contains("partial import: 19 objects imported, 2 failed"), "{stderr}");
    assert!(stderr.contains("visualization logsift-top-templates"), "{stderr}");
    assert!(stderr.contains("index-pattern/logsift-clusters"), "{stderr}");
    assert_eq!(kb.requests().len(), 1, "a partial import is not retried");
    assert_eq!(kb.requests()[0].uri.path(), "/api/saved_objects/_import");
}

#[test]
fn client_error_fails_without_retry() {
    let kb = RecordingKibana::start(vec![(
        400,
        json!({"statusCode": 400, "error": "Bad Request", "message": "Request must contain a kbn-xsrf header."}),
    )]);
    let out = logsift(&["kibana", "install", "--url", &kb.url, "--wait", "30"]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "stderr: {stderr}");
    assert!(stderr.contains("HTTP 400"), "{stderr}");
    assert!(stderr.contains("kbn-xsrf header"), "{stderr}");
    assert_eq!(kb.requests().len(), 1);
}

#[test]
fn kibana_still_starting_is_retried_within_wait() {
    let kb = RecordingKibana::start(vec![
        (503, json!({"statusCode": 503, "message": "Kibana server is not ready yet"})),
        success(21),
    ]);
    let out = logsift(&["kibana", "install", "--url", &kb.url, "--wait", "30", "--api-key", "aWQ6a2V5"]);
    assert!(out.status.success(), "stderr: {}", String::from_utf8_lossy(&out.stderr));
    let reqs = kb.requests();
    assert_eq!(reqs.len(), 2);
    assert_eq!(reqs[1].headers["authorization"], "ApiKey aWQ6a2V5");
}

#[test]
fn without_wait_a_503_is_an_error() {
    let kb = RecordingKibana::start(vec![(503, json!({"statusCode": 503, "message": "not ready"}))]);
    let out = logsift(&["kibana", "install", "--url", &kb.url, "--token", "tok"]);
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(kb.requests().len(), 1);
    assert_eq!(kb.requests()[0].headers["authorization"], "Bearer tok");
}

#[test]
fn conflicting_auth_and_bad_space_are_usage_errors() {
    let out = logsift(&[
        "kibana",
        "install",
        "--url",
        "http://127.0.0.1:9",
        "--user",
        "u",
        "--password",
        "p",
        "--token",
        "t",
    ]);
    assert_eq!(out.status.code(), Some(2), "{}", String::from_utf8_lossy(&out.stderr));
    let out = logsift(&["kibana", "install", "--url", "http://127.0.0.1:9", "--space", "../admin"]);
    assert_eq!(out.status.code(), Some(2), "{}", String::from_utf8_lossy(&out.stderr));
}

#[test]
fn index_names_come_from_the_logsift_configuration() {
    let dir = tempfile::tempdir().unwrap();
    let cfg = dir.path().join("logsift.toml");
    std::fs::write(&cfg, "[source]\nindices = [\"logs-syslog-*\", \"logs-audit-*\"]\n[clusters]\nindex = \"tpl\"\n")
        .unwrap();
    let out = logsift(&["kibana", "bundle", "--config", cfg.to_str().unwrap()]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let text = String::from_utf8(out.stdout).unwrap();
    let objs: Vec<Value> = text.lines().map(|l| serde_json::from_str(l).unwrap()).collect();
    let title = |id: &str| objs.iter().find(|o| o["id"] == id).unwrap()["attributes"]["title"].clone();
    assert_eq!(title("logsift-logs"), "logs-syslog-*,logs-audit-*");
    assert_eq!(title("logsift-clusters"), "tpl");
}

#[test]
fn bundle_prints_adapted_ndjson() {
    let out = logsift(&["kibana", "bundle", "--source-pattern", "app-*"]);
    assert!(out.status.success());
    let text = String::from_utf8(out.stdout).unwrap();
    let logs =
        text.lines().map(|l| serde_json::from_str::<Value>(l).unwrap()).find(|o| o["id"] == "logsift-logs").unwrap();
    assert_eq!(logs["attributes"]["title"], "app-*");
}
