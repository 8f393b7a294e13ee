//! Writing back: `logsift.*` fields into log documents ([`bulk_update`]), exact cluster
//! documents into the cluster index ([`clusters`]), and the index set-up both rely on ([`setup`]).

pub mod bulk_update;
pub mod clusters;
pub mod setup;

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
