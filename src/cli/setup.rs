//! `logsift setup`: install the index templates (component + composable) for the cluster and
//! state indices, create them, and put the `logsift.*` mappings on the source indices.

use crate::cli::common::{runtime, ServerArgs};
use crate::es::EsClient;
use crate::store::setup;
use clap::Args;

#[derive(Args, Debug)]
#[command(after_help = "Examples:
  logsift setup -c logsift.toml                        # index templates, cluster/state indices, logsift.* mappings
  logsift setup --url https://es:9200 --index 'logs-*'")]
pub struct SetupArgs {
    #[command(flatten)]
    pub server: ServerArgs,
}

pub fn main(args: SetupArgs) -> anyhow::Result<()> {
    let cfg = args.server.load()?;
    runtime()?.block_on(async {
        let client = EsClient::new(&cfg.connection)?;
        let info = client.server_info().await?;
        let r = setup::install(
            &client,
            &info.capabilities(),
            &cfg.clusters_index,
            &cfg.state_index,
            &cfg.source.index_expr(),
        )
        .await?;
        println!("server: {info}");
        println!("component templates: {}", r.component_templates.join(", "));
        println!("index templates: {}", r.index_templates.join(", "));
        println!(
            "created indices: {}",
            if r.created_indices.is_empty() { "none (already there)".into() } else { r.created_indices.join(", ") }
        );
        println!(
            "logsift.* mappings on `{}`: {}",
            cfg.source.index_expr(),
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
        anyhow::Ok(())
    })
}
