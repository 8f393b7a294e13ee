//! How logsift connects to the search server: addresses, credentials, TLS, timeouts and the
//! retry policy, as validated from the `[connection]` section. `es` builds its client from these.

use std::time::Duration;

/// How the client connects: built from the validated config by the caller.
#[derive(Clone, Debug)]
pub struct ConnectOptions {
    pub urls: Vec<url::Url>,
    pub auth: Auth,
    pub ca_file: Option<std::path::PathBuf>,
    pub insecure: bool,
    pub timeout: Duration,
    pub retry: RetryPolicy,
}

/// Credentials. `Debug` never prints secrets.
#[derive(Clone, Default)]
pub enum Auth {
    #[default]
    None,
    Basic {
        username: String,
        password: String,
    },
    ApiKey(String),
    Bearer(String),
}

impl std::fmt::Debug for Auth {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Auth::None => "None",
            Auth::Basic { .. } => "Basic(***)",
            Auth::ApiKey(_) => "ApiKey(***)",
            Auth::Bearer(_) => "Bearer(***)",
        })
    }
}

/// Exponential backoff for retriable errors.
#[derive(Clone, Debug)]
pub struct RetryPolicy {
    pub max_retries: u32,
    pub initial_backoff: Duration,
    pub max_backoff: Duration,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        RetryPolicy {
            max_retries: 8,
            initial_backoff: Duration::from_millis(200),
            max_backoff: Duration::from_secs(30),
        }
    }
}

impl RetryPolicy {
    /// The wait before retry number `attempt` (1-based), doubling up to `max_backoff`.
    pub fn backoff(&self, attempt: u32) -> Duration {
        let factor = 1u32.checked_shl(attempt.saturating_sub(1).min(16)).unwrap_or(u32::MAX);
        self.initial_backoff.saturating_mul(factor).min(self.max_backoff)
    }
}
