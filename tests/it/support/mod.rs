//! Shared helpers of the integration tests: a real osmem-server on a free port (stopped on
//! drop), a small HTTP client, sample loading and running the `logsift` binary.

use serde_json::{json, Value};
use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};

pub mod api;
pub mod fault_proxy;
pub mod logstash_conf;
pub mod tls;

pub fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// The osmem-server binary from the project's `.venv`, or `$OSMEM_SERVER`. A missing `.venv`
/// is made first with `make venv` (once per test run), so a plain `cargo test` works.
pub fn osmem_binary() -> PathBuf {
    if let Ok(p) = std::env::var("OSMEM_SERVER") {
        return PathBuf::from(p);
    }
    static VENV: std::sync::Once = std::sync::Once::new();
    VENV.call_once(|| {
        if !root().join(".venv/.stamp").exists() {
            eprintln!("support: no .venv yet, running `make venv` (osmem-server and the Python peers)");
            let status = Command::new("make").arg("-C").arg(root()).arg("venv").status().expect("run make venv");
            assert!(status.success(), "`make venv` failed");
        }
    });
    let py = root().join(".venv/bin/python");
    let out = Command::new(&py)
        .args(["-c", "import osmem_server; print(osmem_server.resolve_binary())"])
        .output()
        .unwrap_or_else(|e| panic!("{}: {e} (run `make venv`)", py.display()));
    assert!(out.status.success(), "osmem_server not installed in .venv (run `make venv`)");
    PathBuf::from(String::from_utf8(out.stdout).unwrap().trim())
}

pub struct Server {
    child: Child,
    pub url: String,
}

impl Server {
    /// Starts a server on a free port (`addr` = "127.0.0.1:0") or the given address.
    pub fn start_on(addr: &str) -> Server {
        let mut child = Command::new(osmem_binary())
            .args(["-addr", addr, "-no-stdin-watch", "-no-ja"])
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("start osmem-server");
        let mut line = String::new();
        BufReader::new(child.stdout.take().unwrap()).read_line(&mut line).expect("osmem-server banner");
        let v: Value = serde_json::from_str(&line).unwrap_or_else(|e| panic!("banner `{line}`: {e}"));
        Server { child, url: v["url"].as_str().unwrap().to_string() }
    }

    pub fn start() -> Server {
        Server::start_on("127.0.0.1:0")
    }

    /// A real single-node server of `kind` (`opensearch-2`, `opensearch-3`, `elasticsearch-7`,
    /// `elasticsearch-8`: `tools/search-server/start`, built from Maven Central on first use), or
    /// osmem-server for `osmem`. Waits for its `ready` line (first builds take a minute).
    pub fn start_kind(kind: &str) -> Server {
        if kind == "osmem" {
            return Server::start();
        }
        let port = free_port();
        let mut child = Command::new(root().join("tools/search-server/start"))
            .args([kind, &port.to_string()])
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("start tools/search-server/start");
        let mut line = String::new();
        BufReader::new(child.stdout.take().unwrap()).read_line(&mut line).expect("search-server ready line");
        assert!(line.starts_with("ready "), "{kind} did not start: `{line}` (its stderr is above)");
        Server { child, url: line["ready ".len()..].trim().to_string() }
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// The real servers the suite runs its real-server tests on: `LOGSIFT_TEST_SERVERS` (a comma
/// list of `tools/search-server/start` kinds), by default every kind that starts here with its
/// features when Java is present (Elasticsearch 8 is left out by default: Maven Central lacks
/// its mapper-extras module, so the embedded node refuses `match_only_text`; see
/// tools/search-server/README.md), and none without Java (said on stderr).
pub fn real_servers() -> Vec<String> {
    if let Ok(list) = std::env::var("LOGSIFT_TEST_SERVERS") {
        return list.split(',').map(str::trim).filter(|k| !k.is_empty() && *k != "osmem").map(String::from).collect();
    }
    let java = Command::new("java").arg("-version").output().is_ok_and(|o| o.status.success());
    if !java {
        eprintln!("real servers: no Java here, so the real-server tests run on osmem-server only");
        return Vec::new();
    }
    ["opensearch-2", "opensearch-3", "elasticsearch-7"].map(String::from).to_vec()
}

/// A free loopback port (bound and released).
pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
}

/// Blocking JSON requests with curl-like simplicity (reqwest on a private runtime).
pub struct Http {
    rt: tokio::runtime::Runtime,
    client: reqwest::Client,
    pub base: String,
}

impl Http {
    pub fn new(base: &str) -> Http {
        let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
        // No idle connections: the server may close one while a long logsift run goes on.
        let client = reqwest::Client::builder().pool_max_idle_per_host(0).build().unwrap();
        Http { rt, client, base: base.trim_end_matches('/').to_string() }
    }

    pub fn req(&self, method: &str, path: &str, body: Option<Value>) -> (u16, Value) {
        let url = format!("{}{}", self.base, path);
        let m = reqwest::Method::from_bytes(method.as_bytes()).unwrap();
        self.rt.block_on(async {
            let mut r = self.client.request(m, &url);
            if let Some(b) = body {
                r = r.header("content-type", "application/json").body(b.to_string());
            }
            let resp = r.send().await.unwrap_or_else(|e| panic!("{method} {url}: {e}"));
            let status = resp.status().as_u16();
            let text = resp.text().await.unwrap();
            (status, serde_json::from_str(&text).unwrap_or(Value::String(text)))
        })
    }

    pub fn ok(&self, method: &str, path: &str, body: Option<Value>) -> Value {
        let (s, v) = self.req(method, path, body);
        assert!(s < 300, "{method} {path}: {s} {v}");
        v
    }

    /// Bulk-indexes `(index, source)` pairs, refreshes.
    pub fn load(&self, docs: impl IntoIterator<Item = (String, Value)>) {
        let mut batch = String::new();
        let mut n = 0;
        let flush = |b: &mut String| {
            if b.is_empty() {
                return;
            }
            let url = format!("{}/_bulk", self.base);
            let body = std::mem::take(b);
            let v: Value = self.rt.block_on(async {
                let r = self
                    .client
                    .post(&url)
                    .header("content-type", "application/x-ndjson")
                    .body(body)
                    .send()
                    .await
                    .unwrap();
                r.json().await.unwrap()
            });
            let errors: Vec<String> = v["items"]
                .as_array()
                .unwrap()
                .iter()
                .filter(|i| i["index"]["error"].is_object())
                .take(3)
                .map(|i| i["index"]["error"]["reason"].to_string().chars().take(300).collect())
                .collect();
            assert!(errors.is_empty(), "bulk load failed: {errors:?}");
        };
        for (index, src) in docs {
            batch.push_str(&json!({"index": {"_index": index}}).to_string());
            batch.push('\n');
            batch.push_str(&src.to_string());
            batch.push('\n');
            n += 1;
            if n % 5000 == 0 {
                flush(&mut batch);
            }
        }
        flush(&mut batch);
        self.ok("POST", "/_refresh", None);
    }

    /// Every document of `index` (scroll), `_source` plus `_id` and `_seq_no`.
    pub fn all_docs(&self, index: &str) -> Vec<Value> {
        self.ok("POST", &format!("/{index}/_refresh"), None);
        let mut out = Vec::new();
        let mut r = self.ok(
            "POST",
            &format!("/{index}/_search?scroll=1m"),
            Some(json!({"size": 5000, "seq_no_primary_term": true, "sort": ["_doc"]})),
        );
        loop {
            let hits = r["hits"]["hits"].as_array().cloned().unwrap_or_default();
            if hits.is_empty() {
                break;
            }
            out.extend(hits);
            let id = r["_scroll_id"].as_str().unwrap().to_string();
            r = self.ok("POST", "/_search/scroll", Some(json!({"scroll": "1m", "scroll_id": id})));
        }
        if let Some(id) = r["_scroll_id"].as_str() {
            self.req("DELETE", "/_search/scroll", Some(json!({"scroll_id": [id]})));
        }
        out
    }
}

/// Rows of a Loghub structured CSV: `(Content, EventId)` in file order (RFC 4180 quoting).
pub fn loghub(system: &str) -> Vec<(String, String)> {
    let path = root().join(format!("tests/data/loghub-2k/{system}/{system}_2k.log_structured_corrected.csv"));
    let text = std::fs::read_to_string(&path).unwrap();
    let mut rows = parse_csv(&text);
    let header = rows.remove(0);
    let col = |name: &str| header.iter().position(|h| h == name).unwrap();
    let (c, e) = (col("Content"), col("EventId"));
    rows.into_iter().filter(|r| r.len() > e).map(|r| (r[c].clone(), r[e].clone())).collect()
}

/// Rows of a Loghub structured CSV as `{column: value}`, in file order (header columns too).
pub fn loghub_rows(system: &str) -> Vec<std::collections::HashMap<String, String>> {
    let path = root().join(format!("tests/data/loghub-2k/{system}/{system}_2k.log_structured_corrected.csv"));
    let mut rows = parse_csv(&std::fs::read_to_string(&path).unwrap());
    let header = rows.remove(0);
    rows.into_iter().map(|r| header.iter().cloned().zip(r).collect()).collect()
}

/// The bundled OpenSSH sample as sshd wrote it into syslog (`Dec 10 06:55:46 LabSZ sshd[24200]: ...`,
/// from the header columns), with the bare messages beside it.
pub fn openssh_syslog_lines() -> Vec<(String, String)> {
    loghub_rows("OpenSSH")
        .into_iter()
        .map(|r| {
            let line = format!(
                "{} {:>2} {} {} sshd[{}]: {}",
                r["Date"], r["Day"], r["Time"], r["Component"], r["Pid"], r["Content"]
            );
            (line, r["Content"].clone())
        })
        .collect()
}

fn parse_csv(text: &str) -> Vec<Vec<String>> {
    let mut rows = Vec::new();
    let (mut row, mut field, mut quoted) = (Vec::new(), String::new(), false);
    let mut chars = text.chars().peekable();
    while let Some(ch) = chars.next() {
        match (ch, quoted) {
            ('"', true) if chars.peek() == Some(&'"') => {
                chars.next();
                field.push('"');
            }
            ('"', true) => quoted = false,
            ('"', false) if field.is_empty() => quoted = true,
            (',', false) => row.push(std::mem::take(&mut field)),
            ('\n', false) => {
                row.push(std::mem::take(&mut field));
                rows.push(std::mem::take(&mut row));
            }
            ('\r', false) => {}
            (c, _) => field.push(c),
        }
    }
    if !field.is_empty() || !row.is_empty() {
        row.push(field);
        rows.push(row);
    }
    rows
}

/// Grouping accuracy (Loghub's "group accuracy"): the share of messages whose predicted group
/// holds exactly the messages of their true group.
pub fn grouping_accuracy(pred: &[String], truth: &[String]) -> f64 {
    use std::collections::{BTreeSet, HashMap};
    let mut by_pred: HashMap<&str, BTreeSet<usize>> = HashMap::new();
    let mut by_truth: HashMap<&str, BTreeSet<usize>> = HashMap::new();
    for (i, (p, t)) in pred.iter().zip(truth).enumerate() {
        by_pred.entry(p).or_default().insert(i);
        by_truth.entry(t).or_default().insert(i);
    }
    let correct = (0..pred.len()).filter(|&i| by_pred[pred[i].as_str()] == by_truth[truth[i].as_str()]).count();
    correct as f64 / pred.len() as f64
}

/// Runs `logsift ARGS` to completion.
pub fn logsift(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_logsift"))
        .args(args)
        .env("NO_COLOR", "1")
        .env_remove("RUST_LOG")
        .output()
        .expect("run logsift")
}

pub fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

/// The number after `label` in the run summary, e.g. `summary_field(err, "labelled")`.
pub fn summary_field(stderr: &str, label: &str) -> u64 {
    let line = stderr
        .lines()
        .find(|l| l.trim_start().starts_with(label))
        .unwrap_or_else(|| panic!("no `{label}` in summary:\n{stderr}"));
    line.trim_start()[label.len()..].split_whitespace().next().unwrap().parse().unwrap()
}

/// `{cluster_id: count}` from the documents and from the cluster index, to compare.
pub fn counts(
    http: &Http,
    index: &str,
    clusters_index: &str,
) -> (std::collections::BTreeMap<String, u64>, std::collections::BTreeMap<String, u64>) {
    let mut from_docs = std::collections::BTreeMap::new();
    for d in http.all_docs(index) {
        if let Some(id) = d["_source"]["logsift"]["cluster_id"].as_str() {
            *from_docs.entry(id.to_string()).or_insert(0) += 1;
        }
    }
    let mut from_index = std::collections::BTreeMap::new();
    for d in http.all_docs(clusters_index) {
        from_index.insert(d["_id"].as_str().unwrap().to_string(), d["_source"]["count"].as_u64().unwrap());
    }
    (from_docs, from_index)
}

pub fn path_str(p: &Path) -> String {
    p.to_string_lossy().into_owned()
}

impl Http {
    /// Sends an NDJSON `_bulk` body (refresh=true) and returns the answer.
    pub fn bulk_ndjson(&self, nd: String) -> Value {
        let url = format!("{}/_bulk?refresh=true", self.base);
        self.rt.block_on(async {
            let r =
                self.client.post(&url).header("content-type", "application/x-ndjson").body(nd).send().await.unwrap();
            r.json().await.unwrap()
        })
    }
}

/// Writes `dir/logsift.toml` for the source `sshd` over the index `ssh-logs` on `url`, followed
/// by `rest` (more sections, `[[jobs]]`); returns its path.
pub fn ssh_config(dir: &Path, url: &str, rest: &str) -> PathBuf {
    let path = dir.join("logsift.toml");
    let text = format!("[connection]\nurls = [\"{url}\"]\n[source]\nname = \"sshd\"\nindices = [\"ssh-logs\"]\n{rest}");
    std::fs::write(&path, text).unwrap();
    path
}

/// Loads the bundled OpenSSH sample into `index`, one document a second from [`sample_time`]`(0)`.
pub fn load_openssh(http: &Http, index: &str) {
    http.load(
        loghub("OpenSSH")
            .into_iter()
            .enumerate()
            .map(|(i, (m, _))| (index.to_string(), json!({"message": m, "@timestamp": sample_time(i)}))),
    );
}

/// Documents of `index` carrying a `logsift.cluster_id`.
pub fn labelled_count(http: &Http, index: &str) -> u64 {
    http.ok("POST", &format!("/{index}/_count"), Some(json!({"query": {"exists": {"field": "logsift.cluster_id"}}})))
        ["count"]
        .as_u64()
        .unwrap()
}

/// The `@timestamp` of the i-th sample document: one a second from 2024-12-10T06:00:00Z.
pub fn sample_time(i: usize) -> String {
    format!("2024-12-10T{:02}:{:02}:{:02}Z", 6 + i / 3600, (i / 60) % 60, i % 60)
}

/// The configuration the jobs tests share: source `sshd` over the index `ssh-logs` on `url`.
pub fn sshd_config(url: &str) -> logsift::config::Config {
    logsift::config::load(&logsift::config::Overrides {
        urls: vec![url.to_string()],
        indices: vec!["ssh-logs".into()],
        set: vec![("source.name".into(), "sshd".into())],
        ..Default::default()
    })
    .unwrap()
}

/// Reads `reader` (a child's stderr) line by line up to the first line containing `needle`;
/// returns all it read. Fails the test if the stream ends first.
pub fn read_until(reader: &mut impl BufRead, needle: &str) -> String {
    let mut seen = String::new();
    loop {
        let mut line = String::new();
        assert!(reader.read_line(&mut line).unwrap() > 0, "stream ended before `{needle}`: {seen}");
        seen += &line;
        if line.contains(needle) {
            return seen;
        }
    }
}

/// Polls `f` every 100 ms until it holds; fails the test after `timeout`.
pub fn wait_until(what: &str, timeout: std::time::Duration, mut f: impl FnMut() -> bool) {
    let start = std::time::Instant::now();
    while !f() {
        assert!(start.elapsed() < timeout, "timed out waiting for {what}");
        std::thread::sleep(std::time::Duration::from_millis(100));
    }
}

/// A child process sent SIGTERM (a clean shutdown for `logsift run`) and reaped on drop.
pub struct Terminate(pub Child);

impl Drop for Terminate {
    fn drop(&mut self) {
        if let Ok(Some(_)) = self.0.try_wait() {
            return; // already exited (and reaped): its pid may be someone else's now
        }
        let _ = Command::new("kill").arg(self.0.id().to_string()).status();
        let _ = self.0.wait();
    }
}

/// A small deterministic generator for kill delays (xorshift64).
pub struct XorShift(pub u64);

impl XorShift {
    /// The next value below `n`.
    pub fn below(&mut self, n: u64) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0 % n
    }
}

/// Runs the logsift binary with `args` and `env`, reading its stderr until a line for which
/// `until` holds, then waits `delay` and SIGKILLs it (`Killed`). If the run ends first, it must
/// have succeeded (`Finished`). `until` sees every line read, the last one included.
pub fn kill_when(
    args: &[&str],
    env: &[(&str, &str)],
    mut until: impl FnMut(&str) -> bool,
    delay: std::time::Duration,
) -> KillOutcome {
    let mut child = Command::new(env!("CARGO_BIN_EXE_logsift"))
        .args(args)
        .env("NO_COLOR", "1")
        .envs(env.iter().copied())
        .stderr(Stdio::piped())
        .stdout(Stdio::null())
        .spawn()
        .unwrap();
    let mut seen = String::new();
    let reached = BufReader::new(child.stderr.take().unwrap()).lines().map_while(Result::ok).any(|l| {
        seen += &l;
        seen.push('\n');
        until(&l)
    });
    if !reached {
        let status = child.wait().unwrap();
        assert!(status.success(), "a run ended before it could be killed ({status}): {seen}");
        return KillOutcome::Finished;
    }
    std::thread::sleep(delay);
    let _ = child.kill(); // SIGKILL on unix
    let _ = child.wait();
    KillOutcome::Killed
}

#[derive(Debug, PartialEq, Eq)]
pub enum KillOutcome {
    Killed,
    Finished,
}
