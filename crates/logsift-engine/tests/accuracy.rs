//! Template accuracy of the default online miner on the bundled Loghub-2k samples
//! (tests/data/loghub-2k, Loghub licence kept there), with the metrics of
//! ../shared/tools/eval.py: GA, PA and FGA, averaged over the ten systems.
//! One default configuration serves every system.

#[path = "support/loghub.rs"]
mod loghub;
use loghub::{load, SYSTEMS};

use logsift_engine::{ClusterId, EngineConfig, Miner};
use std::collections::{HashMap, HashSet};

/// GA, PA, FGA for one system.
fn score(truth: &[String], ids: &[ClusterId], templates: &[String]) -> (f64, f64, f64) {
    let mut tg: HashMap<&str, HashSet<usize>> = HashMap::new();
    let mut pg: HashMap<ClusterId, HashSet<usize>> = HashMap::new();
    for (i, (t, p)) in truth.iter().zip(ids).enumerate() {
        tg.entry(t).or_default().insert(i);
        pg.entry(*p).or_default().insert(i);
    }
    let exact: Vec<&HashSet<usize>> = pg.values().filter(|g| tg.values().any(|t| t == *g)).collect();
    let n = truth.len() as f64;
    let ga = exact.iter().map(|g| g.len()).sum::<usize>() as f64 / n;
    let pa = (0..truth.len()).filter(|&i| templates[i] == truth[i]).count() as f64 / n;
    let (p, r) = (exact.len() as f64 / pg.len() as f64, exact.len() as f64 / tg.len() as f64);
    let fga = if p + r > 0.0 { 2.0 * p * r / (p + r) } else { 0.0 };
    (ga, pa, fga)
}

#[test]
fn default_miner_meets_the_accuracy_bars_on_ten_systems() {
    let mut sums = (0.0, 0.0, 0.0);
    for system in SYSTEMS {
        let rows = load(system);
        assert_eq!(rows.len(), 2000, "{system}");
        let mut miner = Miner::new(EngineConfig::default()).unwrap();
        let ids: Vec<ClusterId> = rows.iter().map(|(c, _)| miner.add(c).cluster_id).collect();
        let templates: Vec<String> = ids.iter().map(|&id| miner.template(id).unwrap()).collect();
        let truth: Vec<String> = rows.into_iter().map(|(_, t)| t).collect();
        let (ga, pa, fga) = score(&truth, &ids, &templates);
        eprintln!("{system:<10} GA={ga:.3} PA={pa:.3} FGA={fga:.3}");
        sums = (sums.0 + ga, sums.1 + pa, sums.2 + fga);
    }
    let k = SYSTEMS.len() as f64;
    let (ga, pa, fga) = (sums.0 / k, sums.1 / k, sums.2 / k);
    eprintln!("AVG GA={ga:.3} PA={pa:.3} FGA={fga:.3}");
    assert!(ga >= 0.95, "GA {ga:.3} < 0.95");
    assert!(pa >= 0.75, "PA {pa:.3} < 0.75");
    assert!(fga >= 0.90, "FGA {fga:.3} < 0.90");
}

#[test]
fn resuming_from_a_snapshot_assigns_exactly_what_one_run_does() {
    for system in ["OpenSSH", "Hadoop", "Proxifier"] {
        let lines: Vec<String> = load(system).into_iter().map(|(c, _)| c).collect();
        let mut whole = Miner::new(EngineConfig::default()).unwrap();
        let want: Vec<ClusterId> = lines.iter().map(|l| whole.add(l).cluster_id).collect();
        let mut got = Vec::new();
        let mut miner = Miner::new(EngineConfig::default()).unwrap();
        for chunk in lines.chunks(333) {
            got.extend(chunk.iter().map(|l| miner.add(l).cluster_id));
            let json = serde_json::to_string(&miner.snapshot()).unwrap();
            miner = Miner::restore(serde_json::from_str(&json).unwrap()).unwrap();
        }
        assert_eq!(got, want, "{system}");
        assert_eq!(miner.clusters(), whole.clusters(), "{system}");
    }
}
