//! A bounded schemathesis run against `api/openapi.json` (pinned in tools/requirements.txt):
//! generated requests, valid and invalid, to `logsift run` (follow mode, the API over the
//! sidecar's miner, the cluster index and the jobs) and to `logsift serve` (the API alone). It
//! must find no 5xx and no answer the spec does not describe (status, content type, body schema).

use crate::support::*;
use serde_json::json;
use std::path::PathBuf;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

const TOKEN: &str = "schemathesis-token";

/// `.venv/bin/schemathesis`; `make venv` brings it when the `.venv` predates its pin.
fn schemathesis() -> PathBuf {
    osmem_binary();
    let bin = root().join(".venv/bin/schemathesis");
    if !bin.exists() {
        let status = Command::new("make").arg("-C").arg(root()).arg("venv").status().expect("run make venv");
        assert!(status.success(), "`make venv` failed");
    }
    assert!(bin.exists(), "{} missing: run `make venv` (tools/requirements.txt pins schemathesis)", bin.display());
    bin
}

/// Runs the bounded schemathesis run against `base`; fails the test with its output unless it
/// passed.
fn fuzz(base: &str) {
    let work = tempfile::tempdir().unwrap();
    let start = Instant::now();
    let out = Command::new(schemathesis())
        .current_dir(work.path())
        .arg("run")
        .arg(root().join("api/openapi.json"))
        .args(["--url", base])
        .args(["--header", &format!("Authorization: Bearer {TOKEN}")])
        .args([
            "--checks",
            "not_a_server_error,status_code_conformance,content_type_conformance,response_schema_conformance",
        ])
        .args(["--phases", "examples,coverage,fuzzing"])
        .args(["--max-examples", "100", "--seed", "1311", "--workers", "1"])
        .args(["--request-timeout", "10", "--generation-database", "none", "--no-color"])
        .env("SCHEMATHESIS_HOOKS", root().join("tests/it/support/schemathesis_hooks.py"))
        .env("SCHEMATHESIS_TELEMETRY", "false")
        .env("NO_COLOR", "1")
        .output()
        .expect("run schemathesis");
    let took = start.elapsed();
    let text = format!("{}\n{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
    assert!(out.status.success(), "schemathesis found problems against {base} ({took:?}):\n{text}");
    // Every documented operation was exercised (an exit 0 that tested nothing proves nothing).
    let spec: serde_json::Value = serde_json::from_str(logsift::api::OPENAPI_JSON).unwrap();
    let operations: usize = spec["paths"].as_object().unwrap().values().map(|p| p.as_object().unwrap().len()).sum();
    assert!(text.contains(&format!("Tested: {operations}\n")), "not all {operations} operations tested:\n{text}");
    let cases = text.lines().find(|l| l.contains(" generated, ")).unwrap_or("?").trim();
    eprintln!("schemathesis against {base}: {cases} in {took:?}");
}

fn wait_for_api(listen: &str) {
    let api = Http::new(&format!("http://{listen}"));
    wait_until("the API", Duration::from_secs(60), || {
        std::net::TcpStream::connect(listen).is_ok() && api.req("GET", "/health/live", None).0 == 200
    });
}

#[test]
fn api_schemathesis_finds_nothing_against_logsift_run() {
    let server = Server::start();
    let http = Http::new(&server.url);
    let rows = loghub("OpenSSH");
    http.load(
        rows.iter()
            .take(500)
            .enumerate()
            .map(|(i, (m, _))| ("ssh-logs".to_string(), json!({"message": m, "@timestamp": sample_time(i)}))),
    );
    let dir = tempfile::tempdir().unwrap();
    // Jobs are declared, so /v1/jobs answers with them; schemathesis's made-up names get 404.
    let cfg =
        ssh_config(dir.path(), &server.url, "[[jobs]]\nname = \"remine-all\"\nkind = \"remine\"\nsupport = \"10\"\n");
    let listen = format!("127.0.0.1:{}", free_port());
    let _run = Terminate(
        Command::new(env!("CARGO_BIN_EXE_logsift"))
            .args(["run", "-c", cfg.to_str().unwrap(), "--listen", &listen])
            .args(["--set", "run.poll_interval_secs=1"])
            .env("LOGSIFT_API__TOKEN", TOKEN)
            .env_remove("RUST_LOG")
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap(),
    );
    let labelled = || labelled_count(&http, "ssh-logs");
    wait_until("500 labelled documents", Duration::from_secs(120), || labelled() == 500);
    wait_for_api(&listen);
    fuzz(&format!("http://{listen}"));
}

#[test]
fn api_schemathesis_finds_nothing_against_logsift_serve() {
    let listen = format!("127.0.0.1:{}", free_port());
    let _serve = Terminate(
        Command::new(env!("CARGO_BIN_EXE_logsift"))
            .args(["serve", "--listen", &listen, "--token-env", "LOGSIFT_TEST_TOKEN", "--source", "sshd"])
            .env("LOGSIFT_TEST_TOKEN", TOKEN)
            .env_remove("RUST_LOG")
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap(),
    );
    wait_for_api(&listen);
    fuzz(&format!("http://{listen}"));
}
