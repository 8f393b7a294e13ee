//! When a job runs: a cron expression (`cron` crate syntax, with seconds: `0 0 3 * * *`; a
//! five-field expression gets `0` seconds prepended) or a fixed interval (`every 1h`, `30m`).

use chrono::{DateTime, Utc};
use std::str::FromStr;
use std::time::Duration;

#[derive(Clone, Debug)]
pub enum Schedule {
    Cron(Box<cron::Schedule>),
    Every(Duration),
}

/// Parses `90s`, `15m`, `1h`, `7d` (a bare number is seconds).
pub fn parse_duration(s: &str) -> Result<Duration, String> {
    let s = s.trim();
    let split = s.find(|c: char| !c.is_ascii_digit()).unwrap_or(s.len());
    let (n, unit) = s.split_at(split);
    let n: u64 = n.parse().map_err(|_| format!("`{s}` is not a duration like 30s, 15m, 1h or 7d"))?;
    let secs = match unit.trim() {
        "" | "s" => n,
        "m" => n * 60,
        "h" => n * 3600,
        "d" => n * 86_400,
        _ => return Err(format!("`{s}`: unknown unit (use s, m, h or d)")),
    };
    Ok(Duration::from_secs(secs))
}

impl FromStr for Schedule {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, String> {
        let s = s.trim();
        if let Some(rest) = s.strip_prefix("every ") {
            let d = parse_duration(rest)?;
            return if d.is_zero() { Err("interval must be positive".into()) } else { Ok(Schedule::Every(d)) };
        }
        if !s.contains(' ') {
            let d = parse_duration(s)?;
            return if d.is_zero() { Err("interval must be positive".into()) } else { Ok(Schedule::Every(d)) };
        }
        let expr = if s.split_whitespace().count() == 5 { format!("0 {s}") } else { s.to_string() };
        cron::Schedule::from_str(&expr)
            .map(|c| Schedule::Cron(Box::new(c)))
            .map_err(|e| format!("`{s}` is not a cron expression or interval: {e}"))
    }
}

impl Schedule {
    /// The first run time strictly after `after` (for an interval: one interval after the last run).
    pub fn next_after(&self, after: DateTime<Utc>) -> Option<DateTime<Utc>> {
        match self {
            Schedule::Cron(c) => c.after(&after).next(),
            Schedule::Every(d) => chrono::Duration::from_std(*d).ok().map(|d| after + d),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    #[test]
    fn intervals_and_cron_expressions() {
        let t0 = Utc.with_ymd_and_hms(2026, 1, 1, 10, 30, 0).unwrap();
        let every: Schedule = "every 15m".parse().unwrap();
        assert_eq!(every.next_after(t0), Some(t0 + chrono::Duration::minutes(15)));
        let bare: Schedule = "2h".parse().unwrap();
        assert_eq!(bare.next_after(t0), Some(t0 + chrono::Duration::hours(2)));
        let nightly: Schedule = "0 3 * * *".parse().unwrap();
        assert_eq!(nightly.next_after(t0), Some(Utc.with_ymd_and_hms(2026, 1, 2, 3, 0, 0).unwrap()));
        assert!("every 0s".parse::<Schedule>().is_err());
        assert!("sometimes".parse::<Schedule>().is_err());
        assert!("61 * * * *".parse::<Schedule>().is_err());
        assert_eq!(parse_duration("7d").unwrap(), Duration::from_secs(7 * 86_400));
    }
}
