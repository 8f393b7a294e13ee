//! Recognises a leading log header and splits it from the message body.
//!
//! Shippers and log libraries put a header before the text a program logged: syslog
//! (`Jan 29 11:23:02 host sshd[10348]: `, RFC 5424 `<34>1 2024-01-29T11:23:02Z host app 12 ID47 - `),
//! ISO-8601 or `yyyy-mm-dd hh:mm:ss,mmm` timestamps followed by the usual log4j/logback/Python
//! layouts (`INFO [main] org.example.Foo: `, `[main] INFO  o.e.Foo - `, `- INFO  [thread] - `,
//! `INFO:root:`). [`detect`] finds such a header and returns the body plus the parsed parts.
//!
//! It is conservative: a header always starts with a timestamp, a syslog `<pri>` or a Python
//! `LEVEL:name:` prefix, so a message that merely starts with a word and a colon
//! (`mm_answer_pam_respond: Too many PAM messages`) keeps all of its text. A header with
//! nothing after it is not a header (the line is kept whole). Pure, no allocation.

/// The parts of a recognised header, each a slice of the line.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Header<'a> {
    pub timestamp: Option<&'a str>,
    pub host: Option<&'a str>,
    pub program: Option<&'a str>,
    pub pid: Option<&'a str>,
    pub level: Option<&'a str>,
    pub thread: Option<&'a str>,
    pub logger: Option<&'a str>,
}

/// A line split into its header and body.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Detected<'a> {
    pub header: Header<'a>,
    /// Byte offset of the body in the line.
    pub body_start: usize,
    pub body: &'a str,
}

/// Finds a leading header in `line`; `None` when there is none (or nothing follows it).
pub fn detect(line: &str) -> Option<Detected<'_>> {
    let b = line.as_bytes();
    let first = *b.first()?;
    if !(first == b'<' || first == b'[' || first.is_ascii_digit() || first.is_ascii_uppercase()) {
        return None;
    }
    let p = P { s: line, b };
    let (header, start) = p.parse()?;
    // The body starts at a char boundary: every header ends at an ASCII byte.
    let body = &line[start..];
    if body.trim().is_empty() {
        return None;
    }
    Some(Detected { header, body_start: start, body })
}

const MONTHS: [&[u8; 3]; 12] =
    [b"Jan", b"Feb", b"Mar", b"Apr", b"May", b"Jun", b"Jul", b"Aug", b"Sep", b"Oct", b"Nov", b"Dec"];
const WEEKDAYS: [&[u8; 3]; 7] = [b"Mon", b"Tue", b"Wed", b"Thu", b"Fri", b"Sat", b"Sun"];
/// Level names of syslog, log4j/logback, java.util.logging and Python logging.
const LEVELS: [&str; 17] = [
    "TRACE", "DEBUG", "INFO", "NOTICE", "WARN", "WARNING", "ERROR", "ERR", "CRIT", "CRITICAL", "ALERT", "EMERG",
    "FATAL", "SEVERE", "FINE", "FINER", "FINEST",
];
const PYTHON_LEVELS: [&str; 5] = ["DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL"];

struct P<'a> {
    s: &'a str,
    b: &'a [u8],
}

/// How a timestamp was written (it decides how much evidence a syslog header needs).
#[derive(Clone, Copy, PartialEq, Eq)]
enum Ts {
    /// `Jan 29 11:23:02`: the RFC 3164 form, a syslog header follows.
    Bsd,
    /// `2024-01-29T11:23:02.123+01:00` (RFC 3339, as rsyslog writes it).
    Rfc3339,
    /// Other date-times (`2024-01-29 11:23:02,123`, `24/01/29 11:23:02`, ctime).
    Other,
}

impl<'a> P<'a> {
    fn at(&self, i: usize) -> u8 {
        self.b.get(i).copied().unwrap_or(0)
    }

    fn digits(&self, i: usize, n: usize) -> bool {
        i + n <= self.b.len() && self.b[i..i + n].iter().all(u8::is_ascii_digit)
    }

    fn run_of_digits(&self, mut i: usize) -> usize {
        while self.at(i).is_ascii_digit() {
            i += 1;
        }
        i
    }

    fn skip_spaces(&self, mut i: usize) -> usize {
        while self.at(i) == b' ' || self.at(i) == b'\t' {
            i += 1;
        }
        i
    }

    fn starts(&self, i: usize, pat: &str) -> bool {
        self.b.get(i..).is_some_and(|r| r.starts_with(pat.as_bytes()))
    }

    /// End of the token at `i` (up to white space or the end).
    fn token_end(&self, mut i: usize) -> usize {
        while i < self.b.len() && !self.b[i].is_ascii_whitespace() {
            i += 1;
        }
        i
    }

    fn parse(&self) -> Option<(Header<'a>, usize)> {
        let mut i = 0;
        // `<pri>`: syslog priority as a syslog daemon writes it on the wire.
        if self.at(0) == b'<' {
            let end = self.run_of_digits(1);
            if end == 1 || end > 4 || self.at(end) != b'>' {
                return None;
            }
            i = end + 1;
            if self.at(i) == b'1' && self.at(i + 1) == b' ' {
                return self.rfc5424(i + 2);
            }
        } else if let Some(r) = self.python_prefix() {
            return Some(r);
        }
        let (ts, kind, after) = self.timestamp(i)?;
        let j = self.skip_spaces(after);
        if j == after {
            return None; // a timestamp glued to text is not a header
        }
        let mut h = Header { timestamp: Some(ts), ..Header::default() };
        if let Some(r) = self.app_layout(j, &mut h) {
            return Some((h, r));
        }
        if let Some(r) = self.syslog(j, kind, &mut h) {
            return Some((h, r));
        }
        // A bare date-time before the text: only the timestamp is header.
        Some((h, j))
    }

    /// `LEVEL:name:message`, Python logging's default format.
    fn python_prefix(&self) -> Option<(Header<'a>, usize)> {
        let colon = self.b.iter().take(9).position(|&c| c == b':')?;
        let level = &self.s[..colon];
        if !PYTHON_LEVELS.contains(&level) {
            return None;
        }
        let name_start = colon + 1;
        let mut k = name_start;
        while self.at(k).is_ascii_alphanumeric() || matches!(self.at(k), b'_' | b'.' | b'-') {
            k += 1;
        }
        if k == name_start || self.at(k) != b':' {
            return None;
        }
        let h = Header { level: Some(level), logger: Some(&self.s[name_start..k]), ..Header::default() };
        Some((h, k + 1))
    }

    /// A timestamp at `i`, bare or in brackets: (its text, its kind, the end including a `]`).
    fn timestamp(&self, i: usize) -> Option<(&'a str, Ts, usize)> {
        if self.at(i) == b'[' {
            let (end, kind) = self.bare_timestamp(i + 1)?;
            return (self.at(end) == b']').then(|| (&self.s[i + 1..end], kind, end + 1));
        }
        let (end, kind) = self.bare_timestamp(i)?;
        Some((&self.s[i..end], kind, end))
    }

    fn bare_timestamp(&self, i: usize) -> Option<(usize, Ts)> {
        let c = self.at(i);
        if c.is_ascii_digit() {
            return self.numeric_date_time(i);
        }
        let word = self.b.get(i..i + 3)?;
        if MONTHS.iter().any(|m| m.as_slice() == word) && self.at(i + 3) == b' ' {
            // `Jan 29 11:23:02` / `Jan  9 11:23:02`, optionally with fractions.
            let d = self.skip_spaces(i + 3);
            let d_end = self.run_of_digits(d);
            if !(1..=2).contains(&(d_end - d)) || self.at(d_end) != b' ' {
                return None;
            }
            let t = self.time(d_end + 1)?;
            return Some((t, Ts::Bsd));
        }
        if WEEKDAYS.iter().any(|w| w.as_slice() == word) && self.at(i + 3) == b' ' {
            // ctime: `Sun Dec 04 04:47:44 2005`.
            let m = self.b.get(i + 4..i + 7)?;
            if !MONTHS.iter().any(|x| x.as_slice() == m) {
                return None;
            }
            let d = self.skip_spaces(i + 7);
            let d_end = self.run_of_digits(d);
            if !(1..=2).contains(&(d_end - d)) || self.at(d_end) != b' ' {
                return None;
            }
            let t = self.time(d_end + 1)?;
            if self.at(t) == b' ' && self.digits(t + 1, 4) && !self.at(t + 5).is_ascii_digit() {
                return Some((t + 5, Ts::Other));
            }
            return Some((t, Ts::Other));
        }
        None
    }

    /// `yyyy-mm-dd[T ]hh:mm:ss[.,frac][zone]`, `yyyy/mm/dd hh:mm:ss`, `yy/mm/dd hh:mm:ss`.
    fn numeric_date_time(&self, i: usize) -> Option<(usize, Ts)> {
        let y_end = self.run_of_digits(i);
        let sep = self.at(y_end);
        if !matches!(y_end - i, 2 | 4) || !matches!(sep, b'-' | b'/') {
            return None;
        }
        if !(self.digits(y_end + 1, 2) && self.at(y_end + 3) == sep && self.digits(y_end + 4, 2)) {
            return None;
        }
        let d_end = y_end + 6;
        let t_sep = self.at(d_end);
        if !(t_sep == b'T' || t_sep == b' ') {
            return None;
        }
        let t = self.time(d_end + 1)?;
        let mut end = t;
        let mut zone = false;
        if self.at(end) == b'Z' {
            end += 1;
            zone = true;
        } else if matches!(self.at(end), b'+' | b'-') && self.digits(end + 1, 2) {
            let mut z = end + 3;
            if self.at(z) == b':' && self.digits(z + 1, 2) {
                z += 3;
            } else if self.digits(z, 2) {
                z += 2;
            }
            end = z;
            zone = true;
        }
        let rfc3339 = sep == b'-' && y_end - i == 4 && t_sep == b'T' && (zone || t > d_end + 9);
        Some((end, if rfc3339 { Ts::Rfc3339 } else { Ts::Other }))
    }

    /// `hh:mm:ss` with optional `.frac` / `,frac`; the end.
    fn time(&self, i: usize) -> Option<usize> {
        if !(self.digits(i, 2)
            && self.at(i + 2) == b':'
            && self.digits(i + 3, 2)
            && self.at(i + 5) == b':'
            && self.digits(i + 6, 2))
        {
            return None;
        }
        let mut end = i + 8;
        if matches!(self.at(end), b'.' | b',') && self.at(end + 1).is_ascii_digit() {
            end = self.run_of_digits(end + 1);
        }
        if self.at(end).is_ascii_alphanumeric() && self.at(end) != b'Z' {
            return None;
        }
        Some(end)
    }

    /// A level at `i`: bare upper case (`INFO`), or bracketed in any case (`[notice]`); the
    /// level and the end. A bare level must be followed by white space.
    fn level(&self, i: usize) -> Option<(&'a str, usize)> {
        let (start, mut end, bracketed) = if self.at(i) == b'[' { (i + 1, i + 1, true) } else { (i, i, false) };
        while self.at(end).is_ascii_alphabetic() {
            end += 1;
        }
        let word = &self.s[start..end];
        if word.is_empty() || end - start > 8 {
            return None;
        }
        if bracketed {
            let upper = word.to_ascii_uppercase();
            if self.at(end) != b']' || !LEVELS.contains(&upper.as_str()) {
                return None;
            }
            return Some((word, end + 1));
        }
        if !LEVELS.contains(&word) || !matches!(self.at(end), b' ' | b'\t') {
            return None;
        }
        Some((word, end))
    }

    /// The end of a balanced `[...]` at `i` (after the `]`); at most 256 bytes, one line.
    fn bracket_end(&self, i: usize) -> Option<usize> {
        let mut depth = 0usize;
        for (k, &c) in self.b.iter().enumerate().skip(i).take(256) {
            match c {
                b'[' => depth += 1,
                b']' => {
                    depth -= 1;
                    if depth == 0 {
                        return Some(k + 1);
                    }
                }
                b'\n' | b'\r' => return None,
                _ => {}
            }
        }
        None
    }

    fn is_name_byte(c: u8) -> bool {
        c.is_ascii_alphanumeric() || matches!(c, b'_' | b'$' | b'.' | b'@' | b'-')
    }

    /// A logger name at `i` ending a header: `org.example.Foo: ` (qualified, with a colon),
    /// or `name - ` / `name : `. Returns the name and where the body starts.
    fn logger(&self, i: usize) -> Option<(&'a str, usize)> {
        if !self.at(i).is_ascii_alphabetic() && self.at(i) != b'_' {
            return None;
        }
        let mut k = i;
        while Self::is_name_byte(self.at(k)) {
            k += 1;
        }
        let name = &self.s[i..k];
        if self.at(k) == b':' && matches!(self.at(k + 1), b' ' | b'\t') && name.contains('.') && !name.ends_with('.') {
            return Some((name, self.skip_spaces(k + 1)));
        }
        let after = self.skip_spaces(k);
        if after > k && matches!(self.at(after), b'-' | b':') && self.at(after + 1) == b' ' {
            return Some((name, self.skip_spaces(after + 1)));
        }
        None
    }

    /// After a timestamp: the log4j/logback/Python layouts, which all carry a level.
    fn app_layout(&self, mut j: usize, h: &mut Header<'a>) -> Option<usize> {
        // Items before the level: `- ` separators, a `[thread]`, a `name - ` (Python).
        for _ in 0..4 {
            if self.level(j).is_some() {
                break;
            }
            if self.starts(j, "- ") {
                j = self.skip_spaces(j + 2);
            } else if self.at(j) == b'[' && h.thread.is_none() {
                let end = self.bracket_end(j)?;
                h.thread = Some(&self.s[j + 1..end - 1]);
                j = self.skip_spaces(end);
            } else if h.logger.is_none() {
                let (name, after) = self.logger(j)?;
                self.level(after)?;
                h.logger = Some(name);
                j = after;
            } else {
                return None;
            }
        }
        let (level, end) = self.level(j)?;
        h.level = Some(level);
        j = self.skip_spaces(end);
        // Spring Boot: `INFO 12345 --- [main] o.s.b.App : `.
        let pid_end = self.run_of_digits(j);
        if pid_end > j && self.starts(self.skip_spaces(pid_end), "--- ") {
            h.pid = Some(&self.s[j..pid_end]);
            j = self.skip_spaces(self.skip_spaces(pid_end) + 4);
        } else if self.starts(j, "--- ") {
            j = self.skip_spaces(j + 4);
        }
        // A `[thread]` after the level counts only when a logger or a separator follows it
        // (`[client 1.2.3.4] File does not exist` is the message).
        if self.at(j) == b'[' && h.thread.is_none() {
            if let Some(end) = self.bracket_end(j) {
                let after = self.skip_spaces(end);
                if self.starts(after, "- ") || self.logger(after).is_some() {
                    h.thread = Some(&self.s[j + 1..end - 1]);
                    j = after;
                }
            }
        }
        if self.starts(j, "- ") {
            return Some(self.skip_spaces(j + 2));
        }
        if h.logger.is_none() {
            if let Some((name, after)) = self.logger(j) {
                h.logger = Some(name);
                return Some(after);
            }
        }
        Some(j)
    }

    /// After a timestamp: `host program[pid]: ` (or `program[pid]: ` without a host).
    fn syslog(&self, j: usize, kind: Ts, h: &mut Header<'a>) -> Option<usize> {
        let t1 = self.token_end(j);
        if let Some((prog, pid, body)) = self.program(j, t1) {
            if pid.is_some() {
                h.program = Some(prog);
                h.pid = pid;
                return Some(body);
            }
        }
        let host = &self.s[j..t1];
        if host.ends_with(':') || host.contains(['[', ']']) {
            return None;
        }
        let k = self.skip_spaces(t1);
        if k == t1 {
            return None;
        }
        let t2 = self.token_end(k);
        let (prog, pid, body) = self.program(k, t2)?;
        // `2024-01-29 11:23:02 job finished: ok` is a timestamp and a message: without a pid,
        // only the syslog timestamp forms vouch for a host and a program.
        if pid.is_none() && kind == Ts::Other {
            return None;
        }
        h.host = Some(host);
        h.program = Some(prog);
        h.pid = pid;
        Some(body)
    }

    /// `prog[pid]:` or `prog:` as the token `i..end`: program, pid, body start.
    fn program(&self, i: usize, end: usize) -> Option<(&'a str, Option<&'a str>, usize)> {
        if end <= i + 1 || self.at(end - 1) != b':' || end - i > 96 {
            return None;
        }
        let tok = &self.s[i..end - 1];
        let (prog, pid) = match tok.strip_suffix(']') {
            Some(rest) => {
                let open = rest.rfind('[')?;
                let pid = &rest[open + 1..];
                if pid.is_empty() || !pid.bytes().all(|c| c.is_ascii_digit()) {
                    return None;
                }
                (&rest[..open], Some(pid))
            }
            None => (tok, None),
        };
        let ok = |c: u8| c.is_ascii_alphanumeric() || matches!(c, b'_' | b'-' | b'.' | b'/' | b'(' | b')' | b'@');
        if prog.is_empty() || !prog.bytes().all(ok) || !prog.as_bytes()[0].is_ascii_alphabetic() {
            return None;
        }
        let body = if self.at(end) == b' ' { end + 1 } else { end };
        Some((prog, pid, body))
    }

    /// RFC 5424 after `<pri>1 `: `TIMESTAMP HOST APP PROCID MSGID SD [MSG]`.
    fn rfc5424(&self, i: usize) -> Option<(Header<'a>, usize)> {
        let mut fields = [""; 5];
        let mut k = i;
        for f in fields.iter_mut() {
            let end = self.token_end(k);
            if end == k || self.at(end) != b' ' {
                return None;
            }
            *f = &self.s[k..end];
            k = end + 1;
        }
        let nil = |v: &'a str| (v != "-").then_some(v);
        // Structured data: `-` or one or more `[id k="v" ...]`, `\"`, `\]` escaped in values.
        if self.at(k) == b'-' {
            k += 1;
        } else {
            while self.at(k) == b'[' {
                let mut q = false;
                let mut m = k + 1;
                loop {
                    match self.at(m) {
                        0 if m >= self.b.len() => return None,
                        b'\\' => m += 1,
                        b'"' => q = !q,
                        b']' if !q => break,
                        _ => {}
                    }
                    m += 1;
                }
                k = m + 1;
            }
            if k == i {
                return None;
            }
        }
        if self.at(k) == b' ' {
            k += 1;
        } else if k < self.b.len() {
            return None;
        }
        if self.starts(k, "\u{feff}") {
            k += 3;
        }
        let h = Header {
            timestamp: nil(fields[0]),
            host: nil(fields[1]),
            program: nil(fields[2]),
            pid: nil(fields[3]),
            ..Header::default()
        };
        Some((h, k))
    }
}

#[cfg(test)]
#[path = "header_tests.rs"]
mod tests;
