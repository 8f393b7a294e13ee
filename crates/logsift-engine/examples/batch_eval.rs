//! Predictions of the batch miners (SLCT, LogCluster) on the labelled loghub-2k systems,
//! in the format of `../shared/tools/eval.py` (`LineId,ClusterId,Template`).
//!
//!     cargo run --release -p logsift-engine --example batch_eval -- slct 0.5% ../shared/data/loghub-2k /tmp/pred
//!     python3 ../shared/tools/eval.py --truth ../shared/data/loghub-2k --pred /tmp/pred
//!
//! Each system's `Content` column is read in `LineId` order and mined with the default
//! masker. A line of a cluster gets the cluster's id and template; an outlier gets an id
//! of its own (`o<LineId>`) and its masked text as template.

#[path = "../tests/support/csv.rs"]
mod csv;
#[path = "support/truth.rs"]
mod truth;

use logsift_engine::{logcluster, slct, MaskConfig, Masker, Support};
use std::fmt::Write as _;
use std::path::{Path, PathBuf};

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    if args.len() != 4 {
        eprintln!("usage: batch_eval slct|logcluster|logcluster-aggrsup SUPPORT TRUTH_DIR OUT_DIR");
        std::process::exit(2);
    }
    let (algorithm, truth, out) = (args[0].as_str(), Path::new(&args[2]), PathBuf::from(&args[3]));
    let support = Support::parse(&args[1]).unwrap_or_else(|e| fail(&e.to_string()));
    let masker = Masker::new(&MaskConfig::default()).unwrap_or_else(|e| fail(&e.to_string()));
    std::fs::create_dir_all(&out).unwrap_or_else(|e| fail(&format!("{}: {e}", out.display())));
    for (name, lines) in truth::systems(truth, "2k").unwrap_or_else(|e| fail(&e)) {
        let contents: Vec<&str> = lines.iter().map(|(_, c)| c.as_str()).collect();
        let result = match algorithm {
            "slct" => slct::mine(&contents, &masker, support),
            "logcluster" => logcluster::mine(&contents, &masker, support),
            "logcluster-aggrsup" => {
                let options = logcluster::LogClusterOptions { aggregate_supports: true };
                logcluster::mine_with(&contents, &masker, support, options).result
            }
            other => fail(&format!("unknown algorithm `{other}`")),
        };
        let mut csv = String::from("LineId,ClusterId,Template\n");
        for ((line_id, content), assignment) in lines.iter().zip(&result.assignments) {
            let (cid, template) = match assignment {
                Some(c) => (result.clusters[*c].id.to_string(), result.clusters[*c].template.clone()),
                None => (format!("o{line_id}"), masker.masked_tokens(content).join(" ")),
            };
            let _ = writeln!(csv, "{line_id},{cid},{}", quote(&template));
        }
        let n_out = result.outliers().count();
        eprintln!("{name}: {} lines, {} clusters, {n_out} outliers", lines.len(), result.clusters.len());
        std::fs::write(out.join(format!("{name}.csv")), csv).unwrap_or_else(|e| fail(&e.to_string()));
    }
}

fn fail(msg: &str) -> ! {
    eprintln!("batch_eval: {msg}");
    std::process::exit(1)
}

fn quote(field: &str) -> String {
    if field.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", field.replace('"', "\"\""))
    } else {
        field.to_string()
    }
}
