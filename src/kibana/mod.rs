//! Kibana / OpenSearch Dashboards: the saved-objects bundle in `kibana/` (embedded, adapted to
//! the configured index names) and its import through the saved-objects API.
//!
//! `bundle` knows the bundle's shape (which objects name an index and where); `import` is the
//! only place that knows the `_import` endpoint, its headers and its response.

pub mod bundle;
pub mod import;

pub use bundle::{adapt_bundle, BundleError, IndexNames, BUNDLE};
pub use import::{import_saved_objects, ImportError, ImportFailure, ImportSummary, KibanaAuth, KibanaTarget};
