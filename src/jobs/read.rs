//! Reading a source's documents for a job through the one paging reader (`es::reader`, one
//! scroll over the source's indices: the source's query plus the job's own filters), page by
//! page, checking for cancellation between pages. Shared by `reindex` and `remine`, which keep
//! what they need of each hit.

use super::record::RunCounts;
use super::{Cancel, JobContext, JobError};
use crate::es::reader::{spawn_readers, ReadEvent};
use crate::es::search::{Hit, PagingMode, SearchSpec};
use crate::shutdown::ShutdownController;
use serde_json::{json, Value};

/// Hands every document of the source matching the source's query and `filters` to `keep`,
/// counting them in `documents_read`. The reader is stopped (its scroll closed) whatever happens.
pub async fn read_all(
    ctx: &JobContext,
    filters: Vec<Value>,
    counts: &mut RunCounts,
    cancel: &Cancel,
    mut keep: impl FnMut(Hit),
) -> Result<(), JobError> {
    let query = json!({"bool": {"filter": ctx.source.query.iter().cloned().chain(filters).collect::<Vec<Value>>()}});
    let info = ctx.client.server_info().await?;
    let spec =
        SearchSpec { indices: ctx.source.index_expr(), query, source_fields: Vec::new(), page_size: 1000, slice: None };
    let stop = ShutdownController::new();
    let mut pages = spawn_readers(&ctx.client, &info, spec, PagingMode::Scroll, 1, 1, stop.listener());
    let result = loop {
        if cancel.is_cancelled() {
            break Err(JobError::Cancelled);
        }
        match pages.recv().await {
            None => break Ok(()),
            Some(ReadEvent::Failed { error, .. }) => break Err(error.into()),
            Some(ReadEvent::Page(page)) => {
                counts.documents_read += page.len() as u64;
                page.into_iter().for_each(&mut keep);
            }
        }
    };
    drop(pages);
    stop.shutdown().await;
    result
}
