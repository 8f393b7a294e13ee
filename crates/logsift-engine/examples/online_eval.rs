//! Predictions of the default online miner on labelled systems, in the format of
//! `../shared/tools/eval.py` (`LineId,ClusterId,Template`).
//!
//!     cargo run --release --example online_eval -- ../shared/data/loghub-2k /tmp/pred [2k|full]
//!     python3 ../shared/tools/eval.py --truth ../shared/data/loghub-2k --pred /tmp/pred
//!
//! Each system's `Content` column (`<S>/<S>_2k.log_structured_corrected.csv`, or `_full`)
//! is fed to one default [`Miner`] in `LineId` order. A line gets the id of the cluster it
//! was assigned and the cluster's final template (after all lines); a cluster later merged
//! into another gets the surviving cluster's id and template.

#[path = "../tests/support/csv.rs"]
mod csv;
#[path = "support/truth.rs"]
mod truth;

use logsift_engine::{EngineConfig, Miner};
use std::fmt::Write as _;
use std::path::{Path, PathBuf};

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    if args.len() < 2 || args.len() > 3 {
        eprintln!("usage: online_eval TRUTH_DIR OUT_DIR [2k|full]");
        std::process::exit(2);
    }
    let (truth, out) = (Path::new(&args[0]), PathBuf::from(&args[1]));
    let size = args.get(2).map_or("2k", |s| s.as_str());
    std::fs::create_dir_all(&out).unwrap_or_else(|e| fail(&format!("{}: {e}", out.display())));
    for (name, lines) in truth::systems(truth, size).unwrap_or_else(|e| fail(&e)) {
        let mut miner = Miner::new(EngineConfig::default()).unwrap_or_else(|e| fail(&e.to_string()));
        let ids: Vec<_> = lines.iter().map(|(_, c)| miner.add(c).cluster_id).collect();
        let mut csv = String::from("LineId,ClusterId,Template\n");
        for ((line_id, _), id) in lines.iter().zip(&ids) {
            let id = miner.resolve(*id);
            let template = miner.template(id).unwrap_or_default();
            let _ = writeln!(csv, "{line_id},{id},{}", quote(&template));
        }
        eprintln!("{name}: {} lines, {} clusters, {} merged", lines.len(), miner.len(), miner.merges().len());
        std::fs::write(out.join(format!("{name}.csv")), csv).unwrap_or_else(|e| fail(&e.to_string()));
    }
}

fn fail(msg: &str) -> ! {
    eprintln!("online_eval: {msg}");
    std::process::exit(1)
}

fn quote(field: &str) -> String {
    if field.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", field.replace('"', "\"\""))
    } else {
        field.to_string()
    }
}
