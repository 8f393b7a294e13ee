//! Wires the daemon: `logsift run` (the sidecar, with the HTTP API and the job scheduler beside
//! it) and `logsift serve` (the API alone on a fresh miner).
//!
//! The app owns the one [`ShutdownController`]: every task it starts (the API server, the job
//! scheduler, the sidecar's reader tasks) holds a listener, SIGINT/SIGTERM signal them all, and
//! [`run`]/[`serve`] return only after every one of them has finished. The API is given the
//! sidecar's live miner and the job runner through the traits it defines
//! ([`api::LiveEngine`], [`api::JobControl`]), implemented here ([`live`]).

pub mod live;

use crate::api::{self, ApiServer, ApiState, SearchProbe, ServeError, SourceEndpoint};
use crate::config::{ApiConfig, Config};
use crate::engine::{EngineConfig, Miner};
use crate::es::{EsClient, EsError};
use crate::ids::cluster_key;
use crate::jobs::scheduler::JobRunner;
use crate::jobs::JobContext;
use crate::message::Extractor;
use crate::metrics::Metrics;
use crate::shutdown::{self, Shutdown, ShutdownController};
use crate::sidecar::{PipelineError, RunSummary, Sidecar};
use std::sync::{Arc, RwLock};
use tokio::task::JoinHandle;
use tracing::info;

/// Why `run` or `serve` stopped with an error.
#[derive(Debug, thiserror::Error)]
pub enum AppError {
    #[error(transparent)]
    Es(#[from] EsError),
    #[error(transparent)]
    Pipeline(#[from] PipelineError),
    #[error(transparent)]
    Serve(#[from] ServeError),
    #[error("engine: {0}")]
    Engine(String),
    /// One source of several failed (the others were stopped).
    #[error("source `{name}`: {error}")]
    Source { name: String, error: Box<AppError> },
}

impl AppError {
    /// The search server's error behind this one, when there is one.
    pub fn es_error(&self) -> Option<&EsError> {
        use crate::store::{state::StateError, SinkError};
        match self {
            AppError::Source { error, .. } => error.es_error(),
            AppError::Es(e)
            | AppError::Pipeline(PipelineError::Es(e))
            | AppError::Pipeline(PipelineError::Sink(SinkError::Es(e)))
            | AppError::Pipeline(PipelineError::State(StateError::Es(e))) => Some(e),
            _ => None,
        }
    }
}

/// Fires the controller's signal on SIGINT/SIGTERM (a task that holds no listener).
fn on_signal(controller: &ShutdownController) {
    let trigger = controller.trigger();
    tokio::spawn(async move {
        shutdown::signal().await;
        info!("signal received, shutting down");
        trigger.fire();
    });
}

/// What `logsift run` did for one source.
#[derive(Debug)]
pub struct SourceRun {
    pub source: String,
    pub summary: RunSummary,
}

/// `logsift run`: labels pending documents (`once`: what is pending, then returns) or follows
/// new ones until a signal, with the API and the scheduled jobs beside it (follow mode only).
/// Each declared source has its own sidecar (its own engine, checkpoint and snapshot); they run
/// side by side on one client. A source that fails stops the others (the daemon exits with its
/// error, naming the source).
pub async fn run(cfg: Arc<Config>, once: bool) -> Result<Vec<SourceRun>, AppError> {
    let metrics = Metrics::new();
    let client = EsClient::new(&cfg.connection)?.counting_retries(metrics.bulk_retries.with(&[]));
    let controller = ShutdownController::new();
    on_signal(&controller);
    let views: Vec<Arc<Config>> = cfg.per_source().into_iter().map(Arc::new).collect();
    let mut sidecars = Vec::new();
    let mut services = Vec::new();
    for view in &views {
        let mut sidecar = Sidecar::new(view.clone(), client.clone(), &metrics)?;
        if let Some(n) = cfg.notify.clone() {
            info!(source = %view.source.name, webhook = %n.webhook_url, "new-template notifications on");
            let (notifier, task) = crate::notify::spawn(n, &view.source.name, &metrics, controller.listener());
            sidecar.set_notifier(notifier);
            services.push(task);
        }
        sidecars.push(sidecar);
    }
    if !once {
        services.extend(spawn_services(&cfg, &views, client, &sidecars, &metrics, &controller).await?);
    }
    if views.len() > 1 {
        info!(sources = %cfg.source_names().join(", "), "one sidecar per source");
    }
    let trigger = controller.trigger();
    let several = views.len() > 1;
    let results = futures::future::join_all(sidecars.into_iter().zip(&views).map(|(mut sidecar, view)| {
        let (listener, trigger) = (controller.listener(), trigger.clone());
        // With several sources, each sidecar's log lines carry its name (`source{name=sshd}:`).
        let span =
            if several { tracing::info_span!("source", name = %view.source.name) } else { tracing::Span::none() };
        tracing::Instrument::instrument(
            async move {
                let r = sidecar.run(once, listener).await;
                if let Err(error) = &r {
                    tracing::error!(source = %view.source.name, %error, "source stopped; stopping the others");
                    trigger.fire();
                }
                (view.source.name.clone(), r)
            },
            span,
        )
    }))
    .await;
    // Stops the API and the scheduler (the sidecars are done) and waits for every task.
    controller.shutdown().await;
    for t in services {
        let _ = t.await;
    }
    let mut runs = Vec::new();
    for (source, r) in results {
        match r {
            Ok(summary) => runs.push(SourceRun { source, summary }),
            Err(e) if views.len() == 1 => return Err(e.into()),
            Err(e) => return Err(AppError::Source { name: source, error: Box::new(e.into()) }),
        }
    }
    Ok(runs)
}

/// The API (when enabled) and the job scheduler of `logsift run`, over every source. A port
/// that cannot be bound is logged and labelling goes on: the API is an add-on of the sidecar.
async fn spawn_services(
    cfg: &Config,
    views: &[Arc<Config>],
    client: EsClient,
    sidecars: &[Sidecar],
    metrics: &Arc<Metrics>,
    controller: &ShutdownController,
) -> Result<Vec<JoinHandle<()>>, AppError> {
    let mut tasks = Vec::new();
    // One runner per source, with the jobs that name it (or the only source's jobs).
    let mut runners = Vec::new();
    for view in views {
        let specs: Vec<_> =
            cfg.jobs.iter().filter(|j| j.source.as_deref().is_none_or(|s| s == view.source.name)).cloned().collect();
        match JobContext::from_config(view, "", client.clone(), metrics.clone()) {
            Ok(ctx) => runners.push(JobRunner::new(ctx, specs)),
            Err(error) => tracing::warn!(source = %view.source.name, %error, "jobs disabled"),
        }
    }
    // Always started (also with no schedule): at shutdown it cancels the jobs still running,
    // whoever started them, and waits for them to stop.
    for r in &runners {
        tasks.push(tokio::spawn(Arc::clone(r).run_schedules(controller.listener())));
    }
    let Some(api) = cfg.api.clone() else { return Ok(tasks) };
    let probe_client = client.clone();
    let probe: SearchProbe = Arc::new(move || {
        let c = probe_client.clone();
        Box::pin(async move { c.server_info().await.map(drop).map_err(|e| e.to_string()) })
    });
    let mut b = ApiState::builder(api, metrics.clone())
        .search_probe(probe)
        .cluster_index(client.clone(), cfg.clusters_index.clone());
    for (view, sidecar) in views.iter().zip(sidecars) {
        let extractor = Extractor::new(&view.source.extract).map_err(|e| AppError::Engine(e.to_string()))?;
        let source = view.source.name.clone();
        let engine: Arc<dyn api::LiveEngine> = Arc::new(live::SidecarEngine(sidecar.miner.clone()));
        let endpoint = SourceEndpoint::new(&view.source.name, engine, Arc::new(extractor))
            .with_id_format(Arc::new(move |id| cluster_key(&source, id)));
        b = b.source(endpoint).range_counts(crate::store::range::RangeCounts::new(client.clone(), view));
        if view.audit.is_some() {
            b = b.audit_source(api::audit::AuditSource {
                name: view.source.name.clone(),
                client: client.clone(),
                indices: view.source.index_expr(),
                timestamp_field: view.source.timestamp_field.clone(),
            });
        }
    }
    if !runners.is_empty() {
        b = b.jobs(Arc::new(live::Jobs(runners)));
    }
    tasks.push(spawn_api_runtime(b.build(), controller.listener()));
    Ok(tasks)
}

/// Serves the API of `logsift run` on a runtime of its own (its own threads), so that the
/// sidecar's async work (decoding search pages, building bulk bodies) never delays a request
/// on a shared worker. A port that cannot be bound is logged; labelling goes on.
fn spawn_api_runtime(state: ApiState, listener: Shutdown) -> JoinHandle<()> {
    tokio::task::spawn_blocking(move || {
        let rt = match tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .thread_name("logsift-api")
            .enable_all()
            .build()
        {
            Ok(rt) => rt,
            Err(error) => {
                tracing::error!(%error, "api not started (no runtime); the sidecar goes on without it");
                return;
            }
        };
        rt.block_on(async move {
            match ApiServer::bind(state).await {
                Ok(server) => {
                    let _ = spawn_server(server, listener).await;
                }
                Err(error) => tracing::error!(%error, "api not started; the sidecar goes on without it"),
            }
        });
    })
}

/// Runs `server` until shutdown; the listener is dropped only once the server has stopped.
fn spawn_server(server: ApiServer, listener: Shutdown) -> JoinHandle<()> {
    tokio::spawn(async move {
        let mut signal = listener.clone();
        if let Err(error) = server.run(async move { signal.recv().await }).await {
            tracing::error!(%error, "api server failed");
        }
        drop(listener);
    })
}

/// `logsift serve`: the API alone on a fresh default miner for one source, until a signal.
pub async fn serve(config: ApiConfig, source: String) -> Result<(), AppError> {
    let miner =
        Arc::new(RwLock::new(Miner::new(EngineConfig::default()).map_err(|e| AppError::Engine(e.to_string()))?));
    let state = ApiState::builder(config, Metrics::new())
        .source({
            // Ids as the sidecar writes them (`sshd-12`), so a classify here names the same cluster.
            let name = source.clone();
            SourceEndpoint::with_default_extraction(source, miner)
                .with_id_format(Arc::new(move |id| cluster_key(&name, id)))
        })
        .build();
    let server = ApiServer::bind(state).await?;
    eprintln!("logsift api listening on http://{}", server.local_addr()?);
    let controller = ShutdownController::new();
    on_signal(&controller);
    let task = spawn_server(server, controller.listener());
    let mut signalled = controller.listener();
    signalled.recv().await;
    drop(signalled);
    controller.shutdown().await;
    let _ = task.await;
    Ok(())
}
