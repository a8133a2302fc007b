//! One perpetrator in several records: after "same" decisions the records share a network
//! id (the smallest perpetrator id among them), never merged or deleted. A case page may
//! say that its perpetrator also appears in cases outside the viewer's scope: how many and
//! in which provinces, nothing else.

use super::records::ElsewhereRecord;
use super::{Elsewhere, PerpetratorLink};
use crate::core::sql::Sql;
use crate::{Result, Store};
use domain::{Actor, Scope};
use std::collections::{BTreeSet, HashMap, HashSet};

/// Records connected to `seeds` through "same" decisions, or sharing their network id now.
async fn touched(
    conn: &mut sqlx::AnyConnection,
    seeds: Vec<i64>,
) -> Result<(HashSet<i64>, HashMap<i64, Vec<i64>>)> {
    let mut todo = seeds.clone();
    let mut q = Sql::new(
        "SELECT id FROM perpetrators WHERE network_id IN (SELECT network_id FROM perpetrators WHERE id",
    );
    q.in_list(&seeds).push(")");
    todo.extend(q.build_scalar::<i64>().fetch_all(&mut *conn).await?);
    let mut seen: HashSet<i64> = HashSet::new();
    let mut edges: HashMap<i64, Vec<i64>> = HashMap::new();
    while let Some(p) = todo.pop() {
        if !seen.insert(p) {
            continue;
        }
        let rows: Vec<(i64, i64)> = sqlx::query_as(
            "SELECT perpetrator_a, perpetrator_b FROM perpetrator_pairs WHERE status = 'same' AND (perpetrator_a = $1 OR perpetrator_b = $1)",
        )
        .bind(p)
        .fetch_all(&mut *conn)
        .await?;
        for (x, y) in rows {
            edges.entry(x).or_default().push(y);
            edges.entry(y).or_default().push(x);
            todo.push(if x == p { y } else { x });
        }
    }
    Ok((seen, edges))
}

/// Recomputes network ids around `seeds` (after a decision or an undo): each connected
/// group of "same" decisions gets its smallest perpetrator id, a record alone gets NULL.
pub(super) async fn relink_network(conn: &mut sqlx::AnyConnection, seeds: Vec<i64>) -> Result<()> {
    let (seen, edges) = touched(conn, seeds).await?;
    let mut assigned: HashSet<i64> = HashSet::new();
    for &start in &seen {
        if !assigned.insert(start) {
            continue;
        }
        let mut group = vec![start];
        let mut stack = vec![start];
        while let Some(p) = stack.pop() {
            for &q in edges.get(&p).map(Vec::as_slice).unwrap_or(&[]) {
                if assigned.insert(q) {
                    group.push(q);
                    stack.push(q);
                }
            }
        }
        let network = (group.len() > 1)
            .then(|| group.iter().min().copied())
            .flatten();
        let mut q = Sql::new("UPDATE perpetrators SET network_id = ");
        match network {
            Some(n) => q.bind_int(n),
            None => q.push("NULL"),
        };
        q.push(" WHERE id").in_list(&group);
        q.build().execute(&mut *conn).await?;
    }
    Ok(())
}

impl Store {
    /// For a case page: marks each perpetrator whose network has cases outside the actor's
    /// scope with their count and province names. National staff have nothing outside.
    pub(crate) async fn note_networks(
        &self,
        actor: &Actor,
        links: &mut [PerpetratorLink],
    ) -> Result<()> {
        let Scope::Region(code) = &actor.scope else {
            return Ok(());
        };
        if links.is_empty() {
            return Ok(());
        }
        let ids: Vec<i64> = links.iter().map(|l| l.perpetrator_id).collect();
        let mut q =
            Sql::new("SELECT id, network_id FROM perpetrators WHERE network_id IS NOT NULL AND id");
        q.in_list(&ids);
        let networks: HashMap<i64, i64> = q
            .build_as::<(i64, i64)>()
            .fetch_all(self.pool())
            .await?
            .into_iter()
            .collect();
        let (lo, hi) = code.subtree_bounds();
        for link in links.iter_mut() {
            let Some(network) = networks.get(&link.perpetrator_id) else {
                continue;
            };
            let rows: Vec<ElsewhereRecord> = sqlx::query_as(
                "SELECT DISTINCT c.id AS case_id, r.name AS region_name FROM perpetrators m \
                 JOIN case_perpetrators cp ON cp.perpetrator_id = m.id JOIN cases c ON c.id = cp.case_id \
                 LEFT JOIN regions r ON r.code = c.province_code \
                 WHERE m.network_id = $1 AND (c.region_code IS NULL OR c.region_code < $2 OR c.region_code >= $3)",
            )
            .bind(*network)
            .bind(lo.clone())
            .bind(hi.clone())
            .fetch_all(self.pool())
            .await?;
            let cases: BTreeSet<i64> = rows.iter().map(|r| r.case_id).collect();
            if cases.is_empty() {
                continue;
            }
            let regions: BTreeSet<String> =
                rows.into_iter().filter_map(|r| r.region_name).collect();
            link.elsewhere = Some(Elsewhere {
                cases: cases.len() as i64,
                regions: regions.into_iter().collect(),
            });
        }
        Ok(())
    }
}
