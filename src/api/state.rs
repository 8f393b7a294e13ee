//! What the API server is configured with and shares between requests: its settings
//! ([`ApiConfig`]), the live engine and extractor of each source, the metrics registry, and the
//! search-server probe the sidecar provides for `/health`.

use super::live::LiveEngine;
use crate::engine::ClusterId;
use crate::metrics::Metrics;
use crate::source::extract::{ExtractConfig, Extractor};
use futures::future::BoxFuture;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

/// The default listen address of the API.
pub const DEFAULT_LISTEN: &str = "127.0.0.1:9787";

/// Validated API settings. `Debug` does not print the token.
#[derive(Clone)]
pub struct ApiConfig {
    pub listen: SocketAddr,
    /// When set, every route but `/health*` requires `Authorization: Bearer <token>`.
    pub token: Option<String>,
    /// Largest body accepted by `/v1/classify` and the other JSON endpoints.
    pub max_body_bytes: usize,
    /// Largest body accepted by `/v1/classify/_bulk`.
    pub max_bulk_bytes: usize,
    /// How long `/health` waits for the search server before calling it down.
    pub health_timeout: Duration,
}

impl Default for ApiConfig {
    fn default() -> Self {
        ApiConfig {
            listen: DEFAULT_LISTEN.parse().expect("default listen address is valid"),
            token: None,
            max_body_bytes: 1 << 20,
            max_bulk_bytes: 16 << 20,
            health_timeout: Duration::from_secs(2),
        }
    }
}

impl std::fmt::Debug for ApiConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ApiConfig")
            .field("listen", &self.listen)
            .field("token", &self.token.as_ref().map(|_| "***"))
            .field("max_body_bytes", &self.max_body_bytes)
            .field("max_bulk_bytes", &self.max_bulk_bytes)
            .field("health_timeout", &self.health_timeout)
            .finish()
    }
}

/// Checks that the search server answers; `Err` carries a short reason for `/health`.
pub type SearchProbe = Arc<dyn Fn() -> BoxFuture<'static, Result<(), String>> + Send + Sync>;

/// Turns an engine id into the string the sidecar writes into `logsift.cluster_id`.
pub type IdFormat = Arc<dyn Fn(ClusterId) -> String + Send + Sync>;

/// Runs before each `/metrics` rendering to copy counters kept elsewhere into the registry.
pub type Collector = Arc<dyn Fn(&Metrics) + Send + Sync>;

/// One source as the API sees it: its live engine, its message extraction, its id format.
#[derive(Clone)]
pub struct SourceEndpoint {
    pub name: String,
    pub engine: Arc<dyn LiveEngine>,
    pub extractor: Arc<Extractor>,
    pub id_format: IdFormat,
}

impl SourceEndpoint {
    /// A source whose ids are written as plain decimal numbers.
    pub fn new(name: impl Into<String>, engine: Arc<dyn LiveEngine>, extractor: Arc<Extractor>) -> Self {
        SourceEndpoint { name: name.into(), engine, extractor, id_format: Arc::new(|id| id.to_string()) }
    }

    /// A source reading the `message` field with default extraction settings.
    pub fn with_default_extraction(name: impl Into<String>, engine: Arc<dyn LiveEngine>) -> Self {
        let extractor = Extractor::new(&ExtractConfig::default()).expect("the default extraction config is valid");
        SourceEndpoint::new(name, engine, Arc::new(extractor))
    }

    /// The sidecar's live miner, extraction and id format (`{source}-{n}`, as written into
    /// `logsift.cluster_id` by the pipeline).
    pub fn for_sidecar(name: &str, miner: crate::pipeline::SharedMiner, extractor: Arc<Extractor>) -> Self {
        let source = name.to_string();
        SourceEndpoint::new(name, miner, extractor)
            .with_id_format(Arc::new(move |id| crate::pipeline::cluster_key(&source, id)))
    }

    /// Use the sidecar's id format (it must match what the sidecar writes into documents).
    pub fn with_id_format(mut self, f: IdFormat) -> Self {
        self.id_format = f;
        self
    }

    pub fn format_id(&self, id: ClusterId) -> String {
        (self.id_format)(id)
    }
}

/// Everything handlers share. Cheap to clone.
#[derive(Clone)]
pub struct ApiState {
    pub(crate) inner: Arc<Inner>,
}

pub(crate) struct Inner {
    pub config: ApiConfig,
    pub sources: Vec<SourceEndpoint>,
    pub metrics: Arc<Metrics>,
    pub search_probe: Option<SearchProbe>,
    pub jobs: Option<Arc<crate::jobs::scheduler::JobRunner>>,
    pub collectors: Vec<Collector>,
    pub clusters: Option<super::clusters::ClusterIndex>,
}

impl ApiState {
    pub fn builder(config: ApiConfig, metrics: Arc<Metrics>) -> ApiStateBuilder {
        ApiStateBuilder {
            config,
            metrics,
            sources: Vec::new(),
            search_probe: None,
            jobs: None,
            collectors: Vec::new(),
            clusters: None,
        }
    }

    pub fn config(&self) -> &ApiConfig {
        &self.inner.config
    }

    pub fn metrics(&self) -> &Arc<Metrics> {
        &self.inner.metrics
    }

    /// The named source, or the first one when no name is given.
    pub fn source(&self, name: Option<&str>) -> Option<&SourceEndpoint> {
        match name {
            None => self.inner.sources.first(),
            Some(n) => self.inner.sources.iter().find(|s| s.name == n),
        }
    }

    pub fn sources(&self) -> &[SourceEndpoint] {
        &self.inner.sources
    }
}

pub struct ApiStateBuilder {
    config: ApiConfig,
    metrics: Arc<Metrics>,
    sources: Vec<SourceEndpoint>,
    search_probe: Option<SearchProbe>,
    jobs: Option<Arc<crate::jobs::scheduler::JobRunner>>,
    collectors: Vec<Collector>,
    clusters: Option<super::clusters::ClusterIndex>,
}

impl ApiStateBuilder {
    /// Serve `/v1/clusters` from this cluster index (else from the live miner).
    pub fn cluster_index(mut self, client: crate::es::EsClient, index: impl Into<String>) -> Self {
        self.clusters = Some(super::clusters::ClusterIndex { client, index: index.into() });
        self
    }

    pub fn collector(mut self, c: Collector) -> Self {
        self.collectors.push(c);
        self
    }

    /// The sidecar's jobs, for `/v1/jobs`.
    pub fn jobs(mut self, runner: Arc<crate::jobs::scheduler::JobRunner>) -> Self {
        self.jobs = Some(runner);
        self
    }

    /// Adds a source; the first one added is the default for requests that name none.
    pub fn source(mut self, source: SourceEndpoint) -> Self {
        self.sources.push(source);
        self
    }

    pub fn search_probe(mut self, probe: SearchProbe) -> Self {
        self.search_probe = Some(probe);
        self
    }

    pub fn build(self) -> ApiState {
        ApiState {
            inner: Arc::new(Inner {
                config: self.config,
                sources: self.sources,
                metrics: self.metrics,
                search_probe: self.search_probe,
                jobs: self.jobs,
                collectors: self.collectors,
                clusters: self.clusters,
            }),
        }
    }
}
