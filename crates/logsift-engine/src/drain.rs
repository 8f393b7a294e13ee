//! The online, incremental miner: a Drain-style clusterer over masked tokens.
//!
//! A message is tokenised and masked ([`Masker`]), then compared with the clusters of its
//! bucket (same token count, same first token): the most similar template wins if the share
//! of positions where both carry the same token reaches `similarity`; positions that differ
//! become `<*>`. Otherwise a new cluster is born with the next id.
//!
//! The miner also learns which positions are variables from the messages themselves:
//! clusters that differ from a message only in the same positions (siblings, also across
//! first tokens when the first word is a label that varies) are *merged*: the earliest
//! survives, the others are recorded as merged into it ([`Miner::merges`],
//! [`Miner::merged_into`], [`Miner::resolve`]) and their ids are never given again. A
//! message of another length joins a template it aligns with around one `<*>`, which then
//! stands for several words (a variable's *gap*). Matching respects punctuation framing a
//! value (`<*>,` holds `LOCAL,`; `"a"` and `"b"` make `"<*>"`).
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

/// Settings of the online miner.
#[derive(Clone, Debug, PartialEq)]
pub struct DrainConfig {
    /// Minimum share of positions a message must have in common with a template to join it;
    /// 1 means exact matching (see `Miner::exact`).
    pub similarity: f64,
    /// Entries of the message-shape cache before it is emptied (0 turns it off).
    pub cache_capacity: usize,
    /// The message is the template, byte for byte: no masking, no merging, one cluster per
    /// distinct message (`Miner::add_verbatim`). For keys built from the categorical fields of
    /// structured events (audit), where `403` and `True` are the event, not a variable.
    pub verbatim: bool,
}

impl Default for DrainConfig {
    fn default() -> Self {
        DrainConfig { similarity: 0.86, cache_capacity: 100_000, verbatim: false }
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

/// Constant words siblings must share outside the positions where they differ: in a short
/// message (`VM Started`, `VM Paused`) the one word that differs is the event.
const MIN_CONSTANTS: usize = 2;

/// A bucket and the generation an answer holds for (see `Miner::remember`).
type Fresh = ((u32, u32), u64);

/// The most messages per distinct value that a merge may make one variable (see
/// `Miner::diverse`); any value from 4 to 100 scores alike on the tuning corpora.
const LINES_PER_VALUE: u64 = 8;

/// Id of the wildcard token.
const WILD: u32 = 0;
/// Id of a token that no template holds (never interned).
const UNKNOWN: u32 = u32::MAX;

#[derive(Clone, Debug, Default)]
struct Interner {
    map: FxHashMap<Box<str>, u32>,
    strs: Vec<Box<str>>,
    /// The [`traits`] of every string, by id.
    traits: Vec<u8>,
}

/// What matching asks of a token's text again and again (see [`traits`]).
const HAS_EQ: u8 = 1;
const HAS_WILD: u8 = 2;
const ENUM_LIKE: u8 = 4;
const NAME_KEY: u8 = 8;

/// The traits of a token: it holds `=`, it holds a wildcard ([`has_wild`]), it is
/// [`is_enum_like`], it is [`is_name_key`]. Worked out once for each interned token, so that
/// comparing a template's tokens with a message's costs no pass over the template's text.
fn traits(s: &str) -> u8 {
    let mut t = 0;
    if s.as_bytes().contains(&b'=') {
        t |= HAS_EQ;
    }
    if has_wild(s) {
        t |= HAS_WILD;
    }
    if is_enum_like(s) {
        t |= ENUM_LIKE;
    }
    if is_name_key(s) {
        t |= NAME_KEY;
    }
    t
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
        self.traits.push(traits(s));
        self.map.insert(s.into(), id);
        id
    }

    fn str(&self, id: u32) -> &str {
        &self.strs[id as usize]
    }

    fn traits(&self, id: u32) -> u8 {
        self.traits[id as usize]
    }

    /// Whether token `id` holds a wildcard.
    fn wild(&self, id: u32) -> bool {
        self.traits(id) & HAS_WILD != 0
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
    /// The one position (a `<*>`) whose variable has been seen spanning several words.
    pub(crate) gap: Option<u32>,
    /// The cluster this one was merged into; a merged cluster is in no bucket.
    pub(crate) merged_into: Option<u32>,
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
    /// In verbatim mode: each message (the template) → its cluster.
    verbatim: FxHashMap<Box<str>, u32>,
    /// Live clusters by token count (where a variable first token is looked for).
    by_len: FxHashMap<u32, Vec<u32>>,
    /// Live clusters by bucket first token (where a message of another length is aligned).
    by_first: FxHashMap<u32, Vec<u32>>,
    /// Every merge, in order: (merged cluster, the cluster it was merged into).
    merges: Vec<(ClusterId, ClusterId)>,
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
            verbatim: FxHashMap::default(),
            by_len: FxHashMap::default(),
            by_first: FxHashMap::default(),
            merges: Vec::new(),
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
        if self.config.drain.verbatim {
            return self.add_verbatim(message);
        }
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
            let keeps_digit = |i: usize| toks.keeps_digit(i);
            let cluster = (a.cluster_id.0 - 1) as u32;
            self.lines.remember(toks.spans(), keeps_digit, Remembered { cluster, bucket, generation });
        }
        self.scratch = toks;
        a
    }

    /// Verbatim mode: the message is its cluster's template, unmasked; the same message always
    /// joins the same cluster and no two messages share one.
    fn add_verbatim(&mut self, message: &str) -> Assignment {
        // White space at the ends is not part of a template (a rendered one has none).
        let message = message.trim();
        if let Some(&c) = self.verbatim.get(message) {
            self.clusters[c as usize].size += 1;
            return Assignment { cluster_id: ClusterId(c as u64 + 1), change: Change::Unchanged };
        }
        let (words, seps) = split_verbatim(message);
        let tokens = words.iter().map(|w| self.interner.intern(w)).collect();
        let c = self.clusters.len() as u32;
        self.clusters.push(Cluster { tokens, seps, size: 1, gap: None, merged_into: None });
        self.verbatim.insert(message.into(), c);
        Assignment { cluster_id: ClusterId(c as u64 + 1), change: Change::Created }
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
        if self.config.drain.verbatim {
            return self.verbatim.get(message.trim()).map(|&c| ClusterId(c as u64 + 1));
        }
        let mut toks = Tokens::default();
        self.masker.tokenize_with(message, &mut toks, &self.interner);
        let ids = toks.ids();
        let key = bucket_key(ids, first_masked(&toks));
        if let Some(&(c, _)) = self.cache_get(ids, key) {
            return Some(ClusterId(c as u64 + 1));
        }
        self.find(key, ids, &toks).map(|(c, _)| ClusterId(c as u64 + 1))
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
    fn assign(&mut self, toks: &Tokens) -> (Assignment, Option<Fresh>) {
        let (ids, epoch) = (toks.ids(), self.interner.epoch());
        let key = bucket_key(ids, first_masked(toks));
        if let Some(&(c, generation)) = self.cache_get(ids, key) {
            self.clusters[c as usize].size += 1;
            let a = Assignment { cluster_id: ClusterId(c as u64 + 1), change: Change::Unchanged };
            return (a, Some((key, generation)));
        }
        let mut own = false;
        let (c, change) = match self.find(key, ids, toks) {
            Some((c, route)) => {
                own = route == Route::Own;
                let mut changed = false;
                match route {
                    Route::Own | Route::Wild => {}
                    Route::Merge(others) => {
                        self.merge(c, &others);
                        changed = true;
                    }
                    Route::Elastic(j) => changed = self.stretch(c, j),
                    Route::Splice(others, frame) => {
                        self.splice(c, &others, frame);
                        changed = true;
                    }
                }
                changed |= self.generalize(c, ids, toks);
                // Clusters born before the gap was known may align with it now.
                let c = if changed { self.absorb(c) } else { c };
                self.clusters[c].size += 1;
                if changed {
                    let key = self.cluster_key(c);
                    self.bump(key);
                }
                (c, if changed { Change::Generalized } else { Change::Unchanged })
            }
            None => {
                let tokens: Vec<u32> = (0..toks.len()).map(|i| self.interner.intern(toks.masked(i))).collect();
                let seps = (0..=toks.len()).map(|i| toks.separator(i).into()).collect();
                self.clusters.push(Cluster { tokens, seps, size: 1, gap: None, merged_into: None });
                let c = self.clusters.len() - 1;
                self.place(c);
                (c, Change::Created)
            }
        };
        // Unchanged, the state is as the search found it, and would be found again: by the
        // best match of its own bucket (`own`), or else not there at all (that search reads
        // no size, and sizes are all that changed), so a fresh search would not pick `c` by
        // its own bucket and there is nothing to remember (see `remember`), nor to search for.
        let found = change == Change::Unchanged && own;
        let settled_elsewhere = change == Change::Unchanged && !own;
        let fresh = if settled_elsewhere { None } else { self.remember(key, ids, toks, c, epoch, found) };
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
    ) -> Option<Fresh> {
        let cap = self.config.drain.cache_capacity;
        let known = !ids.contains(&UNKNOWN);
        let again = || matches!(self.find(key, ids, toks), Some((f, Route::Own)) if f == c);
        if cap == 0 || !(known || self.interner.epoch() == epoch) || !(found || again()) {
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

    /// The cluster a message joins, and how: the best match of its bucket within the
    /// allowance; else siblings of the bucket whose differences show variables (merged);
    /// else the best match among templates of its length with a variable first token; else a
    /// template its tokens align with around one variable of another word count; else
    /// clusters of other buckets that differ from it only in the first token (merged).
    fn find(&self, key: (u32, u32), ids: &[u32], toks: &Tokens) -> Option<(usize, Route)> {
        if let Some(c) = self.best_match(key, ids, toks) {
            return Some((c, Route::Own));
        }
        if self.exact() {
            return None;
        }
        if let Some(group) = self.sibling_match(key, ids, toks) {
            return Some((group[0], Route::Merge(group[1..].to_vec())));
        }
        if key.1 != WILD {
            if let Some(c) = self.best_match((key.0, WILD), ids, toks) {
                return Some((c, Route::Wild));
            }
        }
        if let Some((c, j)) = self.elastic_match(key, ids, toks) {
            return Some((c, Route::Elastic(j)));
        }
        if let Some((group, frame)) = self.gap_siblings(key, ids, toks) {
            return Some((group[0], Route::Splice(group[1..].to_vec(), frame)));
        }
        if let Some(group) = self.first_siblings(key, ids, toks) {
            return Some((group[0], Route::Merge(group[1..].to_vec())));
        }
        None
    }

    /// Clusters of the message's first token that share with it the same words before and
    /// after one stretch where they all differ, of several words in at least one of them
    /// (`failed (98: No route to host)`, `failed (13: Connection reset by peer)`): with
    /// [`SIBLINGS`] − 1 of them, that stretch is one variable of varying word count.
    /// Returns them, earliest first, and the frame (words before, words after).
    fn gap_siblings(&self, key: (u32, u32), ids: &[u32], toks: &Tokens) -> Option<(Vec<usize>, (usize, usize))> {
        let n = ids.len();
        let mut groups: Vec<((usize, usize), Vec<usize>)> = Vec::new();
        for &c in self.by_first.get(&key.1)? {
            let cluster = &self.clusters[c as usize];
            let t = &cluster.tokens;
            let m = t.len();
            if cluster.gap.is_some() || m < 2 || n < 2 {
                continue;
            }
            let short = m.min(n);
            let p = (0..short).take_while(|&i| self.agrees(t, i, ids, toks, i)).count().min(short - 1);
            let s = (0..short - p - 1).take_while(|&k| self.agrees(t, m - 1 - k, ids, toks, n - 1 - k)).count();
            if (m - p - s).max(n - p - s) < 2 {
                continue;
            }
            // Upper-case names on both sides (`NEW to RUNNING`, `IDLE`) tell events apart.
            if t[p..m - s].iter().any(|&x| self.interner.traits(x) & ENUM_LIKE != 0)
                && (p..n - s).any(|k| is_enum_like(toks.masked(k)))
            {
                continue;
            }
            let constants = t[..p].iter().chain(&t[m - s..]).filter(|&&x| !self.interner.wild(x)).count();
            if constants <= MIN_CONSTANTS || 2 * constants < short - 1 {
                continue;
            }
            match groups.iter().position(|g| g.0 == (p, s)) {
                Some(g) => {
                    groups[g].1.push(c as usize);
                    if groups[g].1.len() + 1 >= SIBLINGS {
                        let group = std::mem::take(&mut groups[g].1);
                        return self.diverse(&group).then_some((group, (p, s)));
                    }
                }
                None => groups.push(((p, s), vec![c as usize])),
            }
        }
        None
    }

    /// Whether the message's words `from..to` fit gap token `t`: its punctuation before the
    /// first word and after the last (`"<*>"` holds `"no such file"`).
    fn gap_holds(&self, t: u32, toks: &Tokens, from: usize, to: usize) -> bool {
        if t == WILD {
            return true;
        }
        let Some((lead, trail)) = self.interner.str(t).split_once(WILDCARD) else { return false };
        let (first, last) = (toks.masked(from), toks.masked(to - 1));
        let room = if to - from == 1 { lead.len() + trail.len() < first.len() } else { true };
        room && first.starts_with(lead) && last.ends_with(trail)
    }

    /// Makes the template of `survivor` its first `p` and last `s` tokens around one gap,
    /// and merges `others` (which share that frame) into it.
    fn splice(&mut self, survivor: usize, others: &[usize], (p, s): (usize, usize)) {
        // The punctuation every stretch starts and ends with frames the gap (`"<*>"`).
        let stretches: Vec<(&str, &str)> = [survivor]
            .iter()
            .chain(others)
            .map(|&o| {
                let t = &self.clusters[o].tokens;
                (self.interner.str(t[p]), self.interner.str(t[t.len() - s - 1]))
            })
            .collect();
        let punct = |c: char| c.is_ascii_punctuation() && !matches!(c, '<' | '*' | '>' | '_' | '-' | '.' | '/');
        let lead = stretches.iter().map(|x| x.0.len() - x.0.trim_start_matches(punct).len()).min().unwrap_or(0);
        let trail = stretches.iter().map(|x| x.1.len() - x.1.trim_end_matches(punct).len()).min().unwrap_or(0);
        let (lead, trail) = (&stretches[0].0[..lead], &stretches[0].1[stretches[0].1.len() - trail..]);
        let same = stretches.iter().all(|x| x.0.starts_with(lead) && x.1.ends_with(trail));
        let gap_token = if same { format!("{lead}{WILDCARD}{trail}") } else { WILDCARD.to_string() };
        let gap_token = self.interner.intern(&gap_token);
        let old = self.cluster_key(survivor);
        self.unplace(survivor, old);
        let cl = &mut self.clusters[survivor];
        let m = cl.tokens.len();
        cl.tokens.splice(p..m - s, [gap_token]);
        cl.seps.drain(p + 1..m - s);
        cl.gap = Some(p as u32);
        self.place(survivor);
        let placed = self.cluster_key(survivor);
        let m = p + 1 + s;
        for &o in others {
            let key = self.cluster_key(o);
            self.unplace(o, key);
            self.clusters[o].merged_into = Some(survivor as u32);
            self.merges.push((ClusterId(o as u64 + 1), ClusterId(survivor as u64 + 1)));
            let n = self.clusters[o].tokens.len();
            for i in (0..p).chain(p + 1..m) {
                let t = self.clusters[o].tokens[if i < p { i } else { i + n - m }];
                let t_str = self.interner.str(t).to_string();
                self.widen(survivor, i, t, &t_str);
            }
            let size = self.clusters[o].size;
            self.clusters[survivor].size += size;
        }
        self.rebucket(survivor, placed);
    }

    /// Whether template `t` and the message agree at position `i` (template) / `k` (message).
    fn agrees(&self, t: &[u32], i: usize, ids: &[u32], toks: &Tokens, k: usize) -> bool {
        matches!(
            self.relate_at(t, i, ids[k], toks.masked(k), false),
            Relation::Same | Relation::Widen(_) | Relation::Value
        )
    }

    /// When [`SIBLINGS`] − 1 clusters of the bucket each differ from the message in
    /// exactly the same positions (and nowhere else, with more constant words left than
    /// differ, at least two), those positions hold variables: every cluster that differs
    /// there is one event with the message (if the values are diverse). Returns them,
    /// earliest first.
    fn sibling_match(&self, key: (u32, u32), ids: &[u32], toks: &Tokens) -> Option<Vec<usize>> {
        let bucket = self.buckets.get(&key)?;
        let limit = ids.len() / 2;
        let mut groups: Vec<(Vec<u16>, Vec<usize>)> = Vec::new();
        let mut diff: Vec<u16> = Vec::new();
        let mut best: Option<usize> = None;
        'clusters: for &c in &bucket.members {
            let cluster = &self.clusters[c as usize];
            diff.clear();
            let mut constants = 0;
            for (i, &b) in ids.iter().enumerate() {
                match self.relate_at(&cluster.tokens, i, b, toks.masked(i), false) {
                    Relation::Same | Relation::Widen(_) | Relation::Value => {
                        constants += usize::from(!self.interner.wild(cluster.tokens[i]));
                    }
                    Relation::Differ | Relation::Vary => {
                        diff.push(i as u16);
                        if diff.len() > limit {
                            continue 'clusters;
                        }
                    }
                    Relation::Distinct => continue 'clusters,
                }
            }
            if diff.is_empty() || constants < MIN_CONSTANTS.max(diff.len() + 1) {
                continue;
            }
            match groups.iter().position(|g| g.0 == diff) {
                Some(g) => {
                    groups[g].1.push(c as usize);
                    if best.is_none() && groups[g].1.len() + 1 >= SIBLINGS {
                        best = Some(g);
                    }
                }
                None => groups.push((diff.clone(), vec![c as usize])),
            }
        }
        best.map(|g| std::mem::take(&mut groups[g].1)).filter(|g| self.diverse(g))
    }

    /// Whether the values a merge of `group` (and the message) would make one variable
    /// are diverse: a variable's values are many and each is rare; a few values each
    /// repeated often are the words of different events (`failed to get OCI Spec …` ×300).
    fn diverse(&self, group: &[usize]) -> bool {
        let lines: u64 = group.iter().map(|&c| self.clusters[c].size).sum::<u64>() + 1;
        lines <= LINES_PER_VALUE * (group.len() as u64 + 1)
    }

    /// Clusters of the message's length but other buckets that agree with it everywhere but
    /// in the first token (at least [`MIN_CONSTANTS`] constant words elsewhere): with
    /// [`SIBLINGS`] − 1 of them, the first position holds a variable. Earliest first.
    fn first_siblings(&self, key: (u32, u32), ids: &[u32], toks: &Tokens) -> Option<Vec<usize>> {
        if key.1 == WILD || ids.len() < 2 {
            return None;
        }
        let mut group = Vec::new();
        'clusters: for &c in self.by_len.get(&key.0)? {
            let t = &self.clusters[c as usize].tokens;
            if !matches!(self.relate(t[0], ids[0], toks.masked(0), false), Relation::Differ) {
                continue;
            }
            let mut constants = 0;
            for i in 1..ids.len() {
                if !self.agrees(t, i, ids, toks, i) {
                    continue 'clusters;
                }
                constants += usize::from(!self.interner.wild(t[i]));
            }
            if constants >= MIN_CONSTANTS {
                group.push(c as usize);
            }
        }
        if group.len() + 1 < SIBLINGS || !self.diverse(&group) {
            return None;
        }
        // A word whose value varies stands first mostly as a label (`name:`); a plain first
        // word varies with the event (`cupsd startup succeeded`) unless much else is constant.
        let constants = (1..ids.len()).filter(|&i| !has_wild(toks.masked(i))).count();
        if !toks.masked(0).ends_with(':') && constants < 2 * MIN_CONSTANTS {
            return None;
        }
        group.sort_unstable();
        Some(group)
    }

    /// A template of another length that the message aligns with around one run of `<*>`:
    /// the same constants before and after it (at least three, and half the template), the
    /// run standing for one or more words of the message. Returns the cluster and the run
    /// (start, length) in the template.
    fn elastic_match(&self, key: (u32, u32), ids: &[u32], toks: &Tokens) -> Option<(usize, (usize, usize))> {
        let n = ids.len();
        let mut best: Option<(usize, usize, usize, usize)> = None;
        for &c in self.by_first.get(&key.1)? {
            let cluster = &self.clusters[c as usize];
            let t = &cluster.tokens;
            let m = t.len();
            if m == n || m == 0 || n == 0 {
                continue;
            }
            let short = m.min(n);
            let p = (0..short).take_while(|&i| self.agrees(t, i, ids, toks, i)).count();
            let s = (0..short).take_while(|&k| self.agrees(t, m - 1 - k, ids, toks, n - 1 - k)).count();
            // A run of variables t[j..j + w] stands for the message run ids[j..j + n - m + w].
            let mut run = None;
            let mut j = 0;
            let gap = cluster.gap.map(|g| g as usize);
            while j < m && run.is_none() {
                let w = (j..m).take_while(|&i| t[i] == WILD || gap == Some(i)).count();
                if w > 0
                    && n + w > m
                    && j <= p
                    && m - j - w <= s
                    && gap.is_none_or(|g| (j..j + w).contains(&g))
                    && gap.is_none_or(|g| self.gap_holds(t[g], toks, j, j + n + w - m))
                {
                    run = Some((j, w));
                }
                j += w.max(1);
            }
            let Some((j, w)) = run else { continue };
            let constants = t.iter().enumerate().filter(|&(i, &x)| (i < j || i >= j + w) && x != WILD).count();
            if constants <= MIN_CONSTANTS || 2 * constants < m - w {
                continue;
            }
            if best.is_none_or(|(_, _, _, k)| constants > k) {
                best = Some((c as usize, j, w, constants));
            }
        }
        best.map(|(c, j, w, _)| (c, (j, w)))
    }

    /// Puts live cluster `c` in its bucket and indexes, and bumps the bucket.
    /// Lists stay in order of birth (a moved cluster too), as a restored miner has them.
    fn place(&mut self, c: usize) {
        let key = self.cluster_key(c);
        let add = |v: &mut Vec<u32>| {
            let at = v.partition_point(|&x| x < c as u32);
            v.insert(at, c as u32);
        };
        add(&mut self.buckets.entry(key).or_default().members);
        add(self.by_len.entry(key.0).or_default());
        add(self.by_first.entry(key.1).or_default());
        self.bump(key);
    }

    /// Takes cluster `c`, in bucket `key`, out of its bucket and indexes (before it is
    /// moved or merged), and bumps the bucket.
    fn unplace(&mut self, c: usize, key: (u32, u32)) {
        let drop = |v: &mut Vec<u32>| v.retain(|&x| x != c as u32);
        if let Some(b) = self.buckets.get_mut(&key) {
            drop(&mut b.members);
        }
        if let Some(v) = self.by_len.get_mut(&key.0) {
            drop(v);
        }
        if let Some(v) = self.by_first.get_mut(&key.1) {
            drop(v);
        }
        self.bump(key);
    }

    /// Generalises position `i` of the template of `c` to admit token `m` (text `m_str`).
    fn widen(&mut self, c: usize, i: usize, m: u32, m_str: &str) -> bool {
        let new = match self.relate_at(&self.clusters[c].tokens, i, m, m_str, true) {
            Relation::Same => return false,
            Relation::Widen(s) => self.interner.intern(&s),
            Relation::Vary if has_wild(m_str) && glob(m_str, self.interner.str(self.clusters[c].tokens[i])) => {
                self.interner.intern(m_str)
            }
            Relation::Vary => {
                let t_str = self.interner.str(self.clusters[c].tokens[i]);
                let (lead, trail) = frame(t_str, m_str).expect("framed alike");
                let pattern = format!("{}{WILDCARD}{}", &t_str[..lead], &t_str[t_str.len() - trail..]);
                self.interner.intern(&pattern)
            }
            Relation::Value | Relation::Differ | Relation::Distinct => WILD,
        };
        let changed = self.clusters[c].tokens[i] != new;
        self.clusters[c].tokens[i] = new;
        changed
    }

    /// Moves cluster `c` to the bucket of its template if that is no longer `old`.
    fn rebucket(&mut self, c: usize, old: (u32, u32)) {
        if self.cluster_key(c) != old {
            self.unplace(c, old);
            self.place(c);
        }
    }

    /// Generalises the template of `c` wherever the message differs; a message longer than
    /// the template is aligned around the template's gap.
    fn generalize(&mut self, c: usize, ids: &[u32], toks: &Tokens) -> bool {
        let first = self.clusters[c].tokens.first().copied();
        let m = self.clusters[c].tokens.len();
        let (gap, extra) = (self.clusters[c].gap.map_or(usize::MAX, |g| g as usize), ids.len().saturating_sub(m));
        let mut changed = false;
        for i in 0..m {
            let k = if i > gap { i + extra } else { i };
            if i == gap {
                // A gap framed by punctuation (`"<*>"`) keeps its frame while the words fit it.
                let t = self.clusters[c].tokens[i];
                if t != WILD && !self.gap_holds(t, toks, k, k + extra + 1) {
                    self.clusters[c].tokens[i] = WILD;
                    changed = true;
                }
                continue;
            }
            changed |= self.widen(c, i, ids[k], toks.masked(k));
        }
        if changed && self.clusters[c].tokens.first().copied() != first {
            // The first token picks the bucket: the cluster moves if its key changed.
            let len = self.clusters[c].tokens.len() as u32;
            let old = match first {
                Some(f) if !self.interner.wild(f) => (len, f),
                _ => (len, WILD),
            };
            self.rebucket(c, old);
        }
        changed
    }

    /// Merges `others` (of the same length) into `survivor`: its template generalises
    /// wherever theirs differ, it takes their sizes, and they are recorded as merged into it.
    fn merge(&mut self, survivor: usize, others: &[usize]) {
        let old = self.cluster_key(survivor);
        for &o in others {
            let key = self.cluster_key(o);
            self.unplace(o, key);
            self.clusters[o].merged_into = Some(survivor as u32);
            self.merges.push((ClusterId(o as u64 + 1), ClusterId(survivor as u64 + 1)));
            for i in 0..self.clusters[o].tokens.len() {
                let t = self.clusters[o].tokens[i];
                let t_str = self.interner.str(t).to_string();
                self.widen(survivor, i, t, &t_str);
            }
            let (size, gap) = (self.clusters[o].size, self.clusters[o].gap);
            let s = &mut self.clusters[survivor];
            s.size += size;
            s.gap = s.gap.or(gap);
        }
        self.rebucket(survivor, old);
    }

    /// After the template of `c` generalised: merges into one the clusters that `c`'s
    /// template now holds, those of its bucket it covers position by position and, when it
    /// has a gap, those of its first token that align with it around the gap (the gap
    /// standing for one or more of their tokens). The earliest survives, with `c`'s
    /// template; returns it.
    fn absorb(&mut self, c: usize) -> usize {
        let key = self.cluster_key(c);
        let t = self.clusters[c].tokens.clone();
        let m = t.len();
        let gap = self.clusters[c].gap.map_or(m, |g| g as usize);
        let constants = t.iter().enumerate().filter(|&(i, &x)| i != gap && x != WILD).count();
        if constants < MIN_CONSTANTS || (gap < m && constants <= MIN_CONSTANTS) {
            return c;
        }
        let candidates = if gap < m { self.by_first.get(&key.1) } else { self.buckets.get(&key).map(|b| &b.members) };
        let agree = |x: u32, y: u32| {
            let y_str = self.interner.str(y);
            matches!(self.relate(x, y, y_str, false), Relation::Same | Relation::Widen(_) | Relation::Value)
        };
        let mut group: Vec<usize> = Vec::new();
        for &o in candidates.map_or(&[][..], |v| &v[..]) {
            let (o, u) = (o as usize, &self.clusters[o as usize].tokens);
            let n = u.len();
            if o == c || n < m || (gap == m && n != m) || self.clusters[o].gap.is_some() {
                continue;
            }
            let fits = (0..gap.min(m)).all(|i| agree(t[i], u[i])) && (gap + 1..m).all(|i| agree(t[i], u[i + n - m]));
            if fits {
                group.push(o);
            }
        }
        if group.is_empty() {
            return c;
        }
        let survivor = group[0].min(c);
        if survivor != c {
            // The earliest takes the template that holds them all.
            let (old, from) = (self.cluster_key(survivor), self.clusters[c].clone());
            self.unplace(survivor, old);
            let s = &mut self.clusters[survivor];
            (s.tokens, s.seps, s.gap) = (from.tokens, from.seps, from.gap);
            self.place(survivor);
        }
        for o in group.into_iter().chain([c]).filter(|&o| o != survivor) {
            let key = self.cluster_key(o);
            self.unplace(o, key);
            self.clusters[o].merged_into = Some(survivor as u32);
            self.merges.push((ClusterId(o as u64 + 1), ClusterId(survivor as u64 + 1)));
            let size = self.clusters[o].size;
            self.clusters[survivor].size += size;
        }
        survivor
    }

    /// Lets the run of `w` variables at `j` of cluster `c` become one variable that stands
    /// for one or more words (the cluster's gap).
    fn stretch(&mut self, c: usize, (j, w): (usize, usize)) -> bool {
        if w > 1 {
            let key = self.cluster_key(c);
            self.unplace(c, key);
            let d = w - 1;
            let cl = &mut self.clusters[c];
            cl.tokens.drain(j + 1..j + 1 + d);
            cl.seps.drain(j + 1..j + 1 + d);
            cl.gap = Some(j as u32);
            self.place(c);
            true
        } else {
            self.clusters[c].gap.replace(j as u32) != Some(j as u32)
        }
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
                match self.relate_at(t, i, b, toks.masked(i), false) {
                    Relation::Same | Relation::Widen(_) | Relation::Value => {}
                    Relation::Differ | Relation::Vary => {
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
    fn relate_at(&self, t: &[u32], i: usize, m: u32, m_str: &str, detail: bool) -> Relation {
        match self.relate(t[i], m, m_str, detail) {
            Relation::Differ | Relation::Vary
                if !self.exact() && i > 0 && t[i - 1] != WILD && self.interner.traits(t[i - 1]) & NAME_KEY != 0 =>
            {
                Relation::Value
            }
            r => r,
        }
    }

    /// How a template token `t` relates to a message token (`m`, text `m_str`).
    /// Without `detail`, a mismatch in a shared frame is told as [`Relation::Differ`], not
    /// [`Relation::Vary`] (what matching needs: both cost one; only generalising needs the
    /// frame), which spares working the frame out on the matching path.
    fn relate(&self, t: u32, m: u32, m_str: &str, detail: bool) -> Relation {
        if t == m || t == WILD {
            return Relation::Same;
        }
        let t_str = self.interner.str(t);
        let t_traits = self.interner.traits(t);
        // A token no template holds has no traits worked out: its text is read here.
        let m_traits = if m == UNKNOWN {
            let eq = if m_str.as_bytes().contains(&b'=') { HAS_EQ } else { 0 };
            eq | if has_wild(m_str) { HAS_WILD } else { 0 }
        } else {
            self.interner.traits(m)
        };
        // `user=root` and `user=uucp`: one key, so the value is a variable.
        if t_traits & m_traits & HAS_EQ != 0 {
            if let (Some(tk), Some(mk)) = (t_str.find('='), m_str.find('=')) {
                let plain = |v: &str| !v.is_empty() && !has_wild(v);
                if tk > 0
                    && t_str[..tk] == m_str[..mk]
                    && plain(&m_str[mk + 1..])
                    && (plain(&t_str[tk + 1..]) || t_str[tk + 1..] == *WILDCARD)
                {
                    let widened = format!("{}{WILDCARD}", &t_str[..=tk]);
                    return if widened == t_str { Relation::Same } else { Relation::Widen(widened) };
                }
            }
        }
        // `()` and `(<*>)`: a variable that was empty.
        let (t_wild, m_wild) = (t_traits & HAS_WILD != 0, m_traits & HAS_WILD != 0);
        if t_wild && eq_sans_wild(t_str, m_str) {
            return Relation::Same;
        }
        if m_wild && eq_sans_wild(m_str, t_str) {
            return Relation::Widen(m_str.to_string());
        }
        // `<*>,` holds `LOCAL,`: the template's variable is only framed by punctuation.
        if t_wild && glob(t_str, m_str) {
            return Relation::Same;
        }
        if !detail && (t_wild || m_wild) {
            return Relation::Differ;
        }
        if m_wild && glob(m_str, t_str) {
            return Relation::Vary;
        }
        if t_wild || m_wild {
            // `[a-<*>, b-<*>]` and `[c-<*>]`: a list, in brackets either way.
            return if frame(t_str, m_str).is_some() { Relation::Vary } else { Relation::Differ };
        }
        // A name in brackets (`[LNKE]`) is a value; a bare upper-case name a state.
        let m_enum = |m_str| if m == UNKNOWN { is_enum_like(m_str) } else { m_traits & ENUM_LIKE != 0 };
        let enums = t_traits & ENUM_LIKE != 0 && m_enum(m_str);
        if !(detail || enums) {
            return Relation::Differ;
        }
        let framed = frame(t_str, m_str);
        if enums && !framed.is_some_and(|(lead, trail)| lead > 0 && trail > 0) {
            return Relation::Distinct;
        }
        if framed.is_some() && detail {
            Relation::Vary
        } else {
            Relation::Differ
        }
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

    /// The cluster of `id`, or of the cluster it was merged into.
    fn get(&self, id: ClusterId) -> Option<(ClusterId, &Cluster)> {
        let id = self.resolve(id);
        Some((id, self.clusters.get((id.0 as usize).checked_sub(1)?)?))
    }

    /// The cluster that `id` now is: `id` itself, or the live cluster it was merged into
    /// (through every later merge). Unknown ids are returned as they are.
    pub fn resolve(&self, id: ClusterId) -> ClusterId {
        let mut c = id;
        while let Some(into) = self.merged_into(c) {
            c = into;
        }
        c
    }

    /// The cluster `id` was merged into, if it was (one step; see [`Miner::resolve`]).
    pub fn merged_into(&self, id: ClusterId) -> Option<ClusterId> {
        let c = self.clusters.get((id.0 as usize).checked_sub(1)?)?;
        c.merged_into.map(|s| ClusterId(s as u64 + 1))
    }

    /// Every merge so far, in order: (merged cluster, the cluster it was merged into). The
    /// merged id is never given again; its messages belong to the other. A caller keeps how
    /// many it has seen and reads the rest after each [`Miner::add`]. (A restored miner
    /// lists the merges of its snapshot in order of the merged ids.)
    pub fn merges(&self) -> &[(ClusterId, ClusterId)] {
        &self.merges
    }

    /// The template of `id` (of the cluster it was merged into, if it was).
    pub fn template(&self, id: ClusterId) -> Option<String> {
        self.get(id).map(|(_, c)| self.render(c))
    }

    /// The values of the template's variables in `message`, in order. Empty when the
    /// message does not have the template's shape.
    pub fn params(&self, id: ClusterId, message: &str) -> Vec<String> {
        let Some((_, c)) = self.get(id) else { return vec![] };
        if self.config.drain.verbatim {
            return vec![]; // the template is the message: nothing varies
        }
        let mut toks = Tokens::default();
        self.masker.split(message, &mut toks);
        let m = c.tokens.len();
        let gap = c.gap.map(|g| g as usize).filter(|_| toks.len() > m);
        if toks.len() != m && gap.is_none() {
            return vec![];
        }
        let extra = toks.len() - m;
        let mut out = Vec::new();
        for (i, &t) in c.tokens.iter().enumerate() {
            let pattern = self.interner.str(t);
            let k = if gap.is_some_and(|g| i > g) { i + extra } else { i };
            if gap == Some(i) {
                out.push((i..=i + extra).map(|k| toks.original(k)).collect::<Vec<_>>().join(" "));
            } else if pattern == WILDCARD {
                out.push(toks.original(k).to_string());
            } else if has_wild(pattern) {
                extract(pattern, toks.original(k), &mut out);
            }
        }
        out
    }

    /// The cluster `id` (or the cluster it was merged into, whose id the answer carries).
    pub fn cluster(&self, id: ClusterId) -> Option<ClusterInfo> {
        let (id, c) = self.get(id)?;
        Some(ClusterInfo { id, template: self.render(c), size: c.size })
    }

    /// Every live cluster (none that was merged into another), in order of birth.
    pub fn clusters(&self) -> Vec<ClusterInfo> {
        (0..self.clusters.len())
            .filter(|&c| self.clusters[c].merged_into.is_none())
            .map(|c| ClusterInfo {
                id: ClusterId(c as u64 + 1),
                template: self.render(&self.clusters[c]),
                size: self.clusters[c].size,
            })
            .collect()
    }

    /// Live clusters.
    pub fn len(&self) -> usize {
        self.clusters.len() - self.merges.len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    pub fn snapshot(&self) -> MinerSnapshot {
        let clusters = self
            .clusters
            .iter()
            .map(|c| snapshot::ClusterState {
                tokens: c.tokens.iter().map(|&t| self.interner.str(t).to_string()).collect(),
                seps: c.seps.iter().map(|s| s.to_string()).collect(),
                size: c.size,
                gap: c.gap,
                merged_into: c.merged_into.map(|s| s as u64 + 1),
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
            let merged_into = s.merged_into.map(|id| (id - 1) as u32);
            let seps = s.seps.into_iter().map(Into::into).collect();
            m.clusters.push(Cluster { tokens, seps, size: s.size, gap: s.gap, merged_into });
            match merged_into {
                None if m.config.drain.verbatim => {
                    let key = m.render(&m.clusters[c]);
                    if m.verbatim.insert(key.into(), c as u32).is_some() {
                        return Err(SnapshotError::Corrupt(format!("cluster {} repeats a verbatim template", c + 1)));
                    }
                }
                None => m.place(c),
                Some(into) => m.merges.push((ClusterId(c as u64 + 1), ClusterId(into as u64 + 1))),
            }
        }
        Ok(m)
    }
}

/// A verbatim message as words and the white space around them (`words.len() + 1` entries),
/// so that rendering the cluster gives the message back byte for byte.
fn split_verbatim(message: &str) -> (Vec<&str>, Vec<Box<str>>) {
    let mut words = Vec::new();
    let mut seps = Vec::new();
    let mut rest = message;
    loop {
        let ws = rest.len() - rest.trim_start().len();
        seps.push(rest[..ws].into());
        rest = &rest[ws..];
        if rest.is_empty() {
            break;
        }
        let end = rest.find(char::is_whitespace).unwrap_or(rest.len());
        words.push(&rest[..end]);
        rest = &rest[end..];
    }
    (words, seps)
}

fn first_masked(toks: &Tokens) -> Option<&str> {
    (!toks.is_empty()).then(|| toks.masked(0))
}

/// How a message joins the cluster [`Miner::find`] picked.
#[derive(Debug, PartialEq)]
enum Route {
    /// The best match of its own bucket.
    Own,
    /// The best match among templates of its length whose first token is a variable.
    Wild,
    /// After these clusters are merged into the one picked.
    Merge(Vec<usize>),
    /// A template of another length, its run of variables (start, length) standing for the
    /// message's words there.
    Elastic((usize, usize)),
    /// After these clusters are merged into the one picked around one gap, with this frame
    /// (words before, words after).
    Splice(Vec<usize>, (usize, usize)),
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
    /// Different (a mismatch) in a value framed alike (`LOCAL,` and `<*>,`, `"a"` and
    /// `"b"`): a variable in this frame (`<*>,`, `"<*>"`) if the message joins.
    Vary,
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
        (Some(&id), Some(f)) if !has_wild(f) => (ids.len() as u32, id),
        _ => (ids.len() as u32, WILD),
    }
}

/// Whether `s` holds a wildcard (cheaper than a substring search for short tokens).
fn has_wild(s: &str) -> bool {
    let b = s.as_bytes();
    b.len() >= 3 && (0..b.len() - 2).any(|i| b[i] == b'<' && b[i + 1] == b'*' && b[i + 2] == b'>')
}

/// Whether `pattern` with its wildcards taken out is `text` (`(<*>)` and `()`).
fn eq_sans_wild(pattern: &str, text: &str) -> bool {
    let (p, t) = (pattern.as_bytes(), text.as_bytes());
    let (mut i, mut j) = (0, 0);
    while i < p.len() {
        if p[i..].starts_with(b"<*>") {
            i += 3;
        } else if j < t.len() && p[i] == t[j] {
            i += 1;
            j += 1;
        } else {
            return false;
        }
    }
    j == t.len()
}

/// Whether `text` fits `pattern`, each wildcard standing for at least one byte (of text or
/// of a variable in it: `<*>,` holds `a~<*>,`).
fn glob(pattern: &str, text: &str) -> bool {
    // Most patterns hold one wildcard: a lead and a trail around it.
    let b = pattern.as_bytes();
    let Some(at) = wild_at(b, 0) else { return false };
    let (lead, trail) = (&pattern[..at], &pattern[at + 3..]);
    if !has_wild(trail) {
        return text.len() > lead.len() + trail.len() && text.starts_with(lead) && text.ends_with(trail);
    }
    // Several: the literal before the first (`lead`), the one after the last, those between.
    let (mut wilds, mut end) = (1, at + 3);
    while let Some(next) = wild_at(b, end) {
        (wilds, end) = (wilds + 1, next + 3);
    }
    let last = &pattern[end..];
    if text.len() < lead.len() + last.len() + wilds {
        return false;
    }
    let Some(mut rest) = text.strip_prefix(lead) else { return false };
    let Some(r) = rest.strip_suffix(last) else { return false };
    rest = r;
    let mut from = at + 3;
    while let Some(next) = wild_at(b, from) {
        let lit = &pattern[from..next];
        from = next + 3;
        // Leave at least one byte to the wildcard before the literal.
        let Some(at) = rest.get(1..).and_then(|r| find_bytes(r.as_bytes(), lit.as_bytes())) else { return false };
        rest = &rest[at + 1 + lit.len()..];
    }
    !rest.is_empty()
}

/// Where the first wildcard at or after byte `from` of `p` starts (`<*>` cannot overlap
/// itself, so these are the pieces `str::split` would cut at).
fn wild_at(p: &[u8], from: usize) -> Option<usize> {
    (from..p.len().saturating_sub(2)).find(|&i| p[i] == b'<' && p[i + 1] == b'*' && p[i + 2] == b'>')
}

/// Where `needle` first occurs in `hay`. On the bytes of two `str`s this is `str::find`: a
/// non-empty needle starts with no continuation byte, so it can match only on a character
/// boundary. Tokens are short: a plain scan beats setting up a substring searcher.
fn find_bytes(hay: &[u8], needle: &[u8]) -> Option<usize> {
    let Some(&head) = needle.first() else { return Some(0) };
    let last = hay.len().checked_sub(needle.len())?;
    (0..=last).find(|&i| hay[i] == head && hay[i..].starts_with(needle))
}

/// The punctuation two different constant words share around different cores, as the
/// lengths of the shared lead and trail (`"alice"`, `"bob"` → `"<*>"`; `eth0,`, `lo,` →
/// `<*>,`; in a quoted string also whole shared words: `"Type: a"`, `"Type: b"` →
/// `"Type: <*>"`), if any.
fn frame(a: &str, b: &str) -> Option<(usize, usize)> {
    let punct = |c: u8| c.is_ascii_punctuation() && !matches!(c, b'_' | b'-' | b'.' | b'/' | b'<' | b'*' | b'>');
    let (x, y) = (a.as_bytes(), b.as_bytes());
    // Words shared before or after white space inside a token (a quoted string) stay too.
    let common = x.iter().zip(y).take_while(|(p, q)| p == q).count();
    let words = x[..common].iter().rposition(u8::is_ascii_whitespace).map_or(0, |w| w + 1);
    let lead = x.iter().zip(y).take_while(|(p, q)| p == q && punct(**p)).count().max(words);
    let (x2, y2) = (&x[lead..], &y[lead..]);
    let common = x2.iter().rev().zip(y2.iter().rev()).take_while(|(p, q)| p == q).count();
    let words = x2[x2.len() - common..].iter().position(u8::is_ascii_whitespace).map_or(0, |w| common - w);
    let trail = x2.iter().rev().zip(y2.iter().rev()).take_while(|(p, q)| p == q && punct(**p)).count().max(words);
    if lead + trail == 0 || x.len() == lead + trail || y.len() == lead + trail {
        return None;
    }
    Some((lead, trail))
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
