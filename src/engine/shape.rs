//! The line memo: what the miner did with the last lines of each *shape*.
//!
//! A line's shape is the line with every ASCII digit written as `0`. Masking never looks at
//! a digit's value, only at where digits stand (a test in `mask` holds it to that), so two
//! lines of one shape are cut into the same tokens and masked alike: a token whose masked
//! form has no digit left in it (`blk_-1608…` → `<*>`) masks to the same text in both. A
//! token whose masked form keeps a digit (`ssh2`, `e820`) must also match byte for byte:
//! its bytes are *exact*. Lines that agree in shape and in their exact bytes therefore
//! have the same masked tokens, hence the same token ids, and the miner's transparent
//! cache (see `drain`) would send them to the same cluster for as long as the bucket is
//! unchanged. The memo remembers that answer per shape, so a recurring line costs one
//! pass over its bytes instead of tokenising and masking every token.
//!
//! A 2-way set-associative table of [`LineMemo::SETS`] sets, least recently used way
//! evicted; lines longer than [`LineMemo::MAX_LINE`] bytes are not remembered. Its size is
//! fixed: memory follows neither lines nor templates. A set is one cache line holding both
//! ways' hashes and pointers; each way's entry is one allocation (answer, shape, and for
//! lines with exact bytes the raw line and its mask), so a hit touches two places in memory.

/// Where a remembered line went: its cluster, and the bucket (and the bucket's generation)
/// the answer depends on.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Remembered {
    pub cluster: u32,
    pub bucket: (u32, u32),
    pub generation: u64,
}

/// Words of an entry before the line's: the answer and the entry's form.
const HEAD: usize = 3;
/// Words of the longest line remembered.
const WORDS: usize = LineMemo::MAX_LINE / 8;

/// One set: both ways' hashes (0 marks an empty way; hashes are odd) and entries, way 0 the
/// more recently used. An entry is `HEAD` words (cluster | exact flag | line length, bucket,
/// generation),
/// the shape's words, and when some bytes are exact, the raw line's words and a mask of
/// them (0xFF per exact byte).
#[derive(Clone, Debug, Default)]
#[repr(C, align(64))]
struct Set {
    hash: [u64; 2],
    entry: [Vec<u64>; 2],
}

/// The line memo. Empty (no table) until the first line is remembered.
#[derive(Clone, Debug)]
pub(crate) struct LineMemo {
    sets: Vec<Set>,
    /// The line last given to `recall`: its shape's hash (0 if not to be remembered), its
    /// length, and its shape and raw bytes as little-endian words (the tail zero-padded).
    hash: u64,
    len: usize,
    words: usize,
    shape: [u64; WORDS],
    raw: [u64; WORDS],
    /// Scratch for `read`: the line between zeros, and its shape.
    buf: [u8; WORDS * 8 + 2],
    shaped: [u8; WORDS * 8],
}

impl Default for LineMemo {
    fn default() -> Self {
        LineMemo { sets: Vec::new(), hash: 0, len: 0, words: 0, shape: [0; WORDS], raw: [0; WORDS], buf: [0; WORDS * 8 + 2], shaped: [0; WORDS * 8] }
    }
}

impl LineMemo {
    const BITS: u32 = 15;
    pub const SETS: usize = 1 << Self::BITS;
    pub const MAX_LINE: usize = 256;
    const EXACT: u64 = 1 << 32;
    const LEN_SHIFT: u32 = 40;

    /// Computes the shape of `line` (kept for [`LineMemo::remember`]) and returns what was
    /// remembered for a line of that shape with the same exact bytes, if anything.
    pub fn recall(&mut self, line: &[u8]) -> Option<Remembered> {
        if line.len() > Self::MAX_LINE {
            self.hash = 0;
            return None;
        }
        self.read(line);
        let set = self.sets.get_mut((self.hash >> (64 - Self::BITS)) as usize)?;
        let (shape, raw) = (&self.shape[..self.words], &self.raw[..self.words]);
        let way = (0..2).find(|&w| set.hash[w] == self.hash && matches(&set.entry[w], self.len, shape, raw))?;
        if way == 1 {
            set.hash.swap(0, 1);
            set.entry.swap(0, 1);
        }
        let e = &set.entry[0];
        Some(Remembered { cluster: e[0] as u32, bucket: ((e[1] >> 32) as u32, e[1] as u32), generation: e[2] })
    }

    /// Remembers `answer` for the line last given to [`LineMemo::recall`], whose tokens
    /// have the byte ranges `spans`; `keeps_digit(i)` says whether token i's masked form
    /// keeps a digit (its bytes are then exact).
    pub fn remember(&mut self, spans: &[(u32, u32)], keeps_digit: impl Fn(usize) -> bool, answer: Remembered) {
        if self.hash == 0 {
            return;
        }
        if self.sets.is_empty() {
            self.sets = vec![Set::default(); Self::SETS];
        }
        let n = self.words;
        let mut mask = [0u8; WORDS * 8];
        let mut exact = false;
        for (i, &(a, b)) in spans.iter().enumerate() {
            if keeps_digit(i) {
                mask[a as usize..b as usize].fill(0xFF);
                exact = true;
            }
        }
        let set = &mut self.sets[(self.hash >> (64 - Self::BITS)) as usize];
        // Replace a way holding this very line, else the least recently used one.
        let (shape, raw) = (&self.shape[..n], &self.raw[..n]);
        let way = (0..2).find(|&w| set.hash[w] == self.hash && matches(&set.entry[w], self.len, shape, raw)).unwrap_or(1);
        if way == 1 {
            set.hash.swap(0, 1);
            set.entry.swap(0, 1);
        }
        set.hash[0] = self.hash;
        // The evicted entry's allocation is reused.
        let e = &mut set.entry[0];
        e.clear();
        e.reserve_exact(HEAD + if exact { 3 * n } else { n });
        e.push(answer.cluster as u64 | if exact { Self::EXACT } else { 0 } | (self.len as u64) << Self::LEN_SHIFT);
        e.push((answer.bucket.0 as u64) << 32 | answer.bucket.1 as u64);
        e.push(answer.generation);
        e.extend_from_slice(shape);
        if exact {
            e.extend_from_slice(raw);
            e.extend((0..n).map(|k| word_at(&mask, 8 * k)));
        }
        self.hash = 0;
    }

    /// Reads `line` (at most `MAX_LINE` bytes) into `raw` and `shape` words and hashes the
    /// shape. A loop of byte operations over a padded copy, which the compiler turns into
    /// vector instructions.
    fn read(&mut self, line: &[u8]) {
        let (len, n) = (line.len(), line.len().div_ceil(8));
        // `buf[i + 1]` is byte i of the line, with a zero before it and zeros after it up
        // to the next whole word and one byte beyond (the buffer is kept between lines).
        let buf = &mut self.buf;
        buf[1..=len].copy_from_slice(line);
        buf[len + 1..8 * n + 2].fill(0);
        let shaped = &mut self.shaped;
        for (i, out) in shaped[..8 * n].iter_mut().enumerate() {
            *out = shape_byte(buf[i], buf[i + 1], buf[i + 2]);
        }
        let mut h = len as u64;
        for k in 0..n {
            let w = word_at(&shaped[..], 8 * k);
            self.shape[k] = w;
            self.raw[k] = word_at(&buf[1..], 8 * k);
            h = (h.rotate_left(5) ^ w).wrapping_mul(0x517c_c1b7_2722_0a95);
        }
        self.words = n;
        self.len = len;
        self.hash = h | 1;
    }
}

/// Bytes `i..i + 8` of `line` as a little-endian word, zero-padded past the end.
#[inline]
fn word_at(line: &[u8], i: usize) -> u64 {
    match line.get(i..i + 8) {
        Some(b) => u64::from_le_bytes(b.try_into().expect("8 bytes")),
        None => {
            let mut tail = [0u8; 8];
            tail[..line.len() - i].copy_from_slice(&line[i..]);
            u64::from_le_bytes(tail)
        }
    }
}

/// Whether entry `e` is of a line of `len` bytes with shape words `shape` and raw words `raw`.
#[inline]
fn matches(e: &[u64], len: usize, shape: &[u64], raw: &[u64]) -> bool {
    let n = shape.len();
    let Some(&head) = e.first() else { return false };
    if (head >> LineMemo::LEN_SHIFT) as usize != len || e[HEAD..HEAD + n] != *shape {
        return false;
    }
    if head & LineMemo::EXACT == 0 {
        return true;
    }
    let (stored, mask) = e[HEAD + n..].split_at(n);
    stored.iter().zip(mask).zip(raw).all(|((s, m), r)| (s ^ r) & m == 0)
}

/// The shape of byte `b`, between `before` and `after`: an ASCII digit becomes `0`,
/// except a lone digit that ends a word of letters (`ssh2`, `node3`, `S0`). Such a digit
/// is most often part of a constant name, whose digits must match exactly anyway; keeping
/// it spreads such lines (`node0` … `node9`) over sets instead of piling them into one.
/// Matching on more bytes than needed only costs hits, never answers. Branch-free.
fn shape_byte(before: u8, b: u8, after: u8) -> u8 {
    let digit = |c: u8| c.wrapping_sub(b'0') < 10;
    let letter = |c: u8| (c | 0x20).wrapping_sub(b'a') < 26;
    let zero = digit(b) & !(letter(before) & !(digit(after) | letter(after)));
    b & !((zero as u8) * 0x0F)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn shape_bytes(line: &[u8]) -> (Vec<u8>, u64) {
        let mut m = LineMemo::default();
        m.read(line);
        (m.shape[..m.words].iter().flat_map(|w| w.to_le_bytes()).take(line.len()).collect(), m.hash)
    }

    fn shape(s: &str) -> (String, u64) {
        let (bytes, h) = shape_bytes(s.as_bytes());
        (String::from_utf8(bytes).unwrap(), h)
    }

    /// The rule of `shape_byte`, spelt out.
    fn reference(line: &[u8]) -> Vec<u8> {
        (0..line.len())
            .map(|i| {
                let after_letter = i > 0 && line[i - 1].is_ascii_alphabetic();
                let before_alnum = line.get(i + 1).is_some_and(u8::is_ascii_alphanumeric);
                if line[i].is_ascii_digit() && !(after_letter && !before_alnum) { b'0' } else { line[i] }
            })
            .collect()
    }

    #[test]
    fn shape_zeroes_digits_except_one_ending_a_word_of_letters() {
        // Every byte before and after digits and letters, at every offset in a word.
        for prefix in ["", "a", "1", "abcdef", "abcdefg", "abcdefgh", "abcdefg1"] {
            for b in 0..=255u8 {
                for tail in [&b"7"[..], b"7a", b"77", b"a7", b"7 "] {
                    let mut line = prefix.as_bytes().to_vec();
                    line.extend_from_slice(&[b, b'7', b]);
                    line.extend_from_slice(tail);
                    assert_eq!(shape_bytes(&line).0, reference(&line), "{line:?}");
                }
            }
        }
        assert_eq!(shape("blk_-1608 at 10.2.3.4:50010").0, "blk_-0000 at 00.0.0.0:00000");
        assert_eq!(shape("ssh2 node13 e820 Xy9 a1b KB3121255 v2.6").0, "ssh2 node00 e000 Xy9 a0b KB0000000 v2.0");
        assert_eq!(shape("abcdefgh1 abcdefg1").0, "abcdefgh1 abcdefg1", "a letter ends one word");
        assert_eq!(shape("abcdefg12").0, "abcdefg00", "a digit starts the next");
        assert_eq!(shape("é9ü").0, "é0ü");
        assert_eq!(shape("").0, "");
    }

    #[test]
    fn same_shape_same_hash_and_length_counts() {
        assert_eq!(shape("port 22 ssh2").1, shape("port 81 ssh2").1);
        assert_ne!(shape("port 22 ssh2").1, shape("port 22 ssh3").1);
        assert_ne!(shape("port 22 ssh2").1, shape("port 2 ssh2").1);
        assert_ne!(shape("abcdefgh").1, shape("abcdefgh\0").1, "a trailing NUL is not padding");
        assert_eq!(shape("x").1 & 1, 1);
    }

    fn answer(cluster: u32) -> Remembered {
        Remembered { cluster, bucket: (3, 7), generation: 9 }
    }

    #[test]
    fn recalls_lines_of_the_same_shape_and_exact_bytes() {
        let mut m = LineMemo::default();
        let line = "port 22 ssh2";
        let spans = [(0, 4), (5, 7), (8, 12)];
        assert_eq!(m.recall(line.as_bytes()), None);
        // `ssh2` keeps its digit: exact.
        m.remember(&spans, |i| i == 2, answer(4));
        assert_eq!(m.recall(b"port 22 ssh2"), Some(answer(4)));
        assert_eq!(m.recall(b"port 97 ssh2"), Some(answer(4)));
        assert_eq!(m.recall(b"port 97 ssh3"), None, "an exact byte differs");
        assert_eq!(m.recall(b"port 97 ssh2"), Some(answer(4)), "and that was no eviction");
        assert_eq!(m.recall(b"port 9 ssh2"), None, "another shape");
        assert_eq!(m.recall(b"port 22 ssh2 "), None);
        assert_eq!(m.recall(b"port 22 ssh2\0"), None, "padding is no byte of the line");
        // A newer answer for the same line replaces the old one.
        m.recall(b"port 11 ssh2");
        m.remember(&spans, |i| i == 2, answer(5));
        assert_eq!(m.recall(b"port 22 ssh2"), Some(answer(5)));
    }

    #[test]
    fn a_line_is_not_taken_for_a_longer_one_ending_in_nul() {
        let mut m = LineMemo::default();
        m.recall(b"abc");
        m.remember(&[(0, 3)], |_| false, answer(1));
        // Force the hash of a longer line to collide: only the stored length tells them apart.
        m.read(b"abc\0");
        m.hash = { let mut o = LineMemo::default(); o.read(b"abc"); o.hash };
        let set = &m.sets[(m.hash >> (64 - LineMemo::BITS)) as usize];
        let (shape, raw) = (&m.shape[..m.words], &m.raw[..m.words]);
        assert!(!(0..2).any(|w| set.hash[w] == m.hash && matches(&set.entry[w], m.len, shape, raw)));
        assert_eq!(m.recall(b"abc"), Some(answer(1)));
    }

    #[test]
    fn too_long_lines_are_not_remembered() {
        let mut m = LineMemo::default();
        let long = "a".repeat(LineMemo::MAX_LINE + 1);
        assert_eq!(m.recall(long.as_bytes()), None);
        m.remember(&[(0, long.len() as u32)], |_| false, answer(1));
        assert_eq!(m.recall(long.as_bytes()), None);
    }

    #[test]
    fn two_ways_keep_the_two_most_recent_of_a_set() {
        // Find three lines of one set.
        let mut m = LineMemo::default();
        let mut lines = Vec::new();
        let set = |l: &str| shape(l).1 >> (64 - LineMemo::BITS);
        let want = set("line a");
        for k in 0u32.. {
            // Letters only: digits would give lines of one shape.
            let l: String = format!("line {}", k.to_string().bytes().map(|d| (d - b'0' + b'a') as char).collect::<String>());
            if set(&l) == want {
                lines.push(l);
                if lines.len() == 3 {
                    break;
                }
            }
        }
        for (k, l) in lines.iter().enumerate() {
            m.recall(l.as_bytes());
            m.remember(&[(0, l.len() as u32)], |_| false, answer(k as u32));
        }
        assert_eq!(m.recall(lines[0].as_bytes()), None, "the oldest was evicted");
        assert_eq!(m.recall(lines[1].as_bytes()), Some(answer(1)));
        assert_eq!(m.recall(lines[2].as_bytes()), Some(answer(2)));
    }
}
