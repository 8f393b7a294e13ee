//! The audit bar: 10,000 cloud trace events and 2,000 Exchange records
//! (`tools/gen_audit_scenario.py`, seed 7) with 8 planted risky events at random times after
//! enough history, labelled by `logsift run --once` with the two presets. The rare view's top 20
//! (both sources, merged by score) holds all 8 and none of the planted routine look-alikes
//! (sensitive operations their user has done 8+ times before); every distinct `what`
//! combination is its own template with the count of its documents; codes and outcomes stay
//! unmasked; `GET /v1/audit/rare` answers what `logsift audit rare` prints, and a restarted run
//! restores the rarity state from the snapshot.

use crate::support::*;
use serde_json::{json, Value};
use std::collections::{BTreeMap, HashMap};
use std::process::{Command, Stdio};
use std::time::Duration;

fn load_ndjson(http: &Http, path: &std::path::Path, index: &str, id_field: &str) -> Vec<Value> {
    let text = std::fs::read_to_string(path).unwrap();
    let docs: Vec<Value> = text.lines().map(|l| serde_json::from_str(l).unwrap()).collect();
    for chunk in docs.chunks(2000) {
        let mut nd = String::new();
        for d in chunk {
            nd.push_str(&json!({"index": {"_index": index, "_id": d[id_field]}}).to_string());
            nd.push('\n');
            nd.push_str(&d.to_string());
            nd.push('\n');
        }
        let r = http.bulk_ndjson(nd);
        assert_eq!(r["errors"], json!(false), "{}", r.to_string().chars().take(500).collect::<String>());
    }
    docs
}

fn rare_cli(url: &str, index: &str, preset: &str) -> Vec<Value> {
    let out =
        logsift(&["audit", "rare", "--url", url, "--index", index, "--preset", preset, "--limit", "20", "--json"]);
    assert!(out.status.success(), "{}", stderr(&out));
    String::from_utf8(out.stdout).unwrap().lines().map(|l| serde_json::from_str(l).unwrap()).collect()
}

#[test]
fn planted_risky_events_top_the_rare_view_and_templates_are_exact() {
    let dir = tempfile::tempdir().unwrap();
    let gen = Command::new("python3")
        .arg(root().join("tools/gen_audit_scenario.py"))
        .args(["--out", &path_str(dir.path()), "--cloud", "10000", "--exchange", "2000", "--seed", "7"])
        .output()
        .expect("python3 for tools/gen_audit_scenario.py");
    assert!(gen.status.success(), "{}", String::from_utf8_lossy(&gen.stderr));
    let labels: Value =
        serde_json::from_str(&std::fs::read_to_string(dir.path().join("labels.json")).unwrap()).unwrap();
    let risky = labels["risky"].as_object().unwrap();
    let routine = labels["routine"].as_object().unwrap();
    assert_eq!(risky.len(), 8);
    assert!(routine.len() > 100, "{}", routine.len());

    let server = Server::start();
    let http = Http::new(&server.url);
    let cloud = load_ndjson(&http, &dir.path().join("cloud_trace.ndjson"), "cloud-audit", "trace_id");
    let exchange = load_ndjson(&http, &dir.path().join("exchange.ndjson"), "exchange-audit", "Id");
    assert_eq!((cloud.len(), exchange.len()), (10_000, 2_000));
    for (index, name, preset, n) in
        [("cloud-audit", "cloud", "cloud-trace", 10_000), ("exchange-audit", "exchange", "o365-exchange", 2_000)]
    {
        let out = logsift(&[
            "run",
            "--once",
            "--url",
            &server.url,
            "--index",
            index,
            "--source-name",
            name,
            "--preset",
            preset,
        ]);
        let err = stderr(&out);
        assert!(out.status.success(), "{err}");
        assert_eq!(summary_field(&err, "labelled"), n, "{err}");
    }

    // The bar: all 8 risky events in the merged top 20, no routine look-alike there.
    let mut top: Vec<Value> = rare_cli(&server.url, "cloud-audit", "cloud-trace");
    top.extend(rare_cli(&server.url, "exchange-audit", "o365-exchange"));
    top.sort_by(|a, b| b["score"].as_f64().unwrap().total_cmp(&a["score"].as_f64().unwrap()));
    top.truncate(20);
    let ids: Vec<&str> = top.iter().map(|e| e["_id"].as_str().unwrap()).collect();
    let table: Vec<String> = top
        .iter()
        .map(|e| format!("{} {} {} {} {}", e["score"], e["_id"], e["user"], e["what"], e["reasons"]))
        .collect();
    for (id, why) in risky {
        assert!(ids.contains(&id.as_str()), "planted `{why}` ({id}) not in the top 20:\n{}", table.join("\n"));
    }
    for id in &ids {
        assert!(!routine.contains_key(*id), "routine {id} ({}) in the top 20:\n{}", routine[*id], table.join("\n"));
    }
    // Each names who, where, on what, and links the document.
    let grant = top.iter().find(|e| e["what"].as_str().unwrap().contains("Add-MailboxPermission")).unwrap();
    assert_eq!(grant["_index"], "exchange-audit");
    assert!(grant["objects"].as_array().unwrap().contains(&json!("j.smith@outlook-mail.net")), "{grant}");
    assert!(grant["reasons"].as_array().unwrap().contains(&json!("new_domain")), "{grant}");
    let del = top.iter().find(|e| e["address"] == "198.51.100.77").unwrap();
    assert_eq!((del["user"].as_str(), del["new_pair"].as_bool()), (Some("iam19"), Some(true)), "{del}");

    // Exact templates: every distinct (service, operation, resource type, rating, code) is one
    // template, with the count of its documents; codes and ratings are not masked.
    let docs = http.all_docs("cloud-audit");
    let mut by_fields: BTreeMap<String, u64> = BTreeMap::new();
    for d in &docs {
        let s = &d["_source"];
        let key = format!(
            "{} {} {} {} {}",
            s["service_type"].as_str().unwrap(),
            s["trace_name"].as_str().unwrap(),
            s["resource_type"].as_str().unwrap(),
            s["trace_rating"].as_str().unwrap(),
            s["code"]
        );
        assert_eq!(s["logsift"]["template"].as_str(), Some(key.as_str()));
        *by_fields.entry(key).or_default() += 1;
    }
    let mut by_template: BTreeMap<String, u64> = BTreeMap::new();
    let mut ids_of: HashMap<String, String> = HashMap::new();
    for c in http.all_docs("logsift-clusters") {
        let s = &c["_source"];
        if s["source"] == "cloud" {
            let t = s["template"].as_str().unwrap().to_string();
            assert!(ids_of.insert(t.clone(), s["cluster_id"].as_str().unwrap().to_string()).is_none(), "{t} twice");
            by_template.insert(t, s["count"].as_u64().unwrap());
        }
    }
    assert_eq!(by_template, by_fields);
    assert!(by_template.contains_key("IAM login user warning 401"), "{by_template:?}");
    assert!(by_template.contains_key("IMS deleteImage image incident 200"));
    let (from_docs, from_index) = counts(&http, "exchange-audit", "logsift-clusters");
    for (id, n) in &from_docs {
        assert_eq!(from_index.get(id), Some(n), "{id}");
    }
    let ex = http.all_docs("exchange-audit");
    let grant_doc = ex.iter().find(|d| d["_id"] == grant["_id"]).unwrap();
    assert_eq!(
        grant_doc["_source"]["logsift"]["template"], "Exchange Add-MailboxPermission AccessRights Identity User True -",
        "parameter names in the template, ResultStatus `True` unmasked"
    );
    assert!(grant_doc["_source"]["logsift"]["params"].as_array().unwrap().contains(&json!("ceo@contoso.com")));

    // The API of a (restarted) follow-mode run answers the same view, with the state restored.
    let listen = format!("127.0.0.1:{}", free_port());
    let log = dir.path().join("follow.log");
    let mut child = Terminate(
        Command::new(env!("CARGO_BIN_EXE_logsift"))
            .args(["run", "--url", &server.url, "--index", "cloud-audit", "--source-name", "cloud"])
            .args(["--preset", "cloud-trace", "--listen", &listen, "--set", "run.poll_interval_secs=1"])
            .env("NO_COLOR", "1")
            .stdout(Stdio::null())
            .stderr(std::fs::File::create(&log).unwrap())
            .spawn()
            .unwrap(),
    );
    wait_until("the API", Duration::from_secs(30), || std::net::TcpStream::connect(&listen).is_ok());
    let api = Http::new(&format!("http://{listen}"));
    let r = api.ok("GET", "/v1/audit/rare?limit=20&since=2026-03-01&until=2026-04-01", None);
    let cli = rare_cli(&server.url, "cloud-audit", "cloud-trace");
    let api_ids: Vec<&Value> = r["events"].as_array().unwrap().iter().map(|e| &e["_id"]).collect();
    let cli_ids: Vec<&Value> = cli.iter().map(|e| &e["_id"]).collect();
    assert_eq!(api_ids, cli_ids);
    let (status, bad) = api.req("GET", "/v1/audit/rare?since=yesterday", None);
    assert_eq!((status, bad["error"]["code"].as_str()), (400, Some("invalid_query")));
    // A new document is scored against the restored history: a known user from a new block.
    let novel = json!({"@timestamp": "2026-03-31T10:00:00Z", "service_type": "IAM", "trace_name": "login",
        "resource_type": "user", "trace_rating": "normal", "code": 200, "user": {"name": "developer00"},
        "source_ip": "203.0.113.50", "trace_id": "tr-new"});
    http.bulk_ndjson(format!("{}\n{novel}\n", json!({"index": {"_index": "cloud-audit", "_id": "tr-new"}})));
    wait_until("the new document labelled", Duration::from_secs(60), || {
        http.ok("GET", "/cloud-audit/_doc/tr-new", None)["_source"]["logsift"]["audit"].is_object()
    });
    let a = http.ok("GET", "/cloud-audit/_doc/tr-new", None)["_source"]["logsift"]["audit"].clone();
    assert!(a["reasons"].as_array().unwrap().contains(&json!("new_user_address")), "{a}");
    let logins = cloud
        .iter()
        .filter(|d| d["user"]["name"] == "developer00" && d["trace_name"] == "login" && d["trace_rating"] == "normal")
        .count() as u64;
    assert_eq!(a["seen"].as_u64(), Some(logins), "the whole history, restored: {a}");
    child.0.kill().ok();
    let text = std::fs::read_to_string(&log).unwrap();
    assert!(text.contains("audit rarity state restored"), "{text}");
}

/// The `logsift.audit` block of every document of `index`, by id.
fn audit_blocks(http: &Http, index: &str) -> BTreeMap<String, Value> {
    http.all_docs(index)
        .into_iter()
        .map(|d| (d["_id"].as_str().unwrap().to_string(), d["_source"]["logsift"]["audit"].clone()))
        .collect()
}

#[test]
fn a_lost_snapshot_rebuilds_the_rarity_history_from_the_documents() {
    let server = Server::start();
    let http = Http::new(&server.url);
    let text = std::fs::read_to_string(root().join("tests/data/samples/audit_cloud_trace.ndjson")).unwrap();
    let mut events: Vec<Value> = text.lines().map(|l| serde_json::from_str(l).unwrap()).collect();
    events.sort_by(|a, b| a["@timestamp"].as_str().cmp(&b["@timestamp"].as_str()));
    let (first, second) = events.split_at(events.len() / 2);
    let load = |index: &str, part: &[Value]| {
        http.load(part.iter().map(|e| (index.to_string(), e.clone())).collect::<Vec<_>>());
    };
    let run = |index: &str, name: &str| {
        let out = logsift(&[
            "run",
            "--once",
            "--url",
            &server.url,
            "--index",
            index,
            "--source-name",
            name,
            "--preset",
            "cloud-trace",
        ]);
        assert!(out.status.success(), "{}", stderr(&out));
        stderr(&out)
    };
    // Reference: the first half, then the second, with the snapshot kept.
    load("kept", first);
    run("kept", "kept");
    load("kept", second);
    run("kept", "kept");
    // The same, but the state index loses the snapshot between the two runs.
    load("lost", first);
    run("lost", "lost");
    http.ok("DELETE", "/logsift-state/_doc/lost.snapshot", None);
    load("lost", second);
    let err = run("lost", "lost");
    // Every verdict of the second half is the one of the uninterrupted history (by document
    // content: the two indices gave their documents ids of their own).
    let key = |d: &Value| format!("{}", d["_source"]["trace_id"]);
    let by_trace = |index: &str| -> BTreeMap<String, Value> {
        http.all_docs(index).iter().map(|d| (key(d), d["_source"]["logsift"]["audit"].clone())).collect()
    };
    let (kept, lost) = (by_trace("kept"), by_trace("lost"));
    assert_eq!(kept.len(), events.len());
    let new_pairs = second.iter().filter(|e| kept[&format!("{}", e["trace_id"])]["new_pair"] == json!(true)).count();
    assert!(new_pairs < second.len() / 4, "the second half is mostly seen before: {new_pairs} of {}", second.len());
    for e in second {
        let k = format!("{}", e["trace_id"]);
        assert_eq!(lost[&k], kept[&k], "{k}");
    }
    assert_eq!(audit_blocks(&http, "lost").len(), events.len());
    assert!(err.contains("engine rebuilt from labelled documents"), "{err}");
    assert!(err.contains("audit rarity history rebuilt from the labelled documents"), "{err}");
}

#[test]
fn audit_setup_maps_the_preset_fields_as_keyword_and_names_a_conflicting_index() {
    let server = Server::start();
    let http = Http::new(&server.url);
    // `audit-new` exists but is empty: `setup` maps the preset's fields. `audit-old` already got
    // an event under default dynamic mapping (text + .keyword, code a long): it cannot change.
    http.ok("PUT", "/audit-new", Some(json!({})));
    let event = |id: &str| {
        json!({"@timestamp": "2026-03-02T10:00:00Z", "service_type": "IAM", "trace_name": "deleteUser",
            "resource_type": "user", "trace_rating": "normal", "code": 200, "user": {"name": "alice"},
            "source_ip": "10.1.2.3", "resource_id": id})
    };
    http.bulk_ndjson(format!("{}\n{}\n", json!({"index": {"_index": "audit-old", "_id": "o1"}}), event("u-1")));
    let args =
        ["--url", &server.url, "--index", "audit-new,audit-old", "--source-name", "ct", "--preset", "cloud-trace"];
    let out = logsift(&[&["setup"], &args[..]].concat());
    let (stdout, err) = (String::from_utf8_lossy(&out.stdout).to_string(), stderr(&out));
    assert_eq!(out.status.code(), Some(1), "a conflict is an error: {stdout}{err}");
    assert!(
        stdout.contains("keyword mapping refused by `audit-old`: mapper [")
            && !stdout.contains("refused by `audit-new`"),
        "{stdout}"
    );
    assert!(err.contains("already mapped otherwise in audit-old") && err.contains("logsift-source-fields-ct"), "{err}");
    assert!(!err.contains("panicked"), "{err}");
    // Everything else was set up: the new index maps the preset's fields as keyword, and the
    // component template is there for the users' index templates.
    let m = http.ok("GET", "/audit-new/_mapping", None);
    let props = &m["audit-new"]["mappings"]["properties"];
    for f in ["/trace_name", "/code", "/user/properties/name", "/resource_id"] {
        assert_eq!(props.pointer(&format!("{f}/type")), Some(&json!("keyword")), "{f}: {props}");
    }
    assert_eq!(props.pointer("/logsift/properties/audit/properties/what/type"), Some(&json!("keyword")));
    let t = http.ok("GET", "/_component_template/logsift-source-fields-ct", None);
    assert!(t.to_string().contains("trace_name"), "{t}");
    // Labelling does not depend on it: both indices are labelled and scored, and the roles
    // aggregate under logsift.audit.* on both, whatever `trace_name` is mapped as.
    http.bulk_ndjson(format!("{}\n{}\n", json!({"index": {"_index": "audit-new", "_id": "n1"}}), event("u-2")));
    let run = logsift(&[&["run", "--once"], &args[..]].concat());
    assert!(run.status.success(), "{}", stderr(&run));
    assert_eq!(summary_field(&stderr(&run), "labelled"), 2);
    let aggs = http.ok(
        "POST",
        "/audit-new,audit-old/_search",
        Some(json!({"size": 0, "aggs": {"what": {"terms": {"field": "logsift.audit.what"}},
                                     "sensitive": {"filter": {"term": {"logsift.audit.sensitive": true}}}}})),
    );
    assert_eq!(aggs["aggregations"]["what"]["buckets"][0]["key"], "IAM deleteUser user normal 200", "{aggs}");
    assert_eq!(aggs["aggregations"]["what"]["buckets"][0]["doc_count"], 2);
    assert_eq!(aggs["aggregations"]["sensitive"]["doc_count"], 2, "deleteUser is on the preset's list");
    // Without the conflicting index, setup succeeds.
    let ok = logsift(&[
        "setup",
        "--url",
        &server.url,
        "--index",
        "audit-new",
        "--source-name",
        "ct",
        "--preset",
        "cloud-trace",
    ]);
    assert!(ok.status.success(), "{}", stderr(&ok));
}
