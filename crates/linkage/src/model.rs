//! Prepared records, comparison levels and the trained model's scoring.

use std::collections::HashMap;
use std::hash::{BuildHasherDefault, Hasher};

use serde::{Deserialize, Serialize};

use crate::names::{self, Tok, hash_bytes, jaro_winkler, token_sim, within_one_edit};
use crate::{Comparison, Date, Record, Scored, Sex, probability};

/// Comparisons, in pattern order.
pub(crate) const NAME: usize = 0;
pub(crate) const DOB: usize = 1;
pub(crate) const NIK: usize = 2;
pub(crate) const SEX: usize = 3;
pub(crate) const REGION: usize = 4;
pub(crate) const OTHER_ID: usize = 5;
pub(crate) const POSTCODE: usize = 6;
pub(crate) const ADDRESS: usize = 7;
pub(crate) const LOCALITY: usize = 8;
pub(crate) const NC: usize = 9;
/// The comparison does not apply (a value is missing, or it is already counted in the NIK).
pub(crate) const NULL: u8 = 15;

pub(crate) const FIELDS: [&str; NC] = [
    "name",
    "birth_date",
    "nik",
    "sex",
    "region",
    "other_id",
    "postcode",
    "address",
    "locality",
];

pub(crate) const LEVELS: [&[&str]; NC] = [
    &[
        "exact (same tokens in any order, or merged)",
        "fuzzy (every token close: typo, variant, initial)",
        "subset (the shorter name's tokens all in the longer: token dropped, mononym)",
        "partial (some token shared or close)",
        "different",
    ],
    &[
        "exact",
        "typo (one digit, day/month swapped)",
        "near (a few days, or year ±1)",
        "placeholder date (1 Jan / 1 Jul / 31 Dec) in the same year",
        "different",
    ],
    &[
        "exact",
        "typo (one digit or transposition)",
        "same district+birth date, other serial, names agree",
        "same district+birth date, other serial (a different person)",
        "same district",
        "different",
    ],
    &["agree", "differ"],
    &["same regency", "same province", "different"],
    &["exact", "one edit", "different"],
    &["exact", "one edit", "different"],
    &["exact", "similar", "different"],
    &["exact", "similar", "different"],
];

pub(crate) fn n_levels(c: usize) -> usize {
    LEVELS[c].len()
}

/// A record with its normalised forms computed once; build it with [`Prepared::new`] and score
/// many pairs with [`Model::score_prepared`] / [`Model::weight_prepared`].
#[derive(Debug, Clone)]
pub struct Prepared {
    pub id: u64,
    pub(crate) toks: Vec<Tok>,
    /// Hash of the sorted canonical tokens (the name's term-frequency key).
    pub(crate) name_key: u64,
    pub(crate) sorted_key: Box<str>,
    pub(crate) concat: Box<str>,
    pub(crate) sorted_concat: Box<str>,
    pub(crate) concat_hash: u64,
    pub(crate) sorted_concat_hash: u64,
    /// The NIK as a number when it has 16 digits (fast equality and prefix tests), else 0.
    pub(crate) nik_num: u64,
    /// Hash of the region code, and its first two characters (the province).
    pub(crate) region_hash: u64,
    pub(crate) province: [u8; 2],
    pub(crate) sex: Option<Sex>,
    pub(crate) birth: Option<Date>,
    pub(crate) bdays: i32,
    /// Digits of the NIK (10 to 20 of them), else `None`.
    pub(crate) nik: Option<Box<[u8]>>,
    pub(crate) region: Option<Box<str>>,
    pub(crate) other_id: Option<Box<str>>,
    pub(crate) postcode: Option<Box<str>>,
    pub(crate) address: Option<Box<str>>,
    pub(crate) locality: Option<Box<str>>,
    pub(crate) blank: bool,
    /// Frequency counts of this record's full name and birth date under a model, filled by
    /// [`Model::annotate`] (0 = not filled: looked up at scoring time).
    pub(crate) name_count: u32,
    pub(crate) dob_count: u32,
}

fn clean(s: &Option<String>) -> Option<Box<str>> {
    let t = s.as_deref()?.trim();
    if t.is_empty() {
        None
    } else {
        Some(t.to_lowercase().into_boxed_str())
    }
}

/// Birth date and sex encoded in a 16-digit NIK (`DD` + 40 for women). The century is the
/// latest one that does not put the birth in the future of 2030.
pub fn nik_birth_sex(nik: &[u8]) -> Option<(Date, Sex)> {
    if nik.len() != 16 {
        return None;
    }
    let num = |i: usize| -> u32 { u32::from(nik[i] - b'0') * 10 + u32::from(nik[i + 1] - b'0') };
    let (mut day, month, yy) = (num(6), num(8), num(10));
    let sex = if day > 40 {
        day -= 40;
        Sex::Female
    } else {
        Sex::Male
    };
    if !(1..=31).contains(&day) || !(1..=12).contains(&month) {
        return None;
    }
    let year = if yy <= 30 { 2000 + yy } else { 1900 + yy } as i32;
    Some((
        Date {
            year,
            month: month as u8,
            day: day as u8,
        },
        sex,
    ))
}

impl Prepared {
    pub fn new(r: &Record) -> Prepared {
        let toks = r.name.as_deref().map(names::tokens).unwrap_or_default();
        let mut sorted: Vec<&str> = toks.iter().map(|t| &*t.s).collect();
        sorted.sort_unstable();
        let sorted_key = sorted.join(" ");
        let sorted_concat: String = sorted.concat();
        let concat: String = toks.iter().map(|t| &*t.s).collect();
        let nik = r.nik.as_deref().and_then(|n| {
            let d: Vec<u8> = n.bytes().filter(u8::is_ascii_digit).collect();
            (10..=20).contains(&d.len()).then(|| d.into_boxed_slice())
        });
        let from_nik = nik.as_deref().and_then(nik_birth_sex);
        let birth = r.birth.or(from_nik.map(|x| x.0));
        let sex = r.sex.or(from_nik.map(|x| x.1));
        let other_id = clean(&r.other_id);
        let blank = toks.is_empty() && r.birth.is_none() && nik.is_none() && other_id.is_none();
        let nik_num = match nik.as_deref() {
            Some(d) if d.len() == 16 => d.iter().fold(0u64, |a, &c| a * 10 + u64::from(c - b'0')),
            _ => 0,
        };
        let region = clean(&r.region);
        let (region_hash, province) = match region.as_deref() {
            Some(x) => {
                let b = x.as_bytes();
                (
                    hash_bytes(b),
                    [
                        b.first().copied().unwrap_or(0),
                        b.get(1).copied().unwrap_or(0),
                    ],
                )
            }
            None => (0, [0, 0]),
        };
        Prepared {
            id: r.id,
            concat_hash: hash_bytes(concat.as_bytes()),
            sorted_concat_hash: hash_bytes(sorted_concat.as_bytes()),
            nik_num,
            region_hash,
            province,
            name_key: if toks.is_empty() {
                0
            } else {
                hash_bytes(sorted_key.as_bytes())
            },
            sorted_key: sorted_key.into_boxed_str(),
            toks,
            concat: concat.into_boxed_str(),
            sorted_concat: sorted_concat.into_boxed_str(),
            sex,
            birth,
            bdays: birth.map(|d| d.day_number()).unwrap_or(0),
            nik,
            region,
            other_id,
            postcode: clean(&r.postcode),
            address: clean(&r.address),
            locality: clean(&r.locality),
            blank,
            name_count: 0,
            dob_count: 0,
        }
    }

    pub fn is_blank(&self) -> bool {
        self.blank
    }
}

/// Name level plus log2 of the frequency of the agreeing part (for the TF adjustment).
pub(crate) fn name_level(a: &Prepared, b: &Prepared, tf: &dyn Fn(u64) -> f64) -> (u8, f64) {
    if a.toks.is_empty() || b.toks.is_empty() {
        return (NULL, 0.0);
    }
    if a.name_key == b.name_key && a.sorted_key == b.sorted_key {
        return (0, 0.0);
    }
    if (a.concat_hash == b.concat_hash && a.concat == b.concat)
        || (a.sorted_concat_hash == b.sorted_concat_hash && a.sorted_concat == b.sorted_concat)
    {
        return (0, 0.0);
    }
    let (s, l) = if a.toks.len() <= b.toks.len() {
        (&a.toks, &b.toks)
    } else {
        (&b.toks, &a.toks)
    };
    let mut used = [false; 16];
    let mut matched = 0usize;
    let mut matched_full = 0usize;
    let mut matched_exact = 0usize;
    let mut strong = 0usize;
    let mut log_f = 0.0;
    // the more common spelling of each matched pair (a typo must not make a name look rare)
    let mut log_f_max = 0.0;
    let mut established_diff = 0usize;
    for t in s.iter() {
        let mut best = 0.0;
        let mut bi = usize::MAX;
        for (j, u) in l.iter().enumerate().take(16) {
            if used[j] {
                continue;
            }
            let sim = token_sim(t, u);
            if sim > best {
                best = sim;
                bi = j;
            }
        }
        if bi != usize::MAX && best >= 0.85 {
            used[bi] = true;
            matched += 1;
            if best >= 0.999 || t.initial || l[bi].initial {
                matched_exact += 1;
            }
            if !t.initial && !l[bi].initial && best >= 0.88 {
                matched_full += 1;
                let ft = tf(t.hash);
                log_f += ft;
                log_f_max += if best >= 0.999 {
                    ft
                } else {
                    let fu = tf(l[bi].hash);
                    if ft.min(fu) > ESTABLISHED_LOG_FREQ {
                        established_diff += 1;
                    }
                    ft.max(fu)
                };
                if best >= 0.92 {
                    strong += 1;
                }
            }
        }
    }
    if matched_full == 0 {
        // merged tokens with a typo, or a name written without spaces
        if a.concat.len() >= 6 && a.concat.len().abs_diff(b.concat.len()) <= 3 && concat_close(a, b)
        {
            return (1, 0.0);
        }
        return (4, 0.0);
    }
    if matched == s.len() {
        if s.len() == l.len() {
            // a differing token pair whose both spellings are common names: two names
            return (1, log_f_max + ESTABLISHED_PENALTY * established_diff as f64);
        }
        if matched_exact == s.len() {
            return (2, log_f);
        }
        return (3, 0.0);
    }
    if s.len() == l.len() && s.len() >= 2 && concat_close(a, b) {
        return (1, 0.0);
    }
    if strong > 0 {
        return (3, 0.0);
    }
    (4, 0.0)
}

/// A name token is an established name when it is in more than 2^-14 of the named records
/// (about 6 at 100k, 61 at 1M): a typo rarely produces one.
const ESTABLISHED_LOG_FREQ: f64 = -14.0;
/// In a fuzzy name, each differing token pair whose two spellings are both established names
/// counts as this much more common (log2) in the TF adjustment: two different names, not a
/// typo of one (Wahyuni / Wahyuti). Clamped by the fuzzy level's TF cap.
const ESTABLISHED_PENALTY: f64 = 8.0;
/// The names written without spaces are within Jaro-Winkler 0.94 (in order or sorted).
fn concat_close(a: &Prepared, b: &Prepared) -> bool {
    let close = |x: &str, y: &str| {
        x.as_bytes().first() == y.as_bytes().first()
            && jaro_winkler(x.as_bytes(), y.as_bytes()) >= 0.94
    };
    close(&a.concat, &b.concat) || close(&a.sorted_concat, &b.sorted_concat)
}

pub(crate) fn dob_level(a: &Prepared, b: &Prepared) -> u8 {
    let (Some(x), Some(y)) = (a.birth, b.birth) else {
        return NULL;
    };
    if x == y {
        return 0;
    }
    let (sx, sy) = (x.ymd(), y.ymd());
    let (dx, dy) = (digits8(sx), digits8(sy));
    let mut diff = [0usize; 8];
    let mut nd = 0;
    for i in 0..8 {
        if dx[i] != dy[i] {
            diff[nd] = i;
            nd += 1;
        }
    }
    let swapped = x.year == y.year && x.month == y.day && x.day == y.month;
    let transposed = nd == 2
        && diff[1] == diff[0] + 1
        && dx[diff[0]] == dy[diff[1]]
        && dx[diff[1]] == dy[diff[0]];
    if nd == 1 || swapped || transposed {
        return 1;
    }
    let days = (a.bdays - b.bdays).abs();
    if days <= 3 || (x.month == y.month && x.day == y.day && (x.year - y.year).abs() == 1) {
        return 2;
    }
    if x.year == y.year && (x.is_placeholder() || y.is_placeholder()) {
        return 3;
    }
    4
}

fn digits8(v: u32) -> [u8; 8] {
    let mut d = [0u8; 8];
    let mut v = v;
    for i in (0..8).rev() {
        d[i] = (v % 10) as u8;
        v /= 10;
    }
    d
}

/// NIK level; `names_agree` decides between the two "other serial" levels.
pub(crate) fn nik_level(a: &Prepared, b: &Prepared, names_agree: bool) -> u8 {
    let (Some(x), Some(y)) = (a.nik.as_deref(), b.nik.as_deref()) else {
        return NULL;
    };
    let (nx, ny) = (a.nik_num, b.nik_num);
    if nx != 0 && ny != 0 {
        if nx == ny {
            return 0;
        }
        if nx / 10_000 == ny / 10_000 {
            return if names_agree { 2 } else { 3 };
        }
    } else if x == y {
        return 0;
    }
    if within_one_edit(x, y) {
        return 1;
    }
    if x.len() >= 6 && y.len() >= 6 && x[..6] == y[..6] {
        return 4;
    }
    5
}

fn eq_level(a: &Option<Box<str>>, b: &Option<Box<str>>, fuzzy_edit: bool) -> u8 {
    let (Some(x), Some(y)) = (a, b) else {
        return NULL;
    };
    if x == y {
        return 0;
    }
    let close = if fuzzy_edit {
        within_one_edit(x.as_bytes(), y.as_bytes())
    } else {
        jaro_winkler(x.as_bytes(), y.as_bytes()) >= 0.88
    };
    if close { 1 } else { 2 }
}

/// Levels of every comparison for a pair, and the log2 frequencies used by the TF adjustment
/// of the name's subset/partial levels.
pub(crate) fn levels(a: &Prepared, b: &Prepared, tf: &dyn Fn(u64) -> f64) -> ([u8; NC], f64) {
    let mut lv = [NULL; NC];
    let (nl, log_f) = name_level(a, b, tf);
    lv[NAME] = nl;
    lv[NIK] = nik_level(a, b, nl <= 1);
    if lv[NIK] <= 1 {
        // the NIK already holds the birth date and the sex: do not count them twice (for the
        // "other serial" levels they are counted, and the NIK level's u is conditional on them)
        lv[DOB] = NULL;
        lv[SEX] = NULL;
    } else {
        lv[DOB] = dob_level(a, b);
        lv[SEX] = match (a.sex, b.sex) {
            (Some(x), Some(y)) => u8::from(x != y),
            _ => NULL,
        };
    }
    lv[REGION] = if a.region_hash == 0 || b.region_hash == 0 {
        NULL
    } else if a.region_hash == b.region_hash {
        0
    } else if a.province == b.province {
        1
    } else {
        2
    };
    lv[OTHER_ID] = eq_level(&a.other_id, &b.other_id, true);
    lv[POSTCODE] = eq_level(&a.postcode, &b.postcode, true);
    lv[ADDRESS] = eq_level(&a.address, &b.address, false);
    lv[LOCALITY] = eq_level(&a.locality, &b.locality, false);
    (lv, log_f)
}

pub(crate) fn pattern_key(lv: &[u8; NC]) -> u64 {
    lv.iter()
        .enumerate()
        .fold(0u64, |k, (i, &l)| k | (u64::from(l) << (4 * i)))
}

pub(crate) fn pattern_levels(key: u64) -> [u8; NC] {
    let mut lv = [NULL; NC];
    for (i, l) in lv.iter_mut().enumerate() {
        *l = ((key >> (4 * i)) & 15) as u8;
    }
    lv
}

/// Hasher for keys that are already well-mixed 64-bit hashes.
#[derive(Default, Clone, Copy)]
pub struct KeyHasher(u64);

impl Hasher for KeyHasher {
    fn finish(&self) -> u64 {
        self.0
    }
    fn write(&mut self, bytes: &[u8]) {
        for &b in bytes {
            self.0 = (self.0 << 8 | u64::from(b)).wrapping_mul(0x9e37_79b9_7f4a_7c15);
        }
    }
    fn write_u64(&mut self, v: u64) {
        self.0 = v;
    }
    fn write_u32(&mut self, v: u32) {
        self.0 = crate::names::mix(u64::from(v));
    }
}

pub type KeyMap<K, V> = HashMap<K, V, BuildHasherDefault<KeyHasher>>;

/// Trained parameters. Serialise it with serde (JSON is fine); the frequency tables hold only
/// 64-bit hashes of names and counts, never the names themselves.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Model {
    /// Records it was trained on.
    pub n_records: u64,
    /// Prior probability that two random records are the same person.
    pub lambda: f64,
    /// `m[comparison][level]`.
    pub m: Vec<Vec<f64>>,
    /// `u[comparison][level]`.
    pub u: Vec<Vec<f64>>,
    /// Records with a name / a birth date (denominators of the frequency tables).
    pub n_named: u64,
    pub n_dated: u64,
    /// Count of each full name (hash of the sorted canonical tokens), only counts ≥ 2.
    pub name_counts: KeyMap<u64, u32>,
    /// Records containing each canonical token (hash), only counts ≥ 2.
    pub token_counts: KeyMap<u64, u32>,
    /// Count of each birth date (`YYYYMMDD`), only counts ≥ 2.
    pub dob_counts: KeyMap<u32, u32>,
    /// Mean log2 token frequency of random pairs at the name's subset level and (index 1) at
    /// its fuzzy level: the centre of their TF adjustment (0 = none; older models).
    pub tf_centre: [f64; 2],
    /// Candidate pairs seen in training and EM iterations run (information only).
    pub trained_pairs: u64,
    pub em_iterations: u32,
    /// log2(m/u) per level, computed on first use.
    #[serde(skip)]
    pub(crate) cache: std::sync::OnceLock<[[f64; 8]; NC]>,
}

/// Largest TF adjustment, in bits, either way.
const TF_CAP: f64 = 8.0;
const SUBSET_TF_CAP: f64 = 3.0;
const FUZZY_TF_CAP: f64 = 4.0;

impl Model {
    pub(crate) fn token_log_freq(&self, h: u64) -> f64 {
        let c = self.token_counts.get(&h).copied().unwrap_or(1).max(1);
        (f64::from(c) / self.n_named.max(1) as f64).log2()
    }

    fn level_weight(&self, c: usize, l: u8) -> f64 {
        let table = self.cache.get_or_init(|| {
            let mut t = [[0.0; 8]; NC];
            for (c, row) in t.iter_mut().enumerate() {
                for (l, w) in row.iter_mut().enumerate().take(n_levels(c)) {
                    let (m, u) = (
                        self.m.get(c).and_then(|r| r.get(l)).copied().unwrap_or(1.0),
                        self.u.get(c).and_then(|r| r.get(l)).copied().unwrap_or(1.0),
                    );
                    *w = (m / u).log2();
                }
            }
            t
        });
        table[c][usize::from(l)]
    }

    fn name_count(&self, p: &Prepared) -> u32 {
        if p.name_count > 0 {
            p.name_count
        } else {
            self.name_counts.get(&p.name_key).copied().unwrap_or(1)
        }
    }

    /// Caches this model's frequency counts in a prepared record (scoring it many times is
    /// then cheaper). Scores are the same with or without it.
    pub fn annotate(&self, p: &mut Prepared) {
        p.name_count = self
            .name_counts
            .get(&p.name_key)
            .copied()
            .unwrap_or(1)
            .max(1);
        p.dob_count = p
            .birth
            .map(|d| self.dob_counts.get(&d.ymd()).copied().unwrap_or(1).max(1))
            .unwrap_or(1);
    }

    /// Prior weight, log2(λ/(1-λ)).
    pub fn prior_weight(&self) -> f64 {
        (self.lambda / (1.0 - self.lambda)).log2()
    }

    /// Weight of each comparison (NaN when it does not apply) and the total.
    fn weights(&self, a: &Prepared, b: &Prepared) -> ([u8; NC], [f64; NC], f64) {
        let mut w = [f64::NAN; NC];
        if a.blank || b.blank {
            return ([NULL; NC], w, f64::NEG_INFINITY);
        }
        let tf = |h: u64| self.token_log_freq(h);
        let (lv, log_f) = levels(a, b, &tf);
        let mut total = self.prior_weight();
        for c in 0..NC {
            let l = lv[c];
            if l == NULL {
                continue;
            }
            let mut x = self.level_weight(c, l);
            if c == NAME && l == 0 {
                // exact name: u is the frequency of this very name
                let ca = self.name_count(a);
                let cb = self.name_count(b);
                let f = f64::from(ca.max(cb).max(1)) / self.n_named.max(1) as f64;
                let adj = (self.u[c][0] / f).log2().clamp(-TF_CAP, TF_CAP);
                x += adj;
            } else if c == NAME && l == 1 && log_f < 0.0 && self.tf_centre[1] < 0.0 {
                // fuzzy names: rare names agreeing up to a typo count more than common ones
                x += (self.tf_centre[1] - log_f).clamp(-FUZZY_TF_CAP, FUZZY_TF_CAP);
            } else if c == NAME && l == 2 {
                // a weaker adjustment: the unmatched tokens of the longer name are evidence too
                x += (self.tf_centre[0] - log_f).clamp(-SUBSET_TF_CAP, SUBSET_TF_CAP);
            } else if c == DOB
                && l == 0
                && let Some(d) = a.birth
            {
                let cnt = if a.dob_count > 0 {
                    a.dob_count
                } else {
                    self.dob_counts.get(&d.ymd()).copied().unwrap_or(1).max(1)
                };
                let f = f64::from(cnt) / self.n_dated.max(1) as f64;
                x += (self.u[c][0] / f).log2().clamp(-TF_CAP, TF_CAP);
            }
            w[c] = x;
            total += x;
        }
        (lv, w, total)
    }

    /// Match weight (log2 odds) of a prepared pair, without building an explanation.
    pub fn weight_prepared(&self, a: &Prepared, b: &Prepared) -> f64 {
        self.weights(a, b).2
    }

    /// Full score with explanation.
    pub fn score_prepared(&self, a: &Prepared, b: &Prepared) -> Scored {
        let (lv, w, total) = self.weights(a, b);
        if total == f64::NEG_INFINITY {
            return Scored {
                weight: total,
                probability: 0.0,
                explanation: vec![Comparison {
                    field: "record",
                    level: "blank: no identifying field, never matched",
                    weight: f64::NEG_INFINITY,
                }],
            };
        }
        let mut explanation = Vec::with_capacity(NC + 1);
        explanation.push(Comparison {
            field: "prior",
            level: "two records taken at random",
            weight: self.prior_weight(),
        });
        for c in 0..NC {
            if lv[c] != NULL {
                explanation.push(Comparison {
                    field: FIELDS[c],
                    level: LEVELS[c][usize::from(lv[c])],
                    weight: w[c],
                });
            } else if (c == DOB || c == SEX) && lv[NIK] <= 1 {
                explanation.push(Comparison {
                    field: FIELDS[c],
                    level: "counted in the NIK",
                    weight: 0.0,
                });
            }
        }
        Scored {
            weight: total,
            probability: probability(total),
            explanation,
        }
    }

    /// Scores two records. Prepare them once with [`Prepared::new`] and use
    /// [`Model::score_prepared`] when scoring one record against many.
    pub fn score(&self, a: &Record, b: &Record) -> Scored {
        self.score_prepared(&Prepared::new(a), &Prepared::new(b))
    }

    /// The sum of the comparison weights without the prior: the Bayes factor of the evidence.
    /// Clustering refuses merges across pairs where it is strongly negative.
    pub fn evidence_prepared(&self, a: &Prepared, b: &Prepared) -> f64 {
        self.weight_prepared(a, b) - self.prior_weight()
    }

    /// The evidence clustering checks between records of two clusters before merging them:
    /// [`Model::evidence_prepared`], but minus infinity when both records hold a NIK and the
    /// NIKs are unrelated (not equal, not neighbours, and more than two edits apart; two
    /// duplicates with one NIK typo each are two edits apart): the same person almost never
    /// has two such NIKs, however well the names and dates agree.
    pub(crate) fn cluster_evidence(&self, a: &Prepared, b: &Prepared) -> f64 {
        if let (Some(x), Some(y)) = (a.nik.as_deref(), b.nik.as_deref())
            && nik_level(a, b, false) == 5
            && names::osa(x, y, 2) > 2
        {
            return f64::NEG_INFINITY;
        }
        self.evidence_prepared(a, b)
    }

    /// m and u of every level, for reports: (field, level, m, u, weight).
    pub fn parameters(&self) -> Vec<(&'static str, &'static str, f64, f64, f64)> {
        let mut out = Vec::new();
        for c in 0..NC {
            for l in 0..n_levels(c) {
                out.push((
                    FIELDS[c],
                    LEVELS[c][l],
                    self.m[c][l],
                    self.u[c][l],
                    self.level_weight(c, l as u8),
                ));
            }
        }
        out
    }
}
