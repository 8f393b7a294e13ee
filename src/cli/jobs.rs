//! `logsift jobs list | run NAME [--wait] | status [NAME] | cancel NAME`: the jobs declared in the
//! config. `run --wait` runs the job in this process (Ctrl-C or SIGTERM cancels it, recorded as `cancelled`);
//! `run` without `--wait` asks the running sidecar's API to start it, and `cancel` asks that API
//! to stop it (`POST /v1/jobs/NAME/cancel`).

use crate::cli::common::{runtime, ServerArgs};
use crate::cli::UsageError;
use crate::config::Config;
use crate::es::EsClient;
use crate::jobs::record::RunRecord;
use crate::jobs::{Cancel, JobContext, JobError};
use crate::metrics::Metrics;
use anyhow::Context;
use clap::{Args, Subcommand};

#[derive(Args, Debug)]
#[command(after_help = "Examples:
  logsift jobs list -c logsift.toml
  logsift jobs run remine-week --wait -c logsift.toml     # here, now; Ctrl-C cancels
  logsift jobs run remine-week --listen 10.0.0.5:9787     # ask the sidecar started with that --listen
  logsift jobs status -c logsift.toml")]
pub struct JobsArgs {
    #[command(flatten)]
    pub server: ServerArgs,
    /// The address of the running sidecar's API (`logsift run --listen`), for `run` without
    /// `--wait` and `cancel`; default: api.listen of the config.
    #[arg(long, global = true, env = "LOGSIFT_API__LISTEN")]
    pub listen: Option<std::net::SocketAddr>,
    #[command(subcommand)]
    pub command: JobsCommand,
}

#[derive(Subcommand, Debug)]
pub enum JobsCommand {
    /// The declared jobs and their schedules.
    List,
    /// Run a job now.
    Run {
        name: String,
        /// Run it in this process and wait for the end (else: ask the running sidecar's API).
        #[arg(long)]
        wait: bool,
    },
    /// The latest run of every job, or of NAME.
    Status { name: Option<String> },
    /// Ask the running sidecar's API to stop a running job (its run is recorded as `cancelled`).
    Cancel { name: String },
}

fn known(cfg: &Config, name: &str) -> Result<(), UsageError> {
    if cfg.jobs.iter().any(|j| j.name == name) {
        Ok(())
    } else {
        let names: Vec<&str> = cfg.jobs.iter().map(|j| j.name.as_str()).collect();
        Err(UsageError(format!(
            "unknown job `{name}` (declared: {})",
            if names.is_empty() { "none".into() } else { names.join(", ") }
        )))
    }
}

fn print_record(r: &RunRecord) {
    let c = &r.counts;
    println!(
        "{:<20} {:<8} {:<10} started {}  ended {}  {}read {}  relabelled {}  outliers {}  clusters {} (kept {}, new {}, merged {}, pruned {}){}",
        r.job,
        r.job_kind,
        r.outcome.as_str(),
        r.started_at,
        r.ended_at.as_deref().unwrap_or("-"),
        if c.documents_copied > 0 { format!("copied {}  ", c.documents_copied) } else { String::new() },
        c.documents_read,
        c.documents_relabelled,
        c.outliers,
        c.clusters,
        c.clusters_kept,
        c.clusters_new,
        c.clusters_merged,
        c.clusters_pruned,
        r.error.as_deref().map(|e| format!("  error: {e}")).unwrap_or_default()
    );
}

pub fn main(args: JobsArgs) -> anyhow::Result<()> {
    // A run in this process keeps the daemon's patient retries; the rest fail fast.
    let mut cfg = if matches!(args.command, JobsCommand::Run { wait: true, .. }) {
        args.server.load()?
    } else {
        args.server.load_interactive()?
    };
    if let (Some(listen), Some(api)) = (args.listen, cfg.api.as_mut()) {
        api.listen = listen;
    }
    match args.command {
        JobsCommand::List => {
            if cfg.jobs.is_empty() {
                println!("no jobs declared (add [[jobs]] entries to the config file)");
            }
            for j in &cfg.jobs {
                let schedule = match &j.schedule {
                    Some(crate::config::schedule::Schedule::Cron(c)) => c.source().to_string(),
                    Some(crate::config::schedule::Schedule::Every(d)) => format!("every {}s", d.as_secs()),
                    None => "on demand".into(),
                };
                let source = j.source.as_deref().unwrap_or(&cfg.source.name);
                println!("{:<20} {:<8} {:<12} {}", j.name, j.kind.name(), source, schedule);
            }
            Ok(())
        }
        JobsCommand::Status { name } => {
            if let Some(n) = &name {
                known(&cfg, n)?;
            }
            let rt = runtime()?;
            rt.block_on(async {
                let client = EsClient::new(&cfg.connection)?;
                for j in cfg.jobs.iter().filter(|j| name.as_ref().is_none_or(|n| *n == j.name)) {
                    match RunRecord::last(&client, &cfg.state_index, &j.name).await? {
                        Some(r) => print_record(&r),
                        None => println!("{:<20} {:<8} never ran", j.name, j.kind.name()),
                    }
                }
                anyhow::Ok(())
            })
        }
        JobsCommand::Run { name, wait: true } => {
            known(&cfg, &name)?;
            let rt = runtime()?;
            rt.block_on(async {
                let client = EsClient::new(&cfg.connection)?;
                // The job's own source (with several [[sources]], the one it names).
                let view = cfg.for_job(&name).context("job vanished")?;
                let ctx = JobContext::from_config(&view, &name, client, Metrics::new())?;
                let spec = cfg.jobs.iter().find(|j| j.name == name).cloned().context("job vanished")?;
                let cancel = Cancel::default();
                let c = cancel.clone();
                // Ctrl-C or SIGTERM (a service manager's stop): the job is cancelled, a copy task
                // on the server included, and the run recorded as cancelled.
                tokio::spawn(async move {
                    crate::shutdown::signal().await;
                    eprintln!("cancelling (the run is recorded as cancelled)");
                    c.cancel();
                });
                match crate::jobs::run_job(&ctx, &spec, &cancel).await {
                    Ok(r) => {
                        print_record(&r);
                        Ok(())
                    }
                    Err(JobError::Cancelled) => anyhow::bail!("job `{name}` was cancelled"),
                    Err(e) => Err(e.into()),
                }
            })
        }
        JobsCommand::Run { name, wait: false } => {
            known(&cfg, &name)?;
            let hint = format!("use `jobs run {name} --wait` to run it here");
            let listen = ask_sidecar(&cfg, &format!("/v1/jobs/{name}/run"), &hint)?;
            println!("started `{name}` on the sidecar at {listen}; follow it with `logsift jobs status {name}`");
            Ok(())
        }
        JobsCommand::Cancel { name } => {
            known(&cfg, &name)?;
            let listen = ask_sidecar(
                &cfg,
                &format!("/v1/jobs/{name}/cancel"),
                "a run started with `jobs run --wait` stops with Ctrl-C",
            )?;
            println!("asked the sidecar at {listen} to cancel `{name}`; follow it with `logsift jobs status {name}`");
            Ok(())
        }
    }
}

/// POSTs to the running sidecar's API; its listen address on success.
fn ask_sidecar(cfg: &Config, path: &str, hint: &str) -> anyhow::Result<std::net::SocketAddr> {
    let api = cfg
        .api
        .as_ref()
        .ok_or_else(|| UsageError("the API is disabled ([api] enabled = false): use `jobs run NAME --wait`".into()))?;
    let url = format!("http://{}{path}", api.listen);
    let rt = runtime()?;
    rt.block_on(async {
        let mut req = reqwest::Client::new().post(&url);
        if let Some(t) = &api.token {
            req = req.bearer_auth(t);
        }
        let resp = req.send().await.with_context(|| format!("no logsift sidecar answers at {url}; {hint}"))?;
        let status = resp.status();
        let body = resp.text().await.unwrap_or_default();
        if !status.is_success() {
            anyhow::bail!("the sidecar refused ({status}): {body}");
        }
        Ok(api.listen)
    })
}
