//! Getting the message out of a body posted to `/v1/classify`, exactly as the sidecar does.
//!
//! A body is a log document: its message is extracted with the source's own
//! [`Extractor`](crate::message::Extractor) (message field or a template built from
//! fields, syslog header removal, size limit), so a document classified here gets the id the
//! sidecar writes into it. A body `{"message": "..."}` for a source whose extraction reads other
//! fields (a template from fields) is taken as the message itself.

use super::error::RequestError;
use crate::message::{Extractor, SkipReason};
use serde_json::Value;
use std::borrow::Cow;

/// The message to cluster, or the request error for a body that has none.
pub fn message_of<'a>(body: &'a Value, extractor: &Extractor) -> Result<Cow<'a, str>, RequestError> {
    if !body.is_object() {
        return Err(RequestError::InvalidDocument(
            "expected a JSON object: a log document or {\"message\": \"...\"}".into(),
        ));
    }
    match extractor.extract(body) {
        Ok(m) => Ok(m),
        Err(SkipReason::MissingField(_)) if bare_message(body).is_some() => {
            Ok(Cow::Borrowed(bare_message(body).unwrap_or_default()))
        }
        Err(e @ SkipReason::TooLarge { .. }) => Err(RequestError::MessageTooLarge(e.to_string())),
        Err(e) => Err(RequestError::NoMessage(format!("no message: {e}"))),
    }
}

/// The string of a body that is exactly `{"message": "..."}`.
fn bare_message(body: &Value) -> Option<&str> {
    let obj = body.as_object()?;
    (obj.len() == 1).then(|| obj.get("message")?.as_str()).flatten()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::message::{ExtractConfig, HeaderMode, MessageSpec};
    use serde_json::json;

    fn ex(message: MessageSpec, strip: bool) -> Extractor {
        let header = if strip { HeaderMode::Auto } else { HeaderMode::Off };
        Extractor::new(&ExtractConfig { message, header, ..ExtractConfig::default() }).unwrap()
    }

    #[test]
    fn documents_go_through_the_source_extraction() {
        let x = ex(MessageSpec::Field("message".into()), true);
        let doc = json!({"message": "Jan 29 11:23:02 host sshd[10348]: Accepted publickey for bob"});
        assert_eq!(message_of(&doc, &x).unwrap(), "Accepted publickey for bob");
        let t = ex(MessageSpec::Template("{service} {op}".into()), false);
        assert_eq!(message_of(&json!({"service": "s3", "op": "put", "x": 1}), &t).unwrap(), "s3 put");
    }

    #[test]
    fn a_bare_message_serves_template_sources() {
        let t = ex(MessageSpec::Template("{service} {op}".into()), false);
        assert_eq!(message_of(&json!({"message": "s3 get"}), &t).unwrap(), "s3 get");
        assert_eq!(message_of(&json!({"service": "s3"}), &t).unwrap_err().code(), "no_message");
        assert_eq!(message_of(&json!([1]), &t).unwrap_err().code(), "invalid_document");
    }
}
