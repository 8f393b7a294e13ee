//! Rebuilding the engine from the labelled documents when its snapshot is missing or unusable
//! (an engine upgrade that changed the snapshot format, a lost state index).
//!
//! Ids are born counting up from 1, and the same input order gives the same ids; so feeding one
//! member message of each cluster, in id order, to a fresh engine gives every cluster back its id.
//! Each step is checked; if an id would come out differently (ids with gaps, a message that now
//! joins an earlier cluster) the rebuild is refused rather than risk two clusters sharing an id.

use crate::engine::{ClusterId, EngineConfig, Miner};
use crate::ids::parse_cluster_key;
use crate::message::Extractor;
use serde_json::Value;

/// Replays `(cluster key, example _source)` pairs; the error says why ids would not be kept.
pub fn replay(
    cfg: EngineConfig,
    source: &str,
    extractor: &Extractor,
    examples: Vec<(String, Value)>,
) -> Result<Miner, String> {
    let mut by_id: Vec<(u64, String)> = Vec::with_capacity(examples.len());
    for (key, src) in examples {
        let id = parse_cluster_key(source, &key).ok_or_else(|| format!("`{key}` is not an id of source `{source}`"))?;
        let msg = extractor.extract(&src).map_err(|e| format!("example of {key}: {e}"))?;
        by_id.push((id.0, msg.into_owned()));
    }
    by_id.sort();
    let mut miner = Miner::new(cfg).map_err(|e| e.to_string())?;
    for (expected, (id, msg)) in (1u64..).zip(&by_id) {
        if *id != expected {
            return Err(format!("cluster ids have a gap before {source}-{id}"));
        }
        let got = miner.add(msg).cluster_id;
        if got != ClusterId(*id) {
            return Err(format!("example of {source}-{id} came out as {source}-{got}"));
        }
    }
    Ok(miner)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::message::ExtractConfig;
    use serde_json::json;

    #[test]
    fn replay_keeps_ids_or_refuses() {
        let ex = Extractor::new(&ExtractConfig::default()).unwrap();
        let mut m = Miner::new(EngineConfig::default()).unwrap();
        let lines = ["open file a.txt", "user bob logged in", "disk full on sda", "open file b.txt"];
        let ids: Vec<u64> = lines.iter().map(|l| m.add(l).cluster_id.0).collect();
        // One example per cluster, in scrambled order.
        let mut examples: Vec<(String, Value)> =
            lines.iter().zip(&ids).rev().map(|(l, id)| (format!("s-{id}"), json!({"message": l}))).collect();
        examples.dedup_by(|a, b| a.0 == b.0);
        let r = replay(EngineConfig::default(), "s", &ex, examples.clone()).unwrap();
        for (l, id) in lines.iter().zip(&ids) {
            assert_eq!(r.classify(l), Some(ClusterId(*id)), "{l}");
        }
        // A gap is refused.
        examples.retain(|(k, _)| k != "s-1");
        assert!(replay(EngineConfig::default(), "s", &ex, examples).unwrap_err().contains("gap"));
    }
}
