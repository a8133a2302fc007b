//! Reading referrals: one referral as its side may see it (the shared victim fields only
//! while it is open), the lists, and the rows for plans and tasks.

use super::records::{MessageRecord, ReferralDetailRecord, SharedCaseRecord, SharedVictimRecord};
use super::*;
use domain::audit::AuditAction;

impl Store {
    /// One referral, as the actor may see it. The receiving unit's view is audited as a
    /// view of the victim's data; after the referral ends it is "not found". Overseers read
    /// an overdue referral's row only (not found while it is on time).
    pub async fn referral(&self, actor: &Actor, id: i64, today: Day) -> Result<ReferralView> {
        let facts = self.referral_facts(id, today).await?;
        let side = referral_side(actor, &facts)?;
        let mut q = row_select(side);
        q.push(" WHERE r.id = ").bind_int(id);
        let row = q
            .build_as::<ReferralRowRecord>()
            .fetch_optional(self.pool())
            .await?
            .ok_or(StoreError::NotFound)?
            .into_row(today);
        let (victim_id, case_id): (i64, i64) =
            sqlx::query_as("SELECT victim_id, case_id FROM referrals WHERE id = $1")
                .bind(id)
                .fetch_one(self.pool())
                .await?;
        let ops = ReferralOp::ALL
            .into_iter()
            .filter(|op| {
                referral_may(side, *op).is_ok() && referral_next(facts.state, *op).is_some()
            })
            .map(|op| op.as_str().to_owned())
            .collect();
        let mut view = ReferralView {
            row,
            side,
            shared: Vec::new(),
            basis: None,
            basis_note: None,
            message: None,
            decline_reason: None,
            responded_on: None,
            delivered_on: None,
            ended_on: None,
            service_id: None,
            victim: None,
            messages: Vec::new(),
            ops,
            can_message: side != ReferralSide::Overseer && facts.state.is_open(),
        };
        let (shared, action) = if side == ReferralSide::Overseer {
            (String::new(), AuditAction::ReferralView)
        } else {
            self.referral_contents(actor, &mut view, id, victim_id)
                .await?
        };
        self.audit(
            actor,
            Event {
                action,
                record_type: "case",
                record_id: case_id.to_string(),
                detail: format!("referral={id} victim={victim_id} shared={shared}"),
            },
        )
        .await?;
        Ok(view)
    }

    /// What the sending and receiving sides read beyond the row: the basis, the days, the
    /// victim as shared, and the conversation (texts only for the receiving unit, or the
    /// sending side with identity access to the case). Returns the shared groups and how
    /// the view is audited.
    async fn referral_contents(
        &self,
        actor: &Actor,
        view: &mut ReferralView,
        id: i64,
        victim_id: i64,
    ) -> Result<(String, AuditAction)> {
        let extra: ReferralDetailRecord = sqlx::query_as(
            "SELECT shared, basis, basis_note_enc, message_enc, decline_reason_enc, responded_on, \
             delivered_on, ended_on, service_id FROM referrals WHERE id = $1",
        )
        .bind(id)
        .fetch_one(self.pool())
        .await?;
        let vc = self.victim_case(victim_id).await?;
        let groups = ShareGroup::parse_list(&extra.shared);
        let texts = match view.side {
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
        view.victim = Some(if texts {
            self.shared_victim(victim_id, &vc, &groups).await?
        } else {
            SharedVictim {
                initials: view.row.initials.clone().unwrap_or_default(),
                ..Default::default()
            }
        });
        for m in sqlx::query_as::<_, MessageRecord>(
            "SELECT m.username, m.body_enc, m.created_at, n.name AS unit_name FROM referral_messages m \
             JOIN units n ON n.id = m.unit_id WHERE m.referral_id = $1 ORDER BY m.id",
        )
        .bind(id)
        .fetch_all(self.pool())
        .await?
        {
            view.messages.push(MessageView {
                unit_name: m.unit_name,
                username: m.username,
                body: dec("referral_messages.body", m.body_enc)?,
                at_ms: m.created_at,
            });
        }
        view.shared = groups.iter().map(|g| g.as_str().to_owned()).collect();
        view.basis = Some(extra.basis);
        view.basis_note = dec("referrals.basis_note", extra.basis_note_enc)?;
        view.message = dec("referrals.message", extra.message_enc)?;
        view.decline_reason = dec("referrals.decline_reason", extra.decline_reason_enc)?;
        view.responded_on = extra.responded_on;
        view.delivered_on = extra.delivered_on;
        view.ended_on = extra.ended_on;
        view.service_id = extra.service_id;
        let action = if texts && groups.contains(&ShareGroup::Identity) {
            AuditAction::ReferralIdentityView
        } else {
            AuditAction::ReferralView
        };
        Ok((extra.shared, action))
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
        // For the victim's plan: read by those who see the case.
        let mut q = row_select(ReferralSide::Sender);
        q.push(" WHERE r.victim_id = ").bind_int(victim);
        q.push(" ORDER BY r.id");
        Ok(q.build_as::<ReferralRowRecord>()
            .fetch_all(self.pool())
            .await?
            .into_iter()
            .map(|r| r.into_row(today))
            .collect())
    }

    /// The first 300 referrals of a list (see [`Store::referral_page`]).
    pub async fn referral_list(
        &self,
        actor: &Actor,
        which: &str,
        today: Day,
    ) -> Result<Vec<ReferralRow>> {
        Ok(self
            .referral_page(actor, which, false, today, 0, 300)
            .await?
            .0)
    }

    /// A page of the actor's referrals, open ones first, and how many in all: `incoming`
    /// (to the unit, open), `outgoing` (from the unit), `escalated` (overdue in the actor's
    /// region); `overdue` keeps only those past their due day while work is still owed.
    pub async fn referral_page(
        &self,
        actor: &Actor,
        which: &str,
        overdue: bool,
        today: Day,
        page: i64,
        per_page: i64,
    ) -> Result<(Vec<ReferralRow>, i64)> {
        decide(actor, Action::ViewCase, &actor.scope)?;
        let side = match which {
            // Only roles that may open a referral see the incoming ones.
            "incoming" if !actor.role.sees_identities() => return Ok((Vec::new(), 0)),
            "incoming" => ReferralSide::Receiver,
            // The sending side is whoever may manage services (as `referral_side`).
            "outgoing" if decide(actor, Action::ManageServices, &actor.scope).is_err() => {
                return Ok((Vec::new(), 0));
            }
            "outgoing" => ReferralSide::Sender,
            "escalated" => ReferralSide::Overseer,
            _ => return Err(Invalid::one("which", "err.choice").into()),
        };
        // The same condition for the page and the count.
        let filter = |q: &mut Sql| {
            match side {
                // Ended referrals are gone for the receiving unit.
                ReferralSide::Receiver => {
                    q.push(" WHERE r.is_open = 1 AND r.to_unit_id = ")
                        .bind_int(actor.unit_id.0);
                }
                ReferralSide::Sender => {
                    q.push(" WHERE r.from_unit_id = ").bind_int(actor.unit_id.0);
                }
                ReferralSide::Overseer => escalated_filter(q, actor, today),
            }
            if overdue {
                q.push(" AND r.is_open = 1 AND r.state IN ('sent', 'accepted') AND r.due_on < ")
                    .bind_int(today);
            }
        };
        let per_page = per_page.clamp(1, 300);
        let mut q = row_select(side);
        filter(&mut q);
        q.push(" ORDER BY r.is_open DESC, r.due_on, r.id LIMIT ")
            .bind_int(per_page)
            .push(" OFFSET ")
            .bind_int(page.clamp(0, 100_000) * per_page);
        let rows = q
            .build_as::<ReferralRowRecord>()
            .fetch_all(self.pool())
            .await?
            .into_iter()
            .map(|r| r.into_row(today))
            .collect();
        let mut c = Sql::new(
            "SELECT COUNT(*) FROM referrals r JOIN cases c ON c.id = r.case_id \
             JOIN units fu ON fu.id = r.from_unit_id JOIN units tu ON tu.id = r.to_unit_id",
        );
        filter(&mut c);
        let total: i64 = c.build_scalar().fetch_one(self.pool()).await?;
        Ok((rows, total))
    }

    /// Referrals for "my tasks": waiting on my unit (to answer or deliver; read as the
    /// receiving unit reads them), and mine that are overdue at the other unit (for those
    /// who may manage services). The first 50, most overdue first, and how many in all.
    pub(crate) async fn referral_tasks(
        &self,
        actor: &Actor,
        today: Day,
    ) -> Result<(Vec<ReferralRow>, i64)> {
        // Incoming referrals only for roles that may open them.
        let mut sides = Vec::new();
        if actor.role.sees_identities() {
            sides.push(ReferralSide::Receiver);
        }
        if decide(actor, Action::ManageServices, &actor.scope).is_ok() {
            sides.push(ReferralSide::Sender);
        }
        let filter = |q: &mut Sql, side: ReferralSide| {
            q.push(" WHERE r.is_open = 1 AND r.state IN ('sent', 'accepted') AND ");
            if side == ReferralSide::Receiver {
                q.push("r.to_unit_id = ").bind_int(actor.unit_id.0);
            } else {
                q.push("r.from_unit_id = ").bind_int(actor.unit_id.0);
                q.push(" AND r.due_on < ").bind_int(today);
            }
        };
        let (mut out, mut total) = (Vec::new(), 0);
        for side in sides {
            let mut count = Sql::new("SELECT COUNT(*) AS n FROM referrals r");
            filter(&mut count, side);
            total += count.build_scalar::<i64>().fetch_one(self.pool()).await?;
            let mut q = row_select(side);
            filter(&mut q, side);
            q.push(" ORDER BY r.due_on, r.id LIMIT 50");
            for r in q
                .build_as::<ReferralRowRecord>()
                .fetch_all(self.pool())
                .await?
            {
                out.push(r.into_row(today));
            }
        }
        // The first 50 of both, most overdue first; the rest are on the referrals page.
        out.sort_by_key(|r| (r.due_on, r.id));
        out.truncate(50);
        Ok((out, total))
    }
}
