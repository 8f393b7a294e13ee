//! The line memo: what the miner did with the last lines of each *shape*.
//!
//! A line's shape is the line with every ASCII digit written as `0`. Masking never looks at
//! a digit's value, only at where digits stand (`tests/engine_line_memo.rs` holds it to
//! that), so two lines of one shape are cut into the same tokens and masked alike: a token
//! whose masked form has no digit left in it (`blk_-1608…` → `<*>`) masks to the same text in both. A
//! token whose masked form keeps a digit (`ssh2`, `e820`) must also match byte for byte:
//! its bytes are *exact*. Lines that agree in shape and in their exact bytes therefore
//! have the same masked tokens, hence the same token ids, and the miner's transparent
//! cache (see `drain`) would send them to the same cluster for as long as the bucket is
//! unchanged. The memo remembers that answer per shape, so a recurring line costs one
//! pass over its bytes instead of tokenising and masking every token.
//!
//! A 2-way set-associative table of [`LineMemo::SETS`] sets, least recently used way
//! evicted, allocated whole (14 MiB) when the first line is remembered and never grown:
//! memory follows neither lines nor templates. Each way is [`WAY`] words in place (hash,
//! answer, exact byte ranges, the line's words), so a hit reads one contiguous stretch of
//! memory and chases no pointer; lines longer than [`LineMemo::MAX_LINE`] bytes are not
//! remembered. Lines of one shape that differ in exact bytes (`eth0 up`, `eth1 up`) live
//! in a second set chosen by those bytes too, so that they do not evict each other.

/// Where a remembered line went: its cluster, and the bucket (and the bucket's generation)
/// the answer depends on.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Remembered {
    pub cluster: u32,
    pub bucket: (u32, u32),
    pub generation: u64,
}

/// Words of one way: its hash (0 when empty; hashes are odd), head (cluster | number of
/// exact ranges << 32 | line length << 40), bucket, generation, the exact byte ranges (up
/// to [`RANGES`] of (start, end) bytes), then the line's words: its shape, with the bytes
/// of the exact ranges as they are in the line.
const WAY: usize = 28;
const HEAD: usize = 5;
/// Words of the longest line remembered.
const WORDS: usize = WAY - HEAD;
const RANGES: usize = 4;

/// The line memo. Empty (no table) until the first line is remembered.
#[derive(Clone, Debug)]
pub(crate) struct LineMemo {
    /// `SETS` sets of two ways, way 0 the more recently used.
    table: Vec<u64>,
    /// The line last given to `recall`: its shape's hash (0 if not to be remembered), its
    /// length and number of words, and its shape as words (the tail zero-padded).
    hash: u64,
    len: usize,
    words: usize,
    /// Where its set starts in the table (see `recall`).
    base: usize,
    shape: [u64; WORDS],
    /// Scratch for `read`: the line as it is, and its shape, each zero-padded.
    buf: [u8; WORDS * 8 + 8],
    shaped: [u8; WORDS * 8 + 8],
}

impl Default for LineMemo {
    fn default() -> Self {
        LineMemo {
            table: Vec::new(),
            hash: 0,
            len: 0,
            words: 0,
            base: 0,
            shape: [0; WORDS],
            buf: [0; WORDS * 8 + 8],
            shaped: [0; WORDS * 8 + 8],
        }
    }
}

impl LineMemo {
    const BITS: u32 = 15;
    pub const SETS: usize = 1 << Self::BITS;
    pub const MAX_LINE: usize = WORDS * 8;
    const LEN_SHIFT: u32 = 40;

    /// Computes the shape of `line` (kept for [`LineMemo::remember`]) and returns what was
    /// remembered for a line of that shape with the same exact bytes, if anything.
    pub fn recall(&mut self, line: &[u8]) -> Option<Remembered> {
        if line.len() > Self::MAX_LINE {
            self.hash = 0;
            return None;
        }
        self.read(line);
        self.base = set_base(self.hash);
        if self.table.is_empty() {
            return None;
        }
        // Lines of one shape that differ in exact bytes (`eth0 up`, `eth1 up`) would all
        // contend for one set: once the line's set holds such a variant, the line lives in
        // a second set, chosen by its exact bytes too (at the variant's ranges: lines of one
        // shape have their exact bytes in the same places).
        let way = match self.probe(self.base) {
            Ok(way) => way,
            Err(None) => return None,
            Err(Some((ranges, count))) => {
                self.base = set_base(self.alt_hash(&unpack(ranges)[..count.min(RANGES)]));
                self.probe(self.base).ok()?
            }
        };
        let base = self.base;
        if way == 1 {
            // Only the words in use: the head and the line's words of the longer of the two.
            let used = HEAD + self.used_words(base).max(self.used_words(base + WAY));
            let (a, b) = self.table[base..base + 2 * WAY].split_at_mut(WAY);
            a[..used].swap_with_slice(&mut b[..used]);
        }
        let w = &self.table[base..base + WAY];
        Some(Remembered { cluster: w[1] as u32, bucket: ((w[2] >> 32) as u32, w[2] as u32), generation: w[3] })
    }

    /// The way of the set at `base` that holds the line last read; else the exact ranges
    /// (packed, and their count) of a way holding a line of the same shape, if any.
    fn probe(&self, base: usize) -> Result<usize, Option<(u64, usize)>> {
        let mut variant = None;
        for w in 0..2 {
            let way = &self.table[base + w * WAY..base + (w + 1) * WAY];
            if self.holds(way) {
                return Ok(w);
            }
            if way[0] == self.hash && (way[1] >> Self::LEN_SHIFT) as usize == self.len && (way[1] >> 32) & 0xFF != 0 {
                variant = Some((way[4], (way[1] >> 32 & 0xFF) as usize));
            }
        }
        Err(variant)
    }

    /// The hash of the line last read with the bytes of its exact `ranges`.
    fn alt_hash(&self, ranges: &[(u8, u8)]) -> u64 {
        let mut h = self.hash;
        for &(a, b) in ranges {
            for &c in &self.buf[a as usize..b as usize] {
                h = (h.rotate_left(5) ^ c as u64).wrapping_mul(0x517c_c1b7_2722_0a95);
            }
        }
        h | 1
    }

    /// Remembers `answer` for the line last given to [`LineMemo::recall`], whose tokens
    /// have the byte ranges `spans`; `keeps_digit(i)` says whether token i's masked form
    /// keeps a digit (its bytes are then exact).
    pub fn remember(&mut self, spans: &[(u32, u32)], keeps_digit: impl Fn(usize) -> bool, answer: Remembered) {
        if self.hash == 0 {
            return;
        }
        if self.table.is_empty() {
            self.table = vec![0; Self::SETS * 2 * WAY];
        }
        // The exact ranges; more than `RANGES` become one that spans them all (more exact
        // bytes than needed only costs hits).
        let (mut ranges, mut count, mut merged) = ([(0u8, 0u8); RANGES], 0, false);
        for (i, &(a, b)) in spans.iter().enumerate() {
            if !keeps_digit(i) {
                continue;
            }
            if merged || count == RANGES {
                (ranges[0].1, count, merged) = (b as u8, 1, true);
            } else {
                ranges[count] = (a as u8, b as u8);
                count += 1;
            }
        }
        let ranges = &ranges[..count];
        let base = self.base;
        // Replace a way holding this very line, else the least recently used one: way 0
        // (its words in use) moves to way 1, and the line goes to way 0.
        if !self.holds(&self.table[base..base + WAY]) {
            let used = HEAD + self.used_words(base);
            self.table.copy_within(base..base + used, base + WAY);
        }
        let words = self.line_words(ranges);
        let packed =
            ranges.iter().enumerate().fold(0u64, |acc, (k, &(a, b))| acc | ((a as u64) << 8 | b as u64) << (16 * k));
        let w = &mut self.table[base..base + WAY];
        w[0] = self.hash;
        w[1] = answer.cluster as u64 | (ranges.len() as u64) << 32 | (self.len as u64) << Self::LEN_SHIFT;
        w[2] = (answer.bucket.0 as u64) << 32 | answer.bucket.1 as u64;
        w[3] = answer.generation;
        w[4] = packed;
        w[HEAD..HEAD + self.words].copy_from_slice(&words[..self.words]);
        self.hash = 0;
    }

    /// How many of the line words of the way at `at` are in use (the words of its line).
    fn used_words(&self, at: usize) -> usize {
        ((self.table[at + 1] >> Self::LEN_SHIFT) as usize).div_ceil(8).min(WORDS)
    }

    /// Whether `way` holds the line last read: the same hash and length, and the same
    /// words with its exact ranges taken from the line.
    fn holds(&self, way: &[u64]) -> bool {
        let head = way[1];
        if way[0] != self.hash || (head >> Self::LEN_SHIFT) as usize != self.len {
            return false;
        }
        let n = self.words;
        let count = ((head >> 32) & 0xFF) as usize;
        if count == 0 {
            // Word by word, no call: lines are short.
            return way[HEAD..HEAD + n].iter().zip(&self.shape[..n]).all(|(a, b)| a == b);
        }
        way[HEAD..HEAD + n] == self.line_words(&unpack(way[4])[..count.min(RANGES)])[..n]
    }

    /// The line's shape words with the bytes of `ranges` as they are in the line.
    fn line_words(&self, ranges: &[(u8, u8)]) -> [u64; WORDS] {
        if ranges.is_empty() {
            return self.shape;
        }
        let mut bytes = self.shaped;
        for &(a, b) in ranges {
            let (a, b) = (a as usize, b as usize);
            bytes[a..b].copy_from_slice(&self.buf[a..b]);
        }
        std::array::from_fn(|k| word_at(&bytes, 8 * k))
    }

    /// Reads `line` (at most `MAX_LINE` bytes) into `shape` words and hashes the shape.
    fn read(&mut self, line: &[u8]) {
        let (len, n) = (line.len(), line.len().div_ceil(8));
        // The line as it is and its shape, zero-padded to a whole word: one pass, which the
        // compiler vectorises.
        let (buf, shaped) = (&mut self.buf[..len], &mut self.shaped[..len]);
        for i in 0..len {
            let b = line[i];
            buf[i] = b;
            shaped[i] = shape_byte(b);
        }
        self.buf[len..len + 8].fill(0);
        self.shaped[len..len + 8].fill(0);
        let mut h = len as u64;
        for k in 0..n {
            let w = u64::from_le_bytes(self.shaped[8 * k..8 * k + 8].try_into().expect("8 bytes"));
            self.shape[k] = w;
            h = (h.rotate_left(5) ^ w).wrapping_mul(0x517c_c1b7_2722_0a95);
        }
        self.words = n;
        self.len = len;
        self.hash = h | 1;
    }
}

/// Where the set of a line of shape hash `hash` starts in the table.
fn set_base(hash: u64) -> usize {
    (hash >> (64 - LineMemo::BITS)) as usize * 2 * WAY
}

/// The `RANGES` byte ranges packed in `word` (a way says how many are in use).
fn unpack(word: u64) -> [(u8, u8); RANGES] {
    std::array::from_fn(|k| ((word >> (16 * k + 8)) as u8, (word >> (16 * k)) as u8))
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

/// The shape of byte `b`: an ASCII digit becomes `0`. Branch-free.
#[inline]
fn shape_byte(b: u8) -> u8 {
    b & !((b.wrapping_sub(b'0') < 10) as u8 * 0x0F)
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

    #[test]
    fn shape_zeroes_digits_and_nothing_else() {
        let all: Vec<u8> = (0..=255u8).collect();
        for part in all.chunks(LineMemo::MAX_LINE) {
            let (shaped, _) = shape_bytes(part);
            for (b, s) in part.iter().zip(&shaped) {
                assert_eq!(*s, if b.is_ascii_digit() { b'0' } else { *b }, "byte {b:#x}");
            }
        }
        assert_eq!(shape("blk_-1608 at 10.2.3.4:50010 ssh2").0, "blk_-0000 at 00.0.0.0:00000 ssh0");
        assert_eq!(shape("é9ü").0, "é0ü");
        assert_eq!(shape("").0, "");
    }

    #[test]
    fn same_shape_same_hash_and_length_counts() {
        assert_eq!(shape("port 22 ssh2").1, shape("port 81 ssh3").1);
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
        m.hash = {
            let mut o = LineMemo::default();
            o.read(b"abc");
            o.hash
        };
        let base = set_base(m.hash);
        assert!(!(0..2).any(|w| m.holds(&m.table[base + w * WAY..base + (w + 1) * WAY])));
        assert_eq!(m.recall(b"abc"), Some(answer(1)));
    }

    #[test]
    fn lines_differing_in_exact_bytes_do_not_evict_each_other() {
        // Ten lines of one shape, each with its own exact token, then each recalled.
        let mut m = LineMemo::default();
        let line = |k: u32| format!("eth{k} link up after {} ms", 100 + 37 * k);
        for k in 0..10 {
            let l = line(k);
            assert_eq!(m.recall(l.as_bytes()), None);
            m.remember(&[(0, 4), (5, 9), (10, 12), (13, 18), (19, 22), (23, 25)], |i| i == 0, answer(k));
        }
        for k in 0..10 {
            assert_eq!(m.recall(line(k).as_bytes()), Some(answer(k)), "{}", line(k));
        }
        // The same exact token with another value elsewhere: the same answer.
        assert_eq!(m.recall(b"eth3 link up after 999 ms"), Some(answer(3)));
        assert_eq!(m.recall(b"eth3 link up after 99 ms"), None, "another shape");
    }

    #[test]
    fn more_exact_tokens_than_ranges_make_one_range() {
        let mut m = LineMemo::default();
        let line = b"port 22 a1x b2x c3x d4x e5x";
        let spans = [(0, 4), (5, 7), (8, 11), (12, 15), (16, 19), (20, 23), (24, 27)];
        m.recall(line);
        m.remember(&spans, |i| i >= 2, answer(3));
        assert_eq!(m.recall(b"port 98 a1x b2x c3x d4x e5x"), Some(answer(3)));
        assert_eq!(m.recall(b"port 22 a1x b2x c3x d4x e6x"), None, "the fifth exact token");
        assert_eq!(m.recall(b"port 22 a9x b2x c3x d4x e5x"), None, "the first");
        // Two exact tokens: two ranges, bytes between them free.
        m.recall(b"a1x 22 b2x");
        m.remember(&[(0, 3), (4, 6), (7, 10)], |i| i != 1, answer(4));
        assert_eq!(m.recall(b"a1x 57 b2x"), Some(answer(4)));
        assert_eq!(m.recall(b"a1x 57 b3x"), None);
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
            let l: String =
                format!("line {}", k.to_string().bytes().map(|d| (d - b'0' + b'a') as char).collect::<String>());
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
