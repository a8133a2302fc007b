//! What the recovery work looks like from a unit: my tasks, the home page figures, and
//! the events on a case's timeline.

use super::*;

impl Store {
    /// Services, referrals, ledger lines and plan closures of a case, dated, for the case
    /// timeline (codes only: the page translates them).
    pub async fn recovery_events(&self, actor: &Actor, case: CaseId) -> Result<Vec<RecoveryEvent>> {
        let scope = self.case_scope(case).await?;
        decide(actor, Action::ViewCase, &scope)?;
        let mut out = Vec::new();
        for r in sqlx::query(
            "SELECT s.service_code, s.requested_on, s.done_on, s.status, v.initials, n.name FROM services s \
             JOIN victims v ON v.id = s.victim_id JOIN units n ON n.id = s.unit_id WHERE s.case_id = $1",
        )
        .bind(case.0)
        .fetch_all(self.pool())
        .await?
        {
            let code: String = r.try_get("service_code")?;
            let who = format!(
                "{} · {}",
                r.try_get::<String, _>("initials")?,
                r.try_get::<String, _>("name")?
            );
            out.push(RecoveryEvent {
                day: r.try_get("requested_on")?,
                kind: "service".into(),
                code: code.clone(),
                detail: format!("planned|{who}"),
            });
            if let Some(d) = r.try_get::<Option<Day>, _>("done_on")? {
                out.push(RecoveryEvent {
                    day: d,
                    kind: "service".into(),
                    code,
                    detail: format!("{}|{who}", r.try_get::<String, _>("status")?),
                });
            }
        }
        for r in sqlx::query(
            "SELECT r.id, r.sent_on, r.responded_on, r.delivered_on, r.ended_on, r.state, v.initials, n.name FROM referrals r \
             JOIN victims v ON v.id = r.victim_id JOIN units n ON n.id = r.to_unit_id WHERE r.case_id = $1",
        )
        .bind(case.0)
        .fetch_all(self.pool())
        .await?
        {
            let who = format!(
                "{} → {}",
                r.try_get::<String, _>("initials")?,
                r.try_get::<String, _>("name")?
            );
            let state: String = r.try_get("state")?;
            let id: i64 = r.try_get("id")?;
            let mut push = |day: Option<Day>, code: &str| {
                if let Some(day) = day {
                    out.push(RecoveryEvent {
                        day,
                        kind: "referral".into(),
                        code: code.into(),
                        detail: format!("#{id}|{who}"),
                    });
                }
            };
            push(r.try_get("sent_on")?, "sent");
            let responded = if state == "declined" { "declined" } else { "accepted" };
            push(r.try_get("responded_on")?, responded);
            push(r.try_get("delivered_on")?, "delivered");
            push(r.try_get("ended_on")?, if state == "withdrawn" { "withdrawn" } else { "closed" });
        }
        for r in sqlx::query(
            "SELECT l.track, l.kind, l.amount, l.on_day, v.initials FROM ledger_entries l JOIN victims v ON v.id = l.victim_id WHERE l.case_id = $1",
        )
        .bind(case.0)
        .fetch_all(self.pool())
        .await?
        {
            out.push(RecoveryEvent {
                day: r.try_get("on_day")?,
                kind: "ledger".into(),
                code: format!(
                    "{}.{}",
                    r.try_get::<String, _>("track")?,
                    r.try_get::<String, _>("kind")?
                ),
                detail: format!(
                    "{}|{}",
                    r.try_get::<i64, _>("amount")?,
                    r.try_get::<String, _>("initials")?
                ),
            });
        }
        for r in sqlx::query(
            "SELECT p.closed_on, v.initials FROM service_plans p JOIN victims v ON v.id = p.victim_id WHERE p.case_id = $1 AND p.closed_on IS NOT NULL",
        )
        .bind(case.0)
        .fetch_all(self.pool())
        .await?
        {
            out.push(RecoveryEvent {
                day: r.try_get("closed_on")?,
                kind: "plan".into(),
                code: "closed".into(),
                detail: r.try_get("initials")?,
            });
        }
        out.sort_by_key(|e| e.day);
        Ok(out)
    }

    /// "My tasks": the open services assigned to the actor's unit, most overdue first
    /// (one page), and the referrals waiting on the unit or overdue at the other side.
    pub async fn my_tasks(&self, actor: &Actor, today: Day, page: i64) -> Result<TasksView> {
        let unit = actor.unit_id.0;
        let per_page = 50;
        let page = page.max(1);
        // The page's ids come from the index alone (a deep page skips index entries, not
        // joined rows); the joins run for the 50 shown.
        let rows = sqlx::query(
            "SELECT s.id, s.case_id, s.victim_id, s.service_code, s.due_on, s.status, s.referral_id, c.code, v.initials FROM services s \
             JOIN cases c ON c.id = s.case_id JOIN victims v ON v.id = s.victim_id \
             WHERE s.id IN (SELECT id FROM services WHERE unit_id = $1 AND is_open = 1 ORDER BY due_on, id LIMIT $2 OFFSET $3) \
             ORDER BY s.due_on, s.id",
        )
        .bind(unit)
        .bind(per_page)
        .bind((page - 1) * per_page)
        .fetch_all(self.pool())
        .await?;
        let mut services = Vec::new();
        for r in rows {
            let due: Day = r.try_get("due_on")?;
            let case_id = CaseId(r.try_get("case_id")?);
            let referral: Option<i64> = r.try_get("referral_id")?;
            let id: i64 = r.try_get("id")?;
            services.push(TaskRow {
                kind: "service".into(),
                id,
                case_id,
                case_code: r.try_get("code")?,
                initials: r.try_get("initials")?,
                service_code: r.try_get("service_code")?,
                due_on: due,
                status: r.try_get("status")?,
                overdue: due < today,
                other_unit: None,
                link: match referral {
                    Some(rid) => format!("/referrals/{rid}"),
                    None => format!(
                        "/victims/{}/plan#service-{id}",
                        r.try_get::<i64, _>("victim_id")?
                    ),
                },
            });
        }
        let total: i64 =
            sqlx::query_scalar("SELECT COUNT(*) FROM services WHERE unit_id = $1 AND is_open = 1")
                .bind(unit)
                .fetch_one(self.pool())
                .await?;
        let overdue: i64 = sqlx::query_scalar(
            "SELECT COUNT(*) FROM services WHERE unit_id = $1 AND is_open = 1 AND due_on < $2",
        )
        .bind(unit)
        .bind(today)
        .fetch_one(self.pool())
        .await?;
        let (rows, referrals_total) = self.referral_tasks(actor, today).await?;
        let referrals = rows
            .into_iter()
            .map(|row| {
                let incoming = row.to_unit_id == actor.unit_id;
                TaskRow {
                    kind: if incoming {
                        "referral_in"
                    } else {
                        "referral_out"
                    }
                    .into(),
                    id: row.id,
                    case_id: row.case_id,
                    case_code: row.case_code,
                    initials: row.initials,
                    service_code: row.service_code.unwrap_or_else(|| "takeover".into()),
                    due_on: row.due_on,
                    status: row.state,
                    overdue: row.overdue,
                    other_unit: Some(if incoming { row.from_unit } else { row.to_unit }),
                    link: format!("/referrals/{}", row.id),
                }
            })
            .collect();
        Ok(TasksView {
            services,
            services_total: total,
            services_overdue: overdue,
            referrals,
            referrals_total,
            page,
            per_page,
        })
    }

    /// Counts for the home page.
    pub async fn recovery_dashboard(&self, actor: &Actor, today: Day) -> Result<RecoveryDashboard> {
        decide(actor, Action::ViewCase, &actor.scope)?;
        let unit = actor.unit_id.0;
        let count = |sql: &'static str, day: bool| async move {
            let q = sqlx::query_scalar::<_, i64>(sql).bind(unit);
            let q = if day { q.bind(today) } else { q };
            q.fetch_one(self.pool()).await
        };
        let mut d = RecoveryDashboard {
            open_services: count(
                "SELECT COUNT(*) FROM services WHERE unit_id = $1 AND is_open = 1",
                false,
            )
            .await?,
            overdue_services: count(
                "SELECT COUNT(*) FROM services WHERE unit_id = $1 AND is_open = 1 AND due_on < $2",
                true,
            )
            .await?,
            referrals_out_overdue: count(
                "SELECT COUNT(*) FROM referrals WHERE from_unit_id = $1 AND is_open = 1 AND state IN ('sent', 'accepted') AND due_on < $2",
                true,
            )
            .await?,
            ..Default::default()
        };
        if actor.role.sees_identities() {
            d.referrals_waiting = count(
                "SELECT COUNT(*) FROM referrals WHERE to_unit_id = $1 AND is_open = 1 AND state IN ('sent', 'accepted')",
                false,
            )
            .await?;
        }
        d.escalated_in_region = self.escalated_count(actor, today).await?;
        Ok(d)
    }
}
