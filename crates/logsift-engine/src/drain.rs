//! The online, incremental miner: a Drain-style clusterer over masked tokens.
//!
//! A message is tokenised and masked ([`Masker`]), then compared with the clusters of its
//! bucket (same token count, same first token): the most similar template wins if the share
//! of positions where both carry the same token reaches `similarity`; positions that differ
//! become `<*>`. Otherwise a new cluster is born with the next id.
//!
//! Speed comes from interning tokens to `u32` and from a bounded cache from a message's
//! masked token sequence to its cluster. The cache is *transparent*: an entry is used only
//! while its bucket is unchanged since the entry was written, and written only when a fresh
//! search would pick the same cluster, so results never depend on what the cache holds
//! (a miner restored from a snapshot, with an empty cache, assigns exactly the same).
//! Tokens seen only in messages are never interned, so memory follows templates, not lines.

use super::mask::{Masker, Resolve, Tokens};
use super::shape::{LineMemo, Remembered};
use super::snapshot::{self, MinerSnapshot, SnapshotError};
use super::{ClusterId, ConfigError, EngineConfig, WILDCARD};
use rustc_hash::FxHashMap;

/// A bucket: (token count, first token's id or the wildcard).
type BucketKey = (u32, u32);

/// Settings of the online miner.
#[derive(Clone, Debug, PartialEq)]
pub struct DrainConfig {
    /// Minimum share of positions a message must have in common with a template to join it;
    /// 1 means exact matching (see `Miner::exact`).
    pub similarity: f64,
    /// Entries of the message-shape cache before it is emptied (0 turns it off).
    pub cache_capacity: usize,
}

impl Default for DrainConfig {
    fn default() -> Self {
        DrainConfig { similarity: 0.86, cache_capacity: 100_000 }
    }
}

impl DrainConfig {
    pub fn validate(&self) -> Result<(), ConfigError> {
        if !(self.similarity > 0.0 && self.similarity <= 1.0) {
            return Err(ConfigError::new("drain.similarity", format!("{} is not in (0, 1]", self.similarity)));
        }
        Ok(())
    }
}

/// What adding a message did to the miner.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Change {
    /// A new cluster was born for this message.
    Created,
    /// The message joined a cluster whose template became more general.
    Generalized,
    /// The message joined a cluster and left its template as it was.
    Unchanged,
}

/// The cluster a message was assigned to.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Assignment {
    pub cluster_id: ClusterId,
    pub change: Change,
}

/// A read-only view of one cluster.
#[derive(Clone, Debug, PartialEq)]
pub struct ClusterInfo {
    pub id: ClusterId,
    pub template: String,
    /// Messages assigned to it so far.
    pub size: u64,
}

/// How many distinct values in the same positions (clusters that differ only there, and
/// the message) show that those positions are variables.
const SIBLINGS: usize = 3;

/// Id of the wildcard token.
const WILD: u32 = 0;
/// Id of a token that no template holds (never interned).
const UNKNOWN: u32 = u32::MAX;

#[derive(Clone, Debug, Default)]
struct Interner {
    map: FxHashMap<Box<str>, u32>,
    strs: Vec<Box<str>>,
}

impl Interner {
    fn new() -> Self {
        let mut i = Interner::default();
        i.intern(WILDCARD);
        i
    }

    fn get(&self, s: &str) -> u32 {
        self.map.get(s).copied().unwrap_or(UNKNOWN)
    }

    fn intern(&mut self, s: &str) -> u32 {
        if let Some(&id) = self.map.get(s) {
            return id;
        }
        let id = self.strs.len() as u32;
        self.strs.push(s.into());
        self.map.insert(s.into(), id);
        id
    }

    fn str(&self, id: u32) -> &str {
        &self.strs[id as usize]
    }
}

impl Resolve for Interner {
    fn id(&self, masked: &str) -> u32 {
        if masked == WILDCARD {
            WILD
        } else {
            self.get(masked)
        }
    }

    /// Ids never change and are never removed, so the number of strings is the epoch.
    fn epoch(&self) -> u32 {
        self.strs.len() as u32
    }
}

#[derive(Clone, Debug)]
pub(crate) struct Cluster {
    pub(crate) tokens: Vec<u32>,
    /// White space around the tokens of the first message (len + 1 entries).
    pub(crate) seps: Vec<Box<str>>,
    pub(crate) size: u64,
}

#[derive(Clone, Debug, Default)]
struct Bucket {
    members: Vec<u32>,
    generation: u64,
}

/// The online miner. Feed it messages with [`Miner::add`].
#[derive(Clone, Debug)]
pub struct Miner {
    config: EngineConfig,
    masker: Masker,
    interner: Interner,
    clusters: Vec<Cluster>,
    buckets: FxHashMap<(u32, u32), Bucket>,
    cache: FxHashMap<Box<[u32]>, (u32, u64)>,
    generation: u64,
    scratch: Tokens,
    lines: LineMemo,
    line_memo_hits: u64,
}

impl Miner {
    pub fn new(config: EngineConfig) -> Result<Miner, ConfigError> {
        config.validate()?;
        let masker = Masker::new(&config.masks)?;
        let scratch = Tokens::with_memo(&masker);
        Ok(Miner {
            config,
            masker,
            interner: Interner::new(),
            clusters: Vec::new(),
            buckets: FxHashMap::default(),
            cache: FxHashMap::default(),
            generation: 0,
            scratch,
            lines: LineMemo::default(),
            line_memo_hits: 0,
        })
    }

    pub fn config(&self) -> &EngineConfig {
        &self.config
    }

    pub fn masker(&self) -> &Masker {
        &self.masker
    }

    /// Assigns a message to a cluster, learning from it.
    pub fn add(&mut self, message: &str) -> Assignment {
        let line = self.masker.apply_custom(message);
        let memo = self.line_memo_on();
        if memo {
            if let Some(r) = self.lines.recall(line.as_bytes()) {
                if self.buckets.get(&r.bucket).is_some_and(|b| b.generation == r.generation) {
                    self.clusters[r.cluster as usize].size += 1;
                    self.line_memo_hits += 1;
                    return Assignment { cluster_id: ClusterId(r.cluster as u64 + 1), change: Change::Unchanged };
                }
            }
        }
        let mut toks = std::mem::take(&mut self.scratch);
        self.masker.tokenize_custom_applied(&line, &mut toks, &self.interner);
        let (a, fresh) = self.assign(&toks);
        if let (true, Some((bucket, generation))) = (memo, fresh) {
            let keeps_digit = |i: usize| toks.masked(i).bytes().any(|c| c.is_ascii_digit());
            let cluster = (a.cluster_id.0 - 1) as u32;
            self.lines.remember(toks.spans(), keeps_digit, Remembered { cluster, bucket, generation });
        }
        self.scratch = toks;
        a
    }

    /// How many messages [`Miner::add`] has assigned from the line memo (a recent line of
    /// the same shape) rather than by tokenising them. For benchmarks and tests.
    pub fn line_memo_hits(&self) -> u64 {
        self.line_memo_hits
    }

    /// Whether [`Miner::add`] consults the line memo (see `shape`): with the message
    /// caches on, and when masking ignores digits' values (it does with the `number` mask).
    fn line_memo_on(&self) -> bool {
        self.config.drain.cache_capacity > 0 && self.masker.ignores_digit_values()
    }

    /// [`Miner::add`] for raw bytes; invalid UTF-8 is replaced, never refused.
    pub fn add_bytes(&mut self, message: &[u8]) -> Assignment {
        self.add(&super::lossy(message))
    }

    /// The cluster a message would join, without learning from it; `None` if it would
    /// start a new cluster.
    pub fn classify(&self, message: &str) -> Option<ClusterId> {
        let mut toks = Tokens::default();
        self.masker.tokenize_with(message, &mut toks, &self.interner);
        let ids = toks.ids();
        let key = bucket_key(ids, first_masked(&toks));
        if let Some(&(c, _)) = self.cache_get(ids, key) {
            return Some(ClusterId(c as u64 + 1));
        }
        self.find(key, ids, &toks).map(|c| ClusterId(c as u64 + 1))
    }

    fn cache_get(&self, ids: &[u32], key: (u32, u32)) -> Option<&(u32, u64)> {
        if self.config.drain.cache_capacity == 0 || ids.contains(&UNKNOWN) {
            return None;
        }
        let entry = self.cache.get(ids)?;
        let bucket = self.buckets.get(&key)?;
        (bucket.generation == entry.1).then_some(entry)
    }

    /// Assigns tokenised `toks` to a cluster. Also returns the bucket and its generation
    /// when a fresh search in the state left behind picks the same cluster (what the
    /// message caches may remember), else `None`.
    fn assign(&mut self, toks: &Tokens) -> (Assignment, Option<(BucketKey, u64)>) {
        let (ids, epoch) = (toks.ids(), self.interner.epoch());
        let key = bucket_key(ids, first_masked(toks));
        if let Some(&(c, generation)) = self.cache_get(ids, key) {
            self.clusters[c as usize].size += 1;
            let a = Assignment { cluster_id: ClusterId(c as u64 + 1), change: Change::Unchanged };
            return (a, Some((key, generation)));
        }
        let (c, change) = match self.find(key, ids, toks) {
            Some(c) => {
                let mut changed = false;
                for (i, &id) in ids.iter().enumerate() {
                    let new = match self.relate_at(&self.clusters[c].tokens, i, id, toks.masked(i)) {
                        Relation::Same => continue,
                        Relation::Widen(s) => self.interner.intern(&s),
                        Relation::Value | Relation::Differ | Relation::Distinct => WILD,
                    };
                    self.clusters[c].tokens[i] = new;
                    changed = true;
                }
                self.clusters[c].size += 1;
                if changed {
                    self.bump(key);
                }
                (c, if changed { Change::Generalized } else { Change::Unchanged })
            }
            None => {
                let tokens: Vec<u32> = (0..toks.len()).map(|i| self.interner.intern(toks.masked(i))).collect();
                let seps = (0..=toks.len()).map(|i| toks.separator(i).into()).collect();
                self.clusters.push(Cluster { tokens, seps, size: 1 });
                let c = self.clusters.len() - 1;
                // The key is recomputed: the first token may have been interned just now.
                let key = self.cluster_key(c);
                self.buckets.entry(key).or_default().members.push(c as u32);
                self.bump(key);
                (c, Change::Created)
            }
        };
        // Unchanged, the state is as the search found it, and would be found again.
        let fresh = self.remember(key, ids, toks, c, epoch, change == Change::Unchanged);
        (Assignment { cluster_id: ClusterId(c as u64 + 1), change }, fresh)
    }

    /// When a fresh search in the current state picks `c` again for this message (`found`:
    /// the state is the one a search just picked `c` in), returns the bucket and generation
    /// that answer holds for (while the bucket is unchanged), and caches `ids → c` if every
    /// token is known. `epoch` is the interner's when `ids` were
    /// read: a token interned since (by this very message) leaves `ids` stale, and then
    /// nothing is returned.
    ///
    /// The answer holds for any message with the same masked tokens: the search reads the
    /// message's tokens only as text and as ids compared with the bucket's templates, and a
    /// token unknown now could later be interned only by another bucket, whose id none of
    /// this bucket's unchanged templates holds.
    fn remember(
        &mut self,
        key: (u32, u32),
        ids: &[u32],
        toks: &Tokens,
        c: usize,
        epoch: u32,
        found: bool,
    ) -> Option<((u32, u32), u64)> {
        let cap = self.config.drain.cache_capacity;
        let known = !ids.contains(&UNKNOWN);
        if cap == 0 || !(known || self.interner.epoch() == epoch) || !(found || self.find(key, ids, toks) == Some(c)) {
            return None;
        }
        let generation = self.buckets.get(&key).map_or(0, |b| b.generation);
        if known {
            if self.cache.len() >= cap {
                self.cache.clear();
            }
            self.cache.insert(ids.into(), (c as u32, generation));
        }
        Some((key, generation))
    }

    fn bump(&mut self, key: (u32, u32)) {
        self.generation += 1;
        if let Some(b) = self.buckets.get_mut(&key) {
            b.generation = self.generation;
        }
    }

    /// Similarity 1: a message joins only a template it matches token for token (after
    /// masking); no name slots, no sibling evidence. For messages built from categorical
    /// fields (audit events), where every distinct combination is its own event.
    fn exact(&self) -> bool {
        self.config.drain.similarity >= 1.0
    }

    fn cluster_key(&self, c: usize) -> (u32, u32) {
        let t = &self.clusters[c].tokens;
        bucket_key(t, t.first().map(|&f| self.interner.str(f)))
    }

    /// The cluster a message joins: the best match within the allowance, else a sibling
    /// whose differences the bucket has shown to be variables.
    fn find(&self, key: (u32, u32), ids: &[u32], toks: &Tokens) -> Option<usize> {
        match self.best_match(key, ids, toks) {
            None if !self.exact() => self.sibling_match(key, ids, toks),
            found => found,
        }
    }

    /// When [`SIBLINGS`] − 1 clusters of the bucket each differ from the message in
    /// exactly the same positions (and nowhere else, at most half of them), those positions
    /// hold variables: the earliest of those clusters is the match, and generalises there.
    fn sibling_match(&self, key: (u32, u32), ids: &[u32], toks: &Tokens) -> Option<usize> {
        let bucket = self.buckets.get(&key)?;
        let limit = ids.len() / 2;
        let mut groups: Vec<(Vec<u16>, usize, usize)> = Vec::new();
        let mut diff: Vec<u16> = Vec::new();
        'clusters: for &c in &bucket.members {
            let cluster = &self.clusters[c as usize];
            diff.clear();
            for (i, &b) in ids.iter().enumerate() {
                match self.relate_at(&cluster.tokens, i, b, toks.masked(i)) {
                    Relation::Same | Relation::Widen(_) | Relation::Value => {}
                    Relation::Differ => {
                        diff.push(i as u16);
                        if diff.len() > limit {
                            continue 'clusters;
                        }
                    }
                    Relation::Distinct => continue 'clusters,
                }
            }
            if diff.is_empty() {
                continue;
            }
            match groups.iter_mut().find(|g| g.0 == diff) {
                Some(g) => {
                    g.2 += 1;
                    if g.2 + 1 >= SIBLINGS {
                        return Some(g.1);
                    }
                }
                None => groups.push((diff.clone(), c as usize, 1)),
            }
        }
        None
    }

    /// The cluster of the bucket with the fewest mismatched constant tokens, if that is
    /// within the allowance `floor(len × (1 − similarity))`; the earliest on ties.
    fn best_match(&self, key: (u32, u32), ids: &[u32], toks: &Tokens) -> Option<usize> {
        let bucket = self.buckets.get(&key)?;
        let allowed = ((ids.len() as f64) * (1.0 - self.config.drain.similarity) + 1e-9).floor() as usize;
        let mut best: Option<(usize, usize)> = None;
        'clusters: for &c in &bucket.members {
            let t = &self.clusters[c as usize].tokens;
            let mut cost = 0;
            for (i, &b) in ids.iter().enumerate() {
                match self.relate_at(t, i, b, toks.masked(i)) {
                    Relation::Same | Relation::Widen(_) | Relation::Value => {}
                    Relation::Differ => {
                        cost += 1;
                        if cost > allowed || best.is_some_and(|(_, best_cost)| cost >= best_cost) {
                            continue 'clusters;
                        }
                    }
                    Relation::Distinct => continue 'clusters,
                }
            }
            if best.is_none_or(|(_, best_cost)| cost < best_cost) {
                best = Some((c as usize, cost));
                if cost == 0 {
                    break;
                }
            }
        }
        best.map(|(c, _)| c)
    }

    /// [`Miner::relate`] for position `i` of template `t`, knowing what stands before it:
    /// after a name key such as `user` a different word is a value, not another event.
    fn relate_at(&self, t: &[u32], i: usize, m: u32, m_str: &str) -> Relation {
        match self.relate(t[i], m, m_str) {
            Relation::Differ
                if !self.exact() && i > 0 && t[i - 1] != WILD && is_name_key(self.interner.str(t[i - 1])) =>
            {
                Relation::Value
            }
            r => r,
        }
    }

    /// How a template token `t` relates to a message token (`m`, text `m_str`).
    fn relate(&self, t: u32, m: u32, m_str: &str) -> Relation {
        if t == m || t == WILD {
            return Relation::Same;
        }
        let t_str = self.interner.str(t);
        // `user=root` and `user=uucp`: one key, so the value is a variable.
        if let (Some(tk), Some(mk)) = (t_str.find('='), m_str.find('=')) {
            let plain = |v: &str| !v.is_empty() && !v.contains(WILDCARD);
            if tk > 0
                && t_str[..tk] == m_str[..mk]
                && plain(&m_str[mk + 1..])
                && (plain(&t_str[tk + 1..]) || t_str[tk + 1..] == *WILDCARD)
            {
                let widened = format!("{}{WILDCARD}", &t_str[..=tk]);
                return if widened == t_str { Relation::Same } else { Relation::Widen(widened) };
            }
        }
        // `()` and `(<*>)`: a variable that was empty.
        if t_str.contains(WILDCARD) && t_str.replace(WILDCARD, "") == m_str {
            return Relation::Same;
        }
        if m_str.contains(WILDCARD) && m_str.replace(WILDCARD, "") == t_str {
            return Relation::Widen(m_str.to_string());
        }
        if is_enum_like(t_str) && is_enum_like(m_str) {
            return Relation::Distinct;
        }
        Relation::Differ
    }

    fn render(&self, c: &Cluster) -> String {
        let mut s = String::new();
        for (i, &t) in c.tokens.iter().enumerate() {
            if i > 0 {
                s.push_str(&c.seps[i]);
            }
            s.push_str(self.interner.str(t));
        }
        s
    }

    fn get(&self, id: ClusterId) -> Option<&Cluster> {
        self.clusters.get((id.0 as usize).checked_sub(1)?)
    }

    pub fn template(&self, id: ClusterId) -> Option<String> {
        self.get(id).map(|c| self.render(c))
    }

    /// The values of the template's variables in `message`, in order. Empty when the
    /// message does not have the template's shape.
    pub fn params(&self, id: ClusterId, message: &str) -> Vec<String> {
        let Some(c) = self.get(id) else { return vec![] };
        let mut toks = Tokens::default();
        self.masker.split(message, &mut toks);
        if toks.len() != c.tokens.len() {
            return vec![];
        }
        let mut out = Vec::new();
        for (i, &t) in c.tokens.iter().enumerate() {
            let pattern = self.interner.str(t);
            if pattern == WILDCARD {
                out.push(toks.original(i).to_string());
            } else if pattern.contains(WILDCARD) {
                extract(pattern, toks.original(i), &mut out);
            }
        }
        out
    }

    pub fn cluster(&self, id: ClusterId) -> Option<ClusterInfo> {
        let c = self.get(id)?;
        Some(ClusterInfo { id, template: self.render(c), size: c.size })
    }

    /// Every cluster, in order of birth.
    pub fn clusters(&self) -> Vec<ClusterInfo> {
        (1..=self.clusters.len() as u64).filter_map(|i| self.cluster(ClusterId(i))).collect()
    }

    pub fn len(&self) -> usize {
        self.clusters.len()
    }

    pub fn is_empty(&self) -> bool {
        self.clusters.is_empty()
    }

    pub fn snapshot(&self) -> MinerSnapshot {
        let clusters = self
            .clusters
            .iter()
            .map(|c| snapshot::ClusterState {
                tokens: c.tokens.iter().map(|&t| self.interner.str(t).to_string()).collect(),
                seps: c.seps.iter().map(|s| s.to_string()).collect(),
                size: c.size,
            })
            .collect();
        MinerSnapshot::new(&self.config, clusters)
    }

    pub fn restore(snapshot: MinerSnapshot) -> Result<Miner, SnapshotError> {
        let (config, states) = snapshot.into_parts()?;
        let mut m = Miner::new(config)?;
        for s in states {
            let tokens: Vec<u32> = s.tokens.iter().map(|t| m.interner.intern(t)).collect();
            let c = m.clusters.len();
            m.clusters.push(Cluster { tokens, seps: s.seps.into_iter().map(Into::into).collect(), size: s.size });
            let key = m.cluster_key(c);
            m.buckets.entry(key).or_default().members.push(c as u32);
        }
        Ok(m)
    }
}

fn first_masked(toks: &Tokens) -> Option<&str> {
    (!toks.is_empty()).then(|| toks.masked(0))
}

/// How a template token relates to a message token.
enum Relation {
    /// Equal, or the template already has a variable there.
    Same,
    /// Compatible once the template token is widened to this.
    Widen(String),
    /// Different, but in a slot that holds names (`user alice`): a variable, free of cost.
    Value,
    /// Different: a mismatch, and a variable if the message joins.
    Differ,
    /// Different in a way that means a different event (`RUNNING` vs `FAILED`).
    Distinct,
}

/// An upper-case name such as `RUNNING` or `SCREEN_ON`: values of an enumeration, which
/// tell events apart rather than vary within one.
fn is_enum_like(s: &str) -> bool {
    let core = s.trim_matches(|c: char| c.is_ascii_punctuation() && c != '_');
    core.len() >= 2
        && core.bytes().all(|c| c.is_ascii_uppercase() || c.is_ascii_digit() || c == b'_')
        && core.bytes().filter(|c| c.is_ascii_uppercase()).count() >= 2
}

/// Words after which a word is a name: user, account and host names are the free-text
/// values most common in logs.
fn is_name_key(s: &str) -> bool {
    const KEYS: &[&str] = &["user", "username", "account", "host", "hostname", "login", "uid", "owner"];
    let s = s.trim_end_matches([':', '=']);
    KEYS.iter().any(|k| s.eq_ignore_ascii_case(k))
}

/// The bucket of a token sequence: its length, and its first token when that is a constant
/// word (a first token with a variable in it, `<*>` or `wpad:<*>`, buckets as `<*>`).
fn bucket_key(ids: &[u32], first: Option<&str>) -> (u32, u32) {
    match (ids.first(), first) {
        (Some(&id), Some(f)) if !f.contains(WILDCARD) => (ids.len() as u32, id),
        _ => (ids.len() as u32, WILD),
    }
}

/// Pushes the parts of `text` that stand where `pattern` has wildcards.
fn extract(pattern: &str, text: &str, out: &mut Vec<String>) {
    let parts: Vec<&str> = pattern.split(WILDCARD).collect();
    let mut rest = match text.strip_prefix(parts[0]) {
        Some(r) => r,
        None => return,
    };
    for (k, lit) in parts.iter().enumerate().skip(1) {
        let last = k == parts.len() - 1;
        let end = if last {
            if lit.is_empty() {
                Some(rest.len())
            } else {
                rest.rfind(lit)
            }
        } else if lit.is_empty() {
            Some(0)
        } else {
            rest.find(lit)
        };
        let Some(end) = end else { return };
        out.push(rest[..end].to_string());
        rest = &rest[end + lit.len()..];
    }
}

#[cfg(test)]
#[path = "drain_tests.rs"]
mod tests;
