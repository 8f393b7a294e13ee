//! A parser for Logstash's pipeline configuration language, enough to check our pipeline files:
//! sections (`input`, `filter`, `output`) of plugins with `key => value` settings (strings,
//! numbers, barewords, arrays, hashes) and `if / else if / else` blocks. Errors carry the line.

#[derive(Debug, Clone, PartialEq)]
pub enum Value {
    Str(String),
    Bare(String),
    Array(Vec<Value>),
    Hash(Vec<(String, Value)>),
}

#[derive(Debug, Clone, PartialEq)]
pub enum Node {
    Plugin {
        name: String,
        settings: Vec<(String, Value)>,
    },
    /// (condition text, body) per branch; `else` has an empty condition.
    Cond(Vec<(String, Vec<Node>)>),
}

#[derive(Debug)]
pub struct Pipeline {
    pub sections: Vec<(String, Vec<Node>)>,
}

impl Pipeline {
    fn walk<'a>(nodes: &'a [Node], out: &mut Vec<(&'a str, &'a [(String, Value)])>) {
        for n in nodes {
            match n {
                Node::Plugin { name, settings } => out.push((name, settings)),
                Node::Cond(branches) => branches.iter().for_each(|(_, b)| Self::walk(b, out)),
            }
        }
    }

    fn all(&self, section: &str) -> Vec<(&str, &[(String, Value)])> {
        let mut out = Vec::new();
        for (s, nodes) in &self.sections {
            if s == section {
                Self::walk(nodes, &mut out);
            }
        }
        out
    }

    /// Plugin names of a section, in order, conditionals flattened.
    pub fn plugins(&self, section: &str) -> Vec<&str> {
        self.all(section).into_iter().map(|(n, _)| n).collect()
    }

    /// String values of `key` in every `plugin` of `section`: a setting of that name, or a key
    /// of a hash-valued setting (e.g. grok's `match => { "message" => "..." }`).
    pub fn plugin_settings(&self, section: &str, plugin: &str, key: &str) -> Vec<String> {
        let mut out = Vec::new();
        for (name, settings) in self.all(section) {
            if name != plugin {
                continue;
            }
            for (k, v) in settings {
                match v {
                    Value::Str(s) | Value::Bare(s) if k == key => out.push(s.clone()),
                    Value::Hash(h) => out.extend(h.iter().filter(|(hk, _)| hk == key).filter_map(|(_, hv)| match hv {
                        Value::Str(s) | Value::Bare(s) => Some(s.clone()),
                        _ => None,
                    })),
                    _ => {}
                }
            }
        }
        out
    }
}

struct Parser<'a> {
    s: &'a [u8],
    i: usize,
}

type R<T> = Result<T, String>;

impl Parser<'_> {
    fn line(&self) -> usize {
        self.s[..self.i].iter().filter(|&&b| b == b'\n').count() + 1
    }
    fn err<T>(&self, what: &str) -> R<T> {
        Err(format!("line {}: {what}", self.line()))
    }
    fn skip(&mut self) {
        while self.i < self.s.len() {
            match self.s[self.i] {
                b' ' | b'\t' | b'\r' | b'\n' => self.i += 1,
                b'#' => {
                    while self.i < self.s.len() && self.s[self.i] != b'\n' {
                        self.i += 1;
                    }
                }
                _ => break,
            }
        }
    }
    fn peek(&mut self) -> Option<u8> {
        self.skip();
        self.s.get(self.i).copied()
    }
    fn expect(&mut self, c: u8) -> R<()> {
        if self.peek() == Some(c) {
            self.i += 1;
            Ok(())
        } else {
            self.err(&format!("expected '{}'", c as char))
        }
    }
    fn word(&mut self) -> R<String> {
        self.skip();
        let start = self.i;
        while self.i < self.s.len() && (self.s[self.i].is_ascii_alphanumeric() || b"_-.@".contains(&self.s[self.i])) {
            self.i += 1;
        }
        if start == self.i {
            return self.err("expected a name");
        }
        Ok(String::from_utf8_lossy(&self.s[start..self.i]).into_owned())
    }
    fn string(&mut self) -> R<String> {
        let q = self.s[self.i];
        self.i += 1;
        let mut out = Vec::new();
        while self.i < self.s.len() && self.s[self.i] != q {
            if self.s[self.i] == b'\\' && self.i + 1 < self.s.len() {
                out.push(self.s[self.i]);
                self.i += 1;
            }
            out.push(self.s[self.i]);
            self.i += 1;
        }
        if self.i >= self.s.len() {
            return self.err("unterminated string");
        }
        self.i += 1;
        Ok(String::from_utf8_lossy(&out).into_owned())
    }
    fn key(&mut self) -> R<String> {
        match self.peek() {
            Some(b'"' | b'\'') => self.string(),
            Some(b'[') => {
                // a field reference used as a hash key: [@metadata][kind]
                let start = self.i;
                while self.peek() == Some(b'[') {
                    while self.i < self.s.len() && self.s[self.i] != b']' {
                        self.i += 1;
                    }
                    self.i += 1;
                }
                Ok(String::from_utf8_lossy(&self.s[start..self.i]).into_owned())
            }
            _ => self.word(),
        }
    }
    fn value(&mut self) -> R<Value> {
        match self.peek() {
            Some(b'"' | b'\'') => Ok(Value::Str(self.string()?)),
            Some(b'[') => {
                self.i += 1;
                let mut items = Vec::new();
                while self.peek() != Some(b']') {
                    items.push(self.value()?);
                    if self.peek() == Some(b',') {
                        self.i += 1;
                    }
                }
                self.i += 1;
                Ok(Value::Array(items))
            }
            Some(b'{') => {
                self.i += 1;
                let mut items = Vec::new();
                while self.peek() != Some(b'}') {
                    let k = self.key()?;
                    self.arrow()?;
                    items.push((k, self.value()?));
                    if self.peek() == Some(b',') {
                        self.i += 1;
                    }
                }
                self.i += 1;
                Ok(Value::Hash(items))
            }
            Some(_) => Ok(Value::Bare(self.word()?)),
            None => self.err("expected a value"),
        }
    }
    fn arrow(&mut self) -> R<()> {
        self.skip();
        if self.s[self.i..].starts_with(b"=>") {
            self.i += 2;
            Ok(())
        } else {
            self.err("expected '=>'")
        }
    }
    /// Condition text up to the opening brace (strings may contain braces).
    fn condition(&mut self) -> R<String> {
        self.skip();
        let start = self.i;
        while self.i < self.s.len() && self.s[self.i] != b'{' {
            if self.s[self.i] == b'"' || self.s[self.i] == b'\'' {
                self.string()?;
            } else {
                self.i += 1;
            }
        }
        let c = String::from_utf8_lossy(&self.s[start..self.i]).trim().to_owned();
        if c.is_empty() {
            return self.err("empty condition");
        }
        Ok(c)
    }
    fn block(&mut self) -> R<Vec<Node>> {
        self.expect(b'{')?;
        let mut nodes = Vec::new();
        while self.peek() != Some(b'}') {
            if self.peek().is_none() {
                return self.err("unclosed block");
            }
            let name = self.word()?;
            if name == "if" {
                let mut branches = vec![(self.condition()?, self.block()?)];
                loop {
                    let save = self.i;
                    if self.peek().is_some_and(|c| c == b'e') && self.word()? == "else" {
                        let save2 = self.i;
                        if self.peek() == Some(b'i') && self.word()? == "if" {
                            branches.push((self.condition()?, self.block()?));
                            continue;
                        }
                        self.i = save2;
                        branches.push((String::new(), self.block()?));
                    } else {
                        self.i = save;
                    }
                    break;
                }
                nodes.push(Node::Cond(branches));
            } else {
                nodes.push(Node::Plugin { name, settings: self.settings()? });
            }
        }
        self.i += 1;
        Ok(nodes)
    }
    fn settings(&mut self) -> R<Vec<(String, Value)>> {
        self.expect(b'{')?;
        let mut out = Vec::new();
        while self.peek() != Some(b'}') {
            if self.peek().is_none() {
                return self.err("unclosed plugin");
            }
            let k = self.word()?;
            self.arrow()?;
            out.push((k, self.value()?));
        }
        self.i += 1;
        Ok(out)
    }
}

/// Parses a pipeline file; only `input`, `filter` and `output` sections are allowed.
pub fn parse_logstash(text: &str) -> Result<Pipeline, String> {
    let mut p = Parser { s: text.as_bytes(), i: 0 };
    let mut sections = Vec::new();
    while p.peek().is_some() {
        let name = p.word()?;
        if !["input", "filter", "output"].contains(&name.as_str()) {
            return p.err(&format!("unknown section {name}"));
        }
        sections.push((name, p.block()?));
    }
    if sections.is_empty() {
        return Err("no section".into());
    }
    Ok(Pipeline { sections })
}

#[test]
fn parser_refuses_broken_configs() {
    assert!(parse_logstash("input { file { path => \"/x\" }").is_err());
    assert!(parse_logstash("inptu { }").is_err());
    assert!(parse_logstash("filter { mutate { add_field => { \"a\" \"b\" } } }").is_err());
    let ok =
        parse_logstash("filter { if [a] == \"{\" { mutate { x => 1 } } else if ![b] { grok { } } else { drop { } } }")
            .unwrap();
    assert_eq!(ok.plugins("filter"), vec!["mutate", "grok", "drop"]);
}
