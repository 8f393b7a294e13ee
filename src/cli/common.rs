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
    /// Leading headers (syslog, RFC 5424, timestamp + log4j/logback/Python layouts): `auto` cuts
    /// them off and mines the body (the default), `off` mines messages as they are; overrides
    /// source.header. Example: --header off
    #[arg(long, value_name = "auto|off")]
    pub header: Option<String>,
    /// The same as `--header auto` (the default; kept for older scripts).
    #[arg(long, hide = true)]
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
        add("source.header", &self.header);
        if self.strip_syslog_header && self.header.is_none() {
            set.push(("source.header".into(), "auto".into()));
        }
        let o = Overrides { file: self.config.clone(), urls: self.urls.clone(), indices: self.indices.clone(), set };
        config::load(&o).map_err(|e| UsageError(e.to_string()))
    }
}

/// A multi-threaded runtime for one subcommand.
pub fn runtime() -> anyhow::Result<tokio::runtime::Runtime> {
    Ok(tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build()?)
}
