//! Monthly reporting periods: closing one locks the cleared records of that month in the
//! region and below.

use super::records::{PeriodCountsRecord, PeriodRecord};
use super::*;
use domain::audit::AuditAction;
use domain::value::text;
use sqlx::AnyConnection;

impl Store {
    /// True when a closed reporting period covers this region and month.
    pub async fn period_locked(&self, region: Option<&str>, reported_on: Day) -> Result<bool> {
        let mut conn = self.pool().acquire().await?;
        self.period_locked_on(&mut conn, region, reported_on).await
    }

    pub(crate) async fn period_locked_on(
        &self,
        conn: &mut AnyConnection,
        region: Option<&str>,
        reported_on: Day,
    ) -> Result<bool> {
        let mut q =
            Sql::new("SELECT COUNT(*) FROM reporting_periods WHERE closed = 1 AND month = ");
        q.bind_text(month_of(reported_on))
            .push(" AND region_code")
            .in_list(&ancestors(region));
        let n: i64 = q.build_scalar().fetch_one(&mut *conn).await?;
        Ok(n > 0)
    }

    /// The actor's region's last `months` reporting periods with their counts.
    pub async fn periods(&self, actor: &Actor, months: usize) -> Result<Vec<PeriodView>> {
        decide(actor, Action::ManagePeriods, &actor.scope)?;
        let region = actor
            .scope
            .region()
            .map(|r| r.as_str().to_owned())
            .unwrap_or_default();
        let today = self.now_ms() / 86_400_000;
        let (mut y, mut m, _) = domain::time::civil_from_days(today);
        let mut out = Vec::new();
        for _ in 0..months {
            let month = format!("{y:04}-{m:02}");
            let from = domain::time::days_from_civil(y, m, 1);
            let to = if m == 12 {
                domain::time::days_from_civil(y + 1, 1, 1)
            } else {
                domain::time::days_from_civil(y, m + 1, 1)
            };
            let mut q = Sql::new(
                "SELECT COALESCE(SUM(CASE WHEN review_state = 'cleared' THEN 1 ELSE 0 END), 0) AS cleared, \
                 COALESCE(SUM(CASE WHEN review_state <> 'cleared' THEN 1 ELSE 0 END), 0) AS pending FROM cases WHERE reported_on >= ",
            );
            q.bind_int(from).push(" AND reported_on < ").bind_int(to);
            if actor.scope != Scope::National {
                q.scope("region_code", &actor.scope);
            }
            let counts: PeriodCountsRecord = q.build_as().fetch_one(self.pool()).await?;
            let p: Option<PeriodRecord> = sqlx::query_as(
                "SELECT closed, changed_by, changed_at, reason FROM reporting_periods WHERE region_code = $1 AND month = $2",
            )
            .bind(region.clone())
            .bind(month.clone())
            .fetch_optional(self.pool())
            .await?;
            let mut above =
                Sql::new("SELECT COUNT(*) FROM reporting_periods WHERE closed = 1 AND month = ");
            let ups: Vec<String> = ancestors(actor.scope.region().map(|r| r.as_str()))
                .into_iter()
                .filter(|a| *a != region)
                .collect();
            above
                .bind_text(month.clone())
                .push(" AND region_code")
                .in_list(&ups);
            let closed_above: i64 = if ups.is_empty() {
                0
            } else {
                above.build_scalar().fetch_one(self.pool()).await?
            };
            out.push(PeriodView {
                closed_above: closed_above > 0,
                closed: p.as_ref().is_some_and(|p| p.closed != 0),
                changed_by: p.as_ref().map(|p| p.changed_by.clone()),
                changed_at_ms: p.as_ref().map(|p| p.changed_at),
                reason: p.map(|p| p.reason).unwrap_or_default(),
                cleared: counts.cleared,
                pending: counts.pending,
                month,
            });
            if m == 1 {
                y -= 1;
                m = 12;
            } else {
                m -= 1;
            }
        }
        Ok(out)
    }

    /// Closes (locks the cleared records of) or reopens a month of the actor's region.
    /// Reopening needs a reason; both are audited.
    pub async fn set_period(
        &self,
        actor: &Actor,
        month: &str,
        close: bool,
        reason: &str,
    ) -> Result<()> {
        let allowed = self.allow(actor, Action::ManagePeriods, &actor.scope)?;
        if parse_month(month).is_none() {
            return Err(domain::Invalid::one("month", "err.month").into());
        }
        let reason = reason.trim();
        if !close && reason.chars().count() < text::REASON_MIN {
            return Err(domain::Invalid::one("reason", "err.reopen_reason").into());
        }
        let region = actor
            .scope
            .region()
            .map(|r| r.as_str().to_owned())
            .unwrap_or_default();
        let mut tx = self.write(allowed).await?;
        sqlx::query(
            "INSERT INTO reporting_periods (region_code, month, closed, changed_by, changed_at, reason) VALUES ($1, $2, $3, $4, $5, $6) \
             ON CONFLICT (region_code, month) DO UPDATE SET closed = excluded.closed, changed_by = excluded.changed_by, \
             changed_at = excluded.changed_at, reason = excluded.reason",
        )
        .bind(region.clone())
        .bind(month.trim().to_owned())
        .bind(i64::from(close))
        .bind(actor.username.clone())
        .bind(self.now_ms())
        .bind(reason.chars().take(1000).collect::<String>())
        .execute(&mut *tx)
        .await?;
        tx.audit(Event {
            action: if close {
                AuditAction::PeriodClose
            } else {
                AuditAction::PeriodReopen
            },
            record_type: "period",
            record_id: format!(
                "{}/{}",
                if region.is_empty() { "NAS" } else { &region },
                month.trim()
            ),
            detail: String::new(),
        })
        .await?;
        tx.commit().await?;
        Ok(())
    }
}
