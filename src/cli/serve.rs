//! `logsift serve`: run the HTTP API alone on a fresh miner (no search server), for trying the
//! API, for Logstash's `http` filter without a sidecar, and for `make bench-api`.
//! `logsift run` serves the same API with the sidecar's live miners.

use crate::app;
use crate::config::api::{ApiConfig, DEFAULT_LISTEN};
use anyhow::Context;
use clap::Args;

#[derive(Args, Debug)]
#[command(after_help = "Examples:
  logsift serve --source sshd                          # API alone on 127.0.0.1:9787, fresh miner
  curl -s localhost:9787/v1/classify -d '{\"message\": \"Accepted password for bob from 10.0.0.1 port 22 ssh2\"}'")]
pub struct ServeArgs {
    /// Address to listen on.
    #[arg(long, default_value = DEFAULT_LISTEN)]
    pub listen: std::net::SocketAddr,
    /// Require `Authorization: Bearer <token>` (except on /health); read from this environment variable.
    #[arg(long, value_name = "VAR")]
    pub token_env: Option<String>,
    /// Read the bearer token from this file (trailing whitespace ignored).
    #[arg(long, value_name = "FILE", conflicts_with = "token_env")]
    pub token_file: Option<std::path::PathBuf>,
    /// Largest request body of /v1/classify, in bytes.
    #[arg(long, default_value_t = 1 << 20)]
    pub max_body_bytes: usize,
    /// Largest request body of /v1/classify/_bulk, in bytes.
    #[arg(long, default_value_t = 16 << 20)]
    pub max_bulk_bytes: usize,
    /// Name the API reports for the single source it serves.
    #[arg(long, default_value = "default")]
    pub source: String,
    /// Worker threads of the async runtime (default: one per core).
    #[arg(long)]
    pub threads: Option<usize>,
}

fn token(args: &ServeArgs) -> anyhow::Result<Option<String>> {
    if let Some(var) = &args.token_env {
        let t = std::env::var(var)
            .map_err(|_| super::UsageError(format!("--token-env: environment variable {var} is not set")))?;
        return Ok(Some(t.trim().to_owned()).filter(|t| !t.is_empty()));
    }
    if let Some(path) = &args.token_file {
        let t = std::fs::read_to_string(path).with_context(|| format!("reading token file {}", path.display()))?;
        let t = t.trim().to_owned();
        if t.is_empty() {
            return Err(super::UsageError(format!("token file {} is empty", path.display())).into());
        }
        return Ok(Some(t));
    }
    Ok(None)
}

pub fn main(args: ServeArgs) -> anyhow::Result<()> {
    let config = ApiConfig {
        listen: args.listen,
        token: token(&args)?,
        max_body_bytes: args.max_body_bytes,
        max_bulk_bytes: args.max_bulk_bytes,
        ..ApiConfig::default()
    };
    let mut rt = tokio::runtime::Builder::new_multi_thread();
    if let Some(n) = args.threads {
        rt.worker_threads(n.max(1));
    }
    let rt = rt.enable_all().build().context("starting the async runtime")?;
    rt.block_on(app::serve(config, args.source))?;
    Ok(())
}
