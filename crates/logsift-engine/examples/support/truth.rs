//! The labelled systems of a truth directory in the Loghub layout (`<S>/<S>_<size>.log_structured_corrected.csv`),
//! for the examples that write predictions for `../shared/tools/eval.py`. Each system's `Content`
//! column in `LineId` order; systems without such a file are left out. Needs `crate::csv`.

use crate::csv::parse_csv;
use std::path::{Path, PathBuf};

/// One system: its name and its `(LineId, Content)` lines in `LineId` order.
pub type System = (String, Vec<(u64, String)>);

/// Every system of `truth`, sorted by name.
pub fn systems(truth: &Path, size: &str) -> Result<Vec<System>, String> {
    let mut dirs: Vec<PathBuf> = std::fs::read_dir(truth)
        .map_err(|e| format!("{}: {e}", truth.display()))?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.is_dir())
        .collect();
    dirs.sort();
    let mut out = Vec::new();
    for dir in dirs {
        let name = dir.file_name().unwrap().to_string_lossy().to_string();
        let csv_path = dir.join(format!("{name}_{size}.log_structured_corrected.csv"));
        let Ok(text) = std::fs::read_to_string(&csv_path) else { continue };
        let mut rows = parse_csv(&text);
        let header = rows.remove(0);
        let col = |c: &str| header.iter().position(|h| h == c).ok_or_else(|| format!("{}: no {c}", csv_path.display()));
        let (id_col, content_col) = (col("LineId")?, col("Content")?);
        let mut lines = Vec::with_capacity(rows.len());
        for r in rows.into_iter().filter(|r| r.len() > content_col) {
            let id: u64 = r[id_col].parse().map_err(|_| format!("{}: bad LineId", csv_path.display()))?;
            lines.push((id, r[content_col].clone()));
        }
        lines.sort_by_key(|(id, _)| *id);
        out.push((name, lines));
    }
    Ok(out)
}
