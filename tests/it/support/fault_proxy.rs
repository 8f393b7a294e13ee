//! A fault-injecting HTTP proxy on loopback, between `logsift` and the test server: one request
//! per connection (it forces `Connection: close`), each forwarded whole, and a rule that may
//! replace the answer by a fault for requests whose path contains a given string. Bounded: it
//! serves until dropped, one thread per connection, nothing but loopback. [`FaultProxy::outage`]
//! closes its port for a while (connections refused), as a server that is restarting.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{Shutdown, TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;

/// What to do to a matching request.
#[derive(Clone, Copy, Debug)]
pub enum Fault {
    /// Answer 503 without forwarding.
    Unavailable,
    /// Answer 429 with `Retry-After: N` (seconds) without forwarding.
    TooManyRequests { retry_after: u32 },
    /// Close the connection without an answer.
    Reset,
    /// Forward, then append `\ud800` to the first `"message":"` string of the answer.
    LoneSurrogate,
    /// Wait this long, then forward (a client that gave up meanwhile finds the connection closed;
    /// the request still reaches the server, as a slow server would do it late).
    Stall { ms: u64 },
    /// Forward, then answer the head without `Content-Length` and half the body, and close.
    Truncate,
    /// Forward (the server applies the request), then answer 503 as a failing proxy would.
    AppliedThen503,
    /// Forward a bulk request, then report every applied item (2xx) as 503.
    ItemsAppliedButFailed,
}

/// Which requests get which fault: every `every`-th request whose path contains `path`
/// (at most `times` of them when set).
#[derive(Clone, Debug)]
pub struct Rule {
    pub path: &'static str,
    pub every: u64,
    pub fault: Fault,
    pub times: Option<u64>,
}

impl Rule {
    pub fn every(path: &'static str, every: u64, fault: Fault) -> Rule {
        Rule { path, every, fault, times: None }
    }

    /// The first `times` requests whose path contains `path`.
    pub fn first(path: &'static str, times: u64, fault: Fault) -> Rule {
        Rule { path, every: 1, fault, times: Some(times) }
    }
}

pub struct FaultProxy {
    pub url: String,
    stop: Arc<AtomicBool>,
    /// Requests that matched a rule and got its fault.
    pub injected: Arc<AtomicU64>,
    /// After this many connections every further one is cut at once (the server is "gone").
    pub gone_after: Arc<AtomicU64>,
    /// Milliseconds of outage asked for by [`FaultProxy::outage`], taken by the accept loop.
    outage_ms: Arc<AtomicU64>,
    /// Connections refused by outages (counted as the outage starts: one per outage).
    pub outages: Arc<AtomicU64>,
}

impl FaultProxy {
    pub fn start(upstream: &str, rules: Vec<Rule>) -> FaultProxy {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let url = format!("http://{}", listener.local_addr().unwrap());
        let upstream = upstream.trim_start_matches("http://").trim_end_matches('/').to_string();
        let stop = Arc::new(AtomicBool::new(false));
        let injected = Arc::new(AtomicU64::new(0));
        let gone_after = Arc::new(AtomicU64::new(u64::MAX));
        let served = Arc::new(AtomicU64::new(0));
        let seen: Arc<Vec<AtomicU64>> = Arc::new(rules.iter().map(|_| AtomicU64::new(0)).collect());
        let (s, inj, g) = (stop.clone(), injected.clone(), gone_after.clone());
        let outage_ms = Arc::new(AtomicU64::new(0));
        let outages = Arc::new(AtomicU64::new(0));
        let (o_ms, o_n) = (outage_ms.clone(), outages.clone());
        let addr = listener.local_addr().unwrap();
        listener.set_nonblocking(true).unwrap();
        std::thread::spawn(move || {
            let mut listener = listener;
            while !s.load(Ordering::SeqCst) {
                let ms = o_ms.swap(0, Ordering::SeqCst);
                if ms > 0 {
                    // Close the port: connections are refused until it is bound again.
                    drop(listener);
                    o_n.fetch_add(1, Ordering::SeqCst);
                    std::thread::sleep(Duration::from_millis(ms));
                    listener = loop {
                        match TcpListener::bind(addr) {
                            Ok(l) => break l,
                            Err(_) => std::thread::sleep(Duration::from_millis(20)),
                        }
                    };
                    listener.set_nonblocking(true).unwrap();
                }
                match listener.accept() {
                    Ok((client, _)) => {
                        if served.fetch_add(1, Ordering::SeqCst) >= g.load(Ordering::SeqCst) {
                            let _ = client.shutdown(Shutdown::Both);
                            continue;
                        }
                        let (up, rules, seen, inj) = (upstream.clone(), rules.clone(), seen.clone(), inj.clone());
                        std::thread::spawn(move || {
                            let _ = serve(client, &up, &rules, &seen, &inj);
                        });
                    }
                    Err(_) => std::thread::sleep(Duration::from_millis(2)),
                }
            }
        });
        FaultProxy { url, stop, injected, gone_after, outage_ms, outages }
    }

    /// Refuses connections for `d` from about now (the port is closed, then bound again).
    pub fn outage(&self, d: Duration) {
        self.outage_ms.store(d.as_millis().max(1) as u64, Ordering::SeqCst);
    }
}

impl Drop for FaultProxy {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
    }
}

fn serve(
    client: TcpStream,
    upstream: &str,
    rules: &[Rule],
    seen: &[AtomicU64],
    injected: &AtomicU64,
) -> std::io::Result<()> {
    client.set_nonblocking(false)?;
    client.set_read_timeout(Some(Duration::from_secs(30)))?;
    let mut reader = BufReader::new(client.try_clone()?);
    let mut head = Vec::new();
    let mut content_length = 0usize;
    let mut path = String::new();
    loop {
        let mut line = String::new();
        if reader.read_line(&mut line)? == 0 {
            return Ok(());
        }
        if path.is_empty() {
            path = line.split_whitespace().nth(1).unwrap_or("").to_string();
        }
        let lower = line.to_ascii_lowercase();
        if let Some(v) = lower.strip_prefix("content-length:") {
            content_length = v.trim().parse().unwrap_or(0);
        }
        if line == "\r\n" {
            break;
        }
        if lower.starts_with("connection:") {
            continue;
        }
        head.extend_from_slice(line.as_bytes());
    }
    head.extend_from_slice(b"Connection: close\r\n\r\n");
    let mut body = vec![0u8; content_length];
    reader.read_exact(&mut body)?;
    let mut fault = None;
    for (r, n) in rules.iter().zip(seen) {
        if !path.contains(r.path) {
            continue;
        }
        let k = n.fetch_add(1, Ordering::SeqCst) + 1;
        if k % r.every == 0 && r.times.is_none_or(|t| k / r.every <= t) {
            fault = Some(r.fault);
            break;
        }
    }
    let mut client = client;
    match fault {
        Some(Fault::Unavailable) => {
            injected.fetch_add(1, Ordering::SeqCst);
            let msg = br#"{"error":{"type":"injected","reason":"fault proxy"},"status":503}"#;
            write!(client, "HTTP/1.1 503 Service Unavailable\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n", msg.len())?;
            client.write_all(msg)?;
            return Ok(());
        }
        Some(Fault::TooManyRequests { retry_after }) => {
            injected.fetch_add(1, Ordering::SeqCst);
            let msg = br#"{"error":{"type":"es_rejected_execution_exception","reason":"fault proxy"},"status":429}"#;
            write!(client, "HTTP/1.1 429 Too Many Requests\r\nRetry-After: {retry_after}\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n", msg.len())?;
            client.write_all(msg)?;
            return Ok(());
        }
        Some(Fault::Reset) => {
            injected.fetch_add(1, Ordering::SeqCst);
            return client.shutdown(Shutdown::Both);
        }
        Some(Fault::Stall { ms }) => {
            injected.fetch_add(1, Ordering::SeqCst);
            std::thread::sleep(Duration::from_millis(ms));
        }
        _ => {}
    }
    let mut up = TcpStream::connect(upstream)?;
    up.write_all(&head)?;
    up.write_all(&body)?;
    let mut answer = Vec::new();
    up.read_to_end(&mut answer)?;
    match fault {
        Some(Fault::LoneSurrogate) => {
            if let Some(fixed) = inject_surrogate(&answer) {
                injected.fetch_add(1, Ordering::SeqCst);
                answer = fixed;
            }
        }
        Some(Fault::Truncate) => {
            injected.fetch_add(1, Ordering::SeqCst);
            let (head, body) = split_answer(&answer);
            let mut out = without_length(head).into_bytes();
            out.extend_from_slice(&body[..body.len() / 2]);
            client.write_all(&out)?;
            return client.shutdown(Shutdown::Both);
        }
        Some(Fault::AppliedThen503) => {
            injected.fetch_add(1, Ordering::SeqCst);
            let msg = br#"{"error":{"type":"injected","reason":"fault proxy after forwarding"},"status":503}"#;
            write!(client, "HTTP/1.1 503 Service Unavailable\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n", msg.len())?;
            client.write_all(msg)?;
            return Ok(());
        }
        Some(Fault::ItemsAppliedButFailed) => {
            let (head, body) = split_answer(&answer);
            let text = String::from_utf8_lossy(body);
            let mut failed = text.replace(r#""errors":false"#, r#""errors":true"#);
            for ok in [r#""status":200"#, r#""status":201"#] {
                failed = failed
                    .replace(ok, r#""status":503,"error":{"type":"injected","reason":"applied, reported failed"}"#);
            }
            if failed != text {
                injected.fetch_add(1, Ordering::SeqCst);
            }
            let mut out = with_length(head, failed.len()).into_bytes();
            out.extend_from_slice(failed.as_bytes());
            answer = out;
        }
        _ => {}
    }
    client.write_all(&answer)?;
    client.flush()
}

/// An answer's head (with its blank line) and body.
fn split_answer(answer: &[u8]) -> (&[u8], &[u8]) {
    let split = answer.windows(4).position(|w| w == b"\r\n\r\n").map_or(answer.len(), |p| p + 4);
    answer.split_at(split)
}

/// The head without `Content-Length`/`Transfer-Encoding`: the body then ends when the connection closes.
fn without_length(head: &[u8]) -> String {
    let mut out = String::new();
    for line in String::from_utf8_lossy(head).split("\r\n") {
        let lower = line.to_ascii_lowercase();
        if !line.is_empty() && !lower.starts_with("content-length:") && !lower.starts_with("transfer-encoding:") {
            out += line;
            out += "\r\n";
        }
    }
    out + "\r\n"
}

/// The head with `Content-Length: n` instead of its own.
fn with_length(head: &[u8], n: usize) -> String {
    let mut out = without_length(head);
    out.truncate(out.len() - 2);
    out + &format!("Content-Length: {n}\r\n\r\n")
}

/// The answer with `\ud800` added at the start of its first `"message":"` string, the body's
/// Content-Length adjusted (the test server answers with a Content-Length, not chunked).
fn inject_surrogate(answer: &[u8]) -> Option<Vec<u8>> {
    let (head, body) = split_answer(answer);
    let at = body.windows(11).position(|w| w == br#""message":""#)? + 11;
    let mut new_body = body[..at].to_vec();
    new_body.extend_from_slice(br"\ud800");
    new_body.extend_from_slice(&body[at..]);
    let mut bytes = with_length(head, new_body.len()).into_bytes();
    bytes.extend_from_slice(&new_body);
    Some(bytes)
}
