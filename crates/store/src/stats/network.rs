//! Perpetrator networks (issue 13, item 6): perpetrators and the cases they share, with the
//! victims' home regions and the places of exploitation of those cases — only cases in the
//! actor's scope, perpetrators by initials and a code (names stay on the perpetrator's own
//! page, under identity access and its audit). Records decided to be one perpetrator are
//! one node (their network id).

use super::query::narrow_area;
use crate::core::sql::Sql;
use crate::{Result, Store, StoreError};
use domain::{Action, Actor, decide};
use serde::Serialize;
use sqlx::Row;
use std::collections::{BTreeMap, BTreeSet, HashMap, VecDeque};

/// Largest graph drawn (nodes of both kinds).
pub const NETWORK_MAX_NODES: usize = 80;

#[derive(Debug, Clone, Serialize)]
pub struct NetPerpetrator {
    /// The network id (the smallest record id of the perpetrator).
    pub id: i64,
    pub initials: String,
    pub kind: String,
    pub cases: Vec<i64>,
}

#[derive(Debug, Clone, Serialize)]
pub struct NetCase {
    pub id: i64,
    pub code: String,
    /// Victims' home regencies.
    pub homes: Vec<String>,
    /// Places (regency code or country) of exploitation.
    pub places: Vec<String>,
}

#[derive(Debug, Clone, Serialize, Default)]
pub struct Network {
    pub perpetrators: Vec<NetPerpetrator>,
    pub cases: Vec<NetCase>,
    /// Whether the graph was cut at [`NETWORK_MAX_NODES`].
    pub truncated: bool,
}

impl Store {
    /// The network around one perpetrator (its cases, their other perpetrators, and so on),
    /// or — without one — around the perpetrators with the most cases in scope.
    pub async fn perpetrator_network(&self, actor: &Actor, around: Option<i64>) -> Result<Network> {
        decide(actor, Action::ViewStatistics, &actor.scope)?;
        // Every perpetrator–case link in scope (by network id).
        let mut q = Sql::new(
            "SELECT COALESCE(p.network_id, p.id), cp.case_id FROM case_perpetrators cp \
             JOIN perpetrators p ON p.id = cp.perpetrator_id JOIN cases c ON c.id = cp.case_id WHERE 1=1",
        );
        narrow_area(&mut q, "c", &actor.scope);
        let links: Vec<(i64, i64)> = q.build_as().fetch_all(self.pool()).await?;
        let mut by_perp: BTreeMap<i64, BTreeSet<i64>> = BTreeMap::new();
        let mut by_case: BTreeMap<i64, BTreeSet<i64>> = BTreeMap::new();
        for (p, c) in &links {
            by_perp.entry(*p).or_default().insert(*c);
            by_case.entry(*c).or_default().insert(*p);
        }
        let seeds: Vec<i64> = match around {
            Some(id) => {
                let net: Option<i64> = sqlx::query_scalar(
                    "SELECT COALESCE(network_id, id) FROM perpetrators WHERE id = $1",
                )
                .bind(id)
                .fetch_optional(self.pool())
                .await?;
                match net.filter(|n| by_perp.contains_key(n)) {
                    Some(n) => vec![n],
                    None => return Err(StoreError::NotFound),
                }
            }
            None => {
                let mut v: Vec<(usize, i64)> = by_perp
                    .iter()
                    .filter(|(_, c)| c.len() > 1)
                    .map(|(p, c)| (c.len(), *p))
                    .collect();
                v.sort_by(|a, b| b.cmp(a));
                v.into_iter().take(10).map(|(_, p)| p).collect()
            }
        };
        // Breadth first from the seeds, perpetrator → case → perpetrator.
        let mut perps: Vec<i64> = Vec::new();
        let mut cases: Vec<i64> = Vec::new();
        let mut seen_p: BTreeSet<i64> = BTreeSet::new();
        let mut seen_c: BTreeSet<i64> = BTreeSet::new();
        let mut todo: VecDeque<i64> = seeds.into_iter().collect();
        let mut truncated = false;
        while let Some(p) = todo.pop_front() {
            if !seen_p.insert(p) {
                continue;
            }
            if perps.len() + cases.len() >= NETWORK_MAX_NODES {
                truncated = true;
                break;
            }
            perps.push(p);
            for c in by_perp.get(&p).into_iter().flatten() {
                if seen_c.insert(*c) {
                    cases.push(*c);
                    for other in by_case.get(c).into_iter().flatten() {
                        if !seen_p.contains(other) {
                            todo.push_back(*other);
                        }
                    }
                }
            }
        }
        if perps.is_empty() {
            return Ok(Network::default());
        }
        let mut q = Sql::new("SELECT id, initials, kind FROM perpetrators WHERE id");
        q.in_list(&perps);
        let info: HashMap<i64, (String, String)> = q
            .build_as::<(i64, String, String)>()
            .fetch_all(self.pool())
            .await?
            .into_iter()
            .map(|(id, i, k)| (id, (i, k)))
            .collect();
        let mut q = Sql::new("SELECT id, code FROM cases WHERE id");
        q.in_list(&cases);
        let codes: HashMap<i64, String> = q
            .build_as()
            .fetch_all(self.pool())
            .await?
            .into_iter()
            .collect();
        let mut q = Sql::new(
            "SELECT s.case_id, s.home_regency, COALESCE(s.dest_regency, s.dest_country) FROM stat_victims s WHERE s.case_id",
        );
        q.in_list(&cases);
        let mut homes: HashMap<i64, (BTreeSet<String>, BTreeSet<String>)> = HashMap::new();
        for r in q.build().fetch_all(self.pool()).await? {
            let c: i64 = r.try_get(0)?;
            let e = homes.entry(c).or_default();
            e.0.extend(r.try_get::<Option<String>, _>(1)?);
            e.1.extend(r.try_get::<Option<String>, _>(2)?);
        }
        Ok(Network {
            perpetrators: perps
                .iter()
                .map(|p| {
                    let (initials, kind) = info.get(p).cloned().unwrap_or_default();
                    NetPerpetrator {
                        id: *p,
                        initials,
                        kind,
                        cases: by_perp
                            .get(p)
                            .map(|c| c.iter().copied().filter(|c| seen_c.contains(c)).collect())
                            .unwrap_or_default(),
                    }
                })
                .collect(),
            cases: cases
                .iter()
                .map(|c| {
                    let (h, pl) = homes.remove(c).unwrap_or_default();
                    NetCase {
                        id: *c,
                        code: codes.get(c).cloned().unwrap_or_default(),
                        homes: h.into_iter().collect(),
                        places: pl.into_iter().collect(),
                    }
                })
                .collect(),
            truncated,
        })
    }
}
