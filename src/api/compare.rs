//! `GET /v1/compare`: two periods compared template by template (new, gone, changed in share),
//! from the documents of each period (`store::range`, statistics in `engine::compare`).

use super::classify::query_or_error;
use super::error::RequestError;
use super::state::ApiState;
use crate::engine::compare::CompareOptions;
use crate::store::range::{PeriodComparison, TimeRange};
use axum::extract::rejection::QueryRejection;
use axum::extract::{Query, State};
use axum::Json;
use serde::Deserialize;

/// The target period when none is given.
pub const DEFAULT_TARGET: &str = "now-1d..now";

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CompareQuery {
    /// `FROM..TO`; default: the period of the target's length just before it.
    pub baseline: Option<String>,
    /// `FROM..TO`; default `now-1d..now`.
    pub target: Option<String>,
    pub source: Option<String>,
    /// Family-wise significance level (0 < alpha < 1; default 0.001).
    pub alpha: Option<f64>,
    /// Least share ratio for a changed template (> 1; default 2).
    pub min_ratio: Option<f64>,
    /// Also list the steady templates.
    pub steady: Option<bool>,
}

/// Reads the periods and options of a comparison (shared with `logsift compare`).
pub fn periods(
    baseline: Option<&str>,
    target: Option<&str>,
    now: chrono::DateTime<chrono::Utc>,
) -> Result<(TimeRange, TimeRange), String> {
    let target = TimeRange::parse_period(target.unwrap_or(DEFAULT_TARGET), now).map_err(|e| format!("target {e}"))?;
    let baseline = match baseline {
        Some(b) => TimeRange::parse_period(b, now).map_err(|e| format!("baseline {e}"))?,
        None => target.previous().ok_or("the target period needs both ends")?,
    };
    Ok((baseline, target))
}

/// Checks `alpha` and `min_ratio`.
pub fn options(alpha: Option<f64>, min_ratio: Option<f64>) -> Result<CompareOptions, String> {
    let d = CompareOptions::default();
    let alpha = alpha.unwrap_or(d.alpha);
    let min_ratio = min_ratio.unwrap_or(d.min_ratio);
    if !(alpha > 0.0 && alpha < 1.0) {
        return Err(format!("alpha {alpha}: must be between 0 and 1 (exclusive), e.g. 0.001"));
    }
    if !(min_ratio > 1.0 && min_ratio.is_finite()) {
        return Err(format!("min_ratio {min_ratio}: must be a number above 1, e.g. 2"));
    }
    Ok(CompareOptions { alpha, min_ratio })
}

pub async fn compare(
    State(state): State<ApiState>,
    query: Result<Query<CompareQuery>, QueryRejection>,
) -> Result<Json<PeriodComparison>, RequestError> {
    let q = query_or_error(query)?;
    let (baseline, target) =
        periods(q.baseline.as_deref(), q.target.as_deref(), chrono::Utc::now()).map_err(RequestError::InvalidQuery)?;
    let opts = options(q.alpha, q.min_ratio).map_err(RequestError::InvalidQuery)?;
    let Some(rc) = super::clusters::ranges_of(&state, q.source.as_deref())? else {
        return Err(RequestError::InvalidQuery(
            "comparing periods needs the search server (`logsift run`); `logsift serve` keeps no document times".into(),
        ));
    };
    let c = rc.compare(&baseline, &target, opts, q.steady.unwrap_or(false)).await.map_err(|e| match e.status() {
        Some(400) => RequestError::InvalidQuery(format!("the search server refused the query: {e}")),
        _ => RequestError::Unavailable(format!("log indices: {e}")),
    })?;
    Ok(Json(c))
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    #[test]
    fn periods_default_to_the_last_day_against_the_day_before() {
        let now = chrono::Utc.with_ymd_and_hms(2026, 3, 18, 12, 0, 0).unwrap();
        let (b, t) = periods(None, None, now).unwrap();
        assert_eq!(t.describe(), "2026-03-17T12:00:00.000Z..2026-03-18T12:00:00.000Z");
        assert_eq!(b.describe(), "2026-03-16T12:00:00.000Z..2026-03-17T12:00:00.000Z");
        let (b, _) = periods(Some("2026-01-01..2026-01-02"), Some("now-1h.."), now).unwrap();
        assert_eq!(b.describe(), "2026-01-01T00:00:00.000Z..2026-01-02T00:00:00.000Z");
        assert!(periods(Some("junk"), None, now).unwrap_err().starts_with("baseline"));
        assert!(periods(None, Some("now..now-1d"), now).unwrap_err().starts_with("target"));
    }

    #[test]
    fn options_are_checked() {
        assert_eq!(options(None, None).unwrap(), CompareOptions::default());
        assert!(options(Some(0.0), None).is_err());
        assert!(options(Some(1.0), None).is_err());
        assert!(options(Some(f64::NAN), None).is_err());
        assert!(options(None, Some(1.0)).is_err());
        assert!(options(None, Some(f64::INFINITY)).is_err());
        assert_eq!(options(Some(0.01), Some(3.0)).unwrap(), CompareOptions { alpha: 0.01, min_ratio: 3.0 });
    }
}
