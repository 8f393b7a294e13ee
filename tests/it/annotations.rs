//! Cluster annotations (name, tags, note): set by `logsift annotate` and
//! `PUT /v1/clusters/{id}/annotation`, kept by later labelling, and moved with the documents when
//! a reindex renumbers the clusters.

use crate::support::*;
use serde_json::{json, Value};
use std::process::{Command, Stdio};
use std::time::Duration;

fn cluster_doc(http: &Http, id: &str) -> Value {
    http.ok("GET", &format!("/logsift-clusters/_doc/{id}"), None)["_source"].clone()
}

#[test]
fn annotations_are_kept_by_labelling_and_follow_documents_through_a_reindex() {
    let server = Server::start();
    let http = Http::new(&server.url);
    let rows = loghub("OpenSSH");
    let doc = |i: usize, m: &str| ("ssh-logs".to_string(), json!({"message": m, "@timestamp": sample_time(i)}));
    http.load(rows.iter().enumerate().map(|(i, (m, _))| doc(i, m)));
    let dir = tempfile::tempdir().unwrap();
    let cfg = path_str(&ssh_config(dir.path(), &server.url, "[[jobs]]\nname = \"relabel\"\nkind = \"reindex\"\n"));
    let out = logsift(&["run", "--once", "-c", &cfg]);
    assert!(out.status.success(), "{}", stderr(&out));
    http.ok("POST", "/logsift-clusters/_refresh", None);
    let top = http.ok("POST", "/logsift-clusters/_search", Some(json!({"size": 1, "sort": [{"count": "desc"}]})));
    let id = top["hits"]["hits"][0]["_id"].as_str().unwrap().to_string();
    let count = top["hits"]["hits"][0]["_source"]["count"].as_u64().unwrap();

    // The CLI: set, then show.
    let out = logsift(&[
        "annotate",
        &id,
        "-c",
        &cfg,
        "--name",
        "publickey logins",
        "--tag",
        "known",
        "--tag",
        "benign",
        "--note",
        "expected",
    ]);
    assert!(out.status.success(), "{}", stderr(&out));
    let printed: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(printed["annotation"]["tags"], json!(["benign", "known"]), "{printed}");
    let out = logsift(&["annotate", &id, "-c", &cfg]);
    let shown: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(shown["annotation"]["name"], "publickey logins");
    let out = logsift(&["annotate", "sshd-99999", "-c", &cfg, "--tag", "x"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("no cluster `sshd-99999`"), "{}", stderr(&out));
    let out = logsift(&["annotate", &id, "-c", &cfg, "--tag", "bad tag"]);
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));

    // Labelling more documents of that template keeps the annotation (and counts them).
    let msg =
        http.ok("POST", "/ssh-logs/_search", Some(json!({"size": 1, "query": {"term": {"logsift.cluster_id": id}}})))
            ["hits"]["hits"][0]["_source"]["message"]
            .as_str()
            .unwrap()
            .to_string();
    http.load((0..50).map(|i| doc(3000 + i, &msg)));
    let out = logsift(&["run", "--once", "-c", &cfg]);
    assert!(out.status.success(), "{}", stderr(&out));
    let c = cluster_doc(&http, &id);
    assert_eq!(c["count"].as_u64().unwrap(), count + 50);
    assert_eq!(c["annotation"]["name"], "publickey logins", "{c}");

    // The API of `logsift run`.
    let listen = format!("127.0.0.1:{}", free_port());
    let child = Terminate(
        Command::new(env!("CARGO_BIN_EXE_logsift"))
            .args(["run", "-c", &cfg, "--listen", &listen])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap(),
    );
    wait_until("the API", Duration::from_secs(30), || std::net::TcpStream::connect(&listen).is_ok());
    let api = Http::new(&format!("http://{listen}"));
    let path = format!("/v1/clusters/{id}/annotation");
    let r = api.ok("PUT", &path, Some(json!({"remove_tags": ["benign"], "add_tags": ["security"]})));
    assert_eq!(r["annotation"]["tags"], json!(["known", "security"]), "{r}");
    assert_eq!(r["annotation"]["note"], "expected");
    let view = api.ok("GET", &format!("/v1/clusters/{id}"), None);
    assert_eq!(view["annotation"]["name"], "publickey logins", "{view}");
    let (status, body) = api.req("PUT", "/v1/clusters/sshd-99999/annotation", Some(json!({"name": "x"})));
    assert_eq!((status, body["error"]["code"].clone()), (404, json!("unknown_cluster")), "{body}");
    let (status, _) = api.req("PUT", &path, Some(json!({"tag": "x"})));
    assert_eq!(status, 400, "unknown keys are refused");
    let (status, _) = api.req("PUT", &path, Some(json!({"add_tags": ["no spaces please"]})));
    assert_eq!(status, 400);
    drop(child);

    // A labelling "from before a change": every document carries an old id, and the annotation
    // sits on the old id of this cluster. The reindex renumbers; the annotation follows.
    let old = id.replace("sshd-", "sshd-old");
    let mut nd = String::new();
    for d in http.all_docs("ssh-logs") {
        let was = d["_source"]["logsift"]["cluster_id"].as_str().unwrap().replace("sshd-", "sshd-old");
        nd += &format!(
            "{}\n{}\n",
            json!({"update": {"_index": "ssh-logs", "_id": d["_id"]}}),
            json!({"doc": {"logsift": {"cluster_id": was, "template": "old <*>"}}})
        );
    }
    assert_eq!(http.bulk_ndjson(nd)["errors"], json!(false));
    let annotation = cluster_doc(&http, &id)["annotation"].clone();
    http.ok(
        "PUT",
        &format!("/logsift-clusters/_doc/{old}?refresh=true"),
        Some(json!({
            "cluster_id": old, "source": "sshd", "count": count + 50, "annotation": annotation
        })),
    );
    http.ok(
        "POST",
        &format!("/logsift-clusters/_update/{id}?refresh=true"),
        Some(json!({"doc": {"annotation": null}})),
    );
    let out = logsift(&["jobs", "-c", &cfg, "run", "relabel", "--wait"]);
    assert!(out.status.success(), "{}", stderr(&out));
    http.ok("POST", "/logsift-clusters/_refresh", None);
    let c = cluster_doc(&http, &id);
    assert_eq!(c["annotation"]["name"], "publickey logins", "the annotation went with the documents: {c}");
    assert_eq!(c["annotation"]["tags"], json!(["known", "security"]));
    let (status, _) = http.req("GET", &format!("/logsift-clusters/_doc/{old}"), None);
    assert_eq!(status, 404, "the emptied old cluster is gone");
    let annotated =
        http.ok("POST", "/logsift-clusters/_count", Some(json!({"query": {"exists": {"field": "annotation.name"}}})));
    assert_eq!(annotated["count"], 1, "one annotated cluster, not two");
}
