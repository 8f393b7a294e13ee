//! The `logsift` binary: parse the command line, set up logging, run, map errors to exit codes.

use clap::{Parser, Subcommand};
use logsift::cli;
use std::process::ExitCode;

#[derive(Parser)]
#[command(name = "logsift", version, about = "Turns floods of log lines into a short list of log templates")]
struct Cli {
    /// More log output on stderr (-v debug, -vv trace); RUST_LOG overrides.
    #[arg(short, long, action = clap::ArgAction::Count, global = true)]
    verbose: u8,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Cluster log lines (files, directories, globs, .gz, NDJSON or stdin) into templates.
    Cluster(cli::cluster::ClusterArgs),
    /// Label documents in Elasticsearch/OpenSearch with their cluster; keep the cluster index.
    Run(cli::run::RunArgs),
    /// Per-source progress, pending documents and lag (with --since/--until: counts in that range).
    Status(cli::status::StatusArgs),
    /// The templates with the most (or fewest) documents in a time range.
    Top(cli::top::TopArgs),
    /// Compare two periods: templates new, gone, or changed in share.
    Compare(cli::compare::CompareArgs),
    /// Install index templates and the logsift.* mappings.
    Setup(cli::setup::SetupArgs),
    /// Kibana / OpenSearch Dashboards: install or print the dashboards.
    Kibana(cli::kibana::KibanaArgs),
    /// Serve the HTTP API (classify, health, metrics) alone, on a fresh miner.
    Serve(cli::serve::ServeArgs),
    /// Scheduled jobs: list, run, status.
    Jobs(cli::jobs::JobsArgs),
    /// Name, tag and note a cluster (kept in the cluster index; follows its documents).
    Annotate(cli::annotate::AnnotateArgs),
    /// Audit events of a structured source: the rare-combinations view.
    Audit(cli::audit::AuditArgs),
}

fn main() -> ExitCode {
    let args = Cli::parse();
    cli::init_tracing(args.verbose);
    let result = match args.command {
        Command::Cluster(a) => cli::cluster::main(a),
        Command::Run(a) => cli::run::main(a),
        Command::Status(a) => cli::status::main(a),
        Command::Top(a) => cli::top::main(a),
        Command::Compare(a) => cli::compare::main(a),
        Command::Setup(a) => cli::setup::main(a),
        Command::Kibana(a) => cli::kibana::main(a),
        Command::Serve(a) => cli::serve::main(a),
        Command::Jobs(a) => cli::jobs::main(a),
        Command::Annotate(a) => cli::annotate::main(a),
        Command::Audit(a) => cli::audit::main(a),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        // A closed pipe (`logsift cluster … | head`) is the reader's choice, not an error.
        Err(e)
            if e.chain().any(|c| {
                c.downcast_ref::<std::io::Error>().is_some_and(|io| io.kind() == std::io::ErrorKind::BrokenPipe)
            }) =>
        {
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("error: {e:#}");
            ExitCode::from(cli::exit_code(&e))
        }
    }
}
