use super::*;

/// Brute force: the least within-class sum of squares over every tie-preserving way to
/// cut the distinct values into `k` classes.
fn best_ssq(values: &[f64], k: usize) -> f64 {
    let sorted = sorted_finite(values);
    let distinct: Vec<f64> = distinct_with_counts(&sorted)
        .into_iter()
        .map(|(x, _)| x)
        .collect();
    let d = distinct.len();
    let mut best = f64::INFINITY;
    // Every subset of the d-1 gaps with k-1 cuts.
    for mask in 0u32..(1 << (d - 1)) {
        if mask.count_ones() as usize != k - 1 {
            continue;
        }
        let mut brks = Vec::new();
        for (g, x) in distinct.iter().enumerate().take(d - 1) {
            if mask & (1 << g) != 0 {
                brks.push(*x);
            }
        }
        brks.push(distinct[d - 1]);
        best = best.min(total_ssq(values, &brks));
    }
    best
}

fn total_ssq(values: &[f64], brks: &[f64]) -> f64 {
    let mut groups = vec![Vec::new(); brks.len()];
    for &v in values {
        groups[class_of(v, brks)].push(v);
    }
    groups
        .iter()
        .filter(|g| !g.is_empty())
        .map(|g| {
            let m = g.iter().sum::<f64>() / g.len() as f64;
            g.iter().map(|x| (x - m) * (x - m)).sum::<f64>()
        })
        .sum()
}

#[test]
fn classing_strings_round_trip() -> Result<(), String> {
    for c in Classing::ALL {
        assert_eq!(Classing::parse(c.as_str()), Some(c));
        let json = serde_json::to_string(&c).map_err(|e| e.to_string())?;
        assert_eq!(json, format!("\"{}\"", c.as_str()));
    }
    assert_eq!(Classing::Quantiles.as_str(), "quantiles");
    assert_eq!(Classing::NaturalBreaks.as_str(), "natural_breaks");
    assert_eq!(Classing::parse("jenks"), None);
    Ok(())
}

#[test]
fn jenks_three_clusters() {
    let v = [1.0, 2.0, 3.0, 10.0, 11.0, 12.0, 20.0, 21.0, 22.0];
    assert_eq!(jenks_breaks(&v, 3), vec![3.0, 12.0, 22.0]);
    // Input order does not matter.
    let shuffled = [21.0, 1.0, 12.0, 3.0, 22.0, 10.0, 2.0, 20.0, 11.0];
    assert_eq!(
        breaks(&shuffled, 3, Classing::NaturalBreaks),
        vec![3.0, 12.0, 22.0]
    );
}

#[test]
fn jenks_two_classes_hand_computed() {
    // [1, 2, 4, 8]: cuts after 1 (ssq 0 + 18.67), after 2 (0.5 + 8) or after 4
    // (4.67 + 0): the cut after 4 wins, breaks [4, 8].
    assert_eq!(jenks_breaks(&[8.0, 1.0, 4.0, 2.0], 2), vec![4.0, 8.0]);
}

#[test]
fn jenks_matches_brute_force() {
    let sets: [&[f64]; 4] = [
        &[0.5, 1.5, 1.7, 3.0, 3.1, 7.2, 9.9, 10.0, 10.1, 15.0, 40.0],
        &[5.0, 5.0, 5.0, 6.0, 9.0, 9.0, 12.0, 30.0, 31.0, 31.0, 31.0],
        &[-3.0, -2.5, 0.0, 0.1, 0.2, 4.0, 4.5, 4.6, 100.0],
        &[
            1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0, 8.0, 9.0, 10.0, 11.0, 12.0,
        ],
    ];
    for v in sets {
        for k in 2..=5 {
            let b = jenks_breaks(v, k);
            assert_eq!(b.len(), k);
            let got = total_ssq(v, &b);
            let want = best_ssq(v, k);
            assert!((got - want).abs() < 1e-9, "{v:?} k={k}: {got} vs {want}");
        }
    }
}

#[test]
fn jenks_never_splits_ties() {
    // Six 1s then 2 and 3: without ties the best 2-class cut could fall inside the 1s.
    let v = [1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 2.0, 3.0];
    let b = jenks_breaks(&v, 2);
    assert_eq!(b, vec![1.0, 3.0]);
    assert_eq!(class_counts(&v, &b), vec![6, 2]);
}

#[test]
fn quantiles_of_one_to_ten() {
    let v: Vec<f64> = (1..=10).map(f64::from).collect();
    assert_eq!(quantile_breaks(&v, 5), vec![2.0, 4.0, 6.0, 8.0, 10.0]);
    assert_eq!(quantile_breaks(&v, 4), vec![3.0, 5.0, 8.0, 10.0]);
    assert_eq!(breaks(&v, 1, Classing::Quantiles), vec![10.0]);
    assert_eq!(class_counts(&v, &quantile_breaks(&v, 5)), vec![2; 5]);
}

#[test]
fn quantiles_collapse_ties() {
    // n = 12, k = 5: positions ceil(12i/5) = 3, 5, 8, 10, 12 of [1 ×7, 5, 6, 7, 8, 9]
    // are 1, 1, 5, 7, 9; the two 1s collapse into one break.
    let v = [1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 5.0, 6.0, 7.0, 8.0, 9.0];
    let b = quantile_breaks(&v, 5);
    assert_eq!(b, vec![1.0, 5.0, 7.0, 9.0]);
    assert_eq!(class_counts(&v, &b), vec![7, 1, 2, 2]);
}

#[test]
fn few_distinct_values_one_class_each() {
    let v = [3.0, 1.0, 3.0, 1.0, 2.0];
    for how in Classing::ALL {
        assert_eq!(breaks(&v, 5, how), vec![1.0, 2.0, 3.0]);
        assert_eq!(breaks(&v, 3, how), vec![1.0, 2.0, 3.0]);
    }
    assert_eq!(breaks(&[4.0, 4.0], 3, Classing::NaturalBreaks), vec![4.0]);
}

#[test]
fn empty_nan_and_zero_k() {
    for how in Classing::ALL {
        assert!(breaks(&[], 4, how).is_empty());
        assert!(breaks(&[f64::NAN, f64::NAN], 4, how).is_empty());
        assert!(breaks(&[1.0, 2.0], 0, how).is_empty());
        assert_eq!(
            breaks(&[f64::NAN, 2.0, 1.0, f64::NAN], 2, how),
            vec![1.0, 2.0]
        );
    }
    let v = [1.0, 2.0, 3.0, 10.0, f64::NAN, 11.0, 12.0, 20.0, 21.0, 22.0];
    assert_eq!(jenks_breaks(&v, 3), vec![3.0, 12.0, 22.0]);
    assert_eq!(class_counts(&v, &[3.0, 12.0, 22.0]), vec![3, 3, 3]);
}

#[test]
fn class_of_boundaries() {
    let b = [3.0, 12.0, 22.0];
    assert_eq!(class_of(-5.0, &b), 0);
    assert_eq!(class_of(3.0, &b), 0);
    assert_eq!(class_of(3.5, &b), 1);
    assert_eq!(class_of(12.0, &b), 1);
    assert_eq!(class_of(22.0, &b), 2);
    assert_eq!(class_of(100.0, &b), 2);
    assert_eq!(class_of(1.0, &[]), 0);
    assert!(class_counts(&[1.0, 2.0], &[]).is_empty());
}

#[test]
fn last_break_is_the_maximum() {
    let v: Vec<f64> = (0..200).map(|i| f64::from((i * 37) % 101) * 0.5).collect();
    let max = v.iter().copied().fold(f64::MIN, f64::max);
    for how in Classing::ALL {
        for k in 1..=7 {
            let b = breaks(&v, k, how);
            assert!(!b.is_empty() && b.len() <= k);
            assert_eq!(b.last().copied(), Some(max));
            assert!(b.windows(2).all(|w| w[0] < w[1]));
            assert_eq!(class_counts(&v, &b).iter().sum::<usize>(), v.len());
        }
    }
}
