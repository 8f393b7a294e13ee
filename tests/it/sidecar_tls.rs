//! TLS and authentication against a secured server (`support::tls`: a CA made by the test,
//! `tls_proxy.py` checking Basic and ApiKey headers in front of osmem-server): the right CA with
//! the right credentials labels everything; a wrong CA, no CA or a wrong password each end the run
//! at once with one readable line, without retrying; `insecure` works and warns; and no secret
//! reaches the logs, even at trace level.

use crate::support::tls::{Accept, Pki, TlsProxy};
use crate::support::*;
use serde_json::json;
use std::path::Path;
use std::process::{Command, Output};
use std::time::{Duration, Instant};

const USER: &str = "logsift";
const PASSWORD: &str = "pw-Zq8vX3tLm-secret";
/// The encoded `id:key` form Elasticsearch returns as `encoded` (base64 of `kid-7:apikey-Qw9r`).
const API_KEY: &str = "a2lkLTc6YXBpa2V5LVF3OXI=";
const DOCS: usize = 300;

const ACCEPT: Accept<'static> = Accept { user: USER, password: PASSWORD, api_key: API_KEY };

/// osmem-server with `DOCS` OpenSSH documents in `tls-logs`, and the secured proxy before it.
fn secured() -> (Server, Http, Pki, TlsProxy) {
    let server = Server::start();
    let http = Http::new(&server.url);
    let rows = loghub("OpenSSH");
    http.load(
        rows.iter()
            .take(DOCS)
            .enumerate()
            .map(|(i, (m, _))| ("tls-logs".to_string(), json!({"message": m, "@timestamp": sample_time(i)}))),
    );
    let pki = Pki::new();
    let proxy = TlsProxy::start(&server.url, &pki, &ACCEPT);
    (server, http, pki, proxy)
}

/// Writes a config for `url` with the extra `[connection]` lines `conn`; returns its path.
fn config(dir: &Path, url: &str, conn: &str) -> String {
    let path = dir.join("logsift.toml");
    let text =
        format!("[connection]\nurls = [\"{url}\"]\n{conn}\n[source]\nname = \"sshd\"\nindices = [\"tls-logs\"]\n");
    std::fs::write(&path, text).unwrap();
    path_str(&path)
}

/// `logsift run --once -c CONFIG` with `env` added (and `RUST_LOG` only when given there).
fn run_once(cfg: &str, env: &[(&str, &str)]) -> (Output, Duration) {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_logsift"));
    cmd.args(["run", "--once", "-c", cfg]).env("NO_COLOR", "1").env_remove("RUST_LOG");
    for (k, v) in env {
        cmd.env(k, v);
    }
    let start = Instant::now();
    let out = cmd.output().expect("run logsift");
    (out, start.elapsed())
}

fn labelled(http: &Http) -> usize {
    http.all_docs("tls-logs").iter().filter(|d| d["_source"]["logsift"]["cluster_id"].is_string()).count()
}

/// The lines of `err` that are logsift's final error (`error: ...`).
fn error_lines(err: &str) -> Vec<&str> {
    err.lines().filter(|l| l.starts_with("error:")).collect()
}

/// A refused run: non-zero, well under 5 s, one `error:` line, no retry warnings. Returns the line.
fn refused_fast(out: &Output, took: Duration) -> String {
    let err = stderr(out);
    assert!(!out.status.success(), "the run should fail: {err}");
    assert!(took < Duration::from_secs(5), "took {took:?}: {err}");
    assert!(!err.contains("retrying"), "a refusal is not retried: {err}");
    let lines = error_lines(&err);
    assert_eq!(lines.len(), 1, "one error line: {err}");
    eprintln!("refused in {took:?} with: {}", lines[0]);
    lines[0].to_string()
}

/// The proxy saw exactly one handshake refused by the client: one attempt, not one per retry.
/// (The proxy logs it from its connection thread, maybe just after logsift has exited.)
fn assert_one_refused_handshake(proxy: &TlsProxy) {
    let fails = || proxy.events().iter().filter(|e| e.starts_with("tls-fail")).count();
    wait_until("the proxy to log the refused handshake", Duration::from_secs(5), || fails() > 0);
    std::thread::sleep(Duration::from_millis(300));
    assert_eq!(fails(), 1, "handshakes refused: {:?}", proxy.events());
}

fn password_env() -> [(&'static str, &'static str); 1] {
    [("LOGSIFT_CONNECTION__PASSWORD", PASSWORD)]
}

#[test]
fn tls_right_ca_and_basic_credentials_label_everything() {
    let (_server, http, pki, proxy) = secured();
    let dir = tempfile::tempdir().unwrap();
    // The password comes from the environment, as the config file's comments advise.
    let conn = format!("username = \"{USER}\"\nca_file = \"{}\"", path_str(&pki.ca));
    let cfg = config(dir.path(), &proxy.url, &conn);
    let (out, _) = run_once(&cfg, &password_env());
    let err = stderr(&out);
    assert!(out.status.success(), "{err}");
    assert_eq!(summary_field(&err, "documents read"), DOCS as u64, "{err}");
    assert_eq!(labelled(&http), DOCS, "{err}");
    assert!(!proxy.events().iter().any(|e| e.starts_with("401") || e.starts_with("tls-fail")), "{:?}", proxy.events());
}

#[test]
fn tls_right_ca_and_api_key_label_everything() {
    let (_server, http, pki, proxy) = secured();
    let dir = tempfile::tempdir().unwrap();
    let key_file = dir.path().join("api_key");
    std::fs::write(&key_file, format!("{API_KEY}\n")).unwrap();
    let conn = format!("api_key_file = \"{}\"\nca_file = \"{}\"", path_str(&key_file), path_str(&pki.ca));
    let cfg = config(dir.path(), &proxy.url, &conn);
    let (out, _) = run_once(&cfg, &[]);
    let err = stderr(&out);
    assert!(out.status.success(), "{err}");
    assert_eq!(labelled(&http), DOCS, "{err}");
}

fn assert_names_an_unknown_issuer(line: &str) {
    let lower = line.to_ascii_lowercase();
    assert!(lower.contains("certificate"), "{line}");
    assert!(lower.contains("unknownissuer") || lower.contains("unknown issuer"), "{line}");
}

#[test]
fn tls_wrong_ca_fails_fast_naming_the_certificate_problem() {
    let (_server, http, pki, proxy) = secured();
    let dir = tempfile::tempdir().unwrap();
    let conn = format!("username = \"{USER}\"\nca_file = \"{}\"", path_str(&pki.other_ca));
    let cfg = config(dir.path(), &proxy.url, &conn);
    let (out, took) = run_once(&cfg, &password_env());
    assert_names_an_unknown_issuer(&refused_fast(&out, took));
    assert_one_refused_handshake(&proxy);
    assert_eq!(labelled(&http), 0);
}

#[test]
fn tls_no_ca_fails_fast_naming_the_certificate_problem() {
    let (_server, _http, _pki, proxy) = secured();
    let dir = tempfile::tempdir().unwrap();
    // System roots only: the test CA is in none of them.
    let cfg = config(dir.path(), &proxy.url, &format!("username = \"{USER}\""));
    let (out, took) = run_once(&cfg, &password_env());
    assert_names_an_unknown_issuer(&refused_fast(&out, took));
    assert_one_refused_handshake(&proxy);
}

#[test]
fn tls_wrong_password_fails_fast_with_401() {
    let (_server, http, pki, proxy) = secured();
    let dir = tempfile::tempdir().unwrap();
    let conn = format!("username = \"{USER}\"\nca_file = \"{}\"", path_str(&pki.ca));
    let cfg = config(dir.path(), &proxy.url, &conn);
    let (out, took) = run_once(&cfg, &[("LOGSIFT_CONNECTION__PASSWORD", "not-the-password")]);
    let line = refused_fast(&out, took);
    assert!(line.contains("401"), "{line}");
    assert!(line.contains("authentication failed"), "{line}");
    assert!(line.contains("unable to authenticate user"), "the server's reason: {line}");
    assert!(!line.contains("not-the-password"), "{line}");
    // The 401 is not retried: exactly one request reached the security check.
    let refused = proxy.events().iter().filter(|e| e.starts_with("401")).count();
    assert_eq!(refused, 1, "{:?}", proxy.events());
    assert_eq!(labelled(&http), 0);
}

#[test]
fn tls_insecure_works_and_warns() {
    let (_server, http, _pki, proxy) = secured();
    let dir = tempfile::tempdir().unwrap();
    // No CA at all: only `insecure` lets this through.
    let cfg = config(dir.path(), &proxy.url, &format!("username = \"{USER}\"\ninsecure = true"));
    let (out, _) = run_once(&cfg, &password_env());
    let err = stderr(&out);
    assert!(out.status.success(), "{err}");
    assert_eq!(labelled(&http), DOCS, "{err}");
    let warning = err.lines().find(|l| l.contains("WARN") && l.contains("insecure")).unwrap_or_else(|| panic!("{err}"));
    assert!(warning.contains("not checked"), "{warning}");
}

#[test]
fn tls_no_secret_in_any_log_even_at_trace_level() {
    use base64::Engine as _;
    let (_server, http, pki, proxy) = secured();
    let basic = base64::engine::general_purpose::STANDARD.encode(format!("{USER}:{PASSWORD}"));
    let secrets = [PASSWORD, API_KEY, basic.as_str(), "apikey-Qw9r"];
    let check = |what: &str, out: &Output| {
        for s in secrets {
            for (name, stream) in [("stdout", &out.stdout), ("stderr", &out.stderr)] {
                let text = String::from_utf8_lossy(stream);
                assert!(!text.contains(s), "{what}: a secret is in {name}");
            }
        }
    };
    let ca = path_str(&pki.ca);
    let trace = ("RUST_LOG", "trace");
    let pw = password_env()[0];

    let dir = tempfile::tempdir().unwrap();
    let cfg = config(dir.path(), &proxy.url, &format!("username = \"{USER}\"\nca_file = \"{ca}\""));
    let (out, _) = run_once(&cfg, &[trace, pw]);
    assert!(out.status.success(), "{}", stderr(&out));
    // The trace really is verbose (it shows the requests), so the absence means something.
    assert!(stderr(&out).contains("TRACE"), "no trace output");
    check("basic, trace", &out);
    assert_eq!(labelled(&http), DOCS);

    // The API key inline in the file this time; a wrong password; a wrong CA: all at trace level.
    let dir = tempfile::tempdir().unwrap();
    let cfg = config(dir.path(), &proxy.url, &format!("api_key = \"{API_KEY}\"\nca_file = \"{ca}\""));
    let (out, _) = run_once(&cfg, &[trace]);
    assert!(out.status.success(), "{}", stderr(&out));
    check("api key, trace", &out);

    let cfg = config(dir.path(), &proxy.url, &format!("username = \"{USER}\"\nca_file = \"{ca}\""));
    let (out, _) = run_once(&cfg, &[trace, ("LOGSIFT_CONNECTION__PASSWORD", "pw-wrong-Zq8vX3tLm")]);
    assert!(!out.status.success());
    assert!(!stderr(&out).contains("pw-wrong-Zq8vX3tLm"), "the wrong password is in stderr");
    check("wrong password, trace", &out);

    let other = path_str(&pki.other_ca);
    let cfg = config(dir.path(), &proxy.url, &format!("username = \"{USER}\"\nca_file = \"{other}\""));
    let (out, _) = run_once(&cfg, &[trace, pw]);
    assert!(!out.status.success());
    check("wrong CA, trace", &out);
}
