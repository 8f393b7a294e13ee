//! SLCT, the Simple Logfile Clustering Tool (R. Vaarandi, "A data clustering algorithm
//! for mining patterns from event logs", IPOM 2003), as a batch miner over masked tokens.
//!
//! The algorithm, as in the reference `slct` tool:
//! 1. one pass counts every (position, word) pair; a pair is *frequent* when it occurs
//!    in at least `support` lines;
//! 2. a second pass turns each line into its *cluster candidate*: the set of its frequent
//!    (position, word) pairs, every other position being a wildcard. A candidate that
//!    at least `support` lines share is a *cluster*;
//! 3. a line whose candidate is not a cluster, or that has no frequent pair at all
//!    (an empty line included), is an *outlier*.
//!
//! Masked variables (`<*>` tokens from the [`Masker`]) are wildcards, never frequent words.
//!
//! Template: the cluster's constant words at their positions and `<*>` elsewhere, over
//! the length of the cluster's shortest line (as `slct -r` prints it: the wildcards
//! after the last constant word are kept up to the shortest member line), joined by
//! single spaces. Constant words are exactly the frequent pairs: a word shared by every
//! line of a cluster at one position occurs in ≥ `support` lines, so it is frequent.
//!
//! Clusters are numbered from 1 in the order of their first line; the same input gives
//! the same result. The percentage rule counts every input line, empty ones included.

pub(crate) mod token_table;

use super::{BatchCluster, BatchResult, ClusterId, Masker, Support, WILDCARD};
use rustc_hash::FxHashMap;
use token_table::{TokenTable, WILDCARD_ID};

/// Mines SLCT clusters from raw lines, masking each line with `masker`.
pub fn mine(lines: &[&str], masker: &Masker, support: Support) -> BatchResult {
    mine_table(&TokenTable::from_lines(lines, masker), support)
}

/// Mines SLCT clusters from lines already split and masked (`"<*>"` = variable).
pub fn mine_tokens<S: AsRef<str>>(lines: &[Vec<S>], support: Support) -> BatchResult {
    mine_table(&TokenTable::from_tokens(lines), support)
}

/// One cluster candidate: the frequent pairs a set of lines share.
struct Candidate {
    /// Frequent (position, word id) pairs, in position order.
    pairs: Vec<(u32, u32)>,
    count: usize,
    /// Token count of the shortest line with this candidate.
    min_len: usize,
}

fn pair_key(pos: usize, word: u32) -> u64 {
    ((pos as u64) << 32) | u64::from(word)
}

fn mine_table(table: &TokenTable, support: Support) -> BatchResult {
    let n = table.n_lines();
    let threshold = support.threshold(n);

    // Pass 1: support of every (position, word) pair.
    let mut pair_counts: FxHashMap<u64, u64> = FxHashMap::default();
    for i in 0..n {
        for (pos, &word) in table.line(i).iter().enumerate() {
            if word != WILDCARD_ID {
                *pair_counts.entry(pair_key(pos, word)).or_insert(0) += 1;
            }
        }
    }
    pair_counts.retain(|_, count| *count >= threshold);

    // Pass 2: each line's candidate. Candidates are created in order of first line.
    let mut candidates: Vec<Candidate> = Vec::new();
    let mut by_pairs: FxHashMap<Vec<(u32, u32)>, usize> = FxHashMap::default();
    let mut line_candidate: Vec<Option<usize>> = Vec::with_capacity(n);
    let mut pairs = Vec::new();
    for i in 0..n {
        let line = table.line(i);
        pairs.clear();
        for (pos, &word) in line.iter().enumerate() {
            if word != WILDCARD_ID && pair_counts.contains_key(&pair_key(pos, word)) {
                pairs.push((pos as u32, word));
            }
        }
        if pairs.is_empty() {
            line_candidate.push(None);
            continue;
        }
        let c = match by_pairs.get(&pairs) {
            Some(&c) => c,
            None => {
                candidates.push(Candidate { pairs: pairs.clone(), count: 0, min_len: line.len() });
                by_pairs.insert(pairs.clone(), candidates.len() - 1);
                candidates.len() - 1
            }
        };
        let cand = &mut candidates[c];
        cand.count += 1;
        cand.min_len = cand.min_len.min(line.len());
        line_candidate.push(Some(c));
    }

    // Clusters: candidates with enough support, numbered in order of first line.
    let mut cluster_of_candidate = vec![None; candidates.len()];
    let mut clusters = Vec::new();
    for (c, cand) in candidates.iter().enumerate() {
        if cand.count as u64 >= threshold {
            cluster_of_candidate[c] = Some(clusters.len());
            clusters.push(BatchCluster {
                id: ClusterId(clusters.len() as u64 + 1),
                template: render(table, cand),
                size: cand.count,
            });
        }
    }
    let assignments = line_candidate.iter().map(|c| c.and_then(|c| cluster_of_candidate[c])).collect();
    BatchResult { clusters, assignments }
}

fn render(table: &TokenTable, cand: &Candidate) -> String {
    let mut words = vec![WILDCARD; cand.min_len];
    for &(pos, word) in &cand.pairs {
        words[pos as usize] = table.word(word);
    }
    words.join(" ")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::MaskConfig;

    /// Runs SLCT on whitespace-split lines (a `<*>` token is a masked variable) and
    /// compares `(template, member line indices)` per cluster in id order, and the outliers.
    fn check(lines: &[&str], support: Support, expected: &[(&str, &[usize])], outliers: &[usize]) {
        let tokens: Vec<Vec<&str>> = lines.iter().map(|l| l.split_whitespace().collect()).collect();
        let result = mine_tokens(&tokens, support);
        assert_eq!(result.assignments.len(), lines.len());
        let got: Vec<(String, Vec<usize>)> = result
            .clusters
            .iter()
            .enumerate()
            .map(|(c, cl)| {
                assert_eq!(cl.id, ClusterId(c as u64 + 1), "ids count up from 1");
                let members: Vec<usize> = (0..lines.len()).filter(|&i| result.assignments[i] == Some(c)).collect();
                assert_eq!(cl.size, members.len(), "size of {}", cl.template);
                (cl.template.clone(), members)
            })
            .collect();
        let want: Vec<(String, Vec<usize>)> = expected.iter().map(|(t, m)| (t.to_string(), m.to_vec())).collect();
        assert_eq!(got, want);
        assert_eq!(result.outliers().collect::<Vec<_>>(), outliers);
    }

    #[test]
    fn frequent_positions_form_templates_and_rare_lines_are_outliers() {
        check(
            &[
                "connection from alpha closed",
                "connection from beta closed",
                "disk full on sda",
                "connection from gamma closed",
                "disk full on sdb",
                "kernel panic",
            ],
            Support::Count(2),
            &[("connection from <*> closed", &[0, 1, 3]), ("disk full on <*>", &[2, 4])],
            &[5],
        );
    }

    #[test]
    fn a_candidate_below_the_threshold_is_an_outlier_even_with_frequent_words() {
        // "open" (pos 0) is frequent (3 lines), but candidates {open, file} and
        // {open, sock} have support 2 and 1: with support 2 only the first is a cluster.
        check(
            &["open file a", "open file b", "open sock c", "close x y", "close x z"],
            Support::Count(2),
            &[("open file <*>", &[0, 1]), ("close x <*>", &[3, 4])],
            &[2],
        );
        // With support 3 "file" is no longer frequent: all three share the candidate {open}.
        check(
            &["open file a", "open file b", "open sock c", "shut x y"],
            Support::Count(3),
            &[("open <*> <*>", &[0, 1, 2])],
            &[3],
        );
    }

    #[test]
    fn a_word_counts_only_at_its_own_position() {
        // "error" occurs 3 times but at positions 0, 1, 2: never frequent with support 2.
        check(&["error a b", "x error c", "y z error"], Support::Count(2), &[], &[0, 1, 2]);
    }

    #[test]
    fn masked_tokens_are_never_frequent_words() {
        check(
            &["<*> <*> done", "<*> <*> done", "<*> <*>", "<*> <*>", "<*>"],
            Support::Count(2),
            &[("<*> <*> done", &[0, 1])],
            &[2, 3, 4],
        );
    }

    #[test]
    fn lines_of_different_lengths_share_a_candidate_and_the_template_spans_the_shortest() {
        check(
            &["job started x", "job started y z", "job started w"],
            Support::Count(3),
            &[("job started <*>", &[0, 1, 2])],
            &[],
        );
        check(
            &["job started", "job started now", "job started"],
            Support::Count(3),
            &[("job started", &[0, 1, 2])],
            &[],
        );
    }

    #[test]
    fn percentage_support_is_relative_to_the_number_of_lines() {
        let mut lines = vec!["ping ok"; 3];
        lines.extend(["pong ok a"; 2]);
        lines.extend(["reset b", "reset c", "reset d", "reset e", "reset f"]);
        // 10 lines: 30% = 3 lines, 20% = 2 lines, 31% rounds up to 4 lines.
        check(&lines, Support::Percent(30.0), &[("ping ok", &[0, 1, 2]), ("reset <*>", &[5, 6, 7, 8, 9])], &[3, 4]);
        check(
            &lines,
            Support::Percent(20.0),
            &[("ping ok", &[0, 1, 2]), ("pong ok a", &[3, 4]), ("reset <*>", &[5, 6, 7, 8, 9])],
            &[],
        );
        // At 4 lines "ping" is no longer frequent, but "ok" at position 1 is (5 lines),
        // so the five "ok" lines share the candidate {(1, ok)}.
        check(&lines, Support::Percent(31.0), &[("<*> ok", &[0, 1, 2, 3, 4]), ("reset <*>", &[5, 6, 7, 8, 9])], &[]);
        check(&lines, Support::Count(3), &[("ping ok", &[0, 1, 2]), ("reset <*>", &[5, 6, 7, 8, 9])], &[3, 4]);
    }

    #[test]
    fn empty_input_and_empty_lines() {
        check(&[], Support::Count(1), &[], &[]);
        check(&[], Support::Percent(5.0), &[], &[]);
        check(&["", "   ", "a b", ""], Support::Count(1), &[("a b", &[2])], &[0, 1, 3]);
    }

    #[test]
    fn support_one_makes_every_nonempty_line_a_cluster_of_its_own_kind() {
        check(&["a b", "c", "a b"], Support::Count(1), &[("a b", &[0, 2]), ("c", &[1])], &[]);
    }

    #[test]
    fn ids_follow_the_first_line_and_runs_are_deterministic() {
        let lines = ["z last", "a first", "z last", "a first", "m mid", "m mid"];
        check(&lines, Support::Count(2), &[("z last", &[0, 2]), ("a first", &[1, 3]), ("m mid", &[4, 5])], &[]);
        let masker = Masker::new(&MaskConfig::default()).unwrap();
        assert_eq!(mine(&lines, &masker, Support::Count(2)), mine(&lines, &masker, Support::Count(2)));
    }

    #[test]
    fn mine_masks_each_line_like_the_masker() {
        let masker = Masker::new(&MaskConfig::default()).unwrap();
        let lines = ["user alice logged in from 10.0.0.1", "user bob logged in from 10.0.0.2", "", "reboot"];
        let tokens: Vec<Vec<String>> = lines.iter().map(|l| masker.masked_tokens(l)).collect();
        assert_eq!(mine(&lines, &masker, Support::Count(2)), mine_tokens(&tokens, Support::Count(2)));
    }

    #[test]
    fn huge_lines_are_mined_without_limits() {
        let long: String = (0..100_000).map(|i| if i % 2 == 0 { "w " } else { "v " }).collect();
        let other = format!("{long}tail");
        let lines = [long.as_str(), other.as_str(), "short"];
        let tokens: Vec<Vec<&str>> = lines.iter().map(|l| l.split_whitespace().collect()).collect();
        let result = mine_tokens(&tokens, Support::Count(2));
        assert_eq!(result.clusters.len(), 1);
        assert_eq!(result.clusters[0].template, long.trim_end());
        assert_eq!(result.assignments, vec![Some(0), Some(0), None]);
    }
}
