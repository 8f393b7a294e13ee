//! Pure message extraction: turns one document's `_source` into the text the engine mines.
//!
//! Two ways to get a message (see [`MessageSpec`]): a field (default `message`, dotted paths
//! such as `log.original` find nested objects and literal dotted keys alike), or a template built
//! from several fields for structured events (`"{service_type} {trace_name} {resource_type}"`).
//! By default a leading header (syslog `Jan 29 11:23:02 host sshd[10348]: `, RFC 5424, ISO
//! timestamps with the usual log4j/logback/Python layouts; see [`header`]) is cut off so that the
//! template is mined from the body, and its host/program/pid/level are kept ([`HeaderFields`]).
//! A document that yields no message gets a [`SkipReason`] that callers count and report;
//! extraction never panics and does no I/O.

pub mod header;

pub mod structured;

use serde_json::Value;
use std::borrow::Cow;
use std::fmt;

/// Default largest message mined, in bytes; larger ones are skipped as [`SkipReason::TooLarge`].
pub const DEFAULT_MAX_MESSAGE_BYTES: usize = 64 * 1024;

/// Where a document's message comes from.
#[derive(Clone, Debug, PartialEq)]
pub enum MessageSpec {
    /// One field, by dotted path.
    Field(String),
    /// A template with `{field.path}` placeholders; `{{` and `}}` are literal braces.
    Template(String),
}

impl Default for MessageSpec {
    fn default() -> Self {
        MessageSpec::Field("message".to_string())
    }
}

/// Everything that configures extraction.
#[derive(Clone, Debug, PartialEq)]
pub struct ExtractConfig {
    pub message: MessageSpec,
    /// What to do with a leading header (`source.header`).
    pub header: HeaderMode,
    /// Messages longer than this many bytes are skipped, not mined.
    pub max_message_bytes: usize,
    /// Fields by role instead of a message (audit events; see [`structured`]): the message is
    /// then the event's exact template key.
    pub structured: Option<structured::StructuredSpec>,
}

impl Default for ExtractConfig {
    fn default() -> Self {
        ExtractConfig {
            message: MessageSpec::default(),
            header: HeaderMode::Auto,
            max_message_bytes: DEFAULT_MAX_MESSAGE_BYTES,
            structured: None,
        }
    }
}

/// What the extractor does with a leading header.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum HeaderMode {
    /// Recognise the common headers ([`header::detect`]) and mine the body after them.
    #[default]
    Auto,
    /// Mine the message as it is.
    Off,
}

impl HeaderMode {
    /// `auto` or `off` (also `none`, `false`; `true` is `auto`), as in `source.header`.
    pub fn parse(s: &str) -> Option<HeaderMode> {
        match s.trim().to_ascii_lowercase().as_str() {
            "auto" | "true" | "on" => Some(HeaderMode::Auto),
            "off" | "none" | "false" => Some(HeaderMode::Off),
            _ => None,
        }
    }
}

/// The parts of a header the extractor cut off, for `logsift.header.*`.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct HeaderFields {
    pub host: Option<String>,
    pub program: Option<String>,
    pub pid: Option<String>,
    pub level: Option<String>,
}

impl HeaderFields {
    fn of(h: &header::Header<'_>) -> Option<HeaderFields> {
        let f = HeaderFields {
            host: h.host.map(String::from),
            program: h.program.map(String::from),
            pid: h.pid.map(String::from),
            level: h.level.map(String::from),
        };
        (f != HeaderFields::default()).then_some(f)
    }

    /// `{"host": .., "program": .., "pid": .., "level": ..}` with the parts present.
    pub fn to_json(&self) -> Value {
        let mut m = serde_json::Map::new();
        for (k, v) in [("host", &self.host), ("program", &self.program), ("pid", &self.pid), ("level", &self.level)] {
            if let Some(v) = v {
                m.insert(k.into(), Value::String(v.clone()));
            }
        }
        Value::Object(m)
    }
}

/// A document's message and the header cut off it.
#[derive(Clone, Debug, PartialEq)]
pub struct Extracted<'a> {
    pub message: Cow<'a, str>,
    /// The header's host/program/pid/level, when a header with any of them was cut off.
    pub header: Option<HeaderFields>,
}

/// Why a document yielded no message. Each reason is counted separately.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum SkipReason {
    /// The field (or a field of the template) is absent or null.
    MissingField(String),
    /// The field holds an object, array (or, for a message field, a number/bool).
    NotString(String),
    /// The message is larger than `max_message_bytes`.
    TooLarge { bytes: usize, limit: usize },
}

impl SkipReason {
    /// A short stable name for counters and logs: `missing_field`, `not_string`, `too_large`.
    pub fn kind(&self) -> &'static str {
        match self {
            SkipReason::MissingField(_) => "missing_field",
            SkipReason::NotString(_) => "not_string",
            SkipReason::TooLarge { .. } => "too_large",
        }
    }
}

impl fmt::Display for SkipReason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            SkipReason::MissingField(k) => write!(f, "field `{k}` is missing"),
            SkipReason::NotString(k) => write!(f, "field `{k}` is not a string"),
            SkipReason::TooLarge { bytes, limit } => {
                write!(f, "message of {bytes} bytes is larger than the limit of {limit}")
            }
        }
    }
}

/// A configuration the extractor refuses, naming the key at fault.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error("invalid setting `{key}`: {reason}")]
pub struct ExtractConfigError {
    pub key: String,
    pub reason: String,
}

#[derive(Clone, Debug, PartialEq)]
enum Part {
    Literal(String),
    Field(String),
}

/// A validated, ready-to-use extractor. Cheap to clone; share one per source.
#[derive(Clone, Debug)]
pub struct Extractor {
    parts: Vec<Part>,
    single_field: bool,
    header: HeaderMode,
    max_bytes: usize,
    structured: Option<std::sync::Arc<(structured::StructuredSpec, crate::engine::Masker)>>,
}

impl Extractor {
    pub fn new(config: &ExtractConfig) -> Result<Extractor, ExtractConfigError> {
        if config.max_message_bytes == 0 {
            return Err(ExtractConfigError {
                key: "source.max_message_bytes".into(),
                reason: "must be greater than 0".into(),
            });
        }
        let (parts, single_field) = match &config.message {
            MessageSpec::Field(path) => {
                check_path("source.message_field", path)?;
                (vec![Part::Field(path.clone())], true)
            }
            MessageSpec::Template(t) => (parse_template(t)?, false),
        };
        let structured = match &config.structured {
            None => None,
            Some(spec) => {
                spec.validate()?;
                let masker = crate::engine::Masker::new(&Default::default()).expect("default masks are valid");
                Some(std::sync::Arc::new((spec.clone(), masker)))
            }
        };
        Ok(Extractor { parts, single_field, header: config.header, max_bytes: config.max_message_bytes, structured })
    }

    /// The roles of a structured source (`None`: a message source).
    pub fn structured(&self) -> Option<&structured::StructuredSpec> {
        self.structured.as_deref().map(|s| &s.0)
    }

    /// The fields this extractor reads (for `_source` filtering of searches).
    pub fn fields(&self) -> Vec<&str> {
        if let Some(s) = &self.structured {
            return s.0.fields();
        }
        self.parts
            .iter()
            .filter_map(|p| match p {
                Part::Field(f) => Some(f.as_str()),
                Part::Literal(_) => None,
            })
            .collect()
    }

    /// The message of one document's `_source` (its body, after a header), or why there is none.
    pub fn extract<'a>(&self, source: &'a Value) -> Result<Cow<'a, str>, SkipReason> {
        Ok(self.extract_parts(source)?.message)
    }

    /// What to do with headers.
    pub fn header_mode(&self) -> HeaderMode {
        self.header
    }

    /// A line of text as a message (`logsift cluster` on plain lines): the header rule only,
    /// without the header's fields (`header` is `None`).
    pub fn line<'a>(&self, line: Cow<'a, str>) -> Extracted<'a> {
        self.cut_header(line, false)
    }

    /// The message of one document's `_source` and the header cut off it, or why there is none.
    pub fn extract_parts<'a>(&self, source: &'a Value) -> Result<Extracted<'a>, SkipReason> {
        if let Some(s) = &self.structured {
            let key = s.0.key(source, &|t| s.1.masked_tokens(t).join(" "))?;
            if key.len() > self.max_bytes {
                return Err(SkipReason::TooLarge { bytes: key.len(), limit: self.max_bytes });
            }
            // A structured event's key is built from fields: it has no header.
            return Ok(Extracted { message: Cow::Owned(key), header: None });
        }
        let msg: Cow<'a, str> = if self.single_field {
            let Part::Field(path) = &self.parts[0] else { unreachable!("single field") };
            match lookup(source, path) {
                None | Some(Value::Null) => return Err(SkipReason::MissingField(path.clone())),
                Some(Value::String(s)) => Cow::Borrowed(s.as_str()),
                Some(_) => return Err(SkipReason::NotString(path.clone())),
            }
        } else {
            let mut out = String::new();
            for part in &self.parts {
                match part {
                    Part::Literal(l) => out.push_str(l),
                    Part::Field(path) => match lookup(source, path) {
                        None | Some(Value::Null) => return Err(SkipReason::MissingField(path.clone())),
                        Some(Value::String(s)) => out.push_str(s),
                        // Scalars in structured events are part of the event's shape.
                        Some(Value::Number(n)) => out.push_str(&n.to_string()),
                        Some(Value::Bool(b)) => out.push_str(if *b { "true" } else { "false" }),
                        Some(_) => return Err(SkipReason::NotString(path.clone())),
                    },
                }
                if out.len() > self.max_bytes {
                    return Err(SkipReason::TooLarge { bytes: out.len(), limit: self.max_bytes });
                }
            }
            // A message built from fields is used as built: it has no header.
            return Ok(Extracted { message: Cow::Owned(out), header: None });
        };
        if msg.len() > self.max_bytes {
            return Err(SkipReason::TooLarge { bytes: msg.len(), limit: self.max_bytes });
        }
        Ok(self.cut_header(msg, true))
    }

    fn cut_header<'a>(&self, msg: Cow<'a, str>, fields: bool) -> Extracted<'a> {
        if self.header == HeaderMode::Off {
            return Extracted { message: msg, header: None };
        }
        // A bare header (nothing after it) is not cut: the line is kept rather than mined empty.
        let Some(d) = header::detect(&msg) else { return Extracted { message: msg, header: None } };
        let (start, fields) = (d.body_start, if fields { HeaderFields::of(&d.header) } else { None });
        let message = match msg {
            Cow::Borrowed(s) => Cow::Borrowed(&s[start..]),
            Cow::Owned(mut s) => {
                s.drain(..start);
                Cow::Owned(s)
            }
        };
        Extracted { message, header: fields }
    }
}

/// Finds a dotted path in `_source`: `a.b.c` matches `{"a":{"b":{"c":..}}}`, `{"a.b":{"c":..}}`,
/// `{"a.b.c":..}` and so on (Elasticsearch treats these alike). The longest literal key wins.
pub fn lookup<'a>(value: &'a Value, path: &str) -> Option<&'a Value> {
    let obj = value.as_object()?;
    if let Some(v) = obj.get(path) {
        return Some(v);
    }
    // Try split points from the right so that longer literal keys are preferred.
    let mut rest = path;
    while let Some(i) = rest.rfind('.') {
        let (head, tail) = (&path[..i], &path[i + 1..]);
        if let Some(inner) = obj.get(head) {
            if let Some(v) = lookup(inner, tail) {
                return Some(v);
            }
        }
        rest = &path[..i];
    }
    None
}

fn check_path(key: &str, path: &str) -> Result<(), ExtractConfigError> {
    if path.is_empty() || path.starts_with('.') || path.ends_with('.') || path.contains("..") {
        return Err(ExtractConfigError {
            key: key.into(),
            reason: format!("`{path}` is not a field path (expected e.g. `message` or `log.original`)"),
        });
    }
    Ok(())
}

fn parse_template(t: &str) -> Result<Vec<Part>, ExtractConfigError> {
    let key = "source.message_template";
    let err = |reason: String| ExtractConfigError { key: key.into(), reason };
    let mut parts = Vec::new();
    let mut lit = String::new();
    let mut chars = t.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '{' if chars.peek() == Some(&'{') => {
                chars.next();
                lit.push('{');
            }
            '}' if chars.peek() == Some(&'}') => {
                chars.next();
                lit.push('}');
            }
            '{' => {
                let mut name = String::new();
                loop {
                    match chars.next() {
                        Some('}') => break,
                        Some(c) => name.push(c),
                        None => return Err(err(format!("unclosed `{{` in `{t}`"))),
                    }
                }
                let name = name.trim().to_string();
                check_path(key, &name)?;
                if !lit.is_empty() {
                    parts.push(Part::Literal(std::mem::take(&mut lit)));
                }
                parts.push(Part::Field(name));
            }
            '}' => return Err(err(format!("unmatched `}}` in `{t}` (write `}}}}` for a brace)"))),
            c => lit.push(c),
        }
    }
    if !lit.is_empty() {
        parts.push(Part::Literal(lit));
    }
    if !parts.iter().any(|p| matches!(p, Part::Field(_))) {
        return Err(err(format!("`{t}` names no field (write fields as `{{name}}`)")));
    }
    Ok(parts)
}

#[cfg(test)]
mod tests;
