//! The `[notify]` section of the config file: new-template notifications to a webhook.
//!
//! ```toml
//! [notify]
//! webhook_url = "https://hooks.example.com/logsift"   # unset: no notifications (the default)
//! format = "json"              # "json" (logsift's own body) or "slack" (a Slack incoming-webhook body)
//! batch_secs = 2               # new templates within this window go out in one call
//! max_calls_per_minute = 6     # more than this and templates wait for the next call (never dropped)
//! max_listed = 20              # templates listed in one call; the rest are counted ("and 980 more")
//! timeout_secs = 10            # one call's timeout
//! max_retries = 5              # a call that fails (connection, 429, 5xx) is retried with backoff
//! # header = ["Authorization: Bearer ..."]   # extra request headers
//! ```

use serde::Deserialize;
use std::time::Duration;

/// Body layout of a notification.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum NotifyFormat {
    /// `{"event": "new_templates", "source": ..., "templates": [...], "omitted": N}`.
    Json,
    /// `{"text": "..."}`, as a Slack (or Mattermost, Rocket.Chat) incoming webhook takes it.
    Slack,
}

/// Validated notification settings; `None` in [`crate::config::Config`] when no URL is set.
#[derive(Clone, Debug)]
pub struct NotifyConfig {
    pub webhook_url: String,
    pub format: NotifyFormat,
    pub batch_window: Duration,
    pub max_calls_per_minute: u32,
    pub max_listed: usize,
    pub timeout: Duration,
    pub max_retries: u32,
    /// `(name, value)` pairs sent with every call.
    pub headers: Vec<(String, String)>,
    /// Events held at most while calls are slow or failing; beyond it they are counted, not listed.
    pub queue: usize,
}

impl NotifyConfig {
    /// Settings for `url` with every other value at its default.
    pub fn for_url(url: &str) -> NotifyConfig {
        let d = RawNotify::default();
        NotifyConfig {
            webhook_url: url.to_string(),
            format: NotifyFormat::Json,
            batch_window: Duration::from_millis((d.batch_secs * 1000.0) as u64),
            max_calls_per_minute: d.max_calls_per_minute,
            max_listed: d.max_listed,
            timeout: Duration::from_secs(d.timeout_secs),
            max_retries: d.max_retries,
            headers: Vec::new(),
            queue: 10_000,
        }
    }
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct RawNotify {
    pub webhook_url: Option<String>,
    pub format: NotifyFormat,
    pub batch_secs: f64,
    pub max_calls_per_minute: u32,
    pub max_listed: usize,
    pub timeout_secs: u64,
    pub max_retries: u32,
    pub header: Vec<String>,
}

impl Default for RawNotify {
    fn default() -> Self {
        RawNotify {
            webhook_url: None,
            format: NotifyFormat::Json,
            batch_secs: 2.0,
            max_calls_per_minute: 6,
            max_listed: 20,
            timeout_secs: 10,
            max_retries: 5,
            header: Vec::new(),
        }
    }
}

impl RawNotify {
    /// `Ok(None)` when no webhook is set; `Err((key, reason))` for a bad value.
    pub fn validate(self) -> Result<Option<NotifyConfig>, (String, String)> {
        let Some(url) = self.webhook_url.filter(|u| !u.trim().is_empty()) else { return Ok(None) };
        let bad = |k: &str, r: &str| Err((format!("notify.{k}"), r.to_string()));
        if !(url.starts_with("http://") || url.starts_with("https://")) {
            return bad("webhook_url", "must start with http:// or https://");
        }
        if !(self.batch_secs.is_finite() && (0.0..=3600.0).contains(&self.batch_secs)) {
            return bad("batch_secs", "must be between 0 and 3600");
        }
        if self.max_calls_per_minute == 0 {
            return bad("max_calls_per_minute", "must be at least 1");
        }
        if self.max_listed == 0 {
            return bad("max_listed", "must be at least 1");
        }
        if self.timeout_secs == 0 {
            return bad("timeout_secs", "must be at least 1");
        }
        let mut headers = Vec::new();
        for h in &self.header {
            match h.split_once(':') {
                Some((n, v)) if !n.trim().is_empty() => headers.push((n.trim().to_string(), v.trim().to_string())),
                _ => return bad("header", "each header is \"Name: value\""),
            }
        }
        Ok(Some(NotifyConfig {
            format: self.format,
            batch_window: Duration::from_millis((self.batch_secs * 1000.0) as u64),
            max_calls_per_minute: self.max_calls_per_minute,
            max_listed: self.max_listed,
            timeout: Duration::from_secs(self.timeout_secs),
            max_retries: self.max_retries,
            headers,
            ..NotifyConfig::for_url(&url)
        }))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn no_url_means_no_notifications() {
        assert!(RawNotify::default().validate().unwrap().is_none());
    }

    #[test]
    fn bad_values_name_their_key() {
        let raw = |f: fn(&mut RawNotify)| {
            let mut r = RawNotify { webhook_url: Some("http://127.0.0.1:1/hook".into()), ..Default::default() };
            f(&mut r);
            r.validate().map(|_| ()).unwrap_err().0
        };
        assert_eq!(raw(|r| r.webhook_url = Some("ftp://x".into())), "notify.webhook_url");
        assert_eq!(raw(|r| r.max_calls_per_minute = 0), "notify.max_calls_per_minute");
        assert_eq!(raw(|r| r.header = vec!["no colon".into()]), "notify.header");
        assert_eq!(raw(|r| r.batch_secs = -1.0), "notify.batch_secs");
    }

    #[test]
    fn headers_are_parsed() {
        let r = RawNotify {
            webhook_url: Some("https://h/x".into()),
            header: vec!["Authorization: Bearer abc".into()],
            ..Default::default()
        };
        let c = r.validate().unwrap().unwrap();
        assert_eq!(c.headers, vec![("Authorization".to_string(), "Bearer abc".to_string())]);
        assert_eq!(c.batch_window, Duration::from_secs(2));
    }
}
