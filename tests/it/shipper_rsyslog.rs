//! Whole syslog lines shipped by a real shipper get the templates of the bare messages with
//! default settings: rsyslog (Debian's `rsyslog` + `rsyslog-elasticsearch`, installed by
//! `tools/rsyslog/ensure` when missing) tails a file with `imfile` and sends every line, header
//! and all, as `message` through `omelasticsearch` (`esVersion.major="8"`: its default `_type` is
//! refused) into osmem-server; `logsift run --once` with no settings then labels them.

use crate::support::*;
use serde_json::{json, Value};
use std::collections::{BTreeSet, HashMap};
use std::process::{Command, Stdio};
use std::time::Duration;

/// rsyslogd's path, or `None` (said on stderr) when it cannot be installed here.
fn rsyslogd() -> Option<String> {
    let out = Command::new(root().join("tools/rsyslog/ensure")).stderr(Stdio::inherit()).output().unwrap();
    match out.status.code() {
        Some(0) => Some(String::from_utf8(out.stdout).unwrap().trim().to_string()),
        Some(3) => {
            eprintln!("rsyslog: cannot be installed here (see above), so the shipper test is skipped");
            None
        }
        other => panic!("tools/rsyslog/ensure failed: {other:?}"),
    }
}

#[test]
fn rsyslog_lines_get_the_templates_of_the_bare_messages() {
    let Some(rsyslogd) = rsyslogd() else { return };
    let server = Server::start();
    let http = Http::new(&server.url);
    let port = server.url.rsplit(':').next().unwrap().to_string();
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();

    // The bundled OpenSSH sample as sshd wrote it into syslog, then the 180 debug lines.
    let mut lines: Vec<String> = openssh_syslog_lines().into_iter().map(|(l, _)| l).collect();
    let debug = std::fs::read_to_string(root().join("tests/data/samples/sshd_debug.log")).unwrap();
    lines.extend(debug.lines().map(String::from));
    let input = d.join("auth.log");
    std::fs::write(&input, lines.iter().map(|l| format!("{l}\n")).collect::<String>()).unwrap();
    std::fs::create_dir_all(d.join("work")).unwrap();
    let conf = d.join("rsyslog.conf");
    std::fs::write(
        &conf,
        format!(
            r#"global(workDirectory="{work}")
module(load="imfile")
module(load="omelasticsearch")
input(type="imfile" file="{input}" tag="sshd" ruleset="to_search")
ruleset(name="to_search") {{
  action(type="omelasticsearch" server="127.0.0.1" serverport="{port}" searchIndex="syslog-rsyslog"
         bulkmode="on" esVersion.major="8" errorFile="{errors}" action.resumeRetryCount="-1")
}}
"#,
            work = path_str(&d.join("work")),
            input = path_str(&input),
            errors = path_str(&d.join("es-errors.json")),
        ),
    )
    .unwrap();
    let log = std::fs::File::create(d.join("rsyslogd.log")).unwrap();
    let child = Command::new(&rsyslogd)
        .args(["-n", "-f", &path_str(&conf), "-i", &path_str(&d.join("rsyslogd.pid"))])
        .stdout(log.try_clone().unwrap())
        .stderr(log)
        .spawn()
        .expect("start rsyslogd");
    let rsyslog = Terminate(child);
    let total = lines.len() as u64;
    let count = || {
        let (status, _) = http.req("POST", "/syslog-rsyslog/_refresh", None);
        if status != 200 {
            return 0;
        }
        http.req("GET", "/syslog-rsyslog/_count", None).1["count"].as_u64().unwrap_or(0)
    };
    let shipped = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        wait_until("rsyslog to ship every line", Duration::from_secs(120), || count() >= total)
    }));
    if shipped.is_err() {
        let log = std::fs::read_to_string(d.join("rsyslogd.log")).unwrap_or_default();
        let errors = std::fs::read_to_string(d.join("es-errors.json")).unwrap_or_default();
        panic!("rsyslog shipped {} of {total} lines\nrsyslogd: {log}\nerror file: {errors:.2000}", count());
    }
    drop(rsyslog);
    assert_eq!(count(), total, "nothing shipped twice");

    // What rsyslog stored: the whole line in `message`.
    let docs = http.all_docs("syslog-rsyslog");
    let sample = &docs[0]["_source"];
    assert!(sample["message"].as_str().unwrap().contains(" sshd["), "{sample}");

    // The same bare messages, in the order rsyslog stored the lines, in their own index.
    let body = |m: &str| m.split_once("]: ").expect("a syslog line").1.to_string();
    http.load(docs.iter().enumerate().map(|(i, d)| {
        let m = d["_source"]["message"].as_str().unwrap();
        ("bare-ssh".to_string(), json!({"message": body(m), "line": i}))
    }));

    for (index, name) in [("syslog-rsyslog", "shipped"), ("bare-ssh", "bare")] {
        let out = logsift(&["run", "--once", "--url", &server.url, "--index", index, "--source-name", name]);
        assert!(out.status.success(), "{}", stderr(&out));
        assert_eq!(summary_field(&stderr(&out), "labelled"), total, "{}", stderr(&out));
    }
    let template_of = |index: &str, key: &dyn Fn(&Value) -> String| -> HashMap<String, String> {
        http.all_docs(index)
            .iter()
            .map(|d| {
                let s = &d["_source"];
                (key(s), s["logsift"]["template"].as_str().unwrap_or_else(|| panic!("unlabelled: {s}")).to_string())
            })
            .collect()
    };
    let shipped = template_of("syslog-rsyslog", &|s| body(s["message"].as_str().unwrap()));
    let bare = template_of("bare-ssh", &|s| s["message"].as_str().unwrap().to_string());
    assert_eq!(shipped.len(), bare.len());
    let differ: Vec<_> = bare.iter().filter(|(m, t)| shipped.get(*m) != Some(t)).take(5).collect();
    assert!(differ.is_empty(), "bare message → template differs when shipped: {differ:?}");
    let templates: BTreeSet<&String> = shipped.values().collect();
    assert!(templates.iter().all(|t| !t.contains("sshd[") && !t.contains("LabSZ")), "{templates:?}");
    eprintln!("rsyslog: {total} lines shipped, {} templates, equal to the bare messages'", templates.len());

    // The header's parts are kept beside the label.
    for d in http.all_docs("syslog-rsyslog") {
        let s = &d["_source"];
        let m = s["message"].as_str().unwrap();
        let h = &s["logsift"]["header"];
        let pid = m.split_once("sshd[").unwrap().1.split_once(']').unwrap().0;
        assert_eq!(h["program"], "sshd", "{s}");
        assert_eq!(h["pid"], pid, "{s}");
        assert!(h["host"] == "LabSZ" || h["host"] == "user-sicharge", "{s}");
    }
}
