//! `logsift setup`: install the index templates (component + composable) for the cluster and
//! state indices, create them, and put the `logsift.*` mappings on the source indices (and, for
//! a structured source, keyword mappings for its own fields; a conflict is named, exit 1). With
//! several `[[sources]]`, every source in turn.

use crate::cli::common::{runtime, ServerArgs};
use crate::es::EsClient;
use crate::store::setup;
use clap::Args;

#[derive(Args, Debug)]
#[command(after_help = "Examples:
  logsift setup -c logsift.toml                        # index templates, cluster/state indices, logsift.* mappings
  logsift setup --url https://es:9200 --index 'logs-*'
  logsift setup -c logsift.toml --source sshd          # one of several [[sources]] only
  logsift setup --index 'cloud-trace-*' --source-name cloudtrace --preset cloud-trace   # + the preset's fields as keyword")]
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
        // Each source's indices get the logsift.* mappings (the templates are installed again
        // per source: idempotent); a conflict of a structured source's fields fails the command
        // once every source is set up.
        let mut conflicts = Vec::new();
        for view in cfg.per_source() {
            let fields = setup::SourceFields::of(&view.source);
            let r = setup::install(
                &client,
                &info.capabilities(),
                &view.clusters_index,
                &view.state_index,
                &view.source.index_expr(),
                fields.as_ref(),
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
            let Some(f) = &fields else { continue };
            println!(
                "keyword mappings for the source's fields ({}) on `{}`: {}",
                f.paths.join(", "),
                view.source.index_expr(),
                if r.mapped_source_fields {
                    "yes".to_string()
                } else if r.source_field_conflicts.is_empty() {
                    format!("no index matches yet (compose `{}` into their index template)", f.component_name())
                } else {
                    "refused by some (below)".to_string()
                }
            );
            for (index, reason) in &r.source_field_conflicts {
                println!("keyword mapping refused by `{index}`: {reason}");
            }
            if !r.source_field_conflicts.is_empty() {
                let names: Vec<&str> = r.source_field_conflicts.iter().map(|(i, _)| i.as_str()).collect();
                conflicts.push(format!(
                    "the source's fields are already mapped otherwise in {} (an index keeps a field's type): \
                     logsift labels their documents and the dashboards read `logsift.audit.*`, but those fields \
                     stay as they are; compose the component template `{}` into the index template so that new \
                     indices map them as keyword, or reindex into an index created after `logsift setup`",
                    names.join(", "),
                    f.component_name()
                ));
            }
        }
        if !conflicts.is_empty() {
            anyhow::bail!("{}", conflicts.join("\n"));
        }
        anyhow::Ok(())
    })
}
