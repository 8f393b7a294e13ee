//! logsift's own use of the search server, shared by the sidecar and the jobs: writing
//! `logsift.*` fields back into log documents ([`bulk_update`]), exact cluster documents in the
//! cluster index ([`clusters`]), checkpoints and engine snapshots in the state index ([`state`]),
//! and the index set-up all of them rely on ([`setup`]); counts per cluster in a time range and
//! comparisons of two periods ([`range`]). Requests go through `es`.

pub mod annotations;
pub mod audit;
pub mod bulk_update;
pub mod clusters;
pub mod range;
pub mod setup;
pub mod state;

pub use bulk_update::{BulkUpdateSink, WriteReport};
pub use clusters::{ClusterDoc, ClusterIndexSink};

use crate::es::EsError;

#[derive(Debug, thiserror::Error)]
pub enum SinkError {
    #[error(transparent)]
    Es(#[from] EsError),
    #[error("{n} bulk items still failing after {attempts} attempts: {first}")]
    ItemsExhausted { n: usize, attempts: u32, first: String },
}

impl SinkError {
    pub fn is_retriable(&self) -> bool {
        match self {
            SinkError::Es(e) => e.is_retriable(),
            SinkError::ItemsExhausted { .. } => true,
        }
    }
}
