//! Rarity beyond templates, for audit events: how unusual is *this* (who, what), (who, where),
//! (what, which) combination, given what the source has seen before.
//!
//! Pure and bounded. For every dimension a *context* (the user, the operation) is counted with
//! the number of distinct values seen in it, and every (context, value) *pair* with its count
//! and the time it was first seen. The surprise of a value in a context is `-ln p`, with `p`
//! estimated as in PPM method C: a value seen `k` times in a context of `n` events with `d`
//! distinct values has `p = k / (n + d)`, a value never seen has `p = d / (n + d)`. So a new
//! value is more surprising the longer and the more regular the history it breaks (a user who
//! logged in from one address block 300 times), and a context without history surprises
//! nobody. A new value counts its whole surprise `ln((n + d) / d)`: one address block used 300
//! times makes a new one worth `ln 301`, an operation whose object is new every time
//! (`createImage`, `d ≈ n`) makes a new object worth `ln 2`. A value seen before counts only its
//! *excess* surprise, at half weight, beyond the context's expected surprise (its entropy under the same
//! estimate, `ln(n + d) - Σ k ln k / n`), so a bot that works at every hour adds nothing. Both
//! are scaled by `n / (n + 16)`: a short history is weak evidence. The score
//! of an event adds the weighted excess surprises, the outcome (warning, incident, failure)
//! and whether the operation is on the sensitive list.
//!
//! State: two capped maps keyed by a stable 64-bit hash (FNV-1a) of the context or pair, so
//! the memory and the snapshot size are bounded by [`AuditConfig::max_pairs`] whatever the
//! values; when a map is full the quarter with the fewest and oldest observations is evicted
//! (an evicted pair counts as new again: eviction errs towards reporting). [`AuditState`] is
//! serialisable and versioned; it is saved with the engine snapshot.

use serde::{Deserialize, Serialize};
use std::collections::HashMap;

/// The state format this build writes and reads.
pub const AUDIT_STATE_VERSION: u32 = 1;

/// Contexts with fewer events than this make no `new_*` reason (but still add their surprise).
pub const MIN_HISTORY: u64 = 8;

#[derive(Clone, Debug, PartialEq)]
pub struct AuditConfig {
    /// Operations (or parameter names, outcomes...) that weigh in, compared case-insensitively
    /// with each `what` value of an event.
    pub sensitive: Vec<String>,
    /// Most (context, value) pairs kept; contexts are capped at a quarter of it.
    pub max_pairs: usize,
}

impl Default for AuditConfig {
    fn default() -> Self {
        AuditConfig { sensitive: Vec::new(), max_pairs: 200_000 }
    }
}

/// One event, by role. Empty strings and `None` mean "not in this event".
#[derive(Clone, Debug, Default)]
pub struct AuditEvent<'a> {
    /// The event's template (the `what` values joined).
    pub what: &'a str,
    /// The `what` values one by one (operation, parameter names, ...), for the sensitive list.
    pub what_parts: &'a [String],
    pub who: Option<&'a str>,
    /// A network address (IPv4, IPv6, with or without a port); compared by block (IPv4 /16,
    /// IPv6 /32), anything else as it is.
    pub place: Option<&'a str>,
    /// The objects acted on (resource ids, mailboxes, parameter values).
    pub objects: &'a [String],
    /// Outcome values (rating, status code, result status).
    pub outcomes: &'a [String],
    /// Hour of the day (UTC, 0..24) of the event.
    pub hour: Option<u32>,
    /// Event time, epoch milliseconds.
    pub time_ms: Option<i64>,
}

/// How unusual one event is.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Verdict {
    pub score: f64,
    /// A (who, what), (who, where) or (what, which) pair never seen before, in a context with
    /// history.
    pub new_pair: bool,
    /// Which were new (the kinds behind `new_pair`): `who_what`, `who_where`, `what_which`,
    /// `domain` (a mail domain of the objects new to the source).
    pub new_pairs: Vec<&'static str>,
    /// The operation (a `what` value) is on the sensitive list.
    pub sensitive: bool,
    /// The user did this operation never or at most 2% of the time before.
    pub rare_for_user: bool,
    /// Why, most important first (`sensitive:deleteUser`, `new_user_operation`, ...).
    pub reasons: Vec<String>,
    /// How often this user did this before, and since when (epoch ms).
    pub user_operation_seen: u64,
    pub user_operation_since: Option<i64>,
    /// The address block the event's address was compared by.
    pub block: Option<String>,
}

/// The outcome of an event, from its outcome values.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Outcome {
    Normal,
    Failure,
    Warning,
    Incident,
}

/// Reads an outcome from the usual spellings: ratings (`warning`, `incident`, `critical`),
/// results (`Failed`, `False`, `failure`, `denied`, `error`) and HTTP-like status codes
/// (400–599 are failures).
pub fn outcome_of(values: &[String]) -> Outcome {
    let mut o = Outcome::Normal;
    for v in values {
        let v = v.trim();
        let this = match v.to_ascii_lowercase().as_str() {
            "incident" | "critical" | "alert" | "emergency" | "high" => Outcome::Incident,
            "warning" | "warn" | "medium" => Outcome::Warning,
            "failed" | "failure" | "false" | "fail" | "denied" | "error" | "partiallysucceeded" | "unauthorized"
            | "forbidden" => Outcome::Failure,
            s => match s.parse::<u32>() {
                Ok(code) if (400..600).contains(&code) => Outcome::Failure,
                _ => Outcome::Normal,
            },
        };
        o = o.max(this);
    }
    o
}

/// The block an address is compared by: IPv4 /16, IPv6 /32; a port or brackets are removed;
/// anything that is not an address is returned as it is.
pub fn address_block(addr: &str) -> String {
    let a = addr.trim();
    let a = a.strip_prefix('[').map(|r| r.split(']').next().unwrap_or(r)).unwrap_or(a);
    if let Ok(ip) = a.parse::<std::net::IpAddr>() {
        return block_of(ip);
    }
    // `1.2.3.4:5678`
    if let Some((host, port)) = a.rsplit_once(':') {
        if port.bytes().all(|b| b.is_ascii_digit()) {
            if let Ok(ip) = host.parse::<std::net::IpAddr>() {
                return block_of(ip);
            }
        }
    }
    a.to_string()
}

fn block_of(ip: std::net::IpAddr) -> String {
    match ip {
        std::net::IpAddr::V4(v4) => {
            let o = v4.octets();
            format!("{}.{}.0.0/16", o[0], o[1])
        }
        std::net::IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
            Some(v4) => block_of(std::net::IpAddr::V4(v4)),
            None => {
                let s = v6.segments();
                format!("{:x}:{:x}::/32", s[0], s[1])
            }
        },
    }
}

/// The domain of an e-mail address or host name (`x@fabrikam.com` → `fabrikam.com`).
fn domain_of(v: &str) -> Option<&str> {
    let (_, d) = v.trim().rsplit_once('@')?;
    (!d.is_empty() && d.contains('.') && !d.contains(char::is_whitespace)).then_some(d)
}

/// 64-bit FNV-1a over the parts, with a separator byte: stable across builds and platforms.
fn key(dim: u8, parts: &[&str]) -> u64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    let mut eat = |b: u8| {
        h ^= b as u64;
        h = h.wrapping_mul(0x0100_0000_01b3);
    };
    eat(dim);
    for p in parts {
        for &b in p.as_bytes() {
            eat(b);
        }
        eat(0x1f);
    }
    h
}

#[derive(Clone, Copy, Debug, Default, PartialEq, Serialize, Deserialize)]
struct Context {
    /// Events in the context.
    n: u64,
    /// Distinct values seen in it.
    d: u64,
    /// Σ k ln k over its values' counts (for the entropy).
    s: f64,
    /// Sequence number of the last event (for eviction).
    last: u64,
}

#[derive(Clone, Copy, Debug, Default, PartialEq, Serialize, Deserialize)]
struct Pair {
    count: u64,
    first_ms: Option<i64>,
    last: u64,
}

/// The dimensions, with their weight in the score and the reason a new value gives.
#[derive(Clone, Copy)]
struct Dim {
    id: u8,
    weight: f64,
    reason: &'static str,
    /// The pair a new value of this dimension makes new (`Verdict::new_pairs`), if any.
    pair: Option<&'static str>,
}

const USER_OPERATION: Dim = Dim { id: 1, weight: 1.0, reason: "new_user_operation", pair: Some("who_what") };
const USER_ADDRESS: Dim = Dim { id: 2, weight: 1.5, reason: "new_user_address", pair: Some("who_where") };
const OPERATION_OBJECT: Dim = Dim { id: 3, weight: 0.4, reason: "new_operation_object", pair: Some("what_which") };
const USER_HOUR: Dim = Dim { id: 4, weight: 2.0, reason: "unusual_hour_for_user", pair: None };
/// Mail domains of the objects, over the whole source (users' own domains count as seen).
const DOMAIN: Dim = Dim { id: 5, weight: 1.0, reason: "new_domain", pair: Some("domain") };
/// Global frequency of the operation (context: everything).
const OPERATION: Dim = Dim { id: 6, weight: 0.3, reason: "new_operation", pair: None };

/// The share of its excess surprise a value seen before counts.
const SEEN_FACTOR: f64 = 0.5;
/// History at which a context's surprise counts half (`n / (n + CONFIDENCE_EVENTS)`).
const CONFIDENCE_EVENTS: u64 = 16;
/// The least weighted excess surprise that is named as a reason.
const REASON_MIN: f64 = 1.0;
const SENSITIVE_WEIGHT: f64 = 2.5;
/// Times a user did a sensitive operation before its weight is halved.
const FAMILIAR_AFTER: f64 = 8.0;
const INCIDENT_WEIGHT: f64 = 5.0;
const WARNING_WEIGHT: f64 = 1.5;
const FAILURE_WEIGHT: f64 = 1.5;

/// What the scorer remembers. Serialisable (see [`AuditSnapshot`]).
#[derive(Clone, Debug, Default)]
pub struct AuditState {
    contexts: HashMap<u64, Context>,
    pairs: HashMap<u64, Pair>,
    seq: u64,
}

/// The serialised form of [`AuditState`]: compact rows, versioned.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct AuditSnapshot {
    pub version: u32,
    pub seq: u64,
    /// `[key, n, d, last, Σ k ln k]`; keys as 16 hex digits (JSON numbers above 2^53 are not
    /// safe everywhere).
    contexts: Vec<(String, u64, u64, u64, f64)>,
    /// `[key, count, first_ms, last]`
    pairs: Vec<(String, u64, Option<i64>, u64)>,
}

#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error("audit state: {0}")]
pub struct AuditStateError(pub String);

/// One dimension's look at the state, before the event is counted.
struct Look {
    /// Surprise beyond the context's entropy, at least 0.
    surprise: f64,
    novel: bool,
    history: u64,
    count: u64,
    first_ms: Option<i64>,
}

impl AuditState {
    pub fn new() -> Self {
        AuditState::default()
    }

    /// Pairs remembered (for metrics and tests).
    pub fn pairs(&self) -> usize {
        self.pairs.len()
    }

    fn look(&self, dim: Dim, context: &[&str], value: &str) -> Look {
        let c = self.contexts.get(&key(dim.id, context)).copied().unwrap_or_default();
        let mut parts = context.to_vec();
        parts.push(value);
        let p = self.pairs.get(&key(dim.id, &parts)).copied().unwrap_or_default();
        let surprise = if c.n == 0 {
            0.0
        } else {
            let denom = (c.n + c.d.max(1)) as f64;
            let numer = if p.count == 0 { c.d.max(1) as f64 } else { p.count as f64 };
            let s = if p.count == 0 {
                // A new value: the surprise of escaping the history at all.
                (denom / numer).ln()
            } else {
                // Seen before, only rarer than usual: half the weight of news.
                let entropy = denom.ln() - c.s / c.n as f64;
                SEEN_FACTOR * ((denom / numer).ln() - entropy).max(0.0)
            };
            // A short history is weak evidence either way.
            s * c.n as f64 / (c.n + CONFIDENCE_EVENTS) as f64
        };
        Look { surprise, novel: p.count == 0, history: c.n, count: p.count, first_ms: p.first_ms }
    }

    fn count(&mut self, dim: Dim, context: &[&str], value: &str, time_ms: Option<i64>) {
        let seq = self.seq;
        let mut parts = context.to_vec();
        parts.push(value);
        let p = self.pairs.entry(key(dim.id, &parts)).or_default();
        let new = p.count == 0;
        let k = p.count as f64;
        let grow = (k + 1.0) * (k + 1.0).ln() - if k > 0.0 { k * k.ln() } else { 0.0 };
        p.count += 1;
        p.last = seq;
        if p.first_ms.is_none() || time_ms.is_some_and(|t| p.first_ms.is_some_and(|f| t < f)) {
            p.first_ms = time_ms.or(p.first_ms);
        }
        let c = self.contexts.entry(key(dim.id, context)).or_default();
        c.n += 1;
        c.d += new as u64;
        c.s += grow;
        c.last = seq;
    }

    /// Scores `event` against what was seen before it, then counts it (`learn`), or only scores.
    pub fn observe(&mut self, cfg: &AuditConfig, event: &AuditEvent<'_>, learn: bool) -> Verdict {
        let who = event.who.filter(|w| !w.is_empty());
        let block = event.place.filter(|p| !p.is_empty()).map(address_block);
        // Hours in blocks of four (00-03, 04-07, ...): a working day spans two or three.
        let hour = event.hour.map(|h| format!("{:02}", (h % 24) / 4 * 4));
        let what = event.what;
        // (dimension, context, value)
        let mut looks: Vec<(Dim, Vec<&str>, String)> = Vec::new();
        looks.push((OPERATION, vec![], what.to_string()));
        if let Some(w) = who {
            looks.push((USER_OPERATION, vec![w], what.to_string()));
            if let Some(b) = &block {
                looks.push((USER_ADDRESS, vec![w], b.clone()));
            }
            if let Some(h) = &hour {
                looks.push((USER_HOUR, vec![w], h.clone()));
            }
        }
        let mut objects: Vec<&str> = event.objects.iter().map(|s| s.trim()).filter(|s| !s.is_empty()).collect();
        objects.sort_unstable();
        objects.dedup();
        let mut domains: Vec<&str> = objects.iter().filter_map(|o| domain_of(o)).collect();
        domains.sort_unstable();
        domains.dedup();
        let mut score = 0.0;
        let mut reasons: Vec<(f64, String)> = Vec::new();
        let mut new_pairs: Vec<&'static str> = Vec::new();
        let mut rare_for_user = false;
        let (mut seen, mut since) = (0, None);
        for (dim, ctx, value) in &looks {
            let l = self.look(*dim, ctx, value);
            score += dim.weight * l.surprise;
            if dim.id == USER_OPERATION.id {
                seen = l.count;
                since = l.first_ms;
                rare_for_user = l.history >= MIN_HISTORY && (l.count as f64) <= 0.02 * l.history as f64;
            }
            if l.novel && l.history >= MIN_HISTORY {
                if let Some(p) = dim.pair {
                    new_pairs.push(p);
                }
                if dim.weight * l.surprise >= REASON_MIN {
                    reasons.push((dim.weight * l.surprise, dim.reason.to_string()));
                }
            }
        }
        // Objects and domains: the most surprising one counts (a grant names several values).
        for (dim, values) in [(OPERATION_OBJECT, &objects), (DOMAIN, &domains)] {
            let ctx: &[&str] = if dim.id == DOMAIN.id { &[] } else { &[what] };
            let best = values.iter().map(|v| self.look(dim, ctx, v)).max_by(|a, b| a.surprise.total_cmp(&b.surprise));
            if let Some(l) = best {
                score += dim.weight * l.surprise;
                // Objects new every time (created ones) are no news: only beyond the entropy.
                if l.novel && l.history >= MIN_HISTORY && dim.weight * l.surprise >= REASON_MIN {
                    new_pairs.extend(dim.pair);
                    reasons.push((dim.weight * l.surprise, dim.reason.to_string()));
                }
            }
        }
        match outcome_of(event.outcomes) {
            Outcome::Incident => {
                score += INCIDENT_WEIGHT;
                reasons.push((INCIDENT_WEIGHT, "incident".into()));
            }
            Outcome::Warning => {
                score += WARNING_WEIGHT;
                reasons.push((WARNING_WEIGHT, "warning".into()));
            }
            Outcome::Failure => {
                score += FAILURE_WEIGHT;
                reasons.push((FAILURE_WEIGHT, "failure".into()));
            }
            Outcome::Normal => {}
        }
        let sensitive_part =
            event.what_parts.iter().find(|p| cfg.sensitive.iter().any(|s| s.eq_ignore_ascii_case(p.trim())));
        if let Some(s) = sensitive_part {
            // A sensitive operation its user does every day is their routine: its weight fades
            // with the times the user did it before (full the first time, a fifth after 32).
            let w = SENSITIVE_WEIGHT * FAMILIAR_AFTER / (FAMILIAR_AFTER + seen as f64);
            score += w;
            reasons.push((w.max(REASON_MIN), format!("sensitive:{}", s.trim())));
        }
        if rare_for_user && !reasons.iter().any(|(_, r)| r == USER_OPERATION.reason) {
            reasons.push((0.0, "rare_for_user".into()));
        }
        reasons.sort_by(|a, b| b.0.total_cmp(&a.0));
        if learn {
            self.seq += 1;
            for (dim, ctx, value) in &looks {
                self.count(*dim, ctx, value, event.time_ms);
            }
            for o in &objects {
                self.count(OPERATION_OBJECT, &[what], o, event.time_ms);
            }
            if let Some(d) = who.and_then(domain_of) {
                if !domains.contains(&d) {
                    domains.push(d);
                }
            }
            for d in &domains {
                self.count(DOMAIN, &[], d, event.time_ms);
            }
            self.evict(cfg.max_pairs.max(16));
        }
        Verdict {
            score: (score * 100.0).round() / 100.0,
            new_pair: !new_pairs.is_empty(),
            new_pairs,
            sensitive: sensitive_part.is_some(),
            rare_for_user,
            reasons: reasons.into_iter().map(|(_, r)| r).collect(),
            user_operation_seen: seen,
            user_operation_since: since,
            block,
        }
    }

    /// Keeps the maps within their caps: when one is over, its quarter with the fewest
    /// observations (the oldest among equals) goes.
    fn evict(&mut self, max_pairs: usize) {
        if self.pairs.len() > max_pairs {
            let mut rows: Vec<(u64, u64, u64)> = self.pairs.iter().map(|(k, p)| (p.count, p.last, *k)).collect();
            rows.sort_unstable();
            for (_, _, k) in rows.iter().take(self.pairs.len() - max_pairs * 3 / 4) {
                self.pairs.remove(k);
            }
        }
        let max_contexts = (max_pairs / 4).max(4);
        if self.contexts.len() > max_contexts {
            let mut rows: Vec<(u64, u64, u64)> = self.contexts.iter().map(|(k, c)| (c.n, c.last, *k)).collect();
            rows.sort_unstable();
            for (_, _, k) in rows.iter().take(self.contexts.len() - max_contexts * 3 / 4) {
                self.contexts.remove(k);
            }
        }
    }

    pub fn snapshot(&self) -> AuditSnapshot {
        let hex = |k: &u64| format!("{k:016x}");
        let mut contexts: Vec<_> = self.contexts.iter().map(|(k, c)| (hex(k), c.n, c.d, c.last, c.s)).collect();
        let mut pairs: Vec<_> = self.pairs.iter().map(|(k, p)| (hex(k), p.count, p.first_ms, p.last)).collect();
        contexts.sort_unstable_by(|a, b| a.0.cmp(&b.0));
        pairs.sort_unstable_by(|a, b| a.0.cmp(&b.0));
        AuditSnapshot { version: AUDIT_STATE_VERSION, seq: self.seq, contexts, pairs }
    }

    pub fn restore(s: AuditSnapshot) -> Result<AuditState, AuditStateError> {
        if s.version != AUDIT_STATE_VERSION {
            return Err(AuditStateError(format!(
                "version {} is not supported (this build reads version {AUDIT_STATE_VERSION})",
                s.version
            )));
        }
        let key = |k: &str| u64::from_str_radix(k, 16).map_err(|_| AuditStateError(format!("`{k}` is not a key")));
        let mut contexts: HashMap<u64, Context> = HashMap::with_capacity(s.contexts.len());
        for (k, n, d, last, sum) in s.contexts {
            contexts.insert(key(&k)?, Context { n, d, s: sum, last });
        }
        let mut pairs: HashMap<u64, Pair> = HashMap::with_capacity(s.pairs.len());
        for (k, count, first_ms, last) in s.pairs {
            pairs.insert(key(&k)?, Pair { count, first_ms, last });
        }
        if contexts.values().any(|c| c.d > c.n || !c.s.is_finite() || c.s < 0.0) || pairs.values().any(|p| p.count == 0)
        {
            return Err(AuditStateError("inconsistent counts".into()));
        }
        Ok(AuditState { contexts, pairs, seq: s.seq })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ev<'a>(
        what: &'a str,
        parts: &'a [String],
        who: &'a str,
        ip: &'a str,
        objects: &'a [String],
        hour: u32,
    ) -> AuditEvent<'a> {
        AuditEvent {
            what,
            what_parts: parts,
            who: Some(who),
            place: Some(ip),
            objects,
            outcomes: &[],
            hour: Some(hour),
            time_ms: Some(1_000 + hour as i64),
        }
    }

    #[test]
    fn blocks_outcomes_and_domains() {
        assert_eq!(address_block("10.1.2.3"), "10.1.0.0/16");
        assert_eq!(address_block("10.1.2.3:55000"), "10.1.0.0/16");
        assert_eq!(address_block("[2001:db8:1::5]:443"), "2001:db8::/32");
        assert_eq!(address_block("::ffff:192.168.7.1"), "192.168.0.0/16");
        assert_eq!(address_block("vpn-gw"), "vpn-gw");
        let s = |v: &[&str]| v.iter().map(|s| s.to_string()).collect::<Vec<_>>();
        assert_eq!(outcome_of(&s(&["normal", "200"])), Outcome::Normal);
        assert_eq!(outcome_of(&s(&["normal", "403"])), Outcome::Failure);
        assert_eq!(outcome_of(&s(&["warning", "403"])), Outcome::Warning);
        assert_eq!(outcome_of(&s(&["incident"])), Outcome::Incident);
        assert_eq!(outcome_of(&s(&["False"])), Outcome::Failure);
        assert_eq!(outcome_of(&s(&["Succeeded", "True"])), Outcome::Normal);
        assert_eq!(domain_of("x@fabrikam.com"), Some("fabrikam.com"));
        assert_eq!(domain_of("FullAccess"), None);
    }

    #[test]
    fn a_new_address_for_a_regular_user_outranks_routine_and_survives_a_snapshot() {
        let cfg = AuditConfig { sensitive: vec!["deleteUser".into()], ..Default::default() };
        let mut st = AuditState::new();
        let login = vec!["login".to_string()];
        let none: Vec<String> = vec![];
        let mut routine = 0.0f64;
        for i in 0..200u32 {
            let v = st.observe(&cfg, &ev("IAM login", &login, "alice", "10.1.0.7", &none, 9 + i % 8), true);
            if i > 20 {
                routine = routine.max(v.score);
                assert!(!v.new_pair && v.new_pairs.is_empty() && !v.sensitive, "{i}: {v:?}");
            }
        }
        let s = st.snapshot();
        let json = serde_json::to_string(&s).unwrap();
        let mut back = AuditState::restore(serde_json::from_str(&json).unwrap()).unwrap();
        let del = vec!["deleteUser".to_string()];
        let v = back.observe(&cfg, &ev("IAM deleteUser", &del, "alice", "203.0.113.9", &none, 10), false);
        assert!(v.new_pair && v.rare_for_user && v.sensitive);
        assert_eq!(v.new_pairs, ["who_what", "who_where"], "{v:?}");
        assert_eq!(v.reasons[0], "new_user_address", "{v:?}");
        assert!(v.reasons.contains(&"sensitive:deleteUser".to_string()));
        assert!(v.reasons.contains(&"new_user_operation".to_string()));
        assert!(v.score > routine + 8.0, "{} vs {routine}", v.score);
        // `learn = false` changed nothing: the same answer again.
        let again = back.observe(&cfg, &ev("IAM deleteUser", &del, "alice", "203.0.113.9", &none, 10), false);
        assert_eq!(v, again);
        // A user without history surprises nobody.
        let fresh = back.observe(&cfg, &ev("IAM login", &login, "bob", "198.51.100.1", &none, 3), true);
        assert!(!fresh.new_pair && fresh.new_pairs.is_empty() && !fresh.sensitive && fresh.score < 1.0, "{fresh:?}");
        assert_eq!(fresh.user_operation_seen, 0);
        let v = back.observe(&cfg, &ev("IAM login", &login, "alice", "10.1.99.1", &none, 12), true);
        assert_eq!((v.user_operation_seen, v.user_operation_since), (200, Some(1_009)));
        assert!(AuditState::restore(AuditSnapshot { version: 9, ..s }).is_err());
    }

    #[test]
    fn state_stays_within_its_cap() {
        let cfg = AuditConfig { sensitive: vec![], max_pairs: 100 };
        let mut st = AuditState::new();
        let none: Vec<String> = vec![];
        for i in 0..5_000u32 {
            let user = format!("u{}", i % 700);
            let what = format!("op{}", i % 13);
            let objs = vec![format!("obj{i}")];
            st.observe(&cfg, &ev(&what, &none, &user, "10.0.0.1", &objs, i % 24), true);
            assert!(st.pairs() <= 100 && st.contexts.len() <= 25, "{i}: {}", st.pairs());
        }
        // The frequent survive eviction: op0 overall was seen ~385 times.
        let l = st.look(OPERATION, &[], "op0");
        assert!(!l.novel && l.count > 100, "{}", l.count);
    }
}
