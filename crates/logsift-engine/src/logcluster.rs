//! LogCluster (R. Vaarandi and M. Pihelgas, "LogCluster – A data clustering and pattern
//! mining algorithm for event logs", CNSM 2015), as a batch miner over masked tokens.
//!
//! The algorithm, as in the reference `logcluster.pl` without `--aggrsup`:
//! 1. one pass counts, for every word, the lines it occurs in (regardless of position,
//!    once per line); a word is *frequent* when it occurs in at least `support` lines;
//! 2. a second pass turns each line into its *cluster candidate*: its frequent words in
//!    order (a repeated frequent word appears each time), with the numbers of other words
//!    before, between and after them kept as gaps. Lines with the same word sequence
//!    share a candidate, whose gaps widen to the `min..max` of its lines;
//! 3. a candidate of at least `support` lines is a *cluster*; every other line (a line
//!    whose candidate is rarer, or with no frequent word, an empty line included) is an
//!    *outlier*. By default candidates are not joined.
//!
//! [`LogClusterOptions::aggregate_supports`] (off by default) is the reference's `--aggrsup`:
//! a candidate's support also counts the lines of every candidate *more specific* than it
//! (one whose every line matches its pattern), and the lines of a rare candidate that a
//! cluster covers are no outliers. logsift puts such a line in the most specific covering
//! cluster (most words; the earlier cluster on a tie); a cluster's `size` counts the lines
//! put in it, not the aggregated support.
//!
//! Masked variables (`<*>` tokens from the [`Masker`]) are never frequent words.
//!
//! Templates: [`LogClusterPattern::pattern`] gives the reference's exact form, a gap of
//! `m` to `n` words being `*{m,n}` (`word *{1,3} word`). The logsift template
//! ([`BatchCluster::template`]) renders a gap of exactly `k` words as `k` wildcards
//! (`<*> <*>`) and a gap of variable length as one `<*>`, so that a fixed-shape event gets
//! the same template as from the other miners.
//!
//! Clusters are numbered from 1 in the order of their first line; the same input gives
//! the same result. The percentage rule counts every input line, empty ones included
//! (rounded up, where `logcluster.pl --rsupport` rounds down).

use super::slct::token_table::{TokenTable, WILDCARD_ID};
use super::{BatchCluster, BatchResult, ClusterId, Masker, Support, WILDCARD};
use rustc_hash::FxHashMap;
use std::fmt::Write as _;

/// The number of non-frequent words at one place of a pattern, over all its lines.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Gap {
    pub min: usize,
    pub max: usize,
}

/// A LogCluster line pattern: frequent words with a gap before, between and after them
/// (`gaps.len() == words.len() + 1`).
#[derive(Clone, Debug, PartialEq)]
pub struct LogClusterPattern {
    pub words: Vec<String>,
    pub gaps: Vec<Gap>,
}

impl LogClusterPattern {
    /// The reference form: `*{m,n}` for every gap that can hold a word, e.g.
    /// `*{1,1} connection from *{1,2} closed`.
    pub fn pattern(&self) -> String {
        self.render(|out, gap| {
            let _ = write!(out, "*{{{},{}}}", gap.min, gap.max);
        })
    }

    /// The logsift template: a gap of exactly `k` words as `k` × `<*>`, a gap of
    /// variable length as a single `<*>`.
    pub fn template(&self) -> String {
        self.render(|out, gap| {
            let k = if gap.min == gap.max { gap.min } else { 1 };
            for i in 0..k {
                if i > 0 {
                    out.push(' ');
                }
                out.push_str(WILDCARD);
            }
        })
    }

    fn render(&self, gap_text: impl Fn(&mut String, Gap)) -> String {
        let mut out = String::new();
        let push_gap = |out: &mut String, gap: Gap| {
            if gap.max > 0 {
                if !out.is_empty() {
                    out.push(' ');
                }
                gap_text(out, gap);
            }
        };
        for (word, &gap) in self.words.iter().zip(&self.gaps) {
            push_gap(&mut out, gap);
            if !out.is_empty() {
                out.push(' ');
            }
            out.push_str(word);
        }
        if let Some(&last) = self.gaps.last() {
            push_gap(&mut out, last);
        }
        out
    }
}

/// The outcome of [`mine_detailed`]: the plain result and, for each of its clusters
/// (same index), the LogCluster pattern with its gaps.
#[derive(Clone, Debug, PartialEq)]
pub struct LogClusterResult {
    pub result: BatchResult,
    pub patterns: Vec<LogClusterPattern>,
}

/// Optional behaviour of LogCluster; the default is the plain algorithm.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct LogClusterOptions {
    /// Add the supports of more specific candidates (`logcluster.pl --aggrsup`). Compares
    /// every pair of candidates: quadratic in their number.
    pub aggregate_supports: bool,
}

/// Mines LogCluster clusters from raw lines, masking each line with `masker`.
pub fn mine(lines: &[&str], masker: &Masker, support: Support) -> BatchResult {
    mine_detailed(lines, masker, support).result
}

/// Like [`mine`], also returning each cluster's pattern with its `*{m,n}` gaps.
pub fn mine_detailed(lines: &[&str], masker: &Masker, support: Support) -> LogClusterResult {
    mine_with(lines, masker, support, LogClusterOptions::default())
}

/// Like [`mine_detailed`], with options.
pub fn mine_with(lines: &[&str], masker: &Masker, support: Support, options: LogClusterOptions) -> LogClusterResult {
    mine_table(&TokenTable::from_lines(lines, masker), support, options)
}

/// Mines LogCluster clusters from lines already split and masked (`"<*>"` = variable).
pub fn mine_tokens<S: AsRef<str>>(lines: &[Vec<S>], support: Support) -> LogClusterResult {
    mine_tokens_with(lines, support, LogClusterOptions::default())
}

/// Like [`mine_tokens`], with options.
pub fn mine_tokens_with<S: AsRef<str>>(
    lines: &[Vec<S>],
    support: Support,
    options: LogClusterOptions,
) -> LogClusterResult {
    mine_table(&TokenTable::from_tokens(lines), support, options)
}

/// One cluster candidate: a sequence of frequent words and the gaps around them.
struct Candidate {
    words: Vec<u32>,
    gaps: Vec<Gap>,
    count: usize,
}

fn mine_table(table: &TokenTable, support: Support, options: LogClusterOptions) -> LogClusterResult {
    let n = table.n_lines();
    let threshold = support.threshold(n);

    // Pass 1: in how many lines each word occurs (once per line).
    let mut line_counts = vec![0u64; table.n_words()];
    let mut last_line = vec![usize::MAX; table.n_words()];
    for i in 0..n {
        for &word in table.line(i) {
            if word != WILDCARD_ID && last_line[word as usize] != i {
                last_line[word as usize] = i;
                line_counts[word as usize] += 1;
            }
        }
    }
    let frequent: Vec<bool> = line_counts.iter().map(|&c| c >= threshold).collect();
    drop(last_line);

    // Pass 2: each line's candidate. Candidates are created in order of first line.
    let mut candidates: Vec<Candidate> = Vec::new();
    let mut by_words: FxHashMap<Vec<u32>, usize> = FxHashMap::default();
    let mut line_candidate: Vec<Option<usize>> = Vec::with_capacity(n);
    let (mut words, mut gaps) = (Vec::new(), Vec::new());
    for i in 0..n {
        words.clear();
        gaps.clear();
        let mut gap = 0usize;
        for &word in table.line(i) {
            if word != WILDCARD_ID && frequent[word as usize] {
                words.push(word);
                gaps.push(gap);
                gap = 0;
            } else {
                gap += 1;
            }
        }
        gaps.push(gap);
        if words.is_empty() {
            line_candidate.push(None);
            continue;
        }
        let c = match by_words.get(&words) {
            Some(&c) => {
                let cand = &mut candidates[c];
                for (g, &k) in cand.gaps.iter_mut().zip(&gaps) {
                    g.min = g.min.min(k);
                    g.max = g.max.max(k);
                }
                cand.count += 1;
                c
            }
            None => {
                let gaps = gaps.iter().map(|&k| Gap { min: k, max: k }).collect();
                candidates.push(Candidate { words: words.clone(), gaps, count: 1 });
                by_words.insert(words.clone(), candidates.len() - 1);
                candidates.len() - 1
            }
        };
        line_candidate.push(Some(c));
    }

    // For --aggrsup: the candidates more specific than each candidate, and the supports.
    let more_specific: Vec<Vec<usize>> = if options.aggregate_supports {
        (0..candidates.len())
            .map(|x| {
                (0..candidates.len()).filter(|&y| y != x && is_more_specific(&candidates[y], &candidates[x])).collect()
            })
            .collect()
    } else {
        vec![Vec::new(); candidates.len()]
    };
    let is_cluster: Vec<bool> = (0..candidates.len())
        .map(|x| {
            let aggregated: usize = more_specific[x].iter().map(|&y| candidates[y].count).sum();
            (candidates[x].count + aggregated) as u64 >= threshold
        })
        .collect();
    // Where a rare candidate's lines go: the most specific cluster that covers it.
    let mut home: Vec<Option<usize>> = (0..candidates.len()).map(|c| is_cluster[c].then_some(c)).collect();
    for x in (0..candidates.len()).filter(|&x| is_cluster[x]) {
        for &y in &more_specific[x] {
            let better = match home[y] {
                None => true,
                Some(h) => !is_cluster[y] && candidates[x].words.len() > candidates[h].words.len(),
            };
            if better {
                home[y] = Some(x);
            }
        }
    }

    // Clusters: candidates with enough support, numbered in order of first line.
    let mut cluster_of_candidate = vec![None; candidates.len()];
    let mut clusters = Vec::new();
    let mut patterns = Vec::new();
    for (c, cand) in candidates.iter().enumerate() {
        if is_cluster[c] {
            cluster_of_candidate[c] = Some(clusters.len());
            let pattern = LogClusterPattern {
                words: cand.words.iter().map(|&w| table.word(w).to_string()).collect(),
                gaps: cand.gaps.clone(),
            };
            clusters.push(BatchCluster {
                id: ClusterId(clusters.len() as u64 + 1),
                template: pattern.template(),
                size: 0,
            });
            patterns.push(pattern);
        }
    }
    let assignments: Vec<Option<usize>> =
        line_candidate.iter().map(|c| c.and_then(|c| home[c]).and_then(|h| cluster_of_candidate[h])).collect();
    for a in assignments.iter().flatten() {
        clusters[*a].size += 1;
    }
    LogClusterResult { result: BatchResult { clusters, assignments }, patterns }
}

/// Whether every line that matches `y`'s pattern matches `x`'s (as `find_more_specific`
/// of `logcluster.pl`): `x`'s words are a subsequence of `y`'s, and every stretch of `y`
/// between two matched words (its gaps plus the skipped words) fits the gap of `x` there.
fn is_more_specific(y: &Candidate, x: &Candidate) -> bool {
    fn fits(x: &Candidate, y: &Candidate, i: usize, j: usize) -> bool {
        // x words 0..i are matched, the last one to y word j - 1 (or nothing, j = 0).
        let (gap, mut min, mut max) = (x.gaps[i], 0, 0);
        for k in j..=y.words.len() {
            min += y.gaps[k].min;
            max += y.gaps[k].max;
            if max > gap.max {
                return false;
            }
            if k == y.words.len() {
                return i == x.words.len() && min >= gap.min;
            }
            if i < x.words.len() && y.words[k] == x.words[i] && min >= gap.min && fits(x, y, i + 1, k + 1) {
                return true;
            }
            // y word k is skipped: it counts as one more word in x's gap.
            min += 1;
            max += 1;
        }
        false
    }
    y.words.len() > x.words.len() && fits(x, y, 0, 0)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::MaskConfig;

    /// Runs LogCluster on whitespace-split lines (a `<*>` token is a masked variable) and
    /// compares `(template, pattern, member line indices)` per cluster in id order, and
    /// the outliers.
    fn check(lines: &[&str], support: Support, expected: &[(&str, &str, &[usize])], outliers: &[usize]) {
        let tokens: Vec<Vec<&str>> = lines.iter().map(|l| l.split_whitespace().collect()).collect();
        let LogClusterResult { result, patterns } = mine_tokens(&tokens, support);
        assert_eq!(result.assignments.len(), lines.len());
        assert_eq!(patterns.len(), result.clusters.len());
        let got: Vec<(String, String, Vec<usize>)> = result
            .clusters
            .iter()
            .zip(&patterns)
            .enumerate()
            .map(|(c, (cl, pattern))| {
                assert_eq!(cl.id, ClusterId(c as u64 + 1), "ids count up from 1");
                assert_eq!(cl.template, pattern.template());
                let members: Vec<usize> = (0..lines.len()).filter(|&i| result.assignments[i] == Some(c)).collect();
                assert_eq!(cl.size, members.len(), "size of {}", cl.template);
                (cl.template.clone(), pattern.pattern(), members)
            })
            .collect();
        let want: Vec<(String, String, Vec<usize>)> =
            expected.iter().map(|(t, p, m)| (t.to_string(), p.to_string(), m.to_vec())).collect();
        assert_eq!(got, want);
        assert_eq!(result.outliers().collect::<Vec<_>>(), outliers);
    }

    #[test]
    fn frequent_words_in_order_with_gaps_and_rare_lines_are_outliers() {
        check(
            &[
                "user alice logged in",
                "user bob logged in",
                "user carol dave logged in",
                "disk sda failed",
                "disk sdb failed",
                "kernel panic",
            ],
            Support::Count(2),
            &[
                ("user <*> logged in", "user *{1,2} logged in", &[0, 1, 2]),
                ("disk <*> failed", "disk *{1,1} failed", &[3, 4]),
            ],
            &[5],
        );
    }

    #[test]
    fn words_are_frequent_regardless_of_position() {
        check(
            &["error at start", "then error here", "x y error"],
            Support::Count(3),
            &[("<*> error <*>", "*{0,2} error *{0,2}", &[0, 1, 2])],
            &[],
        );
    }

    #[test]
    fn a_candidate_below_the_threshold_is_an_outlier_even_with_frequent_words() {
        check(&["a b c", "a b d", "a x y"], Support::Count(2), &[("a b <*>", "a b *{1,1}", &[0, 1])], &[2]);
    }

    #[test]
    fn a_word_counts_once_per_line_but_appears_in_the_candidate_each_time() {
        // "go" occurs in 3 lines (not 5); [go go stop] and [go stop] are two candidates.
        check(
            &["go go stop", "go go stop", "go stop"],
            Support::Count(2),
            &[("go go stop", "go go stop", &[0, 1])],
            &[2],
        );
        check(&["go go go", "stop", "stop"], Support::Count(2), &[("stop", "stop", &[1, 2])], &[0]);
    }

    #[test]
    fn masked_tokens_are_never_frequent_and_fixed_gaps_keep_their_width() {
        check(
            &["<*> done", "<*> done", "<*> <*>", "<*> <*>"],
            Support::Count(2),
            &[("<*> done", "*{1,1} done", &[0, 1])],
            &[2, 3],
        );
        check(
            &["send <*> <*> to x", "send <*> <*> to y"],
            Support::Count(2),
            &[("send <*> <*> to <*>", "send *{2,2} to *{1,1}", &[0, 1])],
            &[],
        );
    }

    #[test]
    fn percentage_support_is_relative_to_the_number_of_lines() {
        let mut lines = vec!["ping ok"; 3];
        lines.extend(["pong ok a"; 2]);
        lines.extend(["reset b", "reset c", "reset d", "reset e", "reset f"]);
        // 10 lines: 30% = 3 lines, 20% = 2 lines, 60% = 6 lines (no word is that frequent).
        check(
            &lines,
            Support::Percent(30.0),
            &[("ping ok", "ping ok", &[0, 1, 2]), ("reset <*>", "reset *{1,1}", &[5, 6, 7, 8, 9])],
            &[3, 4],
        );
        check(
            &lines,
            Support::Percent(20.0),
            &[
                ("ping ok", "ping ok", &[0, 1, 2]),
                ("pong ok a", "pong ok a", &[3, 4]),
                ("reset <*>", "reset *{1,1}", &[5, 6, 7, 8, 9]),
            ],
            &[],
        );
        check(&lines, Support::Percent(60.0), &[], &[0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
        check(
            &lines,
            Support::Percent(40.0),
            &[("<*> ok <*>", "*{1,1} ok *{0,1}", &[0, 1, 2, 3, 4]), ("reset <*>", "reset *{1,1}", &[5, 6, 7, 8, 9])],
            &[],
        );
    }

    #[test]
    fn aggregated_supports_let_a_general_pattern_absorb_more_specific_lines() {
        let lines = ["a b c", "a b c", "a q c", "a c", "b z"];
        let tokens: Vec<Vec<&str>> = lines.iter().map(|l| l.split_whitespace().collect()).collect();
        // Plain LogCluster: [a b c] (2 lines), [a *{0,1} c] (2), [b *{1,1}] (1) are all rare.
        check(&lines, Support::Count(3), &[], &[0, 1, 2, 3, 4]);
        // --aggrsup: [a b c] matches "a *{0,1} c", whose support becomes 4; [b] is not
        // covered by anything ("a" may not precede "b" in its pattern).
        let options = LogClusterOptions { aggregate_supports: true };
        let LogClusterResult { result, patterns } = mine_tokens_with(&tokens, Support::Count(3), options);
        assert_eq!(patterns.iter().map(LogClusterPattern::pattern).collect::<Vec<_>>(), ["a *{0,1} c"]);
        assert_eq!(result.clusters[0].template, "a <*> c");
        assert_eq!(result.clusters[0].size, 4);
        assert_eq!(result.assignments, vec![Some(0), Some(0), Some(0), Some(0), None]);
    }

    #[test]
    fn more_specific_means_every_line_of_one_matches_the_other() {
        let cand = |words: &[u32], gaps: &[(usize, usize)]| Candidate {
            words: words.to_vec(),
            gaps: gaps.iter().map(|&(min, max)| Gap { min, max }).collect(),
            count: 1,
        };
        let general = cand(&[1, 3], &[(0, 0), (0, 2), (0, 1)]); // a *{0,2} c *{0,1}
        assert!(is_more_specific(&cand(&[1, 2, 3], &[(0, 0), (0, 1), (0, 0), (0, 0)]), &general));
        assert!(is_more_specific(&cand(&[1, 3, 4], &[(0, 0), (1, 1), (0, 0), (0, 0)]), &general));
        // Too many words between a and c, a word before a, a trailing gap too wide:
        assert!(!is_more_specific(&cand(&[1, 2, 3], &[(0, 0), (1, 2), (0, 0), (0, 0)]), &general));
        assert!(!is_more_specific(&cand(&[5, 1, 3], &[(0, 0), (0, 0), (0, 0), (0, 0)]), &general));
        assert!(!is_more_specific(&cand(&[1, 3, 4], &[(0, 0), (0, 0), (0, 0), (0, 1)]), &general));
        // A gap that must hold a word is not met by a line with none there.
        let needs_one = cand(&[1, 3], &[(0, 0), (1, 1), (0, 0)]);
        assert!(!is_more_specific(&cand(&[1, 3, 4], &[(0, 0), (0, 0), (0, 0), (0, 0)]), &needs_one));
        assert!(is_more_specific(&cand(&[1, 2, 3], &[(0, 0), (0, 0), (0, 0), (0, 0)]), &needs_one));
    }

    #[test]
    fn empty_input_and_empty_lines() {
        check(&[], Support::Count(1), &[], &[]);
        check(&[], Support::Percent(5.0), &[], &[]);
        check(&["", "  ", "a b", ""], Support::Count(1), &[("a b", "a b", &[2])], &[0, 1, 3]);
    }

    #[test]
    fn ids_follow_the_first_line_and_runs_are_deterministic() {
        let lines = ["z last", "a first", "z last", "a first", "m mid", "m mid"];
        check(
            &lines,
            Support::Count(2),
            &[("z last", "z last", &[0, 2]), ("a first", "a first", &[1, 3]), ("m mid", "m mid", &[4, 5])],
            &[],
        );
        let masker = Masker::new(&MaskConfig::default()).unwrap();
        assert_eq!(
            mine_detailed(&lines, &masker, Support::Count(2)),
            mine_detailed(&lines, &masker, Support::Count(2))
        );
    }

    #[test]
    fn mine_masks_each_line_like_the_masker() {
        let masker = Masker::new(&MaskConfig::default()).unwrap();
        let lines = ["user alice logged in from 10.0.0.1", "user bob logged in from 10.0.0.2", "", "reboot"];
        let tokens: Vec<Vec<String>> = lines.iter().map(|l| masker.masked_tokens(l)).collect();
        assert_eq!(mine_detailed(&lines, &masker, Support::Count(2)), mine_tokens(&tokens, Support::Count(2)));
        assert_eq!(mine(&lines, &masker, Support::Count(2)), mine_tokens(&tokens, Support::Count(2)).result);
    }

    #[test]
    fn huge_lines_are_mined_without_limits() {
        let filler = "v ".repeat(200_000);
        let a = format!("begin {filler}end");
        let b = format!("begin x {filler}end");
        let lines = [a.as_str(), b.as_str(), "short"];
        let tokens: Vec<Vec<&str>> = lines.iter().map(|l| l.split_whitespace().collect()).collect();
        let LogClusterResult { result, patterns } = mine_tokens(&tokens, Support::Count(2));
        // "v" is frequent, so the candidate holds it 200,000 times; "x" opens a 0..1 gap.
        assert_eq!(result.clusters.len(), 1);
        assert_eq!(result.assignments, vec![Some(0), Some(0), None]);
        assert_eq!(patterns[0].words.len(), 200_002);
        assert_eq!(patterns[0].gaps[1], Gap { min: 0, max: 1 });
        assert!(result.clusters[0].template.starts_with("begin <*> v v "));
    }
}
