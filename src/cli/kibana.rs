//! `logsift kibana install` (import the dashboards) and `logsift kibana bundle` (print them).

use crate::cli::UsageError;
use crate::kibana::{adapt_bundle, import_saved_objects, IndexNames, KibanaAuth, KibanaTarget, BUNDLE};
use anyhow::Context;
use clap::{Args, Subcommand};
use std::time::{Duration, Instant};
use tracing::{info, warn};

#[derive(Args, Debug)]
#[command(after_help = "Examples:
  logsift kibana install --url http://127.0.0.1:5601 --user elastic --password \"$PW\"
  logsift kibana bundle > logsift.ndjson               # import it by hand in Stack Management → Saved objects")]
pub struct KibanaArgs {
    #[command(subcommand)]
    pub command: KibanaCommand,
}

#[derive(Subcommand, Debug)]
// Parsed once per process: the size of the largest variant does not matter.
#[allow(clippy::large_enum_variant)]
pub enum KibanaCommand {
    /// Import the dashboards into Kibana or OpenSearch Dashboards (overwrites earlier imports).
    Install(InstallArgs),
    /// Print the saved-objects bundle, adapted to the index names, as NDJSON on stdout.
    Bundle(IndexArgs),
}

/// The index names the bundle is adapted to: the flags, else the logsift configuration
/// (`source.indices`, `clusters.index` from `--config` and `LOGSIFT_SOURCE__INDICES` /
/// `LOGSIFT_CLUSTERS__INDEX`), else the defaults `logs-*` and `logsift-clusters`.
#[derive(Args, Debug)]
pub struct IndexArgs {
    /// Index pattern of the log documents logsift labels (default: `source.indices`, or every
    /// `[[sources]]` entry's indices).
    #[arg(long)]
    pub source_pattern: Option<String>,
    /// The cluster index logsift keeps (default: `clusters.index`).
    #[arg(long)]
    pub cluster_index: Option<String>,
    /// logsift configuration file to read the index names from.
    #[arg(long, env = "LOGSIFT_CONFIG")]
    pub config: Option<std::path::PathBuf>,
    /// A bundle file to use instead of the built-in one.
    #[arg(long)]
    pub bundle: Option<std::path::PathBuf>,
}

impl IndexArgs {
    fn names(&self) -> anyhow::Result<IndexNames> {
        let overrides = crate::config::Overrides { file: self.config.clone(), ..Default::default() };
        let cfg = crate::config::load(&overrides).map_err(|e| UsageError(e.to_string()))?;
        Ok(IndexNames {
            // Kibana index patterns take a comma-separated list, as `source.indices` does.
            source_pattern: self.source_pattern.clone().unwrap_or_else(|| cfg.all_indices_expr()),
            cluster_index: self.cluster_index.clone().unwrap_or(cfg.clusters_index),
        })
    }
}

#[derive(Args, Debug)]
pub struct InstallArgs {
    /// Kibana / OpenSearch Dashboards base URL, e.g. http://localhost:5601.
    #[arg(long, env = "LOGSIFT_KIBANA_URL")]
    pub url: url::Url,
    /// Kibana space to import into (default: the default space).
    #[arg(long, env = "LOGSIFT_KIBANA_SPACE")]
    pub space: Option<String>,
    /// User for basic authentication.
    #[arg(long, env = "LOGSIFT_KIBANA_USER", requires = "password", conflicts_with_all = ["api_key", "token"])]
    pub user: Option<String>,
    /// Password for basic authentication.
    #[arg(long, env = "LOGSIFT_KIBANA_PASSWORD", hide_env_values = true, requires = "user")]
    pub password: Option<String>,
    /// Elasticsearch API key (base64 of `id:key`), sent as `Authorization: ApiKey ...`.
    #[arg(long, env = "LOGSIFT_KIBANA_API_KEY", hide_env_values = true, conflicts_with = "token")]
    pub api_key: Option<String>,
    /// Bearer token (e.g. a service account token).
    #[arg(long, env = "LOGSIFT_KIBANA_TOKEN", hide_env_values = true)]
    pub token: Option<String>,
    /// PEM file with the CA that signed Kibana's certificate (https only).
    #[arg(long, env = "LOGSIFT_KIBANA_CA_FILE")]
    pub ca_file: Option<std::path::PathBuf>,
    /// Skip certificate checks (never in production).
    #[arg(long, env = "LOGSIFT_KIBANA_INSECURE")]
    pub insecure: bool,
    /// Keep retrying for this many seconds while Kibana is unreachable or starting (503).
    #[arg(long, default_value_t = 0)]
    pub wait: u64,
    #[command(flatten)]
    pub index: IndexArgs,
}

pub fn main(args: KibanaArgs) -> anyhow::Result<()> {
    match args.command {
        KibanaCommand::Bundle(a) => {
            print!("{}", bundle(&a)?);
            Ok(())
        }
        KibanaCommand::Install(a) => {
            let rt = tokio::runtime::Builder::new_current_thread().enable_all().build()?;
            rt.block_on(install(a))
        }
    }
}

fn bundle(a: &IndexArgs) -> anyhow::Result<String> {
    let raw = match &a.bundle {
        Some(p) => std::fs::read_to_string(p).with_context(|| format!("reading {}", p.display()))?,
        None => BUNDLE.to_owned(),
    };
    let names = a.names()?;
    adapt_bundle(&raw, &names).map_err(|e| UsageError(e.to_string()).into())
}

async fn install(a: InstallArgs) -> anyhow::Result<()> {
    let ndjson = bundle(&a.index)?;
    let auth = match (a.user, a.password, a.api_key, a.token) {
        (Some(user), Some(password), None, None) => KibanaAuth::Basic { user, password },
        (None, None, Some(key), None) => KibanaAuth::ApiKey(key),
        (None, None, None, Some(token)) => KibanaAuth::Bearer(token),
        (None, None, None, None) => KibanaAuth::None,
        _ => return Err(UsageError("give one of --user/--password, --api-key or --token".into()).into()),
    };
    let target = KibanaTarget { url: a.url, space: a.space, auth };
    target.import_url().map_err(|e| UsageError(e.to_string()))?;
    let mut builder =
        reqwest::Client::builder().timeout(Duration::from_secs(60)).danger_accept_invalid_certs(a.insecure);
    if let Some(ca) = &a.ca_file {
        let pem = std::fs::read(ca).with_context(|| format!("reading {}", ca.display()))?;
        let cert = reqwest::Certificate::from_pem(&pem).map_err(|e| UsageError(format!("{}: {e}", ca.display())))?;
        builder = builder.add_root_certificate(cert);
    }
    let client = builder.build()?;
    let deadline = Instant::now() + Duration::from_secs(a.wait);
    let mut delay = Duration::from_secs(1);
    loop {
        match import_saved_objects(&client, &target, ndjson.clone()).await {
            Ok(summary) => {
                info!(url = %target.url, space = target.space.as_deref().unwrap_or("default"), objects = summary.success_count, "dashboards installed");
                return Ok(());
            }
            Err(e) if e.is_retriable() && Instant::now() + delay < deadline => {
                warn!(url = %target.url, error = %e, retry_in_s = delay.as_secs(), "kibana not ready");
                tokio::time::sleep(delay).await;
                delay = (delay * 2).min(Duration::from_secs(15));
            }
            Err(e) => return Err(anyhow::Error::new(e).context(format!("importing dashboards into {}", target.url))),
        }
    }
}
