//! Wiring of the sidecar: reader tasks → bounded channel → batches mined on a blocking thread →
//! write-back → exact cluster counts → checkpoint.
//!
//! Per batch, in this order (see ARCHITECTURE.md, "The path of a document"):
//! 1. mine the batch (engine on a blocking thread);
//! 2. save the engine snapshot when a cluster was created or generalised;
//! 3. record the clusters about to change (`pending_recount`) in the checkpoint;
//! 4. bulk-update the documents (guarded by `if_seq_no`/`if_primary_term`);
//! 5. recount the touched clusters from the documents and upsert their cluster documents;
//! 6. move the checkpoint.
//!
//! A crash anywhere leaves documents unlabelled (read again) or labelled with ids the saved
//! engine knows; step 3 lets the next start finish an interrupted recount.

pub mod audit;
pub mod counters;
pub mod live;
pub mod mine;
pub mod rebuild;

pub use counters::{Counters, CountersSnapshot};
pub use live::LiveMiner;

use crate::config::{Config, Paging};
use crate::engine::Miner;
use crate::es::indices::{logsift_fields_mapping, ClusterCount};
use crate::es::reader::{spawn_readers, ReadEvent};
use crate::es::search::{pending_query, PagingMode, SearchSpec};
use crate::es::{EsClient, EsError, ServerInfo};
use crate::ids::parse_cluster_key;
use crate::message::{lookup, Extractor};
use crate::metrics::Metrics;
use crate::shutdown::Shutdown;
use crate::store::state::{Checkpoint, InFlight, StateError, StateStore};
use crate::store::{setup, BulkUpdateSink, ClusterIndexSink, SinkError};
use std::collections::{HashMap, HashSet};
use std::sync::Arc;
use std::time::Instant;
use tracing::{info, warn};

#[derive(Debug, thiserror::Error)]
pub enum PipelineError {
    #[error(transparent)]
    Es(#[from] EsError),
    #[error(transparent)]
    Sink(#[from] SinkError),
    #[error(transparent)]
    State(#[from] StateError),
    #[error("no usable engine snapshot and the engine cannot be rebuilt with the same ids ({0}): refusing to go on, cluster ids could collide")]
    Rebuild(String),
    #[error("engine: {0}")]
    Engine(String),
}

impl PipelineError {
    pub fn is_retriable(&self) -> bool {
        match self {
            PipelineError::Es(e) => e.is_retriable(),
            PipelineError::Sink(e) => e.is_retriable(),
            PipelineError::State(e) => e.is_retriable(),
            _ => false,
        }
    }
}

/// How a pass's reading ended.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum ReadOutcome {
    /// Every slice read to its end.
    Complete,
    /// A slice failed with an error that may pass (5xx, 429, timeout, cut connection, expired scroll).
    Retriable,
    /// A slice failed with an error that will not pass by waiting (a refused query, a mapping).
    Permanent,
}

/// What a run did, printed at the end.
#[derive(Debug, Default)]
pub struct RunSummary {
    pub server: Option<String>,
    pub paging: Option<String>,
    pub metrics: CountersSnapshot,
    pub clusters: u64,
    pub read_errors: Vec<String>,
    /// Reading kept failing, or an index refused the mapping: documents were left unread or
    /// unlabelled (still pending). `run --once` exits non-zero.
    pub left_unread: bool,
    /// Indices whose documents could not be labelled (`index: server answer`).
    pub refused_indices: Vec<String>,
    pub elapsed_secs: f64,
}

pub struct Sidecar {
    cfg: Arc<Config>,
    client: EsClient,
    pub counters: Arc<Counters>,
    pub miner: Arc<LiveMiner>,
    extractor: Extractor,
    state: StateStore,
    sink: BulkUpdateSink,
    clusters: ClusterIndexSink,
    mapped: HashSet<String>,
    /// Indices that refused the `logsift.*` mapping, with the server's answer.
    refused: std::collections::BTreeMap<String, String>,
    checkpoint: Checkpoint,
    /// Where born clusters are reported (disabled unless `[notify]` sets a webhook).
    notifier: crate::notify::Notifier,
    /// Exact figures of the clusters this process has counted (see `sink::clusters`).
    counts: HashMap<String, ClusterCount>,
    /// Documents the restored engine had seen whose labels may not have been written (from the
    /// snapshot's `in_flight`): labelled with their recorded cluster when read again.
    recorded: mine::Recorded,
    /// A structured source's rarity state (saved with the engine snapshot).
    audit: Arc<std::sync::Mutex<crate::engine::audit::AuditState>>,
}

impl Sidecar {
    /// A sidecar for the configured source, counting into `metrics`.
    pub fn new(cfg: Arc<Config>, client: EsClient, metrics: &Metrics) -> Result<Sidecar, PipelineError> {
        let extractor = Extractor::new(&cfg.source.extract).map_err(|e| PipelineError::Engine(e.to_string()))?;
        let state = StateStore::new(client.clone(), &cfg.state_index, &cfg.source.name);
        let counters = Arc::new(Counters::register(metrics, &cfg.source.name));
        let sink = BulkUpdateSink::new(client.clone(), cfg.write.bulk_size, cfg.connection.retry.clone())
            .counting_retries(counters.bulk_item_retries.clone())
            .counting_retries(counters.bulk_retries.clone());
        let clusters = ClusterIndexSink::new(
            client.clone(),
            &cfg.clusters_index,
            &cfg.source.index_expr(),
            &cfg.source.timestamp_field,
            &cfg.source.name,
        );
        Ok(Sidecar {
            cfg,
            client,
            counters,
            miner: Arc::new(LiveMiner::default()),
            extractor,
            state,
            sink,
            clusters,
            mapped: HashSet::new(),
            refused: std::collections::BTreeMap::new(),
            checkpoint: Checkpoint::default(),
            notifier: crate::notify::Notifier::disabled(),
            counts: HashMap::new(),
            audit: Arc::default(),
            recorded: mine::Recorded::new(),
        })
    }

    /// Reports the clusters born from now on to `notifier` (after their documents are written).
    pub fn set_notifier(&mut self, notifier: crate::notify::Notifier) {
        self.notifier = notifier;
    }

    /// Runs until done (`once`) or until shutdown is signalled. The reader tasks it starts hold
    /// clones of `shutdown`, so the controller's owner waits for them too.
    pub async fn run(&mut self, once: bool, mut shutdown: Shutdown) -> Result<RunSummary, PipelineError> {
        let started = Instant::now();
        let info = self.client.server_info().await?;
        info!(server = %info, "connected to search server");
        let caps = info.capabilities();
        if self.cfg.setup_on_start {
            setup::install(
                &self.client,
                &caps,
                &self.cfg.clusters_index,
                &self.cfg.state_index,
                &self.cfg.source.index_expr(),
                setup::SourceFields::of(&self.cfg.source).as_ref(),
            )
            .await?;
        }
        self.checkpoint = self.state.load_checkpoint().await?.unwrap_or_default();
        self.counters.set_newest_doc(self.checkpoint.max_timestamp.as_deref());
        // The engine is restored (or rebuilt) now, not when the first pending document arrives:
        // the API is ready (`/health` 200, classify answers) as soon as it is, even with nothing
        // pending on a quiet source.
        self.ensure_miner().await?;
        if !self.checkpoint.pending_recount.is_empty() {
            let ids = self.checkpoint.pending_recount.clone();
            info!(n = ids.len(), "finishing the cluster recount of an interrupted batch");
            let known = self.known_templates(&ids);
            let counts = self.clusters.recount(&ids).await?;
            self.clusters.upsert(&self.sink, &counts, &known).await?;
            self.counters.clusters_recounted.add(counts.len() as u64);
            self.counts.extend(counts.into_iter().map(|c| (c.cluster_id.clone(), c)));
            self.checkpoint.pending_recount.clear();
            self.state.save_checkpoint(&self.checkpoint).await?;
        }
        let mode = match self.cfg.read.paging {
            Paging::Scroll => PagingMode::Scroll,
            Paging::Pit => PagingMode::Pit,
            // PIT on Elasticsearch, where an open PIT is cheap; scroll on OpenSearch, where PIT is
            // recent (2.4+), `_shard_doc` more so (3.3+), and writes under an open PIT measured 6×
            // slower on the test server. Scroll works on every version of both.
            Paging::Auto => {
                let c = info.capabilities();
                if info.distribution == crate::es::Distribution::Elasticsearch && c.pit && c.shard_doc {
                    PagingMode::Pit
                } else {
                    PagingMode::Scroll
                }
            }
        };
        let mut summary = RunSummary {
            server: Some(info.to_string()),
            paging: Some(format!("{mode:?}").to_lowercase()),
            ..Default::default()
        };
        // A pass whose reading failed (a scroll or PIT page that could not be read even after the
        // client's retries, an expired scroll, a connection cut) leaves documents pending; the next
        // pass reopens the read from the checkpoint (labelled documents are filtered out of it, so
        // nothing is read twice). Such passes are repeated with backoff, the retry policy's
        // number of times; `--once` then reports the documents left unread (non-zero exit).
        let mut failed_passes = 0u32;
        loop {
            let read_before = self.counters.docs_read.get();
            let read = self.pass(&info, mode, &caps, &shutdown, &mut summary).await?;
            if shutdown.is_shutdown() {
                break;
            }
            if read != ReadOutcome::Complete {
                // Only passes that read nothing count towards giving up: one that made progress
                // before its read failed starts the count again.
                let progressed = self.counters.docs_read.get() > read_before;
                failed_passes = if progressed { 1 } else { failed_passes + 1 };
                if read == ReadOutcome::Retriable && failed_passes <= self.cfg.connection.retry.max_retries {
                    let wait = self.cfg.connection.retry.backoff(failed_passes);
                    warn!(attempt = failed_passes, wait_ms = wait.as_millis() as u64, "reading failed; reading again");
                    tokio::select! {
                        _ = tokio::time::sleep(wait) => {}
                        _ = shutdown.recv() => break,
                    }
                    continue;
                }
                if once {
                    summary.left_unread = true;
                    break;
                }
            } else {
                failed_passes = 0;
                summary.left_unread = false;
                // What a whole pass did not read again is no longer pending.
                self.recorded.clear();
            }
            if once {
                break;
            }
            tokio::select! {
                _ = tokio::time::sleep(self.cfg.poll_interval) => {}
                _ = shutdown.recv() => break,
            }
        }
        summary.refused_indices = self.refused.iter().map(|(i, e)| format!("{i}: {e}")).collect();
        if !summary.refused_indices.is_empty() {
            summary.left_unread = true;
        }
        summary.metrics = self.counters.snapshot();
        summary.clusters = self.miner.cluster_count() as u64;
        summary.elapsed_secs = started.elapsed().as_secs_f64();
        Ok(summary)
    }

    /// Restores the engine from the state index on first need; rebuilds it from the labelled
    /// documents when the snapshot is missing or unusable ([`rebuild`]).
    async fn ensure_miner(&mut self) -> Result<(), PipelineError> {
        if self.miner.is_loaded() {
            return Ok(());
        }
        let miner = match self.state.load_snapshot().await {
            Ok(Some(saved)) => match Miner::restore(saved.snapshot) {
                Ok(m) if m.len() as u64 >= saved.n_clusters => {
                    let live = saved.in_flight.live(self.checkpoint.batches);
                    info!(
                        clusters = m.len(),
                        in_flight = live.len(),
                        lines = m.clusters().iter().map(|c| c.size).sum::<u64>(),
                        labelled = self.checkpoint.docs_labelled,
                        batches = self.checkpoint.batches,
                        "engine restored from snapshot"
                    );
                    if !self.restore_audit(saved.audit) {
                        self.rebuild_audit().await?;
                    }
                    self.recorded.clear();
                    for (index, id, cid) in live {
                        self.recorded.entry(index).or_default().insert(id, crate::engine::ClusterId(cid));
                    }
                    Some(m)
                }
                Ok(m) => {
                    warn!(
                        restored = m.len(),
                        saved = saved.n_clusters,
                        "engine snapshot incomplete; rebuilding from documents"
                    );
                    None
                }
                Err(e) => {
                    warn!(error = %e, "engine snapshot unusable; rebuilding from documents");
                    None
                }
            },
            Ok(None) => None,
            Err(StateError::Corrupt { id, reason }) => {
                warn!(id = %id, reason = %reason, "engine snapshot unreadable; rebuilding from documents");
                None
            }
            Err(e) => return Err(e.into()),
        };
        let miner = match miner {
            Some(m) => m,
            None => {
                let m = self.rebuild_miner().await?;
                self.rebuild_audit().await?;
                m
            }
        };
        *self.miner.write() = Some(miner);
        Ok(())
    }

    /// The rarity state saved with the snapshot; a missing or unusable one starts empty (every
    /// pair is then new again until history builds up), with a warning.
    /// `false` when a structured source has no usable saved state (it is then rebuilt).
    fn restore_audit(&mut self, saved: Option<serde_json::Value>) -> bool {
        use crate::engine::audit::{AuditSnapshot, AuditState};
        if self.cfg.audit.is_none() {
            return true;
        }
        let restored = match saved {
            None => Err("none saved".to_string()),
            Some(v) => serde_json::from_value::<AuditSnapshot>(v)
                .map_err(|e| e.to_string())
                .and_then(|s| AuditState::restore(s).map_err(|e| e.to_string())),
        };
        match restored {
            Ok(st) => {
                info!(pairs = st.pairs(), "audit rarity state restored");
                *self.audit.lock().unwrap_or_else(|p| p.into_inner()) = st;
                true
            }
            Err(e) => {
                warn!(reason = %e, "no usable audit rarity state; rebuilding it from the labelled documents");
                false
            }
        }
    }

    /// A structured source's rarity history from its labelled documents, replayed in document
    /// time order (after an engine rebuild, or when the saved state is missing or unusable), so
    /// that pairs seen before are not all new again. Documents still in flight at a crash are
    /// scored when labelled but not counted into the history.
    async fn rebuild_audit(&self) -> Result<(), PipelineError> {
        let (Some(cfg), Some(spec)) = (self.cfg.audit.clone(), self.extractor.structured().cloned()) else {
            return Ok(());
        };
        let src = &self.cfg.source;
        let mut filter = vec![serde_json::json!({"prefix": {"logsift.cluster_id": format!("{}-", src.name)}})];
        filter.extend(src.query.clone());
        let mut fields: Vec<String> = self.extractor.fields().into_iter().map(String::from).collect();
        fields.push(src.timestamp_field.clone());
        let hits =
            self.client.scan_all(&src.index_expr(), serde_json::json!({"bool": {"filter": filter}}), fields).await?;
        let (state, ts) = (self.audit.clone(), src.timestamp_field.clone());
        let (events, pairs) = tokio::task::spawn_blocking(move || {
            let mut timed: Vec<(Option<i64>, &serde_json::Value)> =
                hits.iter().map(|h| (lookup(&h.source, &ts).and_then(mine::time_millis), &h.source)).collect();
            timed.sort_by_key(|(t, _)| *t);
            *state.lock().unwrap_or_else(|p| p.into_inner()) = Default::default();
            for (t, source) in &timed {
                audit::label(&spec, &cfg, &state, source, *t, true);
            }
            let pairs = state.lock().unwrap_or_else(|p| p.into_inner()).pairs();
            (timed.len(), pairs)
        })
        .await
        .map_err(|e| PipelineError::Engine(e.to_string()))?;
        info!(events, pairs, "audit rarity history rebuilt from the labelled documents");
        Ok(())
    }

    async fn rebuild_miner(&self) -> Result<Miner, PipelineError> {
        let src = &self.cfg.source;
        let prefix = format!("{}-", src.name);
        let fields = self.extractor.fields();
        let examples =
            self.client.one_doc_per_value(&src.index_expr(), "logsift.cluster_id", &prefix, &fields, 65_536).await?;
        if examples.is_empty() {
            return Miner::new(self.cfg.engine.clone()).map_err(|e| PipelineError::Engine(e.to_string()));
        }
        let n = examples.len();
        let (cfg, name, ex) = (self.cfg.engine.clone(), src.name.clone(), self.extractor.clone());
        let m = tokio::task::spawn_blocking(move || rebuild::replay(cfg, &name, &ex, examples))
            .await
            .map_err(|e| PipelineError::Engine(e.to_string()))?
            .map_err(PipelineError::Rebuild)?;
        info!(clusters = n, "engine rebuilt from labelled documents, ids kept");
        Ok(m)
    }

    fn known_templates(&self, ids: &[String]) -> HashMap<String, crate::store::ClusterDoc> {
        let guard = self.miner.read();
        let Some(m) = guard.as_ref() else { return HashMap::new() };
        ids.iter()
            .filter_map(|k| {
                let t = m.template(parse_cluster_key(&self.cfg.source.name, k)?)?;
                Some((k.clone(), crate::store::ClusterDoc { template: Some(t), examples: vec![] }))
            })
            .collect()
    }

    async fn pass(
        &mut self,
        info: &ServerInfo,
        mode: PagingMode,
        caps: &crate::es::Capabilities,
        shutdown: &Shutdown,
        summary: &mut RunSummary,
    ) -> Result<ReadOutcome, PipelineError> {
        let mut read = ReadOutcome::Complete;
        let src = &self.cfg.source;
        let query = pending_query(src.query.as_ref(), &src.timestamp_field, self.checkpoint.max_timestamp.as_deref());
        // Only what extraction, the checkpoint and the already-labelled check read.
        let mut source_fields: Vec<String> = self.extractor.fields().into_iter().map(String::from).collect();
        source_fields.extend([src.timestamp_field.clone(), "logsift.cluster_id".into(), "logsift.skipped".into()]);
        let spec = SearchSpec {
            indices: src.index_expr(),
            query,
            source_fields,
            page_size: self.cfg.read.page_size,
            slice: None,
        };
        let mut rx = spawn_readers(
            &self.client,
            info,
            spec,
            mode,
            self.cfg.read.slices,
            self.cfg.read.queue_pages,
            shutdown.clone(),
        );
        let started = Instant::now();
        let mut open = true;
        while open {
            let mut hits = Vec::with_capacity(self.cfg.write.batch_docs + self.cfg.read.page_size);
            while hits.len() < self.cfg.write.batch_docs {
                match rx.recv().await {
                    Some(ReadEvent::Page(p)) if hits.is_empty() && p.len() >= self.cfg.write.batch_docs => hits = p,
                    Some(ReadEvent::Page(p)) => hits.extend(p),
                    Some(ReadEvent::Failed { slice, error }) => {
                        self.counters.read_failures.add(1);
                        // An expired scroll/PIT (404) or a garbled answer is worth reading again too.
                        let again =
                            error.is_retriable() || error.status() == Some(404) || matches!(error, EsError::Decode(_));
                        read = match (read, again) {
                            (ReadOutcome::Permanent, _) | (_, false) => ReadOutcome::Permanent,
                            _ => ReadOutcome::Retriable,
                        };
                        warn!(slice, error = %error, "read failed; documents not read stay pending and are read again");
                        summary.read_errors.push(error.to_string());
                    }
                    None => {
                        open = false;
                        break;
                    }
                }
            }
            if hits.is_empty() {
                break;
            }
            self.process_batch(hits, caps).await?;
            let m = self.counters.snapshot();
            let rate = m.docs_read as f64 / started.elapsed().as_secs_f64().max(1e-3);
            info!(
                read = m.docs_read,
                labelled = m.docs_labelled,
                skipped = m.skipped(),
                docs_per_sec = rate as u64,
                "progress"
            );
            if shutdown.is_shutdown() {
                info!("shutdown requested: stopping after the batch in hand");
                break;
            }
        }
        drop(rx); // readers see the closed channel, close their scroll/PIT and end
        Ok(read)
    }

    /// Step 5: acknowledged labels are added to exact figures; clusters without exact figures in
    /// this process (new, seen on already-labelled documents, or with a 409 that may be our own
    /// resent write) are recounted from the documents. Then their cluster documents are written.
    async fn update_cluster_counts(
        &mut self,
        mined: &mine::MinedBatch,
        report: &crate::store::WriteReport,
    ) -> Result<(), PipelineError> {
        let mut recount: HashSet<&str> = mined.needs_recount.iter().map(String::as_str).collect();
        for k in &recount {
            self.counts.remove(*k);
        }
        // This batch's acknowledged labels per cluster: (count, first, last document time).
        let mut added: HashMap<&str, (u64, Option<i64>, Option<i64>)> = HashMap::new();
        for l in &mined.labels {
            let key: &str = &l.key;
            if report.conflicted[l.op] {
                self.counts.remove(key);
                recount.insert(key);
                continue;
            }
            if !report.applied[l.op] {
                continue;
            }
            let a = added.entry(key).or_default();
            a.0 += 1;
            if let Some(t) = l.time_ms {
                a.1 = Some(a.1.map_or(t, |f| f.min(t)));
                a.2 = Some(a.2.map_or(t, |x| x.max(t)));
            }
        }
        let mut incremental: Vec<&str> = Vec::new();
        for (key, (n, first, last)) in added {
            if recount.contains(key) {
                continue;
            }
            match self.counts.get_mut(key) {
                Some(c) => {
                    c.count += n;
                    if let Some(t) = first.and_then(mine::format_millis) {
                        if c.first_seen.as_ref().is_none_or(|f| t < *f) {
                            c.first_seen = Some(t);
                        }
                    }
                    if let Some(t) = last.and_then(mine::format_millis) {
                        if c.last_seen.as_ref().is_none_or(|l| t > *l) {
                            c.last_seen = Some(t);
                        }
                    }
                    incremental.push(key);
                }
                None => {
                    recount.insert(key);
                }
            }
        }
        let mut ids: Vec<String> = recount.into_iter().map(str::to_string).collect();
        ids.sort();
        let fresh = self.clusters.recount(&ids).await?;
        self.counters.clusters_recounted.add(fresh.len() as u64);
        let mut write: Vec<ClusterCount> = fresh.clone();
        self.counts.extend(fresh.into_iter().map(|c| (c.cluster_id.clone(), c)));
        write.extend(incremental.iter().filter_map(|k| self.counts.get(*k).cloned()));
        self.clusters.upsert(&self.sink, &write, &mined.known).await?;
        Ok(())
    }

    /// A 409 on a resent request is often logsift's own first attempt, applied although its
    /// answer was lost (a cut connection, a 5xx from a proxy after the write): the conflicted
    /// documents are read back, and those carrying exactly this batch's label (or skip marker)
    /// count as written. They stay marked conflicted, so that their clusters are recounted.
    async fn confirm_own_writes(
        &self,
        mined: &mine::MinedBatch,
        report: &mut crate::store::WriteReport,
    ) -> Result<(), PipelineError> {
        let conflicted: Vec<usize> = (0..mined.ops.len()).filter(|&i| report.conflicted[i]).collect();
        let targets: Vec<(&str, &str)> = conflicted.iter().map(|&i| mined.ops[i].target()).collect();
        let sources = self.client.mget_sources(&targets, &[crate::ids::FIELD_ROOT]).await?;
        let mut ours = 0u64;
        for (&i, source) in conflicted.iter().zip(&sources) {
            let Some(source) = source else { continue };
            let landed = if mined.is_label[i] {
                let key = mined.labels.binary_search_by_key(&i, |l| l.op).ok().map(|l| &*mined.labels[l].key);
                key.is_some() && lookup(source, crate::ids::FIELD_CLUSTER_ID).and_then(|v| v.as_str()) == key
            } else {
                lookup(source, crate::ids::FIELD_SKIPPED).is_some_and(|v| !v.is_null())
            };
            if landed {
                report.applied[i] = true;
                ours += 1;
            }
        }
        report.conflicts -= ours;
        report.ok += ours;
        if ours > 0 {
            info!(n = ours, "conflicts were this run's own earlier attempts, applied: counted as written");
        }
        Ok(())
    }

    async fn process_batch(
        &mut self,
        hits: Vec<crate::es::search::Hit>,
        caps: &crate::es::Capabilities,
    ) -> Result<(), PipelineError> {
        self.counters.docs_read.add(hits.len() as u64);
        let mut t = Instant::now();
        self.ensure_miner().await?;
        // Put the logsift.* mapping on every concrete index before its first write.
        let mut new_indices: Vec<String> = Vec::new();
        for h in &hits {
            if !self.mapped.contains(&h.index) && !new_indices.contains(&h.index) {
                new_indices.push(h.index.clone());
            }
        }
        for index in new_indices {
            match self.client.put_mapping(&index, &logsift_fields_mapping(caps)).await {
                Ok(()) => {}
                Err(e) if e.status() == Some(404) => warn!(index = %index, "index disappeared before write-back"),
                // The index's own mapping conflicts with `logsift.*`: its documents cannot be
                // labelled; they are skipped (left pending) and the index named, the others go on.
                Err(e) if e.status() == Some(400) => {
                    warn!(index = %index, error = %e, "the logsift.* mapping is refused: this index's documents are left unlabelled");
                    self.refused.insert(index.clone(), e.to_string());
                }
                Err(e) => return Err(e.into()),
            }
            self.mapped.insert(index);
        }
        let hits: Vec<crate::es::search::Hit> = if self.refused.is_empty() {
            hits
        } else {
            let before = hits.len();
            let kept: Vec<_> = hits.into_iter().filter(|h| !self.refused.contains_key(&h.index)).collect();
            self.counters.docs_unmappable.add((before - kept.len()) as u64);
            kept
        };
        if hits.is_empty() {
            return Ok(());
        }
        tracing::debug!(step = "mapping", ms = t.elapsed().as_millis() as u64, "batch step done");
        t = Instant::now();
        // 1. mine on a blocking thread
        let miner = self.miner.clone();
        let (ex, cfg) = (self.extractor.clone(), self.cfg.clone());
        let mut recorded = std::mem::take(&mut self.recorded);
        let audit = self.audit.clone();
        let (mut mined, recorded) = tokio::task::spawn_blocking(move || {
            let input = mine::BatchInput {
                source: &cfg.source.name,
                extractor: &ex,
                timestamp_field: &cfg.source.timestamp_field,
                params: cfg.write.params,
                examples: cfg.write.examples,
                audit: cfg.audit.as_ref().map(|c| (c, &*audit)),
            };
            let mined = mine::mine_batch(&miner, &input, hits, &mut recorded);
            (mined, recorded)
        })
        .await
        .map_err(|e| PipelineError::Engine(e.to_string()))?;
        self.recorded = recorded;
        self.counters.docs_already_labelled.add(mined.already_labelled);
        tracing::debug!(
            added = mined.added.len(),
            recorded_used = mined.recorded_used,
            already_labelled = mined.already_labelled,
            "batch mined"
        );
        self.counters.clusters_created.add(mined.created);
        tracing::debug!(step = "mine", ms = t.elapsed().as_millis() as u64, "batch step done");
        t = Instant::now();
        // 2. engine snapshot, with the documents it has seen whose labels are not written yet
        if let Some((snap, n)) = &mined.snapshot {
            let carried = self
                .recorded
                .iter()
                .flat_map(|(index, ids)| ids.iter().map(move |(id, c)| (index.clone(), id.clone(), c.0)))
                .collect();
            let in_flight =
                InFlight { seq: self.checkpoint.batches + 1, batch: std::mem::take(&mut mined.added), carried };
            let audit = self.cfg.audit.as_ref().map(|_| {
                let st = self.audit.lock().unwrap_or_else(|p| p.into_inner()).snapshot();
                serde_json::to_value(st).expect("audit state to json")
            });
            self.state.save_snapshot(snap, *n, &in_flight, audit.as_ref()).await?;
        }
        tracing::debug!(step = "snapshot", ms = t.elapsed().as_millis() as u64, "batch step done");
        t = Instant::now();
        // 3. clusters about to change
        if !mined.touched.is_empty() {
            self.checkpoint.pending_recount = mined.touched.clone();
            self.state.save_checkpoint(&self.checkpoint).await?;
        }
        tracing::debug!(step = "pending", ms = t.elapsed().as_millis() as u64, "batch step done");
        t = Instant::now();
        // 4. write-back
        let mut report = self.sink.write(&mined.ops).await?;
        if report.conflicts > 0 {
            self.confirm_own_writes(&mined, &mut report).await?;
        }
        self.counters.bulk_requests.add(mined.ops.len().div_ceil(self.cfg.write.bulk_size) as u64);
        let (mut labelled, mut skipped) = (0u64, 0u64);
        for (applied, is_label) in report.applied.iter().zip(&mined.is_label) {
            match (applied, is_label) {
                (true, true) => labelled += 1,
                (true, false) => skipped += 1,
                _ => {}
            }
        }
        self.counters.docs_labelled.add(labelled);
        for (kind, n) in &mined.skipped {
            self.counters.skipped_counter(kind).add(*n);
        }
        self.counters.write_conflicts.add(report.conflicts);
        self.counters.write_missing.add(report.missing);
        self.counters.add_write_failed(report.failed);
        if report.conflicts + report.missing + report.failed > 0 {
            warn!(
                conflicts = report.conflicts,
                missing = report.missing,
                failed = report.failed,
                "some documents were not updated; they stay pending"
            );
        }
        tracing::debug!(step = "write", ms = t.elapsed().as_millis() as u64, "batch step done");
        t = Instant::now();
        // 5. exact cluster documents
        self.update_cluster_counts(&mined, &report).await?;
        // New templates: queued for the webhook (never waits), once their cluster documents exist.
        for t in std::mem::take(&mut mined.born) {
            self.notifier.notify(t);
        }
        tracing::debug!(step = "recount", ms = t.elapsed().as_millis() as u64, "batch step done");
        t = Instant::now();
        // 6. checkpoint
        let cp = &mut self.checkpoint;
        cp.pending_recount.clear();
        if mined.max_timestamp > cp.max_timestamp {
            cp.max_timestamp = mined.max_timestamp;
        }
        cp.docs_labelled += labelled;
        cp.docs_skipped += skipped;
        cp.batches += 1;
        self.state.save_checkpoint(&self.checkpoint).await?;
        self.counters.set_newest_doc(self.checkpoint.max_timestamp.as_deref());
        tracing::debug!(step = "checkpoint", ms = t.elapsed().as_millis() as u64, "batch step done");
        self.counters.batches.add(1);
        Ok(())
    }
}
