//! A fault-injecting HTTP proxy on loopback, between `logsift` and the test server: one request
//! per connection (it forces `Connection: close`), each forwarded whole, and a rule that may
//! replace the answer by a fault for requests whose path contains a given string. Bounded: it
//! serves until dropped, one thread per connection, nothing but loopback.

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
}

/// Which requests get which fault: every `every`-th request whose path contains `path`.
#[derive(Clone, Debug)]
pub struct Rule {
    pub path: &'static str,
    pub every: u64,
    pub fault: Fault,
}

pub struct FaultProxy {
    pub url: String,
    stop: Arc<AtomicBool>,
    /// Requests that matched a rule and got its fault.
    pub injected: Arc<AtomicU64>,
    /// After this many connections every further one is cut at once (the server is "gone").
    pub gone_after: Arc<AtomicU64>,
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
        listener.set_nonblocking(true).unwrap();
        std::thread::spawn(move || {
            while !s.load(Ordering::SeqCst) {
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
        FaultProxy { url, stop, injected, gone_after }
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
        if path.contains(r.path) && (n.fetch_add(1, Ordering::SeqCst) + 1) % r.every == 0 {
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
        _ => {}
    }
    let mut up = TcpStream::connect(upstream)?;
    up.write_all(&head)?;
    up.write_all(&body)?;
    let mut answer = Vec::new();
    up.read_to_end(&mut answer)?;
    if let Some(Fault::LoneSurrogate) = fault {
        if let Some(fixed) = inject_surrogate(&answer) {
            injected.fetch_add(1, Ordering::SeqCst);
            answer = fixed;
        }
    }
    client.write_all(&answer)?;
    client.flush()
}

/// The answer with `\ud800` added at the start of its first `"message":"` string, the body's
/// Content-Length adjusted (the test server answers with a Content-Length, not chunked).
fn inject_surrogate(answer: &[u8]) -> Option<Vec<u8>> {
    let split = answer.windows(4).position(|w| w == b"\r\n\r\n")? + 4;
    let (head, body) = answer.split_at(split);
    let at = body.windows(11).position(|w| w == br#""message":""#)? + 11;
    let mut new_body = body[..at].to_vec();
    new_body.extend_from_slice(br"\ud800");
    new_body.extend_from_slice(&body[at..]);
    let head = String::from_utf8_lossy(head);
    let mut out = String::new();
    for line in head.split("\r\n") {
        if line.to_ascii_lowercase().starts_with("content-length:") {
            out += &format!("Content-Length: {}\r\n", new_body.len());
        } else if !line.is_empty() {
            out += line;
            out += "\r\n";
        }
    }
    out += "\r\n";
    let mut bytes = out.into_bytes();
    bytes.extend_from_slice(&new_body);
    Some(bytes)
}
