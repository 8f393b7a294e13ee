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
            .body(r#"{"message": "hello world"}"#)
            .send()
            .await
            .unwrap();
        let status = r.status();
        let body = r.text().await.unwrap();
        assert_ne!(status, 405, "{method} {path}: {body}");
        assert!(!body.contains("\"unknown_route\""), "{method} {path} is not routed: {body}");
        assert!(status.is_success() || status == 404 || status == 503, "{method} {path}: {status} {body}");
    }
    api.stop().await;
}
