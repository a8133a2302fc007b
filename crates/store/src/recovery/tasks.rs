//! What the recovery work looks like from a unit: my tasks, the home page figures, and
//! the events on a case's timeline.

use super::records::{RecoveryEventRecord, ServiceTaskRecord};
use super::*;
use domain::recovery::ReferralKind;

/// The open services on a unit's tasks (`$1` the unit): a service that came with a referral
/// stays only while the referral is open (an ended take-over's services leave the
/// receiving unit, which can no longer open them).
macro_rules! open_tasks {
    () => {
        "services WHERE unit_id = $1 AND is_open = 1 AND (referral_id IS NULL OR EXISTS \
         (SELECT 1 FROM referrals r WHERE r.id = services.referral_id AND r.is_open = 1))"
    };
}

impl Store {
    /// Services, referrals, ledger lines and plan closures of a case, dated, for the case
    /// timeline (codes only: the page translates them).
    pub async fn recovery_events(&self, actor: &Actor, case: CaseId) -> Result<Vec<RecoveryEvent>> {
        let scope = self.case_scope(case).await?;
        self.recovery_events_in(actor, case, &scope).await
    }

    /// [`Store::recovery_events`] with the case's scope already read.
    pub(crate) async fn recovery_events_in(
        &self,
        actor: &Actor,
        case: CaseId,
        scope: &Scope,
    ) -> Result<Vec<RecoveryEvent>> {
        decide(actor, Action::ViewCase, scope)?;
        // Services, referrals, ledger lines and closed plans in one query (one round trip
        // to the database for the whole timeline).
        let rows: Vec<RecoveryEventRecord> = sqlx::query_as(
            "SELECT 'service' AS src, CAST(NULL AS BIGINT) AS id, s.requested_on AS d1, s.done_on AS d2, \
               CAST(NULL AS BIGINT) AS d3, CAST(NULL AS BIGINT) AS d4, s.service_code AS code, s.status AS state, \
               v.initials, n.name AS unit_name, CAST(NULL AS BIGINT) AS amount \
             FROM services s JOIN victims v ON v.id = s.victim_id JOIN units n ON n.id = s.unit_id WHERE s.case_id = $1 \
             UNION ALL \
             SELECT 'referral', r.id, r.sent_on, r.responded_on, r.delivered_on, r.ended_on, CAST(NULL AS TEXT), r.state, \
               v.initials, n.name, CAST(NULL AS BIGINT) \
             FROM referrals r JOIN victims v ON v.id = r.victim_id JOIN units n ON n.id = r.to_unit_id WHERE r.case_id = $1 \
             UNION ALL \
             SELECT 'ledger', CAST(NULL AS BIGINT), l.on_day, CAST(NULL AS BIGINT), CAST(NULL AS BIGINT), CAST(NULL AS BIGINT), \
               l.track || '.' || l.kind, CAST(NULL AS TEXT), v.initials, CAST(NULL AS TEXT), l.amount \
             FROM ledger_entries l JOIN victims v ON v.id = l.victim_id WHERE l.case_id = $1 \
             UNION ALL \
             SELECT 'plan', CAST(NULL AS BIGINT), p.closed_on, CAST(NULL AS BIGINT), CAST(NULL AS BIGINT), CAST(NULL AS BIGINT), \
               CAST(NULL AS TEXT), CAST(NULL AS TEXT), v.initials, CAST(NULL AS TEXT), CAST(NULL AS BIGINT) \
             FROM service_plans p JOIN victims v ON v.id = p.victim_id WHERE p.case_id = $1 AND p.closed_on IS NOT NULL",
        )
        .bind(case.0)
        .fetch_all(self.pool())
        .await?;
        let mut out = Vec::new();
        for r in rows {
            let unit = r.unit_name.unwrap_or_default();
            match r.src.as_str() {
                "service" => {
                    let who = format!("{} · {unit}", r.initials);
                    let code = r.code.unwrap_or_default();
                    if let Some(day) = r.d1 {
                        out.push(RecoveryEvent {
                            day,
                            kind: "service".into(),
                            code: code.clone(),
                            detail: format!("{}|{who}", ServiceStatus::Planned),
                        });
                    }
                    if let Some(d) = r.d2 {
                        out.push(RecoveryEvent {
                            day: d,
                            kind: "service".into(),
                            code,
                            detail: format!("{}|{who}", r.state.unwrap_or_default()),
                        });
                    }
                }
                "referral" => {
                    let who = format!("{} → {unit}", r.initials);
                    let state = r.state.as_deref().and_then(ReferralState::parse);
                    let id = r.id.unwrap_or_default();
                    let mut push = |day: Option<Day>, code: ReferralState| {
                        if let Some(day) = day {
                            out.push(RecoveryEvent {
                                day,
                                kind: "referral".into(),
                                code: code.as_str().into(),
                                detail: format!("#{id}|{who}"),
                            });
                        }
                    };
                    push(r.d1, ReferralState::Sent);
                    let responded = if state == Some(ReferralState::Declined) {
                        ReferralState::Declined
                    } else {
                        ReferralState::Accepted
                    };
                    push(r.d2, responded);
                    push(r.d3, ReferralState::Delivered);
                    let ended = if state == Some(ReferralState::Withdrawn) {
                        ReferralState::Withdrawn
                    } else {
                        ReferralState::Closed
                    };
                    push(r.d4, ended);
                }
                "ledger" => {
                    if let Some(day) = r.d1 {
                        out.push(RecoveryEvent {
                            day,
                            kind: "ledger".into(),
                            code: r.code.unwrap_or_default(),
                            detail: format!("{}|{}", r.amount.unwrap_or_default(), r.initials),
                        });
                    }
                }
                _ => {
                    if let Some(day) = r.d1 {
                        out.push(RecoveryEvent {
                            day,
                            kind: "plan".into(),
                            code: "closed".into(),
                            detail: r.initials,
                        });
                    }
                }
            }
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
        // A service reached through a referral carries no case code or ids: the receiving
        // unit knows the victim through the referral only.
        let rows: Vec<ServiceTaskRecord> = sqlx::query_as(concat!(
            "SELECT s.id, CASE WHEN s.referral_id IS NULL THEN s.case_id END AS case_id, \
             CASE WHEN s.referral_id IS NULL THEN s.victim_id END AS victim_id, s.service_code, s.due_on, s.status, s.referral_id, \
             CASE WHEN s.referral_id IS NULL THEN c.code END AS code, v.initials FROM services s \
             JOIN cases c ON c.id = s.case_id JOIN victims v ON v.id = s.victim_id \
             WHERE s.id IN (SELECT id FROM ",
            open_tasks!(),
            " ORDER BY due_on, id LIMIT $2 OFFSET $3) ORDER BY s.due_on, s.id"
        ))
        .bind(unit)
        .bind(per_page)
        .bind((page - 1) * per_page)
        .fetch_all(self.pool())
        .await?;
        let services = rows
            .into_iter()
            .map(|r| TaskRow {
                kind: "service".into(),
                id: r.id,
                case_id: r.case_id.map(CaseId),
                case_code: r.code,
                initials: r.initials,
                service_code: r.service_code,
                due_on: r.due_on,
                status: r.status,
                overdue: r.due_on < today,
                other_unit: None,
                link: match (r.referral_id, r.victim_id) {
                    (Some(rid), _) => format!("/referrals/{rid}"),
                    (None, Some(v)) => format!("/victims/{v}/plan#service-{}", r.id),
                    (None, None) => String::new(),
                },
            })
            .collect();
        // Both counts in one pass over the unit's open services (index only).
        let (total, overdue): (i64, i64) = sqlx::query_as(concat!(
            "SELECT COUNT(*), COALESCE(SUM(CASE WHEN due_on < $2 THEN 1 ELSE 0 END), 0) FROM ",
            open_tasks!()
        ))
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
                    initials: row.initials.unwrap_or_default(),
                    service_code: row
                        .service_code
                        .unwrap_or_else(|| ReferralKind::Takeover.as_str().into()),
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
            open_services: count(concat!("SELECT COUNT(*) FROM ", open_tasks!()), false).await?,
            overdue_services: count(
                concat!("SELECT COUNT(*) FROM ", open_tasks!(), " AND due_on < $2"),
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
