//! The parts of a case recorded one entry at a time: route events (where and when) and the
//! legal track (police report, articles, stages, sentence, restitution ordered).

use super::records::{ConsentRecord, LegalTrackRecord, RouteEventRecord, StageRecord};
use crate::core::audit::Event;
use crate::core::ids::CaseId;
use crate::core::write::Write;
use crate::{Result, Store, StoreError};
use domain::audit::AuditAction;
use domain::case::{Day, NewLegal, NewRouteEvent};
use domain::{Action, Actor, Invalid};
use serde::Serialize;

#[derive(Debug, Clone, Serialize)]
pub struct RouteEventView {
    pub id: i64,
    pub kind: String,
    pub region_code: Option<String>,
    pub region_name: Option<String>,
    pub country: Option<String>,
    pub city: Option<String>,
    pub date_from: Option<Day>,
    pub date_to: Option<Day>,
}

#[derive(Debug, Clone, Serialize, Default)]
pub struct LegalView {
    pub police_report_no: Option<String>,
    pub police_unit: Option<String>,
    pub articles: Vec<u32>,
    pub sentence_months: Option<i64>,
    pub restitution_ordered: Option<i64>,
    pub stages: Vec<StageView>,
}

#[derive(Debug, Clone, Serialize)]
pub struct StageView {
    pub id: i64,
    pub stage: String,
    pub happened: Day,
}

impl Store {
    pub(crate) async fn route_events(&self, id: CaseId) -> Result<Vec<RouteEventView>> {
        let rows: Vec<RouteEventRecord> = sqlx::query_as(
            "SELECT e.id, e.kind, e.region_code, (SELECT r.name FROM regions r WHERE r.code = e.region_code) AS region_name, \
             e.country, e.city, e.date_from, e.date_to FROM route_events e WHERE e.case_id = $1 ORDER BY e.date_from, e.id",
        )
        .bind(id.0)
        .fetch_all(self.pool())
        .await?;
        Ok(rows.into_iter().map(RouteEventView::from).collect())
    }

    pub(crate) async fn legal(&self, id: CaseId) -> Result<LegalView> {
        let mut v = LegalView::default();
        if let Some(r) = sqlx::query_as::<_, LegalTrackRecord>(
            "SELECT police_report_no, police_unit, articles, sentence_months, restitution_ordered \
             FROM legal_tracks WHERE case_id = $1",
        )
        .bind(id.0)
        .fetch_optional(self.pool())
        .await?
        {
            v.police_report_no = r.police_report_no;
            v.police_unit = r.police_unit;
            v.articles = r
                .articles
                .split(',')
                .filter_map(|a| a.parse().ok())
                .collect();
            v.sentence_months = r.sentence_months;
            v.restitution_ordered = r.restitution_ordered;
        }
        v.stages = sqlx::query_as::<_, StageRecord>(
            "SELECT id, stage, happened FROM legal_stages WHERE case_id = $1 ORDER BY happened, id",
        )
        .bind(id.0)
        .fetch_all(self.pool())
        .await?
        .into_iter()
        .map(StageView::from)
        .collect();
        Ok(v)
    }

    /// Opens the write of a case part: the actor may edit the case, and the case row is
    /// locked for the transaction.
    async fn edit_case<'a>(&self, actor: &'a Actor, id: CaseId) -> Result<Write<'a>> {
        let allowed = self.case_allow(actor, id, Action::EditCase).await?;
        let mut w = self.write(allowed).await?;
        self.lock_case(&mut w, id).await?;
        Ok(w)
    }

    /// For the registered facts (route): also refuses while the case is under review or
    /// locked in a closed period, checked inside the write.
    async fn edit_case_facts<'a>(&self, actor: &'a Actor, id: CaseId) -> Result<Write<'a>> {
        let mut w = self.edit_case(actor, id).await?;
        self.check_editable_in(&mut w, id).await?;
        Ok(w)
    }

    pub async fn add_route_event(
        &self,
        actor: &Actor,
        id: CaseId,
        e: &NewRouteEvent,
    ) -> Result<i64> {
        let p = self.picklists().await?;
        let mut errs = Invalid::default();
        if !p.has("route_event", &e.kind) {
            errs.push("kind", "err.choice");
        }
        if let Some(c) = &e.country
            && !p.has("country", c)
        {
            errs.push("country", "err.choice");
        }
        if let Some(r) = &e.region
            && !self.region_exists(r).await?
        {
            errs.push("region_code", "err.region_unknown");
        }
        errs.into_result(())?;
        let mut tx = self.edit_case_facts(actor, id).await?;
        let eid: i64 = sqlx::query_scalar(
            "INSERT INTO route_events (case_id, kind, region_code, country, city, date_from, date_to, created_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING id",
        )
        .bind(id.0)
        .bind(e.kind.clone())
        .bind(e.region.as_ref().map(|r| r.as_str().to_owned()))
        .bind(e.country.clone())
        .bind(e.city.clone())
        .bind(e.date_from)
        .bind(e.date_to)
        .bind(self.now_ms())
        .fetch_one(&mut *tx)
        .await?;
        let place = e
            .region
            .as_ref()
            .map(|r| r.to_string())
            .or(e.country.clone())
            .unwrap_or_default();
        let ev = Event {
            action: AuditAction::CaseRouteAdd,
            record_type: "case",
            record_id: id.to_string(),
            detail: format!("event={eid} kind={} place={place}", e.kind),
        };
        tx.audit(ev).await?;
        tx.commit().await?;
        Ok(eid)
    }

    pub async fn delete_route_event(&self, actor: &Actor, id: CaseId, event: i64) -> Result<()> {
        let tx = self.edit_case_facts(actor, id).await?;
        Self::delete_part(
            tx,
            "DELETE FROM route_events WHERE id = $1 AND case_id = $2",
            id,
            event,
            AuditAction::CaseRouteDelete,
            "event",
        )
        .await
    }

    pub async fn set_legal(&self, actor: &Actor, id: CaseId, l: &NewLegal) -> Result<()> {
        let articles = l
            .articles
            .iter()
            .map(|a| a.to_string())
            .collect::<Vec<_>>()
            .join(",");
        let mut tx = self.edit_case(actor, id).await?;
        sqlx::query("DELETE FROM legal_tracks WHERE case_id = $1")
            .bind(id.0)
            .execute(&mut *tx)
            .await?;
        sqlx::query(
            "INSERT INTO legal_tracks (case_id, police_report_no, police_unit, articles, sentence_months, restitution_ordered, updated_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7)",
        )
        .bind(id.0)
        .bind(l.police_report_no.clone())
        .bind(l.police_unit.clone())
        .bind(articles.clone())
        .bind(l.sentence_months)
        .bind(l.restitution_ordered)
        .bind(self.now_ms())
        .execute(&mut *tx)
        .await?;
        let ev = Event {
            action: AuditAction::CaseLegalUpdate,
            record_type: "case",
            record_id: id.to_string(),
            detail: format!("articles={articles}"),
        };
        tx.audit(ev).await?;
        tx.commit().await?;
        Ok(())
    }

    pub async fn add_legal_stage(
        &self,
        actor: &Actor,
        id: CaseId,
        stage: &str,
        happened: Option<Day>,
        today: Day,
    ) -> Result<i64> {
        let mut errs = Invalid::default();
        if !self.picklists().await?.has("legal_stage", stage) {
            errs.push("stage", "err.choice");
        }
        match happened {
            None => errs.push("happened", "err.date"),
            Some(d) if d > today => errs.push("happened", "err.date_future"),
            _ => {}
        }
        errs.into_result(())?;
        let mut tx = self.edit_case(actor, id).await?;
        let sid: i64 = sqlx::query_scalar("INSERT INTO legal_stages (case_id, stage, happened, created_at) VALUES ($1, $2, $3, $4) RETURNING id")
            .bind(id.0)
            .bind(stage.to_owned())
            .bind(happened)
            .bind(self.now_ms())
            .fetch_one(&mut *tx)
            .await?;
        let ev = Event {
            action: AuditAction::CaseStageAdd,
            record_type: "case",
            record_id: id.to_string(),
            detail: format!("stage={stage}"),
        };
        tx.audit(ev).await?;
        tx.commit().await?;
        Ok(sid)
    }

    pub async fn delete_legal_stage(&self, actor: &Actor, id: CaseId, stage: i64) -> Result<()> {
        let tx = self.edit_case(actor, id).await?;
        Self::delete_part(
            tx,
            "DELETE FROM legal_stages WHERE id = $1 AND case_id = $2",
            id,
            stage,
            AuditAction::CaseStageDelete,
            "stage",
        )
        .await
    }

    /// Deletes one row of a case part inside its write (404 when it is not the case's) and
    /// audits it as `what=row`.
    async fn delete_part(
        mut tx: Write<'_>,
        delete: &'static str,
        id: CaseId,
        row: i64,
        action: AuditAction,
        what: &str,
    ) -> Result<()> {
        let n = sqlx::query(delete)
            .bind(row)
            .bind(id.0)
            .execute(&mut *tx)
            .await?;
        if n.rows_affected() == 0 {
            return Err(StoreError::NotFound);
        }
        tx.audit(Event {
            action,
            record_type: "case",
            record_id: id.to_string(),
            detail: format!("{what}={row}"),
        })
        .await?;
        tx.commit().await
    }
}

/// A consent as entered (codes checked against the picklists by the store).
#[derive(Debug, Clone, Default)]
pub struct NewConsent {
    pub victim_id: i64,
    pub scope: String,
    pub given_by: String,
    pub given_on: Option<Day>,
}

#[derive(Debug, Clone, Serialize)]
pub struct ConsentView {
    pub id: i64,
    pub victim_id: i64,
    pub scope: String,
    pub given_by: String,
    pub given_on: Day,
    pub withdrawn_on: Option<Day>,
    pub recorded_by: String,
}

impl Store {
    pub(crate) async fn consents(&self, id: CaseId) -> Result<Vec<ConsentView>> {
        let rows: Vec<ConsentRecord> = sqlx::query_as(
            "SELECT id, victim_id, scope, given_by, given_on, withdrawn_on, recorded_by FROM consents WHERE case_id = $1 ORDER BY given_on, id",
        )
        .bind(id.0)
        .fetch_all(self.pool())
        .await?;
        Ok(rows.into_iter().map(ConsentView::from).collect())
    }

    /// Records that a victim (or parent, guardian …) consented to `scope` on `given_on`.
    pub async fn add_consent(
        &self,
        actor: &Actor,
        id: CaseId,
        c: &NewConsent,
        today: Day,
    ) -> Result<i64> {
        let (victim, scope, given_by, given_on) = (
            c.victim_id,
            c.scope.as_str(),
            c.given_by.as_str(),
            c.given_on,
        );
        // Out of sight is 404 before anything about the case's victims is looked up.
        self.case_access(actor, id, Action::EditCase).await?;
        let p = self.picklists().await?;
        let mut errs = Invalid::default();
        let belongs: i64 =
            sqlx::query_scalar("SELECT COUNT(*) FROM victims WHERE id = $1 AND case_id = $2")
                .bind(victim)
                .bind(id.0)
                .fetch_one(self.pool())
                .await?;
        if belongs == 0 {
            errs.push("victim_id", "err.choice");
        }
        if !p.has("consent_scope", scope) {
            errs.push("scope", "err.choice");
        }
        if !p.has("consent_giver", given_by) {
            errs.push("given_by", "err.choice");
        }
        match given_on {
            None => errs.push("given_on", "err.date"),
            Some(d) if d > today => errs.push("given_on", "err.date_future"),
            _ => {}
        }
        errs.into_result(())?;
        let mut tx = self.edit_case(actor, id).await?;
        let cid: i64 = sqlx::query_scalar(
            "INSERT INTO consents (case_id, victim_id, scope, given_by, given_on, recorded_by, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING id",
        )
        .bind(id.0)
        .bind(victim)
        .bind(scope.to_owned())
        .bind(given_by.to_owned())
        .bind(given_on)
        .bind(actor.username.clone())
        .bind(self.now_ms())
        .fetch_one(&mut *tx)
        .await?;
        let ev = Event {
            action: AuditAction::CaseConsentAdd,
            record_type: "case",
            record_id: id.to_string(),
            detail: format!("consent={cid} victim={victim} scope={scope}"),
        };
        tx.audit(ev).await?;
        tx.commit().await?;
        Ok(cid)
    }

    /// Records that a consent was withdrawn (the record stays, dated).
    pub async fn withdraw_consent(
        &self,
        actor: &Actor,
        id: CaseId,
        consent: i64,
        today: Day,
    ) -> Result<()> {
        let mut tx = self.edit_case(actor, id).await?;
        let n = sqlx::query("UPDATE consents SET withdrawn_on = $1 WHERE id = $2 AND case_id = $3 AND withdrawn_on IS NULL")
            .bind(today)
            .bind(consent)
            .bind(id.0)
            .execute(&mut *tx)
            .await?;
        if n.rows_affected() == 0 {
            return Err(StoreError::NotFound);
        }
        let ended = self
            .end_referrals_of_consent(&mut tx, consent, today)
            .await?;
        let ev = Event {
            action: AuditAction::CaseConsentWithdraw,
            record_type: "case",
            record_id: id.to_string(),
            detail: format!("consent={consent} referrals_ended={ended}"),
        };
        tx.audit(ev).await?;
        tx.commit().await?;
        Ok(())
    }
}
