//! Comparing two periods: which templates are new in the target period, gone from it, or changed
//! in their share of the documents, and whether a difference is more than sampling noise.
//!
//! Each template's counts `b` (baseline, of `nb` documents) and `t` (target, of `nt`) form a 2×2
//! table (this template / every other template × baseline / target). The binomial log-likelihood
//! ratio (G-test, one degree of freedom) measures how far the two shares are apart; its p-value is
//! the χ²₁ tail, `erfc(√(G/2))`. With `m` templates tested at once, a difference is *significant*
//! when `p < alpha / m` (Bonferroni), so a period with hundreds of templates does not flag some of
//! them by chance. The default `alpha = 0.001` keeps the family-wise rate of false flags at one
//! comparison in a thousand.
//!
//! - *new*: `b = 0`, `t > 0`; *gone*: `b > 0`, `t = 0`. Every such template is reported, with its
//!   score: a template of 3 documents absent from the baseline is new, but not significantly so
//!   (3 documents could be missing from a baseline by chance) and is marked `significant: false`.
//! - *grew* / *shrank*: both counts above 0, significant, and the share ratio
//!   `(t/nt) / (b/nb)` at least `min_ratio` (default 2) or at most `1/min_ratio`.
//! - *steady*: everything else (also significant differences smaller than `min_ratio`).
//!
//! Pure: no I/O; the caller brings the counts (`store::range` does, from the documents).

/// How differences are judged.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct CompareOptions {
    /// Family-wise significance level, divided by the number of templates compared.
    pub alpha: f64,
    /// The least share ratio (either way) a *grew*/*shrank* template needs.
    pub min_ratio: f64,
}

impl Default for CompareOptions {
    fn default() -> Self {
        CompareOptions { alpha: 0.001, min_ratio: 2.0 }
    }
}

/// How a template differs between the periods.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Difference {
    New,
    Gone,
    Grew,
    Shrank,
    Steady,
}

impl Difference {
    pub fn as_str(self) -> &'static str {
        match self {
            Difference::New => "new",
            Difference::Gone => "gone",
            Difference::Grew => "grew",
            Difference::Shrank => "shrank",
            Difference::Steady => "steady",
        }
    }
}

/// One template's comparison.
#[derive(Clone, Debug, PartialEq)]
pub struct Compared<K> {
    pub key: K,
    pub baseline: u64,
    pub target: u64,
    /// `(t/nt) / (b/nb)`; `None` when either count is 0 (new or gone).
    pub ratio: Option<f64>,
    /// The G statistic (0 when the shares are equal).
    pub g: f64,
    /// The χ²₁ tail probability of `g`.
    pub p_value: f64,
    /// `p_value < alpha / tests`.
    pub significant: bool,
    pub difference: Difference,
}

/// Every template's comparison, most significant first.
#[derive(Clone, Debug, PartialEq)]
pub struct Comparison<K> {
    pub baseline_total: u64,
    pub target_total: u64,
    /// How many templates were compared (the Bonferroni divisor).
    pub tests: usize,
    /// The p-value below which a difference is significant (`alpha / tests`).
    pub threshold: f64,
    pub items: Vec<Compared<K>>,
}

/// `x ln(x / e)`, 0 for `x = 0`.
fn xlogx(x: f64, e: f64) -> f64 {
    if x <= 0.0 || e <= 0.0 {
        0.0
    } else {
        x * (x / e).ln()
    }
}

/// The G statistic of a template's `b` of `nb` against `t` of `nt` (0 when a period is empty).
pub fn g_statistic(b: u64, nb: u64, t: u64, nt: u64) -> f64 {
    let (b, nb, t, nt) = (b as f64, nb as f64, t as f64, nt as f64);
    let n = nb + nt;
    let col = b + t;
    if nb <= 0.0 || nt <= 0.0 || col <= 0.0 || col >= n {
        return 0.0;
    }
    let e = |row: f64, c: f64| row * c / n;
    let g = 2.0
        * (xlogx(t, e(nt, col)) + xlogx(nt - t, e(nt, n - col)) + xlogx(b, e(nb, col)) + xlogx(nb - b, e(nb, n - col)));
    g.max(0.0)
}

/// The complementary error function (Chebyshev fit, relative error below 1.2e-7 everywhere).
pub fn erfc(x: f64) -> f64 {
    let z = x.abs();
    let t = 1.0 / (1.0 + 0.5 * z);
    let poly = -z * z - 1.265_512_23
        + t * (1.000_023_68
            + t * (0.374_091_96
                + t * (0.096_784_18
                    + t * (-0.186_288_06
                        + t * (0.278_868_07
                            + t * (-1.135_203_98 + t * (1.488_515_87 + t * (-0.822_152_23 + t * 0.170_872_77))))))));
    let r = t * poly.exp();
    if x >= 0.0 {
        r
    } else {
        2.0 - r
    }
}

/// The upper tail of χ² with one degree of freedom.
pub fn chi2_1_tail(g: f64) -> f64 {
    if g <= 0.0 {
        1.0
    } else {
        erfc((g / 2.0).sqrt()).clamp(0.0, 1.0)
    }
}

/// Compares `(key, baseline count, target count)` rows (one per template; rows with both
/// counts 0 are dropped). Totals are the sums of the rows.
pub fn compare<K>(rows: Vec<(K, u64, u64)>, opts: CompareOptions) -> Comparison<K> {
    let rows: Vec<(K, u64, u64)> = rows.into_iter().filter(|r| r.1 + r.2 > 0).collect();
    let nb: u64 = rows.iter().map(|r| r.1).sum();
    let nt: u64 = rows.iter().map(|r| r.2).sum();
    let tests = rows.len();
    let threshold = if tests == 0 { opts.alpha } else { opts.alpha / tests as f64 };
    let mut items: Vec<Compared<K>> = rows
        .into_iter()
        .map(|(key, b, t)| {
            let g = g_statistic(b, nb, t, nt);
            let p_value = chi2_1_tail(g);
            let significant = nb > 0 && nt > 0 && p_value < threshold;
            let ratio = (b > 0 && t > 0).then(|| (t as f64 / nt as f64) / (b as f64 / nb as f64));
            let difference = match ratio {
                None if b == 0 => Difference::New,
                None => Difference::Gone,
                Some(r) if significant && r >= opts.min_ratio => Difference::Grew,
                Some(r) if significant && r <= 1.0 / opts.min_ratio => Difference::Shrank,
                Some(_) => Difference::Steady,
            };
            Compared { key, baseline: b, target: t, ratio, g, p_value, significant, difference }
        })
        .collect();
    items.sort_by(|a, b| b.g.total_cmp(&a.g));
    Comparison { baseline_total: nb, target_total: nt, tests, threshold, items }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn chi2_tail_matches_the_table() {
        assert!((erfc(0.0) - 1.0).abs() < 1e-7);
        assert!((erfc(1.0) - 0.157_299_207).abs() < 1e-7);
        assert!((erfc(-1.0) - 1.842_700_793).abs() < 1e-7);
        // The χ²₁ critical values of 0.05, 0.01 and 0.001.
        for (g, p) in [(3.841_459, 0.05), (6.634_897, 0.01), (10.827_566, 0.001)] {
            assert!((chi2_1_tail(g) / p - 1.0).abs() < 1e-4, "{g}: {}", chi2_1_tail(g));
        }
        assert_eq!(chi2_1_tail(0.0), 1.0);
    }

    #[test]
    fn g_is_zero_for_equal_shares_and_grows_with_the_difference() {
        assert!(g_statistic(10, 1000, 20, 2000).abs() < 1e-9);
        let small = g_statistic(10, 1000, 15, 1000);
        let large = g_statistic(10, 1000, 40, 1000);
        assert!(0.0 < small && small < large, "{small} {large}");
        // Symmetric in the periods.
        assert!((g_statistic(10, 1000, 40, 1000) - g_statistic(40, 1000, 10, 1000)).abs() < 1e-9);
        // An empty period tests nothing.
        assert_eq!(g_statistic(0, 0, 5, 100), 0.0);
    }

    #[test]
    fn planted_differences_are_found_and_small_counts_are_not_flagged() {
        let rows = vec![
            ("steady", 500, 510),
            ("noise", 5, 9),
            ("grew", 20, 200),
            ("shrank", 300, 30),
            ("new-big", 0, 60),
            ("new-small", 0, 2),
            ("gone-big", 50, 0),
            ("slightly-more", 400, 600),
        ];
        let c = compare(rows, CompareOptions::default());
        assert_eq!(c.tests, 8);
        let by = |k: &str| c.items.iter().find(|i| i.key == k).unwrap();
        assert_eq!(by("steady").difference, Difference::Steady);
        assert!(!by("steady").significant);
        assert_eq!(by("noise").difference, Difference::Steady);
        assert!(!by("noise").significant);
        assert_eq!(by("grew").difference, Difference::Grew);
        assert_eq!(by("shrank").difference, Difference::Shrank);
        assert_eq!(by("new-big").difference, Difference::New);
        assert!(by("new-big").significant);
        assert_eq!(by("new-small").difference, Difference::New);
        assert!(!by("new-small").significant, "2 documents are not evidence");
        assert_eq!(by("gone-big").difference, Difference::Gone);
        assert!(by("gone-big").significant);
        // Significant, but a ratio of 1.4 is not a change worth flagging.
        assert!(by("slightly-more").significant);
        assert_eq!(by("slightly-more").difference, Difference::Steady);
        // Most significant first.
        assert!(c.items.windows(2).all(|w| w[0].g >= w[1].g));
    }

    #[test]
    fn multinomial_noise_is_never_flagged() {
        // 30 templates, both periods drawn from the same distribution, many seeds.
        let mut state = 0x9e37_79b9_7f4a_7c15u64;
        let mut next = move || {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            (state >> 11) as f64 / (1u64 << 53) as f64
        };
        let weights: Vec<f64> = (1..=30).map(|i| 1.0 / i as f64).collect();
        let total: f64 = weights.iter().sum();
        let mut draw = |n: usize| {
            let mut counts = vec![0u64; weights.len()];
            for _ in 0..n {
                let mut u = next() * total;
                let mut k = 0;
                while k + 1 < weights.len() && u >= weights[k] {
                    u -= weights[k];
                    k += 1;
                }
                counts[k] += 1;
            }
            counts
        };
        for _ in 0..40 {
            let (b, t) = (draw(3000), draw(5000));
            let rows = (0..30).map(|k| (k, b[k], t[k])).collect();
            let c = compare(rows, CompareOptions::default());
            let flagged: Vec<_> = c.items.iter().filter(|i| i.difference != Difference::Steady).collect();
            assert!(flagged.is_empty(), "{flagged:?}");
        }
    }

    #[test]
    fn empty_periods_flag_nothing() {
        let c = compare(vec![("a", 0, 5), ("b", 0, 0)], CompareOptions::default());
        assert_eq!(c.tests, 1);
        assert_eq!(c.items[0].difference, Difference::New);
        assert!(!c.items[0].significant);
        let c = compare(Vec::<(&str, u64, u64)>::new(), CompareOptions::default());
        assert!(c.items.is_empty());
    }
}
