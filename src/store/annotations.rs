//! Annotations of clusters: a user's name for a template, tags (`known`, `benign`, `security`,
//! ...) and a note, kept in the cluster document under `annotation`.
//!
//! The sidecar and the jobs update cluster documents partially, so an annotation survives
//! labelling, re-mining and recounts as it is. Where a job moves documents from one cluster to
//! another (a remine merging a Drain cluster into a batch cluster, `merged_into`; a reindex that
//! renumbers every cluster), [`carry`] merges the annotation of each old cluster into the cluster
//! that received most of its documents ([`destinations`]), so a name given once follows the
//! documents. Writes are guarded (`if_seq_no`), retried on a concurrent change.

use crate::es::bulk::{BulkOp, ItemOutcome};
use crate::es::{EsClient, EsError};
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};
use std::collections::{BTreeMap, HashMap};

/// What a user said of a cluster.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Annotation {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub tags: Vec<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub updated_at: Option<String>,
}

impl Annotation {
    pub fn is_empty(&self) -> bool {
        self.name.is_none() && self.tags.is_empty() && self.note.is_none()
    }
}

/// A change to an annotation: `Some("")` clears a name or note; tags are added and removed.
#[derive(Clone, Debug, Default, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AnnotationPatch {
    #[serde(default)]
    pub name: Option<String>,
    #[serde(default)]
    pub note: Option<String>,
    #[serde(default)]
    pub add_tags: Vec<String>,
    #[serde(default)]
    pub remove_tags: Vec<String>,
    /// Start from an empty annotation (then apply the rest).
    #[serde(default)]
    pub clear: bool,
}

/// Why a patch was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PatchError {
    #[error("tag `{0}`: tags are 1 to 64 characters of letters, digits, `-`, `_`, `.`, `:`")]
    BadTag(String),
    #[error("{0} is longer than {1} characters")]
    TooLong(&'static str, usize),
}

const MAX_NAME: usize = 200;
const MAX_NOTE: usize = 4000;

impl AnnotationPatch {
    pub fn validate(&self) -> Result<(), PatchError> {
        for t in self.add_tags.iter().chain(&self.remove_tags) {
            let ok = !t.is_empty()
                && t.chars().count() <= 64
                && t.chars().all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.' | ':'));
            if !ok {
                return Err(PatchError::BadTag(t.clone()));
            }
        }
        if self.name.as_ref().is_some_and(|n| n.chars().count() > MAX_NAME) {
            return Err(PatchError::TooLong("name", MAX_NAME));
        }
        if self.note.as_ref().is_some_and(|n| n.chars().count() > MAX_NOTE) {
            return Err(PatchError::TooLong("note", MAX_NOTE));
        }
        Ok(())
    }

    /// `a` with the patch applied (tags kept sorted and unique).
    pub fn apply(&self, a: &Annotation) -> Annotation {
        let mut out = if self.clear { Annotation::default() } else { a.clone() };
        let set = |v: &Option<String>, cur: &mut Option<String>| {
            if let Some(v) = v {
                let v = v.trim();
                *cur = (!v.is_empty()).then(|| v.to_string());
            }
        };
        set(&self.name, &mut out.name);
        set(&self.note, &mut out.note);
        out.tags.extend(self.add_tags.iter().cloned());
        out.tags.retain(|t| !self.remove_tags.contains(t));
        out.tags.sort();
        out.tags.dedup();
        out
    }
}

/// `into` with `from` merged in: tags united; a name or note `into` lacks is taken from `from`;
/// two different notes are both kept.
pub fn merge(into: &Annotation, from: &Annotation) -> Annotation {
    let mut out = into.clone();
    if out.name.is_none() {
        out.name = from.name.clone();
    }
    out.note = match (&into.note, &from.note) {
        (Some(a), Some(b)) if a != b && !a.contains(b.as_str()) => Some(format!("{a}\n---\n{b}")),
        (None, b) => b.clone(),
        (a, _) => a.clone(),
    };
    out.tags.extend(from.tags.iter().cloned());
    out.tags.sort();
    out.tags.dedup();
    out
}

/// For each old cluster, the new cluster that received most of its documents (ties: the
/// smallest id), from `(old, new)` per moved document.
pub fn destinations<'a>(moves: impl IntoIterator<Item = (&'a str, &'a str)>) -> BTreeMap<String, String> {
    let mut flows: HashMap<&str, BTreeMap<&str, u64>> = HashMap::new();
    for (old, new) in moves {
        if old != new {
            *flows.entry(old).or_default().entry(new).or_default() += 1;
        }
    }
    flows
        .into_iter()
        .filter_map(|(old, to)| {
            let best = to.iter().max_by(|a, b| a.1.cmp(b.1).then(b.0.cmp(a.0)))?;
            Some((old.to_string(), best.0.to_string()))
        })
        .collect()
}

/// The annotation of cluster `id` with its write guard; `None` when there is no such cluster.
async fn read(client: &EsClient, index: &str, id: &str) -> Result<Option<(Annotation, (i64, i64))>, EsError> {
    let doc = match client.get_doc(index, id).await {
        Ok(d) => d,
        Err(e) if e.status() == Some(404) => return Ok(None),
        Err(e) => return Err(e),
    };
    if doc.get("found").and_then(Value::as_bool) == Some(false) {
        return Ok(None);
    }
    let guard = doc.get("_seq_no").and_then(Value::as_i64).zip(doc.get("_primary_term").and_then(Value::as_i64));
    let Some(guard) = guard else { return Err(EsError::Decode("cluster document without _seq_no".into())) };
    let a = doc.pointer("/_source/annotation").cloned().map(serde_json::from_value).transpose();
    Ok(Some((a.unwrap_or_default().unwrap_or_default(), guard)))
}

/// Changes cluster `id`'s annotation with `f` (guarded; retried when the document changed
/// meanwhile). `None`: no such cluster.
async fn update(
    client: &EsClient,
    index: &str,
    id: &str,
    f: impl Fn(&Annotation) -> Annotation,
) -> Result<Option<Annotation>, EsError> {
    for _ in 0..5 {
        let Some((cur, guard)) = read(client, index, id).await? else { return Ok(None) };
        let mut next = f(&cur);
        if next == cur {
            return Ok(Some(cur));
        }
        next.updated_at = Some(chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Millis, true));
        let doc = if next.is_empty() { json!({"annotation": null}) } else { json!({"annotation": next}) };
        let op = BulkOp::Update { index: index.into(), id: id.into(), guard: Some(guard), doc, upsert: false };
        match client.bulk(std::iter::once(&op)).await?.into_iter().next() {
            Some(ItemOutcome::Ok) => return Ok(Some(next)),
            Some(ItemOutcome::Conflict) => continue,
            Some(ItemOutcome::Missing) => return Ok(None),
            Some(ItemOutcome::Failed { status, reason } | ItemOutcome::Retriable { status, reason }) => {
                return Err(EsError::Status {
                    status,
                    body: reason,
                    request: format!(" to POST /_bulk (annotation of {id})"),
                    retry_after: None,
                })
            }
            None => return Err(EsError::Decode("bulk answer without items".into())),
        }
    }
    Err(EsError::Decode(format!("cluster {id} kept changing while its annotation was written")))
}

/// Applies `patch` to cluster `id`'s annotation; `None` when there is no such cluster.
pub async fn annotate(
    client: &EsClient,
    index: &str,
    id: &str,
    patch: &AnnotationPatch,
) -> Result<Option<Annotation>, EsError> {
    update(client, index, id, |a| patch.apply(a)).await
}

/// What the annotations of the clusters named in `dest` become when each old cluster's
/// documents went to `dest[old]`: an id that lost its documents loses its annotation, unless
/// it is itself a destination; a destination keeps its own (if its documents stayed) merged
/// with those of every cluster that went into it. Only changed ids are returned.
pub fn carried(
    dest: &BTreeMap<String, String>,
    current: &BTreeMap<String, Annotation>,
) -> BTreeMap<String, Annotation> {
    let mut next: BTreeMap<String, Annotation> = BTreeMap::new();
    let ids = dest.keys().chain(dest.values());
    for id in ids {
        let own =
            if dest.contains_key(id) { Annotation::default() } else { current.get(id).cloned().unwrap_or_default() };
        next.insert(id.clone(), own);
    }
    for (old, new) in dest {
        if let Some(a) = current.get(old).filter(|a| !a.is_empty()) {
            let merged = merge(&next[new], a);
            next.insert(new.clone(), merged);
        }
    }
    next.into_iter()
        .filter(|(id, a)| {
            let cur = current.get(id).cloned().unwrap_or_default();
            Annotation { updated_at: None, ..cur } != Annotation { updated_at: None, ..a.clone() }
        })
        .collect()
}

/// Moves annotations with the documents (see [`carried`]); returns how many clusters changed.
pub async fn carry(client: &EsClient, index: &str, dest: &BTreeMap<String, String>) -> Result<usize, EsError> {
    // One multi-get for every cluster involved (a reindex renumbers them all).
    let ids: std::collections::BTreeSet<&str> = dest.keys().chain(dest.values()).map(String::as_str).collect();
    let targets: Vec<(&str, &str)> = ids.iter().map(|id| (index, *id)).collect();
    let mut current = BTreeMap::new();
    for (id, src) in ids.iter().zip(client.mget_sources(&targets, &["annotation"]).await?) {
        let a: Option<Annotation> = src.and_then(|s| serde_json::from_value(s.get("annotation")?.clone()).ok());
        if let Some(a) = a.filter(|a| !a.is_empty()) {
            current.insert(id.to_string(), a);
        }
    }
    if current.is_empty() {
        return Ok(0);
    }
    let changes = carried(dest, &current);
    for (id, a) in &changes {
        let target = Annotation { updated_at: None, ..a.clone() };
        update(client, index, id, |_| target.clone()).await?;
        tracing::info!(cluster = %id, annotation = ?a, "annotation moved with the cluster's documents");
    }
    Ok(changes.len())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn patch(v: Value) -> AnnotationPatch {
        serde_json::from_value(v).unwrap()
    }

    #[test]
    fn a_patch_sets_clears_and_tags() {
        let a = patch(json!({"name": " ssh logins ", "add_tags": ["known", "security", "known"]}))
            .apply(&Annotation::default());
        assert_eq!(a.name.as_deref(), Some("ssh logins"));
        assert_eq!(a.tags, ["known", "security"]);
        let b = patch(json!({"remove_tags": ["known"], "note": "ok"})).apply(&a);
        assert_eq!(
            (b.name.as_deref(), b.tags.clone(), b.note.as_deref()),
            (Some("ssh logins"), vec!["security".to_string()], Some("ok"))
        );
        let c = patch(json!({"name": ""})).apply(&b);
        assert_eq!(c.name, None, "an empty name clears it");
        assert!(patch(json!({"clear": true})).apply(&b).is_empty());
    }

    #[test]
    fn bad_patches_are_refused() {
        assert!(matches!(patch(json!({"add_tags": ["has space"]})).validate(), Err(PatchError::BadTag(_))));
        assert!(matches!(patch(json!({"name": "x".repeat(201)})).validate(), Err(PatchError::TooLong("name", _))));
        assert!(patch(json!({"add_tags": ["team:infra", "v1.2"]})).validate().is_ok());
        assert!(serde_json::from_value::<AnnotationPatch>(json!({"tag": "x"})).is_err(), "unknown keys refused");
    }

    #[test]
    fn merging_keeps_the_target_and_adds_the_rest() {
        let into = Annotation { name: Some("logins".into()), tags: vec!["known".into()], note: None, updated_at: None };
        let from = Annotation {
            name: Some("old name".into()),
            tags: vec!["security".into()],
            note: Some("watch".into()),
            updated_at: None,
        };
        let m = merge(&into, &from);
        assert_eq!(m.name.as_deref(), Some("logins"));
        assert_eq!(m.tags, ["known", "security"]);
        assert_eq!(m.note.as_deref(), Some("watch"));
        let twice = merge(&Annotation { note: Some("a".into()), ..Default::default() }, &from);
        assert_eq!(twice.note.as_deref(), Some("a\n---\nwatch"));
    }

    #[test]
    fn carried_annotations_follow_the_documents_and_leave_reused_ids() {
        let a = |n: &str| Annotation { name: Some(n.into()), ..Default::default() };
        let dest: BTreeMap<String, String> = [("s-1", "s-2"), ("s-2", "s-3"), ("s-4", "s-5")]
            .iter()
            .map(|(o, n)| (o.to_string(), n.to_string()))
            .collect();
        let current: BTreeMap<String, Annotation> = [("s-1", a("logins")), ("s-2", a("timeouts")), ("s-5", a("kept"))]
            .into_iter()
            .map(|(k, v)| (k.into(), v))
            .collect();
        let c = carried(&dest, &current);
        assert_eq!(c["s-2"].name.as_deref(), Some("logins"), "s-2 now holds s-1's documents");
        assert_eq!(c["s-3"].name.as_deref(), Some("timeouts"));
        assert!(!c.contains_key("s-5"), "a destination whose own documents stayed keeps its annotation (unchanged)");
        assert!(!c.contains_key("s-4"), "nothing to move");
        let gone: BTreeMap<String, String> = [("s-1".to_string(), "s-9".to_string())].into();
        let c = carried(&gone, &current);
        assert!(c["s-1"].is_empty(), "an id whose documents all left loses its annotation");
        assert_eq!(c["s-9"].name.as_deref(), Some("logins"));
    }

    #[test]
    fn destinations_follow_most_documents() {
        let moves = [("a", "x"), ("a", "y"), ("a", "y"), ("b", "b"), ("c", "z"), ("c", "w")];
        let d = destinations(moves);
        assert_eq!(d.get("a").map(String::as_str), Some("y"));
        assert_eq!(d.get("b"), None, "documents that stayed are no move");
        assert_eq!(d.get("c").map(String::as_str), Some("w"), "a tie goes to the smallest id");
    }
}
