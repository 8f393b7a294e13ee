//! The canonical saved-objects bundle (`kibana/logsift.ndjson`, built by
//! `tools/dashboards/build_bundle.mjs`) and its adaptation to the index names of a deployment.
//!
//! The bundle is written for the source pattern `logs-*` and the cluster index
//! `logsift-clusters`. Three places name an index: the index patterns' `title`, each Vega spec's
//! `data.url.index`, and TSVB's `params.index_pattern`; `adapt_bundle` rewrites all three and
//! nothing else (ids stay stable, so re-imports overwrite).

use serde_json::Value;

/// The bundle as shipped, one saved object per line plus the export summary line.
pub const BUNDLE: &str = include_str!("../../kibana/logsift.ndjson");
/// Index-pattern id of the log documents.
pub const LOGS_PATTERN_ID: &str = "logsift-logs";
/// Index-pattern id of the cluster index.
pub const CLUSTERS_PATTERN_ID: &str = "logsift-clusters";
/// The source pattern the bundle is written for.
pub const BUNDLE_SOURCE_PATTERN: &str = "logs-*";
/// The cluster index the bundle is written for.
pub const BUNDLE_CLUSTER_INDEX: &str = "logsift-clusters";

/// The index names of a deployment.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IndexNames {
    /// Index pattern of the log documents logsift labels (e.g. `logs-*`).
    pub source_pattern: String,
    /// The cluster index (one document per template).
    pub cluster_index: String,
}

impl Default for IndexNames {
    fn default() -> Self {
        Self { source_pattern: BUNDLE_SOURCE_PATTERN.into(), cluster_index: BUNDLE_CLUSTER_INDEX.into() }
    }
}

impl IndexNames {
    fn map<'a>(&'a self, name: &'a str) -> &'a str {
        match name {
            BUNDLE_SOURCE_PATTERN => &self.source_pattern,
            BUNDLE_CLUSTER_INDEX => &self.cluster_index,
            other => other,
        }
    }
}

/// A bundle that is not what `adapt_bundle` expects (a broken file passed with `--bundle`).
#[derive(Debug, thiserror::Error)]
pub enum BundleError {
    #[error("bundle line {line}: not JSON: {source}")]
    Line { line: usize, source: serde_json::Error },
    #[error("bundle object {id}: attribute {field} is not valid JSON: {source}")]
    Attribute { id: String, field: &'static str, source: serde_json::Error },
    #[error("bundle object {id}: {what}")]
    Shape { id: String, what: &'static str },
}

impl BundleError {
    /// A bad bundle stays bad: never worth retrying.
    pub fn is_retriable(&self) -> bool {
        false
    }
}

/// Rewrites the bundle for `names`: index-pattern titles, Vega `data.url.index`, TSVB
/// `index_pattern`. Returns NDJSON (one object per line, trailing newline).
pub fn adapt_bundle(bundle: &str, names: &IndexNames) -> Result<String, BundleError> {
    let mut out = String::with_capacity(bundle.len() + 256);
    for (n, line) in bundle.lines().enumerate() {
        if line.trim().is_empty() {
            continue;
        }
        let mut obj: Value = serde_json::from_str(line).map_err(|source| BundleError::Line { line: n + 1, source })?;
        adapt_object(&mut obj, names)?;
        out.push_str(&obj.to_string());
        out.push('\n');
    }
    Ok(out)
}

fn adapt_object(obj: &mut Value, names: &IndexNames) -> Result<(), BundleError> {
    let id = obj.get("id").and_then(Value::as_str).unwrap_or_default().to_owned();
    match obj.get("type").and_then(Value::as_str) {
        Some("index-pattern") => {
            let title = match id.as_str() {
                LOGS_PATTERN_ID => &names.source_pattern,
                CLUSTERS_PATTERN_ID => &names.cluster_index,
                _ => return Ok(()),
            };
            let attrs = obj
                .get_mut("attributes")
                .and_then(Value::as_object_mut)
                .ok_or(BundleError::Shape { id, what: "no attributes" })?;
            attrs.insert("title".into(), Value::String(title.clone()));
        }
        Some("visualization") => {
            let Some(vis_state) = obj.pointer_mut("/attributes/visState") else { return Ok(()) };
            let raw =
                vis_state.as_str().ok_or(BundleError::Shape { id: id.clone(), what: "visState is not a string" })?;
            let mut vis: Value = serde_json::from_str(raw).map_err(|source| BundleError::Attribute {
                id: id.clone(),
                field: "visState",
                source,
            })?;
            let changed = match vis.get("type").and_then(Value::as_str) {
                Some("vega") => adapt_vega(&mut vis, &id, names)?,
                Some("metrics") => adapt_tsvb(&mut vis, names),
                _ => false,
            };
            if changed {
                *vis_state = Value::String(vis.to_string());
            }
        }
        _ => {}
    }
    Ok(())
}

fn adapt_vega(vis: &mut Value, id: &str, names: &IndexNames) -> Result<bool, BundleError> {
    let Some(spec_value) = vis.pointer_mut("/params/spec") else { return Ok(false) };
    let raw = spec_value.as_str().ok_or(BundleError::Shape { id: id.into(), what: "Vega spec is not a string" })?;
    // Kibana accepts HJSON specs; ours are plain JSON so they can be checked and rewritten.
    let mut spec: Value = serde_json::from_str(raw).map_err(|source| BundleError::Attribute {
        id: id.into(),
        field: "params.spec",
        source,
    })?;
    let mut changed = false;
    let data = match spec.get_mut("data") {
        Some(Value::Array(items)) => items.iter_mut().collect::<Vec<_>>(),
        Some(one @ Value::Object(_)) => vec![one],
        _ => Vec::new(),
    };
    for d in data {
        if let Some(Value::String(index)) = d.pointer_mut("/url/index") {
            let mapped = names.map(index).to_owned();
            changed |= mapped != *index;
            *index = mapped;
        }
    }
    if changed {
        *spec_value = Value::String(serde_json::to_string_pretty(&spec).expect("a Value always serialises"));
    }
    Ok(changed)
}

fn adapt_tsvb(vis: &mut Value, names: &IndexNames) -> bool {
    let mut changed = false;
    for key in ["/params/index_pattern", "/params/default_index_pattern"] {
        if let Some(Value::String(pattern)) = vis.pointer_mut(key) {
            let mapped = names.map(pattern).to_owned();
            changed |= mapped != *pattern;
            *pattern = mapped;
        }
    }
    changed
}

#[cfg(test)]
mod tests {
    use super::*;

    fn objects(ndjson: &str) -> Vec<Value> {
        ndjson.lines().map(|l| serde_json::from_str(l).unwrap()).collect()
    }

    #[test]
    fn default_names_leave_the_bundle_unchanged() {
        let adapted = adapt_bundle(BUNDLE, &IndexNames::default()).unwrap();
        assert_eq!(objects(&adapted), objects(BUNDLE));
    }

    #[test]
    fn custom_names_reach_every_place_that_names_an_index() {
        let names = IndexNames { source_pattern: "filebeat-*".into(), cluster_index: "prod-templates".into() };
        let adapted = adapt_bundle(BUNDLE, &names).unwrap();
        let objs = objects(&adapted);
        let title = |id: &str| objs.iter().find(|o| o["id"] == id).unwrap()["attributes"]["title"].clone();
        assert_eq!(title(LOGS_PATTERN_ID), "filebeat-*");
        assert_eq!(title(CLUSTERS_PATTERN_ID), "prod-templates");
        let mut vega_indices = Vec::new();
        for o in objs.iter().filter(|o| o["type"] == "visualization") {
            let vis: Value = serde_json::from_str(o["attributes"]["visState"].as_str().unwrap()).unwrap();
            if vis["type"] == "vega" {
                let spec: Value = serde_json::from_str(vis["params"]["spec"].as_str().unwrap()).unwrap();
                vega_indices.push(spec["data"]["url"]["index"].as_str().unwrap().to_owned());
            }
            if vis["type"] == "metrics" {
                assert_eq!(vis["params"]["index_pattern"], "filebeat-*");
            }
        }
        assert!(vega_indices.iter().any(|i| i == "filebeat-*"));
        assert!(vega_indices.iter().any(|i| i == "prod-templates"));
        assert!(vega_indices.iter().all(|i| i == "filebeat-*" || i == "prod-templates"), "{vega_indices:?}");
    }

    #[test]
    fn a_broken_line_is_reported_with_its_number() {
        let err = adapt_bundle("{\"type\":\"search\",\"id\":\"a\"}\n{oops\n", &IndexNames::default()).unwrap_err();
        assert!(matches!(err, BundleError::Line { line: 2, .. }), "{err}");
    }
}
