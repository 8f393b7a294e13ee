//! The one paging reader, for the sidecar and the jobs: one task per slice pages through the
//! documents of a [`SearchSpec`] and hands each page to a bounded channel (it fetches the next page
//! only after the current one is handed off). Every scroll/PIT it opens is closed, also on errors
//! and shutdown; each task holds a [`Shutdown`] listener, so its owner's controller waits for it.

use crate::es::search::{Hit, Pager, PagingMode, SearchSpec};
use crate::es::{EsClient, EsError, ServerInfo};
use crate::shutdown::Shutdown;
use tokio::sync::mpsc;
use tracing::{debug, warn};

/// What the reader hands to the pipeline.
#[derive(Debug)]
pub enum ReadEvent {
    Page(Vec<Hit>),
    /// A slice stopped reading (index gone, server refused); the others go on.
    Failed {
        slice: u32,
        error: EsError,
    },
}

/// Starts `slices` reader tasks; the channel closes when all are done.
pub fn spawn_readers(
    client: &EsClient,
    info: &ServerInfo,
    spec: SearchSpec,
    mode: PagingMode,
    slices: u32,
    queue_pages: usize,
    shutdown: Shutdown,
) -> mpsc::Receiver<ReadEvent> {
    let (tx, rx) = mpsc::channel(queue_pages);
    for slice in 0..slices {
        let mut spec = spec.clone();
        if slices > 1 {
            spec.slice = Some((slice, slices));
        }
        let (client, info, tx, shutdown) = (client.clone(), info.clone(), tx.clone(), shutdown.clone());
        tokio::spawn(async move {
            // The listener moves into the task: the controller waits until the pager is closed.
            if let Err(error) = read_slice(&client, &info, spec, mode, &tx, shutdown).await {
                warn!(slice, error = %error, "reading stopped");
                let _ = tx.send(ReadEvent::Failed { slice, error }).await;
            }
        });
    }
    rx
}

async fn read_slice(
    client: &EsClient,
    info: &ServerInfo,
    spec: SearchSpec,
    mode: PagingMode,
    tx: &mpsc::Sender<ReadEvent>,
    mut shutdown: Shutdown,
) -> Result<(), EsError> {
    let mut pager = Pager::open(client, spec, mode, info).await?;
    let result = async {
        loop {
            if shutdown.is_shutdown() {
                return Ok(());
            }
            let page = tokio::select! {
                p = pager.next_page() => p?,
                _ = shutdown.recv() => return Ok(()),
            };
            if page.is_empty() {
                return Ok(());
            }
            debug!(n = page.len(), "page read");
            if tx.send(ReadEvent::Page(page)).await.is_err() {
                return Ok(()); // the pipeline stopped
            }
        }
    }
    .await;
    pager.close().await;
    result
}
