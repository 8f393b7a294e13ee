//! Data-driven tests of the online miner: input lines → expected ids and templates.

use super::*;
use crate::{EngineConfig, MinerSnapshot};

/// Feeds `lines` to a default miner; checks each line's final cluster id and template.
fn check(lines: &[&str], expected: &[(u64, &str)]) {
    let mut m = Miner::new(EngineConfig::default()).unwrap();
    let ids: Vec<ClusterId> = lines.iter().map(|l| m.add(l).cluster_id).collect();
    let got: Vec<(u64, String)> = ids.iter().map(|&id| (id.0, m.template(id).unwrap())).collect();
    let want: Vec<(u64, String)> = expected.iter().map(|&(i, t)| (i, t.to_string())).collect();
    assert_eq!(got, want);
}

#[test]
fn groups_and_generalises() {
    check(
        &[
            "Accepted publickey for alice from 10.0.0.1 port 5000 ssh2",
            "Accepted publickey for bob from 10.0.0.2 port 5001 ssh2",
            "Failed password for bob from 10.0.0.2 port 5001 ssh2",
            "session closed for user alice",
            "Accepted publickey for carol from 10.0.0.3 port 22 ssh2",
        ],
        &[
            (1, "Accepted publickey for <*> from <*> port <*> ssh2"),
            (1, "Accepted publickey for <*> from <*> port <*> ssh2"),
            (2, "Failed password for bob from <*> port <*> ssh2"),
            (3, "session closed for user alice"),
            (1, "Accepted publickey for <*> from <*> port <*> ssh2"),
        ],
    );
}

#[test]
fn keeps_white_space_of_first_message() {
    check(&["a  b\tc 1", "a  b\tc 2"], &[(1, "a  b\tc <*>"), (1, "a  b\tc <*>")]);
}

#[test]
fn changes_are_reported() {
    let mut m = Miner::new(EngineConfig::default()).unwrap();
    assert_eq!(m.add("user alice logged in").change, Change::Created);
    assert_eq!(m.add("user bob logged in").change, Change::Generalized);
    assert_eq!(m.add("user carol logged in").change, Change::Unchanged);
    assert_eq!(m.add("user carol logged in").change, Change::Unchanged);
    assert_eq!(m.cluster(ClusterId(1)).unwrap().size, 4);
}

#[test]
fn ids_never_change_and_are_deterministic() {
    let lines: Vec<String> =
        (0..500).map(|i| format!("job {} state {} user u{}", i % 7, ["ok", "failed"][i % 2], i % 13)).collect();
    let run = || {
        let mut m = Miner::new(EngineConfig::default()).unwrap();
        let mut first_seen: FxHashMap<String, ClusterId> = FxHashMap::default();
        let ids: Vec<ClusterId> = lines.iter().map(|l| m.add(l).cluster_id).collect();
        for (l, id) in lines.iter().zip(&ids) {
            let prev = *first_seen.entry(l.clone()).or_insert(*id);
            assert_eq!(prev, *id, "a repeated line changed cluster");
        }
        (ids, m.clusters())
    };
    assert_eq!(run(), run());
}

#[test]
fn params_are_extracted() {
    let mut m = Miner::new(EngineConfig::default()).unwrap();
    m.add("session opened for user root by (uid=0)");
    let id = m.add("session opened for user bob by (uid=1000)").cluster_id;
    assert_eq!(m.template(id).unwrap(), "session opened for user <*> by (uid=<*>)");
    assert_eq!(m.params(id, "session opened for user eve by (uid=42)"), ["eve", "42"]);
    assert!(m.params(id, "other shape").is_empty());
    assert!(m.params(ClusterId(99), "x").is_empty());
}

#[test]
fn classify_does_not_learn() {
    let mut m = Miner::new(EngineConfig::default()).unwrap();
    let id = m.add("Invalid user admin from 1.2.3.4").cluster_id;
    assert_eq!(m.classify("Invalid user admin from 5.6.7.8"), Some(id));
    assert_eq!(m.classify("something else entirely"), None);
    assert_eq!(m.len(), 1);
    assert_eq!(m.cluster(id).unwrap().size, 1);
}

#[test]
fn never_fails_on_bad_input() {
    let mut m = Miner::new(EngineConfig::default()).unwrap();
    let huge = "word ".repeat(200_000) + "1";
    let inputs: Vec<Vec<u8>> = vec![
        b"".to_vec(),
        b"   ".to_vec(),
        huge.into_bytes(),
        vec![0xff, 0xfe, b' ', b'x', 0xc3],
        b"\x00\x01\x1b[31mred\x1b[0m \r\n".to_vec(),
    ];
    for input in &inputs {
        let a = m.add_bytes(input);
        assert!(m.template(a.cluster_id).is_some());
    }
    // The empty and blank lines share the empty template.
    assert_eq!(m.add("").cluster_id, m.add("  ").cluster_id);
}

#[test]
fn snapshot_resume_equals_uninterrupted_run() {
    let lines: Vec<String> = (0..3000)
        .map(|i| match i % 5 {
            0 => format!("Accepted password for user{} from 10.0.{}.{} port {} ssh2", i % 17, i % 3, i % 250, 1000 + i),
            1 => format!("Connection closed by {} [preauth]", ["alpha", "beta", "gamma"][i % 3]),
            2 => format!("worker {} finished task {} in {} ms", ["a", "b"][i % 2], i, i * 3),
            3 => format!("state {} -> {}", ["NEW", "RUNNING", "DONE"][i % 3], ["RUNNING", "DONE"][i % 2]),
            _ => format!("disk /dev/sd{} at {}% full", ["a", "b", "c"][i % 3], i % 100),
        })
        .collect();
    let mut whole = Miner::new(EngineConfig::default()).unwrap();
    let want: Vec<ClusterId> = lines.iter().map(|l| whole.add(l).cluster_id).collect();

    let mut first = Miner::new(EngineConfig::default()).unwrap();
    let mut got: Vec<ClusterId> = lines[..1234].iter().map(|l| first.add(l).cluster_id).collect();
    let snap: MinerSnapshot = first.snapshot();
    let json = serde_json::to_string(&snap).unwrap();
    let mut resumed = Miner::restore(serde_json::from_str(&json).unwrap()).unwrap();
    got.extend(lines[1234..].iter().map(|l| resumed.add(l).cluster_id));
    assert_eq!(got, want);
    assert_eq!(resumed.clusters(), whole.clusters());
}

#[test]
fn snapshot_is_validated() {
    let mut m = Miner::new(EngineConfig::default()).unwrap();
    m.add("a b c");
    let mut s = m.snapshot();
    s.version = 99;
    assert!(matches!(Miner::restore(s), Err(SnapshotError::Version { found: 99, .. })));
    let mut s = m.snapshot();
    s.clusters[0].seps.pop();
    assert!(matches!(Miner::restore(s), Err(SnapshotError::Corrupt(_))));
    let mut s = m.snapshot();
    s.config.similarity = 2.0;
    assert!(matches!(Miner::restore(s), Err(SnapshotError::Config(_))));
}

#[test]
fn cache_is_transparent() {
    let lines: Vec<String> = (0..2000)
        .map(|i| {
            format!("op {} on {} took {}ms by {}", ["get", "put"][i % 2], ["x", "y", "z"][i % 3], i, ["u", "v"][i % 2])
        })
        .collect();
    let mut cached = Miner::new(EngineConfig::default()).unwrap();
    let mut plain = Miner::new(EngineConfig {
        drain: DrainConfig { cache_capacity: 0, ..Default::default() },
        ..Default::default()
    })
    .unwrap();
    let mut tiny = Miner::new(EngineConfig {
        drain: DrainConfig { cache_capacity: 3, ..Default::default() },
        ..Default::default()
    })
    .unwrap();
    for l in &lines {
        let a = cached.add(l);
        assert_eq!(a, plain.add(l));
        assert_eq!(a, tiny.add(l));
    }
}

#[test]
fn similarity_one_keeps_every_distinct_combination() {
    let exact = EngineConfig { drain: DrainConfig { similarity: 1.0, ..Default::default() }, ..Default::default() };
    let lines = [
        "IAM createUser user normal",
        "IAM deleteUser user normal",
        "IAM listUsers user normal",
        "IAM createUser user warning",
    ];
    let mut m = Miner::new(exact).unwrap();
    let ids: Vec<u64> = lines.iter().map(|l| m.add(l).cluster_id.0).collect();
    assert_eq!(ids, [1, 2, 3, 4]);
    assert_eq!(m.add("IAM createUser user normal").cluster_id.0, 1);
    // The default miner takes the third operation as evidence of a variable.
    let mut d = Miner::new(EngineConfig::default()).unwrap();
    let ids: Vec<u64> = lines[..3].iter().map(|l| d.add(l).cluster_id.0).collect();
    assert_eq!(ids, [1, 2, 1]);
    assert_eq!(d.template(ClusterId(1)).unwrap(), "IAM <*> user normal");
}

/// Feeds `lines` to a default miner; returns each line's cluster after all lines (merges
/// followed) and that cluster's final template.
fn run(lines: &[&str]) -> (Miner, Vec<(u64, String)>) {
    let mut m = Miner::new(EngineConfig::default()).unwrap();
    let ids: Vec<ClusterId> = lines.iter().map(|l| m.add(l).cluster_id).collect();
    let got = ids.iter().map(|&id| (m.resolve(id).0, m.template(id).unwrap())).collect();
    (m, got)
}

/// Every line in one cluster with this template.
fn one_event(lines: &[&str], template: &str) -> Miner {
    let (m, got) = run(lines);
    let want: Vec<(u64, String)> = lines.iter().map(|_| (got[0].0, template.to_string())).collect();
    assert_eq!(got, want);
    m
}

// Class 1: a variable in the first position (a label that changes) must not give one
// template per value because the first token picks the bucket.
#[test]
fn a_varying_first_label_is_one_variable() {
    let m = one_event(
        &[
            "orchard: flushed 12 buffer(s).",
            "kestrel-b: flushed 7 buffer(s).",
            "orchard: flushed 5 buffer(s).",
            "umbra: flushed 301 buffer(s).",
            "tally: flushed 44 buffer(s).",
            "kestrel-b: flushed 8 buffer(s).",
        ],
        "<*>: flushed <*> buffer(s).",
    );
    // The second cluster was born and then merged into the first.
    assert_eq!(m.merges(), [(ClusterId(2), ClusterId(1))]);
    assert_eq!(m.merged_into(ClusterId(2)), Some(ClusterId(1)));
    assert_eq!(m.merged_into(ClusterId(1)), None);
    assert_eq!(m.len(), 1);
    assert_eq!(m.clusters().iter().map(|c| (c.id.0, c.size)).collect::<Vec<_>>(), [(1, 6)]);
    // A plain first word that varies is the event when little else is constant.
    let (_, got) = run(&["grommet startup succeeded", "sprocket startup succeeded", "widget startup succeeded"]);
    assert_eq!(got.iter().map(|g| g.0).collect::<Vec<_>>(), [1, 2, 3], "{got:?}");
}

// Class 2: a value of varying word count (an error string) is one variable.
#[test]
fn a_value_of_several_words_is_one_variable() {
    one_event(
        &[
            "Lost contact with the replica during resync, reason: timeout",
            "Lost contact with the replica during resync, reason: refused",
            "Lost contact with the replica during resync, reason: connection reset by peer",
            "Lost contact with the replica during resync, reason: broken pipe",
            "Lost contact with the replica during resync, reason: eof",
        ],
        "Lost contact with the replica during resync, reason: <*>",
    );
    // A cluster born before the variable was known to span words is merged in later (the
    // earliest id survives).
    let m = one_event(
        &[
            "Lost contact with the replica during resync, reason: connection reset by peer",
            "Lost contact with the replica during resync, reason: timeout",
            "Lost contact with the replica during resync, reason: refused",
            "Lost contact with the replica during resync, reason: broken pipe",
            "Lost contact with the replica during resync, reason: connection reset by peer",
        ],
        "Lost contact with the replica during resync, reason: <*>",
    );
    assert_eq!(m.resolve(ClusterId(2)), ClusterId(1));
    assert_eq!(m.len(), 1);
    // A run of variables (two-word values seen first) becomes one variable.
    one_event(
        &[
            "Could not write the journal to disk: permission denied",
            "Could not write the journal to disk: bad descriptor",
            "Could not write the journal to disk: broken pipe",
            "Could not write the journal to disk: connection timed out",
            "Could not write the journal to disk: eof",
        ],
        "Could not write the journal to disk: <*>",
    );
    // Values of several words that never showed a variable there: three of them framed by
    // the same words are one variable, and the frame's punctuation stays.
    one_event(
        &[
            "pipe close() failed (98: no route to host)",
            "pipe close() failed (13: connection reset by peer)",
            "pipe close() failed (4: interrupted)",
            "pipe close() failed (11: resource temporarily unavailable)",
        ],
        "pipe close() failed (<*>: <*>)",
    );
    // A quoted value with spaces is one token.
    one_event(
        &[
            "Couldn't open the folder \"/srv/share/My Files/a.txt\" for sync: denied",
            "Couldn't open the folder \"/srv/share/b.txt\" for sync: denied",
            "Couldn't open the folder \"no such place\" for sync: denied",
        ],
        "Couldn't open the folder \"<*>\" for sync: denied",
    );
    one_event(
        &[
            "the header was too long: \"X-Trace: abc\" and was dropped by the proxy",
            "the header was too long: \"X-Trace: defg\" and was dropped by the proxy",
        ],
        "the header was too long: \"X-Trace: <*>\" and was dropped by the proxy",
    );
    // So is a list in brackets.
    one_event(
        &[
            "Retrying the fetch of partitions [orders-1, audit-2] after a short delay",
            "Retrying the fetch of partitions [clicks-7] after a short delay",
        ],
        "Retrying the fetch of partitions [<*>] after a short delay",
    );
    // A shorter message collapses a run of variables of a longer template.
    let m = one_event(
        &[
            "quota check on volume tank failed with disk full",
            "quota check on volume tank failed with access denied",
            "quota check on volume tank failed with bad header",
            "quota check on volume tank failed with eio",
            "quota check on volume tank failed with connection reset by peer",
        ],
        "quota check on volume tank failed with <*>",
    );
    assert_eq!(m.params(ClusterId(1), "quota check on volume tank failed with no route to host"), ["no route to host"]);
}

// Class 3: word values no mask can catch (names, states) are one variable once siblings
// show it, and the clusters born before that are merged in.
#[test]
fn word_values_merge_once_siblings_show_them() {
    let m = one_event(
        &[
            "Recording metrics for store ledger",
            "Recording metrics for store inbox",
            "Recording metrics for store ledger",
            "Recording metrics for store mailq",
            "Recording metrics for store outbox",
        ],
        "Recording metrics for store <*>",
    );
    assert_eq!(m.resolve(ClusterId(2)), ClusterId(1));
    // Two state names were two events until a third value showed a variable there: the
    // cluster the generalised template now covers is merged in.
    let m = one_event(
        &[
            "Flushing all stores of the state manager: IDLE",
            "Flushing all stores of the state manager: DRAINING",
            "Flushing all stores of the state manager: paused",
            "Flushing all stores of the state manager: DRAINING",
        ],
        "Flushing all stores of the state manager: <*>",
    );
    assert_eq!(m.merges(), [(ClusterId(2), ClusterId(1))]);
}

// Class 4: values glued to punctuation keep the punctuation in the template, and a value
// masked by its shape joins a word value in the same frame.
#[test]
fn values_glued_to_punctuation_keep_their_frame() {
    one_event(
        &["bound the listener to LOCAL, backlog 16 slots", "bound the listener to 10.1.2.3, backlog 32 slots"],
        "bound the listener to <*>, backlog <*> slots",
    );
    one_event(
        &["opened table \"alpha\" for reading by the loader", "opened table \"beta\" for reading by the loader"],
        "opened table \"<*>\" for reading by the loader",
    );
    one_event(
        &["link [QRST] came up on port 4 again", "link [WXYZ] came up on port 7 again"],
        "link [<*>] came up on port <*> again",
    );
}

// Class 5: in a short message the one word that differs is the event.
#[test]
fn the_one_word_of_a_short_message_is_the_event() {
    let (_, got) = run(&["VM Started", "VM Paused", "VM Resumed", "VM Started", "VM Stopped"]);
    assert_eq!(got.iter().map(|g| g.0).collect::<Vec<_>>(), [1, 2, 3, 1, 4]);
    assert_eq!(got[2].1, "VM Resumed");
    // A value seen many times that then meets two others is a word of its own event: a
    // variable's values are many and each rare.
    let mut lines = vec!["Compacting table ledger now"; 30];
    lines.extend(["Compacting table inbox now", "Compacting table mailq now"]);
    let (_, got) = run(&lines);
    assert_eq!(got.iter().map(|g| g.0).collect::<std::collections::BTreeSet<_>>().len(), 3);
    // Siblings that differ in as many words as they share, or more, are different events.
    let (_, got) = run(&[
        "failed to fetch image spec for container 1f2e3d4c5b6a",
        "failed to create thin device for snapshot 9a8b7c6d5e4f",
        "failed to read volume state for mount 0a1b2c3d4e5f",
    ]);
    assert_eq!(got.iter().map(|g| g.0).collect::<Vec<_>>(), [1, 2, 3], "{got:?}");
}

// Class 6: message codes stay constants; a fingerprint is one variable.
#[test]
fn message_codes_are_constants_and_fingerprints_variables() {
    let (_, got) = run(&["XY01234: worker 7 exited", "XY05678: worker 9 exited", "ZQ00042: worker 3 exited"]);
    assert_eq!(got.iter().map(|g| g.0).collect::<Vec<_>>(), [1, 2, 3]);
    assert_eq!(got[1].1, "XY05678: worker <*> exited");
    one_event(
        &[
            "Verified host key SHA256:Qx0aZ9fG5Xf+XfeZK2co0kq/abT for relay",
            "Verified host key SHA256:7dk2Ls9pQw+Z3bYx/1mN0aQm4Lp for relay",
        ],
        "Verified host key SHA256:<*> for relay",
    );
}

#[test]
fn merges_survive_a_snapshot_and_old_snapshots_restore() {
    let lines =
        ["orchard: flushed 12 buffer(s).", "kestrel: flushed 7 buffer(s).", "umbra: flushed 3 buffer(s).", "x y z"];
    let mut m = Miner::new(EngineConfig::default()).unwrap();
    for l in &lines {
        m.add(l);
    }
    let json = serde_json::to_string(&m.snapshot()).unwrap();
    let r = Miner::restore(serde_json::from_str(&json).unwrap()).unwrap();
    assert_eq!(r.merges(), m.merges());
    assert_eq!(r.clusters(), m.clusters());
    assert_eq!(r.resolve(ClusterId(2)), ClusterId(1));
    // A version-1 snapshot (no merges, no gaps) still restores.
    let v1 = r#"{"version":1,"config":{"masks_disable":[],"masks_enable":[],"masks_custom":[],
        "similarity":0.86,"cache_capacity":100000},"clusters":[{"tokens":["a","<*>"],"seps":[""," ",""],"size":2}]}"#;
    let mut old = Miner::restore(serde_json::from_str(v1).unwrap()).unwrap();
    assert_eq!(old.template(ClusterId(1)).unwrap(), "a <*>");
    assert!(old.merges().is_empty());
    assert_eq!(old.add("a b").cluster_id, ClusterId(1));
    // A merge into a later cluster is refused.
    let mut s = m.snapshot();
    s.clusters[1].merged_into = Some(3);
    assert!(matches!(Miner::restore(s), Err(SnapshotError::Corrupt(_))));
}

#[test]
fn resuming_after_merges_and_gaps_assigns_what_one_run_does() {
    let mut lines: Vec<String> = Vec::new();
    for i in 0..400 {
        lines.push(match i % 6 {
            0 => format!("{}: flushed {i} buffer(s).", ["orchard", "kestrel", "umbra", "tally", "fen"][i % 5]),
            1 => format!(
                "Lost contact with the replica during resync, reason: {}",
                ["timeout", "connection reset by peer", "broken pipe", "eof"][i % 4]
            ),
            2 => format!("Recording metrics for store {}", ["ledger", "inbox", "mailq", "outbox"][i % 4]),
            3 => format!("pipe close() failed ({}: {})", i % 50, ["no route to host", "interrupted", "is down"][i % 3]),
            4 => format!("opened table \"{}\" for reading by the loader", ["a b", "c", "d e f"][i % 3]),
            _ => format!("VM {}", ["Started", "Paused", "Resumed"][i % 3]),
        });
    }
    let mut whole = Miner::new(EngineConfig::default()).unwrap();
    let want: Vec<ClusterId> = lines.iter().map(|l| whole.add(l).cluster_id).collect();
    assert!(!whole.merges().is_empty());
    let mut got = Vec::new();
    let mut m = Miner::new(EngineConfig::default()).unwrap();
    for chunk in lines.chunks(37) {
        got.extend(chunk.iter().map(|l| m.add(l).cluster_id));
        let json = serde_json::to_string(&m.snapshot()).unwrap();
        m = Miner::restore(serde_json::from_str(&json).unwrap()).unwrap();
    }
    assert_eq!(got, want);
    assert_eq!(m.clusters(), whole.clusters());
    let resolved = |m: &Miner, ids: &[ClusterId]| ids.iter().map(|&id| m.resolve(id)).collect::<Vec<_>>();
    assert_eq!(resolved(&m, &got), resolved(&whole, &want));
}

#[test]
fn verbatim_mode_keeps_values_and_ids_through_a_snapshot() {
    let cfg = EngineConfig { drain: DrainConfig { verbatim: true, ..Default::default() }, ..Default::default() };
    let mut m = Miner::new(cfg).unwrap();
    let lines = [
        "IAM login user normal 200",
        "IAM login user normal 403",
        "Exchange Set-Mailbox Identity ForwardingSmtpAddress True",
        "IAM login user normal 200",
        "IAM deleteUser user incident 200",
        "IAM  deleteUser user incident 200",
    ];
    let ids: Vec<u64> = lines.iter().map(|l| m.add(l).cluster_id.0).collect();
    assert_eq!(ids, [1, 2, 3, 1, 4, 5], "one cluster per distinct key, white space included");
    // Nothing is masked: codes and outcomes are the event.
    assert_eq!(m.template(ClusterId(2)).unwrap(), "IAM login user normal 403");
    assert_eq!(m.template(ClusterId(3)).unwrap(), lines[2]);
    assert_eq!(m.template(ClusterId(5)).unwrap(), lines[5]);
    assert!(m.params(ClusterId(1), lines[0]).is_empty());
    assert_eq!(m.cluster(ClusterId(1)).unwrap().size, 2);
    assert_eq!(m.classify("IAM login user normal 403"), Some(ClusterId(2)));
    assert_eq!(m.classify("IAM login user normal 404"), None);
    let snap = m.snapshot();
    assert!(snap.config.verbatim);
    let mut r = Miner::restore(snap).unwrap();
    for (l, id) in lines.iter().zip(&ids) {
        assert_eq!(r.add(l).cluster_id.0, *id, "{l}");
    }
    assert_eq!(r.add("IAM login user warning 200").cluster_id.0, 6);
}

/// `glob` as it was written first (with `str` searchers), the reference the byte-level one
/// must agree with.
fn glob_reference(pattern: &str, text: &str) -> bool {
    let b = pattern.as_bytes();
    if let Some(at) = (0..b.len().saturating_sub(2)).find(|&i| &b[i..i + 3] == b"<*>") {
        let (lead, trail) = (&pattern[..at], &pattern[at + 3..]);
        if !has_wild(trail) {
            return text.len() > lead.len() + trail.len() && text.starts_with(lead) && text.ends_with(trail);
        }
    }
    let wilds = pattern.matches(WILDCARD).count();
    let (Some(first), Some(last)) = (pattern.split(WILDCARD).next(), pattern.rsplit(WILDCARD).next()) else {
        return false;
    };
    if wilds == 0 || text.len() < first.len() + last.len() + wilds {
        return false;
    }
    let Some(mut rest) = text.strip_prefix(first) else { return false };
    let Some(r) = rest.strip_suffix(last) else { return false };
    rest = r;
    for lit in pattern.split(WILDCARD).skip(1).take(wilds - 1) {
        let Some(at) = rest.get(1..).and_then(|r| r.find(lit)) else { return false };
        rest = &rest[at + 1 + lit.len()..];
    }
    !rest.is_empty()
}

#[test]
fn glob_agrees_with_its_reference() {
    // Patterns and texts built from pieces that stress the edges: adjacent and repeated
    // wildcards, literals that recur, an empty text, multi-byte characters.
    let pieces = ["<*>", "a", "ab", "-", ".", "<", "*>", "é", "<*><*>", "", "ba", "a<*>a"];
    let mut patterns = Vec::new();
    for x in pieces {
        for y in pieces {
            for z in pieces {
                patterns.push(format!("{x}{y}{z}"));
            }
        }
    }
    let texts: Vec<String> = patterns.iter().map(|p| p.replace("<*>", "x")).chain(patterns.iter().cloned()).collect();
    let (mut checked, mut matched) = (0, 0);
    for p in &patterns {
        for t in &texts {
            let want = glob_reference(p, t);
            assert_eq!(glob(p, t), want, "glob({p:?}, {t:?})");
            checked += 1;
            matched += usize::from(want);
        }
    }
    assert!(checked > 1_000_000 && matched > 10_000, "{checked} checked, {matched} matched");
}

#[test]
fn find_bytes_is_str_find() {
    let words = ["", "a", "ab", "aab", "é", "aé", "éa", "<*>", "abab", "ba"];
    for h in words.iter().flat_map(|x| words.iter().map(move |y| format!("{x}{y}"))) {
        for n in words {
            assert_eq!(find_bytes(h.as_bytes(), n.as_bytes()), h.find(n), "{h:?} {n:?}");
        }
    }
}
