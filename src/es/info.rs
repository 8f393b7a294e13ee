//! What the server is (`GET /`) and which paging features it has.

use super::{EsClient, EsError, Idempotent};
use elasticsearch::http::Method;
use serde_json::Value;
use std::fmt;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Distribution {
    Elasticsearch,
    OpenSearch,
}

/// The answer of `GET /`, reduced to what logsift decides on.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ServerInfo {
    pub distribution: Distribution,
    pub version: (u32, u32, u32),
}

/// Paging features of a server, from its distribution and version.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Capabilities {
    /// Point in time: Elasticsearch 7.10+ `POST /{index}/_pit`, OpenSearch 2.4+ `POST /{index}/_search/point_in_time`.
    pub pit: bool,
    /// The `_shard_doc` sort tiebreaker: Elasticsearch 7.12+, OpenSearch 3.3+.
    pub shard_doc: bool,
    /// `match_only_text` field type: Elasticsearch 7.14+, OpenSearch 2.12+.
    pub match_only_text: bool,
}

impl fmt::Display for ServerInfo {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let (a, b, c) = self.version;
        let d = match self.distribution {
            Distribution::Elasticsearch => "elasticsearch",
            Distribution::OpenSearch => "opensearch",
        };
        write!(f, "{d} {a}.{b}.{c}")
    }
}

impl ServerInfo {
    /// Reads the body of `GET /`. OpenSearch says `version.distribution: "opensearch"`;
    /// Elasticsearch has no such field (or `"elasticsearch"` in some builds).
    pub fn from_root(body: &Value) -> Result<ServerInfo, EsError> {
        let version = body.get("version").ok_or_else(|| EsError::Decode("no `version` in GET /".into()))?;
        let number = version.get("number").and_then(Value::as_str).unwrap_or_default();
        let distribution = match version.get("distribution").and_then(Value::as_str) {
            Some("opensearch") => Distribution::OpenSearch,
            _ => Distribution::Elasticsearch,
        };
        let mut parts = number.split(|c: char| !c.is_ascii_digit()).map(|p| p.parse::<u32>().ok());
        let (Some(Some(a)), Some(Some(b))) = (parts.next(), parts.next()) else {
            return Err(EsError::Decode(format!("version number `{number}` not understood")));
        };
        let c = parts.next().flatten().unwrap_or(0);
        Ok(ServerInfo { distribution, version: (a, b, c) })
    }

    pub fn capabilities(&self) -> Capabilities {
        let (a, b, _) = self.version;
        let at_least = |x: u32, y: u32| (a, b) >= (x, y);
        match self.distribution {
            Distribution::Elasticsearch => {
                Capabilities { pit: at_least(7, 10), shard_doc: at_least(7, 12), match_only_text: at_least(7, 14) }
            }
            Distribution::OpenSearch => {
                Capabilities { pit: at_least(2, 4), shard_doc: at_least(3, 3), match_only_text: at_least(2, 12) }
            }
        }
    }
}

impl EsClient {
    /// `GET /`, retried with backoff (the server may still be starting).
    pub async fn server_info(&self) -> Result<ServerInfo, EsError> {
        let body = self.request(Method::Get, "/", &[], None, Idempotent::Yes).await?;
        ServerInfo::from_root(&body)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn caps(dist: &str, number: &str) -> Capabilities {
        let mut v = json!({"version": {"number": number}});
        if !dist.is_empty() {
            v["version"]["distribution"] = json!(dist);
        }
        ServerInfo::from_root(&v).unwrap().capabilities()
    }

    #[test]
    fn capabilities_follow_the_documented_versions() {
        assert!(!caps("", "7.9.3").pit);
        assert_eq!(caps("", "7.10.2"), Capabilities { pit: true, shard_doc: false, match_only_text: false });
        assert!(caps("", "7.12.0").shard_doc);
        assert!(caps("", "8.15.0").match_only_text);
        assert!(caps("", "9.1.0-SNAPSHOT").shard_doc);
        assert!(!caps("opensearch", "1.3.19").pit);
        assert!(!caps("opensearch", "2.3.0").pit);
        assert_eq!(caps("opensearch", "2.4.0"), Capabilities { pit: true, shard_doc: false, match_only_text: false });
        assert!(!caps("opensearch", "3.2.0").shard_doc);
        assert!(caps("opensearch", "3.3.0").shard_doc);
    }

    #[test]
    fn bad_root_is_an_error() {
        assert!(ServerInfo::from_root(&json!({"tagline": "x"})).is_err());
        assert!(ServerInfo::from_root(&json!({"version": {"number": "abc"}})).is_err());
    }
}
