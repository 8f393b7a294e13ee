//! Flags shared by the subcommands that talk to the search server, and config loading for them.

use crate::cli::UsageError;
use crate::config::{self, Config, Overrides};
use clap::Args;
use std::path::PathBuf;

#[derive(Args, Debug, Clone, Default)]
pub struct ServerArgs {
    /// Configuration file (TOML; see config/logsift.toml). Without one, defaults + env + flags.
    #[arg(long, short = 'c', env = "LOGSIFT_CONFIG")]
    pub config: Option<PathBuf>,
    /// Search server URL (repeatable); overrides connection.urls.
    #[arg(long = "url", env = "LOGSIFT_URL", value_delimiter = ',')]
    pub urls: Vec<String>,
    /// Index name or pattern to read (repeatable); overrides source.indices.
    #[arg(long = "index", value_delimiter = ',')]
    pub indices: Vec<String>,
    /// Source name (cluster ids are `<name>-<n>`); overrides source.name.
    #[arg(long)]
    pub source_name: Option<String>,
    /// Field holding the message (dotted paths allowed); overrides source.message_field.
    #[arg(long)]
    pub message_field: Option<String>,
    /// Build the message from fields, e.g. "{service_type} {trace_name}"; overrides source.message_template.
    #[arg(long)]
    pub message_template: Option<String>,
    /// Structured audit events by role, exact templates and rarity scoring: `cloud-trace` or
    /// `o365-exchange` (sets source.preset), e.g. --preset o365-exchange.
    #[arg(long)]
    pub preset: Option<String>,
    /// Strip a syslog header from messages; sets source.strip_syslog_header.
    #[arg(long)]
    pub strip_syslog_header: bool,
    /// Any setting as KEY=VALUE with a dotted key, e.g. --set read.page_size=500 (repeatable).
    #[arg(long = "set", value_name = "KEY=VALUE")]
    pub set: Vec<String>,
}

impl ServerArgs {
    /// Loads and validates the configuration; errors are usage errors (exit code 2).
    pub fn load(&self) -> Result<Config, UsageError> {
        let mut set = Vec::new();
        for kv in &self.set {
            let (k, v) = kv.split_once('=').ok_or_else(|| UsageError(format!("--set `{kv}`: expected KEY=VALUE")))?;
            set.push((k.trim().to_string(), v.to_string()));
        }
        let mut add = |k: &str, v: &Option<String>| {
            if let Some(v) = v {
                set.push((k.to_string(), v.clone()));
            }
        };
        add("source.name", &self.source_name);
        add("source.message_field", &self.message_field);
        add("source.message_template", &self.message_template);
        add("source.preset", &self.preset);
        if self.strip_syslog_header {
            set.push(("source.strip_syslog_header".into(), "true".into()));
        }
        let o = Overrides { file: self.config.clone(), urls: self.urls.clone(), indices: self.indices.clone(), set };
        config::load(&o).map_err(|e| UsageError(e.to_string()))
    }
}

/// A multi-threaded runtime for one subcommand.
pub fn runtime() -> anyhow::Result<tokio::runtime::Runtime> {
    Ok(tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build()?)
}
