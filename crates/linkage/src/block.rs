//! Blocking keys, the in-memory blocking index and all-pairs linkage.

use std::collections::HashMap;
use std::sync::atomic::{AtomicUsize, Ordering};

use crate::model::{Model, Prepared};
use crate::names::hash_bytes;
use crate::train::{par, threads};
use crate::{Pair, Record, weight_of_probability};

/// Blocks bigger than this are skipped (a key that common says little and costs n² pairs):
/// NIK keys and name-prefix + birth-date keys.
const CAP: usize = 200;
/// Full name + year / day-month / region / postcode: a common name's block is mostly namesakes
/// that could never score above the threshold anyway.
const CAP_NAME_PLUS: usize = 32;
/// Full name + birth year (a year holds many namesakes of a common name).
const CAP_NAME_YEAR: usize = 12;
/// Full name alone (not used as a key any more: it cost half the candidate pairs for 0.03% of
/// recall; kept for the cap class of old keys).
const CAP_NAME: usize = 24;

/// Calls `f(key, cap)` for every blocking key of a prepared record.
fn for_each_key(p: &Prepared, f: &mut dyn FnMut(&[u8], usize)) {
    if p.blank {
        return;
    }
    let mut k: Vec<u8> = Vec::with_capacity(64);
    let mut emit = |parts: &[&[u8]], cap: usize, f: &mut dyn FnMut(&[u8], usize)| {
        k.clear();
        for (i, part) in parts.iter().enumerate() {
            if i > 0 {
                k.push(b'|');
            }
            k.extend_from_slice(part);
        }
        f(&k, cap);
    };
    if let Some(n) = p.nik.as_deref()
        && n.len() >= 12
    {
        emit(&[b"k12", &n[..12]], CAP, f);
    }
    if let Some(n) = p.nik.as_deref()
        && (15..=17).contains(&n.len())
    {
        // a typo in the date part (district + serial) or in the district part (date +
        // serial), or a digit dropped or added in the date part (district + serial); with the
        // first two letters of a name token (any token: one may be dropped or swapped), or
        // these blocks fill with strangers
        let mut letters: Vec<&[u8]> = p
            .toks
            .iter()
            .map(|t| &t.s.as_bytes()[..t.s.len().min(2)])
            .collect();
        letters.sort_unstable();
        letters.dedup();
        for l in letters {
            emit(&[b"kds", &n[..6], &n[n.len() - 4..], l], CAP, f);
            if n.len() == 16 {
                emit(&[b"kdt", &n[6..], l], CAP, f);
            }
        }
    }
    if let (Some(r), Some(d)) = (p.region.as_deref(), p.birth) {
        // a name token in the same regency with the month and day, or the year and month: one
        // error in the name elsewhere and one in the date
        let ds = format!("{:08}", d.ymd());
        let db = ds.as_bytes();
        for t in p.toks.iter().filter(|t| !t.initial) {
            let s = t.s.as_bytes();
            emit(&[b"trm", s, r.as_bytes(), &db[4..]], CAP_NAME_YEAR, f);
            emit(&[b"try", s, r.as_bytes(), &db[..6]], CAP_NAME_YEAR, f);
        }
    }
    if let Some(r) = p.region.as_deref()
        && !p.toks.is_empty()
    {
        // a name written without spaces, in the same regency
        emit(
            &[b"cr", p.concat.as_bytes(), r.as_bytes()],
            CAP_NAME_PLUS,
            f,
        );
    }
    let key = p.sorted_key.as_bytes();
    if let Some(d) = p.birth
        && !p.toks.is_empty()
    {
        let ds = format!("{:08}", d.ymd());
        let db = ds.as_bytes();
        let c = p.concat.as_bytes();
        emit(&[b"cy", c, &db[..4]], CAP_NAME_YEAR, f);
        // day and month swapped
        let (m, dd) = (&db[4..6], &db[6..]);
        let (lo, hi) = if m <= dd { (m, dd) } else { (dd, m) };
        emit(&[b"cys", c, &db[..4], lo, hi], CAP_NAME_PLUS, f);
    }
    if let Some(d) = p.birth {
        let ds = format!("{:08}", d.ymd());
        let db = ds.as_bytes();
        for t in p.toks.iter().filter(|t| !t.initial) {
            let s = t.s.as_bytes();
            emit(&[b"p3d", &s[..s.len().min(3)], db], CAP, f);
            if s.len() >= 5 {
                emit(&[b"s3d", &s[s.len() - 3..], db], CAP, f);
            }
        }
        if !key.is_empty() {
            // full name + birth year, for uncommon names only
            emit(&[b"fy", key, &db[..4]], CAP_NAME_YEAR, f);
            emit(&[b"fmd", key, &db[4..]], CAP_NAME_PLUS, f);
        }
    }
    if !key.is_empty() {
        if let Some(r) = p.region.as_deref() {
            emit(&[b"nr", key, r.as_bytes()], CAP_NAME_PLUS, f);
        }
        if let Some(pc) = p.postcode.as_deref() {
            emit(&[b"np", key, pc.as_bytes()], CAP_NAME_PLUS, f);
            for t in p.toks.iter().filter(|t| !t.initial) {
                emit(&[b"tp", t.s.as_bytes(), pc.as_bytes()], CAP, f);
            }
        }
    }
    if let Some(o) = p.other_id.as_deref() {
        emit(&[b"o", o.as_bytes()], CAP, f);
    }
}

/// Hash of a key with its cap class in the low two bits.
fn key_hash(k: &[u8], cap: usize) -> u64 {
    let class = match cap {
        CAP_NAME => 1,
        CAP_NAME_PLUS => 2,
        CAP_NAME_YEAR => 3,
        _ => 0,
    };
    (hash_bytes(k) & !3) | class
}

fn cap_of(h: u64) -> usize {
    match h & 3 {
        1 => CAP_NAME,
        2 => CAP_NAME_PLUS,
        3 => CAP_NAME_YEAR,
        _ => CAP,
    }
}

pub(crate) fn key_hashes(p: &Prepared, out: &mut Vec<u64>) {
    out.clear();
    for_each_key(p, &mut |k, cap| out.push(key_hash(k, cap)));
    out.sort_unstable();
    out.dedup();
}

/// The keys a record is blocked on, as text (`kind|value...`). Two records are candidates when
/// they share a key whose block is not too common. Gugus stores keyed hashes of these.
pub fn blocking_keys(r: &Record) -> Vec<String> {
    let p = Prepared::new(r);
    let mut out = Vec::new();
    for_each_key(&p, &mut |k, _| {
        out.push(String::from_utf8_lossy(k).into_owned())
    });
    out.sort();
    out.dedup();
    out
}

/// Prepared records in birth-date order: most candidate pairs share the birth date, so their
/// records (and their heap data, allocated in this order) sit close together in memory.
/// `Prepared::id` still names the record.
pub(crate) fn prepare_sorted(records: &[Record]) -> Vec<Prepared> {
    let mut order: Vec<u32> = (0..records.len() as u32).collect();
    order.sort_by_key(|&i| records[i as usize].birth.map(|d| d.ymd()).unwrap_or(0));
    let parts = par(|t, nt| {
        let lo = order.len() * t / nt;
        let hi = order.len() * (t + 1) / nt;
        order[lo..hi]
            .iter()
            .map(|&i| Prepared::new(&records[i as usize]))
            .collect::<Vec<_>>()
    });
    parts.into_iter().flatten().collect()
}

pub(crate) fn prepare_all(records: &[Record]) -> Vec<Prepared> {
    let parts = par(|t, nt| {
        let lo = records.len() * t / nt;
        let hi = records.len() * (t + 1) / nt;
        records[lo..hi]
            .iter()
            .map(Prepared::new)
            .collect::<Vec<_>>()
    });
    parts.into_iter().flatten().collect()
}

fn sorted_entries(preps: &[Prepared]) -> Vec<(u64, u32)> {
    let parts = par(|t, nt| {
        let mut v = Vec::new();
        let mut ks = Vec::new();
        let mut i = t;
        while i < preps.len() {
            key_hashes(&preps[i], &mut ks);
            v.extend(ks.iter().map(|&k| (k, i as u32)));
            i += nt;
        }
        v.sort_unstable();
        v
    });
    // concatenate the parts (each is freed as soon as it is copied) and sort in place: a
    // merge into a new vector would need all the entries a second time
    let total: usize = parts.iter().map(Vec::len).sum();
    let mut out = Vec::with_capacity(total);
    for p in parts {
        out.extend_from_slice(&p);
    }
    out.sort_unstable();
    out
}

/// Blocks of a whole data set: the members of each usable block and, per record, its blocks of
/// size 2..=cap.
pub(crate) struct Blocks {
    /// Record positions of the usable blocks (size 2..=cap), block after block; the keys and
    /// the blocks of one record or too many are not kept.
    members: Vec<u32>,
    offsets: Vec<u32>,
    ranges: Vec<(u32, u32)>,
}

impl Blocks {
    pub(crate) fn build(preps: &[Prepared]) -> Blocks {
        let entries = sorted_entries(preps);
        let n = preps.len();
        let mut counts = vec![0u32; n + 1];
        let mut runs: Vec<(u32, u32)> = Vec::new();
        let mut i = 0;
        while i < entries.len() {
            let k = entries[i].0;
            let mut j = i + 1;
            while j < entries.len() && entries[j].0 == k {
                j += 1;
            }
            let len = j - i;
            if len >= 2 && len <= cap_of(k) {
                runs.push((i as u32, len as u32));
                for e in &entries[i..j] {
                    counts[e.1 as usize] += 1;
                }
            }
            i = j;
        }
        // keep only the members of usable blocks (most keys are unique to one record)
        let mut members: Vec<u32> = Vec::with_capacity(runs.iter().map(|r| r.1 as usize).sum());
        for r in runs.iter_mut() {
            let start = members.len() as u32;
            members.extend(
                entries[r.0 as usize..(r.0 + r.1) as usize]
                    .iter()
                    .map(|e| e.1),
            );
            r.0 = start;
        }
        drop(entries);
        let mut offsets = vec![0u32; n + 1];
        for r in 0..n {
            offsets[r + 1] = offsets[r] + counts[r];
        }
        let mut fill = offsets.clone();
        let mut ranges = vec![(0u32, 0u32); offsets[n] as usize];
        for &(s, l) in &runs {
            for &r in &members[s as usize..(s + l) as usize] {
                let r = r as usize;
                ranges[fill[r] as usize] = (s, l);
                fill[r] += 1;
            }
        }
        Blocks {
            members,
            offsets,
            ranges,
        }
    }

    /// Distinct candidates `j > i` of record `i`.
    pub(crate) fn candidates_of(&self, i: usize, out: &mut Vec<u32>) {
        out.clear();
        let (a, b) = (self.offsets[i] as usize, self.offsets[i + 1] as usize);
        for &(s, l) in &self.ranges[a..b] {
            for &r in &self.members[s as usize..(s + l) as usize] {
                if r as usize > i {
                    out.push(r);
                }
            }
        }
        out.sort_unstable();
        out.dedup();
    }
}

/// What [`link_all_observed`] saw.
#[derive(Debug, Clone, Default)]
pub struct LinkStats {
    /// Distinct candidate pairs scored.
    pub candidate_pairs: u64,
}

/// All candidate pairs with match probability ≥ `threshold`, scored with explanations.
/// `progress(done, total)` is called from the calling thread every 20 ms or so.
pub fn link_all(
    records: &[Record],
    model: &Model,
    threshold: f64,
    progress: &dyn Fn(usize, usize),
) -> Vec<Pair> {
    let mut preps = prepare_sorted(records);
    for p in preps.iter_mut() {
        model.annotate(p);
    }
    let blocks = Blocks::build(&preps);
    link_prepared(&preps, &blocks, model, threshold, progress, &|_, _, _| {}).0
}

/// Like [`link_all`], and calls `observe(i, j, weight)` (record positions) for every candidate
/// pair, from worker threads: the benchmark counts blocking recall with it.
pub fn link_all_observed(
    records: &[Record],
    model: &Model,
    threshold: f64,
    progress: &dyn Fn(usize, usize),
    observe: &(dyn Fn(usize, usize, f64) + Sync),
) -> (Vec<Pair>, LinkStats) {
    let mut preps = prepare_all(records);
    for p in preps.iter_mut() {
        model.annotate(p);
    }
    let blocks = Blocks::build(&preps);
    link_prepared(&preps, &blocks, model, threshold, progress, observe)
}

pub(crate) fn link_prepared(
    preps: &[Prepared],
    blocks: &Blocks,
    model: &Model,
    threshold: f64,
    progress: &dyn Fn(usize, usize),
    observe: &(dyn Fn(usize, usize, f64) + Sync),
) -> (Vec<Pair>, LinkStats) {
    let n = preps.len();
    let wt = weight_of_probability(threshold);
    let done = AtomicUsize::new(0);
    let finished = AtomicUsize::new(0);
    let nt = threads();
    let results = std::thread::scope(|s| {
        let handles: Vec<_> = (0..nt)
            .map(|t| {
                let done = &done;
                let finished = &finished;
                s.spawn(move || {
                    let mut pairs = Vec::new();
                    let mut cand = Vec::new();
                    let mut count = 0u64;
                    let mut i = t;
                    while i < n {
                        blocks.candidates_of(i, &mut cand);
                        count += cand.len() as u64;
                        for &j in &cand {
                            let (a, b) = (&preps[i], &preps[j as usize]);
                            let w = model.weight_prepared(a, b);
                            observe(i, j as usize, w);
                            if w >= wt {
                                pairs.push(Pair {
                                    a: a.id,
                                    b: b.id,
                                    scored: model.score_prepared(a, b),
                                });
                            }
                        }
                        i += nt;
                        if i % 4096 < nt {
                            done.fetch_add(4096, Ordering::Relaxed);
                        }
                    }
                    finished.fetch_add(1, Ordering::Release);
                    (pairs, count)
                })
            })
            .collect();
        while finished.load(Ordering::Acquire) < nt {
            progress(done.load(Ordering::Relaxed).min(n), n);
            std::thread::sleep(std::time::Duration::from_millis(20));
        }
        progress(n, n);
        handles
            .into_iter()
            .filter_map(|h| h.join().ok())
            .collect::<Vec<_>>()
    });
    let mut stats = LinkStats::default();
    let mut pairs = Vec::new();
    for (p, c) in results {
        stats.candidate_pairs += c;
        pairs.extend(p);
    }
    (pairs, stats)
}

/// In-memory blocking index for incremental checks: build it once over the cleared records,
/// then find the candidates of a new record (or insert it).
pub struct Index {
    preps: Vec<Prepared>,
    entries: Vec<(u64, u32)>,
    extra: HashMap<u64, Vec<u32>>,
}

impl Index {
    pub fn build(records: &[Record]) -> Index {
        let preps = prepare_all(records);
        Index::from_prepared(preps)
    }

    pub fn from_prepared(preps: Vec<Prepared>) -> Index {
        let entries = sorted_entries(&preps);
        Index {
            preps,
            entries,
            extra: HashMap::new(),
        }
    }

    pub fn len(&self) -> usize {
        self.preps.len()
    }

    pub fn is_empty(&self) -> bool {
        self.preps.is_empty()
    }

    /// The prepared record at a position returned by [`Index::candidates`].
    pub fn prepared(&self, i: usize) -> Option<&Prepared> {
        self.preps.get(i)
    }

    /// Adds a record; returns its position.
    pub fn insert(&mut self, r: &Record) -> usize {
        let p = Prepared::new(r);
        let pos = self.preps.len();
        let mut ks = Vec::new();
        key_hashes(&p, &mut ks);
        for k in ks {
            self.extra.entry(k).or_default().push(pos as u32);
        }
        self.preps.push(p);
        pos
    }

    /// Positions of the records sharing a blocking key (in a block of at most the cap) with `r`.
    pub fn candidates(&self, r: &Record) -> Vec<usize> {
        self.candidates_prepared(&Prepared::new(r))
    }

    pub fn candidates_prepared(&self, p: &Prepared) -> Vec<usize> {
        let mut ks = Vec::new();
        key_hashes(p, &mut ks);
        let mut out: Vec<usize> = Vec::new();
        for k in ks {
            let lo = self.entries.partition_point(|e| e.0 < k);
            let hi = lo + self.entries[lo..].partition_point(|e| e.0 == k);
            let extra = self.extra.get(&k).map(|v| v.as_slice()).unwrap_or(&[]);
            // +1: the new record itself belongs to the block too
            if hi - lo + extra.len() + 1 > cap_of(k) {
                continue;
            }
            out.extend(self.entries[lo..hi].iter().map(|e| e.1 as usize));
            out.extend(extra.iter().map(|&x| x as usize));
        }
        out.sort_unstable();
        out.dedup();
        out
    }

    /// Scores a new record against its candidates; returns those at or above `threshold`
    /// (match probability), best first.
    pub fn check(&self, model: &Model, r: &Record, threshold: f64) -> Vec<Pair> {
        let p = Prepared::new(r);
        let wt = weight_of_probability(threshold);
        let mut out: Vec<Pair> = self
            .candidates_prepared(&p)
            .into_iter()
            .filter_map(|i| {
                let q = &self.preps[i];
                if q.id == p.id {
                    return None;
                }
                (model.weight_prepared(&p, q) >= wt).then(|| Pair {
                    a: p.id,
                    b: q.id,
                    scored: model.score_prepared(&p, q),
                })
            })
            .collect();
        out.sort_by(|x, y| y.scored.weight.total_cmp(&x.scored.weight));
        out
    }
}
