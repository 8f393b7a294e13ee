//! `logsift cluster` at parity with the sidecar: headers cut by default (the same templates as
//! the bare messages), several inputs, directories, globs and gzip giving the same result as the
//! plain file, NDJSON fields, multi-line messages, the summary's order and shares, --config.

use crate::support::*;
use std::io::Write;
use std::path::Path;

fn cluster(args: &[&str]) -> String {
    let mut all = vec!["cluster", "--quiet"];
    all.extend_from_slice(args);
    let out = logsift(&all);
    assert!(out.status.success(), "logsift {all:?}: {}", stderr(&out));
    String::from_utf8(out.stdout).unwrap()
}

/// `cluster_id,template` per message (the csv without its line column).
fn assignments(args: &[&str]) -> Vec<String> {
    let mut a = vec!["--format", "csv"];
    a.extend_from_slice(args);
    let csv = cluster(&a);
    csv.lines().skip(1).map(|l| l.split_once(',').unwrap().1.to_string()).collect()
}

fn write_lines(path: &Path, lines: impl IntoIterator<Item = String>) {
    let mut f = std::io::BufWriter::new(std::fs::File::create(path).unwrap());
    for l in lines {
        writeln!(f, "{l}").unwrap();
    }
}

#[test]
fn syslog_headers_give_the_templates_of_the_bare_messages() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let rows = openssh_syslog_lines();
    let bare = d.join("bare.log");
    write_lines(&bare, rows.iter().map(|(_, m)| m.clone()));
    let want = assignments(&[&path_str(&bare)]);
    assert_eq!(want.len(), 2000);

    // As sshd wrote them (RFC 3164), as rsyslog's RSYSLOG_FileFormat writes them (RFC 3339), on
    // the wire (RFC 5424), and as a log4j-style layout.
    type Frame = fn(usize, &str) -> String;
    let variants: [(&str, Frame); 4] = [
        ("rfc3164", |_, l| l.to_string()),
        ("rfc3339", |i, l| {
            let msg = l.split_once("]: ").unwrap().1;
            format!(
                "2024-01-29T11:{:02}:{:02}.{:06}+01:00 LabSZ sshd[{}]: {msg}",
                i / 60 % 60,
                i % 60,
                i * 7,
                24000 + i % 50
            )
        }),
        ("rfc5424", |i, l| {
            let msg = l.split_once("]: ").unwrap().1;
            format!("<38>1 2024-01-29T11:23:{:02}.003Z host-{} sshd {} - - {msg}", i % 60, i % 3, 24000 + i)
        }),
        ("log4j", |i, l| {
            let msg = l.split_once("]: ").unwrap().1;
            format!("2024-01-29 11:23:{:02},{:03} INFO  [worker-{}] org.openssh.Sshd - {msg}", i % 60, i % 1000, i % 4)
        }),
    ];
    for (name, make) in variants {
        let p = d.join(format!("{name}.log"));
        write_lines(&p, rows.iter().enumerate().map(|(i, (l, _))| make(i, l)));
        assert_eq!(assignments(&[&path_str(&p)]), want, "{name}: templates differ from the bare messages");
        // The flag of the issue says the same; --header off mines the headers (so this can fail).
        assert_eq!(assignments(&["--strip-syslog-header", &path_str(&p)]), want, "{name}");
        assert_ne!(assignments(&["--header", "off", &path_str(&p)]), want, "{name}: the header must matter");
    }

    // 180 sshd debug lines of the shape the issue quotes (`... user-sicharge sshd[10348]: debug1: ...`).
    let debug = root().join("tests/data/samples/sshd_debug.log");
    let bodies = d.join("debug-bare.log");
    let text = std::fs::read_to_string(&debug).unwrap();
    write_lines(&bodies, text.lines().map(|l| l.split_once("]: ").unwrap().1.to_string()));
    let got = assignments(&[&path_str(&debug)]);
    assert_eq!(got.len(), 180);
    assert_eq!(got, assignments(&[&path_str(&bodies)]));
    assert!(got.iter().all(|t| !t.contains("user-sicharge")), "{got:?}");
}

#[test]
fn gzip_a_directory_and_globs_give_the_result_of_the_plain_file() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let lines: Vec<String> = openssh_syslog_lines().into_iter().map(|(l, _)| l).collect();
    let plain = d.join("auth.log");
    write_lines(&plain, lines.clone());
    let want = cluster(&["--top", "0", &path_str(&plain)]);
    assert!(want.starts_with("2000 lines, "), "{want}");

    let gz = d.join("copy.log.gz");
    let mut enc = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    enc.write_all(std::fs::read(&plain).unwrap().as_slice()).unwrap();
    std::fs::write(&gz, enc.finish().unwrap()).unwrap();
    assert_eq!(cluster(&["--top", "0", &path_str(&gz)]), want, ".gz");

    // The file split in three, in a directory (one part in a subdirectory, sorted by path).
    let parts = d.join("parts");
    std::fs::create_dir_all(parts.join("c")).unwrap();
    for (k, (name, chunk)) in ["a.log", "b.log", "c/d.log"].iter().zip(lines.chunks(700)).enumerate() {
        assert!(k < 3);
        write_lines(&parts.join(name), chunk.to_vec());
    }
    assert_eq!(cluster(&["--top", "0", &path_str(&parts)]), want, "directory");
    // Several inputs and a glob.
    let a = path_str(&parts.join("a.log"));
    let glob = format!("{}/[bc]*", path_str(&parts));
    assert_eq!(cluster(&["--top", "0", &a, &glob]), want, "file + glob");
    // With several inputs the csv names the file and the line within it.
    let csv = cluster(&["--format", "csv", &path_str(&parts)]);
    let rows: Vec<&str> = csv.lines().collect();
    assert_eq!(rows[0], "file,line,cluster_id,template");
    assert!(rows[701].starts_with(&format!("{},1,", path_str(&parts.join("b.log")))), "{}", rows[701]);
    assert_eq!(rows.len(), 2001);

    // Clear errors: a missing file, a glob matching nothing (exit code 2).
    let out = logsift(&["cluster", &path_str(&d.join("nope.log"))]);
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("no such file"), "{}", stderr(&out));
    let out = logsift(&["cluster", &format!("{}/*.nothing", path_str(d))]);
    assert!(stderr(&out).contains("matches no file"), "{}", stderr(&out));
}

#[test]
fn ndjson_fields_and_templates_use_the_sidecar_rules() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let rows = openssh_syslog_lines();
    let bare = d.join("bare.log");
    write_lines(&bare, rows.iter().map(|(_, m)| m.clone()));
    let want = assignments(&[&path_str(&bare)]);
    // Whole syslog lines in a nested field, as a shipper stores them; two broken lines.
    let nd = d.join("docs.ndjson");
    let mut docs: Vec<String> =
        rows.iter().map(|(l, _)| serde_json::json!({"log": {"original": l}, "host": "x"}).to_string()).collect();
    docs.insert(10, "{not json".into());
    docs.insert(20, r#"{"log": {}}"#.into());
    write_lines(&nd, docs);
    let out = logsift(&["cluster", "--quiet", "--format", "csv", "--field", "log.original", &path_str(&nd)]);
    assert!(out.status.success(), "{}", stderr(&out));
    let err = stderr(&out);
    let csv = String::from_utf8(out.stdout).unwrap();
    let got: Vec<String> = csv.lines().skip(1).map(|l| l.split_once(',').unwrap().1.to_string()).collect();
    assert_eq!(got, want);
    assert!(err.contains("2 lines skipped (1 missing_field, 1 not_json)"), "{err}");
    assert!(err.contains("docs.ndjson:11"), "{err}");
    // Line numbers are the input's: the document after the broken line is line 12.
    assert!(csv.lines().nth(11).unwrap().starts_with("12,"), "{csv:.300}");

    // --message-template on the bundled audit events, as `source.message_template` does.
    let audit = root().join("tests/data/samples/cloud_audit.ndjson");
    let s = cluster(&["--message-template", "{service_type} {trace_name}", "--similarity", "1", &path_str(&audit)]);
    assert!(!s.contains("<*>"), "categorical fields at similarity 1 stay constants:\n{s:.600}");
    let usage = logsift(&["cluster", "--field", "a", "--multiline", "java", "-"]);
    assert_eq!(usage.status.code(), Some(2));
}

#[test]
fn multiline_java_and_python_messages_keep_their_first_line() {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("app.log");
    let mut lines = Vec::new();
    for i in 0..30 {
        lines.push(format!(
            "2024-01-02 03:04:{:02},{:03} INFO [main] com.acme.Api: request {i} served in {} ms",
            i % 60,
            i,
            i * 3
        ));
        if i % 3 == 0 {
            lines.push(format!("2024-01-02 03:04:{:02},500 ERROR [main] com.acme.Db: query {i} failed", i % 60));
            lines.push(format!("java.sql.SQLException: timeout after {i} s"));
            lines.push("\tat com.acme.Db.query(Db.java:42)".into());
            lines.push("\tat com.acme.Api.handle(Api.java:7)".into());
            lines.push("Caused by: java.net.SocketTimeoutException: read timed out".into());
            lines.push("\t... 2 more".into());
        }
    }
    write_lines(&p, lines.clone());
    let plain = cluster(&["--top", "0", &path_str(&p)]);
    assert!(plain.contains("at com.acme"), "without grouping the frames are messages:\n{plain}");
    let grouped = cluster(&["--top", "0", "--multiline", "java", &path_str(&p)]);
    assert!(grouped.starts_with("40 messages from 90 lines, 2 templates"), "{grouped}");
    assert!(grouped.contains("query <*> failed\n"), "{grouped}");
    assert!(!grouped.lines().any(|l| l.trim_start().starts_with("at <*>")), "{grouped}");
    // csv/jsonl lines name each message's first line.
    let jsonl = cluster(&["--format", "jsonl", "--multiline", "java", &path_str(&p)]);
    let docs: Vec<serde_json::Value> = jsonl.lines().map(|l| serde_json::from_str(l).unwrap()).collect();
    let starts: Vec<u64> = docs.iter().map(|d| d["line"].as_u64().unwrap()).collect();
    assert_eq!(docs[1]["params"], serde_json::json!(["0", "0 s", "42", "7", "2"]), "{}", docs[1]);
    let want: Vec<u64> =
        lines.iter().enumerate().filter(|(_, l)| l.starts_with("2024-")).map(|(i, _)| i as u64 + 1).collect();
    assert_eq!(starts, want);

    let py = dir.path().join("py.log");
    let mut lines = Vec::new();
    for i in 0..10 {
        lines.push(format!("WARNING:worker:job {i} retried"));
        lines.push(format!("ERROR:worker:job {i} failed"));
        lines.push("Traceback (most recent call last):".into());
        lines.push("  File \"/app/worker.py\", line 12, in run".into());
        lines.push("    step()".into());
        lines.push(format!("ValueError: bad input {i}"));
    }
    write_lines(&py, lines);
    let s = cluster(&["--top", "0", "--multiline", "python", &path_str(&py)]);
    assert!(s.starts_with("20 messages from 60 lines, 2 templates"), "{s}");
}

#[test]
fn sort_orders_and_shares_with_a_loaded_state() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let lines: Vec<String> = openssh_syslog_lines().into_iter().map(|(l, _)| l).collect();
    let (day1, day2) = (d.join("day1.log"), d.join("day2.log"));
    write_lines(&day1, lines[..1000].to_vec());
    write_lines(&day2, lines[1000..1300].to_vec());
    // (count, share) of each listed template.
    let figures = |s: &str| -> Vec<(u64, f64)> {
        s.lines()
            .skip(3)
            .filter(|l| l.trim_end().ends_with('%') || l.contains("% "))
            .filter_map(|l| {
                let mut w = l.split_whitespace();
                let c = w.next()?.parse().ok()?;
                let sh = w.next()?.strip_suffix('%')?.parse().ok()?;
                Some((c, sh))
            })
            .collect()
    };
    let rare = cluster(&["--sort", "rare", "--top", "0", &path_str(&day1)]);
    let counts: Vec<u64> = figures(&rare).into_iter().map(|(c, _)| c).collect();
    assert!(counts.len() > 5 && counts.windows(2).all(|w| w[0] <= w[1]), "{rare}");
    let top3 = cluster(&["--sort", "rare", "--top", "3", &path_str(&day1)]);
    assert_eq!(figures(&top3).iter().map(|f| f.0).collect::<Vec<_>>(), counts[..3].to_vec(), "the rarest are kept");
    let new = cluster(&["--sort", "new", "--top", "1", &path_str(&day1)]);
    let last = lines[..1000].iter().map(|l| l.split_once("]: ").unwrap().1).collect::<Vec<_>>();
    assert!(figures(&new).len() == 1 && new.contains("e.g. "), "{new}");
    // The newest template's example is a message first seen late in the file.
    let example = new.lines().find_map(|l| l.trim_start().strip_prefix("e.g. ")).unwrap();
    let pos = last.iter().position(|m| *m == example).unwrap();
    assert!(pos > 500, "newest template first seen at message {pos}:\n{new}");

    let state = path_str(&d.join("s.json"));
    cluster(&["--save-state", &state, &path_str(&day1)]);
    let s = cluster(&["--load-state", &state, "--top", "0", &path_str(&day2)]);
    let f = figures(&s);
    assert_eq!(f.iter().map(|x| x.0).sum::<u64>(), 300, "counts are this run's:\n{s}");
    let total: f64 = f.iter().map(|x| x.1).sum();
    assert!((total - 100.0).abs() < 0.5, "shares add up to {total}:\n{s}");
    assert!(s.contains("templates loaded from the state"), "{s}");
}

#[test]
fn config_file_applies_engine_and_source() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let lines: Vec<String> = openssh_syslog_lines().into_iter().map(|(l, _)| l).collect();
    let p = d.join("auth.log");
    write_lines(&p, lines);
    let default = cluster(&[&path_str(&p)]);
    let off = d.join("off.toml");
    std::fs::write(&off, "[source]\nheader = \"off\"\n").unwrap();
    let s = cluster(&["--config", &path_str(&off), &path_str(&p)]);
    assert!(s.contains("LabSZ sshd[<*>]:"), "header = off mines the headers:\n{s:.500}");
    // --header beats the file.
    assert_eq!(cluster(&["--config", &path_str(&off), "--header", "auto", &path_str(&p)]), default);
    let exact = d.join("exact.toml");
    std::fs::write(&exact, "[engine]\nsimilarity = 1.0\ndisable_masks = [\"hostname\"]\n").unwrap();
    let s = cluster(&["--config", &path_str(&exact), &path_str(&p)]);
    let n = |s: &str| s.split_whitespace().nth(2).unwrap().parse::<u64>().unwrap();
    assert!(n(&s) > n(&default), "similarity 1 from the file makes more templates: {} vs {}", n(&s), n(&default));
    let bad = d.join("bad.toml");
    std::fs::write(&bad, "[engine]\nsimilarity = 7\n").unwrap();
    let out = logsift(&["cluster", "--config", &path_str(&bad), &path_str(&p)]);
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("engine.similarity"), "{}", stderr(&out));
}
