//! `logsift top`: the templates with the most (or fewest) documents in a time range, counted from
//! the log documents (not the cluster index's all-time totals).

use crate::cli::common::{runtime, RangeArgs, ServerArgs};
use crate::cli::UsageError;
use crate::es::EsClient;
use crate::store::range::{RangeCounts, RangeOrder};
use clap::{Args, ValueEnum};

#[derive(Clone, Copy, Debug, ValueEnum)]
pub enum TopOrder {
    /// Most documents first.
    Count,
    /// Fewest documents first (templates with at least one document in the range).
    Rare,
}

#[derive(Args, Debug)]
#[command(after_help = "Examples:
  logsift top --since now-1h                    the busiest templates of the last hour
  logsift top --since now-7d --order rare       the rarest templates of the week
  logsift top --since 2026-01-01 --until 2026-01-02 --limit 50 --json

Times: an RFC 3339 time (2026-01-02T03:04:05Z), a date (2026-01-02, midnight UTC) or date math
(now, now-1h, now-7d, now-1d/d: units y M w d h m s, /unit rounds down). Without --since and
--until, every document counts.")]
pub struct TopArgs {
    #[command(flatten)]
    pub server: ServerArgs,
    #[command(flatten)]
    pub range: RangeArgs,
    /// Most documents (count) or fewest (rare) first.
    #[arg(long, value_enum, default_value = "count")]
    pub order: TopOrder,
    /// How many templates to print.
    #[arg(long, default_value_t = 20)]
    pub limit: usize,
    /// Print JSON (one object with the range and the clusters) instead of a table.
    #[arg(long)]
    pub json: bool,
}

pub fn main(args: TopArgs) -> anyhow::Result<()> {
    let cfg = args.server.load_interactive()?;
    if args.limit == 0 {
        return Err(UsageError("--limit must be at least 1".into()).into());
    }
    let range = args.range.parse()?;
    let order = match args.order {
        TopOrder::Count => RangeOrder::Top,
        TopOrder::Rare => RangeOrder::Rare,
    };
    runtime()?.block_on(async {
        let client = EsClient::new(&cfg.connection)?;
        let rc = RangeCounts::new(client, &cfg);
        let found = rc.top(&range, order, args.limit).await?;
        if args.json {
            let v = serde_json::json!({"source": rc.source(), "since": range.since_text(), "until": range.until_text(), "clusters": found});
            println!("{}", serde_json::to_string_pretty(&v)?);
            return anyhow::Ok(());
        }
        println!("source `{}`, documents in {}", rc.source(), range.describe());
        if found.is_empty() {
            println!("no labelled documents in this range");
            return anyhow::Ok(());
        }
        println!("{:>9}  {:>9}  {:<24}  {:<24}  {:<14}  template", "in range", "all time", "first seen", "last seen", "cluster");
        for c in &found {
            let total = c.total.map_or_else(|| "-".to_string(), |t| t.to_string());
            println!(
                "{:>9}  {:>9}  {:<24}  {:<24}  {:<14}  {}",
                c.count,
                total,
                c.first_seen.as_deref().unwrap_or("-"),
                c.last_seen.as_deref().unwrap_or("-"),
                c.cluster_id,
                c.template.as_deref().unwrap_or("(not in the cluster index)")
            );
        }
        anyhow::Ok(())
    })
}
