//! One batch on the engine thread: extract each hit's message, mine it, and build the bulk
//! updates and the per-cluster facts the cluster index needs. Pure apart from the miner.
//!
//! The live miner is shared with the classify API, so it is locked for one message at a time
//! (one `add`, one template, one message's parameters, the snapshot), never for the batch:
//! a request waits for at most one of those steps.

use super::LiveMiner;
use crate::engine::{Change, ClusterId, Miner, MinerSnapshot};
use crate::es::bulk::BulkOp;
use crate::es::search::Hit;
use crate::ids::cluster_key;
use crate::message::{lookup, Extractor, HeaderFields};
use crate::store::ClusterDoc;
use serde_json::{json, Value};
use std::borrow::Cow;
use std::collections::{BTreeSet, HashMap};
use std::sync::Arc;

pub struct BatchInput<'a> {
    pub source: &'a str,
    pub extractor: &'a Extractor,
    pub timestamp_field: &'a str,
    pub params: bool,
    pub examples: usize,
    /// A structured source's rarity scoring and its state (see [`super::audit`]).
    pub audit: Option<(&'a crate::engine::audit::AuditConfig, &'a std::sync::Mutex<crate::engine::audit::AuditState>)>,
}

/// One label written by a batch: the op that writes it, its cluster key and the document time.
#[derive(Clone, Debug, PartialEq)]
pub struct LabelOp {
    /// Index into [`MinedBatch::ops`].
    pub op: usize,
    /// The cluster key (shared by all labels of a cluster).
    pub key: Arc<str>,
    /// Document time, epoch milliseconds.
    pub time_ms: Option<i64>,
}

#[derive(Debug, Default)]
pub struct MinedBatch {
    pub ops: Vec<BulkOp>,
    /// Per op: true = a label, false = a skip marker.
    pub is_label: Vec<bool>,
    /// Clusters to recount (mined here or seen already labelled).
    pub touched: Vec<String>,
    pub known: HashMap<String, ClusterDoc>,
    /// Set when a message was added to the engine (a new cluster, a changed template or only
    /// a larger size, which later merge decisions read): the engine must be saved.
    pub snapshot: Option<(MinerSnapshot, u64)>,
    /// `(index, id, cluster)` of every document this batch labels from the engine (added now, or
    /// found in [`Recorded`]), saved with the snapshot until the batch is done (see
    /// [`crate::store::state::InFlight`]).
    pub added: Vec<(String, String, u64)>,
    /// Documents labelled from [`Recorded`] (seen by the engine before a restart), not added.
    pub recorded_used: u64,
    pub created: u64,
    pub already_labelled: u64,
    /// `(skip kind, count)`.
    pub skipped: HashMap<&'static str, u64>,
    /// Latest document time in the batch (RFC 3339).
    pub max_timestamp: Option<String>,
    /// The label ops, in op order, for incremental counts.
    pub labels: Vec<LabelOp>,
    /// Clusters seen on already-labelled documents: their counts must be recounted.
    pub needs_recount: Vec<String>,
    /// Clusters born in this batch, with the document that gave birth to each and its final
    /// template (for new-template notifications).
    pub born: Vec<crate::notify::NewTemplate>,
}

/// A document time as epoch milliseconds, from an RFC 3339 string or epoch milliseconds.
pub fn time_millis(v: &Value) -> Option<i64> {
    match v {
        Value::String(s) => Some(chrono::DateTime::parse_from_rfc3339(s).ok()?.timestamp_millis()),
        Value::Number(n) => chrono::DateTime::from_timestamp_millis(n.as_i64()?).map(|t| t.timestamp_millis()),
        _ => None,
    }
}

/// Epoch milliseconds as RFC 3339 UTC with milliseconds (`2024-01-02T03:04:05.000Z`).
pub fn format_millis(ms: i64) -> Option<String> {
    let t = chrono::DateTime::from_timestamp_millis(ms)?;
    Some(t.to_rfc3339_opts(chrono::SecondsFormat::Millis, true))
}

/// A document time as RFC 3339 UTC, from a date string or epoch milliseconds.
pub fn normalise_time(v: &Value) -> Option<String> {
    format_millis(time_millis(v)?)
}

/// Interns index names: a page's hits mostly share one or a few concrete indices.
#[derive(Default)]
struct IndexNames(Vec<Arc<str>>);

impl IndexNames {
    fn get(&mut self, name: &str) -> Arc<str> {
        if let Some(a) = self.0.iter().rev().find(|a| &***a == name) {
            return a.clone();
        }
        let a: Arc<str> = Arc::from(name);
        self.0.push(a.clone());
        a
    }
}

/// Clusters the engine gave documents whose labels may not have been written (index → id →
/// cluster): such a document is labelled with its cluster, not added to the engine again.
pub type Recorded = HashMap<String, HashMap<String, ClusterId>>;

/// Mines `hits` with the live miner `live` (which must be loaded). A hit found in `recorded`
/// is labelled with the cluster recorded for it, and its entry removed.
pub fn mine_batch(live: &LiveMiner, input: &BatchInput<'_>, mut hits: Vec<Hit>, recorded: &mut Recorded) -> MinedBatch {
    let with = |f: &mut dyn FnMut(&Miner)| f(live.read().as_ref().expect("the live miner is loaded"));
    let mut out = MinedBatch {
        ops: Vec::with_capacity(hits.len()),
        is_label: Vec::with_capacity(hits.len()),
        ..Default::default()
    };
    let mut touched: BTreeSet<ClusterId> = BTreeSet::new();
    let mut changed = false;
    let mut examples_taken: HashMap<ClusterId, usize> = HashMap::new();
    // Index names and ids move out of the hits first, so that the messages stay borrowed from
    // the sources for the whole batch (parameters are taken after it, from final templates).
    let mut names = IndexNames::default();
    let targets: Vec<(Arc<str>, String)> =
        hits.iter_mut().map(|h| (names.get(&h.index), std::mem::take(&mut h.id))).collect();
    let empty: Arc<str> = Arc::from("");
    // (op index, cluster, message, document time) of each label, filled in after the batch.
    // The header cut off each label's message (`logsift.header`), by label.
    let mut labelled_here: Vec<(usize, ClusterId, Cow<'_, str>, Option<i64>)> = Vec::with_capacity(hits.len());
    let mut headers: Vec<Option<HeaderFields>> = Vec::with_capacity(hits.len());
    let mut max_ms: Option<i64> = None;
    let mut born: Vec<(ClusterId, String, String, String, Option<i64>)> = Vec::new();
    // A structured source: per label op, its `"params":..,"audit":..` part (see `super::audit`).
    let structured = input.extractor.structured().zip(input.audit);
    let mut audit_tails: HashMap<usize, String> = HashMap::new();
    for (hit, (index, id)) in hits.iter().zip(targets) {
        let time = lookup(&hit.source, input.timestamp_field).and_then(time_millis);
        max_ms = max_ms.max(time);
        let guard = hit.seq_no.zip(hit.primary_term);
        // `logsift.*` can only be under a top-level key starting with `logsift`: one cheap look
        // at the keys spares most documents the two path lookups.
        let has_logsift = hit.source.as_object().is_some_and(|o| o.keys().any(|k| k.starts_with("logsift")));
        if let Some(existing) =
            has_logsift.then(|| lookup(&hit.source, "logsift.cluster_id")).flatten().and_then(Value::as_str)
        {
            out.already_labelled += 1;
            if !out.touched.iter().any(|t| t == existing) {
                out.touched.push(existing.to_string());
                out.needs_recount.push(existing.to_string());
            }
            continue;
        }
        if has_logsift && lookup(&hit.source, "logsift.skipped").is_some() {
            continue;
        }
        match input.extractor.extract_parts(&hit.source) {
            Err(reason) => {
                *out.skipped.entry(reason.kind()).or_default() += 1;
                out.ops.push(BulkOp::Update {
                    index: index.to_string(),
                    id,
                    guard,
                    doc: json!({"logsift": {"skipped": reason.kind()}}),
                    upsert: false,
                });
                out.is_label.push(false);
            }
            Ok(extracted) => {
                let msg = extracted.message;
                if let Some(cid) = recorded.get_mut(&*index).and_then(|ids| ids.remove(&id)) {
                    out.recorded_used += 1;
                    // Still in flight until this batch is written: recorded again with it.
                    out.added.push((index.to_string(), id.clone(), cid.0));
                    touched.insert(cid);
                    out.ops.push(BulkOp::UpdateRaw {
                        index,
                        id,
                        guard,
                        doc_head: empty.clone(),
                        doc_tail: String::new(),
                    });
                    out.is_label.push(true);
                    if let Some((spec, (cfg, state))) = structured {
                        // Already counted by the saved state: scored, not learnt again.
                        let a = super::audit::label(spec, cfg, state, &hit.source, time, false);
                        audit_tails.insert(out.ops.len() - 1, a.tail(input.params));
                    }
                    labelled_here.push((out.ops.len() - 1, cid, msg, time));
                    headers.push(extracted.header);
                    continue;
                }
                let a = live.write().as_mut().expect("the live miner is loaded").add(&msg);
                out.added.push((index.to_string(), id.clone(), a.cluster_id.0));
                match a.change {
                    Change::Created => {
                        changed = true;
                        out.created += 1;
                        born.push((a.cluster_id, index.to_string(), id.clone(), msg.to_string(), time));
                    }
                    Change::Generalized => changed = true,
                    Change::Unchanged => {}
                }
                touched.insert(a.cluster_id);
                let audited = structured
                    .map(|(spec, (cfg, state))| super::audit::label(spec, cfg, state, &hit.source, time, true));
                let n_examples = examples_taken.entry(a.cluster_id).or_insert(0usize);
                if *n_examples < input.examples {
                    *n_examples += 1;
                    let known = out.known.entry(cluster_key(input.source, a.cluster_id)).or_default();
                    if known.examples.len() < input.examples {
                        known.examples.push(match &audited {
                            Some(a) => a.example(&index, &id),
                            None => msg.to_string(),
                        });
                    }
                }
                if let Some(a) = audited {
                    audit_tails.insert(out.ops.len(), a.tail(input.params));
                }
                out.ops.push(BulkOp::UpdateRaw { index, id, guard, doc_head: empty.clone(), doc_tail: String::new() });
                out.is_label.push(true);
                labelled_here.push((out.ops.len() - 1, a.cluster_id, msg, time));
                headers.push(extracted.header);
            }
        }
    }
    out.max_timestamp = max_ms.and_then(format_millis);
    // Templates as they stand after the whole batch (a later message may have generalised one);
    // the shared part of each cluster's update is serialised once.
    let mut head: HashMap<ClusterId, (Arc<str>, Arc<str>)> = HashMap::new();
    for id in &touched {
        let mut t = String::new();
        with(&mut |m| t = m.template(*id).unwrap_or_default());
        let key = cluster_key(input.source, *id);
        let json_str = |v: &str| serde_json::to_string(v).expect("string to json");
        // Left open: each document's tail adds its params and header, then closes the object.
        let h = format!(r#"{{"logsift":{{"cluster_id":{},"template":{}"#, json_str(&key), json_str(&t));
        head.insert(*id, (Arc::from(h), Arc::from(key.as_str())));
        out.known.entry(key.clone()).or_default().template = Some(t);
        out.touched.push(key);
    }
    out.born = born
        .into_iter()
        .map(|(cid, index, document_id, message, time)| crate::notify::NewTemplate {
            cluster_id: cluster_key(input.source, cid),
            template: out
                .known
                .get(&cluster_key(input.source, cid))
                .and_then(|k| k.template.clone())
                .unwrap_or_default(),
            index,
            document_id,
            message,
            timestamp: time.and_then(format_millis),
        })
        .collect();
    out.labels.reserve(labelled_here.len());
    for ((i, id, msg, time_ms), header) in labelled_here.into_iter().zip(headers) {
        let (h, key) = &head[&id];
        // The head is left open: the tail adds the params (or a structured event's params and
        // audit block) and the header, then closes the object.
        let tail = if let Some(t) = audit_tails.remove(&i) {
            t
        } else if structured.is_some() {
            "}}".to_string()
        } else {
            let mut t = Vec::with_capacity(if input.params { 16 + msg.len() } else { 2 });
            if input.params {
                t.extend_from_slice(br#","params":"#);
                let mut params = Vec::new();
                with(&mut |m| params = m.params(id, &msg));
                serde_json::to_writer(&mut t, &params).expect("params to json");
            }
            if let Some(header) = header {
                t.extend_from_slice(br#","header":"#);
                serde_json::to_writer(&mut t, &header.to_json()).expect("header to json");
            }
            t.extend_from_slice(b"}}");
            String::from_utf8(t).expect("json is UTF-8")
        };
        if let BulkOp::UpdateRaw { doc_head, doc_tail, .. } = &mut out.ops[i] {
            *doc_head = h.clone();
            *doc_tail = tail;
        }
        out.labels.push(LabelOp { op: i, key: key.clone(), time_ms });
    }
    recorded.retain(|_, ids| !ids.is_empty());
    if changed || !out.added.is_empty() {
        with(&mut |m| out.snapshot = Some((m.snapshot(), m.len() as u64)));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::EngineConfig;
    use crate::ids::parse_cluster_key;
    use crate::message::ExtractConfig;

    fn hit(id: &str, source: Value) -> Hit {
        Hit { index: "logs-1".into(), id: id.into(), seq_no: Some(7), primary_term: Some(1), source }
    }

    #[test]
    fn labels_skips_and_recounts() {
        let miner = LiveMiner::new(Some(Miner::new(EngineConfig::default()).unwrap()));
        let ex = Extractor::new(&ExtractConfig::default()).unwrap();
        let input = BatchInput {
            source: "s",
            extractor: &ex,
            timestamp_field: "@timestamp",
            params: true,
            examples: 1,
            audit: None,
        };
        let hits = vec![
            hit("a", json!({"message": "open file 1", "@timestamp": "2024-01-02T00:00:00Z"})),
            hit("b", json!({"message": "open file 2", "@timestamp": "2024-01-03T00:00:00+01:00"})),
            hit("c", json!({"msg": "x"})),
            hit("d", json!({"message": "y", "logsift": {"cluster_id": "s-9"}, "@timestamp": 1704412800000i64})),
        ];
        let m = mine_batch(&miner, &input, hits, &mut Recorded::new());
        assert_eq!(m.ops.len(), 3);
        assert_eq!(m.is_label, vec![true, true, false]);
        let doc_of = |op: &BulkOp| match op {
            BulkOp::UpdateRaw { doc_head, doc_tail, guard, .. } => {
                (serde_json::from_str::<Value>(&format!("{doc_head}{doc_tail}")).unwrap(), *guard)
            }
            BulkOp::Update { doc, guard, .. } => (doc.clone(), *guard),
            other => panic!("{other:?}"),
        };
        let (doc, guard) = doc_of(&m.ops[0]);
        assert_eq!(guard, Some((7, 1)));
        let id = doc["logsift"]["cluster_id"].as_str().unwrap().to_string();
        let (doc1, _) = doc_of(&m.ops[1]);
        assert_eq!(
            doc1,
            json!({"logsift": {"cluster_id": id, "template": doc["logsift"]["template"], "params": ["2"]}})
        );
        let BulkOp::Update { doc, .. } = &m.ops[2] else { panic!() };
        assert_eq!(doc["logsift"]["skipped"], "missing_field");
        assert_eq!(m.skipped["missing_field"], 1);
        assert_eq!(m.already_labelled, 1);
        assert!(m.touched.contains(&"s-9".to_string()) && m.touched.contains(&id));
        assert_eq!(m.known[&id].examples, vec!["open file 1"]);
        assert_eq!(m.max_timestamp.as_deref(), Some("2024-01-05T00:00:00.000Z"));
        let key: Arc<str> = Arc::from(id.as_str());
        assert_eq!(
            m.labels,
            vec![
                LabelOp { op: 0, key: key.clone(), time_ms: Some(1_704_153_600_000) },
                LabelOp { op: 1, key, time_ms: Some(1_704_236_400_000) },
            ]
        );
        assert_eq!(
            normalise_time(&json!("2024-01-03T00:00:00.123456+01:00")).as_deref(),
            Some("2024-01-02T23:00:00.123Z")
        );
        assert_eq!(normalise_time(&json!(1704412800000i64)).as_deref(), Some("2024-01-05T00:00:00.000Z"));
        assert_eq!(normalise_time(&json!("yesterday")), None);
        assert!(m.snapshot.is_some());
        assert_eq!(parse_cluster_key("s", &id).map(|c| cluster_key("s", c)), Some(id));
    }

    #[test]
    fn the_header_is_cut_and_written_beside_the_label() {
        let miner = LiveMiner::new(Some(Miner::new(EngineConfig::default()).unwrap()));
        let ex = Extractor::new(&ExtractConfig::default()).unwrap();
        for params in [true, false] {
            let input = BatchInput {
                source: "s",
                extractor: &ex,
                timestamp_field: "@timestamp",
                params,
                examples: 1,
                audit: None,
            };
            let hits = vec![
                hit("a", json!({"message": "Jan 29 11:23:02 host-1 sshd[10348]: Accepted key for bob port 22"})),
                hit("b", json!({"message": "Accepted key for bob port 23"})),
            ];
            let m = mine_batch(&miner, &input, hits, &mut Recorded::new());
            let docs: Vec<Value> = m
                .ops
                .iter()
                .map(|op| match op {
                    BulkOp::UpdateRaw { doc_head, doc_tail, .. } => {
                        serde_json::from_str(&format!("{doc_head}{doc_tail}")).unwrap()
                    }
                    other => panic!("{other:?}"),
                })
                .collect();
            // One template for the bare and the syslog-framed message.
            assert_eq!(docs[0]["logsift"]["cluster_id"], docs[1]["logsift"]["cluster_id"], "{docs:?}");
            assert_eq!(docs[0]["logsift"]["template"], "Accepted key for bob port <*>");
            assert_eq!(docs[0]["logsift"]["header"], json!({"host": "host-1", "program": "sshd", "pid": "10348"}));
            assert!(docs[1]["logsift"].get("header").is_none());
            assert_eq!(docs[0]["logsift"].get("params").is_some(), params);
        }
    }

    #[test]
    fn a_recorded_document_is_labelled_with_its_cluster_and_not_added_again() {
        let miner = LiveMiner::new(Some(Miner::new(EngineConfig::default()).unwrap()));
        let ex = Extractor::new(&ExtractConfig::default()).unwrap();
        let input = BatchInput {
            source: "s",
            extractor: &ex,
            timestamp_field: "@timestamp",
            params: false,
            examples: 1,
            audit: None,
        };
        let first = mine_batch(&miner, &input, vec![hit("a", json!({"message": "open file 1"}))], &mut Recorded::new());
        assert_eq!(first.added.len(), 1);
        assert!(first.snapshot.is_some(), "an add changes the engine's sizes: it must be saved");
        let (_, _, cid) = first.added[0].clone();
        // A restart: `a` was seen by the saved engine but its label may not have been written.
        let mut recorded = Recorded::new();
        recorded.entry("logs-1".into()).or_default().insert("a".into(), ClusterId(cid));
        let again = mine_batch(
            &miner,
            &input,
            vec![hit("a", json!({"message": "open file 1"})), hit("b", json!({"message": "open file 2"}))],
            &mut recorded,
        );
        assert_eq!(again.recorded_used, 1);
        assert!(recorded.is_empty(), "the used entry is removed");
        let sizes: u64 = miner.read().as_ref().unwrap().clusters().iter().map(|c| c.size).sum();
        assert_eq!(sizes, 2, "`a` was not added a second time");
        // Both stay in flight with this batch until it is written.
        let keys: Vec<&str> = again.added.iter().map(|(_, id, _)| id.as_str()).collect();
        assert_eq!(keys, ["a", "b"]);
        assert_eq!(again.labels.len(), 2);
        assert_eq!(&*again.labels[0].key, cluster_key("s", ClusterId(cid)));
    }
}
