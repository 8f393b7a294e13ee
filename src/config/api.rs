//! The `[api]` section of the config file: raw serde form → validated [`ApiConfig`].
//!
//! ```toml
//! [api]
//! enabled = true                 # serve the API inside `logsift run`
//! listen = "127.0.0.1:9787"      # `--listen` overrides
//! # token_file = "/run/secrets/logsift_api_token"   # or token = "..." (env: LOGSIFT_API__TOKEN)
//! max_body_bytes = 1048576       # /v1/classify and other JSON bodies
//! max_bulk_bytes = 16777216      # /v1/classify/_bulk
//! ```

use serde::Deserialize;
use std::net::SocketAddr;
use std::time::Duration;

/// The default listen address of the API.
pub const DEFAULT_LISTEN: &str = "127.0.0.1:9787";

/// Validated API settings. `Debug` does not print the token.
#[derive(Clone)]
pub struct ApiConfig {
    pub listen: SocketAddr,
    /// When set, every route but `/health*` requires `Authorization: Bearer <token>`.
    pub token: Option<String>,
    /// Largest body accepted by `/v1/classify` and the other JSON endpoints.
    pub max_body_bytes: usize,
    /// Largest body accepted by `/v1/classify/_bulk`.
    pub max_bulk_bytes: usize,
    /// How long `/health` waits for the search server before calling it down.
    pub health_timeout: Duration,
}

impl Default for ApiConfig {
    fn default() -> Self {
        ApiConfig {
            listen: DEFAULT_LISTEN.parse().expect("default listen address is valid"),
            token: None,
            max_body_bytes: 1 << 20,
            max_bulk_bytes: 16 << 20,
            health_timeout: Duration::from_secs(2),
        }
    }
}

impl std::fmt::Debug for ApiConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ApiConfig")
            .field("listen", &self.listen)
            .field("token", &self.token.as_ref().map(|_| "***"))
            .field("max_body_bytes", &self.max_body_bytes)
            .field("max_bulk_bytes", &self.max_bulk_bytes)
            .field("health_timeout", &self.health_timeout)
            .finish()
    }
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct RawApi {
    pub enabled: bool,
    pub listen: String,
    pub token: Option<String>,
    pub token_file: Option<String>,
    pub max_body_bytes: usize,
    pub max_bulk_bytes: usize,
}

impl Default for RawApi {
    fn default() -> Self {
        let d = ApiConfig::default();
        RawApi {
            enabled: true,
            listen: DEFAULT_LISTEN.into(),
            token: None,
            token_file: None,
            max_body_bytes: d.max_body_bytes,
            max_bulk_bytes: d.max_bulk_bytes,
        }
    }
}

impl RawApi {
    /// The API settings, `None` when disabled; a refusal names its key.
    pub fn validate(self) -> Result<Option<ApiConfig>, (String, String)> {
        if !self.enabled {
            return Ok(None);
        }
        let listen = self
            .listen
            .parse()
            .map_err(|e| ("api.listen".to_string(), format!("`{}`: {e} (expected HOST:PORT)", self.listen)))?;
        let token = match (self.token, self.token_file) {
            (Some(_), Some(_)) => return Err(("api.token".into(), "give the token or a token_file, not both".into())),
            (Some(t), None) => Some(t),
            (None, Some(f)) => Some(
                std::fs::read_to_string(&f)
                    .map_err(|e| ("api.token_file".to_string(), format!("{f}: {e}")))?
                    .trim()
                    .to_string(),
            ),
            (None, None) => None,
        };
        if token.as_deref() == Some("") {
            return Err(("api.token".into(), "must not be empty".into()));
        }
        for (k, v) in [("api.max_body_bytes", self.max_body_bytes), ("api.max_bulk_bytes", self.max_bulk_bytes)] {
            if v == 0 {
                return Err((k.into(), "must be greater than 0".into()));
            }
        }
        Ok(Some(ApiConfig {
            listen,
            token,
            max_body_bytes: self.max_body_bytes,
            max_bulk_bytes: self.max_bulk_bytes,
            ..ApiConfig::default()
        }))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn validates_and_names_the_key() {
        let c = RawApi::default().validate().unwrap().unwrap();
        assert_eq!(c.listen.to_string(), DEFAULT_LISTEN);
        assert!(RawApi { enabled: false, ..RawApi::default() }.validate().unwrap().is_none());
        assert_eq!(RawApi { listen: "nope".into(), ..RawApi::default() }.validate().unwrap_err().0, "api.listen");
        assert_eq!(RawApi { token: Some(String::new()), ..RawApi::default() }.validate().unwrap_err().0, "api.token");
        assert_eq!(RawApi { max_bulk_bytes: 0, ..RawApi::default() }.validate().unwrap_err().0, "api.max_bulk_bytes");
        // The token never shows in debug output.
        let c = RawApi { token: Some("hunter2".into()), ..RawApi::default() }.validate().unwrap().unwrap();
        assert!(!format!("{c:?}").contains("hunter2"));
    }
}
