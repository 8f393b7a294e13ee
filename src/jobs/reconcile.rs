//! Pure reconciliation of a batch mining result with the clusters documents already carry.
//!
//! Rules, in order, for each batch cluster `b` with template `T`:
//! 1. **same template**: an existing cluster whose template is exactly `T` keeps its id;
//! 2. **same members**: otherwise the existing id most of `b`'s documents carry keeps its id, if
//!    `b` is also where most of that id's documents went (mutual plurality) and no other batch
//!    cluster took it;
//! 3. otherwise `b` gets a new id, derived from its template (stable: re-running the job on the
//!    same documents gives the same ids, so a killed run restarted ends in the same state).
//!
//! An existing id kept by no batch cluster whose documents went mostly into one batch cluster is
//! reported as merged into that cluster's id. Outliers (no batch cluster) keep their current
//! cluster and are flagged `outlier`.

use std::collections::{BTreeMap, HashMap};

/// What a batch cluster became.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ClusterFate {
    pub id: String,
    pub kept: bool,
}

#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Reconciled {
    /// For each batch cluster (same index as the batch result's clusters).
    pub fates: Vec<ClusterFate>,
    /// Existing ids absorbed by another cluster: `(old id, id merged into)`, sorted.
    pub merged: Vec<(String, String)>,
}

/// A stable id for a new cluster of `source` with `template` (FNV-1a of the template).
pub fn new_cluster_id(source: &str, algorithm: &str, template: &str) -> String {
    let mut h: u64 = 0xcbf29ce484222325;
    for b in template.as_bytes() {
        h ^= *b as u64;
        h = h.wrapping_mul(0x100000001b3);
    }
    format!("{source}-{algorithm}-{h:016x}")
}

/// `templates`: batch cluster templates; `assignments`: per document, its batch cluster or `None`
/// (outlier); `current`: per document, the cluster id it carries now; `existing`: id → template
/// of the clusters known before this run; `new_id`: the id of a new cluster with this template.
pub fn reconcile(
    templates: &[String],
    assignments: &[Option<usize>],
    current: &[Option<String>],
    existing: &HashMap<String, String>,
    new_id: impl Fn(&str) -> String,
) -> Reconciled {
    let n = templates.len();
    // overlap[b][id] = documents of batch cluster b carrying id; where[id][b] likewise.
    let mut overlap: Vec<BTreeMap<&str, u64>> = vec![BTreeMap::new(); n];
    let mut where_: BTreeMap<&str, BTreeMap<usize, u64>> = BTreeMap::new();
    for (a, c) in assignments.iter().zip(current) {
        if let (Some(b), Some(id)) = (a, c.as_deref()) {
            if *b < n {
                *overlap[*b].entry(id).or_default() += 1;
                *where_.entry(id).or_default().entry(*b).or_default() += 1;
            }
        }
    }
    let best =
        |m: &BTreeMap<&str, u64>| m.iter().max_by(|x, y| x.1.cmp(y.1).then(y.0.cmp(x.0))).map(|(k, _)| k.to_string());
    let home = |id: &str| -> Option<usize> {
        where_.get(id)?.iter().max_by(|x, y| x.1.cmp(y.1).then(y.0.cmp(x.0))).map(|(b, _)| *b)
    };
    let mut by_template: HashMap<&str, Vec<&str>> = HashMap::new();
    for (id, t) in existing {
        by_template.entry(t.as_str()).or_default().push(id.as_str());
    }
    let mut fates: Vec<Option<ClusterFate>> = vec![None; n];
    let mut taken: HashMap<String, usize> = HashMap::new();
    // 1. Same template.
    for (b, t) in templates.iter().enumerate() {
        if let Some(ids) = by_template.get(t.as_str()) {
            let mut ids = ids.clone();
            ids.sort_by_key(|id| (std::cmp::Reverse(overlap[b].get(id).copied().unwrap_or(0)), id.to_string()));
            if let Some(id) = ids.into_iter().find(|id| !taken.contains_key(*id)) {
                taken.insert(id.to_string(), b);
                fates[b] = Some(ClusterFate { id: id.to_string(), kept: true });
            }
        }
    }
    // 2. Same members (mutual plurality).
    for b in 0..n {
        if fates[b].is_some() {
            continue;
        }
        if let Some(id) = best(&overlap[b]) {
            if !taken.contains_key(&id) && home(&id) == Some(b) {
                taken.insert(id.clone(), b);
                fates[b] = Some(ClusterFate { id, kept: true });
            }
        }
    }
    // 3. New clusters.
    let fates: Vec<ClusterFate> = fates
        .into_iter()
        .enumerate()
        .map(|(b, f)| f.unwrap_or_else(|| ClusterFate { id: new_id(&templates[b]), kept: false }))
        .collect();
    let mut merged: Vec<(String, String)> = where_
        .keys()
        .filter(|id| !taken.contains_key(**id))
        .filter_map(|id| home(id).map(|b| (id.to_string(), fates[b].id.clone())))
        .filter(|(old, new)| old != new)
        .collect();
    merged.sort();
    Reconciled { fates, merged }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn s(v: &[&str]) -> Vec<String> {
        v.iter().map(|x| x.to_string()).collect()
    }
    fn ids(v: &[Option<&str>]) -> Vec<Option<String>> {
        v.iter().map(|x| x.map(str::to_string)).collect()
    }

    #[test]
    fn same_template_keeps_the_id_even_with_other_members() {
        let existing =
            HashMap::from([("c1".to_string(), "a <*>".to_string()), ("c2".to_string(), "b <*>".to_string())]);
        let r = reconcile(
            &s(&["b <*>", "a <*>"]),
            &[Some(1), Some(0), None],
            &ids(&[Some("c9"), Some("c9"), Some("c1")]),
            &existing,
            |t| format!("new:{t}"),
        );
        assert_eq!(
            r.fates,
            vec![ClusterFate { id: "c2".into(), kept: true }, ClusterFate { id: "c1".into(), kept: true }]
        );
    }

    #[test]
    fn members_keep_the_id_when_the_template_generalised_and_merges_are_reported() {
        let existing =
            HashMap::from([("c1".to_string(), "user alice".to_string()), ("c2".to_string(), "user bob".to_string())]);
        // c1 and c2 both went into batch cluster 0 ("user <*>"): c1 (more documents) keeps its
        // id, c2 is merged into it. Batch cluster 1 is new.
        let r = reconcile(
            &s(&["user <*>", "disk full"]),
            &[Some(0), Some(0), Some(0), Some(1), None],
            &ids(&[Some("c1"), Some("c1"), Some("c2"), None, Some("c2")]),
            &existing,
            |t| new_cluster_id("ssh", "lc", t),
        );
        assert_eq!(r.fates[0], ClusterFate { id: "c1".into(), kept: true });
        assert_eq!(r.fates[1], ClusterFate { id: new_cluster_id("ssh", "lc", "disk full"), kept: false });
        assert_eq!(r.merged, vec![("c2".to_string(), "c1".to_string())]);
    }

    #[test]
    fn a_split_cluster_keeps_its_id_once() {
        let r = reconcile(
            &s(&["x <*>", "y <*>"]),
            &[Some(0), Some(0), Some(1)],
            &ids(&[Some("c1"), Some("c1"), Some("c1")]),
            &HashMap::new(),
            |t| format!("new:{t}"),
        );
        assert_eq!(r.fates[0], ClusterFate { id: "c1".into(), kept: true });
        assert_eq!(r.fates[1], ClusterFate { id: "new:y <*>".into(), kept: false });
        assert!(r.merged.is_empty());
        // Stable ids: the same input gives the same answer.
        assert_eq!(new_cluster_id("s", "lc", "y <*>"), new_cluster_id("s", "lc", "y <*>"));
        assert_ne!(new_cluster_id("s", "lc", "y <*>"), new_cluster_id("s", "lc", "x <*>"));
    }
}
