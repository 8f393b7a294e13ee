//! logsift: log template mining beside Elasticsearch/OpenSearch.
pub mod cli;
pub mod engine;
pub mod source;
pub mod es;
pub mod config;
pub mod state;
pub mod sink;
pub mod pipeline;
pub mod kibana;
