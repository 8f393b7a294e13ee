//! Tests of message extraction, one `check` helper per shape.

use super::*;
use serde_json::json;

fn ex(cfg: ExtractConfig) -> Extractor {
    Extractor::new(&cfg).expect("valid config")
}

fn field(path: &str) -> ExtractConfig {
    ExtractConfig { message: MessageSpec::Field(path.into()), ..Default::default() }
}

fn template(t: &str) -> ExtractConfig {
    ExtractConfig { message: MessageSpec::Template(t.into()), ..Default::default() }
}

fn check(cfg: ExtractConfig, doc: Value, expected: Result<&str, SkipReason>) {
    let got = ex(cfg).extract(&doc).map(|c| c.into_owned());
    assert_eq!(got, expected.map(str::to_string), "doc: {doc}");
}

#[test]
fn default_field_is_message() {
    check(ExtractConfig::default(), json!({"message": "hello world"}), Ok("hello world"));
}

#[test]
fn dotted_paths_find_nested_and_literal_keys() {
    check(field("log.original"), json!({"log": {"original": "a b"}}), Ok("a b"));
    check(field("log.original"), json!({"log.original": "c d"}), Ok("c d"));
    check(field("a.b.c"), json!({"a.b": {"c": "x"}}), Ok("x"));
    check(field("a.b.c"), json!({"a": {"b.c": "y"}}), Ok("y"));
}

#[test]
fn skip_reasons() {
    check(ExtractConfig::default(), json!({"msg": "x"}), Err(SkipReason::MissingField("message".into())));
    check(ExtractConfig::default(), json!({"message": null}), Err(SkipReason::MissingField("message".into())));
    check(ExtractConfig::default(), json!({"message": 42}), Err(SkipReason::NotString("message".into())));
    check(ExtractConfig::default(), json!({"message": {"a": 1}}), Err(SkipReason::NotString("message".into())));
    check(ExtractConfig::default(), json!({"message": ["a"]}), Err(SkipReason::NotString("message".into())));
    let big = "x".repeat(1 << 20);
    check(
        ExtractConfig::default(),
        json!({ "message": big }),
        Err(SkipReason::TooLarge { bytes: 1 << 20, limit: DEFAULT_MAX_MESSAGE_BYTES }),
    );
    assert_eq!(SkipReason::NotString("m".into()).kind(), "not_string");
}

#[test]
fn template_from_fields() {
    let t = "{service_type} {trace_name} {resource_type} {trace_rating}";
    let doc = json!({"service_type": "ECS", "trace_name": "deleteServer", "resource_type": "ecs",
                     "trace_rating": "normal", "other": 1});
    check(template(t), doc, Ok("ECS deleteServer ecs normal"));
    check(template("code={http.code} ok={ok}"), json!({"http": {"code": 404}, "ok": true}), Ok("code=404 ok=true"));
    check(template("{{x}} {a}"), json!({"a": "v"}), Ok("{x} v"));
    check(template("{a} {b}"), json!({"a": "v"}), Err(SkipReason::MissingField("b".into())));
    check(template("{a} {b}"), json!({"a": "v", "b": [1]}), Err(SkipReason::NotString("b".into())));
}

#[test]
fn bad_configs_name_the_key() {
    for (cfg, key) in [
        (template("{a"), "source.message_template"),
        (template("a}"), "source.message_template"),
        (template("no fields"), "source.message_template"),
        (template("{}"), "source.message_template"),
        (field(""), "source.message_field"),
        (field("a..b"), "source.message_field"),
        (ExtractConfig { max_message_bytes: 0, ..Default::default() }, "source.max_message_bytes"),
    ] {
        let e = Extractor::new(&cfg).expect_err("must refuse");
        assert_eq!(e.key, key, "{cfg:?}");
    }
}

#[test]
fn headers_are_cut_by_default() {
    let auto = ExtractConfig::default();
    let line = "Jan 29 11:23:02 host sshd[10348]: Accepted publickey for u from 10.1.2.3 port 53688 ssh2";
    check(auto.clone(), json!({ "message": line }), Ok("Accepted publickey for u from 10.1.2.3 port 53688 ssh2"));
    check(auto.clone(), json!({"message": "Dec  1 06:55:46 LabSZ sshd[24200]: Invalid user x"}), Ok("Invalid user x"));
    check(auto.clone(), json!({"message": "2024-01-02T03:04:05.123Z web-1 nginx: GET /"}), Ok("GET /"));
    check(
        auto.clone(),
        json!({"message": "<34>Oct 11 22:14:15 mymachine su: 'su root' failed"}),
        Ok("'su root' failed"),
    );
    check(auto.clone(), json!({"message": "2015-10-18 18:01:47,978 INFO [main] a.b.C: Created x"}), Ok("Created x"));
    // No header: unchanged. Header only: unchanged rather than empty.
    check(auto.clone(), json!({"message": "Invalid user x from 1.2.3.4"}), Ok("Invalid user x from 1.2.3.4"));
    check(auto.clone(), json!({"message": "Jan 29 11:23:02 host sshd[1]:"}), Ok("Jan 29 11:23:02 host sshd[1]:"));
    check(auto.clone(), json!({"message": "mm_answer_pam_respond: Too many"}), Ok("mm_answer_pam_respond: Too many"));
    // Off: the message as it is.
    check(ExtractConfig { header: HeaderMode::Off, ..Default::default() }, json!({ "message": line }), Ok(line));
    // A message built from fields is used as built.
    check(template("{a}"), json!({ "a": line }), Ok(line));
}

#[test]
fn the_cut_header_is_kept() {
    let x = ex(ExtractConfig::default());
    let doc = json!({"message": "Jan 29 11:23:02 user-sicharge sshd[10348]: debug1: x"});
    let got = x.extract_parts(&doc).unwrap();
    assert_eq!(got.message, "debug1: x");
    let h = got.header.expect("header fields");
    assert_eq!(h.to_json(), json!({"host": "user-sicharge", "program": "sshd", "pid": "10348"}));
    let doc = json!({"message": "2024-01-02 03:04:05 WARN [main] a.B: y"});
    let got = x.extract_parts(&doc).unwrap();
    assert_eq!(got.message, "y");
    assert_eq!(got.header.unwrap().to_json(), json!({"level": "WARN"}));
    // A bare timestamp leaves no fields; plain lines go through the same rule.
    assert_eq!(x.extract_parts(&json!({"message": "2024-01-02 03:04:05 y"})).unwrap().header, None);
    let l = x.line(Cow::Owned("INFO:root:started".into()));
    assert_eq!((l.message.as_ref(), l.header), ("started", None));
    assert_eq!(HeaderMode::parse("OFF"), Some(HeaderMode::Off));
    assert_eq!(HeaderMode::parse("maybe"), None);
}

#[test]
fn fields_lists_what_is_read() {
    assert_eq!(ex(template("{a} x {b.c}")).fields(), vec!["a", "b.c"]);
    assert_eq!(ex(ExtractConfig::default()).fields(), vec!["message"]);
}
