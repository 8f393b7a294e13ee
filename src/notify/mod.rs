//! New-template notifications: when the sidecar's engine gives birth to a cluster, a webhook is
//! called with the template, its id, the source and the first document.
//!
//! Never in the way of labelling: the sidecar hands events to [`Notifier::notify`], which only
//! puts them on a bounded queue (a full queue counts them as `omitted`, it never waits). A task of
//! its own ([`spawn`]) gathers the events of a window (`batch_window`) into one call, keeps to
//! `max_calls_per_minute` (templates born while it waits join the next call, so a deploy that
//! brings 1,000 new templates sends a handful of calls, listing `max_listed` and counting the
//! rest), and retries a failed call (connection error, timeout, 408/429/5xx) with backoff. At
//! shutdown it sends what it holds, with one attempt that may take [`FLUSH_GRACE`] at most, so a
//! webhook that hangs never holds the process.
//!
//! Delivery is at most once: a notification not yet sent when the process is killed is lost
//! (the cluster index still has the cluster, with `first_seen`, for the stack's own alerting;
//! see `kibana/alerting/`).
//!
//! The bodies and the rate limiter are pure functions ([`body`], [`RateLimit`]), tested here.

use crate::config::notify::{NotifyConfig, NotifyFormat};
use crate::metrics::{Counter, Metrics};
use crate::shutdown::Shutdown;
use serde::Serialize;
use serde_json::{json, Value};
use std::collections::VecDeque;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio::sync::mpsc;
use tokio::task::JoinHandle;

/// A cluster born in the engine.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct NewTemplate {
    /// `<source>-<n>`, as written into documents.
    pub cluster_id: String,
    pub template: String,
    /// The document that gave birth to it.
    pub index: String,
    pub document_id: String,
    pub message: String,
    /// The document's time, when it has one.
    pub timestamp: Option<String>,
}

/// The sidecar's handle: cheap to call, never blocks.
#[derive(Clone)]
pub struct Notifier {
    tx: Option<mpsc::Sender<NewTemplate>>,
    /// Events that found the queue full: reported as `omitted` in the next call.
    overflow: Arc<AtomicU64>,
    omitted_total: Option<Arc<Counter>>,
}

impl Notifier {
    /// A notifier that drops everything (no webhook configured).
    pub fn disabled() -> Notifier {
        Notifier { tx: None, overflow: Arc::new(AtomicU64::new(0)), omitted_total: None }
    }

    pub fn is_enabled(&self) -> bool {
        self.tx.is_some()
    }

    /// Queues `t` for the next call; a full queue counts it instead (never waits).
    pub fn notify(&self, t: NewTemplate) {
        let Some(tx) = &self.tx else { return };
        if tx.try_send(t).is_err() {
            self.overflow.fetch_add(1, Ordering::Relaxed);
            if let Some(c) = &self.omitted_total {
                c.inc();
            }
        }
    }
}

/// Starts the sending task for `source`; it ends after `shutdown`, once what it held is sent
/// (or failed), and holds `shutdown` until then.
pub fn spawn(cfg: NotifyConfig, source: &str, metrics: &Metrics, shutdown: Shutdown) -> (Notifier, JoinHandle<()>) {
    let (tx, rx) = mpsc::channel(cfg.queue.max(1));
    let overflow = Arc::new(AtomicU64::new(0));
    let counters = Counters {
        calls: metrics.notifications.with(&[source, "sent"]),
        failed: metrics.notifications.with(&[source, "failed"]),
        templates: metrics.notified_templates.with(&[source]),
    };
    let notifier = Notifier {
        tx: Some(tx),
        overflow: overflow.clone(),
        omitted_total: Some(metrics.notify_omitted.with(&[source])),
    };
    let sender = Sender { cfg, source: source.to_string(), http: None, overflow, counters };
    (notifier, tokio::spawn(sender.run(rx, shutdown)))
}

struct Counters {
    calls: Arc<Counter>,
    failed: Arc<Counter>,
    templates: Arc<Counter>,
}

struct Sender {
    cfg: NotifyConfig,
    source: String,
    http: Option<reqwest::Client>,
    overflow: Arc<AtomicU64>,
    counters: Counters,
}

impl Sender {
    async fn run(mut self, mut rx: mpsc::Receiver<NewTemplate>, mut shutdown: Shutdown) {
        let mut limit = RateLimit::new(self.cfg.max_calls_per_minute);
        let mut held: Vec<NewTemplate> = Vec::new();
        let mut closing = false;
        loop {
            // Wait for a first event (or for the end).
            if held.is_empty() && self.overflow.load(Ordering::Relaxed) == 0 {
                if closing {
                    // Everything queued before shutdown was signalled is still sent.
                    while let Ok(e) = rx.try_recv() {
                        held.push(e);
                    }
                    if held.is_empty() {
                        break;
                    }
                    continue;
                }
                tokio::select! {
                    e = rx.recv() => match e {
                        Some(e) => held.push(e),
                        None => closing = true,
                    },
                    _ = shutdown.recv() => closing = true,
                }
                continue;
            }
            // Gather the window, then wait for the rate limit, gathering all the while.
            let deadline = Instant::now() + self.cfg.batch_window;
            loop {
                let wait = limit.wait(Instant::now()).max(deadline.saturating_duration_since(Instant::now()));
                if closing || wait.is_zero() {
                    break;
                }
                tokio::select! {
                    e = rx.recv() => match e {
                        Some(e) => held.push(e),
                        None => closing = true,
                    },
                    _ = tokio::time::sleep(wait) => {}
                    _ = shutdown.recv() => closing = true,
                }
            }
            while let Ok(e) = rx.try_recv() {
                held.push(e);
            }
            let omitted = self.overflow.swap(0, Ordering::Relaxed);
            let events = std::mem::take(&mut held);
            limit.record(Instant::now());
            let b = body(self.cfg.format, &self.source, &events, self.cfg.max_listed, omitted);
            if self.send(&b, closing, &mut shutdown).await {
                self.counters.calls.inc();
                self.counters.templates.add(events.len() as u64 + omitted);
            } else {
                self.counters.failed.inc();
            }
        }
    }

    /// One call with retries; `true` once a 2xx answer came. While closing: one attempt.
    async fn send(&mut self, body: &Value, closing: bool, shutdown: &mut Shutdown) -> bool {
        let http = match &self.http {
            Some(h) => h.clone(),
            None => match reqwest::Client::builder().timeout(self.cfg.timeout).build() {
                Ok(h) => self.http.insert(h).clone(),
                Err(error) => {
                    tracing::warn!(%error, "webhook client could not be built; notification dropped");
                    return false;
                }
            },
        };
        let mut attempt = 0u32;
        loop {
            let mut req = http.post(&self.cfg.webhook_url).json(body);
            for (n, v) in &self.cfg.headers {
                req = req.header(n, v);
            }
            // A call in flight when shutdown comes gets `FLUSH_GRACE` more, then is given up.
            let grace = async {
                if !closing {
                    shutdown.recv().await;
                }
                tokio::time::sleep(FLUSH_GRACE).await;
            };
            let answer = tokio::select! {
                r = req.send() => r,
                _ = grace => {
                    tracing::warn!(webhook = %self.cfg.webhook_url, "new-template notification not delivered: no answer before shutdown");
                    return false;
                }
            };
            let outcome = match answer {
                Ok(r) if r.status().is_success() => return true,
                Ok(r) => {
                    let s = r.status().as_u16();
                    (format!("answered {s}"), s == 408 || s == 429 || s >= 500)
                }
                Err(e) => (e.to_string(), true),
            };
            let stop = closing || shutdown.is_shutdown();
            if !outcome.1 || attempt >= self.cfg.max_retries || stop {
                tracing::warn!(webhook = %self.cfg.webhook_url, error = %outcome.0, attempts = attempt + 1, "new-template notification not delivered");
                return false;
            }
            attempt += 1;
            let wait = backoff(attempt);
            tracing::info!(error = %outcome.0, attempt, wait_ms = wait.as_millis() as u64, "webhook call failed; retrying");
            tokio::select! {
                _ = tokio::time::sleep(wait) => {}
                _ = shutdown.recv() => {}
            }
        }
    }
}

/// How long a call may still take once shutdown is signalled.
const FLUSH_GRACE: Duration = Duration::from_secs(5);

/// 1 s, 2 s, 4 s … capped at 60 s.
fn backoff(attempt: u32) -> Duration {
    Duration::from_secs(1u64 << attempt.saturating_sub(1).min(6)).min(Duration::from_secs(60))
}

/// At most `per_minute` calls in any 60 s.
pub struct RateLimit {
    per_minute: usize,
    sent: VecDeque<Instant>,
}

impl RateLimit {
    pub fn new(per_minute: u32) -> RateLimit {
        RateLimit { per_minute: per_minute.max(1) as usize, sent: VecDeque::new() }
    }

    /// How long until a call may go out.
    pub fn wait(&mut self, now: Instant) -> Duration {
        let minute = Duration::from_secs(60);
        while self.sent.front().is_some_and(|t| now.saturating_duration_since(*t) >= minute) {
            self.sent.pop_front();
        }
        if self.sent.len() < self.per_minute {
            return Duration::ZERO;
        }
        (self.sent[0] + minute).saturating_duration_since(now)
    }

    pub fn record(&mut self, now: Instant) {
        self.sent.push_back(now);
    }
}

/// The body of one call: `events` (the first `max_listed` of them listed) and `omitted` more
/// that were not queued.
pub fn body(format: NotifyFormat, source: &str, events: &[NewTemplate], max_listed: usize, omitted: u64) -> Value {
    let total = events.len() as u64 + omitted;
    let listed = &events[..events.len().min(max_listed)];
    let not_listed = total - listed.len() as u64;
    match format {
        NotifyFormat::Json => json!({
            "event": "new_templates",
            "source": source,
            "count": total,
            "templates": listed,
            "not_listed": not_listed,
        }),
        NotifyFormat::Slack => {
            let mut text =
                format!("*logsift*: {total} new template{} in source `{source}`", if total == 1 { "" } else { "s" });
            for t in listed {
                text.push_str(&format!(
                    "\n• `{}` {} (first in {}/{})",
                    t.cluster_id, t.template, t.index, t.document_id
                ));
            }
            if not_listed > 0 {
                text.push_str(&format!("\n… and {not_listed} more"));
            }
            json!({ "text": text })
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t(i: usize) -> NewTemplate {
        NewTemplate {
            cluster_id: format!("sshd-{i}"),
            template: format!("Accepted publickey for <*> from <*> kind{i}"),
            index: "logs".into(),
            document_id: format!("d{i}"),
            message: format!("Accepted publickey for root from 10.0.0.1 kind{i}"),
            timestamp: None,
        }
    }

    #[test]
    fn json_body_lists_the_first_and_counts_the_rest() {
        let events: Vec<_> = (0..30).map(t).collect();
        let b = body(NotifyFormat::Json, "sshd", &events, 20, 5);
        assert_eq!(b["count"], 35);
        assert_eq!(b["templates"].as_array().unwrap().len(), 20);
        assert_eq!(b["not_listed"], 15);
        assert_eq!(b["templates"][0]["cluster_id"], "sshd-0");
        assert_eq!(b["templates"][0]["document_id"], "d0");
        assert_eq!(b["source"], "sshd");
    }

    #[test]
    fn slack_body_is_one_text() {
        let b = body(NotifyFormat::Slack, "sshd", &[t(1)], 20, 0);
        let text = b["text"].as_str().unwrap();
        assert!(text.starts_with("*logsift*: 1 new template in source `sshd`"), "{text}");
        assert!(text.contains("`sshd-1` Accepted publickey for <*> from <*> kind1 (first in logs/d1)"), "{text}");
        assert!(!text.contains("more"));
        let b = body(NotifyFormat::Slack, "sshd", &[t(1), t(2)], 1, 3);
        assert!(b["text"].as_str().unwrap().ends_with("… and 4 more"), "{b}");
    }

    #[test]
    fn rate_limit_keeps_to_calls_per_minute() {
        let start = Instant::now();
        let mut r = RateLimit::new(2);
        assert_eq!(r.wait(start), Duration::ZERO);
        r.record(start);
        r.record(start + Duration::from_secs(10));
        assert_eq!(r.wait(start + Duration::from_secs(20)), Duration::from_secs(40));
        assert_eq!(r.wait(start + Duration::from_secs(60)), Duration::ZERO, "the first call left the window");
    }

    #[test]
    fn backoff_doubles_to_a_cap() {
        assert_eq!(backoff(1), Duration::from_secs(1));
        assert_eq!(backoff(3), Duration::from_secs(4));
        assert_eq!(backoff(30), Duration::from_secs(60));
    }

    #[tokio::test]
    async fn a_disabled_notifier_takes_everything_and_does_nothing() {
        let n = Notifier::disabled();
        assert!(!n.is_enabled());
        n.notify(t(1));
    }
}
