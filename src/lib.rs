//! logsift: log template mining beside Elasticsearch/OpenSearch.
pub mod api;
pub mod cli;
pub mod config;
pub mod es;
pub mod jobs;
pub mod kibana;
pub mod metrics;
pub mod pipeline;
pub mod sink;
pub mod source;
pub mod state;

/// The pure mining engine, its own crate (`crates/logsift-engine`).
pub use logsift_engine as engine;
