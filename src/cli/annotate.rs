//! `logsift annotate ID`: name, tag and note a cluster in the cluster index (what
//! `PUT /v1/clusters/{id}/annotation` does, without the daemon), or show its annotation.

use crate::cli::common::{runtime, ServerArgs};
use crate::cli::UsageError;
use crate::es::EsClient;
use crate::store::annotations::{annotate, AnnotationPatch};
use clap::Args;

#[derive(Args, Debug)]
#[command(after_help = "Examples:
  logsift annotate sshd-12 --name \"publickey logins\" --tag known --tag benign
  logsift annotate sshd-40 --tag security --note \"brute force from outside; see ticket 4711\"
  logsift annotate sshd-12 --untag benign        # remove one tag
  logsift annotate sshd-12 --clear               # remove the whole annotation
  logsift annotate sshd-12                       # show it")]
pub struct AnnotateArgs {
    /// The cluster id, as written into documents (`sshd-12`).
    pub id: String,
    /// A name for the template (an empty string clears it).
    #[arg(long)]
    pub name: Option<String>,
    /// Add a tag (repeatable): letters, digits, `-`, `_`, `.`, `:`.
    #[arg(long = "tag")]
    pub tags: Vec<String>,
    /// Remove a tag (repeatable).
    #[arg(long = "untag")]
    pub untags: Vec<String>,
    /// A free-text note (an empty string clears it).
    #[arg(long)]
    pub note: Option<String>,
    /// Remove the annotation (then apply the other options, if any).
    #[arg(long)]
    pub clear: bool,
    #[command(flatten)]
    pub server: ServerArgs,
}

pub fn main(args: AnnotateArgs) -> anyhow::Result<()> {
    let cfg = args.server.load_interactive()?;
    let patch = AnnotationPatch {
        name: args.name,
        note: args.note,
        add_tags: args.tags,
        remove_tags: args.untags,
        clear: args.clear,
    };
    patch.validate().map_err(|e| UsageError(e.to_string()))?;
    runtime()?.block_on(async {
        let client = EsClient::new(&cfg.connection)?;
        let Some(a) = annotate(&client, &cfg.clusters_index, &args.id, &patch).await? else {
            return Err(
                UsageError(format!("no cluster `{}` in the cluster index `{}`", args.id, cfg.clusters_index)).into()
            );
        };
        println!("{}", serde_json::to_string_pretty(&serde_json::json!({"cluster_id": args.id, "annotation": a}))?);
        anyhow::Ok(())
    })
}
