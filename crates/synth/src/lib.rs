//! Differentially private synthetic records by the **DP marginals** method: the method of
//! Microsoft's *synthetic-data-showcase* (after Gopi, Mahabadi & Yekhanin), which IOM's
//! CTDC used for its synthetic victim data. Everything released — the record count, the
//! protected marginals (combination counts) and the synthetic records made from them — is
//! covered by one zero-concentrated DP guarantee, reported as ρ and as the (ε, δ) it implies.
//!
//! # Privacy unit and noise
//!
//! Neighbouring data sets differ by adding or removing **one record**. All noise is exact
//! discrete Gaussian noise drawn by OpenDP 0.15.1: each noisy vector is released through an
//! OpenDP measurement built by `opendp::measurements::make_gaussian` over
//! `VectorDomain<AtomDomain<i64>>` with `L2Distance<f64>` and output measure
//! `ZeroConcentratedDivergence`; the ρ we report is the sum of those measurements' own
//! privacy maps evaluated at our sensitivities. No floating-point noise code of ours exists.
//! OpenDP is built without its `use-openssl` feature (the project builds without OpenSSL), so
//! its sampler draws its random bits from `rand` 0.7's `thread_rng` (ChaCha seeded by the
//! OS) rather than from OpenSSL's `RAND_priv_bytes`; OpenDP's documentation calls that
//! configuration "non-secure" (it is not hardened against side channels).
//!
//! # The method
//!
//! 1. **Items.** A record becomes a set of items (attribute, value); a multi-valued attribute
//!    gives one item per value it holds, a single-valued one at most one item. A value
//!    outside the attribute's public domain is an [`Error`], so is a second value of a
//!    single-valued attribute. **Contribution bound:** a record keeps at most
//!    `m = min(max_items, S)` items, where `S` is the most items any record can hold under
//!    the schema (one per single-valued attribute plus one per value of every multi-valued
//!    attribute). A record with more than `max_items` items keeps all of its single-valued
//!    items first (a random subset of them if they alone exceed the bound), then a random
//!    subset of its multi-valued items to fill the bound. "Random" is a xoshiro256** stream
//!    seeded by `synthesis_seed` and a hash of *that record's own items* — never by its
//!    position or by other records — so the choice is a fixed per-record function and
//!    neighbouring data sets still differ in one bounded record. The bound is fixed by the
//!    parameters and the public schema, not by the data, so no budget is spent on it (the
//!    showcase spends 1% of its budget on a DP percentile of record lengths because its
//!    input has no schema bounding a record's items; ours does).
//! 2. **Budget.** `ρ_total = rho_from_epsilon(ε, δ)` (the largest ρ whose zCDP → (ε, δ)
//!    conversion of Bun & Steinke 2016, `ρ + 2√(ρ ln(1/δ))`, stays within ε).
//!    `ρ_count = count_share · ρ_total` pays for the record count (L2 sensitivity 1); the rest
//!    is split equally over the combination lengths `k = 1..=R'`, where
//!    `R' = min(reporting_length, m)` (no record holds a longer combination, so longer
//!    lengths are skipped). A record holds at most `C(m, k)` combinations of length k, each
//!    counted once, so adding or removing it changes the vector of all k-combination counts
//!    by at most `√C(m, k)` in L2. The noise scale is `σ_k = √C(m, k) / √(2 ρ_k)` (with a
//!    relative margin of 1e-10 so rounding never overspends), since the discrete Gaussian of
//!    scale σ is `Δ²/(2σ²)`-zCDP (Canonne, Kamath & Steinke 2020). Lengths are released
//!    one after another and later candidate sets depend on earlier releases: adaptive
//!    composition of zCDP adds the ρ's.
//! 3. **Candidates, chosen without looking at the data**, so that the *support* of the
//!    released marginals is protected, not just their counts. Length 1: every (attribute,
//!    value) of the public domain. Length k ≥ 2: every set of k items from different
//!    *slots* — a single-valued attribute is one slot, every value of a multi-valued
//!    attribute is its own slot (two forms of exploitation may co-occur; two values of one
//!    single-valued attribute never do) — all of whose (k−1)-subsets survived at length k−1
//!    (a function of released noisy output only, hence post-processing). Every candidate's
//!    true count (zeros included) gets noise, and a candidate survives only if its noisy
//!    count is at least `threshold_sigmas · σ_k`. More than [`MAX_CANDIDATES`] candidates at
//!    one length is an [`Error::TooManyCandidates`] rather than an unbounded run.
//! 4. **Normalisation** (post-processing), from short to long combinations: noisy counts
//!    are integers already; the noisy record count is floored at 0. At length 1, the counts of
//!    the values of one single-valued attribute are scaled down (`⌊c·N/Σ⌋`) if they sum to
//!    more than the noisy record count N, and a multi value's count is capped at N. At
//!    length k ≥ 2 a combination is capped at the smallest normalised count of its
//!    (k−1)-subsets, so no combination outcounts any of its sub-combinations. Combinations
//!    whose count ends at 0 are dropped.
//! 5. **Synthesis, aggregate-seeded** (post-processing: it reads only the protected
//!    marginals and the noisy count, never the input records). It makes N records, one after
//!    another, from one xoshiro256** stream seeded by `synthesis_seed`. For each record the
//!    slots are visited in a freshly shuffled order, and each slot gets a weight per outcome
//!    — each value of a single-valued attribute plus "none", or present/absent for a multi
//!    value `v` — from the items chosen so far:
//!    * **Context.** For `c = min(R'−1, #chosen)` down to 1, take every c-subset `S` of the
//!      chosen items that is a protected combination and has at least one protected
//!      extension `S∪{v}` by this slot; the first `c` with such an `S` is used. Over those
//!      `S` the counts are summed: weight(v) = `Σ_S count(S∪{v})`, weight(none/absent) =
//!      `Σ_S max(0, count(S) − Σ_v count(S∪{v}))`. With a single context (the usual case while
//!      fewer than R' items are chosen) this is exactly sampling in proportion to the noisy
//!      counts, i.e. from the protected conditional distribution given `S`. When no context
//!      of length ≥ 1 qualifies, the empty context is used: weight(v) = `count({v})`,
//!      weight(none/absent) = `max(0, N − Σ_v count({v}))`.
//!    * **Length-1 quotas.** Every outcome has a quota: its protected length-1 count for a
//!      value, `max(0, N − Σ_v count({v}))` for none/absent. Each weight is multiplied by the
//!      share of its quota not yet used by earlier synthetic records, and a draw uses up one
//!      unit. Thus the synthetic single-item counts track the protected ones (sequential
//!      sampling from pooled, approximate conditionals otherwise drifts: without quotas a
//!      test release under-produced the common multi values by ~5% even without noise).
//!      If every quota-weighted outcome is 0 the unweighted context weights are used.
//!
//!    A value whose item has no protected length-1 marginal gets weight 0 and is never
//!    produced, so synthetic values always lie in the domain and every synthetic single
//!    item is a protected one. Combinations longer than R' are never looked at.
//! 6. **Utility report**, from protected outputs only: for each length k, the synthetic
//!    records' k-combination counts against the protected marginals of length k — the mean
//!    absolute count error over the union of both sets of combinations (a combination
//!    missing on one side counts 0 there), the *fabricated share* (distinct synthetic
//!    combinations that are not protected ones / distinct synthetic combinations) and the
//!    *suppressed share* (protected combinations absent from the synthetic records /
//!    protected combinations).
//!
//! # Defaults ([`Params::default`])
//!
//! * ε = 4, δ = 1e-6 (ρ ≈ 0.254): the budget asked for by the Gugus integration for one
//!   release; policy should set it, and repeated releases of the same cases add their ρ's.
//! * `reporting_length` R = 3: pairs and triples, enough for a two-way table split by a third
//!   attribute; every extra length takes a share of ρ and σ_k grows like `√C(m, k)`.
//! * `max_items = 12`: above the items a typical case record fills, so few records are
//!   truncated; a smaller bound cuts noise (through `√C(m, k)`) but drops items of rich
//!   records. With the defaults and m = 12: σ₁ ≈ 8.6, σ₂ ≈ 20, σ₃ ≈ 37 records.
//! * `count_share = 0.05`: one count of sensitivity 1 needs little (σ ≈ 6.3 records).
//! * `threshold_sigmas = 2.0`: a zero-count candidate survives with probability ≈ 2.3%, and a
//!   combination held by one person with about the same, while combinations held by several
//!   σ_k records are kept. Higher thresholds fabricate less and suppress more.
//! * `synthesis_seed = 0x5EED_CA5E`: arbitrary; it only fixes the post-processing.

mod rng;

use std::collections::{HashMap, HashSet};

use dashu::{integer::UBig, rational::RBig};
use opendp::{
    core::Measurement,
    domains::{AtomDomain, VectorDomain},
    measurements::make_gaussian,
    measures::ZeroConcentratedDivergence,
    metrics::L2Distance,
};
use serde::{Deserialize, Serialize};

use crate::rng::{Rng, record_seed};

/// Most candidate combinations noised at one length; more is an [`Error::TooManyCandidates`].
pub const MAX_CANDIDATES: usize = 2_000_000;

/// One attribute of the released records. `values` is the PUBLIC domain (all codes the
/// picklist allows), known without looking at data.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Attribute {
    pub name: String,
    pub values: Vec<String>,
    pub multi: bool,
}

/// The attributes of the released records, in column order.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Schema {
    pub attributes: Vec<Attribute>,
}

/// A record: per attribute (same order as the schema), the values it holds: none (unknown),
/// one (single-valued), several (multi-valued, e.g. forms of exploitation).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Record {
    pub values: Vec<Vec<String>>,
}

/// Parameters of one release; see the crate documentation for the defaults and why.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Params {
    /// Total ε of this release (default 4.0).
    pub epsilon: f64,
    /// δ (default 1e-6).
    pub delta: f64,
    /// R, the longest combination counted (default 3).
    pub reporting_length: usize,
    /// Contribution bound: most attribute items a record keeps (default 12); data-independent.
    pub max_items: usize,
    /// Share of ρ for the record count (default 0.05), in (0, 1).
    pub count_share: f64,
    /// A combination of length k survives only if its noisy count ≥ `threshold_sigmas · σ_k`
    /// (default 2.0), finite and ≥ 0.
    pub threshold_sigmas: f64,
    /// Seed of the post-processing sampler (and of the contribution-bound subset choice).
    pub synthesis_seed: u64,
}

impl Default for Params {
    fn default() -> Self {
        Self {
            epsilon: 4.0,
            delta: 1e-6,
            reporting_length: 3,
            max_items: 12,
            count_share: 0.05,
            threshold_sigmas: 2.0,
            synthesis_seed: 0x5EED_CA5E,
        }
    }
}

/// The outcome of [`release`]: everything in it is differentially private.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Release {
    /// The ε implied by `rho` at `delta` (≤ the requested ε).
    pub epsilon: f64,
    pub delta: f64,
    /// ρ-zCDP of the whole release: the sum of OpenDP's privacy maps of its measurements.
    pub rho: f64,
    /// The noisy number of records (floored at 0).
    pub noisy_count: u64,
    /// σ per combination length 1..=R' (R' = R unless records cannot hold R items).
    pub sigmas: Vec<f64>,
    /// Protected aggregates, sorted by length then items.
    pub marginals: Vec<Marginal>,
    /// Synthetic records, `noisy_count` of them.
    pub records: Vec<Record>,
    /// Per length 1..=R'.
    pub utility: Vec<LengthUtility>,
}

/// A protected combination: items (attribute index, value) sorted by attribute (then by the
/// value's place in the domain), and its noisy count after thresholding and normalisation.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Marginal {
    pub items: Vec<(usize, String)>,
    pub count: u64,
}

/// How the synthetic records reproduce the protected marginals of one length.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LengthUtility {
    pub length: usize,
    /// Protected marginals of this length.
    pub protected_combinations: usize,
    /// Distinct combinations of this length in the synthetic records.
    pub synthetic_combinations: usize,
    /// Mean |synthetic − protected| count over the union of both sets of combinations.
    pub mean_abs_error: f64,
    /// Synthetic combinations that are not protected ones / synthetic combinations.
    pub fabricated_share: f64,
    /// Protected combinations absent from the synthetic records / protected combinations.
    pub suppressed_share: f64,
}

/// What can go wrong in [`release`].
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum Error {
    #[error("epsilon must be finite and > 0, got {0}")]
    Epsilon(f64),
    #[error("delta must be in (0, 1), got {0}")]
    Delta(f64),
    #[error("reporting length must be at least 1")]
    ReportingLength,
    #[error("max_items must be at least 1")]
    MaxItems,
    #[error("count_share must be in (0, 1), got {0}")]
    CountShare(f64),
    #[error("threshold_sigmas must be finite and >= 0, got {0}")]
    Threshold(f64),
    #[error("invalid schema: {0}")]
    Schema(String),
    #[error("record {record} has {found} attributes, the schema {expected}")]
    RecordWidth {
        record: usize,
        expected: usize,
        found: usize,
    },
    #[error("record {record}: value {value:?} is not in the domain of attribute {attribute:?}")]
    OutOfDomain {
        record: usize,
        attribute: String,
        value: String,
    },
    #[error("record {record}: single-valued attribute {attribute:?} holds several values")]
    SeveralValues { record: usize, attribute: String },
    #[error("more than {limit} candidate combinations of length {length}")]
    TooManyCandidates { length: usize, limit: usize },
    #[error("noise measurement failed: {0}")]
    Sampler(String),
}

/// The largest ρ with `ρ + 2√(ρ ln(1/δ)) ≤ ε` (the inverse of [`epsilon_from_rho`]);
/// 0 for ε ≤ 0, NaN for a δ outside (0, 1).
pub fn rho_from_epsilon(epsilon: f64, delta: f64) -> f64 {
    if !(delta > 0.0 && delta < 1.0) || epsilon.is_nan() {
        return f64::NAN;
    }
    if epsilon <= 0.0 {
        return 0.0;
    }
    let l = (1.0 / delta).ln();
    // √ρ solves x² + 2√l·x − ε = 0; this form avoids cancellation.
    let x = epsilon / ((l + epsilon).sqrt() + l.sqrt());
    let mut rho = x * x;
    while rho > 0.0 && epsilon_from_rho(rho, delta) > epsilon {
        rho = rho.next_down();
    }
    rho
}

/// `ρ + 2√(ρ ln(1/δ))`: the (ε, δ)-DP implied by ρ-zCDP (Bun & Steinke 2016, Prop. 1.3).
pub fn epsilon_from_rho(rho: f64, delta: f64) -> f64 {
    rho + 2.0 * (rho * (1.0 / delta).ln()).sqrt()
}

/// Records as CSV: header = attribute names; multi values joined with ';' (in domain order
/// when made by [`release`]); RFC 4180 quoting (a field with a comma, quote, CR or LF is
/// quoted, quotes doubled) and CRLF line ends; data rows sorted for determinism.
pub fn to_csv(schema: &Schema, records: &[Record]) -> String {
    fn field(s: &str) -> String {
        if s.contains([',', '"', '\r', '\n']) {
            format!("\"{}\"", s.replace('"', "\"\""))
        } else {
            s.to_owned()
        }
    }
    let header: Vec<String> = schema.attributes.iter().map(|a| field(&a.name)).collect();
    let mut rows: Vec<String> = records
        .iter()
        .map(|r| {
            r.values
                .iter()
                .map(|vs| field(&vs.join(";")))
                .collect::<Vec<_>>()
                .join(",")
        })
        .collect();
    rows.sort();
    let mut out = header.join(",");
    out.push_str("\r\n");
    for row in rows {
        out.push_str(&row);
        out.push_str("\r\n");
    }
    out
}

/// One (attribute, value) of the domain.
struct Item {
    attr: usize,
    value: usize,
    slot: usize,
}

/// The schema turned into numbered items and slots.
struct Index {
    items: Vec<Item>,
    /// Per slot, its items: all values of a single-valued attribute, or one multi value.
    slots: Vec<Vec<u32>>,
    /// Per slot, whether it is a single-valued attribute.
    slot_single: Vec<bool>,
    /// Per attribute, value → item id.
    lookup: Vec<HashMap<String, u32>>,
}

impl Index {
    fn new(schema: &Schema) -> Result<Self, Error> {
        let mut items = Vec::new();
        let mut slots: Vec<Vec<u32>> = Vec::new();
        let mut slot_single = Vec::new();
        let mut lookup = Vec::new();
        for (a, attr) in schema.attributes.iter().enumerate() {
            let mut map = HashMap::new();
            if !attr.multi {
                slots.push(Vec::new());
                slot_single.push(true);
            }
            for (v, value) in attr.values.iter().enumerate() {
                if attr.multi && value.contains(';') {
                    return Err(Error::Schema(format!(
                        "value {value:?} of multi-valued attribute {:?} contains ';'",
                        attr.name
                    )));
                }
                let id = u32::try_from(items.len())
                    .map_err(|_| Error::Schema("too many values".to_owned()))?;
                if map.insert(value.clone(), id).is_some() {
                    return Err(Error::Schema(format!(
                        "value {value:?} repeated in attribute {:?}",
                        attr.name
                    )));
                }
                if attr.multi {
                    slots.push(vec![id]);
                    slot_single.push(false);
                } else if let Some(s) = slots.last_mut() {
                    s.push(id);
                }
                items.push(Item {
                    attr: a,
                    value: v,
                    slot: slots.len() - 1,
                });
            }
            lookup.push(map);
        }
        Ok(Self {
            items,
            slots,
            slot_single,
            lookup,
        })
    }

    /// The sorted item ids of one input record, checked against the domain.
    fn encode(&self, schema: &Schema, i: usize, record: &Record) -> Result<Vec<u32>, Error> {
        if record.values.len() != schema.attributes.len() {
            return Err(Error::RecordWidth {
                record: i,
                expected: schema.attributes.len(),
                found: record.values.len(),
            });
        }
        let mut out = Vec::new();
        for (a, vs) in record.values.iter().enumerate() {
            let attr = &schema.attributes[a];
            let start = out.len();
            for v in vs {
                let Some(&id) = self.lookup[a].get(v) else {
                    return Err(Error::OutOfDomain {
                        record: i,
                        attribute: attr.name.clone(),
                        value: v.clone(),
                    });
                };
                if !out[start..].contains(&id) {
                    out.push(id);
                }
            }
            if !attr.multi && out.len() - start > 1 {
                return Err(Error::SeveralValues {
                    record: i,
                    attribute: attr.name.clone(),
                });
            }
        }
        out.sort_unstable();
        Ok(out)
    }

    /// Sorted item ids back to a record.
    fn decode(&self, schema: &Schema, items: &[u32]) -> Record {
        let mut values = vec![Vec::new(); schema.attributes.len()];
        for &id in items {
            let it = &self.items[id as usize];
            values[it.attr].push(schema.attributes[it.attr].values[it.value].clone());
        }
        Record { values }
    }

    fn marginal(&self, schema: &Schema, items: &[u32], count: u64) -> Marginal {
        Marginal {
            items: items
                .iter()
                .map(|&id| {
                    let it = &self.items[id as usize];
                    (it.attr, schema.attributes[it.attr].values[it.value].clone())
                })
                .collect(),
            count,
        }
    }
}

/// Applies the contribution bound to one encoded record (see step 1 of the crate doc).
fn bound_record(index: &Index, items: Vec<u32>, max_items: usize, seed: u64) -> Vec<u32> {
    if items.len() <= max_items {
        return items;
    }
    let mut rng = Rng::new(record_seed(seed, &items));
    let (mut single, mut multi): (Vec<u32>, Vec<u32>) = items
        .iter()
        .partition(|&&id| index.slot_single[index.items[id as usize].slot]);
    let mut kept = if single.len() >= max_items {
        rng.shuffle(&mut single);
        single.truncate(max_items);
        single
    } else {
        rng.shuffle(&mut multi);
        multi.truncate(max_items - single.len());
        single.extend(multi);
        single
    };
    kept.sort_unstable();
    kept
}

/// Walks the k-subsets of a slice in lexicographic order of positions.
struct Subsets {
    idx: Vec<usize>,
    n: usize,
    started: bool,
    done: bool,
}

impl Subsets {
    fn new(n: usize, k: usize) -> Self {
        Self {
            idx: (0..k).collect(),
            n,
            started: false,
            done: k > n,
        }
    }

    /// Writes the next subset of `items` into `buf`; false when there is none left.
    fn next_into(&mut self, items: &[u32], buf: &mut Vec<u32>) -> bool {
        if self.done {
            return false;
        }
        if self.started {
            let k = self.idx.len();
            let mut i = k;
            loop {
                if i == 0 {
                    self.done = true;
                    return false;
                }
                i -= 1;
                if self.idx[i] < self.n - k + i {
                    break;
                }
            }
            self.idx[i] += 1;
            for j in i + 1..k {
                self.idx[j] = self.idx[j - 1] + 1;
            }
        }
        self.started = true;
        buf.clear();
        buf.extend(self.idx.iter().map(|&p| items[p]));
        true
    }
}

/// `s ∪ {v}` (sorted, `v ∉ s`) into `out`.
fn with_item(s: &[u32], v: u32, out: &mut Vec<u32>) {
    out.clear();
    let pos = s.partition_point(|&x| x < v);
    out.extend_from_slice(&s[..pos]);
    out.push(v);
    out.extend_from_slice(&s[pos..]);
}

/// C(n, k), saturating.
fn binomial(n: usize, k: usize) -> u128 {
    if k > n {
        return 0;
    }
    let k = k.min(n - k);
    let mut c: u128 = 1;
    for i in 0..k {
        // c·(n−i)/(i+1) is exact at each step.
        c = c.saturating_mul((n - i) as u128) / (i as u128 + 1);
    }
    c
}

/// The smallest f64 at least √n (checked exactly in rationals).
fn sqrt_up(n: u128) -> Result<f64, Error> {
    let exact = RBig::from(UBig::from(n));
    let mut s = (n as f64).sqrt();
    loop {
        let r = RBig::try_from(s).map_err(|_| Error::Sampler(format!("√{n} not finite")))?;
        if r.clone() * r >= exact {
            return Ok(s);
        }
        s = s.next_up();
    }
}

type Gaussian = Measurement<
    VectorDomain<AtomDomain<i64>>,
    L2Distance<f64>,
    ZeroConcentratedDivergence,
    Vec<i64>,
>;

/// A calibrated OpenDP discrete Gaussian measurement: scale σ so that L2 sensitivity `d_in`
/// costs (just under) `rho`, the measurement, and the ρ its own privacy map reports.
struct Noise {
    sigma: f64,
    d_in: f64,
    measurement: Gaussian,
}

impl Noise {
    fn new(d_in: f64, rho: f64) -> Result<Self, Error> {
        let sigma = d_in / (2.0 * rho).sqrt() * (1.0 + 1e-10);
        let measurement = make_gaussian::<_, _, ZeroConcentratedDivergence>(
            VectorDomain::new(AtomDomain::<i64>::default()),
            L2Distance::<f64>::default(),
            sigma,
            None,
        )
        .map_err(|e| Error::Sampler(e.to_string()))?;
        Ok(Self {
            sigma,
            d_in,
            measurement,
        })
    }

    fn rho(&self) -> Result<f64, Error> {
        self.measurement
            .map(&self.d_in)
            .map_err(|e| Error::Sampler(e.to_string()))
    }

    fn invoke(&self, counts: &Vec<i64>) -> Result<Vec<i64>, Error> {
        self.measurement
            .invoke(counts)
            .map_err(|e| Error::Sampler(e.to_string()))
    }
}

fn validate(params: &Params) -> Result<(), Error> {
    if !(params.epsilon.is_finite() && params.epsilon > 0.0) {
        return Err(Error::Epsilon(params.epsilon));
    }
    if !(params.delta > 0.0 && params.delta < 1.0) {
        return Err(Error::Delta(params.delta));
    }
    if params.reporting_length == 0 {
        return Err(Error::ReportingLength);
    }
    if params.max_items == 0 {
        return Err(Error::MaxItems);
    }
    if !(params.count_share > 0.0 && params.count_share < 1.0) {
        return Err(Error::CountShare(params.count_share));
    }
    if !(params.threshold_sigmas.is_finite() && params.threshold_sigmas >= 0.0) {
        return Err(Error::Threshold(params.threshold_sigmas));
    }
    Ok(())
}

/// Protected marginals after normalisation: combination → count, per length.
type Protected = Vec<HashMap<Vec<u32>, u64>>;

/// Releases DP marginals of `records` and synthetic records made from them (see the crate
/// documentation for the method).
pub fn release(schema: &Schema, records: &[Record], params: &Params) -> Result<Release, Error> {
    validate(params)?;
    let index = Index::new(schema)?;
    if index.items.len() > MAX_CANDIDATES {
        return Err(Error::TooManyCandidates {
            length: 1,
            limit: MAX_CANDIDATES,
        });
    }
    let m = params.max_items.min(index.slots.len());
    let lengths = params.reporting_length.min(m);

    // Step 1: items and the contribution bound.
    let mut data = Vec::with_capacity(records.len());
    for (i, r) in records.iter().enumerate() {
        let items = index.encode(schema, i, r)?;
        data.push(bound_record(
            &index,
            items,
            params.max_items,
            params.synthesis_seed,
        ));
    }

    // Step 2: budget.
    let rho_total = rho_from_epsilon(params.epsilon, params.delta);
    let rho_count = params.count_share * rho_total;
    let rho_length = if lengths == 0 {
        0.0
    } else {
        (rho_total - rho_count) / lengths as f64
    };
    let count_noise = Noise::new(1.0, rho_count)?;
    let mut rho_spent = count_noise.rho()?;
    let true_count = i64::try_from(records.len()).unwrap_or(i64::MAX);
    let noisy_count = count_noise
        .invoke(&vec![true_count])?
        .first()
        .copied()
        .unwrap_or(0)
        .max(0);
    let noisy_count = u64::try_from(noisy_count).unwrap_or(0);

    // Step 3: candidates, noise and threshold, length by length.
    let mut sigmas = Vec::with_capacity(lengths);
    let mut survivors: Vec<HashMap<Vec<u32>, i64>> = Vec::with_capacity(lengths);
    for k in 1..=lengths {
        let noise = Noise::new(sqrt_up(binomial(m, k))?, rho_length)?;
        rho_spent += noise.rho()?;
        sigmas.push(noise.sigma);
        let candidates = if k == 1 {
            (0..index.items.len() as u32).map(|i| vec![i]).collect()
        } else {
            candidates(&index, &survivors[k - 2], k, MAX_CANDIDATES)?
        };
        let positions: HashMap<&[u32], usize> = candidates
            .iter()
            .enumerate()
            .map(|(p, c)| (c.as_slice(), p))
            .collect();
        let mut counts = vec![0i64; candidates.len()];
        let mut buf = Vec::with_capacity(k);
        for items in &data {
            let mut subsets = Subsets::new(items.len(), k);
            while subsets.next_into(items, &mut buf) {
                if let Some(&p) = positions.get(buf.as_slice()) {
                    counts[p] += 1;
                }
            }
        }
        let noisy = noise.invoke(&counts)?;
        let threshold = params.threshold_sigmas * noise.sigma;
        let kept: HashMap<Vec<u32>, i64> = candidates
            .into_iter()
            .zip(noisy)
            .filter(|&(_, c)| c > 0 && c as f64 >= threshold)
            .collect();
        survivors.push(kept);
    }

    // Step 4: normalisation.
    let protected = normalise(&index, survivors, noisy_count);

    // Step 5: synthesis.
    let synthetic = synthesise(&index, &protected, noisy_count, lengths, params);

    // Step 6: utility.
    let utility = (1..=lengths)
        .map(|k| length_utility(k, &protected[k - 1], &synthetic))
        .collect();

    let mut marginals: Vec<(&Vec<u32>, u64)> = protected
        .iter()
        .flat_map(|level| level.iter().map(|(c, &n)| (c, n)))
        .collect();
    marginals.sort_by(|a, b| a.0.len().cmp(&b.0.len()).then_with(|| a.0.cmp(b.0)));
    let marginals = marginals
        .into_iter()
        .map(|(c, n)| index.marginal(schema, c, n))
        .collect();
    let records = synthetic
        .iter()
        .map(|items| index.decode(schema, items))
        .collect();

    Ok(Release {
        epsilon: epsilon_from_rho(rho_spent, params.delta),
        delta: params.delta,
        rho: rho_spent,
        noisy_count,
        sigmas,
        marginals,
        records,
        utility,
    })
}

/// Candidates of length `k ≥ 2` from the survivors of length k−1 (step 3), sorted.
fn candidates(
    index: &Index,
    previous: &HashMap<Vec<u32>, i64>,
    k: usize,
    limit: usize,
) -> Result<Vec<Vec<u32>>, Error> {
    let mut parents: Vec<&Vec<u32>> = previous.keys().collect();
    parents.sort();
    let mut out = Vec::new();
    let mut sub = Vec::with_capacity(k - 1);
    for s in parents {
        let Some(&last) = s.last() else { continue };
        let slots: HashSet<usize> = s.iter().map(|&i| index.items[i as usize].slot).collect();
        'item: for j in last + 1..index.items.len() as u32 {
            if slots.contains(&index.items[j as usize].slot) {
                continue;
            }
            let mut c = s.clone();
            c.push(j);
            // Every (k−1)-subset must have survived; the one without j is `s` itself.
            for skip in 0..k - 1 {
                sub.clear();
                sub.extend(
                    c.iter()
                        .enumerate()
                        .filter(|&(p, _)| p != skip)
                        .map(|(_, &x)| x),
                );
                if !previous.contains_key(sub.as_slice()) {
                    continue 'item;
                }
            }
            out.push(c);
            if out.len() > limit {
                return Err(Error::TooManyCandidates { length: k, limit });
            }
        }
    }
    Ok(out)
}

/// Step 4 of the crate doc.
fn normalise(index: &Index, survivors: Vec<HashMap<Vec<u32>, i64>>, noisy_count: u64) -> Protected {
    let mut protected: Protected = Vec::with_capacity(survivors.len());
    for (level, kept) in survivors.into_iter().enumerate() {
        let mut out: HashMap<Vec<u32>, u64> = HashMap::with_capacity(kept.len());
        if level == 0 {
            for (slot, items) in index.slots.iter().enumerate() {
                let counts: Vec<(u32, u64)> = items
                    .iter()
                    .filter_map(|&i| {
                        kept.get([i].as_slice())
                            .map(|&c| (i, u64::try_from(c).unwrap_or(0)))
                    })
                    .collect();
                let sum: u128 = counts.iter().map(|&(_, c)| u128::from(c)).sum();
                for (i, c) in counts {
                    let c = if !index.slot_single[slot] {
                        c.min(noisy_count)
                    } else if sum > u128::from(noisy_count) {
                        u64::try_from(u128::from(c) * u128::from(noisy_count) / sum).unwrap_or(0)
                    } else {
                        c
                    };
                    if c > 0 {
                        out.insert(vec![i], c);
                    }
                }
            }
        } else {
            let parents = &protected[level - 1];
            let mut sub = Vec::with_capacity(level);
            for (combo, c) in kept {
                let mut c = u64::try_from(c).unwrap_or(0);
                for skip in 0..combo.len() {
                    sub.clear();
                    sub.extend(
                        combo
                            .iter()
                            .enumerate()
                            .filter(|&(p, _)| p != skip)
                            .map(|(_, &x)| x),
                    );
                    c = c.min(parents.get(sub.as_slice()).copied().unwrap_or(0));
                }
                if c > 0 {
                    out.insert(combo, c);
                }
            }
        }
        protected.push(out);
    }
    protected
}

/// Step 5 of the crate doc: `noisy_count` synthetic records as sorted item ids.
fn synthesise(
    index: &Index,
    protected: &Protected,
    noisy_count: u64,
    lengths: usize,
    params: &Params,
) -> Vec<Vec<u32>> {
    let mut rng = Rng::new(params.synthesis_seed ^ 0xA076_1D64_78BD_642F);
    let n = noisy_count as f64;
    let count_of = |combo: &[u32]| -> u64 {
        protected
            .get(combo.len().wrapping_sub(1))
            .and_then(|level| level.get(combo).copied())
            .unwrap_or(0)
    };
    // Length-1 totals: per item its protected count; per slot the records left without
    // it: N minus the slot's item counts ("none" / "absent").
    let item_total: Vec<f64> = (0..index.items.len() as u32)
        .map(|i| count_of(&[i]) as f64)
        .collect();
    let other_total: Vec<f64> = index
        .slots
        .iter()
        .map(|items| (n - items.iter().map(|&i| item_total[i as usize]).sum::<f64>()).max(0.0))
        .collect();
    let mut item_left = item_total.clone();
    let mut other_left = other_total.clone();
    let mut adjusted = Vec::new();
    let mut order: Vec<usize> = (0..index.slots.len()).collect();
    let mut out = Vec::with_capacity(usize::try_from(noisy_count).unwrap_or(0));
    let mut ctx = Vec::new();
    let mut ext = Vec::new();
    let mut weights = Vec::new();
    let mut acc = Vec::new();
    for _ in 0..noisy_count {
        rng.shuffle(&mut order);
        let mut chosen: Vec<u32> = Vec::new();
        for &slot in &order {
            let values = &index.slots[slot];
            // Outcomes: the slot's values, then "none" (single) or "absent" (multi value).
            acc.clear();
            acc.resize(values.len() + 1, 0.0);
            let mut found = false;
            for c in (1..=lengths.saturating_sub(1).min(chosen.len())).rev() {
                let mut subsets = Subsets::new(chosen.len(), c);
                while subsets.next_into(&chosen, &mut ctx) {
                    let cs = count_of(&ctx);
                    if cs == 0 {
                        continue;
                    }
                    weights.clear();
                    for &v in values {
                        with_item(&ctx, v, &mut ext);
                        weights.push(count_of(&ext) as f64);
                    }
                    let sum: f64 = weights.iter().sum();
                    if sum <= 0.0 {
                        continue;
                    }
                    found = true;
                    let cs = cs as f64;
                    for (a, w) in acc.iter_mut().zip(&weights) {
                        *a += w;
                    }
                    if let Some(last) = acc.last_mut() {
                        *last += (cs - sum).max(0.0);
                    }
                }
                if found {
                    break;
                }
            }
            if !found {
                let mut sum = 0.0;
                for (a, &v) in acc.iter_mut().zip(values) {
                    *a = count_of(&[v]) as f64;
                    sum += *a;
                }
                if let Some(last) = acc.last_mut() {
                    *last = (n - sum).max(0.0);
                }
            }
            // Quotas: scale each outcome by the share of its length-1 total still unused.
            adjusted.clear();
            for (i, &a) in acc.iter().enumerate() {
                let (left, total) = if i < values.len() {
                    let v = values[i] as usize;
                    (item_left[v], item_total[v])
                } else {
                    (other_left[slot], other_total[slot])
                };
                adjusted.push(if total > 0.0 { a * left / total } else { 0.0 });
            }
            let p = rng.weighted(&adjusted).or_else(|| rng.weighted(&acc));
            if let Some(p) = p {
                if p < values.len() {
                    let v = values[p];
                    let pos = chosen.partition_point(|&x| x < v);
                    chosen.insert(pos, v);
                    item_left[v as usize] = (item_left[v as usize] - 1.0).max(0.0);
                } else {
                    other_left[slot] = (other_left[slot] - 1.0).max(0.0);
                }
            }
        }
        out.push(chosen);
    }
    out
}

/// Step 6 of the crate doc for one length.
fn length_utility(
    k: usize,
    protected: &HashMap<Vec<u32>, u64>,
    synthetic: &[Vec<u32>],
) -> LengthUtility {
    let mut counts: HashMap<Vec<u32>, u64> = HashMap::new();
    let mut buf = Vec::with_capacity(k);
    for items in synthetic {
        let mut subsets = Subsets::new(items.len(), k);
        while subsets.next_into(items, &mut buf) {
            if let Some(c) = counts.get_mut(buf.as_slice()) {
                *c += 1;
            } else {
                counts.insert(buf.clone(), 1);
            }
        }
    }
    let fabricated = counts
        .keys()
        .filter(|c| !protected.contains_key(*c))
        .count();
    let suppressed = protected
        .keys()
        .filter(|c| !counts.contains_key(*c))
        .count();
    let mut abs = 0.0;
    for (c, &p) in protected {
        abs += (counts.get(c).copied().unwrap_or(0) as f64 - p as f64).abs();
    }
    for (c, &s) in &counts {
        if !protected.contains_key(c) {
            abs += s as f64;
        }
    }
    let union = protected.len() + fabricated;
    let share = |a: usize, b: usize| if b == 0 { 0.0 } else { a as f64 / b as f64 };
    LengthUtility {
        length: k,
        protected_combinations: protected.len(),
        synthetic_combinations: counts.len(),
        mean_abs_error: if union == 0 { 0.0 } else { abs / union as f64 },
        fabricated_share: share(fabricated, counts.len()),
        suppressed_share: share(suppressed, protected.len()),
    }
}

#[cfg(test)]
mod tests;
