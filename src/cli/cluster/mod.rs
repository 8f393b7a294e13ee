//! `logsift cluster`: mine templates from files (or stdin), one message per line or per
//! multi-line group, with the sidecar's message rules (header detection, NDJSON fields).

mod input;
mod messages;

use crate::cli::UsageError;
use crate::config::{self, Overrides};
use crate::engine::{self, ClusterId, EngineConfig, Masker, Miner, MinerSnapshot, Support};
use crate::message::{ExtractConfig, Extractor, HeaderMode, MessageSpec};
use anyhow::Context;
use clap::{Args, ValueEnum};
use messages::{Messages, Multiline};
use std::collections::HashMap;
use std::io::{BufWriter, Write};
use std::path::PathBuf;
use std::time::Instant;

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
    /// Templates with counts, shares, ids and an example; outliers listed.
    Summary,
    /// `line,cluster_id,template`, one row per message (its final template); with several
    /// inputs `file,line,cluster_id,template`. `line` is the message's first line.
    Csv,
    /// One JSON object per message: line (first line), cluster_id, template, params (+ file).
    Jsonl,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum SortBy {
    /// Most messages first.
    Count,
    /// Fewest messages first (the rare events).
    Rare,
    /// Templates first seen latest in the input first.
    New,
}

#[derive(Args, Debug)]
#[command(after_help = "Examples:
  logsift cluster /var/log/auth.log                      # headers cut off automatically
  logsift cluster /var/log/ 'archive/*.log.gz'           # a directory (recursively) and a glob; gzip read as is
  logsift cluster --field log.original events.ndjson     # NDJSON: the message from a field
  logsift cluster --multiline java app.log               # stack traces join their log line
  logsift cluster --sort rare --top 20 app.log           # the rarest templates
  logsift cluster --config /etc/logsift/logsift.toml app.log   # [engine] and [source] of the sidecar's file")]
pub struct ClusterArgs {
    /// Inputs: files, directories (every file below, sorted by path), globs (quoted, e.g.
    /// 'logs/*.log.gz'), or `-` for standard input. gzip-compressed input is read transparently.
    #[arg(default_value = "-")]
    pub inputs: Vec<String>,
    #[arg(long, value_enum, default_value_t = Algorithm::Drain)]
    pub algorithm: Algorithm,
    /// Support threshold of the batch algorithms: a line count (`10`) or a share (`0.5%`).
    #[arg(long, default_value = "0.1%")]
    pub support: String,
    #[arg(long, value_enum, default_value_t = Format::Summary)]
    pub format: Format,
    /// The configuration file of `logsift run`: its [engine] (similarity, masks) and [source]
    /// (header, message_field, message_template, max_message_bytes) sections apply.
    #[arg(long, short = 'c', value_name = "FILE")]
    pub config: Option<PathBuf>,
    /// Similarity threshold of the online miner, in (0, 1]; overrides engine.similarity.
    #[arg(long)]
    pub similarity: Option<f64>,
    /// Built-in masks to turn off (comma-separated names), added to engine.disable_masks.
    #[arg(long, value_delimiter = ',')]
    pub disable_mask: Vec<String>,
    /// Leading headers (syslog, RFC 5424, timestamp + log4j/logback/Python layouts): `auto` cuts
    /// them off and mines the body (default, as the sidecar), `off` mines lines as they are.
    #[arg(long, value_name = "auto|off")]
    pub header: Option<String>,
    /// The same as `--header auto` (the default).
    #[arg(long)]
    pub strip_syslog_header: bool,
    /// Read NDJSON (one JSON document per line) and mine this field (dotted path, e.g.
    /// `log.original`); implies --ndjson.
    #[arg(long, value_name = "PATH")]
    pub field: Option<String>,
    /// Read NDJSON and build the message from fields, e.g. "{service_type} {trace_name}";
    /// implies --ndjson.
    #[arg(long, value_name = "TEMPLATE")]
    pub message_template: Option<String>,
    /// Read NDJSON with the message field of the configuration (default `message`).
    #[arg(long)]
    pub ndjson: bool,
    /// Multi-line messages: continuation lines join the message that started them (csv/jsonl
    /// name its first line). java: stack traces; python: tracebacks; indent: indented lines.
    #[arg(long, value_enum)]
    pub multiline: Option<Multiline>,
    /// Order of the summary: count (most first), rare (fewest first), new (first seen latest first).
    #[arg(long, value_enum, default_value_t = SortBy::Count)]
    pub sort: SortBy,
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

/// What `--config` and the flags make of the engine and the extraction.
fn settings(args: &ClusterArgs) -> anyhow::Result<(EngineConfig, ExtractConfig, bool)> {
    let (mut engine, mut extract) = match &args.config {
        Some(path) => {
            let cfg = config::load(&Overrides { file: Some(path.clone()), ..Default::default() })
                .map_err(|e| UsageError(format!("--config {}: {e}", path.display())))?;
            (cfg.engine, cfg.source.extract)
        }
        None => (EngineConfig::default(), ExtractConfig::default()),
    };
    for m in &args.disable_mask {
        if !engine.masks.disable.contains(m) {
            engine.masks.disable.push(m.clone());
        }
    }
    if let Some(s) = args.similarity {
        engine.drain.similarity = s;
    }
    engine.validate()?;
    if let Some(h) = &args.header {
        extract.header = HeaderMode::parse(h).ok_or_else(|| UsageError(format!("--header `{h}`: use auto or off")))?;
    } else if args.strip_syslog_header {
        extract.header = HeaderMode::Auto;
    }
    if args.field.is_some() && args.message_template.is_some() {
        return Err(UsageError("give --field or --message-template, not both".into()).into());
    }
    if let Some(f) = &args.field {
        extract.message = MessageSpec::Field(f.clone());
    }
    if let Some(t) = &args.message_template {
        extract.message = MessageSpec::Template(t.clone());
    }
    let ndjson = args.ndjson || args.field.is_some() || args.message_template.is_some();
    if ndjson && args.multiline.is_some() {
        return Err(
            UsageError("--multiline reads text lines; NDJSON documents carry their whole message".into()).into()
        );
    }
    Ok((engine, extract, ndjson))
}

pub fn main(args: ClusterArgs) -> anyhow::Result<()> {
    let (config, extract, ndjson) = settings(&args)?;
    if args.algorithm != Algorithm::Drain && (args.load_state.is_some() || args.save_state.is_some()) {
        return Err(UsageError("--load-state/--save-state go with --algorithm drain".into()).into());
    }
    let extractor = Extractor::new(&extract).map_err(|e| UsageError(e.to_string()))?;
    let inputs = input::expand(&args.inputs).map_err(|e| UsageError(format!("{e:#}")))?;
    let names: Vec<String> = inputs.iter().map(input::Input::name).collect();
    let lines = input::Lines::new(inputs, args.quiet);
    let mut msgs = Messages::new(lines, extractor, ndjson, args.multiline, extract.max_message_bytes);
    let stdout = std::io::stdout().lock();
    let mut out = BufWriter::with_capacity(1 << 16, stdout);
    let files = if names.len() > 1 { Some(names.as_slice()) } else { None };
    match args.algorithm {
        Algorithm::Drain => run_drain(&args, config, &mut msgs, files, &mut out)?,
        Algorithm::Slct | Algorithm::Logcluster => run_batch(&args, config, &mut msgs, files, &mut out)?,
    }
    out.flush().context("cannot write output")?;
    if let Some(r) = msgs.skipped.report() {
        eprintln!("warning: {r}");
        if msgs.count == 0 && ndjson {
            eprintln!("hint: no line gave a message; check --field/--message-template against the documents");
        }
    }
    Ok(())
}

/// Per raw cluster id of this run: messages, the first message's number, an example.
#[derive(Clone, Default)]
struct Seen {
    count: u64,
    first: u64,
    example: Option<String>,
}

fn run_drain(
    args: &ClusterArgs,
    config: EngineConfig,
    msgs: &mut Messages,
    files: Option<&[String]>,
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
    let loaded = miner.len();
    let keep_lines = args.format != Format::Summary;
    // (file, first line, raw id) per message for csv/jsonl; the text too for jsonl's params.
    let mut rows: Vec<(u32, u64, ClusterId)> = Vec::new();
    let mut kept: Vec<String> = Vec::new();
    let mut seen: Vec<Seen> = Vec::new();
    let mut n: u64 = 0;
    while let Some(m) = msgs.next_message()? {
        let a = miner.add(m.text);
        let idx = (a.cluster_id.0 - 1) as usize;
        if keep_lines {
            rows.push((m.file as u32, m.line, a.cluster_id));
            if args.format == Format::Jsonl {
                kept.push(m.text.to_string());
            }
        } else {
            if seen.len() <= idx {
                seen.resize(idx + 1, Seen::default());
            }
            let s = &mut seen[idx];
            if s.count == 0 {
                s.first = n;
                s.example = Some(truncate(m.text, 300).to_string());
            }
            s.count += 1;
        }
        n += 1;
    }
    msgs.lines().finish();
    let mut templates: HashMap<ClusterId, String> = HashMap::new();
    let mut template = |id: ClusterId| -> String {
        templates.entry(miner.resolve(id)).or_insert_with(|| miner.template(id).unwrap_or_default()).clone()
    };
    match args.format {
        Format::Summary => {
            // Fold this run's figures into the clusters the ids now resolve to (merges).
            let mut live: HashMap<ClusterId, Seen> = HashMap::new();
            for (i, s) in seen.iter().enumerate().filter(|(_, s)| s.count > 0) {
                let into = miner.resolve(ClusterId(i as u64 + 1));
                let e = live.entry(into).or_insert_with(|| Seen { first: u64::MAX, ..Seen::default() });
                e.count += s.count;
                if s.first < e.first {
                    e.first = s.first;
                    e.example.clone_from(&s.example);
                }
            }
            let rows = live
                .into_iter()
                .map(|(id, s)| SummaryRow {
                    id: id.to_string(),
                    size: s.count,
                    first: s.first,
                    template: template(id),
                    example: s.example.unwrap_or_default(),
                })
                .collect();
            let note = if args.load_state.is_some() {
                format!(" ({loaded} templates loaded from the state, {} now)", miner.len())
            } else {
                String::new()
            };
            let head = Head { algorithm: "drain", messages: n, lines: msgs.lines().count, note };
            write_summary(out, &head, rows, &[], args.top, args.sort)?;
        }
        Format::Csv => {
            write_csv_head(out, files)?;
            for (f, line, id) in &rows {
                write_file_col(out, files, *f)?;
                writeln!(out, "{line},{},{}", miner.resolve(*id), csv_field(&template(*id)))?;
            }
        }
        Format::Jsonl => {
            for ((f, line, id), text) in rows.iter().zip(&kept) {
                let mut obj = serde_json::json!({
                    "line": line,
                    "cluster_id": miner.resolve(*id).to_string(),
                    "template": template(*id),
                    "params": miner.params(*id, text),
                });
                if let Some(files) = files {
                    obj["file"] = files[*f as usize].clone().into();
                }
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

fn write_csv_head(out: &mut impl Write, files: Option<&[String]>) -> std::io::Result<()> {
    if files.is_some() {
        writeln!(out, "file,line,cluster_id,template")
    } else {
        writeln!(out, "line,cluster_id,template")
    }
}

fn write_file_col(out: &mut impl Write, files: Option<&[String]>, f: u32) -> std::io::Result<()> {
    match files {
        Some(files) => write!(out, "{},", csv_field(&files[f as usize])),
        None => Ok(()),
    }
}

fn run_batch(
    args: &ClusterArgs,
    config: EngineConfig,
    msgs: &mut Messages,
    files: Option<&[String]>,
    out: &mut impl Write,
) -> anyhow::Result<()> {
    let support = Support::parse(&args.support).map_err(|e| UsageError(format!("--support: {}", e.reason)))?;
    let masker = Masker::new(&config.masks)?;
    let mut all = Vec::new();
    let mut places: Vec<(u32, u64)> = Vec::new();
    while let Some(m) = msgs.next_message()? {
        all.push(m.text.to_string());
        places.push((m.file as u32, m.line));
    }
    msgs.lines().finish();
    let refs: Vec<&str> = all.iter().map(String::as_str).collect();
    let started = Instant::now();
    let result = match args.algorithm {
        Algorithm::Slct => engine::slct::mine(&refs, &masker, support),
        _ => engine::logcluster::mine(&refs, &masker, support),
    };
    if !args.quiet {
        eprintln!(
            "mined {} messages in {:.1?}: {} clusters, {} outliers",
            refs.len(),
            started.elapsed(),
            result.clusters.len(),
            result.outliers().count()
        );
    }
    let name = if args.algorithm == Algorithm::Slct { "slct" } else { "logcluster" };
    match args.format {
        Format::Summary => {
            let mut first: Vec<Option<usize>> = vec![None; result.clusters.len()];
            for (i, a) in result.assignments.iter().enumerate() {
                if let Some(c) = *a {
                    first[c].get_or_insert(i);
                }
            }
            let rows = result
                .clusters
                .iter()
                .zip(&first)
                .map(|(c, f)| SummaryRow {
                    id: c.id.to_string(),
                    size: c.size as u64,
                    first: f.unwrap_or(0) as u64,
                    template: c.template.clone(),
                    example: truncate(f.map_or("", |i| refs[i]), 300).to_string(),
                })
                .collect();
            let outliers: Vec<(u64, &str)> = result.outliers().map(|i| (places[i].1, refs[i])).collect();
            let head =
                Head { algorithm: name, messages: refs.len() as u64, lines: msgs.lines().count, note: String::new() };
            write_summary(out, &head, rows, &outliers, args.top, args.sort)?;
        }
        Format::Csv => {
            write_csv_head(out, files)?;
            for (i, a) in result.assignments.iter().enumerate() {
                let (f, line) = places[i];
                write_file_col(out, files, f)?;
                match a {
                    Some(c) => {
                        let c = &result.clusters[*c];
                        writeln!(out, "{line},{},{}", c.id, csv_field(&c.template))?
                    }
                    None => writeln!(out, "{line},,")?,
                }
            }
        }
        Format::Jsonl => {
            for (i, a) in result.assignments.iter().enumerate() {
                let (f, line) = places[i];
                let mut obj = match a {
                    Some(c) => {
                        let c = &result.clusters[*c];
                        serde_json::json!({"line": line, "cluster_id": c.id.to_string(), "template": c.template, "outlier": false})
                    }
                    None => serde_json::json!({"line": line, "cluster_id": null, "template": null, "outlier": true}),
                };
                if let Some(files) = files {
                    obj["file"] = files[f as usize].clone().into();
                }
                writeln!(out, "{obj}")?;
            }
        }
    }
    Ok(())
}

struct SummaryRow {
    id: String,
    /// Messages of this run in the cluster.
    size: u64,
    /// Number of the cluster's first message in this run (for `--sort new`).
    first: u64,
    template: String,
    example: String,
}

struct Head<'a> {
    algorithm: &'a str,
    messages: u64,
    lines: u64,
    note: String,
}

fn write_summary(
    out: &mut impl Write,
    head: &Head<'_>,
    mut rows: Vec<SummaryRow>,
    outliers: &[(u64, &str)],
    top: usize,
    sort: SortBy,
) -> std::io::Result<()> {
    let by_id = |a: &SummaryRow, b: &SummaryRow| a.id.len().cmp(&b.id.len()).then_with(|| a.id.cmp(&b.id));
    match sort {
        SortBy::Count => rows.sort_by(|a, b| b.size.cmp(&a.size).then_with(|| by_id(a, b))),
        SortBy::Rare => rows.sort_by(|a, b| a.size.cmp(&b.size).then_with(|| by_id(a, b))),
        SortBy::New => rows.sort_by(|a, b| b.first.cmp(&a.first).then_with(|| by_id(a, b))),
    }
    let n = head.messages;
    let what = if n == head.lines { format!("{n} lines") } else { format!("{n} messages from {} lines", head.lines) };
    writeln!(out, "{what}, {} templates ({}), {} outliers{}", rows.len(), head.algorithm, outliers.len(), head.note)?;
    writeln!(out)?;
    writeln!(out, "{:>9} {:>7} {:>6}  template", "count", "share", "id")?;
    let shown = if top == 0 { rows.len() } else { top.min(rows.len()) };
    for r in &rows[..shown] {
        let share = if n > 0 { 100.0 * r.size as f64 / n as f64 } else { 0.0 };
        // A multi-line template or example goes on indented lines under its row.
        let indent = |t: &str| t.replace('\n', &format!("\n{:>25}", ""));
        writeln!(out, "{:>9} {:>6.2}% {:>6}  {}", r.size, share, r.id, indent(&r.template))?;
        writeln!(out, "{:>25}e.g. {}", "", indent(&r.example))?;
    }
    if shown < rows.len() {
        writeln!(out, "... {} more templates (--top 0 lists all)", rows.len() - shown)?;
    }
    if !outliers.is_empty() {
        writeln!(out)?;
        writeln!(out, "outliers (messages in no cluster):")?;
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
