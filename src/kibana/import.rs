//! `POST /api/saved_objects/_import?overwrite=true`: the one request that installs the bundle
//! into Kibana or OpenSearch Dashboards, and the reading of its answer.
//!
//! Both products take the same multipart request (field `file`, a `.ndjson` file name).
//! Kibana requires the `kbn-xsrf` header, OpenSearch Dashboards `osd-xsrf`: we send both.
//! A Kibana space is a `/s/{space}` path prefix. The answer carries `success`, `successCount`
//! and `errors[]`; a 200 with `success: false` is a partial import and an error here.

use serde::Deserialize;
use std::fmt;
use url::Url;

/// How to authenticate to Kibana (the same choices as for the search server).
#[derive(Clone, Default)]
pub enum KibanaAuth {
    #[default]
    None,
    Basic {
        user: String,
        password: String,
    },
    /// An Elasticsearch API key, already base64-encoded (`id:key`), sent as `ApiKey ...`.
    ApiKey(String),
    /// A bearer token (e.g. a service account token).
    Bearer(String),
}

impl fmt::Debug for KibanaAuth {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::None => f.write_str("None"),
            Self::Basic { user, .. } => write!(f, "Basic({user}, ***)"),
            Self::ApiKey(_) => f.write_str("ApiKey(***)"),
            Self::Bearer(_) => f.write_str("Bearer(***)"),
        }
    }
}

/// Where to import: the Kibana base URL, an optional space, and credentials.
#[derive(Debug, Clone)]
pub struct KibanaTarget {
    pub url: Url,
    pub space: Option<String>,
    pub auth: KibanaAuth,
}

impl KibanaTarget {
    /// The import endpoint, with the space prefix when a space is set.
    pub fn import_url(&self) -> Result<Url, ImportError> {
        let mut url = self.url.clone();
        let base = url.path().trim_end_matches('/').to_owned();
        let space = match &self.space {
            Some(s) if s != "default" => {
                // Kibana space ids: lowercase letters, digits, '_' and '-'.
                if s.is_empty()
                    || !s.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_' || b == b'-')
                {
                    return Err(ImportError::Space(s.clone()));
                }
                format!("/s/{s}")
            }
            _ => String::new(),
        };
        url.set_path(&format!("{base}{space}/api/saved_objects/_import"));
        url.set_query(Some("overwrite=true"));
        Ok(url)
    }
}

/// One object the server refused.
#[derive(Debug, Clone, Deserialize, PartialEq)]
pub struct ImportFailure {
    #[serde(rename = "type", default)]
    pub object_type: String,
    #[serde(default)]
    pub id: String,
    #[serde(default)]
    pub title: Option<String>,
    #[serde(default)]
    pub error: serde_json::Value,
}

impl fmt::Display for ImportFailure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let kind = self.error.get("type").and_then(|t| t.as_str()).unwrap_or("unknown");
        write!(f, "{} {}", self.object_type, self.id)?;
        if let Some(t) = &self.title {
            write!(f, " ({t})")?;
        }
        write!(f, ": {kind}")?;
        if let Some(refs) = self.error.get("references").and_then(|r| r.as_array()) {
            let names: Vec<String> = refs
                .iter()
                .map(|r| format!("{}/{}", r["type"].as_str().unwrap_or("?"), r["id"].as_str().unwrap_or("?")))
                .collect();
            write!(f, " [{}]", names.join(", "))?;
        }
        if let Some(msg) = self.error.get("message").and_then(|m| m.as_str()) {
            write!(f, " {msg}")?;
        }
        Ok(())
    }
}

/// A complete import.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ImportSummary {
    pub success_count: u64,
}

#[derive(Debug, Deserialize)]
struct ImportResponse {
    success: bool,
    #[serde(rename = "successCount", default)]
    success_count: u64,
    #[serde(default)]
    errors: Vec<ImportFailure>,
}

/// Why an import did not complete.
#[derive(Debug, thiserror::Error)]
pub enum ImportError {
    #[error("invalid Kibana space id {0:?} (lowercase letters, digits, '_' and '-')")]
    Space(String),
    #[error("cannot reach Kibana: {0}")]
    Transport(#[source] reqwest::Error),
    #[error("Kibana answered HTTP {status}: {body}")]
    Http { status: u16, body: String },
    #[error("partial import: {success_count} objects imported, {} failed: {}", .errors.len(), list(.errors))]
    Partial { success_count: u64, errors: Vec<ImportFailure> },
    #[error("unexpected import response: {0}")]
    Response(String),
}

fn list(errors: &[ImportFailure]) -> String {
    errors.iter().map(ToString::to_string).collect::<Vec<_>>().join("; ")
}

impl ImportError {
    /// Worth trying again later: Kibana not up yet (connection refused, 503 while it starts),
    /// overloaded (429) or failing (5xx). Other 4xx, bad input and partial imports are not.
    pub fn is_retriable(&self) -> bool {
        match self {
            Self::Transport(e) => e.is_connect() || e.is_timeout() || e.is_request(),
            Self::Http { status, .. } => *status == 429 || *status >= 500,
            Self::Space(_) | Self::Partial { .. } | Self::Response(_) => false,
        }
    }
}

/// Sends `ndjson` as the import file; Ok only when every object was imported.
pub async fn import_saved_objects(
    client: &reqwest::Client,
    target: &KibanaTarget,
    ndjson: String,
) -> Result<ImportSummary, ImportError> {
    let url = target.import_url()?;
    let part = reqwest::multipart::Part::bytes(ndjson.into_bytes())
        .file_name("logsift.ndjson")
        .mime_str("application/ndjson")
        .expect("a static, valid mime type");
    let form = reqwest::multipart::Form::new().part("file", part);
    let mut req = client.post(url).header("kbn-xsrf", "logsift").header("osd-xsrf", "logsift").multipart(form);
    req = match &target.auth {
        KibanaAuth::None => req,
        KibanaAuth::Basic { user, password } => req.basic_auth(user, Some(password)),
        KibanaAuth::ApiKey(key) => req.header(reqwest::header::AUTHORIZATION, format!("ApiKey {key}")),
        KibanaAuth::Bearer(token) => req.bearer_auth(token),
    };
    let resp = req.send().await.map_err(ImportError::Transport)?;
    let status = resp.status();
    let body = resp.text().await.map_err(ImportError::Transport)?;
    if !status.is_success() {
        return Err(ImportError::Http { status: status.as_u16(), body: truncate(&body, 2000) });
    }
    let parsed: ImportResponse =
        serde_json::from_str(&body).map_err(|e| ImportError::Response(format!("{e}: {}", truncate(&body, 500))))?;
    if !parsed.success || !parsed.errors.is_empty() {
        return Err(ImportError::Partial { success_count: parsed.success_count, errors: parsed.errors });
    }
    Ok(ImportSummary { success_count: parsed.success_count })
}

fn truncate(s: &str, max: usize) -> String {
    if s.len() <= max {
        return s.to_owned();
    }
    let mut end = max;
    while !s.is_char_boundary(end) {
        end -= 1;
    }
    format!("{}...", &s[..end])
}

#[cfg(test)]
mod tests {
    use super::*;

    fn target(url: &str, space: Option<&str>) -> KibanaTarget {
        KibanaTarget { url: Url::parse(url).unwrap(), space: space.map(Into::into), auth: KibanaAuth::None }
    }

    #[test]
    fn import_url_with_and_without_space() {
        assert_eq!(
            target("http://k:5601", None).import_url().unwrap().as_str(),
            "http://k:5601/api/saved_objects/_import?overwrite=true"
        );
        assert_eq!(
            target("http://k:5601/kibana/", Some("ops")).import_url().unwrap().as_str(),
            "http://k:5601/kibana/s/ops/api/saved_objects/_import?overwrite=true"
        );
        assert_eq!(target("http://k:5601", Some("default")).import_url().unwrap().path(), "/api/saved_objects/_import");
        assert!(matches!(target("http://k", Some("../x")).import_url(), Err(ImportError::Space(_))));
    }

    #[test]
    fn failures_name_the_object_and_the_missing_references() {
        let f: ImportFailure = serde_json::from_value(serde_json::json!({
            "id": "v1", "type": "visualization", "title": "t",
            "error": {"type": "missing_references", "references": [{"type": "index-pattern", "id": "p"}]}
        }))
        .unwrap();
        assert_eq!(f.to_string(), "visualization v1 (t): missing_references [index-pattern/p]");
    }
}
