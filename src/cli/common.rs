//! Flags shared by the subcommands that talk to the search server, and config loading for them.

use crate::cli::UsageError;
use crate::config::{self, Config, Overrides};
use clap::Args;
use std::path::PathBuf;

#[derive(Args, Debug, Clone, Default)]
pub struct ServerArgs {
    /// Configuration file (TOML; see config/logsift.toml). Without one, defaults + env + flags.
    #[arg(long, short = 'c', env = "LOGSIFT_CONFIG", global = true)]
    pub config: Option<PathBuf>,
    /// Search server URL (repeatable); overrides connection.urls.
    #[arg(long = "url", env = "LOGSIFT_URL", value_delimiter = ',', global = true)]
    pub urls: Vec<String>,
    /// Index name or pattern to read (repeatable); overrides source.indices.
    #[arg(long = "index", value_delimiter = ',', global = true)]
    pub indices: Vec<String>,
    /// Source name (cluster ids are `<name>-<n>`); overrides source.name.
    #[arg(long, global = true)]
    pub source_name: Option<String>,
    /// Field holding the message (dotted paths allowed); overrides source.message_field.
    #[arg(long, global = true)]
    pub message_field: Option<String>,
    /// Build the message from fields, e.g. "{service_type} {trace_name}"; overrides source.message_template.
    #[arg(long, global = true)]
    pub message_template: Option<String>,
    /// Structured audit events by role, exact templates and rarity scoring: `cloud-trace` or
    /// `o365-exchange` (sets source.preset), e.g. --preset o365-exchange.
    #[arg(long, global = true)]
    pub preset: Option<String>,
    /// Leading headers (syslog, RFC 5424, timestamp + log4j/logback/Python layouts): `auto` cuts
    /// them off and mines the body (the default), `off` mines messages as they are; overrides
    /// source.header. Example: --header off
    #[arg(long, value_name = "auto|off", global = true)]
    pub header: Option<String>,
    /// The same as `--header auto` (the default; kept for older scripts).
    #[arg(long, hide = true, global = true)]
    pub strip_syslog_header: bool,
    /// With several `[[sources]]`: the one source to work on (default: the first; `run`,
    /// `status` and `setup` take every source unless this is given), e.g. --source sshd.
    #[arg(long = "source", value_name = "NAME", global = true)]
    pub only_source: Option<String>,
    /// Any setting as KEY=VALUE with a dotted key, e.g. --set read.page_size=500 (repeatable).
    #[arg(long = "set", value_name = "KEY=VALUE", global = true)]
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
        add("source.header", &self.header);
        if self.strip_syslog_header && self.header.is_none() {
            set.push(("source.header".into(), "auto".into()));
        }
        let o = Overrides { file: self.config.clone(), urls: self.urls.clone(), indices: self.indices.clone(), set };
        let cfg = config::load(&o).map_err(|e| UsageError(e.to_string()))?;
        match &self.only_source {
            None => Ok(cfg),
            Some(name) => cfg.select_source(name).map_err(|e| UsageError(e.to_string())),
        }
    }
}

impl ServerArgs {
    /// [`ServerArgs::load`] for a command a person waits on (`status`, `top`, `compare`,
    /// `annotate`, `jobs list/status`): a server that is down fails it in seconds, not after the
    /// daemon's patient retries (2 retries, backoff at most 1 s; connection settings otherwise kept).
    pub fn load_interactive(&self) -> Result<Config, UsageError> {
        let mut cfg = self.load()?;
        let r = &mut cfg.connection.retry;
        r.max_retries = r.max_retries.min(2);
        r.max_backoff = r.max_backoff.min(std::time::Duration::from_secs(1));
        cfg.connection.timeout = cfg.connection.timeout.min(std::time::Duration::from_secs(15));
        Ok(cfg)
    }
}

/// `--since` / `--until` of the commands that look at a time range of documents.
#[derive(Args, Debug, Clone, Default)]
pub struct RangeArgs {
    /// Only documents at or after this time (document time, source.timestamp_field): RFC 3339
    /// (2026-01-02T03:04:05Z), a date (2026-01-02) or date math (now-1h, now-7d/d).
    #[arg(long)]
    pub since: Option<String>,
    /// ... and before this time.
    #[arg(long)]
    pub until: Option<String>,
}

impl RangeArgs {
    /// The range, resolved against now; a bad time is a usage error.
    pub fn parse(&self) -> Result<crate::store::range::TimeRange, UsageError> {
        crate::store::range::TimeRange::parse(self.since.as_deref(), self.until.as_deref(), chrono::Utc::now())
            .map_err(UsageError)
    }
}

/// A duration for people: `45s`, `12m 5s`, `3h 20m`, `840d 1h`.
pub fn human_duration(secs: i64) -> String {
    let (sign, s) = if secs < 0 { ("-", -secs) } else { ("", secs) };
    let (d, h, m, s) = (s / 86_400, s % 86_400 / 3_600, s % 3_600 / 60, s % 60);
    let body = match (d, h, m) {
        (0, 0, 0) => format!("{s}s"),
        (0, 0, _) => format!("{m}m {s}s"),
        (0, _, _) => format!("{h}h {m}m"),
        _ => format!("{d}d {h}h"),
    };
    format!("{sign}{body}")
}

/// A multi-threaded runtime for one subcommand.
pub fn runtime() -> anyhow::Result<tokio::runtime::Runtime> {
    Ok(tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build()?)
}

#[cfg(test)]
mod tests {
    #[test]
    fn durations_read_like_people_write_them() {
        use super::human_duration as h;
        assert_eq!(h(45), "45s");
        assert_eq!(h(725), "12m 5s");
        assert_eq!(h(12_000), "3h 20m");
        assert_eq!(h(72_575_575), "839d 23h");
        assert_eq!(h(-90), "-1m 30s");
    }
}
