//! Reading referrals: one referral as its side may see it (the shared victim fields only
//! while it is open), the lists, and the rows for plans and tasks.

use super::records::{MessageRecord, ReferralDetailRecord, SharedCaseRecord, SharedVictimRecord};
use super::*;
use domain::audit::AuditAction;

impl Store {
    /// One referral, as the actor may see it. The receiving unit's view is audited as a
    /// view of the victim's data; after the referral ends it is "not found".
    pub async fn referral(&self, actor: &Actor, id: i64, today: Day) -> Result<ReferralView> {
        let facts = self.referral_facts(id).await?;
        let side = referral_side(actor, &facts)?;
        let mut q = Sql::new(ROW_SELECT);
        q.push(" WHERE r.id = ").bind_int(id);
        let row = q
            .build_as::<ReferralRowRecord>()
            .fetch_optional(self.pool())
            .await?
            .ok_or(StoreError::NotFound)?
            .into_row(today);
        let extra: ReferralDetailRecord = sqlx::query_as(
            "SELECT shared, basis, basis_note_enc, message_enc, decline_reason_enc, responded_on, \
             delivered_on, ended_on, service_id FROM referrals WHERE id = $1",
        )
        .bind(id)
        .fetch_one(self.pool())
        .await?;
        let victim_id = row.victim_id;
        let vc = self.victim_case(victim_id).await?;
        let shared_s = extra.shared;
        let groups = ShareGroup::parse_list(&shared_s);
        // The receiving unit reads what was shared with it; the sending side only with
        // identity access to the case (else it sees what an overseer sees); overseers read
        // the referral's existence and state, never its texts or the victim's data.
        let texts = match side {
            ReferralSide::Receiver => true,
            ReferralSide::Sender => {
                self.identity_access(actor, vc.case_id, vc.owner, &vc.scope)
                    .await?
                    == crate::core::access::IdentityAccess::Granted
            }
            ReferralSide::Overseer => false,
        };
        let k = self.keyring()?;
        let dec = |col: &str, v: Option<String>| -> Result<Option<String>> {
            match v {
                Some(v) if texts => Ok(Some(k.decrypt(col, &v)?)),
                _ => Ok(None),
            }
        };
        let victim = if texts {
            self.shared_victim(row.victim_id, &vc, &groups).await?
        } else {
            SharedVictim {
                initials: row.initials.clone(),
                ..Default::default()
            }
        };
        let mut messages = Vec::new();
        for m in sqlx::query_as::<_, MessageRecord>(
            "SELECT m.username, m.body_enc, m.created_at, n.name AS unit_name FROM referral_messages m \
             JOIN units n ON n.id = m.unit_id WHERE m.referral_id = $1 ORDER BY m.id",
        )
        .bind(id)
        .fetch_all(self.pool())
        .await?
        {
            messages.push(MessageView {
                unit_name: m.unit_name,
                username: m.username,
                body: dec("referral_messages.body", m.body_enc)?,
                at_ms: m.created_at,
            });
        }
        let ops = ReferralOp::ALL
            .into_iter()
            .filter(|op| {
                referral_may(side, *op).is_ok() && referral_next(facts.state, *op).is_some()
            })
            .map(|op| op.as_str().to_owned())
            .collect();
        let mut view = ReferralView {
            shared: groups.iter().map(|g| g.as_str().to_owned()).collect(),
            basis: extra.basis,
            basis_note: dec("referrals.basis_note", extra.basis_note_enc)?,
            message: dec("referrals.message", extra.message_enc)?,
            decline_reason: dec("referrals.decline_reason", extra.decline_reason_enc)?,
            responded_on: extra.responded_on,
            delivered_on: extra.delivered_on,
            ended_on: extra.ended_on,
            service_id: extra.service_id,
            victim,
            messages,
            ops,
            can_message: side != ReferralSide::Overseer && facts.state.is_open(),
            side,
            row,
        };
        let action = if texts && groups.contains(&ShareGroup::Identity) {
            AuditAction::ReferralIdentityView
        } else {
            AuditAction::ReferralView
        };
        if side == ReferralSide::Receiver {
            // The receiving unit knows the victim through this referral only: not the case's
            // code or ids.
            view.row.case_id = CaseId(0);
            view.row.case_code = String::new();
            view.row.victim_id = 0;
        }
        self.audit(
            actor,
            Event {
                action,
                record_type: "case",
                record_id: vc.case_id.to_string(),
                detail: format!("referral={id} victim={victim_id} shared={shared_s}"),
            },
        )
        .await?;
        Ok(view)
    }

    pub(super) async fn shared_victim(
        &self,
        victim: i64,
        vc: &VictimCase,
        groups: &[ShareGroup],
    ) -> Result<SharedVictim> {
        let v: SharedVictimRecord = sqlx::query_as(
            "SELECT initials, sex, birth_date, age_estimate, is_child, name_enc, nik_enc, phone_enc, \
             home_village FROM victims WHERE id = $1",
        )
        .bind(victim)
        .fetch_one(self.pool())
        .await?;
        let k = self.keyring()?;
        let dec = |col: &str, s: Option<String>| -> Result<Option<String>> {
            s.map(|s| k.decrypt(col, &s)).transpose()
        };
        let birth = v.birth_date;
        let age = v
            .age_estimate
            .or_else(|| birth.map(|b| (self.now_ms().div_euclid(86_400_000) - b).div_euclid(365)));
        let mut out = SharedVictim {
            initials: v.initials,
            sex: v.sex,
            age,
            is_child: v.is_child != 0,
            ..Default::default()
        };
        if groups.contains(&ShareGroup::Identity) {
            out.name = dec("victims.name", v.name_enc)?;
            out.nik = dec("victims.nik", v.nik_enc)?;
            out.birth_date = birth;
        }
        if groups.contains(&ShareGroup::Contact) {
            out.phone = dec("victims.phone", v.phone_enc)?;
            let village = v.home_village;
            if let Some(code) = &village {
                out.home_village_name =
                    sqlx::query_scalar("SELECT name FROM regions WHERE code = $1")
                        .bind(code.clone())
                        .fetch_optional(self.pool())
                        .await?;
            }
            out.home_village = village;
        }
        if groups.contains(&ShareGroup::CaseFacts) {
            let c: SharedCaseRecord = sqlx::query_as(
                "SELECT sector, trafficking_status, reported_on, rescued_on FROM cases WHERE id = $1",
            )
            .bind(vc.case_id.0)
            .fetch_one(self.pool())
            .await?;
            out.sector = c.sector;
            out.trafficking_status = c.trafficking_status;
            out.reported_on = c.reported_on;
            out.rescued_on = c.rescued_on;
            out.exploitation = sqlx::query_scalar(
                "SELECT code FROM case_tags WHERE case_id = $1 AND list = 'exploitation' ORDER BY code",
            )
            .bind(vc.case_id.0)
            .fetch_all(self.pool())
            .await?;
        }
        if groups.contains(&ShareGroup::Services) {
            out.needs = sqlx::query_scalar(
                "SELECT service_code FROM victim_needs WHERE victim_id = $1 ORDER BY id",
            )
            .bind(victim)
            .fetch_all(self.pool())
            .await?;
            out.services = sqlx::query_as(
                "SELECT s.service_code, s.status, n.name, s.due_on FROM services s JOIN units n ON n.id = s.unit_id \
                 WHERE s.victim_id = $1 ORDER BY s.requested_on, s.id",
            )
            .bind(victim)
            .fetch_all(self.pool())
            .await?;
        }
        if groups.contains(&ShareGroup::Legal) {
            out.legal = sqlx::query_as(
                "SELECT stage, happened FROM legal_stages WHERE case_id = $1 ORDER BY happened, id",
            )
            .bind(vc.case_id.0)
            .fetch_all(self.pool())
            .await?;
        }
        Ok(out)
    }

    pub(crate) async fn referral_rows_of_victim(
        &self,
        victim: i64,
        today: Day,
    ) -> Result<Vec<ReferralRow>> {
        let mut q = Sql::new(ROW_SELECT);
        q.push(" WHERE r.victim_id = ").bind_int(victim);
        q.push(" ORDER BY r.id");
        Ok(q.build_as::<ReferralRowRecord>()
            .fetch_all(self.pool())
            .await?
            .into_iter()
            .map(|r| r.into_row(today))
            .collect())
    }

    /// Referrals of the actor's unit: `incoming`, `outgoing` (both: open ones first, then the
    /// last 100 ended), or `escalated` (overdue referrals touching a unit in the actor's
    /// region, for the task force above).
    pub async fn referral_list(
        &self,
        actor: &Actor,
        which: &str,
        today: Day,
    ) -> Result<Vec<ReferralRow>> {
        decide(actor, Action::ViewCase, &actor.scope)?;
        let mut q = Sql::new(ROW_SELECT);
        match which {
            "incoming" => {
                if !actor.role.sees_identities() {
                    return Ok(Vec::new());
                }
                // Ended referrals are gone for the receiving unit.
                q.push(" WHERE r.is_open = 1 AND r.to_unit_id = ")
                    .bind_int(actor.unit_id.0);
            }
            "outgoing" => {
                q.push(" WHERE r.from_unit_id = ").bind_int(actor.unit_id.0);
            }
            "escalated" => escalated_filter(&mut q, actor, today),
            _ => return Err(Invalid::one("which", "err.choice").into()),
        }
        q.push(" ORDER BY r.is_open DESC, r.due_on, r.id LIMIT 300");
        Ok(q.build_as::<ReferralRowRecord>()
            .fetch_all(self.pool())
            .await?
            .into_iter()
            .map(|r| r.into_row(today))
            .collect())
    }

    /// Referrals for "my tasks": waiting on my unit (to answer or deliver), and mine that are
    /// overdue at the other unit.
    pub(crate) async fn referral_tasks(
        &self,
        actor: &Actor,
        today: Day,
    ) -> Result<(Vec<ReferralRow>, i64)> {
        // Incoming referrals only for roles that may open them.
        let filter = |q: &mut Sql| {
            q.push(" WHERE r.is_open = 1 AND r.state IN ('sent', 'accepted') AND (");
            if actor.role.sees_identities() {
                q.push("r.to_unit_id = ").bind_int(actor.unit_id.0);
                q.push(" OR ");
            }
            q.push("(r.from_unit_id = ").bind_int(actor.unit_id.0);
            q.push(" AND r.due_on < ").bind_int(today);
            q.push("))");
        };
        let mut count = Sql::new("SELECT COUNT(*) AS n FROM referrals r");
        filter(&mut count);
        let total: i64 = count.build_scalar().fetch_one(self.pool()).await?;
        // The first 50, most overdue first; the rest are on the referrals page.
        let mut q = Sql::new(ROW_SELECT);
        filter(&mut q);
        q.push(" ORDER BY r.due_on, r.id LIMIT 50");
        let rows = q
            .build_as::<ReferralRowRecord>()
            .fetch_all(self.pool())
            .await?;
        let out = rows.into_iter().map(|r| r.into_row(today)).collect();
        Ok((out, total))
    }
}
