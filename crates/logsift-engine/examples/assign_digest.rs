//! A digest of what the default online miner does with every line of a file: each line's
//! cluster id and change, every merge, and every final template, hashed (FNV-1a). Two builds
//! that print the same digest on a corpus assigned it identically; for checking that a
//! speed change changes no output on a large corpus.
//!
//!     cargo run --release -p logsift-engine --example assign_digest -- /tmp/corpus_1M.txt

use logsift_engine::{Change, EngineConfig, Miner};

fn main() {
    let path = std::env::args().nth(1).unwrap_or_else(|| {
        eprintln!("usage: assign_digest FILE");
        std::process::exit(2)
    });
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| {
        eprintln!("assign_digest: {path}: {e}");
        std::process::exit(1)
    });
    let mut h = 0xcbf2_9ce4_8422_2325u64;
    let mut feed = |bytes: &[u8]| {
        for &b in bytes {
            h = (h ^ b as u64).wrapping_mul(0x0100_0000_01b3);
        }
    };
    let mut miner = Miner::new(EngineConfig::default()).expect("default config is valid");
    let mut lines = 0u64;
    for line in text.lines() {
        let a = miner.add(line);
        let change = match a.change {
            Change::Created => 0u8,
            Change::Generalized => 1,
            Change::Unchanged => 2,
        };
        feed(&a.cluster_id.0.to_le_bytes());
        feed(&[change]);
        lines += 1;
    }
    for (from, into) in miner.merges() {
        feed(&from.0.to_le_bytes());
        feed(&into.0.to_le_bytes());
    }
    let clusters = miner.clusters();
    for c in &clusters {
        feed(&c.id.0.to_le_bytes());
        feed(c.template.as_bytes());
        feed(&c.size.to_le_bytes());
    }
    println!(
        "{lines} lines, {} clusters, {} merges, line memo {} hits, digest {h:016x}",
        clusters.len(),
        miner.merges().len(),
        miner.line_memo_hits()
    );
}
