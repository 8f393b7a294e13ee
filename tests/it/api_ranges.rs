//! Time ranges and periods: `/v1/clusters?since=&until=` and `logsift top` count the documents in
//! the range (equal to a terms aggregation of those documents), `logsift compare` / `/v1/compare`
//! find exactly the templates planted as new, gone and grown among templates that differ only by
//! sampling noise, and a restarted sidecar with nothing pending is ready at once.

use crate::support::*;
use serde_json::{json, Value};
use std::collections::{BTreeMap, BTreeSet};
use std::process::{Command, Stdio};
use std::time::Duration;

/// `logsift run` in follow mode with the API on `listen`, for `source` over `index`.
fn follow(url: &str, index: &str, source: &str, listen: &str) -> Terminate {
    Terminate(
        Command::new(env!("CARGO_BIN_EXE_logsift"))
            .args(["run", "--url", url, "--index", index, "--source-name", source, "--listen", listen])
            .args(["--set", "run.poll_interval_secs=1"])
            .env("NO_COLOR", "1")
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap(),
    )
}

/// `{cluster_id: documents}` in `[since, until)` by a plain terms aggregation.
fn terms_in_range(http: &Http, index: &str, since: &str, until: &str) -> BTreeMap<String, u64> {
    let r = http.ok(
        "POST",
        &format!("/{index}/_search"),
        Some(json!({"size": 0,
            "query": {"range": {"@timestamp": {"gte": since, "lt": until}}},
            "aggs": {"c": {"terms": {"field": "logsift.cluster_id", "size": 10000}}}})),
    );
    r["aggregations"]["c"]["buckets"]
        .as_array()
        .unwrap()
        .iter()
        .map(|b| (b["key"].as_str().unwrap().to_string(), b["doc_count"].as_u64().unwrap()))
        .collect()
}

fn by_id(list: &Value) -> BTreeMap<String, u64> {
    list.as_array()
        .unwrap()
        .iter()
        .map(|c| (c["cluster_id"].as_str().unwrap().to_string(), c["count"].as_u64().unwrap()))
        .collect()
}

#[test]
fn range_counts_equal_a_terms_aggregation_of_the_documents_in_the_range() {
    range_counts_on(&Server::start());
}

/// The range-count scenario on `server` (also run on the real servers, `real_servers.rs`).
pub(crate) fn range_counts_on(server: &Server) {
    let http = Http::new(&server.url);
    let rows = loghub("OpenSSH");
    // One document a second from 06:00:00; the range holds documents 600..1500.
    http.load(
        rows.iter()
            .enumerate()
            .map(|(i, (msg, _))| ("ssh-logs".to_string(), json!({"message": msg, "@timestamp": sample_time(i)}))),
    );
    let listen = format!("127.0.0.1:{}", free_port());
    let child = follow(&server.url, "ssh-logs", "sshd", &listen);
    wait_until("2000 labelled documents", Duration::from_secs(120), || labelled_count(&http, "ssh-logs") == 2000);
    // The last batch's cluster documents are written after its labels.
    wait_until("exact cluster documents", Duration::from_secs(60), || {
        let (docs, index) = counts(&http, "ssh-logs", "logsift-clusters");
        docs == index
    });
    let api = Http::new(&format!("http://{listen}"));
    wait_until("the API", Duration::from_secs(30), || std::net::TcpStream::connect(&listen).is_ok());
    let (since, until) = ("2024-12-10T06:10:00Z", "2024-12-10T06:25:00Z");
    let expected = terms_in_range(&http, "ssh-logs", since, until);
    assert!(expected.len() > 5, "{expected:?}");

    for order in ["rare", "top"] {
        let r = api.ok("GET", &format!("/v1/clusters?order={order}&size=1000&since={since}&until={until}"), None);
        assert_eq!(by_id(&r["clusters"]), expected, "order={order}");
        assert_eq!(r["since"], "2024-12-10T06:10:00.000Z");
        let counts: Vec<u64> = r["clusters"].as_array().unwrap().iter().map(|c| c["count"].as_u64().unwrap()).collect();
        let sorted = counts.windows(2).all(|w| if order == "top" { w[0] >= w[1] } else { w[0] <= w[1] });
        assert!(sorted, "order={order}: {counts:?}");
        for c in r["clusters"].as_array().unwrap() {
            // The all-time figure stays beside the in-range count, and the times are in the range.
            assert!(c["total"].as_u64().unwrap() >= c["count"].as_u64().unwrap(), "{c}");
            assert!(c["template"].is_string(), "{c}");
            let (f, l) = (c["first_seen"].as_str().unwrap(), c["last_seen"].as_str().unwrap());
            assert!(f >= "2024-12-10T06:10:00" && l < "2024-12-10T06:25:00" && f <= l, "{c}");
        }
    }
    // New in the range: first seen (all time) in it, with the range's count beside the total.
    let new = api.ok("GET", &format!("/v1/clusters?order=new&size=1000&since={since}&until={until}"), None);
    let new = new["clusters"].as_array().unwrap();
    assert!(!new.is_empty());
    for c in new {
        let f = c["first_seen"].as_str().unwrap();
        assert!(("2024-12-10T06:10:00".."2024-12-10T06:25:00").contains(&f), "{c}");
        assert_eq!(c["count"].as_u64(), expected.get(c["cluster_id"].as_str().unwrap()).copied(), "{c}");
        assert!(c["total"].as_u64().unwrap() >= c["count"].as_u64().unwrap(), "{c}");
    }
    // The range matters: some cluster has documents outside it.
    let all = api.ok("GET", "/v1/clusters?order=top&size=1000", None);
    let totals = by_id(&all["clusters"]);
    assert!(expected.iter().any(|(id, n)| totals[id] > *n), "{expected:?} {totals:?}");
    // The top 3 of the range, by count.
    let top3 = api.ok("GET", &format!("/v1/clusters?size=3&since={since}&until={until}"), None);
    let mut want: Vec<(&String, &u64)> = expected.iter().collect();
    want.sort_by(|a, b| b.1.cmp(a.1).then(a.0.cmp(b.0)));
    let got: Vec<String> =
        top3["clusters"].as_array().unwrap().iter().map(|c| c["cluster_id"].as_str().unwrap().to_string()).collect();
    assert_eq!(got, want.iter().take(3).map(|(id, _)| id.to_string()).collect::<Vec<_>>());
    // Relative times are resolved by logsift (all of the test data is long ago).
    let recent = api.ok("GET", "/v1/clusters?since=now-1h", None);
    assert_eq!(recent["clusters"], json!([]), "{recent}");
    let (status, body) = api.req("GET", "/v1/clusters?since=now&until=now-1h", None);
    assert_eq!((status, body["error"]["code"].clone()), (400, json!("invalid_query")), "{body}");
    let (status, body) = api.req("GET", &format!("/v1/clusters?since={since}&source=other"), None);
    assert_eq!((status, body["error"]["code"].clone()), (404, json!("unknown_source")), "{body}");

    // `logsift top` and `logsift status` count the same.
    let base = ["--url", &server.url, "--index", "ssh-logs", "--source-name", "sshd"];
    let out = logsift(
        &[&["top", "--since", since, "--until", until, "--order", "rare", "--limit", "1000", "--json"], &base[..]]
            .concat(),
    );
    assert!(out.status.success(), "{}", stderr(&out));
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(by_id(&v["clusters"]), expected);
    let out = logsift(&[&["top", "--since", since, "--until", until, "--limit", "2"], &base[..]].concat());
    let text = String::from_utf8_lossy(&out.stdout).into_owned();
    assert!(text.contains(want[0].0) && text.contains(&want[0].1.to_string()), "{text}");
    assert_eq!(text.lines().count(), 4, "{text}");
    let out = logsift(&[&["status", "--since", since, "--until", until], &base[..]].concat());
    let text = String::from_utf8_lossy(&out.stdout).into_owned();
    let in_range: u64 = expected.values().sum();
    assert_eq!(in_range, 900);
    assert!(text.contains(&format!("labelled             {in_range}")), "{text}");
    assert!(text.contains(&format!("templates            {}", expected.len())), "{text}");
    let out = logsift(&[&["top", "--since", "yesterday"], &base[..]].concat());
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    assert!(stderr(&out).contains("since `yesterday`: expected an RFC 3339 time"), "{}", stderr(&out));
    drop(child);
}

#[test]
fn composite_paging_reads_every_cluster() {
    // Pages of 4 buckets over the ~27 clusters of OpenSSH: every cluster, exact counts.
    let server = Server::start();
    let http = Http::new(&server.url);
    load_openssh(&http, "ssh-logs");
    let out = logsift(&["run", "--once", "--url", &server.url, "--index", "ssh-logs", "--source-name", "sshd"]);
    assert!(out.status.success(), "{}", stderr(&out));
    let expected = terms_in_range(&http, "ssh-logs", "2024-12-10T06:05:00Z", "2024-12-10T06:30:00Z");
    let cfg = sshd_config(&server.url);
    let client = logsift::es::EsClient::new(&cfg.connection).unwrap();
    let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
    let spec = logsift::es::aggs::CountSpec {
        index: "ssh-logs",
        field: "logsift.cluster_id",
        ts_field: "@timestamp",
        filters: vec![json!({"range": {"@timestamp": {"gte": "2024-12-10T06:05:00Z", "lt": "2024-12-10T06:30:00Z"}}})],
        page_size: 4,
    };
    let got = rt.block_on(client.counts_by_value(&spec)).unwrap();
    assert!(got.len() > 12, "{got:?}");
    let got: BTreeMap<String, u64> = got.into_iter().map(|c| (c.cluster_id, c.count)).collect();
    assert_eq!(got, expected);
}

/// Four words of their own per template (104 distinct words), so no two templates share a
/// constant; the first word names the template.
const WORDS: &str = "apple river stone cloud maple tiger lemon candle forest silver window garden rocket planet
    bridge castle falcon harbor island jungle kettle ladder magnet needle orange pepper quartz rabbit saddle tunnel
    velvet wagon anchor basket cactus dragon engine feather glacier hammer igloo jacket kernel lantern meadow nickel
    oyster parrot quiver ribbon shovel thimble umbrella violin walrus yogurt zipper bamboo cobalt dolphin ember fossil
    goblet hazel indigo jasmine koala lotus mango nectar olive pebble quill raven sphinx tulip urchin vortex willow
    yonder zephyr acorn beacon cinder dune eclipse fjord geyser heron ivory juniper kayak lagoon mosaic nomad orchid
    prism quasar rhubarb saffron trellis upland valley wombat";

/// A message of template `k` (0..26) with two numeric variables.
fn message(k: usize, rng: &mut XorShift) -> String {
    let w: Vec<&str> = WORDS.split_whitespace().skip(4 * k).take(4).collect();
    format!("{} {} {} {} {} {}", w[0], w[1], rng.below(100_000), w[2], w[3], rng.below(1000))
}

/// A time in the day starting at `day` (`2024-12-10`), drawn at random.
fn time_in(day: &str, rng: &mut XorShift) -> String {
    let s = rng.below(86_400);
    format!("{day}T{:02}:{:02}:{:02}Z", s / 3600, (s / 60) % 60, s % 60)
}

#[test]
fn compare_finds_exactly_the_planted_templates() {
    compare_on(&Server::start());
}

/// The planted-periods scenario on `server` (also run on the real servers, `real_servers.rs`).
pub(crate) fn compare_on(server: &Server) {
    // Templates 0..20 are common to both periods, 20..23 only in the target, 23..25 only in the
    // baseline, 25 grows tenfold in share.
    const NEW: [usize; 3] = [20, 21, 22];
    const GONE: [usize; 2] = [23, 24];
    const GROWS: usize = 25;
    let mut rng = XorShift(0x5DEE_CE66_D1CE_B00C);
    let mut docs = Vec::new();
    // Common templates: both periods drawn from one distribution (weights 1..=20), multinomial noise.
    let weights: Vec<u64> = (1..=20).collect();
    let total: u64 = weights.iter().sum();
    for (day, n) in [("2024-12-10", 4000), ("2024-12-11", 5000)] {
        for _ in 0..n {
            let mut u = rng.below(total);
            let mut k = 0;
            while u >= weights[k] {
                u -= weights[k];
                k += 1;
            }
            docs.push((k, time_in(day, &mut rng)));
        }
    }
    for w in NEW {
        docs.extend((0..40).map(|_| (w, time_in("2024-12-11", &mut rng))));
    }
    for w in GONE {
        docs.extend((0..40).map(|_| (w, time_in("2024-12-10", &mut rng))));
    }
    docs.extend((0..15).map(|_| (GROWS, time_in("2024-12-10", &mut rng))));
    docs.extend((0..188).map(|_| (GROWS, time_in("2024-12-11", &mut rng)))); // 10× the share
    let n = docs.len() as u64;
    let http = Http::new(&server.url);
    let loaded: Vec<(String, Value)> = docs
        .iter()
        .map(|(k, t)| ("app-logs".to_string(), json!({"message": message(*k, &mut rng), "@timestamp": t})))
        .collect();
    http.load(loaded);
    let listen = format!("127.0.0.1:{}", free_port());
    let child = follow(&server.url, "app-logs", "app", &listen);
    wait_until("every document labelled", Duration::from_secs(180), || labelled_count(&http, "app-logs") == n);

    // Each planted template is one cluster (its first word names it).
    let mut cluster_of: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for d in http.all_docs("app-logs") {
        let word = d["_source"]["message"].as_str().unwrap().split(' ').next().unwrap().to_string();
        cluster_of.entry(word).or_default().insert(d["_source"]["logsift"]["cluster_id"].as_str().unwrap().to_string());
    }
    let id = |k: usize| {
        let word = WORDS.split_whitespace().nth(4 * k).unwrap();
        let ids = &cluster_of[word];
        assert_eq!(ids.len(), 1, "{word}: {ids:?}");
        ids.iter().next().unwrap().clone()
    };
    let ids = |ks: &[usize]| ks.iter().map(|k| id(*k)).collect::<BTreeSet<String>>();
    let all: BTreeSet<String> = (0..26).map(id).collect();
    assert_eq!(all.len(), 26, "{cluster_of:?}");

    let (baseline, target) = ("2024-12-10..2024-12-11", "2024-12-11..2024-12-12");
    let out = logsift(&[
        "compare",
        "--url",
        &server.url,
        "--index",
        "app-logs",
        "--source-name",
        "app",
        "--baseline",
        baseline,
        "--target",
        target,
        "--json",
    ]);
    assert!(out.status.success(), "{}", stderr(&out));
    let c: Value = serde_json::from_slice(&out.stdout).unwrap();
    let set = |k: &str| -> BTreeSet<String> {
        c[k].as_array().unwrap().iter().map(|t| t["cluster_id"].as_str().unwrap().to_string()).collect()
    };
    assert_eq!(set("new"), ids(&NEW), "{c:#}");
    assert_eq!(set("gone"), ids(&GONE), "{c:#}");
    assert_eq!(set("changed"), ids(&[GROWS]), "none of the common templates may be flagged: {c:#}");
    for k in ["new", "gone", "changed"] {
        assert!(c[k].as_array().unwrap().iter().all(|t| t["significant"] == true), "{k}: {c:#}");
    }
    let grew = &c["changed"][0];
    assert_eq!(grew["difference"], "grew");
    assert!((8.0..12.0).contains(&grew["ratio"].as_f64().unwrap()), "{grew}");
    assert_eq!(c["steady_count"], 20);
    assert_eq!(c["tests"], 26);
    assert_eq!(c["baseline"]["documents"], 4000 + 80 + 15);
    assert_eq!(c["target"]["documents"], 5000 + 120 + 188);
    let t = c["new"][0]["template"].as_str().unwrap();
    assert!(
        t.contains("<*>") && NEW.iter().any(|k| t.starts_with(WORDS.split_whitespace().nth(4 * k).unwrap())),
        "{c:#}"
    );

    // The API answers the same comparison; the table marks the planted ones.
    wait_until("the API", Duration::from_secs(30), || std::net::TcpStream::connect(&listen).is_ok());
    let api = Http::new(&format!("http://{listen}"));
    let r = api.ok("GET", &format!("/v1/compare?baseline={baseline}&target={target}"), None);
    for k in ["new", "gone", "changed", "steady_count", "tests", "baseline", "target"] {
        assert_eq!(r[k], c[k], "{k}");
    }
    let r = api.ok("GET", &format!("/v1/compare?baseline={baseline}&target={target}&steady=true"), None);
    assert_eq!(r["steady"].as_array().unwrap().len(), 20);
    // Default periods: the last day against the day before (no documents then: nothing significant).
    let r = api.ok("GET", "/v1/compare", None);
    assert_eq!((r["baseline"]["documents"].clone(), r["target"]["documents"].clone()), (json!(0), json!(0)));
    let (status, body) = api.req("GET", "/v1/compare?target=yesterday", None);
    assert_eq!((status, body["error"]["code"].clone()), (400, json!("invalid_query")), "{body}");
    let (status, _) = api.req("GET", "/v1/compare?alpha=2", None);
    assert_eq!(status, 400);
    let out = logsift(&[
        "compare",
        "--url",
        &server.url,
        "--index",
        "app-logs",
        "--source-name",
        "app",
        "--baseline",
        baseline,
        "--target",
        target,
    ]);
    let text = String::from_utf8_lossy(&out.stdout).into_owned();
    assert!(text.contains("new (3)") && text.contains("gone (2)") && text.contains("changed (1)"), "{text}");
    assert!(text.contains("steady: 20"), "{text}");
    drop(child);
}

#[test]
fn a_restarted_sidecar_with_nothing_pending_is_ready_at_once() {
    let server = Server::start();
    let http = Http::new(&server.url);
    let rows = loghub("OpenSSH");
    http.load(
        rows.iter()
            .take(300)
            .enumerate()
            .map(|(i, (msg, _))| ("ssh-logs".to_string(), json!({"message": msg, "@timestamp": sample_time(i)}))),
    );
    let listen = format!("127.0.0.1:{}", free_port());
    let api = Http::new(&format!("http://{listen}"));
    let health = || std::net::TcpStream::connect(&listen).is_ok() && api.req("GET", "/health", None).0 == 200;
    let first = follow(&server.url, "ssh-logs", "sshd", &listen);
    wait_until("300 labelled documents", Duration::from_secs(60), || labelled_count(&http, "ssh-logs") == 300);
    wait_until("the first run ready", Duration::from_secs(30), health);
    let msg = &rows[0].0;
    let before = api.ok("POST", "/v1/classify?learn=false", Some(json!({"message": msg})))["cluster_id"].clone();
    drop(first); // SIGTERM, waited for

    // Nothing is pending and no document is indexed: ready from the snapshot alone.
    let _second = follow(&server.url, "ssh-logs", "sshd", &listen);
    wait_until("the restarted run ready", Duration::from_secs(60), health);
    let count = http.ok("POST", "/ssh-logs/_count", None)["count"].as_u64().unwrap();
    assert_eq!((count, labelled_count(&http, "ssh-logs")), (300, 300), "no document was added before it was ready");
    let r = api.ok("POST", "/v1/classify?learn=false", Some(json!({"message": msg})));
    assert_eq!(r["cluster_id"], before, "the restored engine gives the same id");
    // And it goes on labelling.
    http.load([("ssh-logs".to_string(), json!({"message": rows[300].0, "@timestamp": sample_time(300)}))]);
    wait_until("the new document labelled", Duration::from_secs(60), || labelled_count(&http, "ssh-logs") == 301);
}
