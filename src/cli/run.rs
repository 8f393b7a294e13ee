//! `logsift run`: label pending documents, keep the cluster index exact, follow new data
//! (or `--once`: process what is pending and exit). SIGINT/SIGTERM stop after the batch in hand.

use crate::app;
use crate::cli::common::{runtime, ServerArgs};
use crate::es::EsError;
use crate::sidecar::RunSummary;
use clap::Args;
use std::sync::Arc;

#[derive(Args, Debug)]
#[command(after_help = "Examples:
  logsift run --once --url http://127.0.0.1:9200 --index 'logs-*' --source-name app   # what is pending, then exit
  logsift run -c logsift.toml                          # follow new documents, API on 127.0.0.1:9787
  logsift run -c logsift.toml --listen 0.0.0.0:9787 --set run.poll_interval_secs=5
  LOGSIFT_CONNECTION__PASSWORD_FILE=/run/secrets/es logsift run -c logsift.toml")]
pub struct RunArgs {
    #[command(flatten)]
    pub server: ServerArgs,
    /// Process what is pending and exit (default: keep following new documents).
    #[arg(long)]
    pub once: bool,
    /// Address of the HTTP API (overrides api.listen; default 127.0.0.1:9787). Not served with --once.
    #[arg(long, value_name = "ADDR")]
    pub listen: Option<std::net::SocketAddr>,
}

pub fn main(args: RunArgs) -> anyhow::Result<()> {
    let mut cfg = args.server.load()?;
    if let (Some(addr), Some(api)) = (args.listen, cfg.api.as_mut()) {
        api.listen = addr;
    }
    let cfg = Arc::new(cfg);
    // `--once` serves no API: one thread drives the pipeline and its readers (mining runs on a
    // blocking thread either way), which saves the cross-thread wake-ups of a multi-threaded one.
    let rt = if args.once { tokio::runtime::Builder::new_current_thread().enable_all().build()? } else { runtime()? };
    let runs = rt.block_on(app::run(cfg.clone(), args.once)).map_err(refusal_in_words)?;
    let mut problems = Vec::new();
    for run in &runs {
        let summary = &run.summary;
        eprint!("{}", render_summary(summary, &run.source));
        // With several sources, each problem names its source.
        let of = if runs.len() > 1 { format!("source `{}`: ", run.source) } else { String::new() };
        if !summary.refused_indices.is_empty() {
            problems.push(format!(
                "{of}{} document(s) not labelled: these indices refuse the logsift.* mapping: {}",
                summary.metrics.docs_unmappable,
                summary.refused_indices.join("; ")
            ));
        }
        if summary.left_unread {
            problems.push(format!(
                "{of}reading failed {} time(s) and documents were left unread (they stay pending; run again)",
                summary.read_errors.len()
            ));
        }
    }
    if !problems.is_empty() {
        anyhow::bail!("{}", problems.join("\n"));
    }
    Ok(())
}

/// Failures that waiting does not fix, said in one line with what to check: a certificate the
/// client does not trust (the TLS error plus the setting), a refusal of the credentials (401) or
/// of their privileges (403) with the server's reason instead of its whole JSON answer.
fn refusal_in_words(e: app::AppError) -> anyhow::Error {
    if let Some(EsError::Tls(text)) = e.es_error() {
        let hint = if text.contains("UnknownIssuer") {
            "the server's certificate is not signed by a CA logsift trusts: set connection.ca_file to the PEM file of the CA that signed it"
        } else if text.contains("NotValidForName") {
            "the server's certificate does not name the host of connection.urls"
        } else if text.contains("Expired") || text.contains("NotValidYet") {
            "the server's certificate is outside its validity period"
        } else {
            return e.into();
        };
        return anyhow::anyhow!("{e} ({hint})");
    }
    let Some(EsError::Status { status: status @ (401 | 403), body, .. }) = e.es_error() else { return e.into() };
    let reason = serde_json::from_str::<serde_json::Value>(body)
        .ok()
        .and_then(|v| v.pointer("/error/reason").and_then(|r| r.as_str()).map(str::to_string))
        .unwrap_or_else(|| "no reason given".into());
    if *status == 401 {
        anyhow::anyhow!(
            "authentication failed: the search server answered 401 ({reason}); check connection.username and \
             connection.password, connection.api_key or connection.bearer_token"
        )
    } else {
        anyhow::anyhow!(
            "permission denied: the search server answered 403 ({reason}); the credentials lack a privilege logsift needs"
        )
    }
}

/// The final summary printed on stderr.
pub fn render_summary(s: &RunSummary, source: &str) -> String {
    let m = &s.metrics;
    let mut out = String::new();
    out += &format!(
        "logsift run summary (source `{source}`, {}, paging {})\n",
        s.server.as_deref().unwrap_or("?"),
        s.paging.as_deref().unwrap_or("?")
    );
    out += &format!("  documents read      {:>10}\n", m.docs_read);
    out += &format!("  labelled            {:>10}\n", m.docs_labelled);
    out += &format!("  already labelled    {:>10}\n", m.docs_already_labelled);
    out += &format!(
        "  skipped             {:>10}  (missing field {}, not a string {}, too large {})\n",
        m.skipped(),
        m.skipped_missing_field,
        m.skipped_not_string,
        m.skipped_too_large
    );
    out += &format!(
        "  not written         {:>10}  (conflict {}, document gone {}, refused {}): left pending\n",
        m.write_conflicts + m.write_missing + m.write_failed,
        m.write_conflicts,
        m.write_missing,
        m.write_failed
    );
    out += &format!(
        "  clusters            {:>10}  ({} new, {} recounted)\n",
        s.clusters, m.clusters_created, m.clusters_recounted
    );
    out += &format!(
        "  batches             {:>10}  (bulk requests {}, items resent {})\n",
        m.batches, m.bulk_requests, m.bulk_item_retries
    );
    if m.docs_unmappable > 0 {
        out += &format!(
            "  mapping refused     {:>10}  (documents of indices that refuse logsift.*): left pending\n",
            m.docs_unmappable
        );
    }
    for e in &s.read_errors {
        out += &format!("  read error: {e}\n");
    }
    let rate = m.docs_read as f64 / s.elapsed_secs.max(1e-3);
    out += &format!("  elapsed             {:>9.1}s  ({:.0} documents/s)\n", s.elapsed_secs, rate);
    out
}
