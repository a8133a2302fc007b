//! The queries behind the statistics: totals, a trend, breakdowns and cross-tabs, each an
//! aggregate over `stat_victims` narrowed to the area in SQL. Computed figures are cached
//! by the statistics generation, which every write of a counted record moves.

use super::cube::m;
use super::sums::Group;
use super::{DateBasis, Granularity, StatDim, StatFilter};
use crate::core::sql::Sql;
use crate::{Result, Store};
use domain::{Action, Actor, RegionLevel, Scope, decide};
use serde::Serialize;
use sqlx::Row;
use std::sync::Arc;

/// Counts of one kind (official or working).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Totals {
    pub cases: i64,
    /// Victim records (official: cleared records).
    pub victims: i64,
    /// Persons: records linked as one person counted once.
    pub persons: i64,
    /// Child victims (persons for official, records for working).
    pub children: i64,
    /// Perpetrators, records decided to be one perpetrator counted once.
    pub perpetrators: i64,
    pub restitution_awarded: i64,
    pub restitution_paid: i64,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct BreakdownRow {
    /// The value (a picklist code, a region code, a band); `None` = not recorded.
    pub value: Option<String>,
    /// Persons among cleared records.
    pub official: i64,
    /// Records in scope.
    pub working: i64,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Breakdown {
    pub dim: StatDim,
    /// Largest first (working), "not recorded" last.
    pub rows: Vec<BreakdownRow>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct TrendPoint {
    /// `YYYYMM`, `YYYYQ` (quarter 1–4) or `YYYY`.
    pub period: i64,
    pub official: i64,
    pub working: i64,
}

#[derive(Debug, Clone, Serialize)]
pub struct CrossTab {
    pub rows: StatDim,
    pub cols: StatDim,
    /// (row value, column value, official, working).
    pub cells: Vec<(Option<String>, Option<String>, i64, i64)>,
}

/// Everything the statistics page shows for one filter.
#[derive(Debug, Clone, Serialize)]
pub struct Statistics {
    pub filter: StatFilter,
    pub granularity: Granularity,
    pub official: Totals,
    pub working: Totals,
    pub trend: Vec<TrendPoint>,
    pub breakdowns: Vec<Breakdown>,
    /// The statistics generation the figures were computed at.
    pub generation: i64,
    /// When they were computed (unix ms): a page served while newer figures are computed
    /// behind it says how old its figures are.
    pub computed_at: i64,
}

impl Statistics {
    pub fn breakdown(&self, dim: StatDim) -> Option<&Breakdown> {
        self.breakdowns.iter().find(|b| b.dim == dim)
    }
}

/// `AND …` narrowing the rows of alias `a` to `area` and the filter. `exploited` is the
/// alias's exploitation-date column.
pub(crate) fn narrow(q: &mut Sql, a: &str, exploited: &str, area: &Scope, f: &StatFilter) {
    match area {
        Scope::National => {}
        Scope::Region(r) if r.level() == RegionLevel::Province => {
            q.push(&format!(" AND {a}.province_code = "))
                .bind_text(r.as_str());
        }
        Scope::Region(r) if r.level() == RegionLevel::Regency => {
            q.push(&format!(" AND {a}.province_code = "))
                .bind_text(r.province().as_str())
                .push(&format!(" AND {a}.regency_code = "))
                .bind_text(r.as_str());
        }
        Scope::Region(_) => {
            q.scope(&format!("{a}.region_code"), area);
        }
    }
    let col = match f.basis {
        DateBasis::Report => format!("{a}.reported_on"),
        DateBasis::Exploitation => format!("{a}.{exploited}"),
    };
    if let Some(d) = f.from {
        q.push(&format!(" AND {col} >= ")).bind_int(d);
    }
    if let Some(d) = f.to {
        q.push(&format!(" AND {col} <= ")).bind_int(d);
    }
    if let Some(s) = f.review {
        q.push(&format!(" AND {a}.review_state = "))
            .bind_text(s.as_str());
    }
}

/// [`narrow`] to an area only (every date, every state).
pub(super) fn narrow_area(q: &mut Sql, a: &str, area: &Scope) {
    let exploited = if a == "c" {
        "exploitation_from"
    } else {
        "exploited_on"
    };
    narrow(q, a, exploited, area, &StatFilter::default());
}

/// Persons among cleared records. A record not linked to others is a person by itself
/// (its key is minus its id), so only linked keys need the distinct count: on 1.3 million
/// cleared records this reads 0.6 s instead of 1.0 s per aggregate (sqlite3, this file).
const PERSONS: &str = "(SUM(CASE WHEN s.review_state = 'cleared' AND s.person_key < 0 THEN 1 ELSE 0 END) \
     + COUNT(DISTINCT CASE WHEN s.review_state = 'cleared' AND s.person_key > 0 THEN s.person_key END))";
fn int(r: &sqlx::any::AnyRow, i: usize) -> Result<i64> {
    Ok(r.try_get::<Option<i64>, _>(i)?.unwrap_or(0))
}

impl Store {
    /// The area the actor's statistics cover: the filter's region (which must lie in the
    /// actor's scope: otherwise "not found") or the whole scope.
    pub(crate) fn stat_area(&self, actor: &Actor, f: &StatFilter) -> Result<Scope> {
        decide(actor, Action::ViewStatistics, &actor.scope)?;
        match &f.region {
            Some(r) => {
                let s = Scope::Region(r.clone());
                decide(actor, Action::ViewStatistics, &s)?;
                Ok(s)
            }
            None => Ok(actor.scope.clone()),
        }
    }

    /// The statistics generation (moves with every write of a counted record).
    pub async fn statistics_generation(&self) -> Result<i64> {
        Ok(
            sqlx::query_scalar("SELECT generation FROM stat_meta WHERE id = 1")
                .fetch_one(self.pool())
                .await?,
        )
    }

    /// Totals, trend and every breakdown for the filter, official beside working.
    pub async fn statistics(
        &self,
        actor: &Actor,
        f: &StatFilter,
        granularity: Granularity,
    ) -> Result<Arc<Statistics>> {
        let area = self.stat_area(actor, f)?;
        let generation = self.statistics_generation().await?;
        let key = format!("{area:?}|{f:?}|{granularity:?}");
        let (me, f) = (self.clone(), f.clone());
        self.stats_memo
            .get(key, generation, move || {
                let (me, area, f) = (me.clone(), area.clone(), f.clone());
                async move {
                    me.compute_statistics(area, f, granularity, generation, true)
                        .await
                }
            })
            .await
    }

    async fn compute_statistics(
        &self,
        area: Scope,
        f: StatFilter,
        granularity: Granularity,
        generation: i64,
        use_cube: bool,
    ) -> Result<Arc<Statistics>> {
        // The breakdowns are independent reads: run them on several connections at once
        // (SQLite readers run side by side under WAL; PostgreSQL likewise).
        let mut tasks = tokio::task::JoinSet::new();
        for (i, dim) in StatDim::ALL.into_iter().enumerate() {
            let (me, area, f) = (self.clone(), area.clone(), f.clone());
            tasks.spawn(async move {
                (
                    i,
                    me.stat_breakdown_within(&area, &f, dim, None, use_cube)
                        .await,
                )
            });
        }
        let (official, working) = self.stat_totals(&area, &f, use_cube).await?;
        let trend = self.stat_trend(&area, &f, granularity, use_cube).await?;
        let mut slots: Vec<Option<Breakdown>> = vec![None; StatDim::ALL.len()];
        while let Some(done) = tasks.join_next().await {
            let (i, b) =
                done.map_err(|e| crate::StoreError::Other(format!("statistics task: {e}")))?;
            if let Some(slot) = slots.get_mut(i) {
                *slot = Some(b?);
            }
        }
        let breakdowns: Vec<Breakdown> = slots.into_iter().flatten().collect();
        Ok(Arc::new(Statistics {
            filter: f,
            granularity,
            official,
            working,
            trend,
            breakdowns,
            generation,
            computed_at: self.now_ms(),
        }))
    }

    /// One breakdown (the map's measure, the API).
    pub async fn statistics_breakdown(
        &self,
        actor: &Actor,
        f: &StatFilter,
        dim: StatDim,
    ) -> Result<Breakdown> {
        let area = self.stat_area(actor, f)?;
        self.cached_breakdown(area, f, dim, None).await
    }

    /// A breakdown through the memo (maps ask for the same ones again and again).
    async fn cached_breakdown(
        &self,
        area: Scope,
        f: &StatFilter,
        dim: StatDim,
        within: Option<domain::RegionCode>,
    ) -> Result<Breakdown> {
        let generation = self.statistics_generation().await?;
        let key = format!("{area:?}|{f:?}|{dim:?}|{within:?}");
        let (me, f) = (self.clone(), f.clone());
        let b = self
            .breakdown_memo
            .get(key, generation, move || {
                let (me, area, f, within) = (me.clone(), area.clone(), f.clone(), within.clone());
                async move {
                    me.stat_breakdown_within(&area, &f, dim, within.as_ref(), true)
                        .await
                        .map(Arc::new)
                }
            })
            .await?;
        Ok((*b).clone())
    }

    async fn stat_totals(
        &self,
        area: &Scope,
        f: &StatFilter,
        use_cube: bool,
    ) -> Result<(Totals, Totals)> {
        let g = Group::default();
        let (sums, linked) =
            tokio::try_join!(self.sums(area, f, &g, use_cube), self.linked(area, f, &g))?;
        let s = sums.into_values().next().unwrap_or_default();
        let l = linked.into_values().next().unwrap_or_default();
        let mut official = Totals {
            cases: s.cleared[m::CASES],
            victims: s.cleared[m::RECORDS],
            persons: s.cleared[m::UNLINKED] + l.cleared,
            children: s.cleared[m::CHILDREN_UNLINKED] + l.cleared_children,
            perpetrators: 0,
            restitution_awarded: s.cleared[m::AWARDED],
            restitution_paid: s.cleared[m::PAID],
        };
        let mut working = Totals {
            cases: s.all[m::CASES],
            victims: s.all[m::RECORDS],
            persons: s.all[m::UNLINKED] + l.all,
            children: s.all[m::CHILDREN],
            perpetrators: 0,
            restitution_awarded: s.all[m::AWARDED],
            restitution_paid: s.all[m::PAID],
        };
        let mut q = Sql::new(
            "SELECT COUNT(DISTINCT CASE WHEN c.review_state = 'cleared' THEN COALESCE(p.network_id, p.id) END), \
             COUNT(DISTINCT COALESCE(p.network_id, p.id)) \
             FROM case_perpetrators cp JOIN perpetrators p ON p.id = cp.perpetrator_id \
             JOIN cases c ON c.id = cp.case_id WHERE 1=1",
        );
        narrow(&mut q, "c", "exploitation_from", area, f);
        let r = q.build().fetch_one(self.pool()).await?;
        official.perpetrators = int(&r, 0)?;
        working.perpetrators = int(&r, 1)?;
        Ok((official, working))
    }

    async fn stat_trend(
        &self,
        area: &Scope,
        f: &StatFilter,
        g: Granularity,
        use_cube: bool,
    ) -> Result<Vec<TrendPoint>> {
        let g = Group {
            period: Some(g),
            ..Group::default()
        };
        let (sums, linked) =
            tokio::try_join!(self.sums(area, f, &g, use_cube), self.linked(area, f, &g))?;
        let mut out: Vec<TrendPoint> = sums
            .into_iter()
            .filter(|(_, s)| s.all[m::RECORDS] != 0)
            .map(|((_, period), s)| TrendPoint {
                period,
                official: s.cleared[m::UNLINKED]
                    + linked.get(&(None, period)).map_or(0, |l| l.cleared),
                working: s.all[m::RECORDS],
            })
            .collect();
        out.sort_by_key(|p| p.period);
        Ok(out)
    }

    /// One breakdown of a region dimension, only its values inside `within` (the villages
    /// of one regency, the regencies of one province).
    pub async fn statistics_breakdown_in(
        &self,
        actor: &Actor,
        f: &StatFilter,
        dim: StatDim,
        within: &domain::RegionCode,
    ) -> Result<Breakdown> {
        let area = self.stat_area(actor, f)?;
        self.cached_breakdown(area, f, dim, Some(within.clone()))
            .await
    }

    async fn stat_breakdown_within(
        &self,
        area: &Scope,
        f: &StatFilter,
        dim: StatDim,
        within: Option<&domain::RegionCode>,
        use_cube: bool,
    ) -> Result<Breakdown> {
        let g = Group {
            dim: Some(dim),
            within: within.cloned(),
            period: None,
        };
        let (sums, linked) =
            tokio::try_join!(self.sums(area, f, &g, use_cube), self.linked(area, f, &g))?;
        let mut rows: Vec<BreakdownRow> = sums
            .into_iter()
            .filter(|(_, s)| s.all[m::RECORDS] != 0)
            .map(|(key, s)| BreakdownRow {
                official: s.cleared[m::UNLINKED] + linked.get(&key).map_or(0, |l| l.cleared),
                working: s.all[m::RECORDS],
                value: key.0,
            })
            .collect();
        rows.sort_by(|a, b| {
            (a.value.is_none(), -a.working, &a.value).cmp(&(
                b.value.is_none(),
                -b.working,
                &b.value,
            ))
        });
        Ok(Breakdown { dim, rows })
    }

    /// Two dimensions against each other.
    pub async fn statistics_crosstab(
        &self,
        actor: &Actor,
        f: &StatFilter,
        rows: StatDim,
        cols: StatDim,
    ) -> Result<CrossTab> {
        let area = self.stat_area(actor, f)?;
        let generation = self.statistics_generation().await?;
        let key = format!("{area:?}|{f:?}|{rows:?}|{cols:?}");
        let (me, f) = (self.clone(), f.clone());
        let t = self
            .cross_memo
            .get(key, generation, move || {
                let (me, area, f) = (me.clone(), area.clone(), f.clone());
                async move {
                    me.compute_crosstab(&area, &f, rows, cols)
                        .await
                        .map(Arc::new)
                }
            })
            .await?;
        Ok((*t).clone())
    }

    async fn compute_crosstab(
        &self,
        area: &Scope,
        f: &StatFilter,
        rows: StatDim,
        cols: StatDim,
    ) -> Result<CrossTab> {
        let (a, ja) = dim_sql(rows, "t1");
        let (b, jb) = dim_sql(cols, "t2");
        let mut q = Sql::new(&format!(
            "SELECT {a}, {b}, {PERSONS}, COUNT(*) \
             FROM stat_victims s{ja}{jb} WHERE 1=1"
        ));
        narrow(&mut q, "s", "exploited_on", area, f);
        q.push(" GROUP BY 1, 2 ORDER BY 1, 2");
        let mut cells = Vec::new();
        for r in q.build().fetch_all(self.pool()).await? {
            cells.push((
                r.try_get::<Option<String>, _>(0)?,
                r.try_get::<Option<String>, _>(1)?,
                int(&r, 2)?,
                int(&r, 3)?,
            ));
        }
        Ok(CrossTab { rows, cols, cells })
    }
}

/// A route through a transit province: origin (home province), transit province, destination
/// (province or country), official persons, working records.
pub type TransitFlow = (Option<String>, String, Option<String>, i64, i64);

impl Store {
    /// Victims whose route passed through a transit province, by origin, transit and
    /// destination (the flow map's middle legs).
    pub async fn statistics_transit(
        &self,
        actor: &Actor,
        f: &StatFilter,
    ) -> Result<Arc<Vec<TransitFlow>>> {
        let area = self.stat_area(actor, f)?;
        let generation = self.statistics_generation().await?;
        let key = format!("{area:?}|{f:?}");
        let (me, f) = (self.clone(), f.clone());
        self.transit_memo
            .get(key, generation, move || {
                let (me, area, f) = (me.clone(), area.clone(), f.clone());
                async move {
                    let mut q = Sql::new(&format!(
                        "SELECT s.home_province, substr(r.region_code, 1, 2), COALESCE(s.dest_province, s.dest_country), \
                         {PERSONS}, COUNT(*) \
                         FROM route_events r JOIN stat_victims s ON s.case_id = r.case_id \
                         WHERE r.kind = 'transit' AND r.region_code IS NOT NULL"
                    ));
                    narrow(&mut q, "s", "exploited_on", &area, &f);
                    q.push(" GROUP BY 1, 2, 3 ORDER BY 5 DESC LIMIT 500");
                    let mut out = Vec::new();
                    for r in q.build().fetch_all(me.pool()).await? {
                        out.push((
                            r.try_get::<Option<String>, _>(0)?,
                            r.try_get::<String, _>(1)?,
                            r.try_get::<Option<String>, _>(2)?,
                            int(&r, 3)?,
                            int(&r, 4)?,
                        ));
                    }
                    Ok(Arc::new(out))
                }
            })
            .await
    }
}

/// The value expression of a dimension and the join it needs (tags: one row per tag).
pub(crate) fn dim_sql(dim: StatDim, t: &str) -> (String, String) {
    match (dim.column(), dim.tag_list()) {
        (Some(col), _) => (col.to_owned(), String::new()),
        (None, Some(list)) => (
            format!("{t}.code"),
            format!(" JOIN stat_tags {t} ON {t}.case_id = s.case_id AND {t}.list = '{list}'"),
        ),
        (None, None) => ("NULL".to_owned(), String::new()),
    }
}

#[cfg(feature = "testing")]
impl Store {
    /// The figures for a filter read through the rollup and straight from the rows, with
    /// no cache between: tests check that the two agree.
    pub async fn statistics_both_ways_for_tests(
        &self,
        actor: &Actor,
        f: &StatFilter,
        granularity: Granularity,
    ) -> Result<(Statistics, Statistics)> {
        let area = self.stat_area(actor, f)?;
        let cube = self
            .compute_statistics(area.clone(), f.clone(), granularity, 0, true)
            .await?;
        let rows = self
            .compute_statistics(area, f.clone(), granularity, 0, false)
            .await?;
        Ok(((*cube).clone(), (*rows).clone()))
    }
}
