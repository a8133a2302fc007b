#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::collections::HashMap;

use super::*;
use crate::rng::Rng;

fn attr(name: &str, values: &[&str], multi: bool) -> Attribute {
    Attribute {
        name: name.to_owned(),
        values: values.iter().map(|v| (*v).to_owned()).collect(),
        multi,
    }
}

/// Five attributes, 2–6 values each, one multi-valued.
fn schema() -> Schema {
    Schema {
        attributes: vec![
            attr("gender", &["female", "male", "other"], false),
            attr(
                "age",
                &["0-8", "9-17", "18-20", "21-23", "24-26", "27+"],
                false,
            ),
            attr("citizenship", &["AA", "BB", "CC", "DD"], false),
            attr("recruiter", &["relative", "stranger"], false),
            attr(
                "exploitation",
                &["sexual", "labour", "marriage", "begging", "other"],
                true,
            ),
        ],
    }
}

fn pick(rng: &mut Rng, weights: &[f64]) -> usize {
    rng.weighted(weights).unwrap()
}

/// `n` correlated records over [`schema`], with some unknowns.
fn data(n: usize, seed: u64) -> Vec<Record> {
    let s = schema();
    let mut rng = Rng::new(seed);
    let mut out = Vec::with_capacity(n);
    for _ in 0..n {
        let g = pick(&mut rng, &[0.6, 0.37, 0.03]);
        let age_w: &[f64] = if g == 0 {
            &[0.05, 0.25, 0.25, 0.2, 0.15, 0.1]
        } else {
            &[0.02, 0.08, 0.15, 0.2, 0.25, 0.3]
        };
        let a = pick(&mut rng, age_w);
        let c = pick(&mut rng, &[0.5, 0.3, 0.15, 0.05]);
        let r = pick(&mut rng, &[0.4, 0.6]);
        let mut exp = Vec::new();
        let p_sex = if g == 0 { 0.7 } else { 0.1 };
        let p_lab = if g == 0 { 0.2 } else { 0.8 };
        for (v, p) in [(0, p_sex), (1, p_lab), (2, 0.05), (3, 0.03), (4, 0.04)] {
            if rng.next_f64() < p {
                exp.push(s.attributes[4].values[v].clone());
            }
        }
        let val = |attr: usize, v: usize, rng: &mut Rng| -> Vec<String> {
            if rng.next_f64() < 0.08 {
                Vec::new()
            } else {
                vec![s.attributes[attr].values[v].clone()]
            }
        };
        out.push(Record {
            values: vec![
                val(0, g, &mut rng),
                val(1, a, &mut rng),
                val(2, c, &mut rng),
                val(3, r, &mut rng),
                exp,
            ],
        });
    }
    out
}

fn item_index(schema: &Schema) -> HashMap<(usize, String), u32> {
    let mut map = HashMap::new();
    let mut id = 0;
    for (a, at) in schema.attributes.iter().enumerate() {
        for v in &at.values {
            map.insert((a, v.clone()), id);
            id += 1;
        }
    }
    map
}

fn sigma_count(params: &Params) -> f64 {
    1.0 / (2.0 * params.count_share * rho_from_epsilon(params.epsilon, params.delta)).sqrt()
}

#[test]
fn epsilon_rho_conversions() {
    // By hand: l = ln(1e6) = 13.8155; √(l+4) − √l = 4.22084 − 3.71692 = 0.50392; ρ = 0.25394.
    let rho = rho_from_epsilon(4.0, 1e-6);
    assert!((rho - 0.25394).abs() < 1e-4, "rho {rho}");
    for &delta in &[1e-9, 1e-6, 1e-3, 0.1] {
        let mut last = 0.0;
        for &eps in &[0.01, 0.1, 0.5, 1.0, 2.0, 4.0, 8.0, 20.0] {
            let rho = rho_from_epsilon(eps, delta);
            assert!(rho > last, "rho not increasing in epsilon");
            last = rho;
            let back = epsilon_from_rho(rho, delta);
            assert!(back <= eps, "overshoot {back} > {eps}");
            assert!(
                (back - eps).abs() <= 1e-12 * eps,
                "round trip {back} vs {eps}"
            );
            assert!(
                epsilon_from_rho(rho * 1.001, delta) > eps,
                "not the largest rho"
            );
        }
    }
    assert!(rho_from_epsilon(1.0, 1e-9) < rho_from_epsilon(1.0, 1e-6));
    assert!(epsilon_from_rho(0.1, 1e-6) < epsilon_from_rho(0.2, 1e-6));
    assert_eq!(rho_from_epsilon(0.0, 1e-6), 0.0);
    assert!(rho_from_epsilon(1.0, 0.0).is_nan());
}

#[test]
fn sigma_calibration_spends_the_budget() {
    let s = schema();
    let records = data(300, 1);
    for params in [
        Params::default(),
        Params {
            epsilon: 1.0,
            delta: 1e-8,
            reporting_length: 2,
            max_items: 5,
            count_share: 0.2,
            ..Params::default()
        },
    ] {
        let rel = release(&s, &records, &params).unwrap();
        let budget = rho_from_epsilon(params.epsilon, params.delta);
        assert!(rel.rho <= budget, "{} > {budget}", rel.rho);
        assert!(
            (budget - rel.rho) / budget < 1e-9,
            "{} vs {budget}",
            rel.rho
        );
        assert!(rel.epsilon <= params.epsilon);
        assert!((rel.epsilon - params.epsilon).abs() < 1e-8);
        // σ_k = √C(m, k) / √(2 ρ_k) with m = min(max_items, 9 slots).
        let m = params.max_items.min(9);
        let rho_k = budget * (1.0 - params.count_share) / params.reporting_length as f64;
        assert_eq!(rel.sigmas.len(), params.reporting_length);
        for (k, &sigma) in (1..).zip(&rel.sigmas) {
            let want = (binomial(m, k) as f64).sqrt() / (2.0 * rho_k).sqrt();
            assert!(
                (sigma - want).abs() / want < 1e-9,
                "σ_{k} {sigma} vs {want}"
            );
        }
    }
}

#[test]
fn large_release_is_accurate_and_consistent() {
    let s = schema();
    let n = 20_000;
    let records = data(n, 2);
    let params = Params::default();
    let rel = release(&s, &records, &params).unwrap();

    // The record count.
    let sc = sigma_count(&params);
    assert!(
        (rel.noisy_count as f64 - n as f64).abs() <= 5.0 * sc,
        "noisy count {} (σ {sc})",
        rel.noisy_count
    );
    assert_eq!(rel.records.len() as u64, rel.noisy_count);

    // Length-1 marginals against the truth.
    let ids = item_index(&s);
    let mut truth = vec![0u64; ids.len()];
    for r in &records {
        for (a, vs) in r.values.iter().enumerate() {
            for v in vs {
                truth[ids[&(a, v.clone())] as usize] += 1;
            }
        }
    }
    let sigma1 = rel.sigmas[0];
    let protected: HashMap<Vec<u32>, u64> = rel
        .marginals
        .iter()
        .map(|m| {
            let mut c: Vec<u32> = m.items.iter().map(|it| ids[it]).collect();
            c.sort_unstable();
            (c, m.count)
        })
        .collect();
    for (id, &t) in truth.iter().enumerate() {
        let got = protected.get(&vec![id as u32]).copied();
        if t as f64 >= 10.0 * sigma1 {
            let got = got.expect("a common value must survive") as f64;
            assert!(
                (got - t as f64).abs() <= 6.0 * sigma1,
                "item {id}: {got} vs {t} (σ {sigma1})"
            );
        }
        if t == 0 {
            // Never used values stay rare: at most threshold-level noise.
            assert!(got.unwrap_or(0) as f64 <= 6.0 * sigma1);
        }
    }

    // Normalisation: no child above a parent, single attributes within the count.
    for (combo, &c) in &protected {
        if combo.len() >= 2 {
            for skip in 0..combo.len() {
                let sub: Vec<u32> = combo
                    .iter()
                    .enumerate()
                    .filter(|&(p, _)| p != skip)
                    .map(|(_, &x)| x)
                    .collect();
                let parent = protected.get(&sub).copied().unwrap_or(0);
                assert!(c <= parent, "{combo:?}={c} above {sub:?}={parent}");
            }
        }
    }
    for (a, at) in s.attributes.iter().enumerate() {
        let counts: Vec<u64> = at
            .values
            .iter()
            .map(|v| {
                protected
                    .get(&vec![ids[&(a, v.clone())]])
                    .copied()
                    .unwrap_or(0)
            })
            .collect();
        if at.multi {
            assert!(counts.iter().all(|&c| c <= rel.noisy_count));
        } else {
            assert!(counts.iter().sum::<u64>() <= rel.noisy_count);
        }
    }
    // Marginals sorted by attribute within each combination.
    for m in &rel.marginals {
        assert!(m.items.windows(2).all(|w| w[0].0 <= w[1].0));
        assert!(m.count > 0);
    }

    // Synthetic records lie in the domain.
    for r in &rel.records {
        assert_eq!(r.values.len(), s.attributes.len());
        for (at, vs) in s.attributes.iter().zip(&r.values) {
            assert!(at.multi || vs.len() <= 1);
            assert!(vs.iter().all(|v| at.values.contains(v)));
        }
    }

    // Utility.
    assert_eq!(rel.utility.len(), 3);
    let u1 = &rel.utility[0];
    assert_eq!(u1.length, 1);
    assert!(u1.fabricated_share < 0.2, "{u1:?}");
    assert_eq!(
        u1.fabricated_share, 0.0,
        "length-1 items come from protected ones"
    );
    // The length-1 quotas make the synthetic single counts track the protected ones (without
    // them the error was ~100 here); allow one per mille of N for quota fallbacks.
    assert!(u1.mean_abs_error < 0.001 * n as f64, "{u1:?}");
    let u2 = &rel.utility[1];
    assert!(u2.fabricated_share < 0.5, "{u2:?}");
    assert!(u2.suppressed_share < 0.2, "{u2:?}");
    eprintln!("utility: {:#?}", rel.utility);
}

#[test]
fn a_unique_combination_is_not_released() {
    let s = schema();
    let mut records = data(2_000, 3);
    // Clear every "other" gender and "27+" age, then add one record holding both: the
    // pair (other, 27+) occurs exactly once; both values alone occur often enough.
    for r in &mut records {
        r.values[0].retain(|v| v != "other");
        r.values[1].retain(|v| v != "27+");
    }
    for r in records.iter_mut().take(300) {
        r.values[0] = vec!["other".to_owned()];
        r.values[1] = vec!["18-20".to_owned()];
    }
    for r in records.iter_mut().skip(300).take(300) {
        r.values[0] = vec!["female".to_owned()];
        r.values[1] = vec!["27+".to_owned()];
    }
    let mut unique = records[1000].clone();
    unique.values[0] = vec!["other".to_owned()];
    unique.values[1] = vec!["27+".to_owned()];
    records.push(unique);

    let mut released = 0;
    for seed in 0..20 {
        let params = Params {
            synthesis_seed: seed,
            ..Params::default()
        };
        let rel = release(&s, &records, &params).unwrap();
        // Both values are protected at length 1, so the pair was a candidate.
        let singles: Vec<&Marginal> = rel
            .marginals
            .iter()
            .filter(|m| m.items.len() == 1)
            .collect();
        assert!(
            singles
                .iter()
                .any(|m| m.items[0] == (0, "other".to_owned()))
        );
        assert!(singles.iter().any(|m| m.items[0] == (1, "27+".to_owned())));
        if rel.marginals.iter().any(|m| {
            m.items.contains(&(0, "other".to_owned())) && m.items.contains(&(1, "27+".to_owned()))
        }) {
            released += 1;
        }
    }
    // P(survive) ≈ P(Z ≥ 2σ − 1) ≈ 2.5% per release; 6 of 20 has probability ~1e-5.
    assert!(released <= 5, "unique pair released {released} times of 20");
}

#[test]
fn bad_params_are_rejected() {
    let s = schema();
    let records = data(10, 4);
    let with = |f: fn(&mut Params)| {
        let mut p = Params::default();
        f(&mut p);
        release(&s, &records, &p).unwrap_err()
    };
    assert_eq!(with(|p| p.epsilon = 0.0), Error::Epsilon(0.0));
    assert_eq!(with(|p| p.epsilon = -1.0), Error::Epsilon(-1.0));
    assert!(matches!(with(|p| p.epsilon = f64::NAN), Error::Epsilon(_)));
    assert_eq!(
        with(|p| p.epsilon = f64::INFINITY),
        Error::Epsilon(f64::INFINITY)
    );
    assert_eq!(with(|p| p.delta = 0.0), Error::Delta(0.0));
    assert_eq!(with(|p| p.delta = 1.0), Error::Delta(1.0));
    assert_eq!(with(|p| p.reporting_length = 0), Error::ReportingLength);
    assert_eq!(with(|p| p.max_items = 0), Error::MaxItems);
    assert_eq!(with(|p| p.count_share = 0.0), Error::CountShare(0.0));
    assert_eq!(with(|p| p.count_share = 1.0), Error::CountShare(1.0));
    assert_eq!(with(|p| p.threshold_sigmas = -1.0), Error::Threshold(-1.0));
}

#[test]
fn bad_records_and_schemas_are_rejected() {
    let s = schema();
    let p = Params::default();
    let mut records = data(10, 5);
    records[3].values[2] = vec!["ZZ".to_owned()];
    assert_eq!(
        release(&s, &records, &p).unwrap_err(),
        Error::OutOfDomain {
            record: 3,
            attribute: "citizenship".to_owned(),
            value: "ZZ".to_owned()
        }
    );
    let mut records = data(10, 5);
    records[4].values[4] = vec!["sexual".to_owned(), "piracy".to_owned()];
    assert!(matches!(
        release(&s, &records, &p).unwrap_err(),
        Error::OutOfDomain { record: 4, .. }
    ));
    let mut records = data(10, 5);
    records[5].values.pop();
    assert_eq!(
        release(&s, &records, &p).unwrap_err(),
        Error::RecordWidth {
            record: 5,
            expected: 5,
            found: 4
        }
    );
    let mut records = data(10, 5);
    records[6].values[0] = vec!["female".to_owned(), "male".to_owned()];
    assert_eq!(
        release(&s, &records, &p).unwrap_err(),
        Error::SeveralValues {
            record: 6,
            attribute: "gender".to_owned()
        }
    );
    let mut bad = schema();
    bad.attributes[1].values.push("0-8".to_owned());
    assert!(matches!(
        release(&bad, &data(10, 5), &p).unwrap_err(),
        Error::Schema(_)
    ));
    let mut bad = schema();
    bad.attributes[4].values.push("a;b".to_owned());
    assert!(matches!(
        release(&bad, &data(10, 5), &p).unwrap_err(),
        Error::Schema(_)
    ));
}

#[test]
fn noise_is_real() {
    let s = schema();
    let records = data(500, 6);
    let p = Params::default();
    let a = release(&s, &records, &p).unwrap();
    let b = release(&s, &records, &p).unwrap();
    assert!(
        a.noisy_count != b.noisy_count || a.marginals != b.marginals,
        "two releases drew identical noise"
    );
}

#[test]
fn csv_quotes_and_sorts() {
    let s = Schema {
        attributes: vec![
            attr("name, full", &["Doe, \"J\"", "Roe"], false),
            attr("forms", &["a", "b"], true),
        ],
    };
    let records = vec![
        Record {
            values: vec![vec!["Roe".to_owned()], vec![]],
        },
        Record {
            values: vec![
                vec!["Doe, \"J\"".to_owned()],
                vec!["a".to_owned(), "b".to_owned()],
            ],
        },
    ];
    assert_eq!(
        to_csv(&s, &records),
        "\"name, full\",forms\r\n\"Doe, \"\"J\"\"\",a;b\r\nRoe,\r\n"
    );
}

#[test]
fn contribution_bound_keeps_single_items_first() {
    let s = Schema {
        attributes: vec![
            attr("a", &["1", "2"], false),
            attr("b", &["1", "2"], false),
            attr("m", &["w", "x", "y", "z"], true),
        ],
    };
    let index = Index::new(&s).unwrap();
    // Items: a=1 (0), b=2 (3), m = all four (4..8).
    let items = vec![0, 3, 4, 5, 6, 7];
    let kept = bound_record(&index, items.clone(), 4, 9);
    assert_eq!(kept.len(), 4);
    assert!(kept.contains(&0) && kept.contains(&3));
    assert!(kept.windows(2).all(|w| w[0] < w[1]));
    assert_eq!(kept, bound_record(&index, items.clone(), 4, 9));
    let only_single = bound_record(&index, items.clone(), 1, 9);
    assert_eq!(only_single.len(), 1);
    assert!(only_single[0] == 0 || only_single[0] == 3);
    assert_eq!(bound_record(&index, items.clone(), 6, 9), items);
    // Different seeds choose different multi subsets at least sometimes.
    let choices: std::collections::HashSet<Vec<u32>> = (0..20)
        .map(|seed| bound_record(&index, items.clone(), 3, seed))
        .collect();
    assert!(choices.len() > 1);
}

#[test]
fn candidates_respect_slots_and_survival() {
    let s = Schema {
        attributes: vec![attr("a", &["1", "2"], false), attr("m", &["x", "y"], true)],
    };
    let index = Index::new(&s).unwrap();
    // Items: a=1 (0), a=2 (1), m=x (2), m=y (3). All singles survive.
    let level1: HashMap<Vec<u32>, i64> = (0..4).map(|i| (vec![i], 10)).collect();
    let c2 = candidates(&index, &level1, 2, MAX_CANDIDATES).unwrap();
    // Never {a=1, a=2}; the two multi values may pair.
    assert_eq!(
        c2,
        vec![vec![0, 2], vec![0, 3], vec![1, 2], vec![1, 3], vec![2, 3]]
    );
    // Length 3 only from fully surviving subsets: drop {1, 3}.
    let level2: HashMap<Vec<u32>, i64> = c2
        .into_iter()
        .filter(|c| c != &vec![1, 3])
        .map(|c| (c, 10))
        .collect();
    let c3 = candidates(&index, &level2, 3, MAX_CANDIDATES).unwrap();
    assert_eq!(c3, vec![vec![0, 2, 3]]);
    assert_eq!(
        candidates(&index, &level1, 2, 3).unwrap_err(),
        Error::TooManyCandidates {
            length: 2,
            limit: 3
        }
    );
}

#[test]
fn subsets_and_binomials_agree() {
    let items: Vec<u32> = (10..17).collect();
    for k in 0..=8 {
        let mut seen = std::collections::HashSet::new();
        let mut sub = Subsets::new(items.len(), k);
        let mut buf = Vec::new();
        while sub.next_into(&items, &mut buf) {
            assert_eq!(buf.len(), k);
            assert!(buf.windows(2).all(|w| w[0] < w[1]));
            seen.insert(buf.clone());
        }
        assert_eq!(seen.len() as u128, binomial(items.len(), k));
    }
    assert_eq!(binomial(12, 3), 220);
    let s = sqrt_up(220).unwrap();
    assert!(s * s >= 220.0 && s.next_down() * s.next_down() < 220.0 + 1e-9);
}

#[test]
fn synthesis_reads_only_the_protected_marginals() {
    let s = schema();
    let index = Index::new(&s).unwrap();
    // Protected: female (0) 60, male (1) 30; female+sexual (0, 13) 40; sexual (13) 45.
    let mut l1 = HashMap::new();
    l1.insert(vec![0], 60);
    l1.insert(vec![1], 30);
    l1.insert(vec![13], 45);
    let mut l2 = HashMap::new();
    l2.insert(vec![0, 13], 40);
    let protected = vec![l1, l2];
    let p = Params::default();
    let a = synthesise(&index, &protected, 100, 2, &p);
    let b = synthesise(&index, &protected, 100, 2, &p);
    assert_eq!(a, b, "synthesis is a deterministic function of its inputs");
    assert_eq!(a.len(), 100);
    // Only items with a protected length-1 marginal appear.
    for r in &a {
        assert!(r.iter().all(|i| [0, 1, 13].contains(i)), "{r:?}");
    }
    // The length-1 quotas: female 60, male 30, sexual 45 of 100 (up to quota fallbacks).
    let with = |i: u32| a.iter().filter(|r| r.contains(&i)).count() as i64;
    assert!((with(0) - 60).abs() <= 3, "female {}", with(0));
    assert!((with(1) - 30).abs() <= 3, "male {}", with(1));
    assert!((with(13) - 45).abs() <= 3, "sexual {}", with(13));
    // Sexual among women follows the protected pair (40 of 60), not independence (27).
    let both = a
        .iter()
        .filter(|r| r.contains(&0) && r.contains(&13))
        .count();
    assert!(both >= 32, "female+sexual {both}");
    let other_seed = synthesise(
        &index,
        &protected,
        100,
        2,
        &Params {
            synthesis_seed: 1,
            ..p
        },
    );
    assert_ne!(a, other_seed);
}
