//! `logsift status`: per-source progress (checkpoint), pending documents and lag; with
//! `--since`/`--until`, also the documents and templates in that range (from the documents).

use crate::cli::common::{runtime, RangeArgs, ServerArgs};
use crate::es::search::pending_query;
use crate::es::EsClient;
use crate::store::range::{RangeCounts, RangeOrder};
use crate::store::state::StateStore;
use clap::Args;
use serde_json::json;

#[derive(Args, Debug)]
#[command(after_help = "Examples:
  logsift status
  logsift status --since now-1h                 also: documents and templates of the last hour
  logsift status --since 2026-01-01 --until 2026-01-02
  logsift status -c logsift.toml --source sshd    one of several [[sources]] (default: each in turn)")]
pub struct StatusArgs {
    #[command(flatten)]
    pub server: ServerArgs,
    #[command(flatten)]
    pub range: RangeArgs,
}

pub fn main(args: StatusArgs) -> anyhow::Result<()> {
    let cfg = args.server.load_interactive()?;
    let range = args.range.parse()?;
    runtime()?.block_on(async {
        let client = EsClient::new(&cfg.connection)?;
        let info = client.server_info().await?;
        println!("server: {info}");
        for view in cfg.per_source() {
            source_status(&client, &view, &range).await?;
        }
        anyhow::Ok(())
    })
}

/// The progress of one source (every declared source is shown in turn).
async fn source_status(
    client: &EsClient,
    cfg: &crate::config::Config,
    range: &crate::store::range::TimeRange,
) -> anyhow::Result<()> {
    let src = &cfg.source;
    let state = StateStore::new(client.clone(), &cfg.state_index, &src.name);
    let cp = state.load_checkpoint().await?.unwrap_or_default();
    let pending_q = pending_query(src.query.as_ref(), &src.timestamp_field, None);
    let pending = client.count(&src.index_expr(), &pending_q).await?;
    let total = client.count(&src.index_expr(), &src.query.clone().unwrap_or(json!({"match_all": {}}))).await?;
    let clusters = client.count(&cfg.clusters_index, &json!({"term": {"source": src.name}})).await?;
    match &src.query {
        Some(q) => println!("source `{}` on `{}` where {q}", src.name, src.index_expr()),
        None => println!("source `{}` on `{}`", src.name, src.index_expr()),
    }
    println!("  documents            {total}");
    println!("  pending              {pending}");
    println!("  labelled (by runs)   {}", cp.docs_labelled);
    println!("  skipped (by runs)    {}", cp.docs_skipped);
    println!("  clusters             {clusters}");
    println!("  checkpoint time      {}", cp.max_timestamp.as_deref().unwrap_or("none"));
    let lag = cp
        .max_timestamp
        .as_deref()
        .and_then(|t| chrono::DateTime::parse_from_rfc3339(t).ok())
        .map(|t| chrono::Utc::now().signed_duration_since(t));
    match lag {
        Some(d) => println!(
            "  lag                  {} (now − checkpoint time, {} s)",
            crate::cli::common::human_duration(d.num_seconds()),
            d.num_seconds()
        ),
        None => println!("  lag                  unknown (no checkpoint)"),
    }
    println!("  last update          {}", cp.updated_at.as_deref().unwrap_or("never"));
    if !cp.pending_recount.is_empty() {
        println!("  interrupted batch: {} clusters to recount at next start", cp.pending_recount.len());
    }
    if !range.is_open() {
        let rc = RangeCounts::new(client.clone(), cfg);
        let counts = rc.counts(range).await?;
        let labelled: u64 = counts.iter().map(|c| c.count).sum();
        println!("in {}:", range.describe());
        println!("  documents            {}", rc.documents(range).await?);
        println!("  labelled             {labelled}");
        println!("  templates            {}", counts.len());
        for c in rc.top(range, RangeOrder::Top, 5).await? {
            println!("  {:>9}  {:<14} {}", c.count, c.cluster_id, c.template.as_deref().unwrap_or("-"));
        }
    }
    Ok(())
}
