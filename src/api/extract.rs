//! Getting the message out of a document posted to `/v1/classify`.
//!
//! A body `{"message": "..."}` is always accepted as the message itself. Any other JSON object is a
//! log document and its message is extracted the way the source's config says (message field or a
//! template built from fields, syslog header stripping), so classification matches the sidecar.
//!
//! SEAM: the sidecar's extraction lives in `crate::source::extract` (branch `sidecar`); until it is
//! merged, [`FieldExtractor`] reads one (dotted) string field. The sidecar wires its own extractor
//! in through [`MessageExtractor`].

use serde_json::Value;
use std::borrow::Cow;

/// Why no message could be taken from a document.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ExtractError {
    #[error("document has no message field `{0}`")]
    Missing(String),
    #[error("message field `{0}` is not a string")]
    NotAString(String),
    #[error("{0}")]
    Other(String),
}

impl ExtractError {
    /// The skip reason, as the sidecar's `documents_skipped` metric labels it.
    pub fn reason(&self) -> &'static str {
        match self {
            ExtractError::Missing(_) => "no_message",
            ExtractError::NotAString(_) => "not_a_string",
            ExtractError::Other(_) => "extract_failed",
        }
    }
}

/// Takes the message to cluster out of a log document.
pub trait MessageExtractor: Send + Sync + 'static {
    fn extract<'a>(&self, doc: &'a Value) -> Result<Cow<'a, str>, ExtractError>;
}

/// Reads one string field; `a.b` looks for a field literally named `a.b`, then for `b` inside `a`.
#[derive(Debug, Clone)]
pub struct FieldExtractor {
    pub field: String,
}

impl Default for FieldExtractor {
    fn default() -> Self {
        FieldExtractor { field: "message".into() }
    }
}

fn lookup<'a>(doc: &'a Value, path: &str) -> Option<&'a Value> {
    if let Some(v) = doc.get(path) {
        return Some(v);
    }
    let (head, rest) = path.split_once('.')?;
    lookup(doc.get(head)?, rest)
}

impl MessageExtractor for FieldExtractor {
    fn extract<'a>(&self, doc: &'a Value) -> Result<Cow<'a, str>, ExtractError> {
        match lookup(doc, &self.field) {
            None | Some(Value::Null) => Err(ExtractError::Missing(self.field.clone())),
            Some(Value::String(s)) => Ok(Cow::Borrowed(s.as_str())),
            Some(_) => Err(ExtractError::NotAString(self.field.clone())),
        }
    }
}

/// The message of a posted body: `message` if the body has exactly that one key, else the
/// source's extraction.
pub fn message_of<'a>(body: &'a Value, extractor: &dyn MessageExtractor) -> Result<Cow<'a, str>, ExtractError> {
    if let Some(obj) = body.as_object() {
        if obj.len() == 1 {
            match obj.get("message") {
                Some(Value::String(s)) => return Ok(Cow::Borrowed(s.as_str())),
                Some(_) => return Err(ExtractError::NotAString("message".into())),
                None => {}
            }
        }
    }
    extractor.extract(body)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn field_extractor_reads_plain_and_nested_fields() {
        let x = FieldExtractor { field: "log.original".into() };
        assert_eq!(x.extract(&json!({"log": {"original": "a b"}})).unwrap(), "a b");
        assert_eq!(x.extract(&json!({"log.original": "c"})).unwrap(), "c");
        assert_eq!(x.extract(&json!({"log": {}})), Err(ExtractError::Missing("log.original".into())));
        assert_eq!(x.extract(&json!({"log": {"original": 3}})), Err(ExtractError::NotAString("log.original".into())));
    }

    #[test]
    fn message_only_body_bypasses_the_extractor() {
        let x = FieldExtractor { field: "msg".into() };
        assert_eq!(message_of(&json!({"message": "hi"}), &x).unwrap(), "hi");
        assert_eq!(message_of(&json!({"msg": "yo", "host": "h"}), &x).unwrap(), "yo");
        assert!(message_of(&json!({"message": 1}), &x).is_err());
    }
}
