//! Tests of configuration loading and validation.

use super::*;

fn env(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
    pairs.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect()
}

fn load_toml(text: &str, envs: &[(&str, &str)]) -> Result<Config, ConfigError> {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("logsift.toml");
    std::fs::write(&path, text).unwrap();
    load_with_env(&Overrides { file: Some(path), ..Default::default() }, env(envs))
}

fn key_of(e: ConfigError) -> String {
    match e {
        ConfigError::Invalid { key, .. } => key,
        ConfigError::Load(m) => m,
    }
}

#[test]
fn no_file_gives_defaults_and_flags_win() {
    let o = Overrides {
        urls: vec!["http://127.0.0.1:1234".into()],
        indices: vec!["a-*".into(), "b".into()],
        ..Default::default()
    };
    let c = load_with_env(&o, env(&[("LOGSIFT_CONNECTION__URLS", "http://x:1"), ("LOGSIFT_URL", "ignored")])).unwrap();
    assert_eq!(c.connection.urls[0].as_str(), "http://127.0.0.1:1234/");
    assert_eq!(c.source.index_expr(), "a-*,b");
    assert_eq!(c.source.extract.message, MessageSpec::Field("message".into()));
    assert_eq!(c.source.timestamp_field, "@timestamp");
    assert_eq!(c.clusters_index, "logsift-clusters");
    assert_eq!(c.state_index, "logsift-state");
    assert_eq!(c.read.paging, Paging::Auto);
}

#[test]
fn the_bundled_example_file_is_valid() {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("config/logsift.toml");
    let c = load_with_env(&Overrides { file: Some(path), ..Default::default() }, Vec::new()).unwrap();
    let d = load_with_env(&Overrides::default(), Vec::new()).unwrap();
    // The example documents the defaults: loading it changes nothing.
    assert_eq!(format!("{:?}", c), format!("{:?}", d));
}

#[test]
fn env_overrides_file_and_lists_split() {
    let c = load_toml(
        "[read]\npage_size = 100\n[source]\nname = \"sshd\"\n",
        &[
            ("LOGSIFT_READ__PAGE_SIZE", "250"),
            ("LOGSIFT_SOURCE__INDICES", "x-*, y-*"),
            ("LOGSIFT_SOURCE__STRIP_SYSLOG_HEADER", "true"),
        ],
    )
    .unwrap();
    assert_eq!(c.read.page_size, 250);
    assert_eq!(c.source.indices, vec!["x-*", "y-*"]);
    assert_eq!(c.source.name, "sshd");
    assert_eq!(c.source.extract.header, HeaderMode::Auto);
}

#[test]
fn template_and_query() {
    let c = load_toml(
        "[source]\nmessage_template = \"{service_type} {trace_name}\"\nquery = '{\"term\": {\"kind\": \"audit\"}}'\n",
        &[],
    )
    .unwrap();
    assert_eq!(c.source.extract.message, MessageSpec::Template("{service_type} {trace_name}".into()));
    assert_eq!(c.source.query.unwrap()["term"]["kind"], "audit");
}

#[test]
fn secrets_from_files_and_never_in_debug() {
    let dir = tempfile::tempdir().unwrap();
    let pw = dir.path().join("pw");
    std::fs::write(&pw, "s3cret\n").unwrap();
    let text = format!("[connection]\nusername = \"elastic\"\npassword_file = \"{}\"\n", pw.display());
    let c = load_toml(&text, &[]).unwrap();
    match &c.connection.auth {
        Auth::Basic { username, password } => assert_eq!((username.as_str(), password.as_str()), ("elastic", "s3cret")),
        other => panic!("{other:?}"),
    }
    assert!(!format!("{c:?}").contains("s3cret"));
}

#[test]
fn invalid_settings_name_their_key() {
    for (text, key) in [
        ("[read]\npaging = \"fast\"\n", "read.paging"),
        ("[read]\npage_size = 0\n", "read.page_size"),
        ("[connection]\nurls = [\"ftp://x\"]\n", "connection.urls"),
        ("[connection]\nusername = \"u\"\n", "connection.password"),
        ("[source]\nname = \"Bad Name\"\n", "source.name"),
        ("[source]\nquery = \"{not json\"\n", "source.query"),
        ("[source]\nmessage_template = \"{a\"\n", "source.message_template"),
        ("[source]\nmax_message_bytes = 0\n", "source.max_message_bytes"),
        ("[source]\nheader = \"syslog-ish\"\n", "source.header"),
        ("[source]\nheader = \"off\"\nstrip_syslog_header = true\n", "source.strip_syslog_header"),
        ("[engine]\nsimilarity = 2.0\n", "engine.similarity"),
        ("[engine]\ndisable_masks = [\"nope\"]\n", "engine.disable_masks"),
        ("[clusters]\nindex = \"Bad\"\n", "clusters.index"),
    ] {
        let e = load_toml(text, &[]).expect_err(text);
        assert_eq!(key_of(e), key, "{text}");
    }
}

#[test]
fn header_defaults_to_auto_and_strip_syslog_header_is_its_alias() {
    let mode = |text: &str| load_toml(text, &[]).unwrap().source.extract.header;
    assert_eq!(mode(""), HeaderMode::Auto);
    assert_eq!(mode("[source]\nheader = \"off\"\n"), HeaderMode::Off);
    assert_eq!(mode("[source]\nheader = \"auto\"\n"), HeaderMode::Auto);
    assert_eq!(mode("[source]\nstrip_syslog_header = false\n"), HeaderMode::Off);
    assert_eq!(mode("[source]\nstrip_syslog_header = true\n"), HeaderMode::Auto);
    assert_eq!(mode("[source]\nheader = \"auto\"\nstrip_syslog_header = true\n"), HeaderMode::Auto);
    let c = load_with_env(&Overrides::default(), env(&[("LOGSIFT_SOURCE__HEADER", "off")])).unwrap();
    assert_eq!(c.source.extract.header, HeaderMode::Off);
}

#[test]
fn unknown_and_mistyped_keys_are_refused_by_name() {
    let e = load_toml("[read]\npagesize = 5\n", &[]).expect_err("unknown key");
    assert!(e.to_string().contains("pagesize"), "{e}");
    let e = load_toml("[read]\npage_size = \"many\"\n", &[]).expect_err("bad type");
    assert!(e.to_string().contains("page_size"), "{e}");
}

#[test]
fn notify_section_is_loaded_and_checked() {
    assert!(load_toml("", &[]).unwrap().notify.is_none(), "off by default");
    let c = load_toml("[notify]\nwebhook_url = \"http://127.0.0.1:9/hook\"\nformat = \"slack\"\n", &[]).unwrap();
    let n = c.notify.unwrap();
    assert_eq!(
        (n.webhook_url.as_str(), n.format),
        ("http://127.0.0.1:9/hook", crate::config::notify::NotifyFormat::Slack)
    );
    let e = load_toml("[notify]\nwebhook_url = \"http://h/x\"\nmax_listed = 0\n", &[]).unwrap_err();
    assert!(e.to_string().contains("notify.max_listed"), "{e}");
}

const TWO_SOURCES: &str = r#"
[engine]
similarity = 0.4
disable_masks = ["hex"]

[[sources]]
name = "sshd"
indices = ["syslog-*"]
query = '{"term": {"program": "sshd"}}'
similarity = 0.6

[[sources]]
name = "kernel"
indices = ["syslog-*"]
query = '{"term": {"program": "kernel"}}'
message_field = "msg"
enable_masks = ["kv"]
disable_masks = []

[[jobs]]
name = "remine-kernel"
kind = "remine"
source = "kernel"
"#;

#[test]
fn several_sources_each_with_its_own_settings() {
    let c = load_toml(TWO_SOURCES, &[]).unwrap();
    assert_eq!(c.source_names(), vec!["sshd", "kernel"]);
    // The view of the whole file is the first source's.
    assert_eq!(c.source.name, "sshd");
    assert_eq!(c.engine.drain.similarity, 0.6);
    let views = c.per_source();
    assert_eq!(views.len(), 2);
    let (sshd, kernel) = (&views[0], &views[1]);
    assert_eq!(sshd.engine.masks.disable, vec!["hex"], "unset: [engine]'s");
    assert_eq!(kernel.source.name, "kernel");
    assert_eq!(kernel.source.query.as_ref().unwrap()["term"]["program"], "kernel");
    assert_eq!(kernel.source.extract.message, MessageSpec::Field("msg".into()));
    assert_eq!(kernel.engine.drain.similarity, 0.4, "unset: [engine]'s");
    assert!(kernel.engine.masks.disable.is_empty());
    assert_eq!(kernel.engine.masks.enable, vec!["kv"]);
    assert_eq!(c.for_job("remine-kernel").unwrap().source.name, "kernel");
    assert!(c.for_source("nginx").is_none());
    assert!(c.select_source("nginx").unwrap_err().to_string().contains("sshd, kernel"));
}

#[test]
fn several_sources_are_refused_when_ambiguous() {
    let cases = [
        // [source] (here from the environment, as --index would) beside [[sources]]
        (TWO_SOURCES.to_string(), vec![("LOGSIFT_SOURCE__NAME", "x")], "sources"),
        (TWO_SOURCES.replace("name = \"kernel\"", "name = \"sshd\""), vec![], "sources[1].name"),
        (
            TWO_SOURCES.replace("'{\"term\": {\"program\": \"kernel\"}}'", "'{\"term\": {\"program\": \"sshd\"}}'"),
            vec![],
            "sources[1].query",
        ),
        (TWO_SOURCES.replace("source = \"kernel\"", "source = \"nginx\""), vec![], "jobs[0].source"),
        (TWO_SOURCES.replace("source = \"kernel\"\n", ""), vec![], "jobs[0].source"),
        (TWO_SOURCES.replace("similarity = 0.6", "similarity = 7.0"), vec![], "sources[0].similarity"),
        (TWO_SOURCES.replace("similarity = 0.4", "similarity = 7.0"), vec![], "engine.similarity"),
        (TWO_SOURCES.replace("message_field = \"msg\"", "header = \"sometimes\""), vec![], "sources[1].header"),
        (TWO_SOURCES.replace("name = \"kernel\"", "name = \"Kernel\""), vec![], "sources[1].name"),
        // A structured source's templates are exact: batch re-mining would generalise them.
        (TWO_SOURCES.replace("message_field = \"msg\"", "preset = \"cloud-trace\""), vec![], "jobs[0].kind"),
    ];
    for (text, envs, key) in cases {
        let e = load_toml(&text, &envs).unwrap_err();
        assert_eq!(key_of(e.clone()), key, "{e}");
    }
}
