//! A miner restored from its snapshot goes on exactly as the miner it was taken from: the
//! sidecar saves the engine after each batch and a restarted sidecar continues from it, so a
//! crash must not change which cluster any later message gets (issue 13, D8).

#[path = "support/loghub.rs"]
mod loghub;

use logsift_engine::{EngineConfig, Miner};

/// Every bundled line, the systems interleaved in blocks so that buckets of several systems
/// grow at once.
fn lines() -> Vec<String> {
    let per: Vec<Vec<String>> =
        loghub::SYSTEMS.iter().map(|s| loghub::load(s).into_iter().map(|(c, _)| c).collect()).collect();
    let mut out = Vec::new();
    let longest = per.iter().map(Vec::len).max().unwrap_or(0);
    for start in (0..longest).step_by(97) {
        for sys in &per {
            out.extend(sys.iter().skip(start).take(97).cloned());
        }
    }
    out
}

fn assignments(every: Option<usize>, lines: &[String]) -> (Vec<u64>, Vec<String>) {
    let mut m = Miner::new(EngineConfig::default()).unwrap();
    let mut ids = Vec::with_capacity(lines.len());
    for (i, l) in lines.iter().enumerate() {
        if every.is_some_and(|k| i > 0 && i % k == 0) {
            m = Miner::restore(m.snapshot()).unwrap();
        }
        ids.push(m.add(l).cluster_id.0);
    }
    let templates = m.clusters().into_iter().map(|c| format!("{} {}", c.id.0, c.template)).collect();
    (ids, templates)
}

#[test]
fn restoring_from_a_snapshot_changes_no_later_assignment() {
    let lines = lines();
    let (ids, templates) = assignments(None, &lines);
    for every in [1_000, 333, 57] {
        let (again, t) = assignments(Some(every), &lines);
        let first = ids.iter().zip(&again).position(|(a, b)| a != b);
        assert_eq!(
            first,
            None,
            "restored every {every}: first difference at line {first:?}: {:?}",
            first.map(|i| &lines[i])
        );
        assert_eq!(templates, t, "restored every {every}: templates differ");
    }
}
