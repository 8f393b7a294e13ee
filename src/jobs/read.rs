//! Reading a source's documents for a job: one scroll over the source's indices (the source's
//! query plus the job's own filters), page by page, checking for cancellation between pages.
//! Shared by `reindex` and `remine`, which keep what they need of each hit.

use super::record::RunCounts;
use super::{Cancel, JobContext, JobError};
use crate::es::search::{Hit, Pager, PagingMode, SearchSpec};
use serde_json::{json, Value};

/// Hands every document of the source matching the source's query and `filters` to `keep`,
/// counting them in `documents_read`. The scroll is closed whatever happens.
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
    let mut pager = Pager::open(&ctx.client, spec, PagingMode::Scroll, &info).await?;
    let result = async {
        loop {
            if cancel.is_cancelled() {
                return Err(JobError::Cancelled);
            }
            let page = pager.next_page().await?;
            if page.is_empty() {
                return Ok(());
            }
            counts.documents_read += page.len() as u64;
            page.into_iter().for_each(&mut keep);
        }
    }
    .await;
    pager.close().await;
    result
}
