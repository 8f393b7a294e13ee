//! `logsift setup`: install the index templates (component + composable) for the cluster and
//! state indices, create them, and put the `logsift.*` mappings on the source indices.

use crate::cli::common::{runtime, ServerArgs};
use crate::es::EsClient;
use crate::store::setup;
use clap::Args;

#[derive(Args, Debug)]
#[command(after_help = "Examples:
  logsift setup -c logsift.toml                        # index templates, cluster/state indices, logsift.* mappings
  logsift setup --url https://es:9200 --index 'logs-*'
  logsift setup -c logsift.toml --source sshd          # one of several [[sources]] only")]
pub struct SetupArgs {
    #[command(flatten)]
    pub server: ServerArgs,
}

pub fn main(args: SetupArgs) -> anyhow::Result<()> {
    let cfg = args.server.load()?;
    runtime()?.block_on(async {
        let client = EsClient::new(&cfg.connection)?;
        let info = client.server_info().await?;
        println!("server: {info}");
        // Each source's indices get the logsift.* mappings; the templates are installed once per
        // source too (idempotent).
        for view in cfg.per_source() {
            let r = setup::install(
                &client,
                &info.capabilities(),
                &view.clusters_index,
                &view.state_index,
                &view.source.index_expr(),
            )
            .await?;
            if cfg.sources.len() > 1 {
                println!("source `{}`:", view.source.name);
            }
            println!("component templates: {}", r.component_templates.join(", "));
            println!("index templates: {}", r.index_templates.join(", "));
            println!(
                "created indices: {}",
                if r.created_indices.is_empty() { "none (already there)".into() } else { r.created_indices.join(", ") }
            );
            println!(
                "logsift.* mappings on `{}`: {}",
                view.source.index_expr(),
                if r.mapped_source_indices {
                    "yes"
                } else if r.refused_indices.is_empty() {
                    "no index matches yet"
                } else {
                    "refused by some (below)"
                }
            );
            for index in &r.refused_indices {
                println!("mapping refused by `{index}`: its documents cannot be labelled (see the warning above)");
            }
        }
        anyhow::Ok(())
    })
}
