//! logsift: log template mining beside Elasticsearch/OpenSearch.
pub mod api;
pub mod cli;
pub mod engine;
pub mod metrics;
