//! Tokenisation and masking of variables, in one pass over the line.
//!
//! A line is split at white space into tokens. A date/time written across several tokens
//! (`Fri Jun 17 07:07:00 2005`, `2016-09-28 04:30:31,180`) becomes one variable token.
//! Each remaining token is masked: whole-token shapes first (URL, e-mail, path, IPv4/IPv6
//! with port, host:port, UUID, MAC, time), then the token is cut into words at punctuation
//! and every word that looks like a value (a number, hex, an id with many digits, a size or
//! duration such as `5000ms`) becomes [`WILDCARD`]; wildcards joined by `.` or `-` fold
//! into one (`2.6.5-1.358` → `<*>`). Punctuation and constant words stay, so `uid=0`
//! masks to `uid=<*>` and `mice.c(1)` to `mice.c(<*>)`.
//!
//! Custom masks (regexes) run first on the whole line; each match becomes a variable.

use super::{ConfigError, WILDCARD};
use regex::Regex;
use std::borrow::Cow;

/// Built-in masks, on by default, that can be turned off by name.
pub const BUILTIN_MASKS: &[&str] = &[
    "datetime", "quantity", "url", "email", "path", "hostname", "ipv4", "ipv6", "hostport", "uuid", "mac", "hex",
    "number", "literal",
];

/// Built-in masks that are off by default and can be turned on by name.
/// `kv`: every non-empty value of `key=value` is a variable, whatever it looks like.
pub const OPTIONAL_MASKS: &[&str] = &["kv"];

/// A user-defined mask: every match of `regex` becomes one variable.
#[derive(Clone, Debug, PartialEq)]
pub struct CustomMask {
    pub name: String,
    pub regex: String,
}

/// Which masks apply. The default: every mask of [`BUILTIN_MASKS`], none of [`OPTIONAL_MASKS`].
#[derive(Clone, Debug, Default, PartialEq)]
pub struct MaskConfig {
    /// Names from [`BUILTIN_MASKS`] to turn off.
    pub disable: Vec<String>,
    /// Names from [`OPTIONAL_MASKS`] to turn on.
    pub enable: Vec<String>,
    /// Extra masks, applied to the whole line before the built-in ones.
    pub custom: Vec<CustomMask>,
}

impl MaskConfig {
    pub fn validate(&self) -> Result<(), ConfigError> {
        for name in &self.disable {
            if !BUILTIN_MASKS.contains(&name.as_str()) {
                return Err(ConfigError::new(
                    "masks.disable",
                    format!("unknown mask `{name}` (built-in: {})", BUILTIN_MASKS.join(", ")),
                ));
            }
        }
        for name in &self.enable {
            if !OPTIONAL_MASKS.contains(&name.as_str()) {
                return Err(ConfigError::new(
                    "masks.enable",
                    format!("unknown mask `{name}` (optional: {})", OPTIONAL_MASKS.join(", ")),
                ));
            }
        }
        for m in &self.custom {
            if m.name.is_empty() {
                return Err(ConfigError::new("masks.custom.name", "must not be empty"));
            }
            let re = Regex::new(&m.regex)
                .map_err(|e| ConfigError::new(format!("masks.custom.{}.regex", m.name), e.to_string()))?;
            if re.is_match("") {
                return Err(ConfigError::new(format!("masks.custom.{}.regex", m.name), "matches the empty string"));
            }
        }
        Ok(())
    }
}

/// The switches of one masker, resolved from a [`MaskConfig`].
#[derive(Clone, Copy, Debug)]
struct Switches {
    datetime: bool,
    quantity: bool,
    url: bool,
    email: bool,
    path: bool,
    hostname: bool,
    ipv4: bool,
    ipv6: bool,
    hostport: bool,
    uuid: bool,
    mac: bool,
    hex: bool,
    number: bool,
    literal: bool,
    kv: bool,
}

/// A tokenised, masked line. Reused across lines to avoid allocation.
#[derive(Clone, Debug, Default)]
pub struct Tokens {
    /// The line the spans refer to (after custom masks).
    line: String,
    /// Byte ranges of each token in `line`.
    spans: Vec<(u32, u32)>,
    /// The masked form of every token, concatenated; `ends[i]` is where token i ends.
    masked: String,
    ends: Vec<u32>,
    /// The id of every masked token, from the [`Resolve`] given to `tokenize_with`.
    ids: Vec<u32>,
    /// Whether the masked form of each token keeps an ASCII digit (`ssh2`).
    digits: Vec<bool>,
    /// Scratch: raw token boundaries and byte classes.
    raw: Vec<(u32, u32, u8)>,
    /// Masked forms of recently seen tokens (see [`Tokens::with_memo`]).
    memo: Option<Box<TokenMemo>>,
}

/// Ids for masked tokens: the miner's interner. The memo keeps a token's id with the
/// epoch it was resolved in, and asks again once the epoch has moved on.
pub(crate) trait Resolve {
    fn id(&self, masked: &str) -> u32;
    /// Changes whenever `id` may answer differently for some token.
    fn epoch(&self) -> u32;
}

/// No ids (every id is 0), for callers that want only the masked tokens.
struct NoIds;

impl Resolve for NoIds {
    fn id(&self, _: &str) -> u32 {
        0
    }
    fn epoch(&self) -> u32 {
        0
    }
}

/// A direct-mapped memo from a token to its masked form and id. Masking a single token is
/// a pure function of its text (the masks that look across tokens, dates and quantities,
/// are decided before), and most tokens of a log stream recur (`pam_unix(sshd:auth):`,
/// `NameSystem.addStoredBlock:`, every constant word), so a hit skips the shape checks and
/// the interner's hash lookup. Masking also ignores the values of digits (see
/// [`Masker::ignores_digit_values`]), so a token whose masked form keeps no digit is
/// remembered by its *shape*, its digits written as `0`: `10.251.42.84:50010` and
/// `10.250.11.53:50010` share `<*>`. A token whose masked form keeps a digit (`ssh2`) is
/// remembered as it is. A slot holds the last token that hashed to it; a miss computes
/// afresh and overwrites the slot. The memo never changes a result, only the work done for
/// it (a test checks that).
#[derive(Clone, Debug)]
struct TokenMemo {
    slots: Vec<MemoSlot>,
    /// Whether tokens may be remembered by shape (the masker ignores digits' values).
    by_shape: bool,
}

/// One cache line: the hash of the token's shape, its id and epoch, the token (or its
/// shape, when `exact` is false) and its masked form inline (no pointer to chase on a
/// hit). `masked_len == SAME` when the masked form is the token itself. `token_len == 0`
/// marks an empty slot (tokens are never empty).
#[derive(Clone, Copy, Debug)]
#[repr(C, align(64))]
struct MemoSlot {
    hash: u64,
    id: u32,
    epoch: u32,
    token_len: u8,
    masked_len: u8,
    exact: bool,
    buf: [u8; 45],
}

impl TokenMemo {
    const BITS: u32 = 13;
    const SLOTS: usize = 1 << Self::BITS;
    const SAME: u8 = u8::MAX;
    /// Tokens longer than a slot's buffer are never remembered.
    const MAX_TOKEN: usize = 45;

    fn new(by_shape: bool) -> Self {
        let empty = MemoSlot { hash: 0, id: 0, epoch: 0, token_len: 0, masked_len: 0, exact: true, buf: [0; 45] };
        TokenMemo { slots: vec![empty; Self::SLOTS], by_shape }
    }

    /// The slot of `tok`, and whether it holds `tok` (or a token of its shape, when it was
    /// remembered by shape).
    /// `digits`: whether `tok` has an ASCII digit (its shape is itself otherwise).
    fn slot(&mut self, tok: &[u8], digits: bool) -> (&mut MemoSlot, bool) {
        let n = tok.len();
        let mut shape = [0u8; Self::MAX_TOKEN];
        let key = match shape.get_mut(..n) {
            Some(sh) if self.by_shape && digits => {
                for (o, &c) in sh.iter_mut().zip(tok) {
                    *o = if c.is_ascii_digit() { b'0' } else { c };
                }
                &*sh
            }
            _ => tok,
        };
        let h = hash_bytes(key);
        let slot = &mut self.slots[(h >> (64 - Self::BITS)) as usize];
        let hit =
            slot.hash == h && slot.token_len as usize == n && slot.buf[..n] == *(if slot.exact { tok } else { key });
        if !hit {
            slot.hash = h;
            slot.token_len = 0;
        }
        (slot, hit)
    }
}

impl MemoSlot {
    fn masked(&self) -> &str {
        let n = self.token_len as usize;
        let b = match self.masked_len {
            TokenMemo::SAME => &self.buf[..n],
            m => &self.buf[n..n + m as usize],
        };
        // SAFETY: only `fill` writes the buffer, copying two whole `str`s (the token, or
        // its shape: the token with ASCII digits replaced by ASCII digits, and its masked
        // form), and a slot is read only once `fill` has set `token_len`.
        unsafe { std::str::from_utf8_unchecked(b) }
    }

    /// Remembers `masked` and `id` for `tok`, if the texts fit: by shape when `by_shape`
    /// and `masked` keeps no digit (it is then the masked form of every token of that
    /// shape), else as it is. The slot was given by [`TokenMemo::slot`] for `tok`, whose
    /// hash was of the shape when `by_shape`.
    fn fill(&mut self, tok: &str, masked: &str, id: u32, epoch: u32, by_shape: bool) {
        let (tok, masked) = (tok.as_bytes(), masked.as_bytes());
        let n = tok.len();
        let exact = !by_shape || masked.iter().any(u8::is_ascii_digit);
        if masked == tok && n <= self.buf.len() {
            self.buf[..n].copy_from_slice(tok);
            self.masked_len = TokenMemo::SAME;
        } else if n + masked.len() <= self.buf.len() {
            self.buf[..n].copy_from_slice(tok);
            self.buf[n..n + masked.len()].copy_from_slice(masked);
            self.masked_len = masked.len() as u8;
        } else {
            return;
        }
        if !exact {
            for c in &mut self.buf[..n] {
                if c.is_ascii_digit() {
                    *c = b'0';
                }
            }
        }
        (self.id, self.epoch, self.token_len, self.exact) = (id, epoch, n as u8, exact);
    }
}

fn hash_bytes(b: &[u8]) -> u64 {
    use std::hash::Hasher;
    let mut h = rustc_hash::FxHasher::default();
    h.write(b);
    // FxHash's low bits are weak; the slot index comes from the high bits.
    h.finish() | 1
}

impl Tokens {
    /// Scratch tokens that remember the masked forms of recent tokens, for a caller that
    /// tokenises many lines with one `Tokens` and one [`Masker`] (the miner): the memo
    /// belongs to that masker's configuration. Results are the same as without.
    pub(crate) fn with_memo(masker: &Masker) -> Tokens {
        Tokens { memo: Some(Box::new(TokenMemo::new(masker.ignores_digit_values()))), ..Tokens::default() }
    }

    pub fn len(&self) -> usize {
        self.spans.len()
    }

    pub fn is_empty(&self) -> bool {
        self.spans.is_empty()
    }

    /// The byte range of every token in the line (after custom masks).
    pub(crate) fn spans(&self) -> &[(u32, u32)] {
        &self.spans
    }

    /// The id of every token, from the resolver given to `Masker::tokenize_with`.
    pub(crate) fn ids(&self) -> &[u32] {
        &self.ids
    }

    /// Whether the masked form of token `i` keeps an ASCII digit.
    pub(crate) fn keeps_digit(&self, i: usize) -> bool {
        self.digits[i]
    }

    /// The masked form of token `i`.
    pub fn masked(&self, i: usize) -> &str {
        let start = if i == 0 { 0 } else { self.ends[i - 1] as usize };
        &self.masked[start..self.ends[i] as usize]
    }

    /// The original text of token `i` (a multi-token date keeps its inner spaces).
    pub fn original(&self, i: usize) -> &str {
        let (a, b) = self.spans[i];
        &self.line[a as usize..b as usize]
    }

    /// The white space before token `i`; `i == len()` gives what trails the last token.
    pub fn separator(&self, i: usize) -> &str {
        let start = if i == 0 { 0 } else { self.spans[i - 1].1 as usize };
        let end = if i < self.spans.len() { self.spans[i].0 as usize } else { self.line.len() };
        &self.line[start..end]
    }

    fn clear(&mut self) {
        self.raw.clear();
        self.line.clear();
        self.spans.clear();
        self.masked.clear();
        self.ends.clear();
        self.ids.clear();
        self.digits.clear();
    }
}

/// Splits a line into tokens and masks the variable parts of each.
#[derive(Clone, Debug)]
pub struct Masker {
    config: MaskConfig,
    on: Switches,
    custom: Vec<Regex>,
}

impl Masker {
    pub fn new(config: &MaskConfig) -> Result<Masker, ConfigError> {
        config.validate()?;
        let off = |n: &str| config.disable.iter().any(|d| d == n);
        let on = Switches {
            datetime: !off("datetime"),
            quantity: !off("quantity"),
            hostname: !off("hostname"),
            url: !off("url"),
            email: !off("email"),
            path: !off("path"),
            ipv4: !off("ipv4"),
            ipv6: !off("ipv6"),
            hostport: !off("hostport"),
            uuid: !off("uuid"),
            mac: !off("mac"),
            hex: !off("hex"),
            number: !off("number"),
            literal: !off("literal"),
            kv: config.enable.iter().any(|d| d == "kv"),
        };
        let custom = config.custom.iter().map(|m| Regex::new(&m.regex).expect("validated")).collect();
        Ok(Masker { config: config.clone(), on, custom })
    }

    pub fn config(&self) -> &MaskConfig {
        &self.config
    }

    /// The line's tokens with their variable parts replaced by [`WILDCARD`]. A token that
    /// is `"<*>"` as a whole is a variable.
    pub fn masked_tokens(&self, line: &str) -> Vec<String> {
        let mut t = Tokens::default();
        self.tokenize(line, &mut t);
        (0..t.len()).map(|i| t.masked(i).to_string()).collect()
    }

    /// Tokenises and masks `line` into `out` (cleared first).
    pub fn tokenize(&self, line: &str, out: &mut Tokens) {
        self.tokenize_with(line, out, &NoIds)
    }

    /// [`Masker::tokenize`], also giving each masked token its id from `ids`.
    pub(crate) fn tokenize_with<R: Resolve>(&self, line: &str, out: &mut Tokens, ids: &R) {
        self.scan::<true, R>(&self.apply_custom(line), out, ids)
    }

    /// [`Masker::tokenize_with`] for a line that [`Masker::apply_custom`] has made.
    pub(crate) fn tokenize_custom_applied<R: Resolve>(&self, line: &str, out: &mut Tokens, ids: &R) {
        self.scan::<true, R>(line, out, ids)
    }

    /// Whether two lines that differ only in the values of their ASCII digits (`port 22`,
    /// `port 81`) are cut into the same tokens and masked alike (the masked forms differ only
    /// where they keep a digit). True with the `number` mask on: no shape test reads a
    /// digit's value except the hex mask's `0x` prefix, and with `number` on a word that
    /// starts with a digit is a variable before that test is reached. Custom masks come
    /// before, on the line as it is. A test holds the built-in masks to this.
    pub(crate) fn ignores_digit_values(&self) -> bool {
        self.on.number
    }

    /// Only the tokens' boundaries, as [`Masker::tokenize`] draws them (`len`, `original`,
    /// `separator`), without masking each token: `masked` is then empty for most tokens.
    /// For reading a message's values against a known template.
    pub(crate) fn split(&self, line: &str, out: &mut Tokens) {
        self.scan::<false, NoIds>(&self.apply_custom(line), out, &NoIds)
    }

    fn scan<const MASK: bool, R: Resolve>(&self, line: &str, out: &mut Tokens, ids: &R) {
        out.clear();
        out.line.push_str(line);
        let line = std::mem::take(&mut out.line);
        let mut raw = std::mem::take(&mut out.raw);
        raw.clear();
        split_tokens(line.as_bytes(), &mut raw);
        let epoch = ids.epoch();
        let mut k = 0;
        while k < raw.len() {
            let (a, b, class) = raw[k];
            let tok = &line[a as usize..b as usize];
            let start = out.masked.len();
            let first = tok.as_bytes()[0];
            // The masks that look across tokens: a date/time (`Jun 17 07:07:00`, `Mon,`,
            // `2016-09-28`: what `datetime_tokens` can start with) and a quantity.
            let mut n = 0;
            if self.on.datetime && may_start_datetime(tok.as_bytes()) {
                n = datetime_tokens(&line, &raw[k..]);
            }
            let mut affix = ("", "");
            if n == 0
                && self.on.quantity
                && class & DIGIT != 0
                && (first.is_ascii_digit() || matches!(first, b'<' | b'>' | b'~' | b'(' | b'='))
            {
                (n, affix) = quantity_tokens(&line, &raw[k..]);
            }
            let id = if n > 0 {
                out.spans.push((a, raw[k + n - 1].1));
                out.masked.push_str(affix.0);
                out.masked.push_str(WILDCARD);
                out.masked.push_str(affix.1);
                k += n;
                ids.id(&out.masked[start..])
            } else if class == DIGIT && self.on.number {
                // Digits only: a number (a number word is a variable whatever else is on).
                out.spans.push((a, b));
                out.masked.push_str(WILDCARD);
                k += 1;
                ids.id(WILDCARD)
            } else if !MASK {
                out.spans.push((a, b));
                k += 1;
                0
            } else {
                out.spans.push((a, b));
                k += 1;
                let by_shape = out.memo.as_ref().is_some_and(|m| m.by_shape);
                match out.memo.as_deref_mut().map(|m| m.slot(tok.as_bytes(), class & DIGIT != 0)) {
                    Some((slot, true)) => {
                        out.masked.push_str(slot.masked());
                        if slot.epoch != epoch {
                            (slot.id, slot.epoch) = (ids.id(&out.masked[start..]), epoch);
                        }
                        // Remembered by shape exactly when the masked form keeps no digit.
                        if by_shape {
                            out.digits.push(slot.exact);
                            out.ends.push(out.masked.len() as u32);
                            out.ids.push(slot.id);
                            continue;
                        }
                        slot.id
                    }
                    Some((slot, false)) => {
                        self.mask_one(tok, class, &mut out.masked);
                        let id = ids.id(&out.masked[start..]);
                        slot.fill(tok, &out.masked[start..], id, epoch, by_shape);
                        id
                    }
                    None => {
                        self.mask_one(tok, class, &mut out.masked);
                        ids.id(&out.masked[start..])
                    }
                }
            };
            out.digits.push(out.masked.as_bytes()[start..].iter().any(u8::is_ascii_digit));
            out.ends.push(out.masked.len() as u32);
            out.ids.push(id);
        }
        out.raw = raw;
        out.line = line;
    }

    /// Appends the masked form of one token of byte classes `class`: a word of letters
    /// only is itself, unless it is a literal (`true`, `null`).
    fn mask_one(&self, tok: &str, class: u8, out: &mut String) {
        if class == ALPHA && !(self.on.literal && is_literal(tok)) {
            out.push_str(tok);
        } else {
            self.mask_token(tok, out);
        }
    }

    /// The line with every match of the custom masks replaced by [`WILDCARD`], in order.
    #[inline]
    pub(crate) fn apply_custom<'a>(&self, line: &'a str) -> Cow<'a, str> {
        let mut cur = Cow::Borrowed(line);
        for re in &self.custom {
            if re.is_match(&cur) {
                cur = Cow::Owned(re.replace_all(&cur, WILDCARD).into_owned());
            }
        }
        cur
    }

    /// Appends the masked form of one white-space-free token to `out`.
    fn mask_token(&self, tok: &str, out: &mut String) {
        if tok == WILDCARD {
            out.push_str(WILDCARD);
            return;
        }
        // Whole-token shapes, looked at without surrounding brackets and trailing punctuation.
        let b = tok.as_bytes();
        let mut s = 0;
        while s < b.len() && matches!(b[s], b'(' | b'[' | b'{' | b'<' | b'"' | b'\'') {
            s += 1;
        }
        let mut e = b.len();
        while e > s
            && matches!(b[e - 1], b')' | b']' | b'}' | b'>' | b'"' | b'\'' | b',' | b';' | b'.' | b'!' | b'?' | b':')
        {
            e -= 1;
        }
        if e > s && self.whole_is_variable(&tok[s..e]) {
            out.push_str(&tok[..s]);
            out.push_str(WILDCARD);
            out.push_str(&tok[e..]);
            return;
        }
        // `SHA256:Qx0a…+Xfe…`, `MD5:ab:cd:…`: a key fingerprint or digest is one value, not
        // words to mask one by one (which leaves pieces of it in the template).
        if self.on.hex && e > s {
            let core = &tok[s..e];
            let (name, value) = match core.find(':') {
                Some(c) if c > 0 && c <= 10 && core[..c].bytes().all(|x| x.is_ascii_alphanumeric()) => {
                    (&core[..=c], &core[c + 1..])
                }
                _ => ("", core),
            };
            if is_blob(value) || is_colon_hex(value) {
                out.push_str(&tok[..s]);
                out.push_str(name);
                out.push_str(WILDCARD);
                out.push_str(&tok[e..]);
                return;
            }
        }
        // `rhost=host8.example.net`: the value of a key=value pair on its own.
        if let Some(eq) = b[s..e].iter().position(|&c| c == b'=').map(|p| p + s) {
            let key = &tok[s..eq];
            if !key.is_empty()
                && key.bytes().all(|c| c.is_ascii_alphanumeric() || c == b'_' || c == b'.' || c == b'-')
                && eq + 1 < e
                && self.whole_is_variable(&tok[eq + 1..e])
            {
                out.push_str(&tok[..=eq]);
                out.push_str(WILDCARD);
                out.push_str(&tok[e..]);
                return;
            }
        }
        self.mask_words(tok, out);
    }

    fn whole_is_variable(&self, core: &str) -> bool {
        // One pass over the bytes says which shapes are possible at all; most tokens are
        // plain words and skip every check.
        let (mut digit, mut dot, mut colon, mut slash, mut at, mut dash) = (false, 0u32, 0u32, 0u32, false, false);
        for &c in core.as_bytes() {
            match c {
                b'0'..=b'9' => digit = true,
                b'.' => dot += 1,
                b':' => colon += 1,
                b'/' | b'\\' => slash += 1,
                b'@' => at = true,
                b'-' => dash = true,
                _ => {}
            }
        }
        if dot == 0 && colon == 0 && slash == 0 && !at && !(dash && digit) {
            return false;
        }
        // The shapes are tried cheapest and commonest first, each behind what its test
        // needs of the counts above (the result is their disjunction, so order is free).
        let on = &self.on;
        let last = *core.as_bytes().last().expect("not empty");
        let (plain, last_digit) = (colon == 0 && slash == 0 && !at, last.is_ascii_digit());
        (on.ipv4 && digit && dot == 3 && is_ipv4_port(core.strip_prefix('/').unwrap_or(core)))
            || (on.hostname && plain && dot > 0 && last.is_ascii_alphabetic() && is_hostname(core))
            || (on.datetime && digit && ((colon > 0 && is_time(core)) || ((dash || slash > 0) && is_date(core))))
            // `host:port` ends in the port's digits; `name/1.2.3.4` holds an address.
            || (on.hostport && ((colon > 0 && last_digit) || (slash > 0 && dot >= 3)) && is_host_port(core))
            || (on.url && colon > 0 && slash >= 2 && is_url(core))
            || (on.email && at && dot > 0 && is_email(core))
            || (on.path && slash > 0 && (is_path(core) || (slash >= 2 && is_embedded_path(core))))
            || (on.ipv6 && colon >= 2 && is_ipv6(core))
            || (on.uuid && dash && core.len() == 36 && is_uuid(core))
            || (on.mac && core.len() == 17 && is_mac(core))
    }

    /// Cuts a token into words at punctuation and masks the words that are values.
    fn mask_words(&self, tok: &str, out: &mut String) {
        let b = tok.as_bytes();
        // The position in `out` where the last wildcard ended, to fold `<*>.<*>` and `<*>-<*>`.
        let mut last_wild_end: Option<usize> = None;
        let mut last_wild_ip = false;
        let mut i = 0;
        while i < b.len() {
            if is_word_byte(b[i]) || (b[i] == b'-' && starts_negative_number(b, i)) {
                let ws = i;
                i += 1;
                while i < b.len() {
                    let c = b[i];
                    if is_word_byte(c)
                        || (c == b'.' && i + 1 < b.len() && is_word_byte(b[i + 1]) && is_word_byte(b[i - 1]))
                    {
                        i += 1;
                    } else if c == b'-' && b[i - 1] == b'_' && i + 1 < b.len() && b[i + 1].is_ascii_digit() {
                        // `blk_-1608`: a signed number glued to a name.
                        i += 1;
                    } else {
                        break;
                    }
                }
                let word = &tok[ws..i];
                let after_eq = ws > 0 && b[ws - 1] == b'=';
                // `AH02648:`: a message code that labels the message is part of the event.
                let code = ws == 0 && i + 1 == b.len() && b[i] == b':' && is_message_code(word);
                if !code && (self.word_is_variable(word) || (self.on.kv && after_eq)) {
                    // Fold a wildcard joined to the previous one by a single '.' or '-',
                    // or a port joined to an address by ':'.
                    if let Some(end) = last_wild_end {
                        let gap = &out.as_bytes()[end..];
                        let port =
                            gap == b":" && last_wild_ip && word.len() <= 5 && word.bytes().all(|c| c.is_ascii_digit());
                        if gap == b"." || gap == b"-" || port {
                            out.truncate(end);
                            last_wild_end = Some(end);
                            last_wild_ip = false;
                            continue;
                        }
                    }
                    out.push_str(WILDCARD);
                    last_wild_end = Some(out.len());
                    last_wild_ip = self.on.ipv4 && is_ipv4(word);
                } else {
                    out.push_str(word);
                    last_wild_end = None;
                }
            } else {
                // One punctuation character (UTF-8 sequences are copied whole).
                let len = utf8_len(b[i]);
                let end = (i + len).min(b.len());
                out.push_str(&tok[i..end]);
                i = end;
                // Only a single joining character can fold two wildcards.
                if last_wild_end.is_some_and(|end| out.len() - end > 1) {
                    last_wild_end = None;
                }
            }
        }
    }

    fn word_is_variable(&self, w: &str) -> bool {
        let b = w.as_bytes();
        let digits = b.iter().filter(|c| c.is_ascii_digit()).count();
        if digits == 0 {
            return self.on.literal && is_literal(w);
        }
        let first_digit = b[0].is_ascii_digit() || (b[0] == b'-' && b.len() > 1);
        // A version: `v2.6`, `V1.2.3`.
        if self.on.number && (b[0] == b'v' || b[0] == b'V') && b.len() > 1 && b[1].is_ascii_digit() && b.contains(&b'.')
        {
            return true;
        }
        if self.on.number && first_digit {
            return true;
        }
        if self.on.hex && (is_hex_id(b)) {
            return true;
        }
        // An identifier carrying a number (`blk_7503`, `KB3121255`, `attempt_1445_0020`,
        // `rdd_2_0`), but not a short name with a digit in it (`ssh2`, `L1`, `e820`, `log4j`).
        self.on.number
            && ((digits >= 3 && b.len() > 4)
                || w.split(['_', '~']).skip(1).any(|seg| !seg.is_empty() && seg.bytes().all(|c| c.is_ascii_digit())))
    }
}

const ALPHA: u8 = 1;
const DIGIT: u8 = 2;
const OTHER: u8 = 4;
/// Added to `OTHER` for quotes and brackets, which may join tokens (see `split_tokens`).
const GROUP: u8 = 8;

/// Byte classes: 0 for white space and control characters (token separators).
static CLASS: [u8; 256] = {
    let mut t = [OTHER; 256];
    let mut i = 0;
    while i < 256 {
        let c = i as u8;
        t[i] = if c.is_ascii_alphabetic() {
            ALPHA
        } else if c.is_ascii_digit() {
            DIGIT
        } else if c.is_ascii_whitespace() || c < 0x20 || c == 0x7f {
            0
        } else if matches!(c, b'"' | b'(' | b'[' | b'{' | b')' | b']' | b'}') {
            OTHER | GROUP
        } else {
            OTHER
        };
        i += 1;
    }
    t
};

/// Token boundaries at white space, with the union of each token's byte classes.
/// A double-quoted string of up to [`QUOTED_WORDS`] words is one token (`"no such file"`,
/// `"/home/a/My Documents"`): its words are one value, not a count of tokens.
fn split_tokens(b: &[u8], out: &mut Vec<(u32, u32, u8)>) {
    let mut i = 0;
    let mut open: Option<usize> = None;
    let mut bracket: Option<(usize, isize)> = None;
    while i < b.len() {
        while i < b.len() && CLASS[b[i] as usize] == 0 {
            i += 1;
        }
        let start = i;
        let mut class = 0;
        while i < b.len() {
            let c = CLASS[b[i] as usize];
            if c == 0 {
                break;
            }
            class |= c;
            i += 1;
        }
        // Quotes and brackets, counted only in tokens with punctuation.
        let (mut quotes, mut depth) = (0usize, 0isize);
        if class & GROUP != 0 {
            for &c in &b[start..i] {
                quotes += usize::from(c == b'"');
                depth += match c {
                    b'(' | b'[' | b'{' => 1,
                    b')' | b']' | b'}' => -1,
                    _ => 0,
                };
            }
        }
        if i > start {
            out.push((start as u32, i as u32, class));
            if BRACKETS && open.is_none() && bracket.is_none() && depth > 0 {
                bracket = Some((out.len() - 1, depth));
            } else if let Some((k, d)) = bracket {
                // A quantity inside (`(size 152.0 B, free 4 KB)`) is masked across its tokens.
                let quantity = |t: &[(u32, u32, u8)]| {
                    t.windows(2).any(|w| {
                        let unit = std::str::from_utf8(&b[w[1].0 as usize..w[1].1 as usize]).unwrap_or("");
                        let number = &b[w[0].0 as usize..w[0].1 as usize];
                        let number = &number[number.iter().take_while(|c| matches!(c, b'(' | b'[' | b'{')).count()..];
                        number.first().is_some_and(u8::is_ascii_digit)
                            && is_unit(unit.trim_end_matches(|c: char| c.is_ascii_punctuation()))
                    })
                };
                if d + depth <= 0 && quantity(&out[k..]) {
                    bracket = None;
                } else if d + depth <= 0 {
                    // The closing token: the bracketed words become one token.
                    let class = out[k..].iter().fold(0, |acc, t| acc | t.2);
                    out.truncate(k + 1);
                    out[k] = (out[k].0, i as u32, class);
                    bracket = None;
                } else if out.len() - k > BRACKETED_WORDS {
                    bracket = None;
                } else {
                    bracket = Some((k, d + depth));
                }
                continue;
            }
            if quotes % 2 == 1 {
                match open {
                    // The closing token: the quoted words become one token.
                    Some(k) => {
                        let class = out[k..].iter().fold(0, |acc, t| acc | t.2);
                        out.truncate(k + 1);
                        out[k] = (out[k].0, i as u32, class);
                        open = None;
                    }
                    None => open = Some(out.len() - 1),
                }
            } else if open.is_some_and(|k| out.len() - k > QUOTED_WORDS) {
                open = None;
            }
        }
    }
}

/// The most words a quoted string may have to be one token.
const QUOTED_WORDS: usize = 6;
/// Whether a bracketed list (`[a, b]`, `Node(id: 1 rack: null)`) is one token, and of how
/// many words at most.
const BRACKETS: bool = true;
const BRACKETED_WORDS: usize = 8;

/// A message code: one to four capital letters, three to six digits, maybe a capital
/// letter (`AH02648`, `E1203`, `IEC0412W`).
fn is_message_code(w: &str) -> bool {
    let b = w.as_bytes();
    let letters = b.iter().take_while(|c| c.is_ascii_uppercase()).count();
    let digits = b[letters..].iter().take_while(|c| c.is_ascii_digit()).count();
    let rest = &b[letters + digits..];
    (1..=4).contains(&letters)
        && (3..=6).contains(&digits)
        && (rest.is_empty() || (rest.len() == 1 && rest[0].is_ascii_uppercase()))
}

/// A base64 blob (a key fingerprint, a digest): at least 16 characters of the base64
/// alphabet (`=` only as padding at the end) with upper- and lower-case letters and digits.
fn is_blob(s: &str) -> bool {
    let b = s.trim_end_matches('=').as_bytes();
    b.len() >= 16
        && b.iter().all(|&c| c.is_ascii_alphanumeric() || matches!(c, b'+' | b'/'))
        && b.iter().any(u8::is_ascii_digit)
        && b.iter().any(u8::is_ascii_uppercase)
        && b.iter().any(u8::is_ascii_lowercase)
        && !b.starts_with(b"/")
}

/// Hex bytes joined by colons, at least eight of them (`ab:cd:…`, a digest).
fn is_colon_hex(s: &str) -> bool {
    let groups = s.split(':');
    s.len() >= 23 && groups.clone().all(|g| g.len() == 2 && g.bytes().all(|c| c.is_ascii_hexdigit()))
}

fn is_literal(w: &str) -> bool {
    ["true", "false", "null"].iter().any(|l| w.eq_ignore_ascii_case(l))
}

fn is_word_byte(c: u8) -> bool {
    c.is_ascii_alphanumeric() || c == b'_' || c == b'~' || c >= 0x80
}

fn utf8_len(first: u8) -> usize {
    match first {
        0xF0..=0xFF => 4,
        0xE0..=0xEF => 3,
        0xC0..=0xDF => 2,
        _ => 1,
    }
}

/// A '-' that is the sign of a number: at the start or after punctuation, before a digit.
fn starts_negative_number(b: &[u8], i: usize) -> bool {
    i + 1 < b.len() && b[i + 1].is_ascii_digit() && (i == 0 || !b[i - 1].is_ascii_alphanumeric())
}

/// `0x1f`, or 8+ hex digits with at least one digit and one letter or 12+ digits.
fn is_hex_id(b: &[u8]) -> bool {
    if b.len() > 2 && (b.starts_with(b"0x") || b.starts_with(b"0X")) {
        return b[2..].iter().all(|c| c.is_ascii_hexdigit());
    }
    b.len() >= 8 && b.iter().all(|c| c.is_ascii_hexdigit())
}

fn is_url(s: &str) -> bool {
    match s.as_bytes().windows(3).position(|w| w == b"://") {
        Some(p) => {
            p > 0
                && s[..p].bytes().all(|c| c.is_ascii_alphanumeric() || c == b'+' || c == b'.' || c == b'-')
                && s.len() > p + 3
        }
        None => false,
    }
}

fn is_email(s: &str) -> bool {
    let Some(at) = s.bytes().position(|c| c == b'@') else { return false };
    let (local, domain) = (&s[..at], &s[at + 1..]);
    !local.is_empty() && local.bytes().all(|c| c.is_ascii_alphanumeric() || b"._%+-".contains(&c)) && is_domain(domain)
}

fn is_domain(s: &str) -> bool {
    // Labels of letters, digits and '-', at least two, none empty; the last (the TLD) of
    // two or more letters. One pass, no allocation.
    let (mut labels, mut label_len, mut tld_alpha) = (1, 0usize, true);
    for &c in s.as_bytes() {
        if c == b'.' {
            if label_len == 0 {
                return false;
            }
            labels += 1;
            label_len = 0;
            tld_alpha = true;
        } else if c.is_ascii_alphanumeric() || c == b'-' {
            label_len += 1;
            tld_alpha &= c.is_ascii_alphabetic();
        } else {
            return false;
        }
    }
    labels >= 2 && label_len >= 2 && tld_alpha
}

/// Common top-level domains, in lower case: a host name must end in one of them to be
/// masked as a whole (so that `org.apache.Foo` or `mapred.task.id` stay constant).
fn is_tld(low: &[u8]) -> bool {
    matches!(
        low,
        b"com"
            | b"net"
            | b"org"
            | b"edu"
            | b"gov"
            | b"mil"
            | b"int"
            | b"info"
            | b"biz"
            | b"io"
            | b"co"
            | b"me"
            | b"tv"
            | b"us"
            | b"uk"
            | b"de"
            | b"fr"
            | b"nl"
            | b"be"
            | b"ch"
            | b"at"
            | b"it"
            | b"es"
            | b"se"
            | b"no"
            | b"dk"
            | b"fi"
            | b"pl"
            | b"cz"
            | b"ru"
            | b"ua"
            | b"cn"
            | b"hk"
            | b"tw"
            | b"jp"
            | b"kr"
            | b"in"
            | b"sg"
            | b"au"
            | b"nz"
            | b"ca"
            | b"br"
            | b"mx"
            | b"ar"
            | b"za"
            | b"local"
            | b"lan"
            | b"internal"
            | b"localdomain"
            | b"arpa"
    )
}

/// Lower-cases `s` into `buf` if it fits, for matching against lower-case names.
fn lower<'b>(s: &str, buf: &'b mut [u8]) -> Option<&'b [u8]> {
    let out = buf.get_mut(..s.len())?;
    out.copy_from_slice(s.as_bytes());
    out.make_ascii_lowercase();
    Some(out)
}

/// `host8.topspot.net`, `proxy.cse.cuhk.edu.hk`: a domain name ending in a known TLD.
fn is_hostname(s: &str) -> bool {
    let b = s.as_bytes();
    let tld = &s[b.iter().rposition(|&c| c == b'.').map_or(0, |p| p + 1)..];
    lower(tld, &mut [0u8; 11]).is_some_and(is_tld) && is_domain(s)
}

/// A path inside a token: two or more `/` with a named segment, as in
/// `{bf1a…}GLOBALROOT/Device/HarddiskVolume2/Windows` or `jar:file:/a/b`.
fn is_embedded_path(s: &str) -> bool {
    let b = s.as_bytes();
    b.iter().filter(|&&c| c == b'/').count() >= 2
        && !b.windows(2).any(|w| w == b"//")
        && b.split(|&c| c == b'/').any(|seg| seg.len() > 1 && seg.iter().any(|c| c.is_ascii_alphabetic()))
}

/// Units that make a number a quantity (`1190 bytes`, `5.2 KB`, `12 ms`, `<1 sec`).
fn is_unit(s: &str) -> bool {
    lower(s, &mut [0u8; 7]).is_some_and(|low| {
        matches!(
            low,
            b"b" | b"byte"
                | b"bytes"
                | b"kb"
                | b"mb"
                | b"gb"
                | b"tb"
                | b"pb"
                | b"kib"
                | b"mib"
                | b"gib"
                | b"tib"
                | b"ns"
                | b"us"
                | b"ms"
                | b"s"
                | b"sec"
                | b"secs"
                | b"second"
                | b"seconds"
                | b"min"
                | b"mins"
                | b"minute"
                | b"minutes"
                | b"h"
                | b"hr"
                | b"hrs"
                | b"hour"
                | b"hours"
                | b"day"
                | b"days"
                | [0xC2, 0xB5, b's'] // µs
        )
    })
}

/// A number, optionally after one of `<>~(` (returned as the prefix).
fn number_with_prefix(t: &str) -> Option<&str> {
    let body = t.trim_start_matches(['<', '>', '~', '(', '=']);
    let prefix = &t[..t.len() - body.len()];
    let mut dots = 0;
    let ok = !body.is_empty()
        && body.as_bytes()[0].is_ascii_digit()
        && body.bytes().all(|c| {
            c.is_ascii_digit()
                || (c == b'.' && {
                    dots += 1;
                    dots == 1
                })
        })
        && !body.ends_with('.');
    ok.then_some(prefix)
}

/// A quantity written across tokens: `N unit`, optionally restated as `(N unit)`. Returns
/// how many tokens it takes and the punctuation before and after it, or `(0, _)`.
fn quantity_tokens<'a>(line: &'a str, toks: &[(u32, u32, u8)]) -> (usize, (&'a str, &'a str)) {
    let tok = |k: usize| -> Option<&'a str> { toks.get(k).map(|&(a, b, _)| &line[a as usize..b as usize]) };
    let unit_of = |t: &'a str| -> Option<(&'a str, &'a str)> {
        let core = t.trim_end_matches([',', ';', ')', '.', ':', ']']);
        is_unit(core).then(|| (core, &t[core.len()..]))
    };
    // The unit first: most numbers are not followed by one, and that test is the cheaper.
    let Some((_, suffix)) = tok(1).and_then(unit_of) else { return (0, ("", "")) };
    let Some(prefix) = tok(0).and_then(number_with_prefix) else { return (0, ("", "")) };
    if prefix.contains('(') {
        return (2, (prefix, suffix));
    }
    // `1190 bytes (1.16 KB)`: a restatement in brackets, in whatever unit, is the same value.
    if suffix.is_empty() {
        if let (Some("("), Some(t3)) = (tok(2).and_then(number_with_prefix), tok(3)) {
            if let Some(close) = t3.find(')') {
                let unit = &t3[..close];
                if !unit.is_empty() && unit.len() <= 5 && unit.bytes().all(|c| c.is_ascii_alphabetic()) {
                    return (4, ("", &t3[close + 1..]));
                }
            }
        }
    }
    (2, ("", suffix))
}

/// `/a/b`, `/a/b:12`, `~/x`, `./x`, `../x`, `C:\x\y`, `\\host\share`.
fn is_path(s: &str) -> bool {
    let b = s.as_bytes();
    if b.len() < 2 {
        return false;
    }
    let path_char = |c: &u8| c.is_ascii_alphanumeric() || b"._-/:@~+%,=$".contains(c);
    let unix = (b[0] == b'/'
        && (b[1].is_ascii_alphanumeric() || b[1] == b'_' || b[1] == b'.')
        && (b[1..].contains(&b'/') || b[1..].iter().all(path_char)))
        || s.starts_with("~/")
        || s.starts_with("./")
        || s.starts_with("../");
    let windows = (b.len() > 3 && b[0].is_ascii_alphabetic() && b[1] == b':' && (b[2] == b'\\' || b[2] == b'/'))
        || s.starts_with("\\\\");
    unix || windows
}

fn is_ipv4(s: &str) -> bool {
    // Four groups of 1–3 digits split by dots.
    let (mut parts, mut len) = (1, 0);
    for &c in s.as_bytes() {
        if c == b'.' {
            if len == 0 {
                return false;
            }
            parts += 1;
            len = 0;
        } else if c.is_ascii_digit() && len < 3 {
            len += 1;
        } else {
            return false;
        }
    }
    parts == 4 && len > 0
}

/// Splits `s` at its last ':' when what follows is a port (1–5 digits).
fn split_port(s: &str) -> Option<(&str, &str)> {
    let p = s.as_bytes().iter().rposition(|&c| c == b':')?;
    let port = &s[p + 1..];
    (!port.is_empty() && port.len() <= 5 && port.bytes().all(|c| c.is_ascii_digit())).then(|| (&s[..p], port))
}

/// `1.2.3.4` or `1.2.3.4:80`.
fn is_ipv4_port(s: &str) -> bool {
    is_ipv4(split_port(s).map_or(s, |(ip, _)| ip))
}

fn is_ipv6(s: &str) -> bool {
    let s = s.strip_prefix('[').unwrap_or(s);
    let s = match s.find(']') {
        Some(p) => &s[..p],
        None => s,
    };
    let s = s.split('%').next().unwrap_or(s);
    let colons = s.bytes().filter(|&c| c == b':').count();
    if !(2..=7).contains(&colons) || !s.bytes().all(|c| c.is_ascii_hexdigit() || c == b':' || c == b'.') {
        return false;
    }
    // `::` or eight groups; plain `12:34:56` (a time) is not an address.
    s.contains("::") || colons == 7
}

/// `host.example.com:8080`, `msra-sa-41:9000`, `node-7/10.1.2.3:8030`: a host (a name with a
/// dot, dash or digit, so that `Calories:12` stays a key and a value) with a port, or a
/// host name with its address.
fn is_host_port(s: &str) -> bool {
    let host_char = |c: u8| c.is_ascii_alphanumeric() || c == b'-' || c == b'.' || c == b'_';
    let hosty = |h: &str| {
        !h.is_empty()
            && h.as_bytes()[0].is_ascii_alphanumeric()
            && h.bytes().all(host_char)
            && h.bytes().any(|c| c == b'-' || c == b'.' || c.is_ascii_digit())
    };
    let (host, port) = match split_port(s) {
        Some((h, p)) => (h, Some(p)),
        None => (s, None),
    };
    if let Some(slash) = host.as_bytes().iter().position(|&c| c == b'/') {
        return hosty(&host[..slash]) && is_ipv4(&host[slash + 1..]);
    }
    port.is_some() && (hosty(host) || is_domain(host))
}

fn is_uuid(s: &str) -> bool {
    let b = s.as_bytes();
    b.len() == 36
        && b.iter()
            .enumerate()
            .all(|(i, &c)| if matches!(i, 8 | 13 | 18 | 23) { c == b'-' } else { c.is_ascii_hexdigit() })
}

fn is_mac(s: &str) -> bool {
    let b = s.as_bytes();
    b.len() == 17
        && b.iter().enumerate().all(|(i, &c)| if i % 3 == 2 { c == b':' || c == b'-' } else { c.is_ascii_hexdigit() })
}

/// `07:07:00`, `7:07`, `07:07:00.123`, `07:07:00,123`, optionally ending in `Z` or an offset.
fn is_time(s: &str) -> bool {
    let b = s.as_bytes();
    let mut i = 0;
    let mut groups = 0;
    loop {
        let st = i;
        while i < b.len() && b[i].is_ascii_digit() {
            i += 1;
        }
        let n = i - st;
        if n == 0 || n > 2 {
            return false;
        }
        groups += 1;
        if i < b.len() && b[i] == b':' && groups < 3 {
            i += 1;
            continue;
        }
        break;
    }
    if groups < 2 {
        return false;
    }
    if i < b.len() && (b[i] == b'.' || b[i] == b',') {
        i += 1;
        let st = i;
        while i < b.len() && b[i].is_ascii_digit() {
            i += 1;
        }
        if i == st {
            return false;
        }
    }
    let rest = &s[i..];
    rest.is_empty()
        || rest == "Z"
        || (rest.len() == 5 || rest.len() == 6) && (rest.starts_with('+') || rest.starts_with('-'))
}

/// `2016-09-28`, `2016/09/28`, `2016-09-28T04:30:31(.123)(Z|+01:00)`.
fn is_date(s: &str) -> bool {
    let b = s.as_bytes();
    if b.len() < 8 {
        return false;
    }
    let (d, rest) = match b.iter().position(|&c| c == b'T') {
        Some(p) => (&b[..p], Some(&s[p + 1..])),
        None => (b, None),
    };
    // Three groups of 1–4 digits split by '-' or '/', the first of four.
    let (mut groups, mut len, mut first_len) = (1, 0usize, 0usize);
    for &c in d {
        if c == b'-' || c == b'/' {
            if len == 0 {
                return false;
            }
            if groups == 1 {
                first_len = len;
            }
            groups += 1;
            len = 0;
        } else if c.is_ascii_digit() && len < 4 {
            len += 1;
        } else {
            return false;
        }
    }
    groups == 3 && len > 0 && first_len == 4 && rest.is_none_or(is_time)
}

const MONTHS: [&str; 12] = ["jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"];
const DAYS: [&str; 7] = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"];

fn is_name_in(s: &str, names: &[&str]) -> bool {
    // One lower-casing of three bytes, then whole-word compares (not one case-insensitive
    // compare per name: most tokens tried here are ordinary three-letter words).
    let Ok(word) = <[u8; 3]>::try_from(s.as_bytes()) else { return false };
    let low = word.map(|c| c.to_ascii_lowercase());
    names.iter().any(|n| n.as_bytes() == low)
}

/// Whether a date/time written with spaces can start with token `b`: an ISO date, or a
/// three-letter name perhaps followed by commas (`datetime_tokens` answers 0 otherwise).
fn may_start_datetime(b: &[u8]) -> bool {
    match b.first() {
        Some(c) if c.is_ascii_digit() => b.len() >= 8 && matches!(b[4], b'-' | b'/'),
        Some(c) if c.is_ascii_alphabetic() => b.len() >= 3 && b[3..].iter().all(|&c| c == b','),
        _ => false,
    }
}

/// How many tokens from `toks[0]` form one date/time written with spaces, or 0:
/// `[Dow] Mon DD HH:MM:SS [YYYY]` or `YYYY-MM-DD HH:MM:SS[,mmm]`.
fn datetime_tokens(line: &str, toks: &[(u32, u32, u8)]) -> usize {
    let tok = |k: usize| -> Option<&str> { toks.get(k).map(|&(a, b, _)| &line[a as usize..b as usize]) };
    let Some(t0) = tok(0) else { return 0 };
    let b = t0.as_bytes();
    let b0 = b[0];
    if b0.is_ascii_digit() {
        // ISO date, then a time.
        if b.len() >= 8 && matches!(b[4], b'-' | b'/') && is_date(t0) && !t0.as_bytes().contains(&b'T') {
            if let Some(t1) = tok(1) {
                if is_time(t1.trim_end_matches([',', ':'])) && !t1.ends_with(':') {
                    return 2;
                }
            }
        }
        return 0;
    }
    // A day or month name: three letters, a day's perhaps followed by a comma.
    if !b0.is_ascii_alphabetic() || b.len() < 3 || b[3..].iter().any(|&c| c != b',') {
        return 0;
    }
    let mut k = 0;
    if is_name_in(t0.trim_end_matches(','), &DAYS) {
        k = 1;
    }
    let Some(mon) = tok(k) else { return 0 };
    if !is_name_in(mon, &MONTHS) {
        return 0;
    }
    let Some(day) = tok(k + 1) else { return 0 };
    let day = day.trim_end_matches(',');
    if day.is_empty() || day.len() > 2 || !day.bytes().all(|c| c.is_ascii_digit()) {
        return 0;
    }
    let Some(time) = tok(k + 2) else { return 0 };
    if !is_time(time) {
        return 0;
    }
    let mut n = k + 3;
    if let Some(y) = tok(n) {
        if y.len() == 4 && y.bytes().all(|c| c.is_ascii_digit()) {
            n += 1;
        }
    }
    n
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check(line: &str, expected: &str) {
        let m = Masker::new(&MaskConfig::default()).unwrap();
        assert_eq!(m.masked_tokens(line).join(" "), expected, "line: {line}");
    }

    #[test]
    fn masks_values_and_keeps_words() {
        let cases = [
            // A bracketed list is one token; a quantity's unit in brackets is not.
            ("sent to [alpha, beta, 42] ok", "sent to [alpha, beta, <*>] ok"),
            ("sent to [42, beta] ok", "sent to [<*>, beta] ok"),
            ("node Host(id: 3 rack: null) left", "node Host(id: <*> rack: <*>) left"),
            ("got 1190 bytes (1.16 KB) now", "got <*> now"),
            // A quoted string (a few words) is one token.
            ("open \"/srv/My Files/a.txt\" failed", "open \"<*>\" failed"),
            ("reason=\"no such file\" code 2", "reason=\"no such file\" code <*>"),
            ("a \"b c d e f g h i\" j", "a \"b c d e f g h i\" j"),
            // A leading message code is a constant; the same shape elsewhere is a value.
            ("QV02648: worker 1234 exited", "QV02648: worker <*> exited"),
            ("key type XK25519 unknown", "key type <*> unknown"),
            // A fingerprint or digest is one value.
            ("host key SHA256:Qx0aZ9fG5Xf+XfeZK2co0kq/abT ok", "host key SHA256:<*> ok"),
            ("key MD5:ab:cd:ef:01:23:45:67:89:ab:cd:ef:01:23:45:67:89", "key MD5:<*>"),
            ("blob q9ZxW2bLm4Kp8Rt3Yv== sent", "blob <*> sent"),
            ("totalCalories=1267750 today", "totalCalories=<*> today"),
            (
                "Accepted password for root from 10.1.2.3 port 22 ssh2",
                "Accepted password for root from <*> port <*> ssh2",
            ),
            (
                "Receiving block blk_-1608999687919862906 src: /10.250.19.102:54106 dest: /10.250.19.102:50010",
                "Receiving block <*> src: <*> dest: <*>",
            ),
            (
                "BLOCK* NameSystem.addStoredBlock: blockMap updated: 10.251.73.220:50010 is added",
                "BLOCK* NameSystem.addStoredBlock: blockMap updated: <*> is added",
            ),
            ("session opened for user cyrus by (uid=0)", "session opened for user cyrus by (uid=<*>)"),
            ("rhost=220-135-151-1.hinet-ip.hinet.net rhost=h64-187-1-131.gtconnect.net", "rhost=<*> rhost=<*>"),
            (
                "connection from 24.54.76.216 (24-54-76-216.bflony.adelphia.net) at Fri Jun 17 07:07:00 2005",
                "connection from <*> (<*>) at <*>",
            ),
            ("*** info [mice.c(1)]:", "*** info [mice.c(<*>)]:"),
            ("Linux version 2.6.5-1.358 (bhcompile@bugs.build.redhat.com)", "Linux version <*> (<*>)"),
            (
                "Instantiated MRClientService at MININT-FNANLI5.fareast.corp.microsoft.com/10.86.169.121:62260",
                "Instantiated MRClientService at <*>",
            ),
            ("on port 40984.", "on port <*>."),
            ("took 5000ms and 2KB, lifetime 00:01", "took <*> and <*>, lifetime <*>"),
            (
                "close, 1190 bytes (1.16 KB) sent, 0 bytes received, lifetime <1 sec",
                "close, <*> sent, <*> received, lifetime <*>",
            ),
            ("(estimated size 152.0 B, free 432.1 KB) took 12 ms.", "(estimated size <*>, free <*>) took <*>."),
            (
                "Found block rdd_2_0 locally at host8.topspot.net from csnsu.nsuok.edu",
                "Found block <*> locally at <*> from <*>",
            ),
            (
                "class org.apache.Foo mapred.task.id android.intent.action.SCREEN_ON",
                "class org.apache.Foo mapred.task.id android.intent.action.SCREEN_ON",
            ),
            ("hive: {bf1a281b-ad7b}GLOBALROOT/Device/HarddiskVolume2/config/SAM", "hive: {<*>"),
            (
                "Old: msra-sa-41/10.190.173.170:8030 New: msra-sa-41:9000 wpad:80 Calories:12",
                "Old: <*> New: <*> wpad:<*> Calories:<*>",
            ),
            (
                "Web app /mapreduce started, enabled:true config null (none)",
                "Web app <*> started, enabled:<*> config <*> (none)",
            ),
            (
                "id 123e4567-e89b-12d3-a456-426614174000 mac 00:1a:2b:3c:4d:5e at 2016-09-28T04:30:31.123Z",
                "id <*> mac <*> at <*>",
            ),
            (
                "GET https://example.com/a?b=1 from a.b@example.org addr fe80::1 to proxy.cse.cuhk.edu.hk:5070",
                "GET <*> from <*> addr <*> to <*>",
            ),
            (
                "Created local directory at /opt/hdfs/nodemanager/usercache/curi/appcache",
                "Created local directory at <*>",
            ),
            ("value 0x1F and deadbeef99 and -12.5 degrees", "value <*> and <*> and <*> degrees"),
            ("Loading L1 cache tty2 log4j BIOS-e820: imps2:", "Loading L1 cache tty2 log4j BIOS-e820: imps2:"),
            ("sdpd v2.6 started, mtrr: V1.2.3 (x)", "sdpd <*> started, mtrr: <*> (x)"),
            ("2016-09-28 04:30:31, Info CBS", "<*> Info CBS"),
            ("", ""),
        ];
        for (line, want) in cases {
            check(line, want);
        }
    }

    #[test]
    fn keeps_separators_and_originals() {
        let m = Masker::new(&MaskConfig::default()).unwrap();
        let mut t = Tokens::default();
        m.tokenize("  a  Jun 17 07:07:00 b\t", &mut t);
        assert_eq!(t.len(), 3);
        assert_eq!(t.original(1), "Jun 17 07:07:00");
        assert_eq!(t.separator(0), "  ");
        assert_eq!(t.separator(1), "  ");
        assert_eq!(t.separator(3), "\t");
    }

    #[test]
    fn config_switches() {
        let m = Masker::new(&MaskConfig { disable: vec!["number".into()], ..Default::default() }).unwrap();
        assert_eq!(m.masked_tokens("port 22 x"), ["port", "22", "x"]);
        let m = Masker::new(&MaskConfig { enable: vec!["kv".into()], ..Default::default() }).unwrap();
        assert_eq!(m.masked_tokens("tty=ssh ruser="), ["tty=<*>", "ruser="]);
        let m = Masker::new(&MaskConfig {
            custom: vec![CustomMask { name: "user".into(), regex: r"user \w+".into() }],
            ..Default::default()
        })
        .unwrap();
        assert_eq!(m.masked_tokens("for user bob now"), ["for", "<*>", "now"]);
        assert!(Masker::new(&MaskConfig { disable: vec!["nope".into()], ..Default::default() }).is_err());
        let bad = MaskConfig { custom: vec![CustomMask { name: "x".into(), regex: "(".into() }], ..Default::default() };
        assert_eq!(bad.validate().unwrap_err().key, "masks.custom.x.regex");
    }

    #[test]
    fn never_panics_on_odd_input() {
        let m = Masker::new(&MaskConfig::default()).unwrap();
        for line in ["\u{0}\u{7f}\u{1b}[31m", "ü-1.2é", "-", "--", "((((", "a=-", "/", "0x", "::", "é:é:é"] {
            let _ = m.masked_tokens(line);
        }
        let long = "x1 ".repeat(400_000);
        assert_eq!(m.masked_tokens(&long).len(), 400_000);
    }

    /// Ids as the miner's interner gives them: known tokens have one, others `u32::MAX`
    /// until interned, and the epoch moves with every token interned.
    #[derive(Default)]
    struct Ids(std::collections::HashMap<String, u32>);

    impl Ids {
        fn intern(&mut self, masked: &str) {
            let n = self.0.len() as u32;
            self.0.entry(masked.to_string()).or_insert(n);
        }
    }

    impl Resolve for Ids {
        fn id(&self, masked: &str) -> u32 {
            self.0.get(masked).copied().unwrap_or(u32::MAX)
        }
        fn epoch(&self) -> u32 {
            self.0.len() as u32
        }
    }

    #[test]
    fn memo_changes_nothing() {
        let m = Masker::new(&MaskConfig::default()).unwrap();
        let mut lines: Vec<String> = Vec::new();
        // Enough distinct tokens to evict slots, long ones that never fit a slot, UTF-8,
        // literals, dates and quantities across tokens, and repeats of all of them.
        for i in 0..20_000u32 {
            lines.push(format!(
                "conn{} from 10.0.{}.{}:{} user=u{} took {} ms at Jun {} 07:07:{:02} é{} true {}",
                i % 50,
                i % 7,
                i % 255,
                i,
                i % 3,
                i % 100,
                1 + i % 28,
                i % 60,
                i % 5,
                "x".repeat((i % 80) as usize)
            ));
        }
        // Real lines, and copies with other digits (tokens of one shape): every row of every
        // bundled sample's structured CSV, taken whole, whichever samples are there.
        let mut samples = Vec::new();
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../tests/data/loghub-2k");
        for system in std::fs::read_dir(&dir).unwrap_or_else(|e| panic!("{}: {e}", dir.display())) {
            let system = system.unwrap().path();
            if !system.is_dir() {
                continue;
            }
            for file in std::fs::read_dir(system).unwrap() {
                let path = file.unwrap().path();
                if path.to_string_lossy().ends_with("_structured_corrected.csv") {
                    samples.push(std::fs::read_to_string(&path).unwrap());
                }
            }
        }
        assert!(samples.len() >= 10, "{} sample files", samples.len());
        for row in samples.iter().flat_map(|s| s.lines()) {
            lines.push(row.to_string());
            lines.push(
                row.chars()
                    .map(|c| if c.is_ascii_digit() { (b'0' + (c as u8 - b'0' + 7) % 10) as char } else { c })
                    .collect(),
            );
        }
        let mut ids = Ids::default();
        let (mut with, mut without) = (Tokens::with_memo(&m), Tokens::default());
        for (n, line) in lines.iter().chain(lines.iter().rev()).enumerate() {
            m.tokenize_with(line, &mut with, &ids);
            m.tokenize_with(line, &mut without, &ids);
            assert_eq!(with.len(), without.len(), "{line}");
            for i in 0..with.len() {
                assert_eq!(with.masked(i), without.masked(i), "{line}");
                assert_eq!(with.original(i), without.original(i), "{line}");
                let digit = with.masked(i).bytes().any(|c| c.is_ascii_digit());
                assert_eq!((with.keeps_digit(i), without.keeps_digit(i)), (digit, digit), "{line}");
            }
            assert_eq!(with.ids(), without.ids(), "{line}");
            // Now and then the tokens become known, as a new template's are.
            if n % 3 == 0 {
                (0..with.len()).for_each(|i| ids.intern(with.masked(i)));
            }
        }
        assert!(ids.0.len() > 50, "tokens were interned along the way: {}", ids.0.len());
        let memo = with.memo.as_ref().unwrap();
        let by_shape = memo.slots.iter().filter(|s| s.token_len > 0 && !s.exact).count();
        assert!(by_shape > 100, "{by_shape} slots hold a token by its shape");
    }

    #[test]
    fn split_draws_the_tokens_tokenize_draws() {
        let custom = MaskConfig {
            custom: vec![CustomMask { name: "req".into(), regex: r"req-[0-9a-f]+".into() }],
            ..MaskConfig::default()
        };
        let lines = [
            "Fri Jun 17 07:07:00 2005 sent 1190 bytes (1.16 KB) to 10.0.0.1:80 in <1 sec",
            "2016-09-28 04:30:31,180 INFO blk_-1608 took 12 ms, user=root rhost=h8.example.net",
            "  lead and  trail  req-af12 true null (x) [2.6.5-1.358] é:é ",
            "Mon, Jun 3 07:07 \u{0}\u{7f} 5000ms ~5 min =3 s",
        ];
        for config in [MaskConfig::default(), custom] {
            let m = Masker::new(&config).unwrap();
            let (mut full, mut split) = (Tokens::default(), Tokens::default());
            for line in lines {
                m.tokenize(line, &mut full);
                m.split(line, &mut split);
                assert_eq!(full.len(), split.len(), "{line}");
                for i in 0..=full.len() {
                    assert_eq!(full.separator(i), split.separator(i), "{line}");
                    if i < full.len() {
                        assert_eq!(full.original(i), split.original(i), "{line}");
                    }
                }
            }
        }
    }
}
