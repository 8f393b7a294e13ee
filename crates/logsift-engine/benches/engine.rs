//! Engine throughput: logsift's online [`Miner`] (default config) against the `drain3`
//! crate (the Rust port of Drain3, default config) on the same lines, in the same run.
//!
//!     make bench                        # = cargo bench -p logsift-engine --bench engine
//!     LOGSIFT_BENCH_CORPUS=/tmp/corpus_1M.txt LOGSIFT_BENCH_REPS=5 cargo bench -p logsift-engine --bench engine
//!
//! The corpus, in order of preference:
//! 1. the file named by `LOGSIFT_BENCH_CORPUS` (one message per line);
//! 2. `../shared/tools/gen_corpus.py --lines N --seed 42` (cached in `target/bench/`), when
//!    that tool and `../shared/data/loghub-2k` exist;
//! 3. a synthetic corpus made here from the labelled events in `tests/data/loghub-2k`: events
//!    drawn by their frequency in the samples, each `<*>` filled with a fresh value (a number,
//!    hex id, IPv4 address with port, or word with digits), deterministically (forced
//!    with `LOGSIFT_BENCH_SYNTHETIC=1`).
//!
//! `N` is `LOGSIFT_BENCH_LINES` (default 1,000,000). Each of `LOGSIFT_BENCH_REPS` repetitions
//! (default 3) runs both miners from scratch over every line, alternating; the medians of
//! wall-clock and of CPU-time throughput are printed with the ratios (on a machine shared
//! with other work, the CPU-time figures are the steadier ones), and the median of each
//! repetition's own CPU-time ratio. Timings live here, never
//! in tests. `LOGSIFT_BENCH_NO_PEER=1` runs logsift alone (for a profiler).

#[path = "../tests/support/csv.rs"]
mod csv;
use csv::parse_csv;

use logsift_engine::{EngineConfig, Miner};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Instant;

/// How many lines the line memo answered (a recent line of the same shape, digits aside).
fn print_memo(hits: u64, lines: usize) {
    println!("  (line memo answered {hits} of {lines} lines, {:.1}%)", 100.0 * hits as f64 / lines.max(1) as f64);
}

fn env_usize(name: &str, default: usize) -> usize {
    std::env::var(name).ok().and_then(|v| v.replace('_', "").parse().ok()).unwrap_or(default)
}

fn main() {
    let n_lines = env_usize("LOGSIFT_BENCH_LINES", 1_000_000);
    let reps = env_usize("LOGSIFT_BENCH_REPS", 3).max(1);
    let (source, text) = load_corpus(n_lines);
    let lines: Vec<&str> = text.lines().take(n_lines).collect();
    println!("corpus: {} lines, {} MB, from {source}", lines.len(), text.len() / 1_000_000);

    let tick = clock_tick();
    // For profiling logsift alone.
    let skip_peer = std::env::var_os("LOGSIFT_BENCH_NO_PEER").is_some();
    let (mut ours, mut theirs) = (Vec::new(), Vec::new());
    let (mut ours_cpu, mut theirs_cpu) = (Vec::new(), Vec::new());
    let (mut our_clusters, mut their_clusters, mut their_errors) = (0, 0, 0);
    let mut memo_hits = 0;
    for rep in 1..=reps {
        let (start, cpu0) = (Instant::now(), cpu_seconds(tick));
        let mut miner = Miner::new(EngineConfig::default()).expect("default config is valid");
        for line in &lines {
            std::hint::black_box(miner.add(line));
        }
        let (secs, cpu) = (start.elapsed().as_secs_f64(), cpu_seconds(tick) - cpu0);
        our_clusters = miner.clusters().len();
        memo_hits = miner.line_memo_hits();
        ours.push(lines.len() as f64 / secs);
        ours_cpu.push(lines.len() as f64 / cpu);
        drop(miner);
        if skip_peer {
            println!("rep {rep}: logsift {secs:.2} s ({cpu:.2} s CPU)");
            continue;
        }

        let (start, cpu0) = (Instant::now(), cpu_seconds(tick));
        let mut matcher = drain3::Matcher::new(drain3::Config::default());
        (their_errors, their_clusters) = (0, 0);
        for line in &lines {
            match matcher.add_log_message(line) {
                Ok(t) => their_clusters = their_clusters.max(t.id()),
                Err(_) => their_errors += 1,
            }
        }
        let (secs2, cpu2) = (start.elapsed().as_secs_f64(), cpu_seconds(tick) - cpu0);
        theirs.push(lines.len() as f64 / secs2);
        theirs_cpu.push(lines.len() as f64 / cpu2);
        println!("rep {rep}: logsift {secs:.2} s ({cpu:.2} s CPU), drain3 crate {secs2:.2} s ({cpu2:.2} s CPU)");
    }
    if skip_peer {
        println!("logsift Miner (default): {:.0} lines/s wall, {:.0} lines/s CPU (medians of {reps}), {our_clusters} clusters", median(&mut ours), median(&mut ours_cpu));
        print_memo(memo_hits, lines.len());
        return;
    }
    // Each repetition's own ratio: the two runs of one repetition are seconds apart, so on a
    // machine whose speed drifts (a shared VM) their ratio is steadier than either figure.
    let mut rep_ratios: Vec<f64> = ours_cpu.iter().zip(&theirs_cpu).map(|(o, t)| o / t).collect();
    let (ours, theirs) = (median(&mut ours), median(&mut theirs));
    let (ours_cpu, theirs_cpu) = (median(&mut ours_cpu), median(&mut theirs_cpu));
    println!("medians of {reps} runs          wall-clock lines/s      CPU-time lines/s");
    println!("logsift Miner (default):     {ours:>12.0} {ours_cpu:>21.0}   {our_clusters} clusters");
    print_memo(memo_hits, lines.len());
    println!(
        "drain3 crate 0.3 (default):  {theirs:>12.0} {theirs_cpu:>21.0}   {their_clusters} clusters (highest id), {their_errors} lines refused"
    );
    println!("ratio logsift / drain3:      {:>11.1}x {:>20.1}x", ours / theirs, ours_cpu / theirs_cpu);
    let lowest = rep_ratios.iter().copied().fold(f64::INFINITY, f64::min);
    let highest = rep_ratios.iter().copied().fold(0.0, f64::max);
    println!(
        "per-repetition CPU ratios:   median {:.1}x (lowest {lowest:.1}x, highest {highest:.1}x)",
        median(&mut rep_ratios)
    );
}

/// Clock ticks per second of `/proc/<pid>/stat` times (`getconf CLK_TCK`, usually 100).
fn clock_tick() -> f64 {
    Command::new("getconf")
        .arg("CLK_TCK")
        .output()
        .ok()
        .and_then(|o| String::from_utf8_lossy(&o.stdout).trim().parse().ok())
        .unwrap_or(100.0)
}

/// CPU seconds of this (single-threaded) process: its run time in nanoseconds from
/// `/proc/self/schedstat` where the kernel gives it, else user + system time from
/// `/proc/self/stat` (in clock ticks, 10 ms: coarse for a run of 0.2 s); on a shared
/// machine this is steadier than wall-clock time. NaN where there is no /proc.
fn cpu_seconds(tick: f64) -> f64 {
    let ns =
        std::fs::read_to_string("/proc/self/schedstat").ok().and_then(|s| s.split_whitespace().next()?.parse().ok());
    if let Some(ns) = ns.filter(|&ns: &f64| ns > 0.0) {
        return ns / 1e9;
    }
    let Ok(stat) = std::fs::read_to_string("/proc/self/stat") else { return f64::NAN };
    // Fields after the parenthesised command name; utime and stime are fields 14 and 15.
    let rest = stat.rsplit_once(')').map(|(_, r)| r).unwrap_or("");
    let fields: Vec<&str> = rest.split_whitespace().collect();
    let ticks = |i: usize| fields.get(i).and_then(|v| v.parse::<f64>().ok()).unwrap_or(f64::NAN);
    (ticks(11) + ticks(12)) / tick
}

fn median(v: &mut [f64]) -> f64 {
    v.sort_by(f64::total_cmp);
    let m = v.len() / 2;
    if v.len() % 2 == 1 {
        v[m]
    } else {
        (v[m - 1] + v[m]) / 2.0
    }
}

fn load_corpus(n_lines: usize) -> (String, String) {
    if let Ok(path) = std::env::var("LOGSIFT_BENCH_CORPUS") {
        let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path}: {e}"));
        return (path, text);
    }
    let root = &Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    if std::env::var_os("LOGSIFT_BENCH_SYNTHETIC").is_some() {
        return synthetic(root, n_lines);
    }
    let shared = root.join("../shared");
    let tool = shared.join("tools/gen_corpus.py");
    let truth = shared.join("data/loghub-2k");
    if tool.is_file() && truth.is_dir() {
        let out = root.join(format!("target/bench/corpus_{n_lines}_seed42.txt"));
        if !out.is_file() {
            std::fs::create_dir_all(out.parent().unwrap()).expect("create target/bench");
            let status = Command::new("python3")
                .arg(&tool)
                .args(["--truth".as_ref(), truth.as_os_str()])
                .args(["--lines", &n_lines.to_string(), "--seed", "42", "--out"])
                .arg(&out)
                .status();
            if !matches!(status, Ok(s) if s.success()) {
                let _ = std::fs::remove_file(&out);
                return synthetic(root, n_lines);
            }
        }
        let text = std::fs::read_to_string(&out).expect("read generated corpus");
        return (format!("gen_corpus.py --seed 42 ({})", out.display()), text);
    }
    synthetic(root, n_lines)
}

/// A corpus from the bundled labelled events (see the module header, case 3).
fn synthetic(root: &Path, n_lines: usize) -> (String, String) {
    let dir = root.join("tests/data/loghub-2k");
    let mut events: Vec<String> = Vec::new();
    let mut systems: Vec<PathBuf> =
        std::fs::read_dir(&dir).expect("tests/data/loghub-2k").filter_map(|e| e.ok().map(|e| e.path())).collect();
    systems.sort();
    for system in systems.iter().filter(|p| p.is_dir()) {
        let name = system.file_name().unwrap().to_string_lossy().to_string();
        let Ok(csv) = std::fs::read_to_string(system.join(format!("{name}_2k.log_structured_corrected.csv"))) else {
            continue;
        };
        // One entry per labelled line keeps the events' frequencies.
        let mut rows = parse_csv(&csv).into_iter();
        let Some(header) = rows.next() else { continue };
        let Some(col) = header.iter().position(|h| h == "EventTemplate") else { continue };
        events.extend(rows.filter_map(|r| r.get(col).cloned()));
    }
    assert!(!events.is_empty(), "no labelled events under {}", dir.display());
    let mut rng = 0x9E37_79B9_7F4A_7C15u64;
    let mut next = move || {
        rng ^= rng << 13;
        rng ^= rng >> 7;
        rng ^= rng << 17;
        rng
    };
    let mut text = String::with_capacity(n_lines * 100);
    for _ in 0..n_lines {
        let event = &events[(next() % events.len() as u64) as usize];
        let mut parts = event.split("<*>");
        text.push_str(parts.next().unwrap_or(""));
        for part in parts {
            let r = next();
            match r % 4 {
                0 => text.push_str(&(r >> 8).to_string()[..1 + (r >> 40) as usize % 6]),
                1 => text.push_str(&format!("{:x}", r >> 4)),
                2 => text.push_str(&format!(
                    "10.{}.{}.{}:{}",
                    r >> 8 & 255,
                    r >> 16 & 255,
                    r >> 24 & 255,
                    r >> 32 & 65535
                )),
                _ => text.push_str(&format!("node{}", r >> 8 & 1023)),
            }
            text.push_str(part);
        }
        text.push('\n');
    }
    (format!("synthetic corpus from {}", dir.display()), text)
}
