//! The inputs of `logsift cluster`: files, directories (recursively, sorted), globs and stdin,
//! gzip decompressed transparently (by content, whatever the name), read as lines with
//! progress on stderr (a percentage and an ETA when the total size is known).

use anyhow::{bail, Context};
use std::io::{BufRead, BufReader, Read};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

/// One input: a file or standard input.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Input {
    Stdin,
    File(PathBuf),
}

impl Input {
    pub fn name(&self) -> String {
        match self {
            Input::Stdin => "-".into(),
            Input::File(p) => p.display().to_string(),
        }
    }
}

/// Expands the command-line inputs: `-` is stdin, a directory is every file below it (sorted by
/// path, hidden entries skipped), a pattern with `*`, `?` or `[...]` that names no file is a glob.
pub fn expand(args: &[String]) -> anyhow::Result<Vec<Input>> {
    let mut out = Vec::new();
    for a in args {
        if a == "-" {
            out.push(Input::Stdin);
            continue;
        }
        let p = Path::new(a);
        if p.is_dir() {
            let before = out.len();
            walk(p, &mut out).with_context(|| format!("cannot read directory `{a}`"))?;
            if out.len() == before {
                bail!("directory `{a}` holds no files");
            }
        } else if p.exists() {
            out.push(Input::File(p.to_path_buf()));
        } else if a.contains(['*', '?', '[']) {
            let matches = glob(a)?;
            if matches.is_empty() {
                bail!("`{a}` matches no file");
            }
            for m in matches {
                if m.is_dir() {
                    walk(&m, &mut out).with_context(|| format!("cannot read directory `{}`", m.display()))?;
                } else {
                    out.push(Input::File(m));
                }
            }
        } else {
            bail!("cannot open input `{a}`: no such file or directory");
        }
    }
    Ok(out)
}

fn walk(dir: &Path, out: &mut Vec<Input>) -> std::io::Result<()> {
    let mut entries: Vec<PathBuf> = std::fs::read_dir(dir)?
        .filter_map(|e| e.ok())
        .filter(|e| !e.file_name().to_string_lossy().starts_with('.'))
        .map(|e| e.path())
        .collect();
    entries.sort();
    for e in entries {
        if e.is_dir() {
            walk(&e, out)?;
        } else if e.is_file() {
            out.push(Input::File(e));
        }
    }
    Ok(())
}

/// The paths matching a glob (`*`, `?`, `[abc]`/`[a-z]`/`[!a]` within one path component;
/// `**` matches any number of directories), sorted.
fn glob(pattern: &str) -> anyhow::Result<Vec<PathBuf>> {
    let absolute = pattern.starts_with('/');
    let parts: Vec<&str> = pattern.split('/').filter(|c| !c.is_empty() && *c != ".").collect();
    let start = if absolute { PathBuf::from("/") } else { PathBuf::from(".") };
    let mut found = Vec::new();
    glob_from(&start, &parts, &mut found);
    found.sort();
    found.dedup();
    // Relative matches without the leading `./`.
    Ok(found.into_iter().map(|p| p.strip_prefix(".").map(Path::to_path_buf).unwrap_or(p)).collect())
}

fn glob_from(dir: &Path, parts: &[&str], found: &mut Vec<PathBuf>) {
    let Some((first, rest)) = parts.split_first() else {
        found.push(dir.to_path_buf());
        return;
    };
    if *first == "**" {
        glob_from(dir, rest, found);
        if let Ok(rd) = std::fs::read_dir(dir) {
            for e in rd.filter_map(|e| e.ok()) {
                if e.path().is_dir() && !e.file_name().to_string_lossy().starts_with('.') {
                    glob_from(&e.path(), parts, found);
                }
            }
        }
        return;
    }
    if !first.contains(['*', '?', '[']) {
        let p = dir.join(first);
        if p.exists() {
            glob_from(&p, rest, found);
        }
        return;
    }
    let Ok(rd) = std::fs::read_dir(dir) else { return };
    for e in rd.filter_map(|e| e.ok()) {
        let name = e.file_name().to_string_lossy().into_owned();
        if name.starts_with('.') && !first.starts_with('.') {
            continue;
        }
        if wildcard(first.as_bytes(), name.as_bytes()) {
            glob_from(&e.path(), rest, found);
        }
    }
}

/// Matches one path component against a pattern with `*`, `?` and `[...]`.
pub fn wildcard(p: &[u8], s: &[u8]) -> bool {
    match p.split_first() {
        None => s.is_empty(),
        Some((b'*', rest)) => (0..=s.len()).any(|k| wildcard(rest, &s[k..])),
        Some((b'?', rest)) => !s.is_empty() && wildcard(rest, &s[1..]),
        Some((b'[', rest)) => {
            let Some(close) = rest.iter().skip(1).position(|&c| c == b']').map(|i| i + 1) else {
                return s.first() == Some(&b'[') && wildcard(rest, &s[1..]);
            };
            let Some(&c) = s.first() else { return false };
            let (negate, set) = match rest[..close].split_first() {
                Some((b'!' | b'^', set)) => (true, set),
                _ => (false, &rest[..close]),
            };
            let mut hit = false;
            let mut i = 0;
            while i < set.len() {
                if i + 2 < set.len() && set[i + 1] == b'-' {
                    hit |= set[i] <= c && c <= set[i + 2];
                    i += 3;
                } else {
                    hit |= set[i] == c;
                    i += 1;
                }
            }
            hit != negate && wildcard(&rest[close + 1..], &s[1..])
        }
        Some((&c, rest)) => s.first() == Some(&c) && wildcard(rest, &s[1..]),
    }
}

/// Counts the bytes read from the raw (maybe compressed) input, for progress.
struct Counting<R> {
    inner: R,
    read: Arc<AtomicU64>,
}

impl<R: Read> Read for Counting<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.read.fetch_add(n as u64, Ordering::Relaxed);
        Ok(n)
    }
}

/// Opens an input, decompressing gzip (recognised by its magic bytes).
fn open(input: &Input, read: Arc<AtomicU64>) -> anyhow::Result<Box<dyn BufRead>> {
    let raw: Box<dyn Read> = match input {
        Input::Stdin => Box::new(std::io::stdin()),
        Input::File(p) => {
            Box::new(std::fs::File::open(p).with_context(|| format!("cannot open input file `{}`", p.display()))?)
        }
    };
    let mut buffered = BufReader::with_capacity(1 << 20, Counting { inner: raw, read });
    let magic = buffered.fill_buf().with_context(|| format!("cannot read `{}`", input.name()))?;
    if magic.starts_with(&[0x1f, 0x8b]) {
        return Ok(Box::new(BufReader::with_capacity(1 << 20, flate2::bufread::MultiGzDecoder::new(buffered))));
    }
    if magic.starts_with(&[0x28, 0xb5, 0x2f, 0xfd]) {
        bail!(
            "`{}` is zstd-compressed, which logsift cluster does not read; use `zstd -dc {} | logsift cluster -`",
            input.name(),
            input.name()
        );
    }
    Ok(Box::new(buffered))
}

/// Lines of all inputs in turn, as bytes without the line end; progress on stderr.
pub struct Lines {
    inputs: Vec<Input>,
    next_input: usize,
    current: Option<Box<dyn BufRead>>,
    /// Index into the inputs of the last line returned, and its 1-based line number there.
    pub file: usize,
    pub line: u64,
    pub buf: Vec<u8>,
    /// Lines read in all.
    pub count: u64,
    read: Arc<AtomicU64>,
    total: Option<u64>,
    quiet: bool,
    started: Instant,
    last_report: Instant,
}

impl Lines {
    pub fn new(inputs: Vec<Input>, quiet: bool) -> Self {
        // The total is known when every input is a file (compressed ones by their file size).
        // A pipe has none: counts and rates only.
        let total = inputs
            .iter()
            .map(|i| match i {
                Input::File(p) => std::fs::metadata(p).ok().map(|m| m.len()),
                // A file redirected to stdin (`< app.log`) has a size too.
                Input::Stdin => std::fs::metadata("/dev/stdin").ok().filter(|m| m.is_file()).map(|m| m.len()),
            })
            .sum::<Option<u64>>();
        let now = Instant::now();
        Lines {
            inputs,
            next_input: 0,
            current: None,
            file: 0,
            line: 0,
            buf: Vec::new(),
            count: 0,
            read: Arc::new(AtomicU64::new(0)),
            total,
            quiet,
            started: now,
            last_report: now,
        }
    }

    pub fn inputs(&self) -> &[Input] {
        &self.inputs
    }

    /// Reads the next line into `buf`; false at the end of the last input.
    pub fn next_line(&mut self) -> anyhow::Result<bool> {
        loop {
            if self.current.is_none() {
                if self.next_input == self.inputs.len() {
                    return Ok(false);
                }
                self.current = Some(open(&self.inputs[self.next_input], self.read.clone())?);
                self.file = self.next_input;
                self.line = 0;
                self.next_input += 1;
            }
            self.buf.clear();
            let r = self.current.as_mut().expect("an open input").read_until(b'\n', &mut self.buf);
            let n = r.with_context(|| format!("cannot read `{}`", self.inputs[self.file].name()))?;
            if n == 0 {
                self.current = None;
                continue;
            }
            if self.buf.last() == Some(&b'\n') {
                self.buf.pop();
                if self.buf.last() == Some(&b'\r') {
                    self.buf.pop();
                }
            }
            self.line += 1;
            self.count += 1;
            if !self.quiet && self.count.is_multiple_of(16_384) && self.last_report.elapsed() >= Duration::from_secs(2)
            {
                self.last_report = Instant::now();
                eprintln!("{}", self.progress());
            }
            return Ok(true);
        }
    }

    /// `37.5% of 120.0 MB, 1200000 lines (400000 lines/s), ETA 5s`, or counts alone when the
    /// total size is unknown (stdin).
    pub fn progress(&self) -> String {
        let secs = self.started.elapsed().as_secs_f64().max(1e-9);
        let rate = self.count as f64 / secs;
        let read = self.read.load(Ordering::Relaxed);
        match self.total {
            Some(total) if total > 0 => {
                let done = (read.min(total)) as f64 / total as f64;
                let eta = if done > 0.0 { secs * (1.0 - done) / done } else { 0.0 };
                format!(
                    "{:.1}% of {}, {} lines read ({:.0} lines/s), ETA {}",
                    100.0 * done,
                    human_bytes(total),
                    self.count,
                    rate,
                    human_secs(eta)
                )
            }
            _ => format!("{} lines read ({:.0} lines/s)", self.count, rate),
        }
    }

    pub fn finish(&self) {
        if !self.quiet && self.started.elapsed() >= Duration::from_secs(2) {
            let rate = self.count as f64 / self.started.elapsed().as_secs_f64();
            eprintln!("{} lines read in {:.1?} ({:.0} lines/s)", self.count, self.started.elapsed(), rate);
        }
    }
}

pub fn human_bytes(n: u64) -> String {
    let n = n as f64;
    if n >= 1e9 {
        format!("{:.1} GB", n / 1e9)
    } else if n >= 1e6 {
        format!("{:.1} MB", n / 1e6)
    } else if n >= 1e3 {
        format!("{:.1} kB", n / 1e3)
    } else {
        format!("{n} B")
    }
}

pub fn human_secs(s: f64) -> String {
    let s = s.round() as u64;
    if s >= 3600 {
        format!("{}h{:02}m", s / 3600, (s % 3600) / 60)
    } else if s >= 60 {
        format!("{}m{:02}s", s / 60, s % 60)
    } else {
        format!("{s}s")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wildcards() {
        assert!(wildcard(b"*.log", b"auth.log"));
        assert!(!wildcard(b"*.log", b"auth.log.gz"));
        assert!(wildcard(b"auth.log.[0-9]*", b"auth.log.1.gz"));
        assert!(wildcard(b"a?c", b"abc") && !wildcard(b"a?c", b"ac"));
        assert!(wildcard(b"[!x]*", b"y1") && !wildcard(b"[!x]*", b"x1"));
        assert!(wildcard(b"*", b""));
    }

    #[test]
    fn expands_dirs_globs_and_reads_gzip() {
        use std::io::Write;
        let dir = tempfile::tempdir().unwrap();
        let d = dir.path();
        std::fs::create_dir_all(d.join("sub")).unwrap();
        std::fs::write(d.join("b.log"), "b1\nb2\n").unwrap();
        std::fs::write(d.join("sub/a.log"), "a1\r\na2").unwrap();
        std::fs::write(d.join(".hidden"), "h\n").unwrap();
        let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
        gz.write_all(b"z1\nz2\n").unwrap();
        std::fs::write(d.join("c.log.gz"), gz.finish().unwrap()).unwrap();
        let s = |p: &Path| p.to_str().unwrap().to_string();

        let inputs = expand(&[s(d)]).unwrap();
        let names: Vec<String> = inputs.iter().map(|i| i.name()).collect();
        assert_eq!(names, vec![s(&d.join("b.log")), s(&d.join("c.log.gz")), s(&d.join("sub/a.log"))]);
        let mut lines = Lines::new(inputs, true);
        let mut got = Vec::new();
        while lines.next_line().unwrap() {
            got.push((lines.file, lines.line, String::from_utf8(lines.buf.clone()).unwrap()));
        }
        let want: Vec<(usize, u64, String)> =
            [(0, 1, "b1"), (0, 2, "b2"), (1, 1, "z1"), (1, 2, "z2"), (2, 1, "a1"), (2, 2, "a2")]
                .into_iter()
                .map(|(f, l, t)| (f, l, t.to_string()))
                .collect();
        assert_eq!(got, want);
        assert!(lines.progress().starts_with("100.0% of "), "{}", lines.progress());

        let globbed = expand(&[format!("{}/*.log*", s(d))]).unwrap();
        assert_eq!(globbed.len(), 2);
        let e = expand(&[format!("{}/*.nothing", s(d))]).unwrap_err();
        assert!(e.to_string().contains("matches no file"), "{e}");
        let e = expand(&[s(&d.join("missing.log"))]).unwrap_err();
        assert!(e.to_string().contains("no such file"), "{e}");
        std::fs::write(d.join("z.zst"), [0x28, 0xb5, 0x2f, 0xfd, 0]).unwrap();
        let mut l = Lines::new(vec![Input::File(d.join("z.zst"))], true);
        assert!(l.next_line().unwrap_err().to_string().contains("zstd"));
    }
}
