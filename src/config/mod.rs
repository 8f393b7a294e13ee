//! Configuration: a raw serde struct ([`raw::RawConfig`], from an optional TOML file, then
//! `LOGSIFT_SECTION__KEY` environment variables, then command-line overrides) turned into a
//! validated [`Config`]. Every refusal names the key at fault ([`ConfigError`]).

pub mod api;
pub mod audit;
pub mod connection;
pub mod jobs;
pub mod notify;
pub mod raw;
pub mod schedule;

use crate::engine::mask::CustomMask;
use crate::engine::{self, DrainConfig, EngineConfig, MaskConfig};
use crate::message::{ExtractConfig, Extractor, HeaderMode, MessageSpec};
pub use api::ApiConfig;
pub use connection::{Auth, ConnectOptions, RetryPolicy};
pub use jobs::{JobKind, JobSpec};
use raw::{RawConfig, RawEngine, RawSource};
use serde_json::Value;
use std::path::{Path, PathBuf};
use std::time::Duration;

/// A configuration logsift refuses to start with.
#[derive(Debug, Clone, thiserror::Error)]
pub enum ConfigError {
    #[error("invalid setting `{key}`: {reason}")]
    Invalid { key: String, reason: String },
    #[error("configuration: {0}")]
    Load(String),
}

impl ConfigError {
    fn invalid(key: &str, reason: impl Into<String>) -> Self {
        ConfigError::Invalid { key: key.to_string(), reason: reason.into() }
    }
}

/// Where to read documents and how to make a message of each.
#[derive(Clone, Debug)]
pub struct SourceConfig {
    /// Names the source in cluster ids (`{name}-{n}`), the state index and the cluster index.
    pub name: String,
    /// Index names or patterns, joined with `,` in requests.
    pub indices: Vec<String>,
    /// An extra query (Elasticsearch query DSL) the documents must match.
    pub query: Option<Value>,
    pub extract: ExtractConfig,
    pub timestamp_field: String,
}

impl SourceConfig {
    pub fn index_expr(&self) -> String {
        self.indices.join(",")
    }
}

/// One source of `[[sources]]` (or the one `[source]`) with its engine settings.
#[derive(Clone, Debug)]
pub struct SourceSpec {
    pub source: SourceConfig,
    pub engine: EngineConfig,
    /// Rarity scoring of a structured (audit) source (`None`: a message source).
    pub audit: Option<crate::engine::audit::AuditConfig>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Paging {
    /// Point in time on Elasticsearch 7.12+, scroll elsewhere (see ARCHITECTURE.md).
    Auto,
    Scroll,
    Pit,
}

#[derive(Clone, Debug)]
pub struct ReadConfig {
    pub paging: Paging,
    pub page_size: usize,
    pub slices: u32,
    pub queue_pages: usize,
}

#[derive(Clone, Debug)]
pub struct WriteConfig {
    pub bulk_size: usize,
    pub batch_docs: usize,
    pub params: bool,
    pub examples: usize,
}

/// The validated configuration, as seen by one source: `source`, `engine` and `audit` are those
/// of one entry of `sources` (the first, unless [`Config::for_source`] chose another), and
/// everything else is shared by every source. The parts that work on one source (the sidecar,
/// jobs, range counts) take such a view; the daemon makes one per source ([`Config::per_source`]).
#[derive(Clone, Debug)]
pub struct Config {
    pub connection: ConnectOptions,
    pub source: SourceConfig,
    /// Every declared source (one for `[source]`), in the order of the file.
    pub sources: Vec<SourceSpec>,
    pub read: ReadConfig,
    pub write: WriteConfig,
    pub clusters_index: String,
    pub state_index: String,
    pub poll_interval: Duration,
    pub setup_on_start: bool,
    pub engine: EngineConfig,
    /// The HTTP API served by `logsift run` (`None`: disabled).
    pub api: Option<crate::config::ApiConfig>,
    /// Declared jobs (`[[jobs]]`).
    pub jobs: Vec<crate::config::JobSpec>,
    /// New-template notifications (`None`: no webhook set).
    pub notify: Option<notify::NotifyConfig>,
    /// Rarity scoring of a structured (audit) source (`None`: a message source).
    pub audit: Option<crate::engine::audit::AuditConfig>,
}

impl Config {
    /// This configuration as seen by the source `name`.
    pub fn for_source(&self, name: &str) -> Option<Config> {
        let spec = self.sources.iter().find(|s| s.source.name == name)?;
        let mut c = self.clone();
        c.source = spec.source.clone();
        c.engine = spec.engine.clone();
        c.audit = spec.audit.clone();
        Some(c)
    }

    /// One view per declared source, in the order of the file.
    pub fn per_source(&self) -> Vec<Config> {
        self.sources.iter().filter_map(|s| self.for_source(&s.source.name)).collect()
    }

    /// The declared source names, for messages.
    pub fn source_names(&self) -> Vec<&str> {
        self.sources.iter().map(|s| s.source.name.as_str()).collect()
    }

    /// This configuration narrowed to the source `name` (its only source then, with only its
    /// jobs), or an error listing the declared ones.
    pub fn select_source(&self, name: &str) -> Result<Config, ConfigError> {
        let mut c = self.for_source(name).ok_or_else(|| {
            ConfigError::invalid(
                "--source",
                format!("`{name}` is not a declared source ({})", self.source_names().join(", ")),
            )
        })?;
        c.sources.retain(|s| s.source.name == name);
        c.jobs.retain(|j| j.source.as_deref().is_none_or(|s| s == name));
        Ok(c)
    }

    /// Every source's index patterns, once each, joined with `,` (for dashboards).
    pub fn all_indices_expr(&self) -> String {
        let mut all: Vec<&str> = Vec::new();
        for i in self.sources.iter().flat_map(|s| s.source.indices.iter()) {
            if !all.contains(&i.as_str()) {
                all.push(i);
            }
        }
        all.join(",")
    }

    /// The view of the source job `name` works on (`None`: no such job).
    pub fn for_job(&self, name: &str) -> Option<Config> {
        let spec = self.jobs.iter().find(|j| j.name == name)?;
        match &spec.source {
            Some(s) => self.for_source(s),
            None => Some(self.clone()),
        }
    }
}

/// Values from the command line; they win over the file and the environment.
#[derive(Clone, Debug, Default)]
pub struct Overrides {
    pub file: Option<PathBuf>,
    pub urls: Vec<String>,
    pub indices: Vec<String>,
    /// `key=value` pairs with dotted keys, e.g. `read.page_size=500`.
    pub set: Vec<(String, String)>,
}

/// Keys whose environment/`--set` value is a comma-separated list.
const LIST_KEYS: &[&str] = &["connection.urls", "source.indices", "engine.disable_masks", "engine.enable_masks"];

/// Loads and validates the configuration from the file, the process environment and `o`.
pub fn load(o: &Overrides) -> Result<Config, ConfigError> {
    load_with_env(o, std::env::vars())
}

/// [`load`] with an explicit environment (for tests).
pub fn load_with_env(o: &Overrides, env: impl IntoIterator<Item = (String, String)>) -> Result<Config, ConfigError> {
    let load_err = |e: config::ConfigError| ConfigError::Load(e.to_string());
    let mut b = config::Config::builder();
    if let Some(f) = &o.file {
        if !f.exists() {
            return Err(ConfigError::Load(format!("file {} does not exist", f.display())));
        }
        b = b.add_source(config::File::from(f.as_path()).format(config::FileFormat::Toml));
    }
    let mut pairs: Vec<(String, String)> = env
        .into_iter()
        .filter_map(|(k, v)| {
            let rest = k.strip_prefix("LOGSIFT_")?;
            rest.contains("__").then(|| (rest.to_ascii_lowercase().replace("__", "."), v))
        })
        .collect();
    pairs.sort();
    pairs.extend(o.set.iter().cloned());
    for (k, v) in pairs {
        b = if LIST_KEYS.contains(&k.as_str()) {
            let list: Vec<String> = v.split(',').map(str::trim).filter(|s| !s.is_empty()).map(String::from).collect();
            b.set_override(k, list)
        } else {
            b.set_override(k, v)
        }
        .map_err(load_err)?;
    }
    if !o.urls.is_empty() {
        b = b.set_override("connection.urls", o.urls.clone()).map_err(load_err)?;
    }
    if !o.indices.is_empty() {
        b = b.set_override("source.indices", o.indices.clone()).map_err(load_err)?;
    }
    let raw: RawConfig = b.build().map_err(load_err)?.try_deserialize().map_err(load_err)?;
    validate(raw)
}

fn read_secret(key: &str, inline: Option<String>, file: Option<String>) -> Result<Option<String>, ConfigError> {
    match (inline, file) {
        (Some(_), Some(_)) => Err(ConfigError::invalid(key, "give the value or a file, not both")),
        (Some(v), None) => Ok(Some(v)),
        (None, Some(f)) => std::fs::read_to_string(Path::new(&f))
            .map(|s| Some(s.trim_end_matches(['\r', '\n']).to_string()))
            .map_err(|e| ConfigError::invalid(&format!("{key}_file"), format!("{f}: {e}"))),
        (None, None) => Ok(None),
    }
}

fn positive(key: &str, v: u64) -> Result<(), ConfigError> {
    if v == 0 {
        return Err(ConfigError::invalid(key, "must be greater than 0"));
    }
    Ok(())
}

/// Turns the raw configuration into a validated one.
pub fn validate(raw: RawConfig) -> Result<Config, ConfigError> {
    let c = raw.connection;
    if c.urls.is_empty() {
        return Err(ConfigError::invalid("connection.urls", "give at least one url"));
    }
    let mut urls = Vec::new();
    for u in &c.urls {
        let parsed = url::Url::parse(u).map_err(|e| ConfigError::invalid("connection.urls", format!("`{u}`: {e}")))?;
        if !matches!(parsed.scheme(), "http" | "https") {
            return Err(ConfigError::invalid("connection.urls", format!("`{u}`: scheme must be http or https")));
        }
        urls.push(parsed);
    }
    let password = read_secret("connection.password", c.password, c.password_file)?;
    let api_key = read_secret("connection.api_key", c.api_key, c.api_key_file)?;
    let bearer = read_secret("connection.bearer_token", c.bearer_token, c.bearer_token_file)?;
    let auth = match (c.username, password, api_key, bearer) {
        (None, None, None, None) => Auth::None,
        (Some(username), Some(password), None, None) => Auth::Basic { username, password },
        (Some(_), None, None, None) => {
            return Err(ConfigError::invalid("connection.password", "a username needs a password"))
        }
        (None, Some(_), None, None) => {
            return Err(ConfigError::invalid("connection.username", "a password needs a username"))
        }
        (None, None, Some(k), None) => Auth::ApiKey(k),
        (None, None, None, Some(t)) => Auth::Bearer(t),
        _ => return Err(ConfigError::invalid("connection", "give one of username/password, api_key, bearer_token")),
    };
    if let Some(ca) = &c.ca_file {
        if !Path::new(ca).exists() {
            return Err(ConfigError::invalid("connection.ca_file", format!("{ca} does not exist")));
        }
    }
    positive("connection.timeout_secs", c.timeout_secs)?;
    positive("connection.initial_backoff_ms", c.initial_backoff_ms)?;
    if c.max_backoff_ms < c.initial_backoff_ms {
        return Err(ConfigError::invalid("connection.max_backoff_ms", "must be at least initial_backoff_ms"));
    }
    let connection = ConnectOptions {
        urls,
        auth,
        ca_file: c.ca_file.map(PathBuf::from),
        insecure: c.insecure,
        timeout: Duration::from_secs(c.timeout_secs),
        retry: RetryPolicy {
            max_retries: c.max_retries,
            initial_backoff: Duration::from_millis(c.initial_backoff_ms),
            max_backoff: Duration::from_millis(c.max_backoff_ms),
        },
    };

    let sources = validate_sources(raw.source, raw.sources, &raw.engine, &raw.audit)?;

    let r = raw.read;
    let paging = match r.paging.as_str() {
        "auto" => Paging::Auto,
        "scroll" => Paging::Scroll,
        "pit" => Paging::Pit,
        other => return Err(ConfigError::invalid("read.paging", format!("`{other}`: use auto, scroll or pit"))),
    };
    positive("read.page_size", r.page_size as u64)?;
    if r.page_size > 10_000 {
        return Err(ConfigError::invalid("read.page_size", "at most 10000 (the servers' default max_result_window)"));
    }
    positive("read.slices", r.slices as u64)?;
    positive("read.queue_pages", r.queue_pages as u64)?;
    let read = ReadConfig { paging, page_size: r.page_size, slices: r.slices, queue_pages: r.queue_pages };

    let w = raw.write;
    positive("write.bulk_size", w.bulk_size as u64)?;
    positive("write.batch_docs", w.batch_docs as u64)?;
    let write =
        WriteConfig { bulk_size: w.bulk_size, batch_docs: w.batch_docs, params: w.params, examples: w.examples };

    for (key, v) in [("clusters.index", &raw.clusters.index), ("state.index", &raw.state.index)] {
        if v.is_empty() || v.contains(['*', ',', ' ']) || v.to_ascii_lowercase() != *v {
            return Err(ConfigError::invalid(key, format!("`{v}` is not a valid index name")));
        }
    }
    positive("run.poll_interval_secs", raw.run.poll_interval_secs)?;

    let api = raw.api.validate().map_err(|(k, r)| ConfigError::Invalid { key: k, reason: r })?;
    let jobs = crate::config::jobs::validate(&raw.jobs).map_err(|(k, r)| ConfigError::Invalid { key: k, reason: r })?;
    check_job_sources(&jobs, &sources)?;
    let notify = raw.notify.validate().map_err(|(k, r)| ConfigError::Invalid { key: k, reason: r })?;
    let first = sources[0].clone();
    Ok(Config {
        api,
        jobs,
        notify,
        audit: first.audit,
        connection,
        source: first.source,
        engine: first.engine,
        sources,
        read,
        write,
        clusters_index: raw.clusters.index,
        state_index: raw.state.index,
        poll_interval: Duration::from_secs(raw.run.poll_interval_secs),
        setup_on_start: raw.run.setup_on_start,
    })
}

/// `[source]` or `[[sources]]` (not both), each validated; names unique. Without either, the
/// default source.
fn validate_sources(
    one: Option<RawSource>,
    many: Vec<RawSource>,
    engine: &RawEngine,
    audit: &audit::RawAudit,
) -> Result<Vec<SourceSpec>, ConfigError> {
    let entries: Vec<(String, RawSource)> = match (one, many.is_empty()) {
        (Some(_), false) => {
            return Err(ConfigError::invalid(
                "sources",
                "give [source] or [[sources]], not both (--index, --source-name, --message-field, --preset, \
                 --header and LOGSIFT_SOURCE__* set [source]; with [[sources]] set sources in the file, and pick \
                 one with --source NAME)",
            ))
        }
        (one, true) => vec![("source".to_string(), one.unwrap_or_default())],
        (None, false) => many.into_iter().enumerate().map(|(i, s)| (format!("sources[{i}]"), s)).collect(),
    };
    let mut out: Vec<SourceSpec> = Vec::new();
    for (key, raw) in entries {
        let spec = validate_source(&key, raw, engine, audit)?;
        if let Some(other) = out.iter().find(|o| o.source.name == spec.source.name) {
            return Err(ConfigError::invalid(
                &format!("{key}.name"),
                format!(
                    "`{}` is declared twice (names must be unique: they prefix the cluster ids)",
                    other.source.name
                ),
            ));
        }
        // The first source to read a document labels it: a second one with the same indices and
        // query would never see a document.
        if let Some(other) =
            out.iter().find(|o| o.source.indices == spec.source.indices && o.source.query == spec.source.query)
        {
            return Err(ConfigError::invalid(
                &format!("{key}.query"),
                format!(
                    "reads the same indices with the same query as source `{}`, which labels every document first; \
                     give each source a query that selects its documents",
                    other.source.name
                ),
            ));
        }
        out.push(spec);
    }
    Ok(out)
}

/// One source: what to read, how to make a message of it, and its engine settings (`[engine]`'s
/// where the source sets none). `key` is `source` or `sources[i]`, for the errors.
fn validate_source(
    key: &str,
    s: RawSource,
    e: &RawEngine,
    audit_raw: &audit::RawAudit,
) -> Result<SourceSpec, ConfigError> {
    // Errors of the shared validators name `source.x`; here they name this source's key.
    let rekey = |k: &str| match k.strip_prefix("source") {
        Some(rest) => format!("{key}{rest}"),
        None => k.to_string(),
    };
    let k = |field: &str| format!("{key}.{field}");
    if s.name.is_empty() || !s.name.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_') {
        return Err(ConfigError::invalid(&k("name"), format!("`{}`: use lowercase letters, digits and `_`", s.name)));
    }
    if s.indices.is_empty() || s.indices.iter().any(|i| i.trim().is_empty() || i.contains(' ')) {
        return Err(ConfigError::invalid(&k("indices"), "give one or more index names or patterns"));
    }
    let query = match s.query.as_deref().map(str::trim).filter(|q| !q.is_empty()) {
        None => None,
        Some(q) => {
            let v: Value =
                serde_json::from_str(q).map_err(|e| ConfigError::invalid(&k("query"), format!("not JSON: {e}")))?;
            if !v.is_object() {
                return Err(ConfigError::invalid(
                    &k("query"),
                    "must be a query object, e.g. {\"term\": {\"program\": \"sshd\"}}",
                ));
            }
            Some(v)
        }
    };
    let message = match s.message_template.filter(|t| !t.is_empty()) {
        Some(t) => MessageSpec::Template(t),
        None => MessageSpec::Field(s.message_field),
    };
    let header = match (s.header.as_deref(), s.strip_syslog_header) {
        (None, None) => HeaderMode::Auto,
        (None, Some(strip)) => {
            if strip {
                HeaderMode::Auto
            } else {
                HeaderMode::Off
            }
        }
        (Some(h), strip) => {
            let mode = HeaderMode::parse(h)
                .ok_or_else(|| ConfigError::invalid(&k("header"), format!("`{h}`: use auto or off")))?;
            if strip.is_some_and(|st| st != (mode == HeaderMode::Auto)) {
                return Err(ConfigError::invalid(
                    &k("strip_syslog_header"),
                    format!("contradicts {key}.header = \"{h}\" (strip_syslog_header is the older name; give one)"),
                ));
            }
            mode
        }
    };
    let structured = audit::validate(s.preset.as_deref(), s.fields.as_ref(), audit_raw)
        .map_err(|(k, r)| ConfigError::Invalid { key: rekey(&k), reason: r })?;
    let (structured, audit_cfg) = structured.map_or((None, None), |(s, a)| (Some(s), Some(a)));
    let extract = ExtractConfig { message, header, max_message_bytes: s.max_message_bytes, structured };
    Extractor::new(&extract).map_err(|e| ConfigError::invalid(&rekey(&e.key), e.reason))?;
    if s.timestamp_field.is_empty() {
        return Err(ConfigError::invalid(&k("timestamp_field"), "must not be empty"));
    }
    let source = SourceConfig { name: s.name, indices: s.indices, query, extract, timestamp_field: s.timestamp_field };

    // A refused value is named where it was set: this source's key, or `[engine]`'s.
    let own = [
        ("similarity", s.similarity.is_some()),
        ("disable_masks", s.disable_masks.is_some()),
        ("enable_masks", s.enable_masks.is_some()),
        ("custom_masks", s.custom_masks.is_some()),
    ];
    let custom = s.custom_masks.unwrap_or_else(|| e.custom_masks.clone());
    let engine = EngineConfig {
        masks: MaskConfig {
            disable: s.disable_masks.unwrap_or_else(|| e.disable_masks.clone()),
            enable: s.enable_masks.unwrap_or_else(|| e.enable_masks.clone()),
            custom: custom.into_iter().map(|m| CustomMask { name: m.name, regex: m.regex }).collect(),
        },
        // A structured source's template is its exact key (see `message::structured`).
        drain: DrainConfig {
            similarity: s.similarity.unwrap_or(e.similarity),
            verbatim: audit_cfg.is_some(),
            ..Default::default()
        },
    };
    engine.validate().map_err(|err: engine::ConfigError| {
        let name = engine_key(&err.key);
        let field = name.trim_start_matches("engine.");
        let set_here = own.iter().any(|(f, set)| *set && field.starts_with(f));
        ConfigError::invalid(&if set_here { format!("{key}.{field}") } else { name.clone() }, err.reason)
    })?;
    Ok(SourceSpec { source, engine, audit: audit_cfg })
}

/// A job's source must be declared; with several sources every job names its own.
fn check_job_sources(jobs: &[JobSpec], sources: &[SourceSpec]) -> Result<(), ConfigError> {
    let names: Vec<&str> = sources.iter().map(|s| s.source.name.as_str()).collect();
    for (i, j) in jobs.iter().enumerate() {
        let of = j.source.as_deref().and_then(|n| sources.iter().find(|s| s.source.name == n)).or(sources.first());
        if matches!(j.kind, JobKind::Remine(_)) && of.is_some_and(|s| s.audit.is_some()) {
            return Err(ConfigError::invalid(
                &format!("jobs[{i}].kind"),
                "remine does not apply to a structured source (source.preset or [source.fields]): its templates are \
                 its exact `what` values, which batch mining would generalise; use reindex to relabel it",
            ));
        }
        match &j.source {
            Some(s) if !names.contains(&s.as_str()) => {
                return Err(ConfigError::invalid(
                    &format!("jobs[{i}].source"),
                    format!("`{s}` is not a declared source ({})", names.join(", ")),
                ))
            }
            None if names.len() > 1 => {
                return Err(ConfigError::invalid(
                    &format!("jobs[{i}].source"),
                    format!("with several sources, name the one job `{}` works on ({})", j.name, names.join(", ")),
                ))
            }
            _ => {}
        }
    }
    Ok(())
}

/// The config-file key of an engine setting the engine refused.
fn engine_key(engine_key: &str) -> String {
    match engine_key {
        "masks.disable" => "engine.disable_masks".into(),
        "masks.enable" => "engine.enable_masks".into(),
        "drain.similarity" => "engine.similarity".into(),
        k if k.starts_with("masks.custom.") => format!("engine.custom_masks ({})", &k["masks.custom.".len()..]),
        k => format!("engine.{k}"),
    }
}

#[cfg(test)]
#[path = "tests.rs"]
mod tests;
