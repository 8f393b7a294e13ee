//! Command-line subcommands: one file each. Glue only: the work lives in library modules.

pub mod annotate;
pub mod audit;
pub mod cluster;
pub mod common;
pub mod compare;
pub mod jobs;
pub mod kibana;
pub mod run;
pub mod serve;
pub mod setup;
pub mod status;
pub mod top;

/// An error in what the user asked for (bad option, invalid config): exit code 2.
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct UsageError(pub String);

/// 2 for usage and configuration errors, 1 for everything else.
pub fn exit_code(e: &anyhow::Error) -> u8 {
    let usage = e.chain().any(|c| c.is::<UsageError>() || c.is::<crate::engine::ConfigError>());
    if usage {
        2
    } else {
        1
    }
}

/// Logs go to stderr; `RUST_LOG` overrides the level picked by `-v`.
pub fn init_tracing(verbose: u8) {
    use tracing_subscriber::EnvFilter;
    // -v and -vv are about logsift: the HTTP and TLS libraries stay at info unless -vvv.
    let default = match verbose {
        0 => "info",
        1 => "info,logsift=debug",
        2 => "info,logsift=trace",
        _ => "trace",
    };
    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new(default));
    // Colour only on a terminal (a file or a pipe gets plain text); NO_COLOR turns it off too.
    use std::io::IsTerminal;
    let ansi = std::io::stderr().is_terminal() && std::env::var_os("NO_COLOR").is_none();
    let _ = tracing_subscriber::fmt().with_env_filter(filter).with_writer(std::io::stderr).with_ansi(ansi).try_init();
}
