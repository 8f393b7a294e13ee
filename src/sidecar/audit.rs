//! The `logsift.audit.*` block of a structured source's documents: the event's roles
//! (`message::structured`) scored by the engine's rarity state (`engine::audit`).
//!
//! Written per document: `logsift.params` (user, address, objects: the values the template
//! leaves out) and `logsift.audit` = `{score, new_pair, new_pairs, rare_for_user, sensitive,
//! reasons, what, user, address, block, objects, outcome, hour, seen, first_seen}`: the roles
//! (`what`: the `what` values joined, the operation as scored; `user`, `address`, `objects`:
//! who, where and which) under the same names for every layout, so that dashboards and queries need no field
//! name of the source. The state is saved with the engine snapshot (`store::state`), so a
//! restart continues with the same history.

use crate::engine::audit::{outcome_of, AuditConfig, AuditEvent, AuditState, Outcome, Verdict};
use crate::message::structured::{Roles, StructuredSpec};
use serde_json::{json, Value};
use std::sync::Mutex;

/// One document's roles and verdict.
pub struct Audited {
    pub roles: Roles,
    /// The `what` values joined (the template key without `-` for missing values or free text).
    pub what: String,
    pub verdict: Verdict,
    pub outcome: Outcome,
    pub hour: Option<u32>,
}

/// Scores the event of `source` (and counts it into the state when `learn`).
pub fn label(
    spec: &StructuredSpec,
    cfg: &AuditConfig,
    state: &Mutex<AuditState>,
    source: &Value,
    time_ms: Option<i64>,
    learn: bool,
) -> Audited {
    let roles = spec.roles(source);
    let hour = time_ms.map(|t| (t.div_euclid(3_600_000)).rem_euclid(24) as u32);
    let what = roles.what.join(" ");
    let event = AuditEvent {
        what: &what,
        what_parts: &roles.what,
        who: roles.who.as_deref(),
        place: roles.place.as_deref(),
        objects: &roles.which,
        outcomes: &roles.outcome,
        hour,
        time_ms,
    };
    let verdict = state.lock().unwrap_or_else(|p| p.into_inner()).observe(cfg, &event, learn);
    let outcome = outcome_of(&roles.outcome);
    Audited { roles, what, verdict, outcome, hour }
}

fn outcome_name(o: Outcome) -> &'static str {
    match o {
        Outcome::Normal => "normal",
        Outcome::Failure => "failure",
        Outcome::Warning => "warning",
        Outcome::Incident => "incident",
    }
}

impl Audited {
    /// The `logsift.audit` object.
    pub fn doc(&self) -> Value {
        let v = &self.verdict;
        json!({
            "score": v.score,
            "new_pair": v.new_pair,
            "new_pairs": v.new_pairs,
            "rare_for_user": v.rare_for_user,
            "sensitive": v.sensitive,
            "reasons": v.reasons,
            "what": self.what,
            "user": self.roles.who,
            "address": self.roles.place,
            "block": v.block,
            "objects": self.roles.which,
            "outcome": outcome_name(self.outcome),
            "hour": self.hour,
            "seen": v.user_operation_seen,
            "first_seen": v.user_operation_since.and_then(super::mine::format_millis),
        })
    }

    /// The end of the document's update after the template: `,"params":[..],"audit":{..}}}`.
    pub fn tail(&self, params: bool) -> String {
        let mut t = String::with_capacity(256);
        if params {
            let p: Vec<&str> = self
                .roles
                .who
                .iter()
                .chain(self.roles.place.iter())
                .chain(self.roles.which.iter())
                .map(String::as_str)
                .collect();
            t.push_str(r#","params":"#);
            t.push_str(&serde_json::to_string(&p).expect("params to json"));
        }
        t.push_str(r#","audit":"#);
        t.push_str(&self.doc().to_string());
        t.push_str("}}");
        t
    }

    /// A cluster example that tells its events apart: who, from where, on what, which document.
    pub fn example(&self, index: &str, id: &str) -> String {
        let r = &self.roles;
        format!(
            "user={} address={} objects={} doc={index}/{id}",
            r.who.as_deref().unwrap_or("-"),
            r.place.as_deref().unwrap_or("-"),
            if r.which.is_empty() { "-".to_string() } else { r.which.join(",") }
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::message::structured::preset;

    #[test]
    fn the_block_is_valid_json_and_carries_roles() {
        let p = preset("cloud-trace").unwrap();
        let cfg = AuditConfig { sensitive: p.sensitive.clone(), ..Default::default() };
        let state = Mutex::new(AuditState::new());
        let src = json!({"service_type": "IAM", "trace_name": "deleteUser", "resource_type": "user",
            "trace_rating": "incident", "code": 200, "user": {"name": "alice"}, "source_ip": "10.1.2.3",
            "resource_id": "u-1"});
        let a = label(&p.spec, &cfg, &state, &src, Some(3 * 3_600_000 + 5), true);
        let tail = a.tail(true);
        let doc: Value = serde_json::from_str(&format!(r#"{{"logsift":{{"cluster_id":"x"{tail}"#)).unwrap();
        let au = &doc["logsift"]["audit"];
        assert_eq!(doc["logsift"]["params"], json!(["alice", "10.1.2.3", "u-1"]));
        assert_eq!(au["user"], "alice");
        assert_eq!(au["block"], "10.1.0.0/16");
        assert_eq!(au["outcome"], "incident");
        assert_eq!(au["hour"], 3);
        assert_eq!(au["what"], "IAM deleteUser user incident 200", "the roles under fixed names");
        assert_eq!((au["sensitive"].as_bool(), au["new_pair"].as_bool()), (Some(true), Some(false)));
        assert_eq!(au["new_pairs"], json!([]), "no history yet: nothing is new");
        assert!(au["reasons"].as_array().unwrap().contains(&json!("sensitive:deleteUser")));
        assert!(au["score"].as_f64().unwrap() >= 7.5);
        assert_eq!(a.example("logs-1", "d1"), "user=alice address=10.1.2.3 objects=u-1 doc=logs-1/d1");
        assert!(serde_json::from_str::<Value>(&format!(r#"{{"logsift":{{"x":1{}"#, a.tail(false))).is_ok());
    }
}
