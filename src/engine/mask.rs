//! Tokenisation and masking of variables (PROVISIONAL: being rewritten; API stable).

use super::{ConfigError, WILDCARD};

/// Built-in masks that can be turned off by name.
pub const BUILTIN_MASKS: &[&str] = &[
    "ipv4", "ipv6", "uuid", "hex", "url", "email", "path", "datetime", "kv", "size", "number",
];

/// A user-defined mask: every match of `regex` becomes a variable.
#[derive(Clone, Debug, PartialEq)]
pub struct CustomMask {
    pub name: String,
    pub regex: String,
}

/// Which masks apply. The default turns every built-in mask on and adds none.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct MaskConfig {
    /// Names from [`BUILTIN_MASKS`] to turn off.
    pub disable: Vec<String>,
    /// Extra masks, applied before the built-in ones.
    pub custom: Vec<CustomMask>,
}

impl MaskConfig {
    pub fn validate(&self) -> Result<(), ConfigError> {
        for name in &self.disable {
            if !BUILTIN_MASKS.contains(&name.as_str()) {
                return Err(ConfigError::new(
                    "masks.disable",
                    format!("unknown mask `{name}` (known: {})", BUILTIN_MASKS.join(", ")),
                ));
            }
        }
        for m in &self.custom {
            regex::Regex::new(&m.regex).map_err(|e| {
                ConfigError::new(format!("masks.custom.{}", m.name), e.to_string())
            })?;
        }
        Ok(())
    }
}

/// Splits a line into tokens and masks the variable parts of each.
#[derive(Clone, Debug)]
pub struct Masker {
    config: MaskConfig,
}

impl Masker {
    pub fn new(config: &MaskConfig) -> Result<Masker, ConfigError> {
        config.validate()?;
        Ok(Masker { config: config.clone() })
    }

    pub fn config(&self) -> &MaskConfig {
        &self.config
    }

    /// The line's whitespace-separated tokens with their variable parts replaced by
    /// [`WILDCARD`]. A token that is `"<*>"` as a whole is a variable.
    pub fn masked_tokens(&self, line: &str) -> Vec<String> {
        line.split_whitespace()
            .map(|t| {
                if t.bytes().any(|b| b.is_ascii_digit()) {
                    WILDCARD.to_string()
                } else {
                    t.to_string()
                }
            })
            .collect()
    }
}
