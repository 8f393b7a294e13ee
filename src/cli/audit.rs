//! `logsift audit rare`: the most unusual events of a structured (audit) source, from the
//! `logsift.audit.*` fields `logsift run` wrote (the same view as `GET /v1/audit/rare`).

use crate::cli::common::{runtime, RangeArgs, ServerArgs};
use crate::cli::UsageError;
use crate::es::EsClient;
use crate::store::audit::{rare, RareQuery};
use clap::{Args, Subcommand};

#[derive(Args, Debug)]
pub struct AuditArgs {
    #[command(subcommand)]
    pub command: AuditCommand,
}

#[derive(Subcommand, Debug)]
pub enum AuditCommand {
    /// Events ranked by how unusual they are: new (who, what), (who, address block) and
    /// (what, object) pairs, unusual hours, warning/incident/failure outcomes and sensitive
    /// operations weigh in.
    ///
    /// Examples:
    ///   logsift audit rare --url http://127.0.0.1:9200 --index 'cloud-audit-*' --preset cloud-trace
    ///   logsift audit rare -c logsift.toml --since now-1d --limit 50
    ///   logsift audit rare -c logsift.toml --since 2026-01-01 --until 2026-01-02 --json
    Rare(RareArgs),
}

#[derive(Args, Debug)]
pub struct RareArgs {
    #[command(flatten)]
    pub server: ServerArgs,
    #[command(flatten)]
    pub range: RangeArgs,
    /// How many events (1 to 1000).
    #[arg(long, default_value_t = 20)]
    pub limit: usize,
    /// One JSON object per line instead of a table.
    #[arg(long)]
    pub json: bool,
}

pub fn main(args: AuditArgs) -> anyhow::Result<()> {
    match args.command {
        AuditCommand::Rare(a) => rare_main(a),
    }
}

fn cut(s: &str, n: usize) -> String {
    if s.chars().count() <= n {
        s.to_string()
    } else {
        format!("{}…", s.chars().take(n - 1).collect::<String>())
    }
}

fn rare_main(a: RareArgs) -> anyhow::Result<()> {
    let cfg = a.server.load_interactive()?;
    a.range.parse()?; // checked here; the server resolves the same syntax
    if cfg.audit.is_none() {
        return Err(UsageError(
            "this source is not structured: give --preset cloud-trace|o365-exchange or [source.fields] in the config"
                .into(),
        )
        .into());
    }
    if !(1..=1000).contains(&a.limit) {
        return Err(UsageError("--limit must be between 1 and 1000".into()).into());
    }
    let q = RareQuery { since: a.range.since, until: a.range.until, limit: a.limit };
    let events = runtime()?.block_on(async {
        let client = EsClient::new(&cfg.connection)?;
        anyhow::Ok(rare(&client, &cfg.source.index_expr(), &cfg.source.timestamp_field, &q).await?)
    })?;
    if a.json {
        for e in &events {
            println!("{}", serde_json::to_string(e)?);
        }
        return Ok(());
    }
    if events.is_empty() {
        eprintln!("no scored events in range (has `logsift run` labelled this source with a preset?)");
        return Ok(());
    }
    println!(
        "{:>6}  {:<24}  {:<22}  {:<16}  {:<40}  {:<28}  reasons",
        "score", "time", "user", "address", "what", "object"
    );
    for e in &events {
        println!(
            "{:>6.2}  {:<24}  {:<22}  {:<16}  {:<40}  {:<28}  {}",
            e.score,
            cut(e.time.as_deref().unwrap_or("-"), 24),
            cut(e.user.as_deref().unwrap_or("-"), 22),
            cut(e.address.as_deref().unwrap_or("-"), 16),
            cut(e.what.as_deref().unwrap_or("-"), 40),
            cut(&e.objects.join(","), 28),
            e.reasons.join(",")
        );
        println!("        doc {}/{}", e.index, e.id);
    }
    Ok(())
}
