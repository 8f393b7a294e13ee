//! Structured (audit) sources: `source.preset`, `[source.fields]` and `[audit]`.
//!
//! A preset fills the roles and the sensitive operations of a known layout; `[source.fields]`
//! sets roles by hand (or overrides a preset's, role by role); `[audit]` tunes the rarity
//! scoring. A structured source runs the engine verbatim (exact templates, no masking).

use crate::engine::audit::AuditConfig;
use crate::message::structured::{preset, StructuredSpec, PRESETS};
use serde::Deserialize;

/// `[source.fields]`: paths by role (`Parameters[].Name` reaches every element's `Name`).
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct RawFields {
    pub what: Option<Vec<String>>,
    pub who: Option<Vec<String>>,
    #[serde(rename = "where")]
    pub place: Option<Vec<String>>,
    pub which: Option<Vec<String>>,
    pub outcome: Option<Vec<String>>,
    pub text: Option<Vec<String>>,
}

/// `[audit]`
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct RawAudit {
    /// Replaces the preset's list of sensitive operations.
    pub sensitive: Option<Vec<String>>,
    /// Added to the preset's (or the replaced) list.
    pub extra_sensitive: Vec<String>,
    /// Most (context, value) pairs the rarity state keeps.
    pub max_pairs: usize,
}

impl Default for RawAudit {
    fn default() -> Self {
        RawAudit { sensitive: None, extra_sensitive: Vec::new(), max_pairs: AuditConfig::default().max_pairs }
    }
}

/// A structured source's roles and scoring, or `None` for a message source.
pub fn validate(
    preset_name: Option<&str>,
    fields: Option<&RawFields>,
    audit: &RawAudit,
) -> Result<Option<(StructuredSpec, AuditConfig)>, (String, String)> {
    let base = match preset_name.map(str::trim).filter(|p| !p.is_empty()) {
        None => None,
        Some(name) => Some(preset(name).ok_or_else(|| {
            ("source.preset".to_string(), format!("`{name}` is not a preset (known: {})", PRESETS.join(", ")))
        })?),
    };
    if base.is_none() && fields.is_none_or(|f| f.what.is_none()) {
        if fields.is_some() {
            return Err((
                "source.fields.what".into(),
                "give the `what` fields (the operation), or a `source.preset`".into(),
            ));
        }
        return Ok(None);
    }
    let (mut spec, mut sensitive) = match base {
        Some(p) => (p.spec, p.sensitive),
        None => (StructuredSpec::default(), Vec::new()),
    };
    if let Some(f) = fields {
        for (slot, v) in [
            (&mut spec.what, &f.what),
            (&mut spec.who, &f.who),
            (&mut spec.place, &f.place),
            (&mut spec.which, &f.which),
            (&mut spec.outcome, &f.outcome),
            (&mut spec.text, &f.text),
        ] {
            if let Some(v) = v {
                *slot = v.clone();
            }
        }
    }
    if let Some(s) = &audit.sensitive {
        sensitive = s.clone();
    }
    sensitive.extend(audit.extra_sensitive.iter().cloned());
    if audit.max_pairs < 16 {
        return Err(("audit.max_pairs".into(), "must be at least 16".into()));
    }
    Ok(Some((spec, AuditConfig { sensitive, max_pairs: audit.max_pairs })))
}
