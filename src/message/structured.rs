//! Structured events (audit): a document's fields by role instead of one message.
//!
//! - `what`: categorical fields (service, operation, resource type, rating, status code, cmdlet
//!   and parameter *names*). Their values, joined with spaces, are the event's template,
//!   exactly: the engine runs verbatim for such a source (no masking, no similarity merging).
//! - `who`, `where`: the user and the source address (the first of the paths present).
//! - `which`: the objects acted on (resource ids, mailboxes, parameter *values*).
//! - `outcome`: the fields that say how it went (rating, code, result status); also in `what`
//!   when listed there.
//! - `text`: free-text fields, masked as the miner masks a line and appended to the template.
//!
//! A path is dotted (`user.name`, as [`super::lookup`]); `Parameters[].Name` reaches the `Name` of
//! every element of the array `Parameters` (Office 365 `[{Name, Value}]` lists). Arrays of
//! scalars give each element. Two presets ship: [`preset`] (`cloud-trace`, `o365-exchange`).

use super::{lookup, ExtractConfigError, SkipReason};
use serde_json::Value;

/// The fields of a structured source, by role.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct StructuredSpec {
    pub what: Vec<String>,
    pub who: Vec<String>,
    pub place: Vec<String>,
    pub which: Vec<String>,
    pub outcome: Vec<String>,
    pub text: Vec<String>,
}

/// A preset: the roles of a known layout and the operations it calls sensitive.
#[derive(Clone, Debug, PartialEq)]
pub struct Preset {
    pub name: &'static str,
    pub spec: StructuredSpec,
    pub sensitive: Vec<String>,
}

/// The names [`preset`] knows.
pub const PRESETS: &[&str] = &["cloud-trace", "o365-exchange"];

fn strings(v: &[&str]) -> Vec<String> {
    v.iter().map(|s| s.to_string()).collect()
}

/// A shipped preset by name.
pub fn preset(name: &str) -> Option<Preset> {
    match name {
        // Cloud trace events: {"service_type","trace_name","resource_type","trace_rating","code",
        // "user":{"name","domain":{"name"}},"source_ip","resource_id","resource_name",...}
        "cloud-trace" => Some(Preset {
            name: "cloud-trace",
            spec: StructuredSpec {
                what: strings(&["service_type", "trace_name", "resource_type", "trace_rating", "code"]),
                who: strings(&["user.name", "user.id"]),
                place: strings(&["source_ip"]),
                which: strings(&["resource_id", "resource_name"]),
                outcome: strings(&["trace_rating", "code"]),
                text: vec![],
            },
            sensitive: strings(&[
                "deleteUser",
                "deleteImage",
                "deleteServer",
                "deleteBucket",
                "createAccessKey",
                "deleteAccessKey",
                "createCredential",
                "deleteCredential",
                "updateUserPolicy",
                "attachPolicy",
                "updatePermission",
                "createKey",
                "deleteKey",
                "disableKey",
                "scheduleKeyDeletion",
                "deleteTracker",
                "addUserToGroup",
            ]),
        }),
        // Office 365 unified audit log, Exchange admin (cmdlets with Parameters [{Name, Value}])
        // and mailbox (non-owner access: LogonType, MailboxOwnerUPN, ClientIPAddress) records.
        "o365-exchange" => Some(Preset {
            name: "o365-exchange",
            spec: StructuredSpec {
                what: strings(&["Workload", "Operation", "Parameters[].Name", "ResultStatus", "LogonType"]),
                who: strings(&["UserId", "UserKey"]),
                place: strings(&["ClientIP", "ClientIPAddress"]),
                which: strings(&["ObjectId", "MailboxOwnerUPN", "Parameters[].Value"]),
                outcome: strings(&["ResultStatus"]),
                text: vec![],
            },
            sensitive: strings(&[
                "Add-MailboxPermission",
                "Add-RecipientPermission",
                "ForwardingSmtpAddress",
                "ForwardingAddress",
                "DeliverToMailboxAndForward",
                "New-InboxRule",
                "Set-InboxRule",
                "New-TransportRule",
                "Add-RoleGroupMember",
                "New-ManagementRoleAssignment",
                "Add-MailboxFolderPermission",
                "Search-Mailbox",
                "New-ComplianceSearch",
                "Remove-Mailbox",
                "HardDelete",
                "SendAs",
                "SendOnBehalf",
                "UpdateInboxRules",
            ]),
        }),
        _ => None,
    }
}

/// One event's values by role.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Roles {
    /// The `what` values one by one (parameter names sorted), missing ones left out.
    pub what: Vec<String>,
    pub who: Option<String>,
    pub place: Option<String>,
    pub which: Vec<String>,
    pub outcome: Vec<String>,
}

impl StructuredSpec {
    pub(super) fn validate(&self) -> Result<(), ExtractConfigError> {
        if self.what.is_empty() {
            return Err(ExtractConfigError {
                key: "source.fields.what".into(),
                reason: "a structured source needs at least one `what` field (the operation)".into(),
            });
        }
        for (role, paths) in [
            ("what", &self.what),
            ("who", &self.who),
            ("where", &self.place),
            ("which", &self.which),
            ("outcome", &self.outcome),
            ("text", &self.text),
        ] {
            for p in paths {
                let key = format!("source.fields.{role}");
                let (head, tail) = split_array(p);
                super::check_path(&key, head)?;
                if let Some(t) = tail {
                    super::check_path(&key, t)?;
                }
            }
        }
        Ok(())
    }

    /// The top-level fields the spec reads (for `_source` filtering).
    pub fn fields(&self) -> Vec<&str> {
        let mut out: Vec<&str> = Vec::new();
        for p in self.what.iter().chain(&self.who).chain(&self.place).chain(&self.which).chain(&self.outcome) {
            let f = split_array(p).0;
            if !out.contains(&f) {
                out.push(f);
            }
        }
        for p in &self.text {
            let f = split_array(p).0;
            if !out.contains(&f) {
                out.push(f);
            }
        }
        out
    }

    /// The dotted paths of the categorical fields the spec reads (every role but `text`), with
    /// `[]` dropped (`Parameters[].Name` → `Parameters.Name`: the field as the server maps it),
    /// each once: what `logsift setup` maps as keyword on the source indices.
    pub fn keyword_paths(&self) -> Vec<String> {
        let mut out: Vec<String> = Vec::new();
        for p in self.what.iter().chain(&self.who).chain(&self.place).chain(&self.which).chain(&self.outcome) {
            let f = match split_array(p) {
                (head, Some(tail)) if !tail.is_empty() => format!("{head}.{tail}"),
                (head, _) => head.to_string(),
            };
            if !out.contains(&f) {
                out.push(f);
            }
        }
        out
    }

    /// The event's template key: the `what` values joined with spaces (`-` for a missing one,
    /// so positions keep their meaning), then any free text. `None` when no `what` field is
    /// present at all.
    pub fn key(&self, source: &Value, mask: &dyn Fn(&str) -> String) -> Result<String, SkipReason> {
        let mut out = String::new();
        let mut any = false;
        for p in &self.what {
            let mut vals = values(source, p);
            if split_array(p).1.is_some() {
                vals.sort();
                vals.dedup();
            }
            if vals.is_empty() {
                if split_array(p).1.is_some() {
                    continue; // no parameters: nothing to say
                }
                vals.push("-".into());
            } else {
                any = true;
            }
            for v in vals {
                if !out.is_empty() {
                    out.push(' ');
                }
                out.push_str(v.trim());
            }
        }
        if !any {
            return Err(SkipReason::MissingField(self.what[0].clone()));
        }
        let text: Vec<String> = self.text.iter().flat_map(|p| values(source, p)).collect();
        if !text.is_empty() {
            out.push_str(" |");
            for t in text {
                out.push(' ');
                out.push_str(&mask(&t));
            }
        }
        Ok(out)
    }

    /// The event's values by role.
    pub fn roles(&self, source: &Value) -> Roles {
        let first = |paths: &[String]| paths.iter().flat_map(|p| values(source, p)).find(|v| !v.trim().is_empty());
        let mut what = Vec::new();
        for p in &self.what {
            let mut vals = values(source, p);
            if split_array(p).1.is_some() {
                vals.sort();
                vals.dedup();
            }
            what.extend(vals);
        }
        let mut which: Vec<String> = self.which.iter().flat_map(|p| values(source, p)).collect();
        which.retain(|v| !v.trim().is_empty());
        let mut seen = std::collections::HashSet::new();
        which.retain(|v| seen.insert(v.clone()));
        Roles {
            what,
            who: first(&self.who),
            place: first(&self.place),
            which,
            outcome: self.outcome.iter().flat_map(|p| values(source, p)).collect(),
        }
    }
}

/// `Parameters[].Name` → (`Parameters`, Some(`Name`)); `user.name` → (`user.name`, None).
fn split_array(p: &str) -> (&str, Option<&str>) {
    match p.split_once("[]") {
        Some((head, tail)) => (head, Some(tail.trim_start_matches('.'))),
        None => (p, None),
    }
}

fn scalar(v: &Value, out: &mut Vec<String>) {
    match v {
        Value::String(s) => out.push(s.clone()),
        Value::Number(n) => out.push(n.to_string()),
        Value::Bool(b) => out.push(b.to_string()),
        Value::Array(a) => {
            for x in a {
                if !x.is_array() {
                    scalar(x, out);
                }
            }
        }
        Value::Null | Value::Object(_) => {}
    }
}

/// The scalar values at a path (several for `[]` paths and arrays).
pub fn values(source: &Value, path: &str) -> Vec<String> {
    let mut out = Vec::new();
    match split_array(path) {
        (head, None) => {
            if let Some(v) = lookup(source, head) {
                scalar(v, &mut out);
            }
        }
        (head, Some(tail)) => {
            if let Some(Value::Array(items)) = lookup(source, head) {
                for item in items {
                    let v = if tail.is_empty() { Some(item) } else { lookup(item, tail) };
                    if let Some(v) = v {
                        scalar(v, &mut out);
                    }
                }
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn cloud_trace_keys_keep_codes_and_ratings() {
        let p = preset("cloud-trace").unwrap();
        let doc = json!({"service_type": "IAM", "trace_name": "deleteUser", "resource_type": "user",
            "trace_rating": "incident", "code": 403, "user": {"name": "alice", "id": "u1"},
            "source_ip": "10.1.2.3", "resource_id": "u-77", "resource_name": "bob"});
        let k = p.spec.key(&doc, &|s| s.to_string()).unwrap();
        assert_eq!(k, "IAM deleteUser user incident 403");
        let r = p.spec.roles(&doc);
        assert_eq!(r.who.as_deref(), Some("alice"));
        assert_eq!(r.place.as_deref(), Some("10.1.2.3"));
        assert_eq!(r.which, ["u-77", "bob"]);
        assert_eq!(r.outcome, ["incident", "403"]);
        // A missing `what` value keeps its position; no `what` at all is a skip.
        let partial = json!({"service_type": "IAM", "trace_name": "login"});
        assert_eq!(p.spec.key(&partial, &|s| s.to_string()).unwrap(), "IAM login - - -");
        assert_eq!(
            p.spec.key(&json!({"x": 1}), &|s| s.to_string()),
            Err(SkipReason::MissingField("service_type".into()))
        );
        assert_eq!(
            p.spec.fields(),
            [
                "service_type",
                "trace_name",
                "resource_type",
                "trace_rating",
                "code",
                "user.name",
                "user.id",
                "source_ip",
                "resource_id",
                "resource_name"
            ]
        );
    }

    #[test]
    fn exchange_parameters_names_are_what_and_values_are_which() {
        let p = preset("o365-exchange").unwrap();
        let doc = json!({"Workload": "Exchange", "Operation": "Add-MailboxPermission", "ResultStatus": "True",
            "UserId": "admin@contoso.com", "ClientIP": "10.0.0.5:51234", "ObjectId": "ceo@contoso.com",
            "Parameters": [{"Name": "User", "Value": "x@fabrikam.com"}, {"Name": "Identity", "Value": "ceo@contoso.com"},
                           {"Name": "AccessRights", "Value": "FullAccess"}]});
        let k = p.spec.key(&doc, &|s| s.to_string()).unwrap();
        assert_eq!(k, "Exchange Add-MailboxPermission AccessRights Identity User True -");
        let r = p.spec.roles(&doc);
        assert_eq!(r.what, ["Exchange", "Add-MailboxPermission", "AccessRights", "Identity", "User", "True"]);
        assert_eq!(r.which, ["ceo@contoso.com", "x@fabrikam.com", "FullAccess"], "values once each");
        assert_eq!(r.place.as_deref(), Some("10.0.0.5:51234"));
        // A mailbox record: no parameters, a logon type, the address in another field.
        let m = json!({"Workload": "Exchange", "Operation": "HardDelete", "ResultStatus": "Succeeded",
            "LogonType": 2, "UserId": "d@contoso.com", "ClientIPAddress": "10.0.0.9", "MailboxOwnerUPN": "o@contoso.com"});
        assert_eq!(p.spec.key(&m, &|s| s.to_string()).unwrap(), "Exchange HardDelete Succeeded 2");
        assert_eq!(p.spec.roles(&m).place.as_deref(), Some("10.0.0.9"));
        assert_eq!(p.spec.fields()[2], "Parameters");
        assert_eq!(
            p.spec.keyword_paths(),
            [
                "Workload",
                "Operation",
                "Parameters.Name",
                "ResultStatus",
                "LogonType",
                "UserId",
                "UserKey",
                "ClientIP",
                "ClientIPAddress",
                "ObjectId",
                "MailboxOwnerUPN",
                "Parameters.Value"
            ]
        );
    }

    #[test]
    fn free_text_is_masked_after_the_key_and_paths_are_checked() {
        let spec = StructuredSpec { what: vec!["op".into()], text: vec!["detail".into()], ..Default::default() };
        let doc = json!({"op": "export", "detail": "exported 42 rows"});
        assert_eq!(spec.key(&doc, &|s| s.replace("42", "<*>")).unwrap(), "export | exported <*> rows");
        assert!(StructuredSpec::default().validate().is_err());
        let bad = StructuredSpec { what: vec!["a..b".into()], ..Default::default() };
        assert_eq!(bad.validate().unwrap_err().key, "source.fields.what");
        assert_eq!(values(&json!({"tags": ["a", "b", 3]}), "tags"), ["a", "b", "3"]);
    }
}
