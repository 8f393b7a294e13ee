//! Serving the API and running the scheduled jobs inside `logsift run`: the sidecar's live miner
//! behind `/v1/classify`, its counters mirrored into `/metrics`, `/health` probing the search
//! server, and the declared jobs on their schedules. Both stop on the sidecar's shutdown signal.

use super::state::{ApiState, SearchProbe, SourceEndpoint};
use super::{ApiServer, ServeError};
use crate::config::Config;
use crate::es::EsClient;
use crate::jobs::scheduler::JobRunner;
use crate::jobs::JobContext;
use crate::metrics::Metrics;
use crate::pipeline::Sidecar;
use crate::source::extract::Extractor;
use std::sync::Arc;
use tokio::sync::watch;
use tokio::task::JoinHandle;

/// Binds the API (when enabled) and starts it and the job scheduler; the returned tasks end
/// after `shutdown` turns true. A port that cannot be bound is logged; labelling goes on.
pub async fn spawn_for_sidecar(
    cfg: &Config,
    client: EsClient,
    sidecar: &Sidecar,
    shutdown: watch::Receiver<bool>,
) -> Result<Vec<JoinHandle<()>>, ServeError> {
    let metrics = Metrics::new();
    let mut tasks = Vec::new();
    let runner = match JobContext::from_config(cfg, "", client.clone(), metrics.clone()) {
        Ok(ctx) => Some(JobRunner::new(ctx, cfg.jobs.clone())),
        Err(error) => {
            tracing::warn!(%error, "jobs disabled");
            None
        }
    };
    if let Some(r) = &runner {
        if r.specs().iter().any(|s| s.schedule.is_some()) {
            tasks.push(tokio::spawn(Arc::clone(r).run_schedules(shutdown.clone())));
        }
    }
    let Some(api) = cfg.api.clone() else { return Ok(tasks) };
    let extractor =
        Extractor::new(&cfg.source.extract).map_err(|e| ServeError::Io(std::io::Error::other(e.to_string())))?;
    let probe_client = client.clone();
    let probe: SearchProbe = Arc::new(move || {
        let c = probe_client.clone();
        Box::pin(async move { c.server_info().await.map(drop).map_err(|e| e.to_string()) })
    });
    let mut b = ApiState::builder(api, metrics)
        .source(SourceEndpoint::for_sidecar(&cfg.source.name, sidecar.miner.clone(), Arc::new(extractor)))
        .search_probe(probe)
        .cluster_index(client.clone(), cfg.clusters_index.clone())
        .collector(mirror_sidecar_metrics(cfg.source.name.clone(), sidecar.metrics.clone(), client));
    if let Some(r) = runner {
        b = b.jobs(r);
    }
    // A busy port must not stop the labelling: the API is an add-on of the sidecar.
    let server = match ApiServer::bind(b.build()).await {
        Ok(s) => s,
        Err(error) => {
            tracing::error!(%error, "api not started; the sidecar goes on without it");
            return Ok(tasks);
        }
    };
    let mut stop = shutdown;
    tasks.push(tokio::spawn(async move {
        let signal = async move {
            while !*stop.borrow() {
                if stop.changed().await.is_err() {
                    break;
                }
            }
        };
        if let Err(error) = server.run(signal).await {
            tracing::error!(%error, "api server failed");
        }
    }));
    Ok(tasks)
}

/// Copies the pipeline's counters into the registry at each scrape.
fn mirror_sidecar_metrics(
    source: String,
    m: Arc<crate::pipeline::Metrics>,
    client: EsClient,
) -> super::state::Collector {
    Arc::new(move |reg: &Metrics| {
        let s = m.snapshot();
        let src = source.as_str();
        reg.documents_read.with(&[src]).set(s.docs_read);
        reg.documents_labelled.with(&[src]).set(s.docs_labelled);
        if let Some(lag) = m.lag_seconds(chrono::Utc::now()) {
            reg.lag_seconds.with(&[src]).set(lag);
        }
        for (reason, n) in [
            ("missing_field", s.skipped_missing_field),
            ("not_string", s.skipped_not_string),
            ("too_large", s.skipped_too_large),
            ("already_labelled", s.docs_already_labelled),
            ("write_conflict", s.write_conflicts),
            ("document_gone", s.write_missing),
            ("write_refused", s.write_failed),
        ] {
            reg.documents_skipped.with(&[src, reason]).set(n);
        }
        reg.bulk_retries.with(&[]).set(s.bulk_item_retries + client.retries.load(std::sync::atomic::Ordering::Relaxed));
        reg.bulk_failures.with(&[]).set(s.write_failed);
    })
}
