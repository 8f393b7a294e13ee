//! Counts in a time range, from the log documents (not the cluster index's all-time totals):
//! `GET /v1/clusters?since=&until=`, `logsift top`, `logsift status --since`, and comparing two
//! periods (`GET /v1/compare`, `logsift compare`).
//!
//! A range is counted with a composite aggregation on `logsift.cluster_id` over the source's log
//! indices, filtered by the source's query and a range on its timestamp field, with the min/max
//! document time per cluster (first/last seen *in the range*); the template text comes from the
//! cluster index. Times are RFC 3339, a date, or date math (`now-1h`, `now-7d/d`), resolved here
//! against one `now`, so the API and the CLI read them alike and both periods of a comparison
//! are measured from the same instant.

use crate::config::Config;
use crate::engine::compare::{compare, CompareOptions, Difference};
use crate::es::aggs::{time_range_filter, CountSpec};
use crate::es::indices::ClusterCount;
use crate::es::{EsClient, EsError};
use crate::ids::{parse_cluster_key, FIELD_CLUSTER_ID};
use chrono::{DateTime, Datelike, Duration, Months, NaiveDate, TimeZone, Timelike, Utc};
use serde::Serialize;
use serde_json::{json, Value};
use std::collections::{BTreeMap, HashMap};

/// What the time syntax accepts, for error messages and `--help`.
pub const TIME_SYNTAX: &str =
    "an RFC 3339 time (2026-01-02T03:04:05Z), a date (2026-01-02) or date math (now, now-1h, now-7d, now-1d/d)";

/// Reads a time: RFC 3339, `YYYY-MM-DD` (midnight UTC) or date math relative to `now`:
/// `now`, then any number of `+N<unit>`/`-N<unit>`, then an optional `/<unit>` (rounds down), with
/// units `y M w d h H m s` as in Elasticsearch/OpenSearch (`H` = `h`; weeks start on Monday).
pub fn parse_time(text: &str, now: DateTime<Utc>) -> Result<DateTime<Utc>, String> {
    let bad = || format!("`{text}`: expected {TIME_SYNTAX}");
    if let Ok(t) = DateTime::parse_from_rfc3339(text) {
        return Ok(t.with_timezone(&Utc));
    }
    if let Ok(d) = NaiveDate::parse_from_str(text, "%Y-%m-%d") {
        return Ok(Utc.from_utc_datetime(&d.and_hms_opt(0, 0, 0).ok_or_else(bad)?));
    }
    let mut rest = text.strip_prefix("now").ok_or_else(bad)?;
    let mut t = now;
    while let Some(op) = rest.chars().next() {
        match op {
            '+' | '-' => {
                let digits = rest[1..].bytes().take_while(u8::is_ascii_digit).count();
                let n: i64 = rest[1..1 + digits].parse().map_err(|_| bad())?;
                let unit = rest[1 + digits..].chars().next().ok_or_else(bad)?;
                t = shift(t, if op == '-' { -n } else { n }, unit).ok_or_else(bad)?;
                rest = &rest[1 + digits + unit.len_utf8()..];
            }
            '/' => {
                let unit = rest[1..].chars().next().ok_or_else(bad)?;
                if rest.len() != 1 + unit.len_utf8() {
                    return Err(bad());
                }
                return round_down(t, unit).and_then(in_years).ok_or_else(bad);
            }
            _ => return Err(bad()),
        }
    }
    in_years(t).ok_or_else(|| format!("`{text}`: {} is outside the years 1 to 9999", t.year()))
}

/// Only times RFC 3339 can write (four-digit years).
fn in_years(t: DateTime<Utc>) -> Option<DateTime<Utc>> {
    (1..=9999).contains(&t.year()).then_some(t)
}

fn shift(t: DateTime<Utc>, n: i64, unit: char) -> Option<DateTime<Utc>> {
    let months = |m: i64| -> Option<DateTime<Utc>> {
        let abs = Months::new(u32::try_from(m.unsigned_abs()).ok()?);
        if m >= 0 {
            t.checked_add_months(abs)
        } else {
            t.checked_sub_months(abs)
        }
    };
    let secs = |per: i64| t.checked_add_signed(Duration::try_seconds(n.checked_mul(per)?)?);
    match unit {
        'y' => months(n.checked_mul(12)?),
        'M' => months(n),
        'w' => secs(7 * 86_400),
        'd' => secs(86_400),
        'h' | 'H' => secs(3_600),
        'm' => secs(60),
        's' => secs(1),
        _ => None,
    }
}

fn round_down(t: DateTime<Utc>, unit: char) -> Option<DateTime<Utc>> {
    let day = t.date_naive();
    let at = |d: NaiveDate, h: u32, m: u32, s: u32| Some(Utc.from_utc_datetime(&d.and_hms_opt(h, m, s)?));
    match unit {
        'y' => at(NaiveDate::from_ymd_opt(t.year(), 1, 1)?, 0, 0, 0),
        'M' => at(NaiveDate::from_ymd_opt(t.year(), t.month(), 1)?, 0, 0, 0),
        'w' => at(day - Duration::days(t.weekday().num_days_from_monday() as i64), 0, 0, 0),
        'd' => at(day, 0, 0, 0),
        'h' | 'H' => at(day, t.hour(), 0, 0),
        'm' => at(day, t.hour(), t.minute(), 0),
        's' => at(day, t.hour(), t.minute(), t.second()),
        _ => None,
    }
}

/// The form times are sent to the server and shown in: RFC 3339, milliseconds, `Z`.
pub fn format_time(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(chrono::SecondsFormat::Millis, true)
}

/// `[since, until)`, either side open.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct TimeRange {
    pub since: Option<DateTime<Utc>>,
    pub until: Option<DateTime<Utc>>,
}

impl TimeRange {
    /// From `since`/`until` texts; `since` must be before `until`.
    pub fn parse(since: Option<&str>, until: Option<&str>, now: DateTime<Utc>) -> Result<TimeRange, String> {
        let since = since.map(|s| parse_time(s, now).map_err(|e| format!("since {e}"))).transpose()?;
        let until = until.map(|s| parse_time(s, now).map_err(|e| format!("until {e}"))).transpose()?;
        let r = TimeRange { since, until };
        r.check()?;
        Ok(r)
    }

    /// A period `FROM..TO` (`TO` empty: now).
    pub fn parse_period(text: &str, now: DateTime<Utc>) -> Result<TimeRange, String> {
        let (from, to) = text
            .split_once("..")
            .ok_or_else(|| format!("`{text}`: expected FROM..TO, e.g. now-2d..now-1d or 2026-01-01..2026-01-02"))?;
        if from.is_empty() {
            return Err(format!("`{text}`: the period needs a start (FROM..TO)"));
        }
        let since = Some(parse_time(from, now)?);
        let until = Some(if to.is_empty() { now } else { parse_time(to, now)? });
        let r = TimeRange { since, until };
        r.check().map_err(|e| format!("`{text}`: {e}"))?;
        Ok(r)
    }

    fn check(&self) -> Result<(), String> {
        match (self.since, self.until) {
            (Some(s), Some(u)) if s >= u => {
                Err(format!("since ({}) must be before until ({})", format_time(s), format_time(u)))
            }
            _ => Ok(()),
        }
    }

    pub fn is_open(&self) -> bool {
        self.since.is_none() && self.until.is_none()
    }

    /// The period of the same length just before this one (both ends needed).
    pub fn previous(&self) -> Option<TimeRange> {
        let (s, u) = (self.since?, self.until?);
        Some(TimeRange { since: Some(s - (u - s)), until: Some(s) })
    }

    pub fn since_text(&self) -> Option<String> {
        self.since.map(format_time)
    }

    pub fn until_text(&self) -> Option<String> {
        self.until.map(format_time)
    }

    /// `since..until` for people (`…` for an open side).
    pub fn describe(&self) -> String {
        let side = |t: Option<String>| t.unwrap_or_else(|| "…".into());
        format!("{}..{}", side(self.since_text()), side(self.until_text()))
    }
}

/// `top` (most documents in the range) or `rare` (fewest, at least one).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RangeOrder {
    Top,
    Rare,
}

/// A cluster's figures in a range.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct RangeCluster {
    pub cluster_id: String,
    pub template: Option<String>,
    /// Documents in the range.
    pub count: u64,
    /// All-time documents (the cluster index's figure), when it has the cluster.
    pub total: Option<u64>,
    /// First and last document time in the range.
    pub first_seen: Option<String>,
    pub last_seen: Option<String>,
    /// The cluster's annotation (name, tags, note), when it has one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub annotation: Option<Value>,
}

/// One period of a comparison.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Period {
    pub since: String,
    pub until: String,
    /// Labelled documents of the source in the period.
    pub documents: u64,
}

/// One template in a comparison.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct ComparedTemplate {
    pub cluster_id: String,
    pub template: Option<String>,
    pub baseline: u64,
    pub target: u64,
    /// Shares of each period's documents.
    pub baseline_share: f64,
    pub target_share: f64,
    /// Target share / baseline share (absent for new and gone templates).
    pub ratio: Option<f64>,
    /// The G statistic and its p-value.
    pub g: f64,
    pub p_value: f64,
    /// `p_value` below the comparison's threshold.
    pub significant: bool,
    /// `new`, `gone`, `grew`, `shrank` or `steady`.
    pub difference: &'static str,
}

/// Two periods compared, template by template.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct PeriodComparison {
    pub baseline: Period,
    pub target: Period,
    pub alpha: f64,
    pub min_ratio: f64,
    /// Templates compared (the Bonferroni divisor) and the p-value a difference must beat.
    pub tests: usize,
    pub threshold: f64,
    /// In the target, not the baseline (most target documents first).
    pub new: Vec<ComparedTemplate>,
    /// In the baseline, not the target (most baseline documents first).
    pub gone: Vec<ComparedTemplate>,
    /// In both, with a significant share ratio of at least `min_ratio` either way (most
    /// significant first).
    pub changed: Vec<ComparedTemplate>,
    /// In both, not changed (only with `steady` asked for; else empty).
    pub steady: Vec<ComparedTemplate>,
    /// How many templates were steady.
    pub steady_count: usize,
}

/// Counting one source's documents by cluster in time ranges.
#[derive(Clone)]
pub struct RangeCounts {
    client: EsClient,
    log_indices: String,
    timestamp_field: String,
    source: String,
    query: Option<Value>,
    clusters_index: String,
}

impl RangeCounts {
    pub fn new(client: EsClient, cfg: &Config) -> RangeCounts {
        RangeCounts {
            client,
            log_indices: cfg.source.index_expr(),
            timestamp_field: cfg.source.timestamp_field.clone(),
            source: cfg.source.name.clone(),
            query: cfg.source.query.clone(),
            clusters_index: cfg.clusters_index.clone(),
        }
    }

    /// The source whose documents are counted.
    pub fn source(&self) -> &str {
        &self.source
    }

    fn filters(&self, range: &TimeRange) -> Vec<Value> {
        let mut f = vec![json!({"prefix": {FIELD_CLUSTER_ID: format!("{}-", self.source)}})];
        let (s, u) = (range.since_text(), range.until_text());
        f.extend(time_range_filter(&self.timestamp_field, s.as_deref(), u.as_deref()));
        f.extend(self.query.clone());
        f
    }

    fn spec(&self, filters: Vec<Value>) -> CountSpec<'_> {
        CountSpec {
            index: &self.log_indices,
            field: FIELD_CLUSTER_ID,
            ts_field: &self.timestamp_field,
            filters,
            page_size: crate::es::aggs::COMPOSITE_PAGE,
        }
    }

    /// Documents per cluster of this source in `range` (every cluster with at least one).
    pub async fn counts(&self, range: &TimeRange) -> Result<Vec<ClusterCount>, EsError> {
        let all = self.client.counts_by_value(&self.spec(self.filters(range))).await?;
        Ok(all.into_iter().filter(|c| parse_cluster_key(&self.source, &c.cluster_id).is_some()).collect())
    }

    /// Documents of `ids` in `range`.
    pub async fn counts_of(&self, ids: &[String], range: &TimeRange) -> Result<Vec<ClusterCount>, EsError> {
        let mut out = Vec::new();
        for chunk in ids.chunks(1000) {
            let mut f = self.filters(range);
            f.push(json!({"terms": {FIELD_CLUSTER_ID: chunk}}));
            out.extend(self.client.counts_by_value(&self.spec(f)).await?);
        }
        Ok(out)
    }

    /// Labelled and unlabelled documents of the source in `range`.
    pub async fn documents(&self, range: &TimeRange) -> Result<u64, EsError> {
        let mut f: Vec<Value> = Vec::new();
        let (s, u) = (range.since_text(), range.until_text());
        f.extend(time_range_filter(&self.timestamp_field, s.as_deref(), u.as_deref()));
        f.extend(self.query.clone());
        self.client.count(&self.log_indices, &json!({"bool": {"filter": f}})).await
    }

    /// The cluster documents of `ids` (template, all-time count), by id.
    pub async fn cluster_docs(&self, ids: &[&str]) -> Result<HashMap<String, Value>, EsError> {
        if ids.is_empty() || !self.client.index_exists(&self.clusters_index).await? {
            return Ok(HashMap::new());
        }
        let targets: Vec<(&str, &str)> = ids.iter().map(|id| (self.clusters_index.as_str(), *id)).collect();
        let docs = self.client.mget_sources(&targets, &["template", "count", "annotation"]).await?;
        Ok(ids.iter().zip(docs).filter_map(|(id, d)| Some((id.to_string(), d?))).collect())
    }

    /// The `limit` clusters with the most (`Top`) or fewest (`Rare`) documents in `range`.
    pub async fn top(&self, range: &TimeRange, order: RangeOrder, limit: usize) -> Result<Vec<RangeCluster>, EsError> {
        let mut counts = self.counts(range).await?;
        match order {
            RangeOrder::Top => {
                counts.sort_by(|a, b| b.count.cmp(&a.count).then_with(|| a.cluster_id.cmp(&b.cluster_id)))
            }
            RangeOrder::Rare => {
                counts.sort_by(|a, b| a.count.cmp(&b.count).then_with(|| a.cluster_id.cmp(&b.cluster_id)))
            }
        }
        counts.truncate(limit);
        let ids: Vec<&str> = counts.iter().map(|c| c.cluster_id.as_str()).collect();
        let docs = self.cluster_docs(&ids).await?;
        Ok(counts
            .into_iter()
            .map(|c| {
                let d = docs.get(&c.cluster_id);
                RangeCluster {
                    template: d.and_then(|d| d.get("template")).and_then(Value::as_str).map(str::to_string),
                    total: d.and_then(|d| d.get("count")).and_then(Value::as_u64),
                    annotation: d.and_then(|d| d.get("annotation")).filter(|a| a.is_object()).cloned(),
                    cluster_id: c.cluster_id,
                    count: c.count,
                    first_seen: c.first_seen,
                    last_seen: c.last_seen,
                }
            })
            .collect())
    }

    /// Compares the templates' shares of `baseline` and `target` (see [`crate::engine::compare`]).
    /// `steady`: list the steady templates too.
    pub async fn compare(
        &self,
        baseline: &TimeRange,
        target: &TimeRange,
        opts: CompareOptions,
        steady: bool,
    ) -> Result<PeriodComparison, EsError> {
        let mut rows: BTreeMap<String, (u64, u64)> = BTreeMap::new();
        for c in self.counts(baseline).await? {
            rows.entry(c.cluster_id).or_default().0 += c.count;
        }
        for c in self.counts(target).await? {
            rows.entry(c.cluster_id).or_default().1 += c.count;
        }
        let c = compare(rows.into_iter().map(|(k, (b, t))| (k, b, t)).collect(), opts);
        let (nb, nt) = (c.baseline_total, c.target_total);
        let share = |n: u64, total: u64| if total == 0 { 0.0 } else { n as f64 / total as f64 };
        let steady_count = c.items.iter().filter(|i| i.difference == Difference::Steady).count();
        let shown: Vec<_> = c.items.into_iter().filter(|i| steady || i.difference != Difference::Steady).collect();
        let ids: Vec<&str> = shown.iter().map(|i| i.key.as_str()).collect();
        let docs = self.cluster_docs(&ids).await?;
        let (mut new, mut gone, mut changed, mut steady_list) = (Vec::new(), Vec::new(), Vec::new(), Vec::new());
        for i in shown {
            let t = ComparedTemplate {
                template: docs.get(&i.key).and_then(|d| d.get("template")).and_then(Value::as_str).map(str::to_string),
                baseline_share: share(i.baseline, nb),
                target_share: share(i.target, nt),
                baseline: i.baseline,
                target: i.target,
                ratio: i.ratio,
                g: i.g,
                p_value: i.p_value,
                significant: i.significant,
                difference: i.difference.as_str(),
                cluster_id: i.key,
            };
            match i.difference {
                Difference::New => new.push(t),
                Difference::Gone => gone.push(t),
                Difference::Grew | Difference::Shrank => changed.push(t),
                Difference::Steady => steady_list.push(t),
            }
        }
        new.sort_by(|a, b| b.target.cmp(&a.target).then_with(|| a.cluster_id.cmp(&b.cluster_id)));
        gone.sort_by(|a, b| b.baseline.cmp(&a.baseline).then_with(|| a.cluster_id.cmp(&b.cluster_id)));
        let period = |r: &TimeRange, documents| Period {
            since: r.since_text().unwrap_or_default(),
            until: r.until_text().unwrap_or_default(),
            documents,
        };
        Ok(PeriodComparison {
            baseline: period(baseline, nb),
            target: period(target, nt),
            alpha: opts.alpha,
            min_ratio: opts.min_ratio,
            tests: c.tests,
            threshold: c.threshold,
            new,
            gone,
            changed,
            steady: steady_list,
            steady_count,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn now() -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 3, 18, 13, 45, 30).unwrap() // a Wednesday
    }

    fn t(s: &str) -> String {
        format_time(parse_time(s, now()).unwrap())
    }

    #[test]
    fn times_dates_and_date_math() {
        assert_eq!(t("2026-01-02T03:04:05Z"), "2026-01-02T03:04:05.000Z");
        assert_eq!(t("2026-01-02T03:04:05.5+01:00"), "2026-01-02T02:04:05.500Z");
        assert_eq!(t("2026-01-02"), "2026-01-02T00:00:00.000Z");
        assert_eq!(t("now"), "2026-03-18T13:45:30.000Z");
        assert_eq!(t("now-1h"), "2026-03-18T12:45:30.000Z");
        assert_eq!(t("now-1H"), "2026-03-18T12:45:30.000Z");
        assert_eq!(t("now+15m"), "2026-03-18T14:00:30.000Z");
        assert_eq!(t("now-7d/d"), "2026-03-11T00:00:00.000Z");
        assert_eq!(t("now-1M"), "2026-02-18T13:45:30.000Z");
        assert_eq!(t("now-1y/y"), "2025-01-01T00:00:00.000Z");
        assert_eq!(t("now/w"), "2026-03-16T00:00:00.000Z");
        assert_eq!(t("now-1d+2h-30s"), "2026-03-17T15:45:00.000Z");
        assert_eq!(t("now/M"), "2026-03-01T00:00:00.000Z");
        for bad in [
            "garbage",
            "now-",
            "now-1",
            "now-1x",
            "2026-13-40",
            "2026-02-30",
            "now/",
            "now/dd",
            "now/d-1h",
            "1h",
            "",
            "now-99999999999999999999y",
            "now+9999999999y",
            "now-1é",
        ] {
            let e = parse_time(bad, now()).unwrap_err();
            assert!(e.contains("expected an RFC 3339 time"), "{bad}: {e}");
        }
    }

    #[test]
    fn times_rfc_3339_cannot_write_are_refused() {
        let e = parse_time("now-72M+4832001d", now()).unwrap_err();
        assert!(e.contains("outside the years 1 to 9999"), "{e}");
        assert!(parse_time("now-2026y/y", now()).is_err());
        assert_eq!(t("now-2025y/y"), "0001-01-01T00:00:00.000Z");
    }

    #[test]
    fn ranges_and_periods() {
        let r = TimeRange::parse(Some("now-1d"), None, now()).unwrap();
        assert_eq!(r.describe(), "2026-03-17T13:45:30.000Z..…");
        assert!(TimeRange::parse(Some("now"), Some("now-1h"), now()).unwrap_err().contains("must be before"));
        assert!(TimeRange::parse(Some("nope"), None, now()).unwrap_err().starts_with("since `nope`"));
        assert!(TimeRange::parse(None, None, now()).unwrap().is_open());
        let p = TimeRange::parse_period("now-2d..now-1d", now()).unwrap();
        assert_eq!(p.since_text().unwrap(), "2026-03-16T13:45:30.000Z");
        assert_eq!(p.until_text().unwrap(), "2026-03-17T13:45:30.000Z");
        let prev = p.previous().unwrap();
        assert_eq!(prev.describe(), "2026-03-15T13:45:30.000Z..2026-03-16T13:45:30.000Z");
        assert_eq!(TimeRange::parse_period("2026-03-01..", now()).unwrap().until, Some(now()));
        for bad in ["now-1d", "..now", "now..now-1d", "x..now"] {
            assert!(TimeRange::parse_period(bad, now()).is_err(), "{bad}");
        }
    }
}
