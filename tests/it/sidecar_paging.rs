//! Both paging modes and sliced reads label everything, with exact counts, and leave no
//! point in time open.

use crate::support::*;
use serde_json::json;

fn load(http: &Http, index: &str, n: usize) {
    let lines = loghub("HDFS");
    http.load((0..n).map(|i| {
        (index.to_string(), json!({"message": lines[i % lines.len()].0, "@timestamp": "2024-03-01T00:00:00Z"}))
    }));
}

fn check(http: &Http, index: &str, n: u64) {
    let (docs, clusters) = counts(http, index, "logsift-clusters");
    assert_eq!(docs.values().sum::<u64>(), n, "every document labelled");
    let mine: std::collections::BTreeMap<_, _> = clusters.into_iter().filter(|(k, _)| docs.contains_key(k)).collect();
    assert_eq!(docs, mine);
}

#[test]
fn pit_scroll_and_slices_label_everything() {
    let server = Server::start();
    let http = Http::new(&server.url);
    for (index, source, extra) in [
        ("pit-logs", "pit", "read.paging=pit"),
        ("scroll-logs", "scroll", "read.paging=scroll"),
        ("sliced-logs", "sliced", "read.slices=3"),
    ] {
        load(&http, index, 2500);
        let out = logsift(&[
            "run",
            "--once",
            "--url",
            &server.url,
            "--index",
            index,
            "--source-name",
            source,
            "--set",
            extra,
            "--set",
            "read.page_size=300",
        ]);
        let err = stderr(&out);
        assert!(out.status.success(), "{err}");
        assert_eq!(summary_field(&err, "labelled"), 2500, "{extra}: {err}");
        check(&http, index, 2500);
        let expected_paging = if extra.contains("pit") { "paging pit" } else { "paging scroll" };
        assert!(err.contains(expected_paging), "{err}");
    }
    let pits = http.ok("GET", "/_search/point_in_time/_all", None);
    assert_eq!(pits["pits"], json!([]), "a point in time was left open");
}
