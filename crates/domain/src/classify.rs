//! Class breaks for choropleth maps: quantiles and Jenks natural breaks.
//!
//! A classification is given as its *breaks*: the upper bound of each class, ascending,
//! the last one equal to the largest value. A value belongs to the first class whose
//! break is at least the value ([`class_of`]). Values that are NaN or infinite are
//! ignored everywhere; an empty input (or `k == 0`) gives no breaks.
//!
//! Ties are never split: every copy of a value lands in the same class, so there may be
//! fewer than `k` classes. When there are at most `k` distinct values, each distinct
//! value is its own class.

use serde::{Deserialize, Serialize};

crate::str_enum::str_enum! {
    /// How values are split into classes.
    #[derive(Serialize, Deserialize)]
    #[serde(rename_all = "snake_case")]
    #[strum(serialize_all = "snake_case")]
    pub enum Classing {
        /// Each class holds about the same number of values.
        Quantiles,
        /// Jenks natural breaks: classes minimise the within-class sum of squares.
        NaturalBreaks,
    }
}

/// Upper bounds of each class (ascending, `len <= k`, last = max value). Empty input ->
/// empty vec. Fewer distinct values than `k` -> one class per distinct value. Ties never
/// split a value across classes.
pub fn breaks(values: &[f64], k: usize, how: Classing) -> Vec<f64> {
    match how {
        Classing::Quantiles => quantile_breaks(values, k),
        Classing::NaturalBreaks => jenks_breaks(values, k),
    }
}

/// The finite values, sorted ascending.
fn sorted_finite(values: &[f64]) -> Vec<f64> {
    let mut v: Vec<f64> = values.iter().copied().filter(|x| x.is_finite()).collect();
    v.sort_by(f64::total_cmp);
    v
}

/// The distinct values of a sorted slice with how many times each occurs.
fn distinct_with_counts(sorted: &[f64]) -> Vec<(f64, usize)> {
    let mut out: Vec<(f64, usize)> = Vec::new();
    for &x in sorted {
        match out.last_mut() {
            Some((last, count)) if *last == x => *count += 1,
            _ => out.push((x, 1)),
        }
    }
    out
}

/// Quantile breaks: the break of class `i` (1-based) is the value at sorted position
/// `ceil(i·n/k)` (1-based), so each class holds about `n/k` values. Equal breaks (from
/// ties) collapse into one, so a heavily tied value never straddles two classes.
pub fn quantile_breaks(values: &[f64], k: usize) -> Vec<f64> {
    let sorted = sorted_finite(values);
    let n = sorted.len();
    if n == 0 || k == 0 {
        return Vec::new();
    }
    let distinct = distinct_with_counts(&sorted);
    if distinct.len() <= k {
        return distinct.into_iter().map(|(x, _)| x).collect();
    }
    let mut out: Vec<f64> = Vec::with_capacity(k);
    for i in 1..=k {
        // ceil(i·n/k) is in 1..=n for 1 <= i <= k.
        let pos = (i * n).div_ceil(k).saturating_sub(1).min(n - 1);
        let b = sorted[pos];
        if out.last() != Some(&b) {
            out.push(b);
        }
    }
    out
}

/// Jenks natural breaks (Fisher's exact dynamic programme minimising within-class sum of
/// squares); O(k·n²) is fine for n ≤ 600.
///
/// The programme runs over the *distinct* values weighted by their counts, which is
/// exact for the tie-preserving problem and cheaper when values repeat. Among equally
/// good partitions the one with the earliest (lowest) breaks is chosen.
pub fn jenks_breaks(values: &[f64], k: usize) -> Vec<f64> {
    let sorted = sorted_finite(values);
    if sorted.is_empty() || k == 0 {
        return Vec::new();
    }
    let distinct = distinct_with_counts(&sorted);
    let d = distinct.len();
    if d <= k {
        return distinct.into_iter().map(|(x, _)| x).collect();
    }
    // Centre the values so the prefix-sum variance formula loses little precision.
    let mean = sorted.iter().sum::<f64>() / sorted.len() as f64;
    // Prefix sums (index i = the first i distinct values) of count, count·x, count·x².
    let mut w = vec![0.0; d + 1];
    let mut s1 = vec![0.0; d + 1];
    let mut s2 = vec![0.0; d + 1];
    for (i, &(x, c)) in distinct.iter().enumerate() {
        let c = c as f64;
        let y = x - mean;
        w[i + 1] = w[i] + c;
        s1[i + 1] = s1[i] + c * y;
        s2[i + 1] = s2[i] + c * y * y;
    }
    // Within-class sum of squares of distinct values lo..hi (exclusive hi).
    let ssq = |lo: usize, hi: usize| -> f64 {
        let ww = w[hi] - w[lo];
        let a = s1[hi] - s1[lo];
        (s2[hi] - s2[lo] - a * a / ww).max(0.0)
    };
    // cost[c][j]: least within-class sum of squares splitting the first j distinct
    // values into c+1 classes; start[c][j]: where the last of those classes begins.
    let mut cost = vec![vec![f64::INFINITY; d + 1]; k];
    let mut start = vec![vec![0usize; d + 1]; k];
    for (j, slot) in cost[0].iter_mut().enumerate().skip(1) {
        *slot = ssq(0, j);
    }
    for c in 1..k {
        let (done, rest) = cost.split_at_mut(c);
        let (prev, cur) = (&done[c - 1], &mut rest[0]);
        for j in (c + 1)..=d {
            let mut best = f64::INFINITY;
            let mut best_i = c;
            for (i, &before) in prev.iter().enumerate().take(j).skip(c) {
                let v = before + ssq(i, j);
                if v < best {
                    best = v;
                    best_i = i;
                }
            }
            cur[j] = best;
            start[c][j] = best_i;
        }
    }
    // Walk back from the full set: each class ends just before the next one starts.
    let mut out = vec![0.0; k];
    let mut end = d;
    for c in (0..k).rev() {
        out[c] = distinct[end - 1].0;
        end = if c == 0 { 0 } else { start[c][end] };
    }
    out
}

/// Index of the class a value falls in (first break >= value); values above the last
/// break go in the last class. With no breaks (and for NaN) the answer is 0.
pub fn class_of(value: f64, breaks: &[f64]) -> usize {
    breaks
        .partition_point(|b| *b < value)
        .min(breaks.len().saturating_sub(1))
}

/// How many of `values` fall in each class (one count per break; NaN values are
/// skipped).
pub fn class_counts(values: &[f64], breaks: &[f64]) -> Vec<usize> {
    let mut counts = vec![0usize; breaks.len()];
    if breaks.is_empty() {
        return counts;
    }
    for &v in values.iter().filter(|v| !v.is_nan()) {
        counts[class_of(v, breaks)] += 1;
    }
    counts
}

#[cfg(test)]
#[path = "classify_tests.rs"]
mod tests;
