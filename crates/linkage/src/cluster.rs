//! Clustering that does not chain: pairs are merged best first, and a merge is refused when
//! any record of one cluster has evidence against being the same person as any record of the
//! other (Bayes factor below 2^-5, prior excluded, or two unrelated NIKs).

use std::collections::HashMap;

use crate::model::{Model, Prepared};
use crate::{Pair, Record};

/// Evidence (log2 Bayes factor, prior excluded) below which two records contradict each other.
pub const CONTRADICTION: f64 = -5.0;
/// A merge needing more cross checks than this is refused (clusters that big are suspect).
const MAX_CROSS: usize = 4096;

/// Groups record ids into clusters (every record appears once; singletons included).
pub fn cluster(records: &[Record], pairs: &[Pair], model: &Model) -> Vec<Vec<u64>> {
    let pos: HashMap<u64, u32> = records
        .iter()
        .enumerate()
        .map(|(i, r)| (r.id, i as u32))
        .collect();
    let mut involved: Vec<u32> = Vec::new();
    let mut edges: Vec<(u32, u32, f64)> = Vec::new();
    for p in pairs {
        if let (Some(&a), Some(&b)) = (pos.get(&p.a), pos.get(&p.b)) {
            edges.push((a, b, p.scored.weight));
            involved.push(a);
            involved.push(b);
        }
    }
    involved.sort_unstable();
    involved.dedup();
    let mut preps: HashMap<u32, Prepared> = HashMap::new();
    for &i in &involved {
        preps.insert(i, Prepared::new(&records[i as usize]));
    }
    let labels = cluster_edges(records.len(), &mut edges, &|a, b| match (
        preps.get(&a),
        preps.get(&b),
    ) {
        (Some(x), Some(y)) => model.cluster_evidence(x, y),
        _ => f64::NEG_INFINITY,
    });
    let mut groups: HashMap<u32, Vec<u64>> = HashMap::new();
    for (i, l) in labels.iter().enumerate() {
        groups.entry(*l).or_default().push(records[i].id);
    }
    let mut out: Vec<Vec<u64>> = groups.into_values().collect();
    out.sort_by_key(|g| g.first().copied().unwrap_or(0));
    out
}

/// Union of `edges` (positions, weight) best first under the no-contradiction rule; returns a
/// cluster label per position. `evidence(a, b)` scores any two positions.
pub(crate) fn cluster_edges(
    n: usize,
    edges: &mut [(u32, u32, f64)],
    evidence: &dyn Fn(u32, u32) -> f64,
) -> Vec<u32> {
    edges.sort_by(|x, y| y.2.total_cmp(&x.2));
    let mut parent: Vec<u32> = (0..n as u32).collect();
    let mut members: HashMap<u32, Vec<u32>> = HashMap::new();
    fn find(parent: &mut [u32], mut x: u32) -> u32 {
        while parent[x as usize] != x {
            let p = parent[x as usize];
            parent[x as usize] = parent[p as usize];
            x = p;
        }
        x
    }
    for &(a, b, _) in edges.iter() {
        let (ra, rb) = (find(&mut parent, a), find(&mut parent, b));
        if ra == rb {
            continue;
        }
        let ma = members.get(&ra).cloned().unwrap_or_else(|| vec![ra]);
        let mb = members.get(&rb).cloned().unwrap_or_else(|| vec![rb]);
        if ma.len() * mb.len() > MAX_CROSS {
            continue;
        }
        let contradicted = ma
            .iter()
            .any(|&x| mb.iter().any(|&y| evidence(x, y) < CONTRADICTION));
        if contradicted {
            continue;
        }
        let (big, small, mut mbig, msmall) = if ma.len() >= mb.len() {
            (ra, rb, ma, mb)
        } else {
            (rb, ra, mb, ma)
        };
        parent[small as usize] = big;
        mbig.extend(msmall);
        members.remove(&small);
        members.insert(big, mbig);
    }
    (0..n as u32).map(|i| find(&mut parent, i)).collect()
}
