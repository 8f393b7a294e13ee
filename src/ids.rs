//! Names that every layer above agrees on: the cluster id written into documents
//! (`<source>-<n>`: the engine's number, namespaced by the source, so several sources or
//! sidecars can share one cluster index) and the `logsift.*` field names.

use crate::engine::ClusterId;

/// The object under which logsift writes its fields into a log document.
pub const FIELD_ROOT: &str = "logsift";
/// The cluster id of a labelled document (keyword).
pub const FIELD_CLUSTER_ID: &str = "logsift.cluster_id";
/// The template of a labelled document's cluster (keyword).
pub const FIELD_TEMPLATE: &str = "logsift.template";
/// The values of the template's variables in the message (keyword).
pub const FIELD_PARAMS: &str = "logsift.params";
/// Why a document was not labelled (`missing_field`, `not_string`, `too_large`, ...).
pub const FIELD_SKIPPED: &str = "logsift.skipped";
/// The host/program/pid/level of the header cut off the message (`source.header = auto`).
pub const FIELD_HEADER: &str = "logsift.header";
/// Set by `remine` on documents that no batch cluster holds.
pub const FIELD_OUTLIER: &str = "logsift.outlier";

/// The cluster id written into documents: the engine's number, namespaced by the source.
pub fn cluster_key(source: &str, id: ClusterId) -> String {
    format!("{source}-{id}")
}

/// The engine's number of a [`cluster_key`] of `source`.
pub fn parse_cluster_key(source: &str, key: &str) -> Option<ClusterId> {
    key.strip_prefix(source)?.strip_prefix('-')?.parse().ok().map(ClusterId)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_round_trip_and_other_sources_do_not_parse() {
        let key = cluster_key("sshd", ClusterId(42));
        assert_eq!(key, "sshd-42");
        assert_eq!(parse_cluster_key("sshd", &key), Some(ClusterId(42)));
        assert_eq!(parse_cluster_key("ssh", &key), None);
        assert_eq!(parse_cluster_key("sshd", "sshd-x"), None);
        // A source name with a dash still parses: the number is what follows `<source>-`.
        assert_eq!(parse_cluster_key("web-1", &cluster_key("web-1", ClusterId(7))), Some(ClusterId(7)));
    }
}
