//! The line memo (src/engine/shape.rs) rests on one property of masking: lines that differ
//! only in the values of their digits are cut into the same tokens and masked alike. These
//! tests hold the built-in masks to it on every bundled Loghub line and on lines made to
//! probe each mask, and check that a miner with its memo assigns exactly what a miner
//! without any cache does.

#[path = "support/loghub.rs"]
mod loghub;

use logsift_engine::{DrainConfig, EngineConfig, Masker, Miner};

/// Every Content line of the bundled samples.
fn loghub_lines() -> Vec<String> {
    loghub::SYSTEMS.iter().flat_map(|s| loghub::load(s)).map(|(content, _)| content).collect()
}

/// Lines aimed at each mask's digit rules: hex and `0x`, versions, dates and times in
/// several forms, IPv4/IPv6 with ports, host:port, UUID, MAC, quantities, numbered names
/// and short names with a digit (`ssh2`, `e820`), signed numbers, key=value.
const PROBES: &[&str] = &[
    "0x1f 0x0 1x1f 0xdeadbeef 00ff00ff deadbeef12 a0b1c2d3e4",
    "v2.6 V1.2.3 2.6.5-1.358 v10 kernel 2.6.32-5-amd64",
    "Fri Jun 17 07:07:00 2005 and Jun  9 7:07 and 2016-09-28 04:30:31,180 and 2016/09/28",
    "2016-09-28T04:30:31.123Z 2016-09-28T04:30:31+01:00 07:07:00.123 12:34 1:2:3",
    "from 10.0.0.1:80 to 192.168.100.200 port 22 ssh2 via [fe80::1%eth0]:443 and ::1 and 1:2:3:4:5:6:7:8",
    "node-7/10.1.2.3:8030 msra-sa-41:9000 host8.example.net:8080 Calories:12 a1:b2",
    "123e4567-e89b-12d3-a456-426614174000 00:1a:2b:3c:4d:5e 00-1A-2B-3C-4D-5E",
    "sent 1190 bytes (1.16 KB) in 5000ms, <1 sec, ~5 min, =3 s, 12 ms; 2KB 10MB",
    "blk_-1608999687919862906 attempt_1445_0020_m_000001_0 rdd_2_0 KB3121255 L1 e820 log4j",
    "uid=0 euid=1000 rhost=10.0.0.9 user=u12 size=-5 delta=-0.5 -7 x-9 (1) [2] {3} mice.c(1)",
    "/var/log/app9.log ./run2.sh C:\\Windows\\sys32 \\\\host1\\share2 http://h1.example.com:8080/p9?q=1",
    "mail1@example.com 1@2.com a@b1.org 9.9.9.9.in-addr.arpa 1.2.3.4.5 1.2.3 12.34",
];

/// `line` with every digit moved on by `k` (0 stays 0 only when k is 0 or 10).
fn shift_digits(line: &str, k: u8) -> String {
    line.chars().map(|c| if c.is_ascii_digit() { (b'0' + (c as u8 - b'0' + k) % 10) as char } else { c }).collect()
}

fn zero_digits(s: &str) -> String {
    s.chars().map(|c| if c.is_ascii_digit() { '0' } else { c }).collect()
}

#[test]
fn masking_ignores_the_values_of_digits() {
    let masker = Masker::new(&EngineConfig::default().masks).unwrap();
    let lines = loghub_lines();
    assert_eq!(lines.len(), 20_000);
    let (mut checked, mut kept) = (0, 0);
    for line in lines.iter().map(String::as_str).chain(PROBES.iter().copied()) {
        let base = masker.masked_tokens(line);
        for k in 1..10 {
            let other = shift_digits(line, k);
            let masked = masker.masked_tokens(&other);
            assert_eq!(base.len(), masked.len(), "token count of {line:?} vs {other:?}");
            for (a, b) in base.iter().zip(&masked) {
                // The same decisions: equal once digits are zeroed; equal as they are when
                // the masked form keeps no digit.
                assert_eq!(zero_digits(a), zero_digits(b), "{line:?} vs {other:?}");
                if a.bytes().any(|c| c.is_ascii_digit()) {
                    kept += 1;
                } else {
                    assert_eq!(a, b, "{line:?} vs {other:?}");
                }
                checked += 1;
            }
        }
    }
    assert!(checked > 1_000_000 && kept > 1_000, "{checked} tokens checked, {kept} keeping digits");
}

fn miner(cache_capacity: usize) -> Miner {
    Miner::new(EngineConfig { drain: DrainConfig { cache_capacity, ..Default::default() }, ..Default::default() })
        .unwrap()
}

#[test]
fn line_memo_assigns_what_a_miner_without_caches_assigns() {
    // Each sample line, then copies with other digits (lines of the same shape: memo hits),
    // interleaved so that buckets keep changing while the memo holds answers for them.
    let lines = loghub_lines();
    let mut stream: Vec<String> = Vec::new();
    for (n, line) in lines.iter().enumerate() {
        stream.push(line.clone());
        stream.push(shift_digits(line, 1 + (n % 9) as u8));
        if n % 3 == 0 {
            stream.push(lines[(n * 7919) % lines.len()].clone());
        }
    }
    // Short names with a digit are constants: `ssh2` and `ssh3` lines must not share an answer.
    for k in 0..50 {
        stream.push(format!("Accepted publickey for root from 10.0.0.{k} port {} ssh{}", 1000 + k, 2 + k % 2));
        stream.push(format!("Leaving state S{} after {} ms", k % 4, k));
    }
    let (mut memo, mut plain) = (miner(100_000), miner(0));
    for line in &stream {
        assert_eq!(memo.add(line), plain.add(line), "{line:?}");
    }
    assert_eq!(memo.clusters(), plain.clusters());
    assert_eq!(plain.line_memo_hits(), 0, "no memo without the caches");
    let hits = memo.line_memo_hits();
    assert!(hits as usize > stream.len() / 3, "{hits} memo hits of {} lines", stream.len());
}

#[test]
fn line_memo_holds_with_custom_masks_and_restored_state() {
    let mut config = EngineConfig::default();
    config.masks.custom.push(logsift_engine::mask::CustomMask { name: "job".into(), regex: r"job-[0-9]{3}".into() });
    let mut plain = config.clone();
    plain.drain.cache_capacity = 0;
    let lines: Vec<String> = (0..3000)
        .map(|i| match i % 3 {
            0 => format!("job-{:03} started on node{} ", i % 1000, i % 5),
            1 => format!("job-{:04} took {} ms", i, i % 97),
            _ => format!("state S{} of job-{:03}", i % 2, i % 1000),
        })
        .collect();
    let (mut a, mut b) = (Miner::new(config).unwrap(), Miner::new(plain).unwrap());
    for (n, line) in lines.iter().enumerate() {
        if n == 1500 {
            // A restored miner starts with an empty memo and must go on alike.
            eprintln!("hits before restore {}", a.line_memo_hits());
            a = Miner::restore(a.snapshot()).unwrap();
        }
        assert_eq!(a.add(line), b.add(line), "{line:?}");
    }
    assert_eq!(a.clusters(), b.clusters());
    assert!(a.line_memo_hits() > 1000, "{}", a.line_memo_hits());
}
