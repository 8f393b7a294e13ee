//! The configuration as written: serde structs with every default, unknown keys refused.
//! `config/logsift.toml` documents each field; keep the two in step.

use serde::Deserialize;

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct RawConfig {
    pub connection: RawConnection,
    /// One source (`[source]`); `None` when the file gives none (then the defaults, or `[[sources]]`).
    pub source: Option<RawSource>,
    /// Several sources in one daemon (`[[sources]]`), instead of `[source]`.
    pub sources: Vec<RawSource>,
    pub read: RawRead,
    pub write: RawWrite,
    pub clusters: RawClusters,
    pub state: RawState,
    pub run: RawRun,
    pub engine: RawEngine,
    pub api: crate::config::api::RawApi,
    pub jobs: Vec<crate::config::jobs::RawJob>,
    pub notify: crate::config::notify::RawNotify,
    pub audit: crate::config::audit::RawAudit,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct RawConnection {
    pub urls: Vec<String>,
    pub username: Option<String>,
    pub password: Option<String>,
    pub password_file: Option<String>,
    pub api_key: Option<String>,
    pub api_key_file: Option<String>,
    pub bearer_token: Option<String>,
    pub bearer_token_file: Option<String>,
    pub ca_file: Option<String>,
    pub insecure: bool,
    pub timeout_secs: u64,
    pub max_retries: u32,
    pub initial_backoff_ms: u64,
    pub max_backoff_ms: u64,
}

impl Default for RawConnection {
    fn default() -> Self {
        RawConnection {
            urls: vec!["http://127.0.0.1:9200".into()],
            username: None,
            password: None,
            password_file: None,
            api_key: None,
            api_key_file: None,
            bearer_token: None,
            bearer_token_file: None,
            ca_file: None,
            insecure: false,
            timeout_secs: 60,
            max_retries: 8,
            initial_backoff_ms: 200,
            max_backoff_ms: 30_000,
        }
    }
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct RawSource {
    pub name: String,
    pub indices: Vec<String>,
    pub query: Option<String>,
    pub message_field: String,
    pub message_template: Option<String>,
    pub timestamp_field: String,
    /// `auto` (default) or `off`.
    pub header: Option<String>,
    /// The older switch: `true` is `header = "auto"`, `false` is `header = "off"`.
    pub strip_syslog_header: Option<bool>,
    pub max_message_bytes: usize,
    /// A structured (audit) layout: `cloud-trace` or `o365-exchange`.
    pub preset: Option<String>,
    pub fields: Option<crate::config::audit::RawFields>,
    /// This source's engine settings; unset ones are `[engine]`'s.
    pub similarity: Option<f64>,
    pub disable_masks: Option<Vec<String>>,
    pub enable_masks: Option<Vec<String>>,
    pub custom_masks: Option<Vec<RawCustomMask>>,
}

impl Default for RawSource {
    fn default() -> Self {
        RawSource {
            name: "default".into(),
            indices: vec!["logs-*".into()],
            query: None,
            message_field: "message".into(),
            message_template: None,
            timestamp_field: "@timestamp".into(),
            header: None,
            strip_syslog_header: None,
            max_message_bytes: crate::message::DEFAULT_MAX_MESSAGE_BYTES,
            preset: None,
            fields: None,
            similarity: None,
            disable_masks: None,
            enable_masks: None,
            custom_masks: None,
        }
    }
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct RawRead {
    pub paging: String,
    pub page_size: usize,
    pub slices: u32,
    pub queue_pages: usize,
}

impl Default for RawRead {
    fn default() -> Self {
        RawRead { paging: "auto".into(), page_size: 2000, slices: 1, queue_pages: 4 }
    }
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct RawWrite {
    pub bulk_size: usize,
    pub batch_docs: usize,
    pub params: bool,
    pub examples: usize,
}

impl Default for RawWrite {
    fn default() -> Self {
        RawWrite { bulk_size: 2000, batch_docs: 10_000, params: true, examples: 3 }
    }
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct RawClusters {
    pub index: String,
}

impl Default for RawClusters {
    fn default() -> Self {
        RawClusters { index: "logsift-clusters".into() }
    }
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct RawState {
    pub index: String,
}

impl Default for RawState {
    fn default() -> Self {
        RawState { index: "logsift-state".into() }
    }
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct RawRun {
    pub poll_interval_secs: u64,
    pub setup_on_start: bool,
}

impl Default for RawRun {
    fn default() -> Self {
        RawRun { poll_interval_secs: 30, setup_on_start: true }
    }
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct RawEngine {
    pub similarity: f64,
    pub disable_masks: Vec<String>,
    pub enable_masks: Vec<String>,
    pub custom_masks: Vec<RawCustomMask>,
}

impl Default for RawEngine {
    fn default() -> Self {
        RawEngine {
            similarity: crate::engine::DrainConfig::default().similarity,
            disable_masks: Vec::new(),
            enable_masks: Vec::new(),
            custom_masks: Vec::new(),
        }
    }
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawCustomMask {
    pub name: String,
    pub regex: String,
}
