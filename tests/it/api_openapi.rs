//! `api/openapi.json` and the implementation agree: every documented path+method is routed (it
//! never answers `unknown_route` / `method_not_allowed`) and every route in the table is documented.

use crate::support::api as test_api;

use logsift::api::{routes, ApiConfig, ApiState};
use logsift::metrics::Metrics;
use serde_json::Value;
use std::collections::BTreeSet;
use test_api::{Options, TestApi};

fn documented() -> BTreeSet<(String, String)> {
    let spec: Value = serde_json::from_str(logsift::api::OPENAPI_JSON).expect("openapi.json parses");
    assert!(spec["openapi"].as_str().unwrap().starts_with("3."));
    let mut out = BTreeSet::new();
    for (path, item) in spec["paths"].as_object().expect("paths") {
        for (method, _) in item.as_object().unwrap() {
            if ["get", "post", "put", "delete", "patch", "head", "options"].contains(&method.as_str()) {
                out.insert((method.to_uppercase(), path.clone()));
            }
        }
    }
    out
}

#[test]
fn every_route_is_documented_and_every_documented_route_exists() {
    let state = ApiState::builder(ApiConfig::default(), Metrics::new()).build();
    let implemented: BTreeSet<(String, String)> =
        routes::route_list(&state).into_iter().map(|(m, p)| (m.to_string(), p.to_string())).collect();
    let documented = documented();
    let undocumented: Vec<_> = implemented.difference(&documented).collect();
    let unimplemented: Vec<_> = documented.difference(&implemented).collect();
    assert!(undocumented.is_empty(), "routes missing from api/openapi.json: {undocumented:?}");
    assert!(unimplemented.is_empty(), "documented but not routed: {unimplemented:?}");
}

#[tokio::test]
async fn every_documented_operation_answers() {
    let api = TestApi::start(Options { token: Some("t".into()), ..Options::default() }).await;
    let client = reqwest::Client::new();
    for (method, path) in documented() {
        // Path parameters get a plausible value; a 404 for an unknown *resource* is fine.
        let concrete = path.replace("{name}", "remine").replace("{id}", "1");
        let m = reqwest::Method::from_bytes(method.as_bytes()).unwrap();
        let r = client
            .request(m, api.url(&concrete))
            .bearer_auth("t")
            .header("content-type", "application/json")
            .body(if path.ends_with("/annotation") { r#"{"name": "hello"}"# } else { r#"{"message": "hello world"}"# })
            .send()
            .await
            .unwrap();
        let status = r.status();
        let body = r.text().await.unwrap();
        assert_ne!(status, 405, "{method} {path}: {body}");
        assert!(!body.contains("\"unknown_route\""), "{method} {path} is not routed: {body}");
        // 409: what the operation needs is not there (annotations without a cluster index);
        // `/v1/compare` needs a search server; this API has none, and says so (400, not a 5xx).
        let needs_server = path == "/v1/compare" && status == 400 && body.contains("needs the search server");
        assert!(
            status.is_success() || [404, 409, 503].contains(&status.as_u16()) || needs_server,
            "{method} {path}: {status} {body}"
        );
    }
    api.stop().await;
}

/// Every error the API can answer with, one of each variant.
fn every_error() -> Vec<logsift::api::RequestError> {
    use logsift::api::RequestError as E;
    let s = || String::from("x");
    let all = vec![
        E::InvalidJson(s()),
        E::InvalidDocument(s()),
        E::NoMessage(s()),
        E::MessageTooLarge(s()),
        E::BodyTooLarge { limit: 1 },
        E::BadBody(s()),
        E::InvalidQuery(s()),
        E::MissingToken,
        E::InvalidToken,
        E::UnknownRoute { method: s(), path: s() },
        E::MethodNotAllowed { method: s(), path: s() },
        E::UnknownSource(s()),
        E::UnknownJob(s()),
        E::UnknownCluster(s()),
        E::Conflict(s()),
        E::JobNotRunning(s()),
        E::Unavailable(s()),
        E::Internal(s()),
    ];
    for e in &all {
        // Exhaustive on purpose: a new variant does not compile here until it is listed above.
        match e {
            E::InvalidJson(_)
            | E::InvalidDocument(_)
            | E::NoMessage(_)
            | E::MessageTooLarge(_)
            | E::BodyTooLarge { .. }
            | E::BadBody(_)
            | E::InvalidQuery(_)
            | E::MissingToken
            | E::InvalidToken
            | E::UnknownRoute { .. }
            | E::MethodNotAllowed { .. }
            | E::UnknownSource(_)
            | E::UnknownJob(_)
            | E::UnknownCluster(_)
            | E::Conflict(_)
            | E::JobNotRunning(_)
            | E::Unavailable(_)
            | E::Internal(_) => {}
        }
    }
    all
}

#[test]
fn every_error_code_is_in_the_spec() {
    let spec: Value = serde_json::from_str(logsift::api::OPENAPI_JSON).unwrap();
    let documented: BTreeSet<&str> = spec["components"]["schemas"]["Error"]["properties"]["error"]["properties"]
        ["code"]["enum"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_str().unwrap())
        .collect();
    let answered: BTreeSet<&str> = every_error().iter().map(|e| e.code()).collect();
    let missing: Vec<_> = answered.difference(&documented).collect();
    let stale: Vec<_> = documented.difference(&answered).collect();
    assert!(missing.is_empty(), "error codes missing from api/openapi.json: {missing:?}");
    assert!(stale.is_empty(), "documented error codes no error has: {stale:?}");
}

/// The statuses the spec documents for `method path`.
fn statuses(spec: &Value, method: &str, path: &str) -> BTreeSet<String> {
    spec["paths"][path][method.to_lowercase()]["responses"].as_object().unwrap().keys().cloned().collect()
}

#[test]
fn refusals_every_operation_can_give_are_documented() {
    let spec: Value = serde_json::from_str(logsift::api::OPENAPI_JSON).unwrap();
    for (method, path) in documented() {
        let have = statuses(&spec, &method, &path);
        // The bearer token guards every route but the health probes.
        if !path.starts_with("/health") {
            assert!(have.contains("401"), "{method} {path} does not document 401: {have:?}");
        }
        // Every POST route has a body limit, checked from Content-Length before its handler runs.
        if method == "POST" {
            assert!(have.contains("413"), "{method} {path} does not document 413: {have:?}");
        }
        // A path parameter that names nothing is a 404 of the route's own.
        if path.contains('{') {
            assert!(have.contains("404"), "{method} {path} does not document 404: {have:?}");
        }
    }
}

/// Issue 13 D11: `POST /v1/classify {}` is refused with 422 `no_message`, and the spec agrees:
/// its request body requires `message` (so `{}` is not a valid request), and 422 is documented.
#[tokio::test]
async fn classify_without_a_message_is_outside_the_spec_and_answered_422() {
    let spec: Value = serde_json::from_str(logsift::api::OPENAPI_JSON).unwrap();
    let schema = &spec["components"]["schemas"]["ClassifyRequest"];
    assert_eq!(schema["required"], serde_json::json!(["message"]), "{schema}");
    assert_eq!(schema["properties"]["message"]["type"], "string");
    assert!(statuses(&spec, "POST", "/v1/classify").contains("422"));
    let api = TestApi::start(Options::default()).await;
    let r = reqwest::Client::new().post(api.url("/v1/classify")).json(&serde_json::json!({})).send().await.unwrap();
    assert_eq!(r.status(), 422);
    assert_eq!(test_api::error_code(r).await, "no_message");
    api.stop().await;
}
