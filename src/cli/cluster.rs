//! `logsift cluster`: mine templates from a file (or stdin), one message per line.

use crate::cli::UsageError;
use crate::engine::{self, ClusterId, EngineConfig, Masker, Miner, MinerSnapshot, Support};
use anyhow::Context;
use clap::{Args, ValueEnum};
use std::io::{BufRead, BufReader, BufWriter, Read, Write};
use std::time::{Duration, Instant};

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum Algorithm {
    /// The online, incremental miner (Drain-style).
    Drain,
    /// SLCT, a batch miner with a support threshold; lines in no cluster are outliers.
    Slct,
    /// LogCluster, a batch miner with a support threshold; lines in no cluster are outliers.
    Logcluster,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum Format {
    /// Templates by count with ids and an example; outliers listed.
    Summary,
    /// `line,cluster_id,template`, one row per input line (its final template).
    Csv,
    /// One JSON object per input line: line, cluster_id, template, params.
    Jsonl,
}

#[derive(Args, Debug)]
pub struct ClusterArgs {
    /// Input file, one message per line, or `-` for standard input.
    #[arg(default_value = "-")]
    pub input: String,
    #[arg(long, value_enum, default_value_t = Algorithm::Drain)]
    pub algorithm: Algorithm,
    /// Support threshold of the batch algorithms: a line count (`10`) or a share (`0.5%`).
    #[arg(long, default_value = "0.1%")]
    pub support: String,
    #[arg(long, value_enum, default_value_t = Format::Summary)]
    pub format: Format,
    /// Similarity threshold of the online miner, in (0, 1].
    #[arg(long)]
    pub similarity: Option<f64>,
    /// Built-in masks to turn off (comma-separated names).
    #[arg(long, value_delimiter = ',')]
    pub disable_mask: Vec<String>,
    /// Continue from a snapshot written by --save-state (online miner only).
    #[arg(long)]
    pub load_state: Option<String>,
    /// Write the miner's snapshot here at the end (online miner only).
    #[arg(long)]
    pub save_state: Option<String>,
    /// How many templates the summary lists (0: all).
    #[arg(long, default_value_t = 50)]
    pub top: usize,
    /// No progress on stderr.
    #[arg(long, short)]
    pub quiet: bool,
}

pub fn main(args: ClusterArgs) -> anyhow::Result<()> {
    let mut config = EngineConfig::default();
    config.masks.disable = args.disable_mask.clone();
    if let Some(s) = args.similarity {
        config.drain.similarity = s;
    }
    config.validate()?;
    if args.algorithm != Algorithm::Drain && (args.load_state.is_some() || args.save_state.is_some()) {
        return Err(UsageError("--load-state/--save-state go with --algorithm drain".into()).into());
    }
    let input: Box<dyn Read> = if args.input == "-" {
        Box::new(std::io::stdin().lock())
    } else {
        Box::new(std::fs::File::open(&args.input).with_context(|| format!("cannot open input file `{}`", args.input))?)
    };
    let mut lines = LineReader::new(input, args.quiet);
    let stdout = std::io::stdout().lock();
    let mut out = BufWriter::with_capacity(1 << 16, stdout);
    match args.algorithm {
        Algorithm::Drain => run_drain(&args, config, &mut lines, &mut out)?,
        Algorithm::Slct | Algorithm::Logcluster => run_batch(&args, config, &mut lines, &mut out)?,
    }
    out.flush().context("cannot write output")?;
    Ok(())
}

fn run_drain(
    args: &ClusterArgs,
    config: EngineConfig,
    lines: &mut LineReader,
    out: &mut impl Write,
) -> anyhow::Result<()> {
    let mut miner = match &args.load_state {
        Some(path) => {
            let text = std::fs::read_to_string(path).with_context(|| format!("cannot read state file `{path}`"))?;
            let snap: MinerSnapshot = serde_json::from_str(&text)
                .with_context(|| format!("state file `{path}` is not a logsift snapshot"))?;
            Miner::restore(snap).with_context(|| format!("cannot restore state file `{path}`"))?
        }
        None => Miner::new(config)?,
    };
    let keep_lines = args.format != Format::Summary;
    let mut ids: Vec<ClusterId> = Vec::new();
    let mut kept: Vec<String> = Vec::new();
    let mut examples: Vec<Option<String>> = Vec::new();
    while let Some(line) = lines.next_line()? {
        let a = miner.add(&line);
        let idx = (a.cluster_id.0 - 1) as usize;
        if keep_lines {
            ids.push(a.cluster_id);
            if args.format == Format::Jsonl {
                kept.push(line.to_string());
            }
        } else {
            if examples.len() <= idx {
                examples.resize(idx + 1, None);
            }
            if examples[idx].is_none() {
                examples[idx] = Some(truncate(&line, 300).to_string());
            }
        }
    }
    lines.finish();
    match args.format {
        Format::Summary => {
            let clusters = miner.clusters();
            let rows = clusters
                .iter()
                .map(|c| SummaryRow {
                    id: c.id.to_string(),
                    size: c.size,
                    template: c.template.clone(),
                    example: examples.get((c.id.0 - 1) as usize).cloned().flatten().unwrap_or_default(),
                })
                .collect();
            write_summary(out, "drain", lines.count, rows, &[], args.top)?;
        }
        Format::Csv => {
            let templates: Vec<String> = miner.clusters().into_iter().map(|c| c.template).collect();
            writeln!(out, "line,cluster_id,template")?;
            for (i, id) in ids.iter().enumerate() {
                writeln!(out, "{},{},{}", i + 1, id, csv_field(&templates[(id.0 - 1) as usize]))?;
            }
        }
        Format::Jsonl => {
            let templates: Vec<String> = miner.clusters().into_iter().map(|c| c.template).collect();
            for (i, (id, line)) in ids.iter().zip(&kept).enumerate() {
                let obj = serde_json::json!({
                    "line": i + 1,
                    "cluster_id": id.to_string(),
                    "template": templates[(id.0 - 1) as usize],
                    "params": miner.params(*id, line),
                });
                writeln!(out, "{obj}")?;
            }
        }
    }
    if let Some(path) = &args.save_state {
        let json = serde_json::to_vec(&miner.snapshot())?;
        write_atomically(path, &json).with_context(|| format!("cannot write state file `{path}`"))?;
    }
    Ok(())
}

fn run_batch(
    args: &ClusterArgs,
    config: EngineConfig,
    lines: &mut LineReader,
    out: &mut impl Write,
) -> anyhow::Result<()> {
    let support = Support::parse(&args.support).map_err(|e| UsageError(format!("--support: {}", e.reason)))?;
    let masker = Masker::new(&config.masks)?;
    let mut all = Vec::new();
    while let Some(line) = lines.next_line()? {
        all.push(line.into_owned());
    }
    lines.finish();
    let refs: Vec<&str> = all.iter().map(String::as_str).collect();
    let started = Instant::now();
    let result = match args.algorithm {
        Algorithm::Slct => engine::slct::mine(&refs, &masker, support),
        _ => engine::logcluster::mine(&refs, &masker, support),
    };
    if !args.quiet {
        eprintln!(
            "mined {} lines in {:.1?}: {} clusters, {} outliers",
            refs.len(),
            started.elapsed(),
            result.clusters.len(),
            result.outliers().count()
        );
    }
    let name = if args.algorithm == Algorithm::Slct { "slct" } else { "logcluster" };
    match args.format {
        Format::Summary => {
            let mut examples: Vec<Option<&str>> = vec![None; result.clusters.len()];
            for (i, a) in result.assignments.iter().enumerate() {
                if let Some(c) = *a {
                    examples[c].get_or_insert(refs[i]);
                }
            }
            let rows = result
                .clusters
                .iter()
                .zip(&examples)
                .map(|(c, e)| SummaryRow {
                    id: c.id.to_string(),
                    size: c.size as u64,
                    template: c.template.clone(),
                    example: truncate(e.unwrap_or(""), 300).to_string(),
                })
                .collect();
            let outliers: Vec<(usize, &str)> = result.outliers().map(|i| (i + 1, refs[i])).collect();
            write_summary(out, name, refs.len() as u64, rows, &outliers, args.top)?;
        }
        Format::Csv => {
            writeln!(out, "line,cluster_id,template")?;
            for (i, a) in result.assignments.iter().enumerate() {
                match a {
                    Some(c) => {
                        let c = &result.clusters[*c];
                        writeln!(out, "{},{},{}", i + 1, c.id, csv_field(&c.template))?
                    }
                    None => writeln!(out, "{},,", i + 1)?,
                }
            }
        }
        Format::Jsonl => {
            for (i, a) in result.assignments.iter().enumerate() {
                let obj = match a {
                    Some(c) => {
                        let c = &result.clusters[*c];
                        serde_json::json!({"line": i + 1, "cluster_id": c.id.to_string(), "template": c.template, "outlier": false})
                    }
                    None => serde_json::json!({"line": i + 1, "cluster_id": null, "template": null, "outlier": true}),
                };
                writeln!(out, "{obj}")?;
            }
        }
    }
    Ok(())
}

struct SummaryRow {
    id: String,
    size: u64,
    template: String,
    example: String,
}

fn write_summary(
    out: &mut impl Write,
    algorithm: &str,
    n_lines: u64,
    mut rows: Vec<SummaryRow>,
    outliers: &[(usize, &str)],
    top: usize,
) -> std::io::Result<()> {
    rows.sort_by(|a, b| b.size.cmp(&a.size).then_with(|| a.id.len().cmp(&b.id.len())).then_with(|| a.id.cmp(&b.id)));
    writeln!(out, "{n_lines} lines, {} templates ({algorithm}), {} outliers", rows.len(), outliers.len())?;
    writeln!(out)?;
    writeln!(out, "{:>9} {:>7} {:>6}  template", "count", "share", "id")?;
    let shown = if top == 0 { rows.len() } else { top.min(rows.len()) };
    for r in &rows[..shown] {
        let share = if n_lines > 0 { 100.0 * r.size as f64 / n_lines as f64 } else { 0.0 };
        writeln!(out, "{:>9} {:>6.2}% {:>6}  {}", r.size, share, r.id, r.template)?;
        writeln!(out, "{:>25}e.g. {}", "", r.example)?;
    }
    if shown < rows.len() {
        writeln!(out, "... {} more templates (--top 0 lists all)", rows.len() - shown)?;
    }
    if !outliers.is_empty() {
        writeln!(out)?;
        writeln!(out, "outliers (lines in no cluster):")?;
        let shown = if top == 0 { outliers.len() } else { top.min(outliers.len()) };
        for (line, text) in &outliers[..shown] {
            writeln!(out, "{line:>9}  {}", truncate(text, 300))?;
        }
        if shown < outliers.len() {
            writeln!(out, "... {} more outliers", outliers.len() - shown)?;
        }
    }
    Ok(())
}

fn truncate(s: &str, max: usize) -> &str {
    if s.len() <= max {
        return s;
    }
    let mut end = max;
    while !s.is_char_boundary(end) {
        end -= 1;
    }
    &s[..end]
}

/// Quotes a CSV field when it needs it (RFC 4180).
fn csv_field(s: &str) -> std::borrow::Cow<'_, str> {
    if s.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", s.replace('"', "\"\"")).into()
    } else {
        s.into()
    }
}

/// Writes to a temporary file beside `path`, syncs it, then renames it over `path`.
fn write_atomically(path: &str, data: &[u8]) -> std::io::Result<()> {
    let tmp = format!("{path}.tmp.{}", std::process::id());
    {
        let mut f = std::fs::File::create(&tmp)?;
        f.write_all(data)?;
        f.sync_all()?;
    }
    std::fs::rename(&tmp, path)
}

/// Reads lines as bytes (any encoding, any length), with progress on stderr.
struct LineReader {
    reader: BufReader<Box<dyn Read>>,
    buf: Vec<u8>,
    count: u64,
    quiet: bool,
    started: Instant,
    last_report: Instant,
}

impl LineReader {
    fn new(input: Box<dyn Read>, quiet: bool) -> Self {
        let now = Instant::now();
        LineReader {
            reader: BufReader::with_capacity(1 << 20, input),
            buf: Vec::new(),
            count: 0,
            quiet,
            started: now,
            last_report: now,
        }
    }

    fn next_line(&mut self) -> anyhow::Result<Option<std::borrow::Cow<'_, str>>> {
        self.buf.clear();
        let n = self.reader.read_until(b'\n', &mut self.buf).context("cannot read input")?;
        if n == 0 {
            return Ok(None);
        }
        if self.buf.last() == Some(&b'\n') {
            self.buf.pop();
            if self.buf.last() == Some(&b'\r') {
                self.buf.pop();
            }
        }
        self.count += 1;
        if !self.quiet && self.count.is_multiple_of(65_536) && self.last_report.elapsed() >= Duration::from_secs(2) {
            self.last_report = Instant::now();
            let rate = self.count as f64 / self.started.elapsed().as_secs_f64();
            eprintln!("{} lines read ({:.0} lines/s)", self.count, rate);
        }
        Ok(Some(engine::lossy(&self.buf)))
    }

    fn finish(&self) {
        if !self.quiet && self.started.elapsed() >= Duration::from_secs(2) {
            let rate = self.count as f64 / self.started.elapsed().as_secs_f64();
            eprintln!("{} lines read in {:.1?} ({:.0} lines/s)", self.count, self.started.elapsed(), rate);
        }
    }
}
