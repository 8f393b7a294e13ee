//! The peer of `logsift cluster` for the whole-process bar: the `drain3` crate (default
//! config) as a process of its own, reading a file of one message per line, mining every
//! line and printing how many clusters it found. Timed against `logsift cluster` by
//! `tools/process_bench.py`.
//!
//!     cargo build --release -p logsift-engine --example drain3_cluster
//!     target/release/examples/drain3_cluster /tmp/corpus_1M.txt

use std::io::BufRead;

fn main() {
    let path = std::env::args().nth(1).unwrap_or_else(|| {
        eprintln!("usage: drain3_cluster FILE");
        std::process::exit(2)
    });
    let file = std::fs::File::open(&path).unwrap_or_else(|e| {
        eprintln!("drain3_cluster: {path}: {e}");
        std::process::exit(1)
    });
    let mut matcher = drain3::Matcher::new(drain3::Config::default());
    let (mut lines, mut clusters, mut refused) = (0u64, 0, 0u64);
    let mut reader = std::io::BufReader::with_capacity(1 << 16, file);
    let mut buf = Vec::new();
    loop {
        buf.clear();
        match reader.read_until(b'\n', &mut buf) {
            Ok(0) => break,
            Ok(_) => {}
            Err(e) => {
                eprintln!("drain3_cluster: {path}: {e}");
                std::process::exit(1)
            }
        }
        let line = String::from_utf8_lossy(&buf);
        let line = line.trim_end_matches(['\n', '\r']);
        lines += 1;
        match matcher.add_log_message(line) {
            Ok(t) => clusters = clusters.max(t.id()),
            Err(_) => refused += 1,
        }
    }
    println!("{lines} lines, {clusters} clusters (highest id), {refused} refused");
}
