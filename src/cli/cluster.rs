//! `logsift cluster`: mine templates from a file, one message per line (PROVISIONAL).

use clap::Args;

#[derive(Args, Debug)]
pub struct ClusterArgs {
    /// Input file, or `-` for standard input.
    #[arg(default_value = "-")]
    pub input: String,
}

pub fn main(_args: ClusterArgs) -> anyhow::Result<()> {
    anyhow::bail!("not yet")
}
