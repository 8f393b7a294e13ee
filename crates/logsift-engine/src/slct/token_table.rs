//! The input of a batch miner, masked once and interned: every distinct word gets a
//! small integer id, every line becomes a slice of ids. Shared by [`super`] (SLCT)
//! and [`crate::logcluster`], which both make two passes over the same lines.

use crate::{Masker, WILDCARD};
use rustc_hash::FxHashMap;

/// The id of a masked variable (`<*>`): never a frequent word.
pub(crate) const WILDCARD_ID: u32 = 0;

/// All lines' tokens as word ids, stored flat (`ids[starts[i]..starts[i + 1]]` is line `i`).
pub(crate) struct TokenTable {
    words: Vec<String>,
    index: FxHashMap<String, u32>,
    ids: Vec<u32>,
    starts: Vec<usize>,
}

impl TokenTable {
    fn empty() -> TokenTable {
        TokenTable { words: vec![WILDCARD.to_string()], index: FxHashMap::default(), ids: Vec::new(), starts: vec![0] }
    }

    /// Masks every line with `masker` (one pass) and interns its tokens.
    pub(crate) fn from_lines(lines: &[&str], masker: &Masker) -> TokenTable {
        let mut table = TokenTable::empty();
        for line in lines {
            let tokens = masker.masked_tokens(line);
            table.push_line(tokens.iter().map(String::as_str));
        }
        table
    }

    /// Interns lines that are already split and masked (`"<*>"` = variable).
    pub(crate) fn from_tokens<S: AsRef<str>>(lines: &[Vec<S>]) -> TokenTable {
        let mut table = TokenTable::empty();
        for tokens in lines {
            table.push_line(tokens.iter().map(AsRef::as_ref));
        }
        table
    }

    fn push_line<'a>(&mut self, tokens: impl Iterator<Item = &'a str>) {
        for token in tokens {
            let id = self.intern(token);
            self.ids.push(id);
        }
        self.starts.push(self.ids.len());
    }

    fn intern(&mut self, token: &str) -> u32 {
        if token == WILDCARD {
            return WILDCARD_ID;
        }
        if let Some(&id) = self.index.get(token) {
            return id;
        }
        let id = u32::try_from(self.words.len()).expect("fewer than 2^32 distinct words");
        self.words.push(token.to_string());
        self.index.insert(token.to_string(), id);
        id
    }

    pub(crate) fn n_lines(&self) -> usize {
        self.starts.len() - 1
    }

    /// Number of distinct word ids (the wildcard included), for sizing per-word arrays.
    pub(crate) fn n_words(&self) -> usize {
        self.words.len()
    }

    pub(crate) fn line(&self, i: usize) -> &[u32] {
        &self.ids[self.starts[i]..self.starts[i + 1]]
    }

    pub(crate) fn word(&self, id: u32) -> &str {
        &self.words[id as usize]
    }
}
