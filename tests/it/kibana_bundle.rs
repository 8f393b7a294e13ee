//! Structural checks of the saved-objects bundle (`kibana/logsift.ndjson`): every line and every
//! JSON-in-a-string attribute parses, references resolve, only types and version stamps that
//! both Kibana 7.10+/8 and OpenSearch Dashboards import appear, the dashboards have their
//! panels, and every field a visualization uses exists in the mappings logsift writes (cluster
//! index, `logsift.*`) or that the demo stack gives the log indices (docker/index-templates).

use logsift::es::indices::{cluster_index_mapping, logsift_fields_mapping};
use logsift::es::Capabilities;
use logsift::kibana::BUNDLE;
use serde_json::Value;
use std::collections::{BTreeSet, HashMap, HashSet};

const ALLOWED_VIS_TYPES: &[&str] = &[
    "metric",
    "table",
    "pie",
    "histogram",
    "line",
    "area",
    "horizontal_bar",
    "markdown",
    "tagcloud",
    "vega",
    "metrics",
];

fn objects() -> Vec<Value> {
    let lines: Vec<&str> = BUNDLE.lines().collect();
    let mut out = Vec::new();
    for (n, l) in lines.iter().enumerate() {
        let v: Value = serde_json::from_str(l).unwrap_or_else(|e| panic!("line {} does not parse: {e}", n + 1));
        if n + 1 == lines.len() {
            assert_eq!(v["exportedCount"].as_u64(), Some(out.len() as u64), "the summary line counts the objects");
            assert_eq!(v["missingRefCount"], 0);
        } else {
            out.push(v);
        }
    }
    out
}

fn json_attr(o: &Value, pointer: &str) -> Value {
    let raw = o
        .pointer(pointer)
        .and_then(Value::as_str)
        .unwrap_or_else(|| panic!("{}: {pointer} missing or not a string", o["id"]));
    serde_json::from_str(raw).unwrap_or_else(|e| panic!("{}: {pointer} is not JSON: {e}", o["id"]))
}

fn vis_state(o: &Value) -> Value {
    json_attr(o, "/attributes/visState")
}

/// `major.minor.patch` as a comparable tuple.
fn version(v: &str) -> (u32, u32, u32) {
    let p: Vec<u32> = v.split('.').map(|x| x.parse().unwrap()).collect();
    (p[0], p[1], p[2])
}

/// Every leaf field path of a mapping (`properties` nesting and multi-fields).
fn mapped_fields(mapping: &Value, prefix: &str, out: &mut BTreeSet<String>) {
    if let Some(props) = mapping.get("properties").and_then(Value::as_object) {
        for (name, m) in props {
            let path = if prefix.is_empty() { name.clone() } else { format!("{prefix}.{name}") };
            if m.get("type").is_some() {
                out.insert(path.clone());
            }
            if let Some(sub) = m.get("fields").and_then(Value::as_object) {
                for k in sub.keys() {
                    out.insert(format!("{path}.{k}"));
                }
            }
            mapped_fields(m, &path, out);
        }
    }
}

fn caps() -> Capabilities {
    Capabilities { pit: false, shard_doc: false, match_only_text: false }
}

fn logs_template() -> Value {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/docker/index-templates/logs.json");
    serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
}

/// Fields per index-pattern id: the log indices (stack template + what logsift writes), the cluster index.
fn fields_by_pattern() -> HashMap<&'static str, BTreeSet<String>> {
    let mut logs = BTreeSet::new();
    mapped_fields(&logs_template()["template"]["mappings"], "", &mut logs);
    mapped_fields(&logsift_fields_mapping(&caps()), "", &mut logs);
    let mut clusters = BTreeSet::new();
    mapped_fields(&cluster_index_mapping(&caps()), "", &mut clusters);
    HashMap::from([("logsift-logs", logs), ("logsift-clusters", clusters)])
}

/// Field names a KQL query names (`field:value`, `field : *`).
fn kql_fields(q: &str) -> Vec<String> {
    let re = regex::Regex::new(r"([A-Za-z@_][\w.@]*)\s*:").unwrap();
    re.captures_iter(q).map(|c| c[1].to_string()).collect()
}

/// Fields named in an Elasticsearch request body: `field` values, keys of `range`/`term(s)`/
/// `sort` entries and `_source` lists.
fn body_fields(v: &Value, out: &mut Vec<String>) {
    match v {
        Value::Object(m) => {
            for (k, x) in m {
                match (k.as_str(), x) {
                    ("field", Value::String(f)) => out.push(f.clone()),
                    // A query (`{"term": {"user": "x"}}`) names its field as the key; the
                    // aggregation of the same name (`{"terms": {"field": ..}}`) as `field`.
                    ("range" | "term" | "terms", Value::Object(inner)) if !inner.contains_key("field") => {
                        out.extend(inner.keys().cloned());
                    }
                    ("sort", Value::Array(items)) => {
                        for it in items {
                            match it {
                                Value::String(f) => out.push(f.clone()),
                                Value::Object(o) => out.extend(o.keys().cloned()),
                                _ => {}
                            }
                        }
                    }
                    ("_source", Value::Array(items)) => {
                        out.extend(items.iter().filter_map(Value::as_str).map(String::from))
                    }
                    _ => body_fields(x, out),
                }
            }
        }
        Value::Array(items) => items.iter().for_each(|x| body_fields(x, out)),
        _ => {}
    }
}

fn pattern_of_title(objs: &[Value], title: &str) -> String {
    objs.iter()
        .find(|o| o["type"] == "index-pattern" && o["attributes"]["title"] == title)
        .unwrap_or_else(|| panic!("no index pattern titled {title}"))["id"]
        .as_str()
        .unwrap()
        .to_owned()
}

/// (index-pattern id, field) pairs used by every object.
fn used_fields(objs: &[Value]) -> Vec<(String, String, String)> {
    let mut used = Vec::new();
    for o in objs {
        let id = o["id"].as_str().unwrap().to_owned();
        let index_ref = o["references"]
            .as_array()
            .unwrap()
            .iter()
            .find(|r| r["name"] == "kibanaSavedObjectMeta.searchSourceJSON.index");
        let bound = index_ref.map(|r| r["id"].as_str().unwrap().to_owned());
        let mut push = |pattern: &str, fields: Vec<String>| {
            used.extend(fields.into_iter().map(|f| (id.clone(), pattern.to_owned(), f)))
        };
        if let (Some(p), Some(_)) = (&bound, o.pointer("/attributes/kibanaSavedObjectMeta/searchSourceJSON")) {
            let ss = json_attr(o, "/attributes/kibanaSavedObjectMeta/searchSourceJSON");
            push(p, kql_fields(ss["query"]["query"].as_str().unwrap_or_default()));
        }
        match o["type"].as_str().unwrap() {
            "index-pattern" => {
                if let Some(tf) = o["attributes"]["timeFieldName"].as_str() {
                    push(&id.clone(), vec![tf.to_owned()]);
                }
            }
            "search" => {
                let p = bound.clone().expect("a saved search is bound to an index pattern");
                let mut f: Vec<String> = o["attributes"]["columns"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .map(|c| c.as_str().unwrap().to_owned())
                    .collect();
                f.extend(o["attributes"]["sort"].as_array().unwrap().iter().map(|s| s[0].as_str().unwrap().to_owned()));
                push(&p, f);
            }
            "visualization" => {
                let vis = vis_state(o);
                match vis["type"].as_str().unwrap() {
                    "vega" => {
                        let spec: Value = serde_json::from_str(vis["params"]["spec"].as_str().unwrap()).unwrap();
                        let url = &spec["data"]["url"];
                        let p = pattern_of_title(objs, url["index"].as_str().unwrap());
                        let mut f = Vec::new();
                        body_fields(&url["body"], &mut f);
                        if let Some(tf) = url["%timefield%"].as_str() {
                            f.push(tf.to_owned());
                        }
                        push(&p, f);
                    }
                    "metrics" => {
                        let params = &vis["params"];
                        let p = pattern_of_title(objs, params["index_pattern"].as_str().unwrap());
                        let mut f = vec![params["time_field"].as_str().unwrap().to_owned()];
                        for s in params["series"].as_array().unwrap() {
                            f.extend(kql_fields(s["filter"]["query"].as_str().unwrap_or_default()));
                            if let Some(t) = s["terms_field"].as_str() {
                                f.push(t.to_owned());
                            }
                            for m in s["metrics"].as_array().unwrap() {
                                if let Some(mf) = m["field"].as_str() {
                                    f.push(mf.to_owned());
                                }
                            }
                        }
                        push(&p, f);
                    }
                    _ => {
                        let p = bound.clone().expect("an aggregation-based visualization is bound to an index pattern");
                        let f = vis["aggs"]
                            .as_array()
                            .unwrap()
                            .iter()
                            .filter_map(|a| a["params"]["field"].as_str().map(String::from))
                            .collect();
                        push(&p, f);
                    }
                }
            }
            _ => {}
        }
    }
    used
}

#[test]
fn only_types_and_version_stamps_both_products_import() {
    let max = HashMap::from([
        ("index-pattern", "7.6.0"),
        ("search", "7.9.3"),
        ("visualization", "7.10.0"),
        ("dashboard", "7.9.3"),
    ]);
    for o in objects() {
        let t = o["type"].as_str().unwrap();
        let limit = max
            .get(t)
            .unwrap_or_else(|| panic!("{}: type {t} is not shared by Kibana and OpenSearch Dashboards", o["id"]));
        let stamps = o["migrationVersion"].as_object().unwrap_or_else(|| panic!("{}: no migrationVersion", o["id"]));
        assert_eq!(stamps.len(), 1, "{}", o["id"]);
        let v = stamps[t].as_str().unwrap();
        assert!(
            version(v) <= version(limit),
            "{}: {t} stamped {v}, OpenSearch Dashboards knows up to {limit}",
            o["id"]
        );
        assert!(
            o.get("coreMigrationVersion").is_none() && o.get("typeMigrationVersion").is_none(),
            "{}: Kibana 8 stamps",
            o["id"]
        );
        if t == "visualization" {
            let vt = vis_state(&o)["type"].as_str().unwrap().to_owned();
            assert!(ALLOWED_VIS_TYPES.contains(&vt.as_str()), "{}: visualization type {vt}", o["id"]);
        }
    }
}

#[test]
fn json_in_string_attributes_parse() {
    let mut vega_specs = 0;
    for o in objects() {
        for p in [
            "/attributes/visState",
            "/attributes/uiStateJSON",
            "/attributes/panelsJSON",
            "/attributes/optionsJSON",
            "/attributes/kibanaSavedObjectMeta/searchSourceJSON",
            "/attributes/fields",
        ] {
            if o.pointer(p).is_some() {
                json_attr(&o, p);
            }
        }
        if o["type"] == "visualization" {
            let vis = vis_state(&o);
            assert_eq!(vis["title"], o["attributes"]["title"], "{}: visState title", o["id"]);
            if vis["type"] == "vega" {
                let spec: Value =
                    serde_json::from_str(vis["params"]["spec"].as_str().unwrap()).expect("Vega spec is JSON");
                assert!(
                    spec["$schema"].as_str().unwrap().starts_with("https://vega.github.io/schema/"),
                    "{}: $schema is mandatory",
                    o["id"]
                );
                assert!(
                    spec["data"]["url"]["%context%"] == true,
                    "{}: follows the dashboard's query and filters",
                    o["id"]
                );
                vega_specs += 1;
            }
        }
    }
    assert!(vega_specs >= 5, "{vega_specs} Vega charts");
}

#[test]
fn every_reference_resolves() {
    let objs = objects();
    let ids: HashSet<(String, String)> =
        objs.iter().map(|o| (o["type"].as_str().unwrap().into(), o["id"].as_str().unwrap().into())).collect();
    assert_eq!(ids.len(), objs.len(), "duplicate ids");
    for o in &objs {
        let refs = o["references"].as_array().unwrap();
        let names: HashSet<&str> = refs.iter().map(|r| r["name"].as_str().unwrap()).collect();
        assert_eq!(names.len(), refs.len(), "{}: duplicate reference names", o["id"]);
        for r in refs {
            let key = (r["type"].as_str().unwrap().to_owned(), r["id"].as_str().unwrap().to_owned());
            assert!(ids.contains(&key), "{}: reference {key:?} is not in the bundle", o["id"]);
        }
        if o.pointer("/attributes/kibanaSavedObjectMeta/searchSourceJSON").is_some() {
            let ss = json_attr(o, "/attributes/kibanaSavedObjectMeta/searchSourceJSON");
            if let Some(n) = ss["indexRefName"].as_str() {
                assert!(names.contains(n), "{}: indexRefName {n} has no reference", o["id"]);
            }
        }
        if o["type"] == "dashboard" {
            let panels = json_attr(o, "/attributes/panelsJSON");
            let panel_refs: HashSet<&str> =
                panels.as_array().unwrap().iter().map(|p| p["panelRefName"].as_str().unwrap()).collect();
            assert_eq!(panel_refs, names, "{}: panels and references differ", o["id"]);
        }
        if o["type"] == "visualization" && vis_state(o)["type"] == "vega" {
            let spec: Value = serde_json::from_str(vis_state(o)["params"]["spec"].as_str().unwrap()).unwrap();
            pattern_of_title(&objs, spec["data"]["url"]["index"].as_str().unwrap());
        }
    }
}

#[test]
fn dashboards_have_their_panels() {
    let objs = objects();
    let panels = |title: &str| -> Vec<String> {
        let d = objs
            .iter()
            .find(|o| o["type"] == "dashboard" && o["attributes"]["title"] == title)
            .unwrap_or_else(|| panic!("no dashboard {title}"));
        d["references"].as_array().unwrap().iter().map(|r| r["id"].as_str().unwrap().to_owned()).collect()
    };
    let overview = panels("Log clusters overview");
    assert!(overview.len() >= 6, "overview has {} panels", overview.len());
    for id in [
        "logsift-templates-known",
        "logsift-documents-labelled",
        "logsift-top-templates",
        "logsift-volume-per-template",
        "logsift-new-templates",
        "logsift-rare-templates",
        "logsift-new-in-range",
    ] {
        assert!(overview.iter().any(|p| p == id), "overview lacks {id}");
    }
    let drill = panels("Cluster drill-down");
    assert!(drill.iter().any(|p| p == "logsift-labelled-logs"));
    let search = objs.iter().find(|o| o["id"] == "logsift-labelled-logs").unwrap();
    let cols: Vec<&str> =
        search["attributes"]["columns"].as_array().unwrap().iter().map(|c| c.as_str().unwrap()).collect();
    assert!(cols.contains(&"logsift.template") && cols.contains(&"logsift.cluster_id"), "{cols:?}");
    assert!(overview.iter().any(|p| p == "logsift-annotated-templates"), "overview lacks the annotated templates");
    let annotated = objs.iter().find(|o| o["id"] == "logsift-annotated-templates").unwrap();
    let cols: Vec<&str> =
        annotated["attributes"]["columns"].as_array().unwrap().iter().map(|c| c.as_str().unwrap()).collect();
    for c in ["annotation.name", "annotation.tags", "annotation.note", "template", "count"] {
        assert!(cols.contains(&c), "annotated templates lack {c}: {cols:?}");
    }
    let audit = panels("Audit events");
    for id in [
        "logsift-audit-rare-combinations",
        "logsift-audit-sensitive",
        "logsift-audit-new-pairs",
        "logsift-audit-outcomes",
        "logsift-audit-who-what",
        "logsift-audit-rare-operations",
        "logsift-audit-bad-outcomes",
        "logsift-audit-events",
    ] {
        assert!(audit.iter().any(|p| p == id), "audit lacks {id}");
    }
    // The rare-combination table links each row to its document in Discover.
    let rare = objs.iter().find(|o| o["id"] == "logsift-audit-rare-combinations").unwrap();
    let spec = vis_state(rare)["params"]["spec"].as_str().unwrap().to_owned();
    assert!(spec.contains("discover#/doc/logsift-logs/") && spec.contains("\"href\""), "{spec}");
}

#[test]
fn the_audit_dashboard_reads_only_logsift_fields_whatever_the_layout() {
    // An audit source's own index has no stack template: the audit panels must work with the
    // mapping logsift installs alone (`logsift setup`), for every preset.
    let objs = objects();
    let dash = objs.iter().find(|o| o["type"] == "dashboard" && o["id"] == "logsift-audit").unwrap();
    let ids: HashSet<&str> = dash["references"].as_array().unwrap().iter().map(|r| r["id"].as_str().unwrap()).collect();
    let mut logsift_only = BTreeSet::new();
    mapped_fields(&logsift_fields_mapping(&caps()), "", &mut logsift_only);
    let layout_fields: BTreeSet<String> = logsift::message::structured::PRESETS
        .iter()
        .flat_map(|p| logsift::message::structured::preset(p).unwrap().spec.keyword_paths())
        .collect();
    let used: Vec<(String, String, String)> =
        used_fields(&objs).into_iter().filter(|(o, _, _)| ids.contains(o.as_str())).collect();
    assert!(used.len() > 20, "{used:?}");
    for (obj, _, field) in &used {
        assert!(
            field == "@timestamp" || logsift_only.contains(field),
            "{obj}: {field} is not a logsift.* field logsift maps itself"
        );
        assert!(!layout_fields.contains(field), "{obj}: {field} is a preset's own field");
    }
    for f in ["logsift.audit.what", "logsift.audit.user", "logsift.audit.sensitive", "logsift.audit.new_pair"] {
        assert!(used.iter().any(|(_, _, u)| u == f), "no audit panel uses {f}");
    }
}

#[test]
fn every_field_used_is_mapped() {
    let objs = objects();
    let fields = fields_by_pattern();
    let used = used_fields(&objs);
    assert!(used.len() > 30, "the field walk found only {} uses", used.len());
    let mut missing = Vec::new();
    for (obj, pattern, field) in &used {
        let known = fields.get(pattern.as_str()).unwrap_or_else(|| panic!("{obj}: unknown index pattern {pattern}"));
        if !known.contains(field) {
            missing.push(format!("{obj}: {field} not mapped in {pattern}"));
        }
    }
    assert!(missing.is_empty(), "{missing:#?}");
    // The walk reaches into Vega bodies, TSVB series and KQL queries, not only agg params.
    for expected in [
        ("logsift-rare-templates", "logsift.template"),
        ("logsift-top-templates", "logsift.template"),
        ("logsift-new-in-range", "first_seen"),
        ("logsift-new-templates", "first_seen"),
        ("logsift-outliers-over-time", "logsift.outlier"),
        ("logsift-documents-labelled", "logsift.cluster_id"),
        ("logsift-audit-bad-outcomes", "logsift.audit.outcome"),
        ("logsift-audit-sensitive", "logsift.audit.sensitive"),
        ("logsift-audit-rare-combinations", "logsift.audit.score"),
        ("logsift-audit-new-pairs", "logsift.audit.new_pairs"),
        ("logsift-annotated-templates", "annotation.tags"),
        ("logsift-new-in-range", "annotation.name"),
    ] {
        assert!(used.iter().any(|(o, _, f)| o == expected.0 && f == expected.1), "{expected:?} not found by the walk");
    }
}

#[test]
fn the_stack_template_maps_logsift_fields_as_logsift_does() {
    // Same field types and options as logsift's own mapping, on every server logsift supports;
    // only the full-text sub-field (text or match_only_text, by version) is left to logsift,
    // which may add a multi-field to an existing field but not change its type.
    let t = logs_template();
    let ours = t["template"]["mappings"]["properties"]["logsift"]["properties"].as_object().unwrap().clone();
    for match_only_text in [false, true] {
        let caps = Capabilities { pit: false, shard_doc: false, match_only_text };
        let theirs = logsift_fields_mapping(&caps)["properties"]["logsift"]["properties"].as_object().unwrap().clone();
        assert_eq!(ours.keys().collect::<Vec<_>>(), theirs.keys().collect::<Vec<_>>());
        for (field, mut m) in theirs {
            m.as_object_mut().unwrap().remove("fields");
            assert_eq!(ours[&field], m, "logsift.{field}");
        }
    }
}
