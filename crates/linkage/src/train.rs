//! Unsupervised training: u from random pairs (and exact NIK prefix counts), m and the match
//! share from EM (u fixed, as in Splink) on two training blockings, each leaving out the
//! comparisons its key involves: pairs with the same birth date estimate m of the name (and
//! the rest), pairs with the same name estimate m of the birth date and the NIK (and the
//! rest). Term-frequency tables come from the data.

use crate::Record;
use crate::block::Blocks;
use crate::model::{
    DOB, KeyMap, Model, NAME, NC, NIK, NULL, Prepared, SEX, levels, n_levels, pattern_key,
    pattern_levels,
};
use crate::names::mix;

/// Smallest m: no level is ever taken as impossible for the same person (data-entry errors
/// beyond the ones seen in training happen).
const M_FLOOR: f64 = 1e-4;

/// Knobs of [`train_with`]; the defaults suit 1k to 1M records.
#[derive(Debug, Clone)]
pub struct TrainOptions {
    /// Candidate pairs used by EM at most (a deterministic sample above that).
    pub max_em_pairs: u64,
    /// Random record pairs scored to estimate u.
    pub u_samples: u64,
    pub seed: u64,
    pub max_iterations: u32,
}

impl Default for TrainOptions {
    fn default() -> Self {
        TrainOptions {
            max_em_pairs: 4_000_000,
            u_samples: 1_000_000,
            seed: 42,
            max_iterations: 200,
        }
    }
}

pub(crate) fn threads() -> usize {
    std::thread::available_parallelism()
        .map(|n| n.get())
        .unwrap_or(1)
        .clamp(1, 16)
}

/// Runs `f(t, threads)` on every thread and returns the results in thread order.
pub(crate) fn par<T: Send>(f: impl Fn(usize, usize) -> T + Sync) -> Vec<T> {
    let n = threads();
    if n == 1 {
        return vec![f(0, 1)];
    }
    std::thread::scope(|s| {
        let hs: Vec<_> = (0..n)
            .map(|t| {
                s.spawn({
                    let f = &f;
                    move || f(t, n)
                })
            })
            .collect();
        hs.into_iter().filter_map(|h| h.join().ok()).collect()
    })
}

/// Trains a model on `records` with the default options. No labels are used.
/// Cost: about linear in the records (a few seconds per million on 2 cores, plus EM on at most
/// 4M candidate pairs and 3M random pairs).
pub fn train(records: &[Record]) -> Model {
    train_with(records, &TrainOptions::default())
}

pub fn train_with(records: &[Record], opts: &TrainOptions) -> Model {
    let preps = crate::block::prepare_sorted(records);
    let blocks = Blocks::build(&preps);
    train_prepared(&preps, &blocks, opts)
}

struct Counts {
    name: KeyMap<u64, u32>,
    token: KeyMap<u64, u32>,
    dob: KeyMap<u32, u32>,
    n_named: u64,
    n_dated: u64,
}

fn count_tables(preps: &[Prepared]) -> Counts {
    let mut c = Counts {
        name: KeyMap::default(),
        token: KeyMap::default(),
        dob: KeyMap::default(),
        n_named: 0,
        n_dated: 0,
    };
    let mut seen: Vec<u64> = Vec::new();
    for p in preps {
        if !p.toks.is_empty() {
            c.n_named += 1;
            *c.name.entry(p.name_key).or_insert(0) += 1;
            seen.clear();
            for t in &p.toks {
                if !seen.contains(&t.hash) {
                    seen.push(t.hash);
                    *c.token.entry(t.hash).or_insert(0) += 1;
                }
            }
        }
        if let Some(d) = p.birth {
            c.n_dated += 1;
            *c.dob.entry(d.ymd()).or_insert(0) += 1;
        }
    }
    c.name.retain(|_, v| *v >= 2);
    c.token.retain(|_, v| *v >= 2);
    c.dob.retain(|_, v| *v >= 2);
    c
}

pub(crate) fn train_prepared(preps: &[Prepared], blocks: &Blocks, opts: &TrainOptions) -> Model {
    let counts = count_tables(preps);
    let mut model = Model {
        n_records: preps.len() as u64,
        lambda: 1e-6,
        m: (0..NC)
            .map(|c| vec![1.0 / n_levels(c) as f64; n_levels(c)])
            .collect(),
        u: (0..NC)
            .map(|c| vec![1.0 / n_levels(c) as f64; n_levels(c)])
            .collect(),
        n_named: counts.n_named,
        n_dated: counts.n_dated,
        name_counts: counts.name,
        token_counts: counts.token,
        dob_counts: counts.dob,
        tf_centre: [0.0, 0.0],
        trained_pairs: 0,
        em_iterations: 0,
        cache: std::sync::OnceLock::new(),
    };
    let n = preps.len();
    if n < 2 {
        return model;
    }
    let live: Vec<u32> = (0..n as u32)
        .filter(|&i| !preps[i as usize].blank)
        .collect();

    // ---- u from random pairs
    let samples = opts
        .u_samples
        .min((live.len() as u64).saturating_mul(20).max(200_000))
        .min((live.len() as u64).saturating_mul(live.len() as u64) / 2);
    let parts = par(|t, nt| {
        let mut cnt = vec![vec![0u64; 8]; NC];
        let mut tf_sum = [0.0f64; 2];
        let mut tf_n = [0u64; 2];
        let tf = |h: u64| model.token_log_freq(h);
        let mut state = mix(opts.seed ^ (t as u64 + 1).wrapping_mul(0x9e37_79b9_7f4a_7c15));
        let per = samples / nt as u64 + 1;
        for _ in 0..per {
            state = mix(state.wrapping_add(0x9e37_79b9_7f4a_7c15));
            let i = live[(state % live.len() as u64) as usize] as usize;
            state = mix(state.wrapping_add(0x9e37_79b9_7f4a_7c15));
            let j = live[(state % live.len() as u64) as usize] as usize;
            if i == j {
                continue;
            }
            let (lv, log_f) = levels(&preps[i], &preps[j], &tf);
            for c in 0..NC {
                if lv[c] != NULL {
                    cnt[c][usize::from(lv[c])] += 1;
                }
            }
            // index 0: subset, 1: fuzzy (the levels with a TF adjustment)
            let k = match lv[NAME] {
                2 => 0,
                1 if log_f < 0.0 => 1,
                _ => 2,
            };
            if k < 2 {
                tf_sum[k] += log_f;
                tf_n[k] += 1;
            }
        }
        (cnt, tf_sum, tf_n)
    });
    let mut ucnt = vec![vec![0u64; 8]; NC];
    let mut tf_sum = [0.0f64; 2];
    let mut tf_n = [0u64; 2];
    for (c, s, k) in parts {
        for a in 0..NC {
            for l in 0..8 {
                ucnt[a][l] += c[a][l];
            }
        }
        for x in 0..2 {
            tf_sum[x] += s[x];
            tf_n[x] += k[x];
        }
    }
    for c in 0..NC {
        let nl = n_levels(c);
        let tot: u64 = ucnt[c][..nl].iter().sum();
        for l in 0..nl {
            model.u[c][l] = (ucnt[c][l] as f64 + 0.5) / (tot as f64 + 0.5 * nl as f64);
        }
    }
    for k in 0..2 {
        if tf_n[k] >= 20 {
            model.tf_centre[k] = tf_sum[k] / tf_n[k] as f64;
        }
    }
    nik_u_from_prefix_counts(preps, &mut model);

    // ---- m and λ: EM with u fixed, on two training blockings
    let _ = blocks;
    let cover = |k: u64| (k as f64 / n as f64).powi(2);
    // session 1: same birth date and same NIK district (or regency, or nothing else, when the
    // data has no NIK): small blocks where namesakes do not outnumber the true pairs even at
    // 1M records; estimates the name (and sex, region and the FEBRL fields)
    let has_region = preps.iter().any(|p| p.region.is_some());
    let has_nik = preps
        .iter()
        .any(|p| p.nik.as_deref().is_some_and(|n| n.len() == 16));
    let dob_keys: Vec<u64> = preps
        .iter()
        .map(|p| {
            let Some(d) = p.birth else { return 0 };
            let d = u64::from(d.ymd());
            if has_nik {
                // birth date + NIK district: small blocks, mostly the same person or neighbours
                match p.nik.as_deref() {
                    Some(n) if n.len() == 16 => mix(d ^ crate::names::hash_bytes(&n[..6])) | 1,
                    _ => 0,
                }
            } else if has_region {
                match p.region.as_deref() {
                    Some(r) => mix(d ^ crate::names::hash_bytes(r.as_bytes())) | 1,
                    None => 0,
                }
            } else {
                d + 1
            }
        })
        .collect();
    // session 2: same name, rare names only (common names are regional, so namesakes agree on
    // region and district more than random pairs); estimates birth date, NIK, sex, region
    let name_keys: Vec<u64> = preps.iter().map(|p| p.name_key).collect();
    let mut m_sum = vec![vec![0.0f64; 8]; NC];
    let mut m_n = [0u32; NC];
    let mut lambdas: Vec<f64> = Vec::new();
    let mut trained = 0u64;
    let mut iters = 0u32;
    let sessions: [(&[u64], &[usize], usize); 2] = [
        (
            &dob_keys,
            if has_nik {
                &[DOB, NIK]
            } else {
                &[DOB, NIK, crate::model::REGION]
            },
            usize::MAX,
        ),
        (&name_keys, &[NAME], 10),
    ];
    let mut session_m: Vec<Vec<Vec<f64>>> = Vec::new();
    for (si, (keys, excluded, group_cap)) in sessions.iter().enumerate() {
        let (pairs, all_pairs) =
            sample_group_pairs(keys, opts.max_em_pairs, *group_cap, opts.seed + si as u64);
        if pairs.len() < 100 {
            session_m.push(Vec::new());
            continue;
        }
        trained += pairs.len() as u64;
        let pats = patterns(preps, &pairs, &model, excluded);
        let (lam, m, it) = em(&pats, &model.u, opts.max_iterations);
        iters += it;
        for c in 0..NC {
            if excluded.contains(&c) {
                continue;
            }
            let has = pats.iter().any(|(lv, _)| lv[c] != NULL);
            if !has {
                continue;
            }
            for l in 0..n_levels(c) {
                m_sum[c][l] += m[c][l];
            }
            m_n[c] += 1;
        }
        // matches in the whole data: matches among these pairs / P(key agrees | match)
        let key_field = if si == 0 { DOB } else { NAME };
        session_m.push(m);
        lambdas.push(lam * all_pairs);
        let _ = key_field;
    }
    for c in 0..NC {
        if m_n[c] > 0 {
            for l in 0..n_levels(c) {
                model.m[c][l] = (m_sum[c][l] / f64::from(m_n[c])).max(M_FLOOR);
            }
        }
    }
    // λ: matches agreeing on the key = λ_session · pairs; divide by the share of matches that
    // agree on it (m of the key's exact level from the other session, times both present)
    let all = (n as f64) * (n as f64 - 1.0) / 2.0;
    let mut est = Vec::new();
    if let Some(&k) = lambdas.first() {
        let mut share = model.m[DOB][0] * cover(model.n_dated);
        if has_nik {
            let n_nik = preps
                .iter()
                .filter(|p| p.nik.as_deref().is_some_and(|n| n.len() == 16))
                .count() as u64;
            let mk = &model.m[NIK];
            // P(the NIK districts agree | match, both have a NIK)
            share *= (mk[0] + 0.6 * mk[1] + mk[2] + mk[3] + mk[4]) * cover(n_nik);
        } else if has_region {
            let n_region = preps.iter().filter(|p| p.region.is_some()).count() as u64;
            share *= model.m[crate::model::REGION][0] * cover(n_region);
        }
        if share > 0.0 && k > 0.0 && !session_m[0].is_empty() {
            est.push(k / share);
        }
    }
    if est.is_empty()
        && let Some(&k) = lambdas.get(1)
    {
        let share = model.m[NAME][0] * cover(model.n_named);
        if share > 0.0 && k > 0.0 {
            est.push(k / share);
        }
    }
    let matches = est.first().copied().unwrap_or(n as f64 * 0.1);
    model.lambda = (matches / all).clamp(1e-12, 0.5);
    model.trained_pairs = trained;
    model.em_iterations = iters;
    model.cache = std::sync::OnceLock::new();
    model
}

/// Samples up to `max` pairs of records sharing a key (key 0 = missing), in groups of at most
/// `max_group` records; returns the pairs and Σ n(n-1)/2 over the groups (the pairs sampled from).
fn sample_group_pairs(
    keys: &[u64],
    max: u64,
    max_group: usize,
    seed: u64,
) -> (Vec<(u32, u32)>, f64) {
    let mut idx: Vec<u32> = (0..keys.len() as u32)
        .filter(|&i| keys[i as usize] != 0)
        .collect();
    idx.sort_unstable_by_key(|&i| keys[i as usize]);
    let mut groups: Vec<(usize, usize)> = Vec::new();
    let mut i = 0;
    while i < idx.len() {
        let k = keys[idx[i] as usize];
        let mut j = i + 1;
        while j < idx.len() && keys[idx[j] as usize] == k {
            j += 1;
        }
        if j - i >= 2 {
            groups.push((i, j));
        }
        i = j;
    }
    groups.retain(|&(a, b)| b - a <= max_group);
    let capped = |g: usize| -> f64 { (g * (g - 1) / 2) as f64 };
    let total: f64 = groups.iter().map(|&(a, b)| capped(b - a)).sum();
    let all: f64 = groups
        .iter()
        .map(|&(a, b)| ((b - a) * (b - a - 1) / 2) as f64)
        .sum();
    let rate = if total <= max as f64 {
        1.0
    } else {
        max as f64 / total
    };
    let mut state = mix(seed ^ 0x5151);
    let mut rnd = || {
        state = mix(state.wrapping_add(0x9e37_79b9_7f4a_7c15));
        state
    };
    let mut out = Vec::new();
    for &(a, b) in &groups {
        let g = b - a;
        let full = g * (g - 1) / 2;
        let want = capped(g) * rate;
        let mut k = want.floor() as usize;
        if ((rnd() >> 11) as f64 / (1u64 << 53) as f64) < want - want.floor() {
            k += 1;
        }
        if k == 0 {
            continue;
        }
        if k * 2 >= full {
            let keep = k as f64 / full as f64;
            for x in a..b {
                for y in x + 1..b {
                    if ((rnd() >> 11) as f64 / (1u64 << 53) as f64) < keep {
                        out.push((idx[x], idx[y]));
                    }
                }
            }
        } else {
            for _ in 0..k {
                let x = a + (rnd() % g as u64) as usize;
                let mut y = a + (rnd() % (g as u64 - 1)) as usize;
                if y >= x {
                    y += 1;
                }
                out.push((idx[x], idx[y]));
            }
        }
    }
    // the share of the key's pairs that were sampled, as a count of "all pairs"
    let scale = if total > 0.0 { all / total } else { 1.0 };
    let _ = scale;
    (out, all)
}

/// Agreement patterns of `pairs` (comparisons in `excluded` set to null), aggregated.
fn patterns(
    preps: &[Prepared],
    pairs: &[(u32, u32)],
    model: &Model,
    excluded: &[usize],
) -> Vec<([u8; NC], f64)> {
    let parts = par(|t, nt| {
        let tf = |h: u64| model.token_log_freq(h);
        let mut pats: KeyMap<u64, f64> = KeyMap::default();
        let lo = pairs.len() * t / nt;
        let hi = pairs.len() * (t + 1) / nt;
        for &(i, j) in &pairs[lo..hi] {
            let (mut lv, _) = levels(&preps[i as usize], &preps[j as usize], &tf);
            if excluded.contains(&NIK) && lv[NIK] != NULL && lv[NIK] <= 1 {
                // the NIK held DOB and sex: restore them for this session
                lv[SEX] = match (preps[i as usize].sex, preps[j as usize].sex) {
                    (Some(x), Some(y)) => u8::from(x != y),
                    _ => NULL,
                };
            }
            for &c in excluded {
                lv[c] = NULL;
            }
            *pats.entry(pattern_key(&lv)).or_insert(0.0) += 1.0;
        }
        pats
    });
    let mut all: KeyMap<u64, f64> = KeyMap::default();
    for p in parts {
        for (k, v) in p {
            *all.entry(k).or_insert(0.0) += v;
        }
    }
    all.into_iter()
        .map(|(k, v)| (pattern_levels(k), v))
        .collect()
}

/// u of the NIK levels from exact counts: how many record pairs share the first 12 digits
/// (district + birth date + sex) but not the serial, and how many share only the district.
/// Random sampling almost never hits these levels, and their u must not be a pseudo-count:
/// "other serial" is exactly what distinct neighbours look like.
fn nik_u_from_prefix_counts(preps: &[Prepared], model: &mut Model) {
    let mut full: Vec<u64> = Vec::new();
    for p in preps {
        if let Some(d) = p.nik.as_deref()
            && d.len() == 16
        {
            full.push(d.iter().fold(0u64, |a, &c| a * 10 + u64::from(c - b'0')));
        }
    }
    let m = full.len() as f64;
    if m < 2.0 {
        return;
    }
    full.sort_unstable();
    let pairs_with = |div: u64| -> f64 {
        let mut total = 0.0;
        let mut i = 0;
        while i < full.len() {
            let key = full[i] / div;
            let mut j = i;
            while j < full.len() && full[j] / div == key {
                j += 1;
            }
            let c = (j - i) as f64;
            total += c * (c - 1.0) / 2.0;
            i = j;
        }
        total
    };
    let same_nik = pairs_with(1);
    let same12 = pairs_with(10_000);
    let same6 = pairs_with(10_000_000_000);
    let all = m * (m - 1.0) / 2.0;
    // pairs whose NIK date+sex digits (7-12) agree: birth date and sex are counted by their
    // own comparisons, so "other serial" is rated given that they agree
    let mut datesex: Vec<u64> = full.iter().map(|v| (v / 10_000) % 1_000_000).collect();
    datesex.sort_unstable();
    let mut same_ds = 0.0;
    let mut i = 0;
    while i < datesex.len() {
        let mut j = i;
        while j < datesex.len() && datesex[j] == datesex[i] {
            j += 1;
        }
        let c = (j - i) as f64;
        same_ds += c * (c - 1.0) / 2.0;
        i = j;
    }
    let serial = ((same12 - same_nik).max(1.0)) / same_ds.max(1.0);
    let district = ((same6 - same12).max(1.0)) / all;
    // among random pairs, how often do names agree (exact or fuzzy)?
    let name_agree = (model.u[NAME][0] + model.u[NAME][1]).clamp(1e-6, 0.5);
    let u = &mut model.u[NIK];
    // two different people with the same NIK: random sampling cannot see how rare that is
    // (it would give a pseudo-count of about 1/samples); one pair among all NIK holders, but
    // not below 1e-9, so that a NIK shared by someone with an unrelated name still only
    // reaches the review band rather than a sure match
    u[0] = u[0].min((1.0 / all).max(1e-9));
    u[2] = serial * name_agree;
    u[3] = serial * (1.0 - name_agree);
    u[4] = district;
    let rest: f64 = u[0] + u[1] + u[2] + u[3] + u[4];
    u[5] = (1.0 - rest + u[2] + u[3]).max(1e-6);
}

/// Two-class EM over aggregated agreement patterns. u within the training block is estimated
/// too (seeded with the random-pair u): the block's non-matches are not random pairs (namesakes
/// share regions, a birth-date block shares name fashions). Returns (share of matches, m,
/// iterations).
fn em(pats: &[([u8; NC], f64)], u_random: &[Vec<f64>], max_iter: u32) -> (f64, Vec<Vec<f64>>, u32) {
    let mut m: Vec<Vec<f64>> = (0..NC)
        .map(|c| {
            let nl = n_levels(c);
            (0..nl)
                .map(|l| {
                    if l == 0 {
                        0.7
                    } else {
                        0.3 / (nl - 1).max(1) as f64
                    }
                })
                .collect()
        })
        .collect();
    normalise(&mut m);
    let mut u: Vec<Vec<f64>> = u_random.to_vec();
    let mut lambda = 0.1;
    let mut iters = 0;
    for it in 0..max_iter {
        iters = it + 1;
        let mut mm = vec![vec![1e-9; 8]; NC];
        let mut uu = vec![vec![1e-9; 8]; NC];
        let (mut sm, mut total) = (0.0, 0.0);
        for (lv, cnt) in pats {
            let mut lr = 1.0f64;
            for c in 0..NC {
                let l = lv[c];
                if l != NULL {
                    lr *= m[c][usize::from(l)] / u[c][usize::from(l)];
                }
            }
            let odds = lambda / (1.0 - lambda) * lr;
            let g = if odds.is_finite() {
                odds / (1.0 + odds)
            } else {
                1.0
            };
            sm += g * cnt;
            total += cnt;
            for c in 0..NC {
                let l = lv[c];
                if l != NULL {
                    mm[c][usize::from(l)] += g * cnt;
                    uu[c][usize::from(l)] += (1.0 - g) * cnt;
                }
            }
        }
        let new_lambda = (sm / total.max(1e-12)).clamp(1e-9, 1.0 - 1e-9);
        let mut delta = (new_lambda - lambda).abs() / lambda.max(1e-12);
        for c in 0..NC {
            let nl = n_levels(c);
            let tm: f64 = mm[c][..nl].iter().sum();
            let tu: f64 = uu[c][..nl].iter().sum();
            for l in 0..nl {
                let nm = (mm[c][l] / tm).max(M_FLOOR);
                delta = delta.max((nm - m[c][l]).abs());
                m[c][l] = nm;
                u[c][l] = (uu[c][l] / tu).max(1e-9);
            }
        }
        lambda = new_lambda;
        if delta < 1e-6 {
            break;
        }
    }
    (lambda, m, iters)
}

fn normalise(p: &mut [Vec<f64>]) {
    for row in p.iter_mut() {
        let s: f64 = row.iter().sum();
        if s > 0.0 {
            for x in row.iter_mut() {
                *x /= s;
            }
        }
    }
}

#[cfg(test)]
pub(crate) fn em_for_test(pats: &[([u8; NC], f64)], u: &[Vec<f64>]) -> (f64, Vec<Vec<f64>>) {
    let (l, m, _) = em(pats, u, 500);
    (l, m)
}
