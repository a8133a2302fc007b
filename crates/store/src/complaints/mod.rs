//! Complaints from the public (*pengaduan*, issue 14, item 5). Anyone sends one (no
//! account), anonymously if they wish; it waits in the intake queue of the task force of
//! the region it names — the regency's, else the province's, else the national one. Intake
//! officers (`Action::HandleComplaints` on that region) read it and decide: open a case
//! from it, add it to a case on record, refer it to another region's task force, or close
//! it with a reason. With the tracking code and PIN shown once when it was sent, the
//! sender sees where it stands in plain words (never who handles it or what a case holds)
//! and may add information.
//!
//! The text, the contact and every note are encrypted like identities; every read of a
//! complaint is audited (`complaint.view`), every decision too.

use crate::core::audit::Event;
use crate::core::passcode::{self, Purpose, new_code_and_pin, normalise_code};
use crate::core::sql::Sql;
use crate::recovery::IssuedCode;
use crate::{CaseId, Result, Store, StoreError};
use domain::audit::AuditAction;
use domain::case::Day;
use domain::complaint::{AtRisk, CloseReason, ComplaintStatus, NewComplaint};
use domain::{Action, Actor, Invalid, RegionCode, RegionLevel, Scope, decide};
use serde::Serialize;

/// Rows on one page of the queue.
pub const QUEUE_PAGE: i64 = 50;
/// Files a complaint may carry.
pub const FILES_MAX: usize = 3;
/// All its files together, in bytes (what one upload may hold).
pub const FILES_BYTES_MAX: usize = crate::EVIDENCE_MAX;

/// A file sent with a complaint, as the form gives it.
pub struct Attachment<'a> {
    pub bytes: &'a [u8],
}

/// A file of a complaint, as intake sees it listed.
#[derive(Debug, Clone, Serialize)]
pub struct ComplaintFile {
    pub id: i64,
    pub content_type: String,
    pub size: i64,
}

/// Checks the files (how many, how large together, each a PDF, PNG or JPEG by its first
/// bytes) and takes the pictures' metadata out: (type, bytes to store), or the problem on
/// the form's `files` field. Nothing is stored when one file is refused.
fn checked_files(files: &[Attachment<'_>]) -> Result<Vec<(&'static str, Vec<u8>)>> {
    let refuse = |key: &'static str| {
        let mut errs = Invalid::default();
        errs.push("files", key);
        StoreError::Invalid(errs)
    };
    if files.len() > FILES_MAX {
        return Err(refuse("err.files_too_many"));
    }
    if files.iter().map(|f| f.bytes.len()).sum::<usize>() > FILES_BYTES_MAX {
        return Err(refuse("err.files_too_big"));
    }
    files
        .iter()
        .map(|f| {
            let kind =
                crate::recovery::evidence_type(f.bytes).ok_or_else(|| refuse("err.file_type"))?;
            let clean =
                domain::file_meta::strip(kind, f.bytes).ok_or_else(|| refuse("err.file_type"))?;
            Ok((kind, clean))
        })
        .collect()
}

/// What the sender sees.
#[derive(Debug, Clone, Serialize)]
pub struct ComplaintPublic {
    pub status: String,
    pub close_reason: Option<String>,
    pub received_on: Day,
    /// The day of the last change (a decision, or information she added).
    pub updated_on: Day,
    /// Pieces of information she added.
    pub added: i64,
}

/// What a look with a tracking code and PIN gives.
#[derive(Debug, Clone)]
pub enum ComplaintOutcome {
    Shown(ComplaintPublic),
    /// No such code, or the PIN is wrong.
    Wrong,
    Locked {
        until_ms: i64,
    },
}

/// One line of the intake queue (no text: that is read on the complaint's page, audited).
#[derive(Debug, Clone, Serialize, sqlx::FromRow)]
pub struct ComplaintRow {
    pub id: i64,
    pub received_on: Day,
    pub region_code: Option<String>,
    pub region_name: Option<String>,
    pub intake_region: Option<String>,
    pub at_risk: String,
    pub status: String,
    pub suspect: i64,
    pub unread: i64,
}

#[derive(Debug, Clone, Serialize)]
pub struct ComplaintPage {
    pub rows: Vec<ComplaintRow>,
    pub total: i64,
    pub page: i64,
    pub per_page: i64,
}

/// A note on the complaint: information the sender added, or intake's own.
#[derive(Debug, Clone, Serialize)]
pub struct ComplaintNote {
    pub from_sender: bool,
    pub body: String,
    pub at_ms: i64,
}

/// A complaint as intake reads it.
#[derive(Debug, Clone, Serialize)]
pub struct ComplaintView {
    pub id: i64,
    pub received_at_ms: i64,
    pub received_on: Day,
    pub region_code: Option<String>,
    pub region_name: Option<String>,
    pub intake_region: Option<String>,
    pub intake_name: Option<String>,
    pub happened_on: Option<Day>,
    pub at_risk: String,
    pub what: String,
    pub contact: Option<String>,
    pub suspect: bool,
    pub status: String,
    pub close_reason: Option<String>,
    pub case_id: Option<CaseId>,
    pub case_code: Option<String>,
    pub handled_by: Option<String>,
    pub notes: Vec<ComplaintNote>,
    pub files: Vec<ComplaintFile>,
}

/// An intake decision.
#[derive(Debug, Clone)]
pub enum Triage {
    /// Close with a reason.
    Close(String),
    /// Send on to the task force of another region (a province or regency code).
    Refer(String),
    /// Add to a case on record (its code).
    Attach(String),
}

#[derive(sqlx::FromRow)]
struct ViewRecord {
    id: i64,
    received_at: i64,
    received_on: i64,
    region_code: Option<String>,
    region_name: Option<String>,
    intake_region: Option<String>,
    intake_name: Option<String>,
    happened_on: Option<i64>,
    at_risk: String,
    what_enc: String,
    contact_enc: Option<String>,
    suspect: i64,
    status: String,
    close_reason: Option<String>,
    case_id: Option<i64>,
    case_code: Option<String>,
    handled_by: Option<String>,
}

/// Whose queue a complaint about `region` joins: its regency's (a district or village is
/// never chosen on the form), else its province's, else the national one.
fn intake_of(region: Option<&RegionCode>) -> Option<String> {
    region.map(|r| match r.level() {
        RegionLevel::Province => r.as_str().to_owned(),
        _ => r.as_str().chars().take(5).collect(),
    })
}

fn scope_of(intake: Option<&str>) -> Scope {
    Scope::from_code(intake.and_then(|c| RegionCode::parse(c).ok()))
}

/// The sender, acting with the code and PIN just checked (or sending): no person named, no
/// address kept, the queue's region in the audit entry.
fn sender(intake: Option<&str>) -> Actor {
    passcode::public_actor("public:complaint", domain::UnitId(0), scope_of(intake))
}

impl Store {
    /// Regions a complaint may name: every province and regency, as (code, name, province
    /// code) in code order (public reference data, read once, then from memory: the form
    /// is the public site's heaviest page).
    pub async fn complaint_places(&self) -> Result<std::sync::Arc<Vec<(String, String, String)>>> {
        if let Some(p) = self.complaint_places_memo.get() {
            return Ok(p);
        }
        let rows: Vec<(String, String, Option<String>)> = sqlx::query_as(
            "SELECT code, name, parent_code FROM regions WHERE level <= 2 ORDER BY code",
        )
        .fetch_all(self.pool())
        .await?;
        let places: Vec<(String, String, String)> = rows
            .into_iter()
            .map(|(code, name, parent)| {
                let province = parent.unwrap_or_else(|| code.clone());
                (code, name, province)
            })
            .collect();
        // Regions are loaded before the server serves: an empty list is not kept.
        let places = std::sync::Arc::new(places);
        if !places.is_empty() {
            self.complaint_places_memo.set(places.clone());
        }
        Ok(places)
    }

    /// Takes a complaint from the public. `suspect`: the form's flood guard thinks a script
    /// sent it (kept, shown apart). Returns the tracking code and PIN, shown once.
    pub async fn submit_complaint(
        &self,
        c: &NewComplaint,
        files: &[Attachment<'_>],
        suspect: bool,
        form_mark: Option<&str>,
    ) -> Result<IssuedCode> {
        let files = checked_files(files)?;
        if let Some(r) = &c.region
            && !self.region_exists(r).await?
        {
            let mut errs = Invalid::default();
            errs.push("region", "err.region_not_found");
            return Err(StoreError::Invalid(errs));
        }
        let intake = intake_of(c.region.as_ref());
        let actor = sender(intake.as_deref());
        let k = self.keyring()?;
        let (code, pin) = new_code_and_pin()?;
        let today = self.today(&actor);
        let mut w = self.write(self.allow_credential(&actor)).await?;
        let now = w.now_ms();
        if let Some(mark) = form_mark {
            let sent: Option<i64> =
                sqlx::query_scalar("SELECT id FROM complaints WHERE form_mark = $1")
                    .bind(mark.to_owned())
                    .fetch_optional(&mut *w)
                    .await?;
            if sent.is_some() {
                return Err(StoreError::Conflict("conflict.complaint_sent"));
            }
        }
        let id: i64 = sqlx::query_scalar(
            "INSERT INTO complaints (code_hash, pin_hash, received_at, received_on, region_code, intake_region, \
             happened_on, at_risk, what_enc, contact_enc, suspect, updated_at, form_mark) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $3, $12) RETURNING id",
        )
        .bind(passcode::code_hash(Purpose::Complaint, &code))
        .bind(passcode::pin_hash(Purpose::Complaint, &code, &pin))
        .bind(now)
        .bind(today)
        .bind(c.region.as_ref().map(|r| r.as_str().to_owned()))
        .bind(intake.clone())
        .bind(c.happened_on)
        .bind(c.at_risk.as_str())
        .bind(k.encrypt("complaints.what", &c.what)?)
        .bind(k.encrypt_opt("complaints.contact", c.contact.as_deref())?)
        .bind(i64::from(suspect))
        .bind(form_mark.map(str::to_owned))
        .fetch_one(&mut *w)
        .await?;
        for (kind, bytes) in &files {
            sqlx::query(
                "INSERT INTO complaint_files (complaint_id, content_type, size, body, at) VALUES ($1, $2, $3, $4, $5)",
            )
            .bind(id)
            .bind(*kind)
            .bind(bytes.len() as i64)
            .bind(k.encrypt_bytes("complaint_files.body", bytes)?)
            .bind(now)
            .execute(&mut *w)
            .await?;
        }
        w.audit(Event {
            action: AuditAction::ComplaintSubmit,
            record_type: "complaint",
            record_id: id.to_string(),
            detail: format!(
                "intake={} suspect={} files={}",
                intake.as_deref().unwrap_or("national"),
                i64::from(suspect),
                files.len()
            ),
        })
        .await?;
        w.commit().await?;
        Ok(IssuedCode {
            code: passcode::grouped(&code),
            pin,
            issued_at: now,
        })
    }

    /// The sender's look at her complaint.
    pub async fn complaint_status(&self, code: &str, pin: &str) -> Result<ComplaintOutcome> {
        self.sender_acts(code, pin, None).await
    }

    /// The sender adds information (then sees the status, as after a look).
    pub async fn complaint_add_info(
        &self,
        code: &str,
        pin: &str,
        info: &str,
    ) -> Result<ComplaintOutcome> {
        let info = domain::complaint::parse_info(info).map_err(|e| {
            let mut errs = Invalid::default();
            errs.push(&e.field, e.key);
            StoreError::Invalid(errs)
        })?;
        self.sender_acts(code, pin, Some(&info)).await
    }

    /// A look (or information added) with the tracking code and PIN: the attempt is
    /// counted and checked in the same write as what it leads to.
    async fn sender_acts(
        &self,
        code: &str,
        pin: &str,
        info: Option<&str>,
    ) -> Result<ComplaintOutcome> {
        let Some(code) = normalise_code(code) else {
            return Ok(ComplaintOutcome::Wrong);
        };
        let row: Option<(i64, Option<String>)> =
            sqlx::query_as("SELECT id, intake_region FROM complaints WHERE code_hash = $1")
                .bind(passcode::code_hash(Purpose::Complaint, &code))
                .fetch_optional(self.pool())
                .await?;
        let Some((id, intake)) = row else {
            return Ok(ComplaintOutcome::Wrong);
        };
        let actor = sender(intake.as_deref());
        let mut w = self.write(self.allow_credential(&actor)).await?;
        let now = w.now_ms();
        match passcode::attempt(&mut w, Purpose::Complaint, id, &code, pin, now).await? {
            passcode::Attempt::Right => {}
            passcode::Attempt::Locked { until } => {
                return Ok(ComplaintOutcome::Locked { until_ms: until });
            }
            passcode::Attempt::Wrong {
                failures,
                locked_until,
            } => {
                w.audit(Event {
                    action: AuditAction::ComplaintStatusFailed,
                    record_type: "complaint",
                    record_id: id.to_string(),
                    detail: format!(
                        "failures={failures}{}",
                        if locked_until.is_some() {
                            " locked"
                        } else {
                            ""
                        }
                    ),
                })
                .await?;
                w.commit().await?;
                return Ok(match locked_until {
                    Some(until_ms) => ComplaintOutcome::Locked { until_ms },
                    None => ComplaintOutcome::Wrong,
                });
            }
        }
        if let Some(info) = info {
            let k = self.keyring()?;
            sqlx::query(
                "INSERT INTO complaint_notes (complaint_id, from_sender, body_enc, at) VALUES ($1, 1, $2, $3)",
            )
            .bind(id)
            .bind(k.encrypt("complaint_notes.body", info)?)
            .bind(now)
            .execute(&mut *w)
            .await?;
            sqlx::query("UPDATE complaints SET unread = 1, updated_at = $1 WHERE id = $2")
                .bind(now)
                .bind(id)
                .execute(&mut *w)
                .await?;
        }
        w.audit(Event {
            action: if info.is_some() {
                AuditAction::ComplaintAddInfo
            } else {
                AuditAction::ComplaintStatusView
            },
            record_type: "complaint",
            record_id: id.to_string(),
            detail: String::new(),
        })
        .await?;
        w.commit().await?;
        let (status, close_reason, received_on, updated_at, added): (
            String,
            Option<String>,
            i64,
            i64,
            i64,
        ) = sqlx::query_as(
            "SELECT status, close_reason, received_on, updated_at, \
             (SELECT COUNT(*) FROM complaint_notes n WHERE n.complaint_id = c.id AND n.from_sender = 1) \
             FROM complaints c WHERE id = $1",
        )
        .bind(id)
        .fetch_one(self.pool())
        .await?;
        let zone = domain::time::Zone::of_scope(actor.scope.region().map(RegionCode::as_str));
        Ok(ComplaintOutcome::Shown(ComplaintPublic {
            status,
            close_reason,
            received_on,
            updated_on: domain::time::day_at(updated_at, zone),
            added,
        }))
    }

    /// The intake queue of the actor's region and the regions below it: open complaints
    /// first (`open_only` shows nothing else), newest first.
    pub async fn complaint_queue(
        &self,
        actor: &Actor,
        open_only: bool,
        page: i64,
    ) -> Result<ComplaintPage> {
        decide(actor, Action::HandleComplaints, &actor.scope)?;
        let page = page.max(1);
        let filter = |q: &mut Sql| {
            q.push(" WHERE 1 = 1");
            q.scope("c.intake_region", &actor.scope);
            if actor.scope != Scope::National {
                q.push(" AND c.intake_region IS NOT NULL");
            }
            // Waiting: not decided yet, or the sender added something since it was decided.
            if open_only {
                q.push(" AND (c.status IN ('received', 'in_review', 'referred') OR c.unread = 1)");
            }
        };
        let mut count = Sql::new("SELECT COUNT(*) FROM complaints c");
        filter(&mut count);
        let total: i64 = count.build_scalar().fetch_one(self.pool()).await?;
        let mut q = Sql::new(
            "SELECT c.id, c.received_on, c.region_code, r.name AS region_name, c.intake_region, c.at_risk, \
             c.status, c.suspect, c.unread FROM complaints c LEFT JOIN regions r ON r.code = c.region_code",
        );
        filter(&mut q);
        q.push(" ORDER BY CASE WHEN c.status IN ('received', 'in_review', 'referred') OR c.unread = 1 THEN 0 ELSE 1 END, c.id DESC");
        q.push(" LIMIT ")
            .bind_int(QUEUE_PAGE)
            .push(" OFFSET ")
            .bind_int((page - 1) * QUEUE_PAGE);
        let rows: Vec<ComplaintRow> = q.build_as().fetch_all(self.pool()).await?;
        Ok(ComplaintPage {
            rows,
            total,
            page,
            per_page: QUEUE_PAGE,
        })
    }

    /// Open complaints waiting in the actor's queue (0 for roles that do not handle them).
    pub async fn complaints_waiting(&self, actor: &Actor) -> Result<i64> {
        if decide(actor, Action::HandleComplaints, &actor.scope).is_err() {
            return Ok(0);
        }
        let mut q = Sql::new(
            "SELECT COUNT(*) FROM complaints c WHERE (c.status IN ('received', 'in_review', 'referred') OR c.unread = 1)",
        );
        q.scope("c.intake_region", &actor.scope);
        if actor.scope != Scope::National {
            q.push(" AND c.intake_region IS NOT NULL");
        }
        Ok(q.build_scalar().fetch_one(self.pool()).await?)
    }

    /// Where complaint `id` waits, if the actor may handle it (404 otherwise).
    async fn complaint_scope(&self, actor: &Actor, id: i64) -> Result<Scope> {
        let intake: Option<Option<String>> =
            sqlx::query_scalar("SELECT intake_region FROM complaints WHERE id = $1")
                .bind(id)
                .fetch_optional(self.pool())
                .await?;
        let scope = scope_of(intake.ok_or(StoreError::NotFound)?.as_deref());
        decide(actor, Action::HandleComplaints, &scope)?;
        Ok(scope)
    }

    /// Reads a complaint (audited). The first read by intake moves it from "received" to
    /// "in review", which the sender sees; the sender's unread information is marked read.
    pub async fn complaint(&self, actor: &Actor, id: i64) -> Result<ComplaintView> {
        let scope = self.complaint_scope(actor, id).await?;
        let allowed = self.allow(actor, Action::HandleComplaints, &scope)?;
        let mut w = self.write(allowed).await?;
        let now = w.now_ms();
        sqlx::query(
            "UPDATE complaints SET status = 'in_review', updated_at = $1 WHERE id = $2 AND status IN ('received', 'referred')",
        )
        .bind(now)
        .bind(id)
        .execute(&mut *w)
        .await?;
        sqlx::query("UPDATE complaints SET unread = 0 WHERE id = $1")
            .bind(id)
            .execute(&mut *w)
            .await?;
        w.audit(Event {
            action: AuditAction::ComplaintView,
            record_type: "complaint",
            record_id: id.to_string(),
            detail: String::new(),
        })
        .await?;
        w.commit().await?;
        let r: ViewRecord = sqlx::query_as(
            "SELECT c.id, c.received_at, c.received_on, c.region_code, r.name AS region_name, c.intake_region, \
             i.name AS intake_name, c.happened_on, c.at_risk, c.what_enc, c.contact_enc, c.suspect, c.status, \
             c.close_reason, c.case_id, k.code AS case_code, c.handled_by \
             FROM complaints c LEFT JOIN regions r ON r.code = c.region_code \
             LEFT JOIN regions i ON i.code = c.intake_region LEFT JOIN cases k ON k.id = c.case_id WHERE c.id = $1",
        )
        .bind(id)
        .fetch_one(self.pool())
        .await?;
        let k = self.keyring()?;
        let notes: Vec<(i64, String, i64)> = sqlx::query_as(
            "SELECT from_sender, body_enc, at FROM complaint_notes WHERE complaint_id = $1 ORDER BY id",
        )
        .bind(id)
        .fetch_all(self.pool())
        .await?;
        let files: Vec<(i64, String, i64)> = sqlx::query_as(
            "SELECT id, content_type, size FROM complaint_files WHERE complaint_id = $1 ORDER BY id",
        )
        .bind(id)
        .fetch_all(self.pool())
        .await?;
        // A case the actor may not see is named by nothing but the fact that there is one.
        let case_code = match (r.case_id, r.case_code) {
            (Some(c), Some(code)) => {
                let visible = self
                    .case_scope(CaseId(c))
                    .await
                    .is_ok_and(|s| decide(actor, Action::ViewCase, &s).is_ok());
                visible.then_some(code)
            }
            _ => None,
        };
        Ok(ComplaintView {
            id: r.id,
            received_at_ms: r.received_at,
            received_on: r.received_on,
            region_code: r.region_code,
            region_name: r.region_name,
            intake_region: r.intake_region,
            intake_name: r.intake_name,
            happened_on: r.happened_on,
            at_risk: r.at_risk,
            what: k.decrypt("complaints.what", &r.what_enc)?,
            contact: r
                .contact_enc
                .map(|c| k.decrypt("complaints.contact", &c))
                .transpose()?,
            suspect: r.suspect != 0,
            status: r.status,
            close_reason: r.close_reason,
            case_id: case_code.as_ref().and(r.case_id.map(CaseId)),
            case_code,
            handled_by: r.handled_by,
            notes: notes
                .into_iter()
                .map(|(from_sender, body, at)| {
                    Ok(ComplaintNote {
                        from_sender: from_sender != 0,
                        body: k.decrypt("complaint_notes.body", &body)?,
                        at_ms: at,
                    })
                })
                .collect::<Result<_>>()?,
            files: files
                .into_iter()
                .map(|(id, content_type, size)| ComplaintFile {
                    id,
                    content_type,
                    size,
                })
                .collect(),
        })
    }

    /// One file of a complaint: (type, bytes). Reading it is audited like the complaint.
    pub async fn complaint_file(
        &self,
        actor: &Actor,
        complaint: i64,
        file: i64,
    ) -> Result<(String, Vec<u8>)> {
        let scope = self.complaint_scope(actor, complaint).await?;
        let allowed = self.allow(actor, Action::HandleComplaints, &scope)?;
        let row: Option<(String, Vec<u8>)> = sqlx::query_as(
            "SELECT content_type, body FROM complaint_files WHERE id = $1 AND complaint_id = $2",
        )
        .bind(file)
        .bind(complaint)
        .fetch_optional(self.pool())
        .await?;
        let (kind, body) = row.ok_or(StoreError::NotFound)?;
        let bytes = self
            .keyring()?
            .decrypt_bytes("complaint_files.body", &body)?;
        let mut w = self.write(allowed).await?;
        w.audit(Event {
            action: AuditAction::ComplaintView,
            record_type: "complaint",
            record_id: complaint.to_string(),
            detail: format!("file={file}"),
        })
        .await?;
        w.commit().await?;
        Ok((kind, bytes))
    }

    /// An intake decision on an open complaint.
    pub async fn triage_complaint(&self, actor: &Actor, id: i64, t: &Triage) -> Result<()> {
        let scope = self.complaint_scope(actor, id).await?;
        let allowed = self.allow(actor, Action::HandleComplaints, &scope)?;
        let mut errs = Invalid::default();
        // What the decision sets: status, reason, queue region, case.
        let mut set: (ComplaintStatus, Option<String>, Option<String>, Option<i64>) =
            (ComplaintStatus::Closed, None, None, None);
        let detail;
        match t {
            Triage::Close(reason) => match CloseReason::parse(reason) {
                Some(r) => {
                    set.1 = Some(r.as_str().to_owned());
                    detail = format!("op=close reason={}", r.as_str());
                }
                None => {
                    errs.push("reason", "err.choice");
                    detail = String::new();
                }
            },
            Triage::Refer(region) => {
                let code = RegionCode::parse(region.trim())
                    .ok()
                    .filter(|c| matches!(c.level(), RegionLevel::Province | RegionLevel::Regency));
                match code {
                    Some(c) if self.region_exists(&c).await? => {
                        set.0 = ComplaintStatus::Referred;
                        set.2 = Some(c.as_str().to_owned());
                        detail = format!("op=refer to={}", c.as_str());
                    }
                    _ => {
                        errs.push("region", "err.region_not_found");
                        detail = String::new();
                    }
                }
            }
            Triage::Attach(code) => {
                let found: Option<(i64, Option<String>)> =
                    sqlx::query_as("SELECT id, region_code FROM cases WHERE code = $1")
                        .bind(code.trim().to_uppercase())
                        .fetch_optional(self.pool())
                        .await?;
                // A case outside the actor's scope is "not found", like one that is not.
                match found.filter(|(_, r)| {
                    decide(
                        actor,
                        Action::ViewCase,
                        &crate::core::access::scope_of(r.clone()),
                    )
                    .is_ok()
                }) {
                    Some((case, _)) => {
                        set.0 = ComplaintStatus::Attached;
                        set.3 = Some(case);
                        detail = format!("op=attach case={case}");
                    }
                    None => {
                        errs.push("case_code", "err.case_code_unknown");
                        detail = String::new();
                    }
                }
            }
        }
        if !errs.is_empty() {
            return Err(StoreError::Invalid(errs));
        }
        let mut w = self.write(allowed).await?;
        let now = w.now_ms();
        let (status, reason, intake, case) = set;
        let mut q = Sql::new("UPDATE complaints SET status = ");
        q.bind_text(status.as_str()).push(", close_reason = ");
        match reason {
            Some(r) => q.bind_text(r),
            None => q.push("NULL"),
        };
        q.push(", handled_by = ")
            .bind_text(&actor.username)
            .push(", updated_at = ")
            .bind_int(now);
        if let Some(i) = intake {
            q.push(", intake_region = ").bind_text(&i);
        }
        if let Some(c) = case {
            q.push(", case_id = ").bind_int(c);
        }
        // Only an open complaint is decided: two officers deciding at once, the second
        // finds it decided (the condition is checked on the row the update locks).
        q.push(" WHERE id = ")
            .bind_int(id)
            .push(" AND status IN ('received', 'in_review', 'referred')");
        if q.build().execute(&mut *w).await?.rows_affected() == 0 {
            return Err(StoreError::Conflict("conflict.complaint_decided"));
        }
        w.audit(Event {
            action: AuditAction::ComplaintTriage,
            record_type: "complaint",
            record_id: id.to_string(),
            detail,
        })
        .await?;
        w.commit().await?;
        Ok(())
    }

    /// A case was opened from the complaint (the case form prefilled from it).
    pub async fn complaint_opened_case(&self, actor: &Actor, id: i64, case: CaseId) -> Result<()> {
        let scope = self.complaint_scope(actor, id).await?;
        let allowed = self.allow(actor, Action::HandleComplaints, &scope)?;
        decide(actor, Action::ViewCase, &self.case_scope(case).await?)?;
        let mut w = self.write(allowed).await?;
        let now = w.now_ms();
        let n = sqlx::query(
            "UPDATE complaints SET status = 'case_opened', case_id = $1, handled_by = $2, updated_at = $3 \
             WHERE id = $4 AND status IN ('received', 'in_review', 'referred')",
        )
        .bind(case.0)
        .bind(actor.username.clone())
        .bind(now)
        .bind(id)
        .execute(&mut *w)
        .await?
        .rows_affected();
        if n == 0 {
            return Err(StoreError::Conflict("conflict.complaint_decided"));
        }
        w.audit(Event {
            action: AuditAction::ComplaintTriage,
            record_type: "complaint",
            record_id: id.to_string(),
            detail: format!("op=open_case case={case}"),
        })
        .await?;
        w.commit().await?;
        Ok(())
    }
}

/// Who is at risk, for pages (the strings are the domain's).
pub fn at_risk_codes() -> impl Iterator<Item = &'static str> {
    AtRisk::ALL.into_iter().map(AtRisk::as_str)
}

/// Reasons a complaint may be closed with.
pub fn close_reasons() -> impl Iterator<Item = &'static str> {
    CloseReason::ALL.into_iter().map(CloseReason::as_str)
}
