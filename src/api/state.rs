//! What the API server is configured with and shares between requests: its settings
//! ([`crate::config::ApiConfig`]), the live engine and extractor of each source, the metrics registry, and the
//! search-server probe the sidecar provides for `/health`.

use super::live::LiveEngine;
use crate::config::ApiConfig;
use crate::engine::ClusterId;
use crate::message::{ExtractConfig, Extractor};
use crate::metrics::Metrics;
use crate::store::range::RangeCounts;
use futures::future::BoxFuture;
use std::sync::Arc;

/// Checks that the search server answers; `Err` carries a short reason for `/health`.
pub type SearchProbe = Arc<dyn Fn() -> BoxFuture<'static, Result<(), String>> + Send + Sync>;

/// Turns an engine id into the string the sidecar writes into `logsift.cluster_id`.
pub type IdFormat = Arc<dyn Fn(ClusterId) -> String + Send + Sync>;

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
    pub jobs: Option<Arc<dyn super::jobs::JobControl>>,
    pub clusters: Option<super::clusters::ClusterIndex>,
    /// Range counting of each source (empty without a search server).
    pub ranges: Vec<RangeCounts>,
    /// Structured sources, for `/v1/audit/rare`.
    pub audit: Vec<super::audit::AuditSource>,
}

impl ApiState {
    pub fn builder(config: ApiConfig, metrics: Arc<Metrics>) -> ApiStateBuilder {
        ApiStateBuilder {
            config,
            metrics,
            sources: Vec::new(),
            search_probe: None,
            jobs: None,
            clusters: None,
            ranges: Vec::new(),
            audit: Vec::new(),
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

    /// Range counting of the named source (the first without a name); `Ok(None)` when no search
    /// server backs the API, `Err(known)` (the names that are) when the name is not a source.
    pub fn ranges(&self, name: Option<&str>) -> Result<Option<&RangeCounts>, Vec<String>> {
        let all = &self.inner.ranges;
        if all.is_empty() {
            return Ok(None);
        }
        match name {
            None => Ok(all.first()),
            Some(n) => all
                .iter()
                .find(|r| r.source() == n)
                .map(Some)
                .ok_or_else(|| all.iter().map(|r| r.source().to_string()).collect()),
        }
    }
}

pub struct ApiStateBuilder {
    config: ApiConfig,
    metrics: Arc<Metrics>,
    sources: Vec<SourceEndpoint>,
    search_probe: Option<SearchProbe>,
    jobs: Option<Arc<dyn super::jobs::JobControl>>,
    clusters: Option<super::clusters::ClusterIndex>,
    ranges: Vec<RangeCounts>,
    audit: Vec<super::audit::AuditSource>,
}

impl ApiStateBuilder {
    /// Serve `/v1/audit/rare` for this structured source.
    pub fn audit_source(mut self, source: super::audit::AuditSource) -> Self {
        self.audit.push(source);
        self
    }

    /// Count documents in time ranges (`/v1/clusters?since=`, `/v1/compare`) over this source's
    /// log indices (one per source; the first added is the default).
    pub fn range_counts(mut self, ranges: RangeCounts) -> Self {
        self.ranges.push(ranges);
        self
    }

    /// Serve `/v1/clusters` from this cluster index (else from the live miner).
    pub fn cluster_index(mut self, client: crate::es::EsClient, index: impl Into<String>) -> Self {
        self.clusters = Some(super::clusters::ClusterIndex { client, index: index.into() });
        self
    }

    /// The sidecar's jobs, for `/v1/jobs`.
    pub fn jobs(mut self, runner: Arc<dyn super::jobs::JobControl>) -> Self {
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
                clusters: self.clusters,
                ranges: self.ranges,
                audit: self.audit,
            }),
        }
    }
}
