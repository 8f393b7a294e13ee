//! `logsift compare`: two periods compared template by template: templates new in the target,
//! gone from it, and changed in share (G-test with a Bonferroni threshold; see
//! `engine::compare`), counted from the log documents of each period.

use crate::api::compare::{options, periods, DEFAULT_TARGET};
use crate::cli::common::{runtime, ServerArgs};
use crate::cli::UsageError;
use crate::es::EsClient;
use crate::store::range::{ComparedTemplate, RangeCounts};
use clap::Args;

#[derive(Args, Debug)]
#[command(after_help = "Examples:
  logsift compare                                          the last day against the day before
  logsift compare --target now-1h.. --baseline now-1d-1h..now-1h
  logsift compare --baseline 2026-01-01..2026-01-02 --target 2026-01-02..2026-01-03 --json

Periods are FROM..TO (TO empty: now), each side an RFC 3339 time, a date or date math (now-1h,
now-7d/d). A template is new (no baseline documents), gone (no target documents), or changed:
its share of the period's documents moved by --min-ratio or more and the G-test puts it beyond
chance (p below --alpha divided by the number of templates). New and gone templates are all
listed; a `*` marks those with enough documents to be significant, the others could be chance.
Exit code 0 either way.")]
pub struct CompareArgs {
    #[command(flatten)]
    pub server: ServerArgs,
    /// The period compared against, FROM..TO (default: the period of the target's length just before it).
    #[arg(long, value_name = "FROM..TO")]
    pub baseline: Option<String>,
    /// The period examined, FROM..TO.
    #[arg(long, value_name = "FROM..TO", default_value = DEFAULT_TARGET)]
    pub target: String,
    /// Family-wise significance level (divided by the number of templates compared).
    #[arg(long, default_value_t = 0.001)]
    pub alpha: f64,
    /// Least change in share (either way) for a template to count as changed.
    #[arg(long, default_value_t = 2.0)]
    pub min_ratio: f64,
    /// Also list the steady templates.
    #[arg(long)]
    pub steady: bool,
    /// Print the whole comparison as JSON (as GET /v1/compare answers).
    #[arg(long)]
    pub json: bool,
}

fn row(t: &ComparedTemplate) {
    let ratio = t.ratio.map_or_else(|| "-".to_string(), |r| format!("{r:.2}x"));
    println!(
        "  {} {:>8} {:>8} {:>8} {:>9.1} {:<14} {}",
        if t.significant { '*' } else { ' ' },
        t.baseline,
        t.target,
        ratio,
        t.g,
        t.cluster_id,
        t.template.as_deref().unwrap_or("(not in the cluster index)")
    );
}

pub fn main(args: CompareArgs) -> anyhow::Result<()> {
    let cfg = args.server.load_interactive()?;
    let (baseline, target) =
        periods(args.baseline.as_deref(), Some(&args.target), chrono::Utc::now()).map_err(UsageError)?;
    let opts = options(Some(args.alpha), Some(args.min_ratio)).map_err(UsageError)?;
    runtime()?.block_on(async {
        let client = EsClient::new(&cfg.connection)?;
        let rc = RangeCounts::new(client, &cfg);
        eprintln!("counting the documents of `{}` in {} and {}", rc.source(), baseline.describe(), target.describe());
        let c = rc.compare(&baseline, &target, opts, args.steady).await?;
        if args.json {
            println!("{}", serde_json::to_string_pretty(&c)?);
            return anyhow::Ok(());
        }
        println!("baseline {}..{}: {} documents", c.baseline.since, c.baseline.until, c.baseline.documents);
        println!("target   {}..{}: {} documents", c.target.since, c.target.until, c.target.documents);
        if c.baseline.documents == 0 || c.target.documents == 0 {
            println!("one period has no labelled documents: nothing can be significant");
        }
        println!(
            "{} templates compared; significant: p < {:.2e} (alpha {} / {}); changed: share ratio >= {} or <= 1/{}",
            c.tests, c.threshold, c.alpha, c.tests, c.min_ratio, c.min_ratio
        );
        let header =
            || println!("    {:>8} {:>8} {:>8} {:>9} {:<14} template", "baseline", "target", "ratio", "G", "cluster");
        for (title, list) in [("new", &c.new), ("gone", &c.gone), ("changed", &c.changed)] {
            println!("\n{title} ({})", list.len());
            if !list.is_empty() {
                header();
                list.iter().for_each(row);
            }
        }
        if args.steady {
            println!("\nsteady ({})", c.steady.len());
            header();
            c.steady.iter().for_each(row);
        } else {
            println!("\nsteady: {} (--steady lists them)", c.steady_count);
        }
        anyhow::Ok(())
    })
}
