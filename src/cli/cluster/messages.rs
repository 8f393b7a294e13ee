//! From lines to messages for `logsift cluster`: multi-line grouping (continuation lines join the
//! message that started them), NDJSON documents through the sidecar's [`Extractor`], and the
//! same header rule as the sidecar.

use super::input::Lines;
use crate::engine;
use crate::message::Extractor;
use clap::ValueEnum;
use serde_json::Value;
use std::borrow::Cow;
use std::collections::BTreeMap;

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum Multiline {
    /// Java stack traces: indented lines (`\tat ...`, `\t... 3 more`), `Caused by:`, `Suppressed:`
    /// and an exception line (`java.lang.IllegalStateException: ...`) join the message above.
    Java,
    /// Python tracebacks: `Traceback (most recent call last):`, its indented frames and the
    /// exception line after them, and the chaining lines, join the message above.
    Python,
    /// Every indented line joins the message above.
    Indent,
}

/// One message: where it starts and its text (after the header).
pub struct Message<'a> {
    /// Index of the input and 1-based line number of the message's first line.
    pub file: usize,
    pub line: u64,
    pub text: &'a str,
}

/// Why an input line gave no message, with counts and the first few places.
#[derive(Default)]
pub struct Skipped {
    pub by_kind: BTreeMap<String, u64>,
    pub examples: Vec<String>,
}

impl Skipped {
    fn add(&mut self, kind: &str, place: String) {
        *self.by_kind.entry(kind.to_string()).or_default() += 1;
        if self.examples.len() < 5 {
            self.examples.push(place);
        }
    }

    pub fn total(&self) -> u64 {
        self.by_kind.values().sum()
    }

    /// One line for stderr: `12 lines skipped (3 not_json, 9 missing_field); first: ...`.
    pub fn report(&self) -> Option<String> {
        if self.total() == 0 {
            return None;
        }
        let kinds: Vec<String> = self.by_kind.iter().map(|(k, n)| format!("{n} {k}")).collect();
        Some(format!("{} lines skipped ({}); first: {}", self.total(), kinds.join(", "), self.examples.join("; ")))
    }
}

pub struct Messages {
    lines: Lines,
    extractor: Extractor,
    ndjson: bool,
    multiline: Option<Multiline>,
    max_bytes: usize,
    /// A line read ahead (it started the next message): file, line number, text.
    pending: Option<(usize, u64, String)>,
    cur: String,
    cur_file: usize,
    cur_line: u64,
    out: String,
    pub skipped: Skipped,
    /// Messages returned.
    pub count: u64,
}

/// Where a continuation test stands inside one message.
#[derive(Default)]
struct Block {
    /// Inside a Python traceback, after its `Traceback` line.
    traceback: bool,
}

impl Messages {
    pub fn new(
        lines: Lines,
        extractor: Extractor,
        ndjson: bool,
        multiline: Option<Multiline>,
        max_bytes: usize,
    ) -> Self {
        Messages {
            lines,
            extractor,
            ndjson,
            multiline,
            max_bytes,
            pending: None,
            cur: String::new(),
            cur_file: 0,
            cur_line: 0,
            out: String::new(),
            skipped: Skipped::default(),
            count: 0,
        }
    }

    pub fn lines(&self) -> &Lines {
        &self.lines
    }

    fn read(&mut self) -> anyhow::Result<Option<(usize, u64, String)>> {
        if !self.lines.next_line()? {
            return Ok(None);
        }
        Ok(Some((self.lines.file, self.lines.line, engine::lossy(&self.lines.buf).into_owned())))
    }

    /// The next message, or `None` at the end of the input.
    pub fn next_message(&mut self) -> anyhow::Result<Option<Message<'_>>> {
        loop {
            // One line, or a message of several lines.
            match self.multiline {
                None => {
                    if !self.lines.next_line()? {
                        return Ok(None);
                    }
                    self.cur_file = self.lines.file;
                    self.cur_line = self.lines.line;
                    if !self.ndjson {
                        // The common case, without a copy: the line's bytes as they were read.
                        let line: &str = match std::str::from_utf8(&self.lines.buf) {
                            Ok(s) => s,
                            Err(_) => {
                                self.cur = engine::lossy(&self.lines.buf).into_owned();
                                &self.cur
                            }
                        };
                        let text = match self.extractor.line(Cow::Borrowed(line)).message {
                            Cow::Borrowed(t) => t,
                            Cow::Owned(_) => unreachable!("a borrowed line stays borrowed"),
                        };
                        self.count += 1;
                        return Ok(Some(Message { file: self.cur_file, line: self.cur_line, text }));
                    }
                    self.cur.clear();
                    self.cur.push_str(&engine::lossy(&self.lines.buf));
                }
                Some(mode) => {
                    let first = match self.pending.take() {
                        Some(p) => p,
                        None => match self.read()? {
                            Some(p) => p,
                            None => return Ok(None),
                        },
                    };
                    (self.cur_file, self.cur_line, self.cur) = first;
                    let mut block = Block::default();
                    let mut last_indented = false;
                    while let Some((file, line, text)) = self.read()? {
                        let joins = file == self.cur_file
                            && self.cur.len() + 1 + text.len() <= self.max_bytes
                            && continues(mode, &text, &mut block, last_indented);
                        if !joins {
                            self.pending = Some((file, line, text));
                            break;
                        }
                        last_indented = text.starts_with([' ', '\t']);
                        self.cur.push('\n');
                        self.cur.push_str(&text);
                    }
                    let trimmed = self.cur.trim_end_matches(['\n', ' ', '\t']).len();
                    if trimmed > 0 {
                        self.cur.truncate(trimmed);
                    }
                }
            }
            let place = || format!("{}:{}", self.lines.inputs()[self.cur_file].name(), self.cur_line);
            if self.ndjson {
                let doc: Value = match serde_json::from_str(&self.cur) {
                    Ok(v) => v,
                    Err(_) => {
                        let p = place();
                        self.skipped.add("not_json", p);
                        continue;
                    }
                };
                match self.extractor.extract(&doc) {
                    Ok(m) => {
                        self.out.clear();
                        self.out.push_str(&m);
                    }
                    Err(reason) => {
                        let p = format!("{} ({reason})", place());
                        self.skipped.add(reason.kind(), p);
                        continue;
                    }
                }
                self.count += 1;
                return Ok(Some(Message { file: self.cur_file, line: self.cur_line, text: &self.out }));
            }
            let text = match self.extractor.line(Cow::Borrowed(self.cur.as_str())).message {
                Cow::Borrowed(t) => t,
                Cow::Owned(_) => unreachable!("a borrowed line stays borrowed"),
            };
            self.count += 1;
            return Ok(Some(Message { file: self.cur_file, line: self.cur_line, text }));
        }
    }
}

/// Whether `line` continues the message above it.
fn continues(mode: Multiline, line: &str, block: &mut Block, last_indented: bool) -> bool {
    if line.trim().is_empty() {
        return true; // blank lines inside a trace; trailing ones are trimmed from the message
    }
    let indented = line.starts_with([' ', '\t']);
    match mode {
        Multiline::Indent => indented,
        Multiline::Java => {
            indented
                || line.starts_with("Caused by: ")
                || line.starts_with("Suppressed: ")
                || line.starts_with("... ")
                || is_exception_line(line)
        }
        Multiline::Python => {
            if line.starts_with("Traceback (most recent call last):") {
                block.traceback = true;
                return true;
            }
            if indented {
                return true;
            }
            if line.starts_with("During handling of the above exception, another exception occurred:")
                || line.starts_with("The above exception was the direct cause of the following exception:")
            {
                return true;
            }
            if block.traceback && last_indented {
                // The exception line that ends the traceback (`ValueError: bad value`).
                block.traceback = false;
                return true;
            }
            false
        }
    }
}

/// `java.lang.IllegalStateException: boom`, `com.x.FooError`: a qualified class name ending in
/// Exception, Error or Throwable, alone or before `: `.
fn is_exception_line(line: &str) -> bool {
    let name = line.split_once(": ").map_or(line, |(n, _)| n).trim_end_matches(':');
    let Some((pkg, class)) = name.rsplit_once('.') else { return false };
    !pkg.is_empty()
        && pkg.split('.').all(|p| !p.is_empty() && p.bytes().all(|c| c.is_ascii_alphanumeric() || c == b'_'))
        && class.bytes().all(|c| c.is_ascii_alphanumeric() || c == b'_' || c == b'$')
        && (class.ends_with("Exception") || class.ends_with("Error") || class.ends_with("Throwable"))
}

#[cfg(test)]
mod tests {
    use super::super::input::{Input, Lines};
    use super::*;
    use crate::message::{ExtractConfig, MessageSpec};

    fn messages(text: &str, mode: Option<Multiline>) -> Vec<(u64, String)> {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("in.log");
        std::fs::write(&p, text).unwrap();
        let lines = Lines::new(vec![Input::File(p)], true);
        let ex = Extractor::new(&ExtractConfig::default()).unwrap();
        let mut m = Messages::new(lines, ex, false, mode, 1 << 16);
        let mut out = Vec::new();
        while let Some(msg) = m.next_message().unwrap() {
            out.push((msg.line, msg.text.to_string()));
        }
        out
    }

    #[test]
    fn java_stack_traces_join_the_line_that_started_them() {
        let log = "2024-01-02 03:04:05,001 ERROR [main] a.b.Svc: request failed\n\
                   java.lang.IllegalStateException: boom\n\
                   \tat a.b.Svc.run(Svc.java:10)\n\
                   \tat a.b.Main.main(Main.java:3)\n\
                   Caused by: java.io.IOException: disk\n\
                   \t... 2 more\n\
                   2024-01-02 03:04:06,001 INFO [main] a.b.Svc: next\n";
        let got = messages(log, Some(Multiline::Java));
        assert_eq!(got.len(), 2, "{got:?}");
        assert_eq!(got[0].0, 1);
        assert!(got[0].1.starts_with("request failed\njava.lang.IllegalStateException: boom\n\tat a.b.Svc.run"));
        assert!(got[0].1.ends_with("\t... 2 more"));
        assert_eq!(got[1], (7, "next".to_string()));
        // Without grouping every line is a message.
        assert_eq!(messages(log, None).len(), 7);
    }

    #[test]
    fn python_tracebacks_end_with_their_exception_line() {
        let log = "ERROR:root:job failed\n\
                   Traceback (most recent call last):\n\
                   \x20 File \"x.py\", line 1, in <module>\n\
                   \x20   f()\n\
                   ValueError: bad value\n\
                   INFO:root:next job\n\
                   INFO:root:done\n";
        let got = messages(log, Some(Multiline::Python));
        assert_eq!(got.iter().map(|g| g.0).collect::<Vec<_>>(), vec![1, 6, 7], "{got:?}");
        assert!(got[0].1.ends_with("ValueError: bad value"));
        assert!(got[0].1.starts_with("job failed\nTraceback"));
    }

    #[test]
    fn indent_and_blank_lines() {
        let got = messages("a 1\n  b\n\n  c\nd 2\n\n", Some(Multiline::Indent));
        assert_eq!(got, vec![(1, "a 1\n  b\n\n  c".to_string()), (5, "d 2".to_string())]);
        assert!(!is_exception_line("Exception: not qualified"));
        assert!(is_exception_line("org.x.FooException"));
    }

    #[test]
    fn ndjson_through_the_extractor_with_skips_counted() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("in.ndjson");
        std::fs::write(
            &p,
            "{\"log\":{\"msg\":\"Jan 29 11:23:02 h sshd[1]: hello 1\"}}\nnot json\n{\"other\":1}\n{\"log\":{\"msg\":\"hello 2\"}}\n",
        )
        .unwrap();
        let lines = Lines::new(vec![Input::File(p)], true);
        let ex = Extractor::new(&ExtractConfig { message: MessageSpec::Field("log.msg".into()), ..Default::default() })
            .unwrap();
        let mut m = Messages::new(lines, ex, true, None, 1 << 16);
        let mut got = Vec::new();
        while let Some(msg) = m.next_message().unwrap() {
            got.push((msg.line, msg.text.to_string()));
        }
        assert_eq!(got, vec![(1, "hello 1".to_string()), (4, "hello 2".to_string())]);
        assert_eq!(m.skipped.by_kind.get("not_json"), Some(&1));
        assert_eq!(m.skipped.by_kind.get("missing_field"), Some(&1));
        let r = m.skipped.report().unwrap();
        assert!(r.starts_with("2 lines skipped") && r.contains("in.ndjson:2"), "{r}");
    }
}
