//! Dependencies between the top-level modules of `src/` point one way: a module uses only the
//! modules of lower layers (the table in `src/lib.rs`). Read from the sources, so a new
//! `use crate::X` against the order fails here.

use std::collections::BTreeMap;
use std::path::Path;

/// Layer of each top-level module, highest first (as in `src/lib.rs`).
const LAYERS: &[(&str, u8)] = &[
    ("cli", 8),
    ("app", 7),
    ("api", 6),
    ("sidecar", 6),
    ("jobs", 6),
    ("store", 5),
    ("es", 4),
    ("kibana", 4),
    ("notify", 4),
    ("config", 3),
    ("message", 2),
    ("metrics", 2),
    ("shutdown", 2),
    ("ids", 1),
    ("engine", 0),
];

fn layer(m: &str) -> Option<u8> {
    LAYERS.iter().find(|(n, _)| *n == m).map(|(_, l)| *l)
}

fn rust_files(dir: &Path, out: &mut Vec<std::path::PathBuf>) {
    for e in std::fs::read_dir(dir).unwrap() {
        let p = e.unwrap().path();
        if p.is_dir() {
            rust_files(&p, out);
        } else if p.extension().is_some_and(|x| x == "rs") {
            out.push(p);
        }
    }
}

/// The top-level modules a file names as `crate::X`.
fn uses(text: &str) -> Vec<String> {
    let mut out = Vec::new();
    for (i, _) in text.match_indices("crate::") {
        let before = text[..i].chars().last();
        if before.is_some_and(|c| c.is_alphanumeric() || c == '_') {
            continue; // `logsift_crate::` and the like
        }
        let name: String = text[i + 7..].chars().take_while(|c| c.is_alphanumeric() || *c == '_').collect();
        if !name.is_empty() {
            out.push(name);
        }
    }
    out
}

#[test]
fn top_level_modules_use_only_lower_layers() {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut violations = Vec::new();
    let mut seen: BTreeMap<String, u8> = BTreeMap::new();
    for entry in std::fs::read_dir(&src).unwrap() {
        let p = entry.unwrap().path();
        let name = p.file_stem().unwrap().to_string_lossy().to_string();
        if matches!(name.as_str(), "lib" | "main") {
            continue;
        }
        let own = layer(&name).unwrap_or_else(|| panic!("module `{name}` has no layer in LAYERS and src/lib.rs"));
        seen.insert(name.clone(), own);
        let mut files = Vec::new();
        if p.is_dir() {
            rust_files(&p, &mut files);
        } else {
            files.push(p.clone());
        }
        for f in files {
            let text = std::fs::read_to_string(&f).unwrap();
            for used in uses(&text) {
                if used == name {
                    continue;
                }
                let Some(l) = layer(&used) else { continue };
                if l >= own {
                    violations.push(format!("{} (layer {own}) uses crate::{used} (layer {l})", f.display()));
                }
            }
        }
    }
    assert!(violations.is_empty(), "dependencies against the layer order:\n{}", violations.join("\n"));
    assert!(seen.len() >= 13, "expected every top-level module, saw {seen:?}");
}

#[test]
fn the_checker_sees_a_use_against_the_order() {
    assert_eq!(uses("use crate::sidecar::LiveMiner;\nlet x = crate::ids::cluster_key(a, b);"), ["sidecar", "ids"]);
    assert!(uses("logsift_crate::x").is_empty());
}

/// The engine crate's dependencies (its whole tree, from Cargo.lock) hold nothing async or HTTP.
#[test]
fn the_engine_crate_depends_on_nothing_async_or_http() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let lock = std::fs::read_to_string(root.join("Cargo.lock")).unwrap();
    let packages: Vec<(String, Vec<String>)> = lock
        .split("[[package]]")
        .skip(1)
        .map(|p| {
            let name = p.lines().find_map(|l| l.strip_prefix("name = ")).unwrap_or("").trim_matches('"').to_string();
            let deps = p
                .split("dependencies = [")
                .nth(1)
                .map(|d| {
                    d.split(']').next().unwrap_or("").split(',').filter_map(|x| {
                        let x = x.trim().trim_matches('"');
                        (!x.is_empty()).then(|| x.split(' ').next().unwrap().to_string())
                    })
                })
                .into_iter()
                .flatten()
                .collect();
            (name, deps)
        })
        .collect();
    let deps_of = |n: &str| packages.iter().find(|(p, _)| p == n).map(|(_, d)| d.clone()).unwrap_or_default();
    let mut tree = vec!["logsift-engine".to_string()];
    let mut i = 0;
    while i < tree.len() {
        for d in deps_of(&tree[i]) {
            if !tree.contains(&d) {
                tree.push(d);
            }
        }
        i += 1;
    }
    // The lock file lists dev-dependencies too: drain3 (the bench's peer) and serde_json are
    // dev-only in crates/logsift-engine/Cargo.toml; the normal tree is checked without them.
    let manifest = std::fs::read_to_string(root.join("crates/logsift-engine/Cargo.toml")).unwrap();
    let normal = manifest.split("[dev-dependencies]").next().unwrap();
    for banned in ["tokio", "reqwest", "axum", "elasticsearch", "hyper"] {
        assert!(!normal.contains(&format!("\n{banned} ")), "{banned} is a dependency of the engine");
    }
    let normal_roots: Vec<&str> = normal
        .lines()
        .filter_map(|l| l.split_once(" = ").map(|(k, _)| k.trim()))
        .filter(|k| !k.contains('.'))
        .collect();
    let mut normal_tree: Vec<String> = normal_roots
        .iter()
        .filter(|k| !matches!(**k, "name" | "version" | "edition" | "description" | "license"))
        .map(|k| k.to_string())
        .collect();
    let mut j = 0;
    while j < normal_tree.len() {
        for d in deps_of(&normal_tree[j]) {
            if !normal_tree.contains(&d) {
                normal_tree.push(d);
            }
        }
        j += 1;
    }
    assert!(normal_tree.iter().any(|d| d == "regex"), "the engine's tree was not read: {normal_tree:?}");
    for banned in ["tokio", "reqwest", "axum", "elasticsearch", "hyper", "mio"] {
        assert!(
            !normal_tree.iter().any(|d| d == banned),
            "{banned} is in the engine's dependency tree: {normal_tree:?}"
        );
    }
    assert!(tree.len() >= normal_tree.len());
}
