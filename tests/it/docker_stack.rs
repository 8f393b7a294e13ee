//! The demo stacks in docker/ (no Docker engine here): compose files, the Dockerfile and the
//! Logstash pipeline parse, reference files that exist and wire what the README promises; the
//! pipeline's grok pattern, expanded to an equivalent regex, parses every sample sshd line.

use crate::support::logstash_conf;

use logstash_conf::parse_logstash;
use serde_yaml::Value as Yaml;
use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}
fn docker() -> PathBuf {
    root().join("docker")
}
fn read(p: &Path) -> String {
    std::fs::read_to_string(p).unwrap_or_else(|e| panic!("{}: {e}", p.display()))
}

fn compose(name: &str) -> Yaml {
    serde_yaml::from_str(&read(&docker().join(name))).unwrap_or_else(|e| panic!("{name}: {e}"))
}

fn dotenv() -> BTreeMap<String, String> {
    read(&docker().join(".env"))
        .lines()
        .filter(|l| !l.trim().is_empty() && !l.starts_with('#'))
        .map(|l| {
            let (k, v) = l.split_once('=').expect("KEY=value");
            (k.to_owned(), v.to_owned())
        })
        .collect()
}

fn env_list(svc: &Yaml) -> BTreeMap<String, String> {
    svc["environment"]
        .as_sequence()
        .map(|s| {
            s.iter()
                .map(|e| {
                    let (k, v) = e.as_str().unwrap().split_once('=').unwrap();
                    (k.to_owned(), v.to_owned())
                })
                .collect()
        })
        .unwrap_or_default()
}

/// (host path, container path) of the service's bind mounts (named volumes skipped).
fn binds(svc: &Yaml) -> Vec<(PathBuf, String)> {
    svc["volumes"]
        .as_sequence()
        .map(|s| {
            s.iter()
                .filter_map(|v| {
                    let mut it = v.as_str().unwrap().split(':');
                    let (src, dst) = (it.next().unwrap(), it.next().unwrap());
                    src.starts_with('.').then(|| (docker().join(src), dst.to_owned()))
                })
                .collect()
        })
        .unwrap_or_default()
}

/// Checks common to both stacks; returns the Logstash output file mounted.
fn check_stack(file: &str, search: &str, dashboards: &str) -> PathBuf {
    let text = read(&docker().join(file));
    let c = compose(file);
    let services = c["services"].as_mapping().expect("services");
    let names: BTreeSet<String> = services.keys().map(|k| k.as_str().unwrap().to_owned()).collect();
    for s in [search, dashboards, "setup", "logstash", "logsift"] {
        assert!(names.contains(s), "{file}: no service {s}");
    }
    // Every ${VAR} in the file is defined in .env.
    let env = dotenv();
    let var = regex::Regex::new(r"\$\{([A-Z_]+)\}").unwrap();
    for cap in var.captures_iter(&text) {
        assert!(env.contains_key(&cap[1]), "{file}: ${{{}}} not in docker/.env", &cap[1]);
    }
    for (name, svc) in services {
        let name = name.as_str().unwrap();
        for (src, _) in binds(svc) {
            assert!(src.exists(), "{file}: {name} mounts {} which does not exist", src.display());
        }
        if let Some(deps) = svc["depends_on"].as_mapping() {
            for d in deps.keys() {
                assert!(names.contains(d.as_str().unwrap()), "{file}: {name} depends on unknown {d:?}");
            }
        }
        if let Some(build) = svc.get("build") {
            let ctx = docker().join(build["context"].as_str().unwrap());
            assert!(ctx.join(build["dockerfile"].as_str().unwrap()).exists(), "{file}: {name}: Dockerfile missing");
        }
    }
    let logsift = &services[&Yaml::from("logsift")];
    let entry = serde_yaml::to_string(&logsift["entrypoint"]).unwrap();
    assert!(
        entry.contains("logsift kibana install") && entry.contains("logsift run"),
        "{file}: logsift installs dashboards then runs: {entry}"
    );
    let le = env_list(logsift);
    assert!(le.contains_key("LOGSIFT_KIBANA_URL") && le.contains_key("LOGSIFT_CONNECTION__PASSWORD"), "{file}: {le:?}");
    assert!(le["LOGSIFT_KIBANA_URL"].contains(dashboards), "{file}: logsift talks to {dashboards}");
    // Logstash: the shared pipeline plus one output, and the samples.
    let ls = &services[&Yaml::from("logstash")];
    let mounts = binds(ls);
    assert!(mounts
        .iter()
        .any(|(s, d)| s.ends_with("10-logsift-samples.conf") && d.starts_with("/usr/share/logstash/pipeline/")));
    let (out, _) = mounts
        .iter()
        .find(|(s, d)| {
            s.starts_with(docker().join("./logstash/outputs")) && d.starts_with("/usr/share/logstash/pipeline/")
        })
        .expect("an output file");
    // Every ${VAR} in the pipeline files is given to the Logstash container (or has a default).
    let ls_env = env_list(ls);
    let lvar = regex::Regex::new(r"\$\{([A-Z_]+)(:[^}]*)?\}").unwrap();
    for f in [docker().join("logstash/pipeline/10-logsift-samples.conf"), out.clone()] {
        for cap in lvar.captures_iter(&read(&f)) {
            assert!(
                ls_env.contains_key(&cap[1]) || cap.get(2).is_some(),
                "{file}: {} uses ${{{}}} not set for logstash",
                f.display(),
                &cap[1]
            );
        }
    }
    // File inputs read paths that are mounted from files that exist.
    let pipeline = parse_logstash(&read(&docker().join("logstash/pipeline/10-logsift-samples.conf"))).unwrap();
    let paths = pipeline.plugin_settings("input", "file", "path");
    assert_eq!(paths.len(), 2, "{paths:?}");
    for p in paths {
        let (src, dst) = mounts
            .iter()
            .find(|(_, d)| p.starts_with(d.as_str()))
            .unwrap_or_else(|| panic!("{file}: {p} is not mounted"));
        let host = src.join(p.strip_prefix(dst.as_str()).unwrap().trim_start_matches('/'));
        assert!(host.exists(), "{file}: {p} -> {} missing", host.display());
    }
    out.clone()
}

#[test]
fn elastic_stack_has_security_and_a_kibana_system_setup() {
    let out = check_stack("compose.elastic.yml", "elasticsearch", "kibana");
    let c = compose("compose.elastic.yml");
    let es = env_list(&c["services"]["elasticsearch"]);
    assert_eq!(es["xpack.security.enabled"], "true");
    assert!(es.contains_key("ELASTIC_PASSWORD"));
    let kb = env_list(&c["services"]["kibana"]);
    assert_eq!(kb["ELASTICSEARCH_USERNAME"], "kibana_system", "Kibana 8 refuses the elastic user");
    assert_eq!(c["services"]["kibana"]["depends_on"]["setup"]["condition"], "service_completed_successfully");
    let script = read(&docker().join("setup/elastic-setup.sh"));
    assert!(script.contains("/_security/user/kibana_system/_password"));
    assert!(script.contains("_index_template/"));
    let output = parse_logstash(&read(&out)).unwrap();
    assert_eq!(output.plugins("output"), vec!["elasticsearch"]);
}

#[test]
fn opensearch_stack_uses_the_opensearch_output() {
    let out = check_stack("compose.opensearch.yml", "opensearch", "opensearch-dashboards");
    let c = compose("compose.opensearch.yml");
    assert!(env_list(&c["services"]["opensearch"]).contains_key("OPENSEARCH_INITIAL_ADMIN_PASSWORD"));
    assert!(env_list(&c["services"]["opensearch-dashboards"]).contains_key("OPENSEARCH_HOSTS"));
    let output = parse_logstash(&read(&out)).unwrap();
    assert_eq!(output.plugins("output"), vec!["opensearch"]);
}

#[test]
fn logstash_files_parse_and_write_daily_indices() {
    let mut n = 0;
    for dir in ["logstash/pipeline", "logstash/outputs"] {
        for e in std::fs::read_dir(docker().join(dir)).unwrap() {
            let p = e.unwrap().path();
            parse_logstash(&read(&p)).unwrap_or_else(|e| panic!("{}: {e}", p.display()));
            n += 1;
        }
    }
    assert!(n >= 3);
    let yml: Yaml = serde_yaml::from_str(&read(&docker().join("logstash/logstash.yml"))).unwrap();
    assert_eq!(yml["pipeline.ecs_compatibility"], "disabled", "grok must give flat host/program/pid");
    let p = parse_logstash(&read(&docker().join("logstash/pipeline/10-logsift-samples.conf"))).unwrap();
    let index = p.plugin_settings("filter", "mutate", "[@metadata][index]");
    assert_eq!(index, vec!["logs-%{[@metadata][kind]}-%{+YYYY.MM.dd}".to_owned()], "daily indices");
    for out in ["elasticsearch", "opensearch"] {
        let o = parse_logstash(&read(&docker().join(format!("logstash/outputs/{out}.conf")))).unwrap();
        assert_eq!(o.plugin_settings("output", out, "index"), vec!["%{[@metadata][index]}".to_owned()]);
    }
}

#[test]
fn dockerfile_is_multi_stage_and_runs_as_non_root() {
    let text = read(&docker().join("Dockerfile"));
    let mut stages = Vec::new();
    let mut user = None;
    for line in text.lines().map(str::trim).filter(|l| !l.is_empty() && !l.starts_with('#')) {
        let mut words = line.split_whitespace();
        match words.next().unwrap() {
            "FROM" => {
                let rest: Vec<&str> = words.collect();
                stages.push(rest.get(2).map(|s| s.to_string()).unwrap_or_default());
                user = None;
            }
            "USER" => user = words.next().map(String::from),
            "COPY" => {
                let args: Vec<&str> = words.collect();
                if let Some(from) = args.iter().find_map(|a| a.strip_prefix("--from=")) {
                    assert!(
                        stages[..stages.len() - 1].iter().any(|s| s == from),
                        "COPY --from={from}: no such earlier stage"
                    );
                } else {
                    for src in &args[..args.len() - 1] {
                        assert!(root().join(src).exists(), "COPY {src}: not in the build context");
                    }
                }
            }
            _ => {}
        }
    }
    assert!(stages.len() >= 2, "multi-stage: {stages:?}");
    let user = user.expect("the final stage sets USER");
    assert!(!user.starts_with('0') && !user.starts_with("root"), "runs as {user}");
}

/// The build stage's COPY sources, copied alone into an empty directory, are enough to build:
/// cargo resolves the workspace there (every manifest and declared target, the lock file, offline)
/// and every file the sources embed (`include_str!`/`include_bytes!`) is inside the copy.
#[test]
fn the_build_stage_copies_what_the_build_needs() {
    let text = read(&docker().join("Dockerfile"));
    let build_stage: Vec<&str> = text
        .lines()
        .map(str::trim)
        .skip_while(|l| !l.starts_with("FROM"))
        .skip(1)
        .take_while(|l| !l.starts_with("FROM"))
        .collect();
    let ctx = tempfile::tempdir().unwrap();
    let mut copied = 0;
    for line in build_stage.iter().filter(|l| l.starts_with("COPY ") && !l.contains("--from=")) {
        let args: Vec<&str> = line.split_whitespace().skip(1).collect();
        let (srcs, dest) = args.split_at(args.len() - 1);
        for src in srcs {
            let from = root().join(src);
            let to = if dest[0] == "./" { ctx.path().join(src) } else { ctx.path().join(dest[0]) };
            copy_tree(&from, &to);
            copied += 1;
        }
    }
    assert!(copied >= 4, "the build stage copies too little: {build_stage:?}");
    // The host platform only: a build resolves the dependencies of the platform it builds for
    // (the others are never downloaded here, offline).
    let rustc = std::process::Command::new("rustc").arg("-vV").output().expect("rustc -vV");
    let host = String::from_utf8_lossy(&rustc.stdout)
        .lines()
        .find_map(|l| l.strip_prefix("host: ").map(str::to_string))
        .expect("rustc reports its host");
    let out = std::process::Command::new(env!("CARGO"))
        .args(["metadata", "--offline", "--format-version", "1", "--locked", "--filter-platform", &host])
        .current_dir(ctx.path())
        .output()
        .expect("run cargo metadata");
    assert!(
        out.status.success(),
        "cargo cannot resolve the copied workspace:\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let meta: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let members = meta["workspace_members"].as_array().unwrap().len();
    assert_eq!(members, 2, "both crates are workspace members in the copy");
    // Every target a manifest declares has its source file in the copy (cargo reads them when it
    // builds, not when it resolves).
    for pkg in meta["packages"].as_array().unwrap().iter().filter(|p| p["source"].is_null()) {
        for t in pkg["targets"].as_array().unwrap() {
            let src = Path::new(t["src_path"].as_str().unwrap());
            assert!(src.exists(), "{} declares {}, which the build stage does not copy", pkg["name"], src.display());
        }
    }
    // Every embedded file resolves inside the copy.
    let mut sources = Vec::new();
    for dir in ["src", "crates"] {
        collect_rs(&ctx.path().join(dir), &mut sources);
    }
    let mut embedded = 0;
    for f in sources {
        let code = std::fs::read_to_string(&f).unwrap();
        for (i, _) in code.match_indices("include_str!(\"").chain(code.match_indices("include_bytes!(\"")) {
            let start = code[i..].find('"').unwrap() + i + 1;
            let rel = &code[start..start + code[start..].find('"').unwrap()];
            let target = f.parent().unwrap().join(rel);
            assert!(target.exists(), "{} embeds {rel}, which the build stage does not copy", f.display());
            embedded += 1;
        }
    }
    assert!(embedded >= 2, "expected the API description and the dashboards bundle to be embedded");
}

fn copy_tree(from: &Path, to: &Path) {
    if from.is_dir() {
        std::fs::create_dir_all(to).unwrap();
        for e in std::fs::read_dir(from).unwrap() {
            let e = e.unwrap();
            let name = e.file_name();
            if name == "target" || name == "node_modules" {
                continue;
            }
            copy_tree(&e.path(), &to.join(name));
        }
    } else {
        std::fs::create_dir_all(to.parent().unwrap()).unwrap();
        std::fs::copy(from, to).unwrap_or_else(|e| panic!("copy {}: {e}", from.display()));
    }
}

fn collect_rs(dir: &Path, out: &mut Vec<PathBuf>) {
    for e in std::fs::read_dir(dir).unwrap() {
        let p = e.unwrap().path();
        if p.is_dir() {
            collect_rs(&p, out);
        } else if p.extension().is_some_and(|x| x == "rs") {
            out.push(p);
        }
    }
}

// ---------------------------------------------------------------- grok

/// The legacy (ecs_compatibility: disabled) grok patterns SYSLOGBASE needs, as Rust regexes.
/// Equivalent to logstash-patterns-core's definitions except that the look-arounds Rust's regex
/// lacks are dropped (`TIME`, `IPV4`) and `IP` covers IPv4 only: a sample line is accepted or
/// refused the same way, and the captures are the same.
fn grok_library() -> BTreeMap<&'static str, &'static str> {
    BTreeMap::from([
        ("SYSLOGBASE", r"%{SYSLOGTIMESTAMP:timestamp} (?:%{SYSLOGFACILITY} )?%{SYSLOGHOST:logsource} %{SYSLOGPROG}:"),
        ("SYSLOGTIMESTAMP", r"%{MONTH} +%{MONTHDAY} %{TIME}"),
        ("SYSLOGPROG", r"%{PROG:program}(?:\[%{POSINT:pid}\])?"),
        ("PROG", r"[\x21-\x5a\x5c\x5e-\x7e]+"),
        ("SYSLOGHOST", r"%{IPORHOST}"),
        ("SYSLOGFACILITY", r"<%{NONNEGINT:facility}.%{NONNEGINT:priority}>"),
        (
            "MONTH",
            r"\b(?:[Jj]an(?:uary|uar)?|[Ff]eb(?:ruary|ruar)?|[Mm](?:a|ä)?r(?:ch|z)?|[Aa]pr(?:il)?|[Mm]a(?:y|i)?|[Jj]un(?:e|i)?|[Jj]ul(?:y|i)?|[Aa]ug(?:ust)?|[Ss]ep(?:tember)?|[Oo](?:c|k)?t(?:ober)?|[Nn]ov(?:ember)?|[Dd]e(?:c|z)(?:ember)?)\b",
        ),
        ("MONTHDAY", r"(?:(?:0[1-9])|(?:[12][0-9])|(?:3[01])|[1-9])"),
        ("TIME", r"%{HOUR}:%{MINUTE}(?::%{SECOND})"),
        ("HOUR", r"(?:2[0123]|[01]?[0-9])"),
        ("MINUTE", r"(?:[0-5][0-9])"),
        ("SECOND", r"(?:(?:[0-5]?[0-9]|60)(?:[:.,][0-9]+)?)"),
        ("IPORHOST", r"(?:%{IP}|%{HOSTNAME})"),
        ("IP", r"%{IPV4}"),
        (
            "IPV4",
            r"(?:(?:[0-1]?[0-9]{1,2}|2[0-4][0-9]|25[0-5])[.](?:[0-1]?[0-9]{1,2}|2[0-4][0-9]|25[0-5])[.](?:[0-1]?[0-9]{1,2}|2[0-4][0-9]|25[0-5])[.](?:[0-1]?[0-9]{1,2}|2[0-4][0-9]|25[0-5]))",
        ),
        ("HOSTNAME", r"\b(?:[0-9A-Za-z][0-9A-Za-z-]{0,62})(?:\.(?:[0-9A-Za-z][0-9A-Za-z-]{0,62}))*(?:\.?|\b)"),
        ("POSINT", r"\b(?:[1-9][0-9]*)\b"),
        ("NONNEGINT", r"\b(?:[0-9]+)\b"),
        ("GREEDYDATA", r".*"),
    ])
}

/// Expands `%{NAME}` / `%{NAME:field}` recursively into a regex with named groups.
fn expand_grok(pattern: &str, lib: &BTreeMap<&str, &str>, depth: usize) -> String {
    assert!(depth < 20, "grok recursion");
    let re = regex::Regex::new(r"%\{(\w+)(?::([\w\[\]@]+))?\}").unwrap();
    re.replace_all(pattern, |c: &regex::Captures| {
        let body =
            expand_grok(lib.get(&c[1]).unwrap_or_else(|| panic!("unknown grok pattern {}", &c[1])), lib, depth + 1);
        match c.get(2) {
            Some(f) => format!("(?P<{}>{body})", f.as_str()),
            None => format!("(?:{body})"),
        }
    })
    .into_owned()
}

/// One CSV record (RFC 4180 quoting; the Loghub files have no line breaks inside fields).
fn csv_record(line: &str) -> Vec<String> {
    let mut fields = vec![String::new()];
    let mut quoted = false;
    let mut chars = line.chars().peekable();
    while let Some(c) = chars.next() {
        match (c, quoted) {
            ('"', true) if chars.peek() == Some(&'"') => {
                chars.next();
                fields.last_mut().unwrap().push('"');
            }
            ('"', _) => quoted = !quoted,
            (',', false) => fields.push(String::new()),
            (c, _) => fields.last_mut().unwrap().push(c),
        }
    }
    fields
}

#[test]
fn grok_pattern_parses_every_sample_sshd_line() {
    let p = parse_logstash(&read(&docker().join("logstash/pipeline/10-logsift-samples.conf"))).unwrap();
    let matches = p.plugin_settings("filter", "grok", "message");
    assert_eq!(matches.len(), 1, "{matches:?}");
    let re = regex::Regex::new(&format!("^{}$", expand_grok(&matches[0], &grok_library(), 0))).unwrap();
    // The samples come from the Loghub CSV: its columns are what grok must recover.
    let csv = read(&root().join("tests/data/loghub-2k/OpenSSH/OpenSSH_2k.log_structured_corrected.csv"));
    let expected: Vec<(String, String, String)> = csv
        .lines()
        .skip(1)
        .map(|l| {
            let f = csv_record(l);
            (f[4].clone(), f[5].clone(), f[6].clone())
        })
        .collect();
    let lines = read(&docker().join("logstash/samples/sshd.log"));
    let lines: Vec<&str> = lines.lines().collect();
    assert_eq!(lines.len(), expected.len());
    for (line, (host, pid, content)) in lines.iter().zip(&expected) {
        let c = re.captures(line).unwrap_or_else(|| panic!("grok does not match: {line}"));
        assert_eq!(&c["logsource"], host, "{line}");
        assert_eq!(&c["program"], "sshd", "{line}");
        assert_eq!(&c["pid"], pid, "{line}");
        assert_eq!(&c["message"], content, "{line}");
        assert!(c["timestamp"].starts_with("Dec "), "{line}");
    }
    // And it refuses what is not a syslog line.
    assert!(!re.is_match("not a syslog line"));
    assert!(!re.is_match("2024-12-10T06:55:46Z LabSZ sshd[1]: iso timestamps are not SYSLOGTIMESTAMP"));
}

/// The stack's cloud-audit sample keeps its fields and all three ratings. (The stack labels it as
/// messages over logs-*; the Audit events dashboard reads `logsift.audit.*`, which a preset source
/// writes: kibana/README.md.)
#[test]
fn stack_audit_sample_carries_its_fields_and_ratings() {
    let text = read(&docker().join("logstash/samples/cloud-audit.ndjson"));
    let mut ratings = BTreeSet::new();
    for l in text.lines() {
        let v: serde_json::Value = serde_json::from_str(l).unwrap();
        for f in ["time", "service_type", "trace_name", "resource_type", "trace_rating", "user", "source_ip", "message"]
        {
            assert!(v.get(f).is_some(), "{f} missing in {l}");
        }
        ratings.insert(v["trace_rating"].as_str().unwrap().to_owned());
    }
    assert_eq!(ratings, BTreeSet::from(["normal".into(), "warning".into(), "incident".into()]));
    let t: serde_json::Value = serde_json::from_str(&read(&docker().join("index-templates/logs.json"))).unwrap();
    assert_eq!(t["index_patterns"][0], "logs-*");
}
