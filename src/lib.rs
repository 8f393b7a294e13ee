//! logsift: log template mining beside Elasticsearch/OpenSearch.
//!
//! # Layout
//! Top-level modules, highest first; a module uses only modules below it (checked by
//! `tests/it/layering.rs`), so dependencies point one way:
//!
//! | layer | modules | owns |
//! |---|---|---|
//! | 8 | [`cli`] | one file per subcommand: arguments → [`app`] or a library call, output |
//! | 7 | [`app`] | wires `logsift run` / `serve`: the sidecar, the job runner, the API, one [`app::Shutdown`] |
//! | 6 | [`api`], [`sidecar`], [`jobs`] | the HTTP API (defines the traits it needs, names no sidecar or job type); read → mine → write back; scheduled jobs |
//! | 5 | [`store`] | logsift's own documents: write-back of `logsift.*` fields, cluster index, state index, set-up |
//! | 4 | [`es`], [`kibana`], [`notify`] | every search-server endpoint and its JSON, one paging reader; the dashboards bundle and its import; new-template webhooks |
//! | 3 | [`config`] | every settings type (sources, connection, API, jobs), raw → validated |
//! | 2 | [`message`], [`metrics`], [`shutdown`] | a document's message (field or template, skip reasons); the one metrics registry; the one shutdown mechanism |
//! | 1 | [`ids`] | the cluster id format (`<source>-<n>`) and the `logsift.*` field names |
//! | 0 | [`engine`] | the pure mining engine, its own crate (`crates/logsift-engine`) |
pub mod api;
pub mod app;
pub mod cli;
pub mod config;
pub mod es;
pub mod ids;
pub mod jobs;
pub mod kibana;
pub mod message;
pub mod metrics;
pub mod notify;
pub mod shutdown;
pub mod sidecar;
pub mod store;

/// The pure mining engine, its own crate (`crates/logsift-engine`).
pub use logsift_engine as engine;
