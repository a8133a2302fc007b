//! The review workflow: draft, submitted, verified, cleared, with returns, field notes and
//! what changed since a return. Review is the level above, never the submitting unit
//! (`domain::review::refusal`), checked again inside each step's write.

use super::notes::{seal_field_notes, seal_note};
use super::records::{CaseStateRecord, QueueRecord};
use super::*;
use crate::core::write::Allowed;
use domain::UnitId;
use domain::audit::AuditAction;
use domain::authz::role_may;
use domain::review::{first_review_level, refusal};
use domain::value::text;
use sqlx::AnyConnection;

/// The role and the review chain's rule for `action` (see [`Store::review_allowed`]); the
/// answer is the permission the step needs in the actor's scope.
fn review_check(actor: &Actor, s: &CaseState, action: ReviewAction) -> Result<Action> {
    let permission = action.permission(s.state, s.level);
    if !role_may(actor.role, permission)
        || (action == ReviewAction::Submit && actor.unit_id.0 != s.unit_id)
    {
        return Err(StoreError::Forbidden);
    }
    let record = (&s.scope(), UnitId(s.unit_id));
    match refusal(
        action,
        s.state,
        s.level,
        (&actor.scope, actor.unit_id),
        record,
    ) {
        Some(key) => Err(StoreError::Refused(key)),
        None => Ok(permission),
    }
}

/// The step's text as it will be kept (trimmed, field notes without text dropped); a
/// return needs a note, general or on a field.
fn review_text(action: ReviewAction, req: &ReviewRequest) -> Result<(String, Vec<FieldNote>)> {
    let note = req.note.trim().to_owned();
    let field_notes: Vec<FieldNote> = req
        .field_notes
        .iter()
        .filter(|n| !n.note.trim().is_empty())
        .map(|n| FieldNote {
            field: n.field.trim().to_owned(),
            note: n.note.trim().chars().take(1000).collect(),
        })
        .collect();
    if action == ReviewAction::Return && note.is_empty() && field_notes.is_empty() {
        return Err(domain::Invalid::one("note", "err.return_note").into());
    }
    if text::MESSAGE.exceeded_by(&note) {
        return Err(domain::Invalid::one("note", text::MESSAGE.too_long_key()).into());
    }
    Ok((note, field_notes))
}

impl Store {
    pub(super) async fn case_state(&self, id: CaseId) -> Result<CaseState> {
        let mut conn = self.pool().acquire().await?;
        self.case_state_on(&mut conn, id).await
    }

    async fn case_state_on(&self, conn: &mut AnyConnection, id: CaseId) -> Result<CaseState> {
        let r: CaseStateRecord = sqlx::query_as(
            "SELECT review_state, review_level, unit_id, region_code, province_code, reported_on, version, \
             COALESCE(state_since, created_at) AS since, returns FROM cases WHERE id = $1",
        )
        .bind(id.0)
        .fetch_optional(&mut *conn)
        .await?
        .ok_or(StoreError::NotFound)?;
        Ok(CaseState {
            state: ReviewState::parse(&r.review_state).unwrap_or(ReviewState::Draft),
            level: r.review_level.as_deref().and_then(ReviewLevel::parse),
            unit_id: r.unit_id,
            region: r.region_code,
            province: r.province_code,
            reported_on: r.reported_on,
            version: r.version,
            since_ms: r.since,
            returns: r.returns,
        })
    }

    /// Refuses a change to a case's registered facts unless its unit holds it (draft or
    /// returned) and no closed period locks it. Called by every writer of those facts,
    /// inside its write (reading through the write's own connection).
    pub(crate) async fn check_editable_in(
        &self,
        conn: &mut AnyConnection,
        id: CaseId,
    ) -> Result<()> {
        let s = self.case_state_on(conn, id).await?;
        if s.state == ReviewState::Cleared
            && self
                .period_locked_on(conn, s.region.as_deref(), s.reported_on)
                .await?
        {
            return Err(StoreError::Conflict("conflict.period_locked"));
        }
        if !s.state.editable() {
            return Err(StoreError::Conflict("conflict.under_review"));
        }
        Ok(())
    }

    /// The steps `actor` may take now, by the policy table and the review chain's rule.
    pub(super) fn allowed_steps(
        &self,
        actor: &Actor,
        s: &CaseState,
        locked: bool,
    ) -> Vec<ReviewAction> {
        [
            ReviewAction::Submit,
            ReviewAction::Verify,
            ReviewAction::Clear,
            ReviewAction::Return,
        ]
        .into_iter()
        .filter(|a| next_state(s.state, s.level, *a).is_ok())
        .filter(|a| self.review_allowed(actor, s, *a).is_ok())
        .filter(|a| !(locked && *a == ReviewAction::Return))
        .collect()
    }

    /// Who may take `action` on the case: the role (403), the unit that submits its own
    /// record, the review chain — the level above and never the submitting unit (403 with
    /// the reason) — and the actor's scope (404). Its proof opens the step's write.
    fn review_allowed<'a>(
        &self,
        actor: &'a Actor,
        s: &CaseState,
        action: ReviewAction,
    ) -> Result<Allowed<'a>> {
        let permission = review_check(actor, s, action)?;
        self.allow(actor, permission, &s.scope())
    }

    /// The case's place in the workflow, its history and what the actor may do.
    pub async fn review_info(&self, actor: &Actor, id: CaseId) -> Result<ReviewInfo> {
        // The state row carries the region: one read for the check and the state.
        let s = self.case_state(id).await?;
        decide(actor, Action::ViewCase, &s.scope())?;
        let (since_ms, returns) = (s.since_ms, s.returns);
        let locked = s.state == ReviewState::Cleared
            && self
                .period_locked(s.region.as_deref(), s.reported_on)
                .await?;
        // Reviewers' notes and justifications are free text and may name people: they are
        // read under the case's identity access (the fields noted on stay visible).
        let text_visible = self
            .reads_review_text(actor, id, s.unit_id, &s.scope())
            .await?;
        let steps = self.review_steps(actor, id, text_visible).await?;
        let last_return = steps.iter().rev().find(|st| st.action == "return");
        let (return_notes, return_note, return_note_hidden) = match (s.state, last_return) {
            (ReviewState::Returned | ReviewState::Submitted, Some(r)) => {
                (r.field_notes.clone(), r.note.clone(), r.note_hidden)
            }
            _ => (Vec::new(), String::new(), false),
        };
        let changed_since_return = match (s.state, steps.last()) {
            (ReviewState::Returned, Some(_)) => self.changed_since_return(id).await?,
            (ReviewState::Submitted, Some(last)) => last.changed.clone(),
            _ => Vec::new(),
        };
        let mut hits = self.hits_shown(id).await?;
        if !text_visible {
            for h in hits.iter_mut() {
                h.justification_hidden = h.justification.take().is_some();
            }
        }
        Ok(ReviewInfo {
            can: self.allowed_steps(actor, &s, locked),
            state: s.state,
            level: s.level.filter(|_| s.state == ReviewState::Submitted),
            acted_level: steps.last().and_then(|st| st.actor_level),
            since_ms,
            returns,
            locked,
            steps,
            return_notes,
            return_note,
            return_note_hidden,
            changed_since_return,
            hits,
        })
    }

    /// A fingerprint of every field of the case: plain codes and dates as they are,
    /// identities as keyed hashes (the review table never holds personal data).
    pub(super) async fn fingerprint(&self, id: CaseId) -> Result<BTreeMap<String, String>> {
        let row: crate::cases::records::CaseRecord =
            sqlx::query_as(crate::cases::records::case_select(self.backend()))
                .bind(id.0)
                .fetch_one(self.pool())
                .await?;
        let v: CaseView = self.load_view(id, row, true).await?;
        let k = self.keyring()?;
        let h = |s: &Option<String>| -> String {
            s.as_deref()
                .map(|x| k.blind_index("review.fingerprint", x))
                .unwrap_or_default()
        };
        let o = |x: &Option<String>| x.clone().unwrap_or_default();
        let d = |x: Option<Day>| x.map(domain::case::format_day).unwrap_or_default();
        let mut m = BTreeMap::new();
        m.insert("channel".into(), v.channel.clone());
        m.insert(
            "reported_on".into(),
            domain::case::format_day(v.reported_on),
        );
        m.insert("exploitation_from".into(), d(v.exploitation_from));
        m.insert("rescued_on".into(), d(v.rescued_on));
        m.insert("chronology".into(), h(&v.chronology));
        m.insert("trafficking_status".into(), v.trafficking_status.clone());
        m.insert("exploitation".into(), v.exploitation.join(","));
        m.insert("means_of_control".into(), v.means_of_control.join(","));
        m.insert("sector".into(), o(&v.sector));
        m.insert("recruitment".into(), o(&v.recruitment));
        m.insert(
            "recruiter_relationship".into(),
            o(&v.recruiter_relationship),
        );
        m.insert(
            "route".into(),
            v.route
                .iter()
                .map(|e| format!("{e:?}"))
                .collect::<Vec<_>>()
                .join("|"),
        );
        m.insert(
            "perpetrators".into(),
            v.perpetrators
                .iter()
                .map(|p| format!("{}:{}", p.perpetrator_id, p.role))
                .collect::<Vec<_>>()
                .join(","),
        );
        m.insert("victims".into(), v.victims.len().to_string());
        for (i, x) in v.victims.iter().enumerate() {
            let p = format!("victims[{i}].");
            m.insert(format!("{p}name"), h(&x.name));
            m.insert(format!("{p}alias"), h(&x.alias));
            m.insert(format!("{p}nik"), h(&x.nik));
            m.insert(format!("{p}phone"), h(&x.phone));
            m.insert(format!("{p}sex"), x.sex.clone());
            m.insert(format!("{p}birth_date"), d(x.birth_date));
            m.insert(
                format!("{p}age_estimate"),
                x.age_estimate.map(|a| a.to_string()).unwrap_or_default(),
            );
            m.insert(format!("{p}home_village"), o(&x.home_village));
            m.insert(format!("{p}education"), o(&x.education));
            m.insert(format!("{p}occupation"), o(&x.occupation));
            m.insert(format!("{p}disability"), o(&x.disability));
            m.insert(format!("{p}migrant_status"), o(&x.migrant_status));
            m.insert(format!("{p}citizenship"), x.citizenship.clone());
        }
        Ok(m)
    }

    /// The fields that differ between the snapshot taken at the last return and now.
    pub(super) async fn changed_since_return(&self, id: CaseId) -> Result<Vec<String>> {
        let snap: Option<String> = sqlx::query_scalar(
            "SELECT snapshot FROM case_reviews WHERE case_id = $1 AND action = 'return' ORDER BY id DESC LIMIT 1",
        )
        .bind(id.0)
        .fetch_optional(self.pool())
        .await?;
        let Some(snap) = snap else {
            return Ok(Vec::new());
        };
        let before: BTreeMap<String, String> = serde_json::from_str(&snap).unwrap_or_default();
        if before.is_empty() {
            // A return without a snapshot (imported history): nothing to compare with.
            return Ok(Vec::new());
        }
        let now = self.fingerprint(id).await?;
        let mut keys: Vec<&String> = before.keys().chain(now.keys()).collect();
        keys.sort();
        keys.dedup();
        Ok(keys
            .into_iter()
            .filter(|k| before.get(*k) != now.get(*k))
            .cloned()
            .collect())
    }

    /// Does the province above have an active verifier? If not, submissions go to national.
    pub(super) async fn province_has_verifier(&self, province: Option<&str>) -> Result<bool> {
        let Some(p) = province else {
            return Ok(false);
        };
        let n: i64 = sqlx::query_scalar(
            "SELECT COUNT(*) FROM users u JOIN units n ON n.id = u.unit_id \
             WHERE u.role = 'verifier' AND u.disabled = 0 AND n.region_code = $1",
        )
        .bind(p.to_owned())
        .fetch_one(self.pool())
        .await?;
        Ok(n > 0)
    }

    /// One workflow step. Submission runs the rules: errors refuse it, warnings need a
    /// justification each; verification and clearing run them again and refuse a record
    /// that breaks a blocking rule now. A return needs a note (general or on fields). The
    /// review chain's rule and the rules are checked inside the write, on the record as it
    /// is then.
    pub async fn review(
        &self,
        actor: &Actor,
        id: CaseId,
        action: ReviewAction,
        req: &ReviewRequest,
    ) -> Result<ReviewState> {
        self.case_access(actor, id, Action::ViewCase).await?;
        let s = self.case_state(id).await?;
        let allowed = self.review_allowed(actor, &s, action)?;
        let to = next_state(s.state, s.level, action).map_err(StoreError::Conflict)?;
        self.check_step(actor, id, &s, action).await?;
        let (note, field_notes) = review_text(action, req)?;
        let mut level = s.level;
        let mut changed = Vec::new();
        let mut snapshot = String::from("{}");
        if action == ReviewAction::Submit {
            level = Some(self.submit_checks(id, &s, req).await?);
            if s.state == ReviewState::Returned {
                changed = self.changed_since_return(id).await?;
            }
        }
        if action == ReviewAction::Return {
            snapshot = serde_json::to_string(&self.fingerprint(id).await?)
                .map_err(|e| StoreError::Other(e.to_string()))?;
        }
        let k = self.keyring()?;
        let mut tx = self.write(allowed).await?;
        self.lock_case(&mut tx, id).await?;
        let now_state = self.case_state_on(&mut tx, id).await?;
        if (now_state.state, now_state.level, now_state.version) != (s.state, s.level, s.version) {
            return Err(StoreError::Conflict("conflict.case_changed"));
        }
        review_check(actor, &now_state, action)?;
        if matches!(action, ReviewAction::Verify | ReviewAction::Clear) {
            let blocking: Vec<RuleHit> = self
                .hits_on(&mut tx, id)
                .await?
                .into_iter()
                .filter(|h| h.severity == Severity::Error)
                .collect();
            if !blocking.is_empty() {
                return Err(StoreError::Rules(blocking));
            }
        }
        let now = tx.now_ms();
        let res = sqlx::query(
            "UPDATE cases SET review_state = $1, review_level = $2, state_since = $3, \
             submitted_at = CASE WHEN $4 = 1 AND submitted_at IS NULL THEN $3 ELSE submitted_at END, \
             cleared_at = CASE WHEN $5 = 1 THEN $3 ELSE cleared_at END, \
             returns = returns + $6 WHERE id = $7 AND review_state = $8 AND version = $9",
        )
        .bind(to.as_str())
        .bind(level.map(|l| l.as_str()))
        .bind(now)
        .bind(i64::from(action == ReviewAction::Submit))
        .bind(i64::from(to == ReviewState::Cleared))
        .bind(i64::from(action == ReviewAction::Return))
        .bind(id.0)
        .bind(s.state.as_str())
        .bind(s.version)
        .execute(&mut *tx)
        .await?;
        if res.rows_affected() == 0 {
            return Err(StoreError::Conflict("conflict.case_changed"));
        }
        sqlx::query(
            "INSERT INTO case_reviews (case_id, action, from_state, to_state, actor_id, actor_name, actor_level, at, \
             note_enc, field_notes_enc, snapshot, changed) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)",
        )
        .bind(id.0)
        .bind(action.as_str())
        .bind(s.state.as_str())
        .bind(to.as_str())
        .bind(actor.user_id.map(|u| u.0))
        .bind(actor.username.clone())
        .bind(ActingLevel::of(&actor.scope).as_str())
        .bind(now)
        .bind(seal_note(k, &note)?)
        .bind(seal_field_notes(k, &field_notes)?)
        .bind(snapshot)
        .bind(serde_json::to_string(&changed).unwrap_or_else(|_| "[]".into()))
        .execute(&mut *tx)
        .await?;
        tx.audit(Event {
            action: match action {
                ReviewAction::Submit => AuditAction::CaseSubmit,
                ReviewAction::Verify => AuditAction::CaseVerify,
                ReviewAction::Clear => AuditAction::CaseClear,
                ReviewAction::Return => AuditAction::CaseReturn,
            },
            record_type: "case",
            record_id: id.to_string(),
            detail: format!(
                "from={} to={} level={} by={}",
                s.state.as_str(),
                to.as_str(),
                level.map(|l| l.as_str()).unwrap_or("-"),
                ActingLevel::of(&actor.scope).as_str()
            ),
        })
        .await?;
        tx.commit().await?;
        Ok(to)
    }

    /// The checks of a step that read the history: four eyes (whoever verified a case does
    /// not clear it too), and no return of a record locked in a closed period.
    async fn check_step(
        &self,
        actor: &Actor,
        id: CaseId,
        s: &CaseState,
        action: ReviewAction,
    ) -> Result<()> {
        if action == ReviewAction::Clear && s.state == ReviewState::Verified {
            let verifier: Option<Option<i64>> = sqlx::query_scalar(
                "SELECT actor_id FROM case_reviews WHERE case_id = $1 AND action = 'verify' ORDER BY id DESC LIMIT 1",
            )
            .bind(id.0)
            .fetch_optional(self.pool())
            .await?;
            if actor.user_id.is_some() && verifier.flatten() == actor.user_id.map(|u| u.0) {
                return Err(StoreError::Conflict("conflict.same_reviewer"));
            }
        }
        if action == ReviewAction::Return
            && s.state == ReviewState::Cleared
            && self
                .period_locked(s.region.as_deref(), s.reported_on)
                .await?
        {
            return Err(StoreError::Conflict("conflict.period_locked"));
        }
        Ok(())
    }

    /// Submission: the rules run (errors refuse it, each warning needs a justification, kept
    /// with the hits even when refused); the answer is the level that reviews it first.
    async fn submit_checks(
        &self,
        id: CaseId,
        s: &CaseState,
        req: &ReviewRequest,
    ) -> Result<ReviewLevel> {
        let mut hits = self.hits_now(id).await?;
        let mut missing = false;
        for h in hits.iter_mut() {
            if h.severity == Severity::Warning {
                if let Some(j) = req
                    .justifications
                    .get(&h.justification_key())
                    .map(|j| j.trim())
                    .filter(|j| !j.is_empty())
                {
                    h.justification = Some(j.chars().take(1000).collect());
                }
                if h.justification.is_none() {
                    missing = true;
                }
            } else {
                missing = true;
            }
        }
        self.record_rule_hits(id, &hits).await?;
        if missing {
            return Err(StoreError::Rules(hits));
        }
        let has_verifier = self.province_has_verifier(s.province.as_deref()).await?;
        Ok(first_review_level(&s.scope(), has_verifier))
    }

    /// What waits for the actor, oldest first: a data officer's drafts and returned cases,
    /// a provincial verifier's submissions from the units below, the national clearing
    /// officers' verified cases (and submissions that go straight to national).
    /// What waits for the actor, oldest first: the first 500 (the API).
    pub async fn review_queue(&self, actor: &Actor) -> Result<Vec<QueueItem>> {
        Ok(self
            .review_queue_page(actor, &QueueFilter::default(), 0, 500)
            .await?
            .0)
    }

    /// One page of [`Store::review_queue`] (`page` from 0, at most 500 rows), and whether
    /// another page follows.
    pub async fn review_queue_page(
        &self,
        actor: &Actor,
        filter: &QueueFilter,
        page: i64,
        per_page: i64,
    ) -> Result<(Vec<QueueItem>, bool)> {
        decide(actor, Action::ViewCase, &actor.scope)?;
        let per_page = per_page.clamp(1, 500);
        let offset = page.clamp(0, 1_000_000) * per_page;
        let cutoff = self.now_ms() - domain::review::REVIEW_DUE_DAYS * 86_400_000;
        const SELECT: &str = "SELECT c.id, c.code, c.review_state, c.region_code, n.name AS unit_name, COALESCE(c.state_since, c.created_at) AS since, c.returns \
             FROM cases c JOIN units n ON n.id = c.unit_id WHERE ";
        let mut q = Sql::new(SELECT);
        if Self::reviewer_queue(actor, &mut q) {
            Self::queue_filter(&mut q, filter, cutoff, true);
            if actor.scope != Scope::National {
                q.scope("c.region_code", &actor.scope);
            }
            q.push(" ORDER BY since, c.id LIMIT ")
                .bind_int(per_page + 1)
                .push(" OFFSET ")
                .bind_int(offset);
            self.queue_rows(&q, per_page).await
        } else if decide(actor, Action::SubmitCase, &actor.scope).is_ok() {
            // The unit's drafts and returned records: each state walked in order through
            // `cases_queue_unit` (at most the rows up to this page), then merged — an `IN`
            // over both states read and sorted every draft the unit ever left.
            let states = Self::unit_queue_states(filter);
            if states.is_empty() {
                return Ok((Vec::new(), false));
            }
            q = Sql::new("SELECT * FROM (");
            for (i, state) in states.into_iter().enumerate() {
                if i > 0 {
                    q.push(") q0 UNION ALL SELECT * FROM (");
                }
                q.push(SELECT)
                    .push("c.unit_id = ")
                    .bind_int(actor.unit_id.0)
                    .push(" AND c.review_state = ")
                    .bind_text(state);
                Self::queue_filter(&mut q, filter, cutoff, false);
                if actor.scope != Scope::National {
                    q.scope("c.region_code", &actor.scope);
                }
                q.push(" ORDER BY since, c.id LIMIT ")
                    .bind_int(offset + per_page + 1);
            }
            q.push(") q1 ORDER BY since, id LIMIT ")
                .bind_int(per_page + 1)
                .push(" OFFSET ")
                .bind_int(offset);
            self.queue_rows(&q, per_page).await
        } else {
            Ok((Vec::new(), false))
        }
    }

    /// How many records the queue holds for `actor` with `filter` (the pages' total).
    pub async fn review_queue_count(&self, actor: &Actor, filter: &QueueFilter) -> Result<i64> {
        decide(actor, Action::ViewCase, &actor.scope)?;
        let cutoff = self.now_ms() - domain::review::REVIEW_DUE_DAYS * 86_400_000;
        let mut q = Sql::new("SELECT COUNT(*) FROM cases c WHERE ");
        if Self::reviewer_queue(actor, &mut q) {
            Self::queue_filter(&mut q, filter, cutoff, true);
            if actor.scope != Scope::National {
                q.scope("c.region_code", &actor.scope);
            }
        } else if decide(actor, Action::SubmitCase, &actor.scope).is_ok() {
            // By the unit alone, on `cases_queue_unit` (its cases lie in its region; a region
            // condition made each a table lookup: 165 pages/s instead of 2,500 at 1,000,000).
            let states = Self::unit_queue_states(filter);
            q.push("c.unit_id = ")
                .bind_int(actor.unit_id.0)
                .push(" AND c.review_state");
            q.in_list(&states);
            Self::queue_filter(&mut q, filter, cutoff, false);
        } else {
            return Ok(0);
        }
        Ok(q.build_scalar().fetch_one(self.pool()).await?)
    }

    /// The states of a unit's own queue the filter keeps.
    fn unit_queue_states(filter: &QueueFilter) -> Vec<&'static str> {
        ["draft", "returned"]
            .into_iter()
            .filter(|s| filter.state.is_none_or(|f| f.as_str() == *s))
            .collect()
    }

    /// The filter's conditions (the unit only for reviewers' queues).
    fn queue_filter(q: &mut Sql, filter: &QueueFilter, cutoff: i64, reviewer: bool) {
        if filter.overdue {
            q.push(" AND COALESCE(c.state_since, c.created_at) < ")
                .bind_int(cutoff);
        }
        if reviewer {
            if let Some(u) = filter.unit {
                q.push(" AND c.unit_id = ").bind_int(u.0);
            }
            if let Some(s) = filter.state {
                q.push(" AND c.review_state = ").bind_text(s.as_str());
            }
        }
    }

    /// The records waiting for `actor` as a reviewer (clearing, or verifying inside a
    /// province), as a condition pushed onto `q` after its `WHERE` (the scope not yet);
    /// `false`, pushing nothing, when the actor reviews nothing. Reviewers never see their
    /// own unit's records queued, nor a record of their own level (a province verifies
    /// what lies strictly inside it).
    pub(super) fn reviewer_queue(actor: &Actor, q: &mut Sql) -> bool {
        if decide(actor, Action::ClearCase, &actor.scope).is_ok() {
            q.push("(c.review_state = 'verified' OR (c.review_state = 'submitted' AND c.review_level = 'national'))")
                .push(" AND c.unit_id <> ")
                .bind_int(actor.unit_id.0);
            true
        } else if let (Ok(()), Some(region)) = (
            decide(actor, Action::VerifyCase, &actor.scope),
            actor.scope.region(),
        ) {
            q.push("c.review_state = 'submitted' AND c.review_level = 'province'")
                .push(" AND c.unit_id <> ")
                .bind_int(actor.unit_id.0)
                .push(" AND c.region_code <> ")
                .bind_text(region.as_str());
            true
        } else {
            false
        }
    }

    async fn queue_rows(&self, q: &Sql, per_page: i64) -> Result<(Vec<QueueItem>, bool)> {
        let now = self.now_ms();
        let rows = q.build_as::<QueueRecord>().fetch_all(self.pool()).await?;
        let more = rows.len() as i64 > per_page;
        Ok((
            rows.into_iter()
                .take(per_page as usize)
                .map(|r| r.into_item(now))
                .collect(),
            more,
        ))
    }
}
