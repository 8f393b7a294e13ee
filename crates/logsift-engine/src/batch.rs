//! Types shared by the batch miners ([`super::slct`], [`super::logcluster`]).

use super::{ClusterId, ConfigError};

/// The support threshold of a batch miner: an absolute count of lines, or a
/// percentage of the input's lines (rounded up, at least 1).
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Support {
    Count(u64),
    Percent(f64),
}

impl Support {
    /// Parses `N` or `P%`.
    pub fn parse(s: &str) -> Result<Support, ConfigError> {
        let s = s.trim();
        let bad = || ConfigError::new("support", format!("`{s}` is not a count (e.g. 10) or a percentage (e.g. 0.5%)"));
        if let Some(p) = s.strip_suffix('%') {
            let p: f64 = p.trim().parse().map_err(|_| bad())?;
            if !(p > 0.0 && p <= 100.0) {
                return Err(ConfigError::new("support", format!("percentage {p} must be in (0, 100]")));
            }
            Ok(Support::Percent(p))
        } else {
            let n: u64 = s.parse().map_err(|_| bad())?;
            if n == 0 {
                return Err(ConfigError::new("support", "a count must be at least 1"));
            }
            Ok(Support::Count(n))
        }
    }

    /// The absolute threshold for an input of `n_lines` lines.
    pub fn threshold(&self, n_lines: usize) -> u64 {
        match *self {
            Support::Count(n) => n,
            Support::Percent(p) => ((p / 100.0 * n_lines as f64).ceil() as u64).max(1),
        }
    }
}

/// One cluster found by a batch miner.
#[derive(Clone, Debug, PartialEq)]
pub struct BatchCluster {
    pub id: ClusterId,
    /// Constant words and `<*>` wildcards, joined by single spaces.
    pub template: String,
    /// How many input lines the cluster holds.
    pub size: usize,
}

/// The outcome of a batch run: the clusters, and for each input line (in input
/// order) the index into `clusters` of its cluster, or `None` for an outlier.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct BatchResult {
    pub clusters: Vec<BatchCluster>,
    pub assignments: Vec<Option<usize>>,
}

impl BatchResult {
    /// The indices of the input lines that belong to no cluster.
    pub fn outliers(&self) -> impl Iterator<Item = usize> + '_ {
        self.assignments.iter().enumerate().filter(|(_, a)| a.is_none()).map(|(i, _)| i)
    }
}
