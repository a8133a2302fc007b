//! `gugus bench linkage`: runs the engine on a CSV file and scores it against the truth.
//!
//! The engine sees only the identifying columns; the truth columns (`entity_id`, `person_id`,
//! `corruptions`) are read into separate vectors that only the evaluation below uses.

use std::collections::HashMap;
use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::time::Instant;

use crate::block::{Blocks, Index, link_prepared, prepare_sorted};
use crate::cluster::cluster_edges;
use crate::csv::{for_each_row, open};
use crate::model::Prepared;
use crate::names::hash_bytes;
use crate::train::{TrainOptions, train_prepared};
use crate::{Date, Record, Sex, weight_of_probability};

#[derive(Debug)]
pub struct BenchError(pub String);

impl std::fmt::Display for BenchError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for BenchError {}

/// Records plus the truth, kept apart.
struct Loaded {
    records: Vec<Record>,
    /// Evaluator only.
    truth: Vec<u64>,
    /// Evaluator only (persons data): the corruptions applied to the record.
    corruptions: Vec<String>,
    source: Vec<u8>,
    format: &'static str,
    malformed: Vec<String>,
}

fn col(header: &[String], name: &str) -> Option<usize> {
    header.iter().position(|h| h == name)
}

fn opt(s: &str) -> Option<String> {
    let t = s.trim();
    (!t.is_empty()).then(|| t.to_string())
}

fn load(inputs: &[PathBuf]) -> Result<Loaded, BenchError> {
    let mut out = Loaded {
        records: Vec::new(),
        truth: Vec::new(),
        corruptions: Vec::new(),
        source: Vec::new(),
        format: "",
        malformed: Vec::new(),
    };
    for (src, path) in inputs.iter().enumerate() {
        let reader = open(path).map_err(|e| BenchError(format!("{}: {e}", path.display())))?;
        let mut cols: Option<(&'static str, Vec<Option<usize>>)> = None;
        let mut unknown = false;
        let (header, errors) = for_each_row(reader, |_, header, f| {
            if cols.is_none() && !unknown {
                cols = columns(header);
                unknown = cols.is_none();
            }
            let Some((fmt, ix)) = &cols else {
                return;
            };
            let get = |k: usize| ix[k].map(|i| f[i].as_str()).unwrap_or("");
            let id = out.records.len() as u64;
            out.records.push(build(fmt, id, ix, f));
            out.truth.push(hash_bytes(get(0).as_bytes()));
            out.corruptions.push(get(9).to_string());
            out.source.push(src as u8);
        })
        .map_err(|e| BenchError(format!("{}: {e}", path.display())))?;
        let Some((fmt, _)) = cols.or_else(|| columns(&header)) else {
            return Err(BenchError(format!(
                "{}: unknown format (header {header:?}); expected FEBRL (rec_id,entity_id,...) or persons (record_id,...,person_id)",
                path.display()
            )));
        };
        if out.format.is_empty() {
            out.format = fmt;
        }
        for e in errors {
            out.malformed.push(format!("{}: {e}", path.display()));
        }
    }
    Ok(out)
}

/// Format and column positions: truth id, name parts, dob, id, address..., in the order
/// `build` reads them.
fn columns(h: &[String]) -> Option<(&'static str, Vec<Option<usize>>)> {
    if h.first().map(String::as_str) == Some("rec_id") && col(h, "entity_id").is_some() {
        let names = [
            "entity_id",
            "given_name",
            "surname",
            "date_of_birth",
            "soc_sec_id",
            "street_number",
            "address_1",
            "postcode",
            "suburb",
            "-",
        ];
        return Some(("febrl", names.iter().map(|n| col(h, n)).collect()));
    }
    if h.first().map(String::as_str) == Some("record_id") && col(h, "person_id").is_some() {
        let names = [
            "person_id",
            "full_name",
            "sex",
            "birth_date",
            "nik",
            "regency_code",
            "-",
            "-",
            "-",
            "corruptions",
        ];
        return Some(("persons", names.iter().map(|n| col(h, n)).collect()));
    }
    None
}

fn build(fmt: &str, id: u64, ix: &[Option<usize>], f: &[String]) -> Record {
    let get = |k: usize| ix[k].map(|i| f[i].as_str()).unwrap_or("");
    if fmt == "febrl" {
        let name = format!("{} {}", get(1), get(2));
        let addr = format!("{} {}", get(5), get(6));
        Record {
            id,
            name: opt(&name),
            sex: None,
            birth: Date::parse(get(3)),
            nik: None,
            region: None,
            other_id: opt(get(4)),
            postcode: opt(get(7)),
            address: opt(&addr),
            locality: opt(get(8)),
        }
    } else {
        Record {
            id,
            name: opt(get(1)),
            sex: match get(2).trim() {
                "L" | "l" => Some(Sex::Male),
                "P" | "p" => Some(Sex::Female),
                _ => None,
            },
            birth: Date::parse(get(3)),
            nik: opt(get(4)),
            region: opt(get(5)),
            ..Record::default()
        }
    }
}

fn peak_rss_mib() -> f64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("VmHWM:"))
                .and_then(|l| l.split_whitespace().nth(1))
                .and_then(|v| v.parse::<f64>().ok())
        })
        .map(|kb| kb / 1024.0)
        .unwrap_or(0.0)
}

#[derive(Default)]
struct Prf {
    predicted: u64,
    tp: u64,
}

fn prf(p: &Prf, truth_pairs: u64) -> (f64, f64, f64) {
    let pr = if p.predicted > 0 {
        p.tp as f64 / p.predicted as f64
    } else {
        0.0
    };
    let re = if truth_pairs > 0 {
        p.tp as f64 / truth_pairs as f64
    } else {
        0.0
    };
    let f1 = if pr + re > 0.0 {
        2.0 * pr * re / (pr + re)
    } else {
        0.0
    };
    (pr, re, f1)
}

/// Pairs within groups: Σ n(n-1)/2, or Σ n_a·n_b between sources in a link job.
fn group_pairs(groups: &HashMap<u64, (u64, u64)>, link: bool) -> u64 {
    groups
        .values()
        .map(|&(a, b)| {
            if link {
                a * b
            } else {
                let n = a + b;
                n * n.saturating_sub(1) / 2
            }
        })
        .sum()
}

const THRESHOLDS: [f64; 3] = [0.5, 0.9, 0.99];
const CLUSTER_SWEEP: [f64; 5] = [0.5, 0.6, 0.7, 0.8, 0.9];

/// Trains a model on the records of `inputs` (FEBRL or persons CSV; the truth columns are not
/// given to the engine) and writes it as JSON to `out`, e.g. the model Gugus ships for small
/// installations. Returns a one-line summary.
pub fn train_file(inputs: &[PathBuf], out: &Path) -> Result<String, BenchError> {
    let data = load(inputs)?;
    let t = Instant::now();
    let model = crate::train(&data.records);
    let secs = t.elapsed().as_secs_f64();
    let json = serde_json::to_string(&model).map_err(|e| BenchError(e.to_string()))?;
    std::fs::write(out, &json).map_err(|e| BenchError(format!("{}: {e}", out.display())))?;
    Ok(format!(
        "trained on {} records in {secs:.1} s (λ {:.3e}); model {} bytes -> {}\n",
        data.records.len(),
        model.lambda,
        json.len(),
        out.display()
    ))
}

/// Cluster precision, recall and F1 as BASELINE.md defines them (evaluator side).
fn cluster_metrics(
    labels: &[u32],
    truth: &[u64],
    source: &[u8],
    link: bool,
    true_pairs: u64,
) -> (f64, f64, f64) {
    let mut by_cluster: HashMap<u64, (u64, u64)> = HashMap::new();
    let mut by_ce: HashMap<(u32, u64), (u64, u64)> = HashMap::new();
    for i in 0..labels.len() {
        let c = by_cluster.entry(u64::from(labels[i])).or_insert((0, 0));
        let g = by_ce.entry((labels[i], truth[i])).or_insert((0, 0));
        if source[i] == 0 {
            c.0 += 1;
            g.0 += 1;
        } else {
            c.1 += 1;
            g.1 += 1;
        }
    }
    let predicted = group_pairs(&by_cluster, link);
    let tp: u64 = by_ce
        .values()
        .map(|&(a, b)| {
            if link {
                a * b
            } else {
                (a + b) * (a + b).saturating_sub(1) / 2
            }
        })
        .sum();
    prf(&Prf { predicted, tp }, true_pairs)
}

/// Runs the benchmark on `inputs` (one file to deduplicate, or two FEBRL4 files to link)
/// and returns the report as text; writes it as JSON to `json` when given.
pub fn run(inputs: &[PathBuf], json: Option<&Path>) -> Result<String, BenchError> {
    if inputs.is_empty() || inputs.len() > 2 {
        return Err(BenchError(
            "give one file to deduplicate or two to link".into(),
        ));
    }
    let t_all = Instant::now();
    let t = Instant::now();
    let data = load(inputs)?;
    let load_s = t.elapsed().as_secs_f64();
    let link = inputs.len() == 2;
    let n = data.records.len();

    let t = Instant::now();
    let mut preps = prepare_sorted(&data.records);
    // record id (= row index here) -> position in `preps`
    let mut pos = vec![0u32; n];
    for (k, p) in preps.iter().enumerate() {
        pos[p.id as usize] = k as u32;
    }
    let blocks = Blocks::build(&preps);
    let index_s = t.elapsed().as_secs_f64();

    let t = Instant::now();
    let model = train_prepared(&preps, &blocks, &TrainOptions::default());
    let train_s = t.elapsed().as_secs_f64();

    let t = Instant::now();
    for p in preps.iter_mut() {
        model.annotate(p);
    }
    let (pairs, stats) = link_prepared(&preps, &blocks, &model, 0.5, &|_, _| {}, &|_, _, _| {});
    let score_s = t.elapsed().as_secs_f64();

    let cluster_at = |p: f64| {
        let wt = weight_of_probability(p);
        let mut edges: Vec<(u32, u32, f64)> = pairs
            .iter()
            .filter(|p| p.scored.weight >= wt)
            .filter(|p| !link || data.source[p.a as usize] != data.source[p.b as usize])
            .map(|p| (p.a as u32, p.b as u32, p.scored.weight))
            .collect();
        cluster_edges(n, &mut edges, &|a, b| {
            model.cluster_evidence(
                &preps[pos[a as usize] as usize],
                &preps[pos[b as usize] as usize],
            )
        })
    };
    let t = Instant::now();
    let labels = cluster_at(crate::CLUSTER_AT);
    let cluster_s = t.elapsed().as_secs_f64();
    let total_s = t_all.elapsed().as_secs_f64();
    let rss_pipeline = peak_rss_mib();

    // ---- evaluator side (not timed): true pairs, candidates, pairwise and cluster metrics
    let mut ent: HashMap<u64, (u64, u64)> = HashMap::new();
    for i in 0..n {
        let e = ent.entry(data.truth[i]).or_insert((0, 0));
        if data.source[i] == 0 {
            e.0 += 1
        } else {
            e.1 += 1
        }
    }
    let true_pairs = group_pairs(&ent, link);
    let (mut cand_all, mut cand_true) = (0u64, 0u64);
    let mut cand = Vec::new();
    for i in 0..n {
        blocks.candidates_of(i, &mut cand);
        let pi = i;
        let i = preps[pi].id as usize;
        for &j in &cand {
            let j = preps[j as usize].id as usize;
            if link && data.source[i] == data.source[j] {
                continue;
            }
            cand_all += 1;
            if data.truth[i] == data.truth[j] {
                cand_true += 1;
            }
        }
    }
    if !link {
        cand_all = stats.candidate_pairs;
    }
    let analysis = if std::env::var_os("LINKAGE_ANALYSIS").is_some() {
        analyse(&data, &labels, &preps, &pos, &model, &blocks)
    } else {
        String::new()
    };
    drop(blocks);
    let wts: Vec<f64> = THRESHOLDS
        .iter()
        .map(|&p| weight_of_probability(p))
        .collect();
    let pws: Vec<(f64, f64, f64)> = wts
        .iter()
        .map(|&wt| {
            let mut c = Prf::default();
            for p in &pairs {
                let (i, j) = (p.a as usize, p.b as usize);
                if p.scored.weight >= wt && (!link || data.source[i] != data.source[j]) {
                    c.predicted += 1;
                    c.tp += u64::from(data.truth[i] == data.truth[j]);
                }
            }
            prf(&c, true_pairs)
        })
        .collect();
    let recall_blocking = cand_true as f64 / true_pairs.max(1) as f64;
    let cl = cluster_metrics(&labels, &data.truth, &data.source, link, true_pairs);
    // other clustering thresholds, for comparison (0.9 is what the baseline's Splink runs use)
    let sweep: Vec<(f64, (f64, f64, f64))> = CLUSTER_SWEEP
        .iter()
        .map(|&p| {
            let c = if p == crate::CLUSTER_AT {
                cl
            } else {
                cluster_metrics(&cluster_at(p), &data.truth, &data.source, link, true_pairs)
            };
            (p, c)
        })
        .collect();

    // ---- incremental check: 1,000 held-out records against an index of the others
    let held = 1000.min(n / 10);
    let mut inc_ms: Vec<f64> = Vec::new();
    let mut inc_cands = 0usize;
    let mut inc_found = 0usize;
    if held > 0 && !link {
        let mut order: Vec<usize> = (0..n).collect();
        order.sort_by_key(|&i| hash_bytes(&(i as u64).to_le_bytes()));
        let mut is_held = vec![false; n];
        for &i in &order[..held] {
            is_held[i] = true;
        }
        // (held out by record id; `preps` is in birth-date order)
        let kept: Vec<Prepared> = preps
            .into_iter()
            .filter(|p| !is_held[p.id as usize])
            .collect();
        let index = Index::from_prepared(kept);
        for &i in &order[..held] {
            let t = Instant::now();
            let p = Prepared::new(&data.records[i]);
            let cands = index.candidates_prepared(&p);
            let mut found = 0;
            for &c in &cands {
                if let Some(q) = index.prepared(c)
                    && model.weight_prepared(&p, q) >= wts[1]
                {
                    let _explained = model.score_prepared(&p, q);
                    found += 1;
                }
            }
            inc_ms.push(t.elapsed().as_secs_f64() * 1000.0);
            inc_cands += cands.len();
            inc_found += found;
        }
        inc_ms.sort_by(f64::total_cmp);
    }
    let pct = |q: f64| -> f64 {
        if inc_ms.is_empty() {
            return 0.0;
        }
        let k = ((inc_ms.len() as f64 - 1.0) * q).round() as usize;
        inc_ms[k.min(inc_ms.len() - 1)]
    };
    let rss_all = peak_rss_mib();

    let names: Vec<String> = inputs
        .iter()
        .map(|p| {
            p.file_name()
                .map(|f| f.to_string_lossy().into_owned())
                .unwrap_or_default()
        })
        .collect();
    let mut s = String::new();
    let _ = writeln!(
        s,
        "linkage bench: {} ({}, {})",
        names.join(" + "),
        data.format,
        if link { "link" } else { "dedupe" }
    );
    let _ = writeln!(s, "records              {n}");
    let _ = writeln!(s, "malformed rows       {}", data.malformed.len());
    for m in data.malformed.iter().take(10) {
        let _ = writeln!(s, "  {m}");
    }
    let _ = writeln!(s, "true pairs           {true_pairs}");
    let _ = writeln!(
        s,
        "candidate pairs      {} (scored: {})",
        cand_all, stats.candidate_pairs
    );
    let _ = writeln!(s, "blocking recall      {recall_blocking:.4}");
    let _ = writeln!(
        s,
        "time s               load {load_s:.2} | prepare+index {index_s:.2} | train {train_s:.2} | block+score {score_s:.2} | cluster {cluster_s:.2} | total {total_s:.2}"
    );
    let _ = writeln!(
        s,
        "peak RSS MiB         {rss_pipeline:.0} (pipeline), {rss_all:.0} (with incremental index)"
    );
    for (k, p) in THRESHOLDS.iter().enumerate() {
        let (a, b, c) = pws[k];
        let _ = writeln!(s, "pairwise @{p:<5}      P {a:.4}  R {b:.4}  F1 {c:.4}");
    }
    let _ = writeln!(
        s,
        "cluster  @{:<5}      P {:.4}  R {:.4}  F1 {:.4}  (engine default)",
        crate::CLUSTER_AT,
        cl.0,
        cl.1,
        cl.2
    );
    for (p, c) in sweep.iter().filter(|x| x.0 != crate::CLUSTER_AT) {
        let _ = writeln!(
            s,
            "cluster  @{p:<5}      P {:.4}  R {:.4}  F1 {:.4}",
            c.0, c.1, c.2
        );
    }
    let _ = writeln!(
        s,
        "model                λ {:.3e}, EM iterations {}, training candidate pairs {}",
        model.lambda, model.em_iterations, model.trained_pairs
    );
    if !inc_ms.is_empty() {
        let _ = writeln!(
            s,
            "incremental check    {} held-out records vs index of {}: median {:.3} ms, p99 {:.3} ms, max {:.3} ms; {:.1} candidates and {:.2} matches per record",
            inc_ms.len(),
            n - held,
            pct(0.5),
            pct(0.99),
            pct(1.0),
            inc_cands as f64 / inc_ms.len() as f64,
            inc_found as f64 / inc_ms.len() as f64
        );
    }
    if std::env::var_os("LINKAGE_PARAMS").is_some() {
        for (f, l, m, u, w) in model.parameters() {
            let _ = writeln!(s, "  {f:<10} {l:<60} m {m:.4}  u {u:.3e}  w {w:+.2}");
        }
    }
    s.push_str(&analysis);

    if let Some(path) = json {
        let v = serde_json::json!({
            "engine": "gugus-linkage",
            "inputs": names,
            "format": data.format,
            "job": if link { "link" } else { "dedupe" },
            "records": n,
            "malformed_rows": data.malformed,
            "true_pairs": true_pairs,
            "candidate_pairs": cand_all,
            "blocking_recall": recall_blocking,
            "times_s": {"load": load_s, "prepare_index": index_s, "train": train_s,
                        "block_score": score_s, "cluster": cluster_s, "total": total_s},
            "peak_rss_mib": {"pipeline": rss_pipeline, "with_incremental": rss_all},
            "pairwise": THRESHOLDS.iter().zip(&pws).map(|(t, (p, r, f))|
                serde_json::json!({"threshold": t, "precision": p, "recall": r, "f1": f})).collect::<Vec<_>>(),
            "cluster": {"threshold": crate::CLUSTER_AT, "precision": cl.0, "recall": cl.1, "f1": cl.2},
            "cluster_sweep": sweep.iter().map(|(t, (p, r, f))|
                serde_json::json!({"threshold": t, "precision": p, "recall": r, "f1": f})).collect::<Vec<_>>(),
            "incremental": {"held_out": inc_ms.len(), "median_ms": pct(0.5), "p99_ms": pct(0.99),
                            "max_ms": pct(1.0)},
            "lambda": model.lambda,
            "threads": crate::train::threads(),
        });
        let text = serde_json::to_string_pretty(&v).map_err(|e| BenchError(e.to_string()))?;
        std::fs::write(path, text).map_err(|e| BenchError(format!("{}: {e}", path.display())))?;
    }
    Ok(s)
}

/// Error analysis (evaluator side, `LINKAGE_ANALYSIS=1`): missed true pairs and wrongly merged
/// pairs by the corruption tags of their records, with a few examples.
fn analyse(
    data: &Loaded,
    labels: &[u32],
    preps: &[Prepared],
    pos: &[u32],
    model: &crate::Model,
    blocks: &Blocks,
) -> String {
    let mut s = String::new();
    // candidate pairs (by record id)
    let mut cands: std::collections::HashSet<(usize, usize)> = std::collections::HashSet::new();
    {
        let mut c = Vec::new();
        for i in 0..preps.len() {
            blocks.candidates_of(i, &mut c);
            for &j in &c {
                let (a, b) = (preps[i].id as usize, preps[j as usize].id as usize);
                cands.insert((a.min(b), a.max(b)));
            }
        }
    }
    let mut pat: HashMap<String, (u64, u64, f64)> = HashMap::new();
    for &(a, b) in &cands {
        let (pa, pb) = (&preps[pos[a] as usize], &preps[pos[b] as usize]);
        let sc = model.score_prepared(pa, pb);
        if sc.weight < -6.0 || sc.weight > 8.0 {
            continue;
        }
        let key: Vec<String> = sc
            .explanation
            .iter()
            .skip(1)
            .map(|c| format!("{}={}", &c.field[..3], &c.level[..c.level.len().min(12)]))
            .collect();
        let e = pat.entry(key.join(" ")).or_insert((0, 0, sc.weight));
        if data.truth[a] == data.truth[b] {
            e.0 += 1
        } else {
            e.1 += 1
        }
    }
    let mut pv: Vec<_> = pat.into_iter().collect();
    pv.sort_by_key(|x| std::cmp::Reverse(x.1.0 + x.1.1));
    let _ = writeln!(
        s,
        "patterns of candidates with weight in [-6, 8]: true false weight"
    );
    for (k, (t, f, w)) in pv.iter().take(60) {
        let _ = writeln!(s, "  {t:>6} {f:>6} {w:>6.1}  {k}");
    }
    let mut nc_tags: HashMap<String, u64> = HashMap::new();
    let mut nc_total = 0u64;
    let mut nc_above = 0u64;
    let mut fn_pat: HashMap<String, u64> = HashMap::new();
    let mut nc_ex = Vec::new();
    let mut hist = [0u64; 12];
    let mut diag = [0u64; 4];
    let mut groups: HashMap<u64, Vec<usize>> = HashMap::new();
    for (i, &t) in data.truth.iter().enumerate() {
        groups.entry(t).or_default().push(i);
    }
    let mut fn_tags: HashMap<String, u64> = HashMap::new();
    let mut fn_total = 0u64;
    let mut examples = Vec::new();
    for g in groups.values() {
        for x in 0..g.len() {
            for y in x + 1..g.len() {
                let (i, j) = (g[x], g[y]);
                if labels[i] != labels[j] {
                    fn_total += 1;
                    if !cands.contains(&(i.min(j), i.max(j))) {
                        nc_total += 1;
                        let w =
                            model.weight_prepared(&preps[pos[i] as usize], &preps[pos[j] as usize]);
                        if w >= weight_of_probability(crate::CLUSTER_AT) {
                            nc_above += 1;
                            if nc_ex.len() < 40 {
                                nc_ex.push((i, j));
                            }
                        }
                        let mut tags: Vec<&str> = data.corruptions[i]
                            .split(';')
                            .chain(data.corruptions[j].split(';'))
                            .filter(|t| !t.is_empty())
                            .collect();
                        tags.sort_unstable();
                        tags.dedup();
                        *nc_tags.entry(tags.join(",")).or_insert(0) += 1;
                    } else {
                        let (pa, pb) = (&preps[pos[i] as usize], &preps[pos[j] as usize]);
                        let nd = |x: &Prepared| {
                            x.nik
                                .as_deref()
                                .and_then(crate::model::nik_birth_sex)
                                .map(|v| v.0)
                        };
                        let (ra, rb) = (&data.records[i], &data.records[j]);
                        if ra.birth.is_some()
                            && rb.birth.is_some()
                            && ra.birth != rb.birth
                            && ((nd(pa).is_some() && nd(pa) == rb.birth)
                                || (nd(pb).is_some() && nd(pb) == ra.birth))
                        {
                            diag[0] += 1;
                        }
                        let nr = |x: &Prepared| {
                            x.nik
                                .as_deref()
                                .filter(|n| n.len() >= 4)
                                .map(|n| n[..4].to_vec())
                        };
                        let rg = |x: &Record| x.region.as_ref().map(|r| r.as_bytes().to_vec());
                        if ra.region != rb.region
                            && ((nr(pa).is_some() && nr(pa) == rg(rb))
                                || (nr(pb).is_some() && nr(pb) == rg(ra)))
                        {
                            diag[1] += 1;
                        }
                        let w =
                            model.weight_prepared(&preps[pos[i] as usize], &preps[pos[j] as usize]);
                        let sc =
                            model.score_prepared(&preps[pos[i] as usize], &preps[pos[j] as usize]);
                        let key: Vec<String> = sc
                            .explanation
                            .iter()
                            .skip(1)
                            .map(|c| {
                                format!("{}={}", &c.field[..3], &c.level[..c.level.len().min(12)])
                            })
                            .collect();
                        *fn_pat.entry(key.join(" ")).or_insert(0) += 1;
                        let b = ((w + 12.0) / 2.0).floor().clamp(0.0, 11.0) as usize;
                        hist[b] += 1;
                    }
                    let mut tags: Vec<&str> = data.corruptions[i]
                        .split(';')
                        .chain(data.corruptions[j].split(';'))
                        .filter(|t| !t.is_empty())
                        .collect();
                    tags.sort_unstable();
                    tags.dedup();
                    if tags.is_empty() {
                        tags.push("(none)");
                    }
                    for t in tags {
                        *fn_tags.entry(t.to_string()).or_insert(0) += 1;
                    }
                    if examples.len() < 12 && fn_total % 97 == 1 {
                        examples.push((i, j));
                    }
                }
            }
        }
    }
    let _ = writeln!(
        s,
        "\nmissed true pairs (not in one cluster): {fn_total}; not candidates {nc_total}, {nc_above} of them above the clustering threshold"
    );
    let _ = writeln!(
        s,
        "missed candidates: nik-date = other dob {}, nik regency = other region {}",
        diag[0], diag[1]
    );
    let mut v: Vec<_> = fn_pat.iter().collect();
    v.sort_by_key(|x| std::cmp::Reverse(*x.1));
    for (k, c) in v.iter().take(25) {
        let _ = writeln!(s, "  FN {c:>6} {k}");
    }
    let _ = writeln!(
        s,
        "weight histogram of missed candidates (from -12, step 2): {hist:?}"
    );
    let mut v: Vec<_> = nc_tags.iter().collect();
    v.sort_by_key(|b| std::cmp::Reverse(*b.1));
    for (t, c) in v.iter().take(25) {
        let _ = writeln!(s, "  NC {t:<60} {c}");
    }
    for &(i, j) in &nc_ex {
        let (a, b) = (&data.records[i], &data.records[j]);
        let _ = writeln!(
            s,
            "  NC {:?} {:?} {:?} {:?} {:?} | {:?} {:?} {:?} {:?} {:?} | {} / {}",
            a.name,
            a.sex,
            a.birth.map(|d| d.ymd()),
            a.nik,
            a.region,
            b.name,
            b.sex,
            b.birth.map(|d| d.ymd()),
            b.nik,
            b.region,
            data.corruptions[i],
            data.corruptions[j]
        );
    }
    let mut v: Vec<_> = fn_tags.into_iter().collect();
    v.sort_by_key(|b| std::cmp::Reverse(b.1));
    for (t, c) in v.iter().take(20) {
        let _ = writeln!(s, "  {t:<20} {c}");
    }
    let show = |s: &mut String, i: usize, j: usize| {
        let (a, b) = (&data.records[i], &data.records[j]);
        let sc = model.score_prepared(&preps[pos[i] as usize], &preps[pos[j] as usize]);
        let _ = writeln!(
            s,
            "  {:?} {:?} {:?} | {:?} {:?} {:?} | {} / {} -> w {:.1}",
            a.name,
            a.birth.map(|d| d.ymd()),
            a.nik,
            b.name,
            b.birth.map(|d| d.ymd()),
            b.nik,
            data.corruptions[i],
            data.corruptions[j],
            sc.weight
        );
        for c in &sc.explanation {
            let _ = writeln!(s, "      {:<10} {:<50} {:+.2}", c.field, c.level, c.weight);
        }
    };
    for &(i, j) in &examples {
        show(&mut s, i, j);
    }
    // false merges
    let mut clusters: HashMap<u32, Vec<usize>> = HashMap::new();
    for (i, &l) in labels.iter().enumerate() {
        clusters.entry(l).or_default().push(i);
    }
    let mut fp = 0u64;
    let mut fp_ex = Vec::new();
    let mut fp_pat: HashMap<(bool, String), u64> = HashMap::new();
    for c in clusters.values() {
        for x in 0..c.len() {
            for y in x + 1..c.len() {
                if data.truth[c[x]] != data.truth[c[y]] {
                    fp += 1;
                    let sc = model
                        .score_prepared(&preps[pos[c[x]] as usize], &preps[pos[c[y]] as usize]);
                    let key: Vec<String> = sc
                        .explanation
                        .iter()
                        .skip(1)
                        .map(|c| format!("{}={}", &c.field[..3], &c.level[..c.level.len().min(12)]))
                        .collect();
                    let direct = sc.weight >= weight_of_probability(crate::CLUSTER_AT);
                    *fp_pat.entry((direct, key.join(" "))).or_insert(0) += 1;
                    if fp_ex.len() < 12 && fp % 13 == 1 {
                        fp_ex.push((c[x], c[y]));
                    }
                }
            }
        }
    }
    let _ = writeln!(s, "\nwrongly merged pairs: {fp}");
    let mut v: Vec<_> = fp_pat.into_iter().collect();
    v.sort_by_key(|x| std::cmp::Reverse(x.1));
    for ((d, k), c) in v.iter().take(25) {
        let _ = writeln!(s, "  FP {c:>6} direct={d} {k}");
    }
    for &(i, j) in &fp_ex {
        show(&mut s, i, j);
    }
    s
}
