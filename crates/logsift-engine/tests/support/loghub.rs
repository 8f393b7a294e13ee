//! The bundled Loghub-2k samples (tests/data/loghub-2k, Loghub licence kept there).

#[path = "csv.rs"]
mod csv;

use std::path::Path;

pub const SYSTEMS: [&str; 10] =
    ["Apache", "HDFS", "Hadoop", "HealthApp", "Linux", "OpenSSH", "Proxifier", "Spark", "Windows", "Zookeeper"];

/// The Content and EventTemplate columns of one system's structured CSV, in LineId order.
pub fn load(system: &str) -> Vec<(String, String)> {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../tests/data/loghub-2k")
        .join(system)
        .join(format!("{system}_2k.log_structured_corrected.csv"));
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let mut rows = csv::parse_csv(&text);
    let header = rows.remove(0);
    let col = |name: &str| header.iter().position(|h| h == name).unwrap();
    let (id, content, template) = (col("LineId"), col("Content"), col("EventTemplate"));
    rows.sort_by_key(|r| r[id].parse::<u64>().unwrap());
    rows.into_iter().map(|r| (r[content].clone(), r[template].clone())).collect()
}
