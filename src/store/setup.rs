//! Index set-up: component + composable index templates for the cluster and state indices, the
//! indices themselves, and the `logsift.*` field mappings on the log indices (`logsift setup`;
//! also run at start when `run.setup_on_start` is on). Works on Elasticsearch 7.8+ and OpenSearch.
//!
//! A structured (audit) source also gets its own categorical fields (the preset's or
//! `[source.fields]`' paths, `SourceFields`) mapped as keyword: a component template
//! `logsift-source-fields-{source}` to compose into the source's index template, and the mapping
//! put on the existing source indices. An index that already maps such a field otherwise (text
//! with a `.keyword` sub-field, as default dynamic mapping does, or a number) refuses it: that
//! index is named with the server's reason in `SetupReport::source_field_conflicts`, the other
//! indices and everything else are set up. Labelling and the dashboards do not depend on it: they
//! read `logsift.audit.*`.

use crate::config::SourceConfig;
use crate::es::indices::{cluster_index_mapping, keyword_fields_mapping, logsift_fields_mapping, state_index_mapping};
use crate::es::{Capabilities, EsClient, EsError};
use serde_json::{json, Value};
use tracing::{debug, info};

/// Names of what [`install`] creates.
pub const COMPONENT_FIELDS: &str = "logsift-fields";
pub const COMPONENT_CLUSTERS: &str = "logsift-clusters-mappings";
pub const COMPONENT_STATE: &str = "logsift-state-mappings";
pub const COMPONENT_SETTINGS: &str = "logsift-settings";
/// Prefix of a structured source's component template (`logsift-source-fields-{source}`).
pub const COMPONENT_SOURCE_FIELDS_PREFIX: &str = "logsift-source-fields-";

/// A structured source's own categorical fields, to map as keyword on its indices.
#[derive(Clone, Debug, PartialEq)]
pub struct SourceFields {
    pub source: String,
    /// Dotted paths (`trace_name`, `user.name`, `Parameters.Name`).
    pub paths: Vec<String>,
}

impl SourceFields {
    /// The fields of a structured source; `None` for a message source.
    pub fn of(source: &SourceConfig) -> Option<SourceFields> {
        let spec = source.extract.structured.as_ref()?;
        Some(SourceFields { source: source.name.clone(), paths: spec.keyword_paths() })
    }

    pub fn component_name(&self) -> String {
        format!("{COMPONENT_SOURCE_FIELDS_PREFIX}{}", self.source)
    }

    pub fn mapping(&self) -> Value {
        keyword_fields_mapping(&self.paths)
    }
}

/// What was installed, for the command's output.
#[derive(Debug, Default)]
pub struct SetupReport {
    pub component_templates: Vec<String>,
    pub index_templates: Vec<String>,
    pub created_indices: Vec<String>,
    pub mapped_source_indices: bool,
    /// Source indices that refuse the `logsift.*` mapping (a conflicting field of their own).
    pub refused_indices: Vec<String>,
    /// A structured source's fields mapped as keyword on every existing source index.
    pub mapped_source_fields: bool,
    /// (index, the server's reason) of each source index that maps one of those fields otherwise.
    pub source_field_conflicts: Vec<(String, String)>,
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
    source_fields: Option<&SourceFields>,
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
    if let Some(f) = source_fields.filter(|f| !f.paths.is_empty()) {
        let name = f.component_name();
        client.put_component_template(&name, &component(f.mapping())).await?;
        r.component_templates.push(name);
        map_source_fields(client, source_indices, &f.mapping(), &mut r).await?;
    }
    Ok(r)
}

/// Puts the keyword mapping of a structured source's fields on the source indices, one by one
/// when the whole expression is refused, so that each conflicting index is named.
async fn map_source_fields(
    client: &EsClient,
    source_indices: &str,
    mapping: &Value,
    r: &mut SetupReport,
) -> Result<(), EsError> {
    match client.put_mapping(source_indices, mapping).await {
        Ok(()) => r.mapped_source_fields = true,
        Err(e) if e.status() == Some(404) => debug!(indices = source_indices, "no source index yet"),
        Err(e) if e.status() == Some(400) => {
            let per_index = client.get_mapping(source_indices).await?.unwrap_or_default();
            let mut names: Vec<String> = per_index.as_object().map(|o| o.keys().cloned().collect()).unwrap_or_default();
            names.sort();
            for index in names {
                if let Err(error) = client.put_mapping(&index, mapping).await {
                    if error.status() != Some(400) {
                        return Err(error);
                    }
                    tracing::warn!(index = %index, reason = %error.reason(), "the source's fields cannot be mapped as keyword on this index");
                    r.source_field_conflicts.push((index, error.reason()));
                }
            }
            if r.source_field_conflicts.is_empty() {
                // Refused as a whole but by no index alone: report the server's answer.
                r.source_field_conflicts.push((source_indices.to_string(), e.reason()));
            }
        }
        Err(e) => return Err(e),
    }
    Ok(())
}
