//! logsift: log template mining beside Elasticsearch/OpenSearch.
pub mod api;
pub mod cli;
pub mod jobs;
pub mod metrics;
pub mod source;
pub mod es;
pub mod config;
pub mod state;
pub mod sink;
pub mod pipeline;
pub mod kibana;

/// The pure mining engine, its own crate (`crates/logsift-engine`).
pub use logsift_engine as engine;
