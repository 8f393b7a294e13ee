//! SLCT (Vaarandi 2003). PROVISIONAL stub: being written.
use super::{BatchResult, Masker, Support};

pub fn mine(_lines: &[&str], _masker: &Masker, _support: Support) -> BatchResult {
    BatchResult::default()
}
