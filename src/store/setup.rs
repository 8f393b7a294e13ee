//! Index set-up: component + composable index templates for the cluster and state indices, the
//! indices themselves, and the `logsift.*` field mappings on the log indices (`logsift setup`;
//! also run at start when `run.setup_on_start` is on). Works on Elasticsearch 7.8+ and OpenSearch.

use crate::es::indices::{cluster_index_mapping, logsift_fields_mapping, state_index_mapping};
use crate::es::{Capabilities, EsClient, EsError};
use serde_json::{json, Value};
use tracing::{debug, info};

/// Names of what [`install`] creates.
pub const COMPONENT_FIELDS: &str = "logsift-fields";
pub const COMPONENT_CLUSTERS: &str = "logsift-clusters-mappings";
pub const COMPONENT_STATE: &str = "logsift-state-mappings";
pub const COMPONENT_SETTINGS: &str = "logsift-settings";

/// What was installed, for the command's output.
#[derive(Debug, Default)]
pub struct SetupReport {
    pub component_templates: Vec<String>,
    pub index_templates: Vec<String>,
    pub created_indices: Vec<String>,
    pub mapped_source_indices: bool,
    /// Source indices that refuse the `logsift.*` mapping (a conflicting field of their own).
    pub refused_indices: Vec<String>,
}

fn component(mappings: Value) -> Value {
    json!({"template": {"mappings": mappings}, "_meta": {"managed_by": "logsift"}})
}

/// Installs templates and indices (idempotent: templates are overwritten, indices kept).
pub async fn install(
    client: &EsClient,
    caps: &Capabilities,
    clusters_index: &str,
    state_index: &str,
    source_indices: &str,
) -> Result<SetupReport, EsError> {
    let mut r = SetupReport::default();
    let settings = json!({"template": {"settings": {"index": {"number_of_shards": 1, "auto_expand_replicas": "0-1"}}},
                          "_meta": {"managed_by": "logsift"}});
    for (name, body) in [
        (COMPONENT_SETTINGS, settings),
        (COMPONENT_FIELDS, component(logsift_fields_mapping(caps))),
        (COMPONENT_CLUSTERS, component(cluster_index_mapping(caps))),
        (COMPONENT_STATE, component(state_index_mapping())),
    ] {
        client.put_component_template(name, &body).await?;
        r.component_templates.push(name.to_string());
    }
    for (index, parts) in [
        (clusters_index, [COMPONENT_SETTINGS, COMPONENT_CLUSTERS]),
        (state_index, [COMPONENT_SETTINGS, COMPONENT_STATE]),
    ] {
        let body = json!({"index_patterns": [index], "composed_of": parts, "priority": 500,
                          "_meta": {"managed_by": "logsift"}});
        client.put_index_template(index, &body).await?;
        r.index_templates.push(index.to_string());
        // The template supplies settings and mappings to the new index.
        if client.create_index_if_missing(index, &json!({})).await? {
            info!(index, "created index");
            r.created_indices.push(index.to_string());
        } else if index == clusters_index {
            // An index made by an older logsift gets the fields added since (e.g. `annotation`).
            if let Err(error) = client.put_mapping(index, &cluster_index_mapping(caps)).await {
                tracing::warn!(index, %error, "the cluster index mapping could not be brought up to date");
            }
        }
    }
    // Existing log indices get the logsift.* fields now; new concrete indices get them from the
    // sidecar before its first write to each (users may also compose `logsift-fields` into their
    // own index templates).
    match client.put_mapping(source_indices, &logsift_fields_mapping(caps)).await {
        Ok(()) => r.mapped_source_indices = true,
        Err(e) if e.status() == Some(404) => debug!(indices = source_indices, "no source index yet"),
        // One index whose own mapping conflicts (e.g. `logsift` mapped as a keyword) must not stop
        // the others: map them one by one, and leave the refused ones to the sidecar, which names
        // them and skips their documents.
        Err(e) if e.status() == Some(400) => {
            let per_index = client.get_mapping(source_indices).await?.unwrap_or_default();
            let names: Vec<String> = per_index.as_object().map(|o| o.keys().cloned().collect()).unwrap_or_default();
            for index in names {
                if let Err(error) = client.put_mapping(&index, &logsift_fields_mapping(caps)).await {
                    tracing::warn!(index = %index, %error, "the logsift.* mapping is refused on this index");
                    r.refused_indices.push(index);
                }
            }
            r.mapped_source_indices = r.refused_indices.is_empty();
        }
        Err(e) => return Err(e),
    }
    Ok(r)
}
