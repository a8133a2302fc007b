//! Cases and their victims. Identifying fields are encrypted before they reach SQL; NIK
//! and name search go through keyed blind indexes. Every read of a case is audited, and a
//! read that reveals identities is audited as such. Roles without identity rights get
//! codes and initials only.

pub(crate) mod parts;

use crate::core::access::IdentityAccess;
use crate::core::audit::{Event, append};
use crate::core::blind::{name_tokens, write_name_tokens};
use crate::core::crypto::Keyring;
use crate::core::ids::CaseId;
use crate::core::sql::{Arg, Sql};
use crate::regions::picklists::Picklists;
use crate::{Result, Store, StoreError};
use domain::case::{Day, NewCase, NewVictim};
use domain::nik::Sex;
use domain::{Action, Actor, Invalid, RegionCode, Scope, UnitId, decide};
use serde::Serialize;
use sqlx::{AnyConnection, Row};

#[derive(Debug, Clone, Serialize)]
pub struct VictimView {
    pub id: i64,
    pub initials: String,
    /// `None` unless the viewer may see identities.
    pub name: Option<String>,
    pub alias: Option<String>,
    pub nik: Option<String>,
    pub phone: Option<String>,
    pub sex: String,
    pub birth_date: Option<Day>,
    pub age_estimate: Option<i64>,
    pub is_child: bool,
    pub home_village: Option<String>,
    pub education: Option<String>,
    pub occupation: Option<String>,
    pub disability: Option<String>,
    pub migrant_status: Option<String>,
    pub citizenship: String,
    /// Message keys of NIK checks that warned when the victim was saved.
    pub nik_warnings: Vec<String>,
}

#[derive(Debug, Clone, Serialize)]
pub struct CaseView {
    pub id: CaseId,
    pub code: String,
    pub unit_id: UnitId,
    pub unit_name: String,
    pub region_code: Option<String>,
    pub channel: String,
    pub reported_on: Day,
    pub exploitation_from: Option<Day>,
    pub rescued_on: Option<Day>,
    pub chronology: Option<String>,
    pub trafficking_status: String,
    pub exploitation: Vec<String>,
    pub means_of_control: Vec<String>,
    pub sector: Option<String>,
    pub recruitment: Option<String>,
    pub recruiter_relationship: Option<String>,
    pub status: String,
    pub close_reason: Option<String>,
    pub version: i64,
    pub created_at_ms: i64,
    pub updated_at_ms: i64,
    pub identities_visible: bool,
    /// The viewer may reveal identities by breaking the glass (with a reason).
    pub can_break_glass: bool,
    /// Break-the-glass accesses, shown to the owning unit.
    pub grants: Vec<Grant>,
    pub route: Vec<crate::cases::parts::RouteEventView>,
    pub legal: crate::cases::parts::LegalView,
    pub consents: Vec<crate::cases::parts::ConsentView>,
    pub perpetrators: Vec<crate::perpetrators::PerpetratorLink>,
    pub victims: Vec<VictimView>,
}

impl CaseView {
    pub fn scope(&self) -> Scope {
        Scope::from_code(
            self.region_code
                .as_deref()
                .and_then(|c| RegionCode::parse(c).ok()),
        )
    }
}

#[derive(Debug, Clone, Serialize)]
pub struct CaseRow {
    pub id: CaseId,
    pub code: String,
    pub reported_on: Day,
    pub region_code: Option<String>,
    pub trafficking_status: String,
    pub status: String,
    pub victims: i64,
    pub initials: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum CaseSort {
    #[default]
    ReportedDesc,
    ReportedAsc,
    CodeAsc,
}

#[derive(Debug, Clone, Default)]
pub struct CaseFilter {
    pub region: Option<RegionCode>,
    pub from: Option<Day>,
    pub to: Option<Day>,
    pub exploitation: Option<String>,
    pub status: Option<String>,
    pub trafficking_status: Option<String>,
    pub channel: Option<String>,
    pub sex: Option<String>,
    /// Some(true): cases with a child victim; Some(false): with an adult victim.
    pub child: Option<bool>,
    /// Case code, NIK or name (the last two only for roles that see identities).
    pub q: String,
    pub sort: CaseSort,
    pub page: i64,
    pub per_page: i64,
}

/// One page of cases; `more` tells whether another page follows.
#[derive(Debug, Clone, Serialize)]
pub struct CasePage {
    pub rows: Vec<CaseRow>,
    pub more: bool,
}

fn sex_str(s: Sex) -> &'static str {
    match s {
        Sex::Female => "female",
        Sex::Male => "male",
    }
}

/// The regency (`PP.KK`) a region lies in, if it is at regency level or below.
fn regency_of(r: &RegionCode) -> Option<String> {
    (r.level() >= domain::RegionLevel::Regency).then(|| r.as_str()[..5].to_owned())
}

impl Store {
    pub fn keyring(&self) -> Result<&Keyring> {
        self.keyring
            .as_deref()
            .ok_or_else(|| StoreError::Config("no encryption key loaded".into()))
    }

    /// Checks every picklist code and region reference of a case, naming each bad field.
    async fn check_references(&self, new: &NewCase, p: &Picklists) -> Result<()> {
        let mut errs = Invalid::default();
        let c = &new.choices;
        let one = |errs: &mut Invalid, list: &str, field: &str, v: Option<&String>| {
            if let Some(v) = v
                && !p.has(list, v)
            {
                errs.push(field, "err.choice");
            }
        };
        one(&mut errs, "channel", "channel", Some(&c.channel));
        one(
            &mut errs,
            "trafficking_status",
            "trafficking_status",
            Some(&c.trafficking_status),
        );
        for e in &c.exploitation {
            one(&mut errs, "exploitation", "exploitation", Some(e));
        }
        for m in &c.means_of_control {
            one(&mut errs, "means_of_control", "means_of_control", Some(m));
        }
        one(&mut errs, "sector", "sector", c.sector.as_ref());
        one(
            &mut errs,
            "recruitment",
            "recruitment",
            c.recruitment.as_ref(),
        );
        one(
            &mut errs,
            "recruiter_relationship",
            "recruiter_relationship",
            c.recruiter_relationship.as_ref(),
        );
        for (i, v) in new.victims.iter().enumerate() {
            one(
                &mut errs,
                "education",
                &format!("victims[{i}].education"),
                v.education.as_ref(),
            );
            one(
                &mut errs,
                "disability",
                &format!("victims[{i}].disability"),
                v.disability.as_ref(),
            );
            one(
                &mut errs,
                "migrant_status",
                &format!("victims[{i}].migrant_status"),
                v.migrant_status.as_ref(),
            );
            one(
                &mut errs,
                "citizenship",
                &format!("victims[{i}].citizenship"),
                Some(&v.citizenship),
            );
            if let Some(code) = &v.home_village
                && !self.region_exists(code).await?
            {
                errs.push(&format!("victims[{i}].home_village"), "err.region_unknown");
            }
            if let Some(d) = v.nik.as_ref().and_then(|n| n.district())
                && !self.region_exists(&d).await?
            {
                errs.push(&format!("victims[{i}].nik"), "err.nik_district");
            }
        }
        errs.dedup();
        Ok(errs.into_result(())?)
    }

    async fn next_code(
        conn: &mut AnyConnection,
        region: Option<&RegionCode>,
        year: i64,
    ) -> Result<String> {
        let place = region
            .map(|r| r.as_str().to_owned())
            .unwrap_or_else(|| "NAS".into());
        let prefix = format!("TPPO-{place}-{year}");
        let n: i64 = sqlx::query_scalar(
            "INSERT INTO case_counters (prefix, next) VALUES ($1, 1) \
             ON CONFLICT (prefix) DO UPDATE SET next = case_counters.next + 1 RETURNING next",
        )
        .bind(prefix.clone())
        .fetch_one(&mut *conn)
        .await?;
        Ok(format!("{prefix}-{n:05}"))
    }

    async fn write_victim(
        &self,
        conn: &mut AnyConnection,
        case_id: i64,
        position: i64,
        existing: Option<i64>,
        v: &NewVictim,
        is_child: bool,
    ) -> Result<i64> {
        let k = self.keyring()?;
        let name_enc = k.encrypt("victims.name", v.name.expose())?;
        let alias_enc = k.encrypt_opt(
            "victims.alias",
            v.alias.as_ref().map(|a| a.expose().as_str()),
        )?;
        let nik_enc = k.encrypt_opt("victims.nik", v.nik.as_ref().map(|n| n.as_str()))?;
        let nik_index = v.nik.as_ref().map(|n| k.blind_index("nik", n.as_str()));
        let phone_enc = k.encrypt_opt(
            "victims.phone",
            v.phone.as_ref().map(|p| p.expose().as_str()),
        )?;
        let warnings = v
            .warnings
            .iter()
            .map(|w| w.key())
            .collect::<Vec<_>>()
            .join(",");
        let q = match existing {
            None => sqlx::query(
                "INSERT INTO victims (case_id, position, name_enc, alias_enc, nik_enc, nik_index, phone_enc, initials, sex, birth_date, \
                                  age_estimate, is_child, home_village, education, occupation, disability, migrant_status, nik_warnings, citizenship) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19) RETURNING id",
            ),
            Some(_) => sqlx::query(
                "UPDATE victims SET case_id = $1, position = $2, name_enc = $3, alias_enc = $4, nik_enc = $5, nik_index = $6, \
                 phone_enc = $7, initials = $8, sex = $9, birth_date = $10, age_estimate = $11, is_child = $12, home_village = $13, \
                 education = $14, occupation = $15, disability = $16, migrant_status = $17, nik_warnings = $18, citizenship = $19 \
                 WHERE id = $20 RETURNING id",
            ),
        };
        let q = q
            .bind(case_id)
            .bind(position)
            .bind(name_enc)
            .bind(alias_enc)
            .bind(nik_enc)
            .bind(nik_index)
            .bind(phone_enc)
            .bind(v.initials())
            .bind(sex_str(v.sex))
            .bind(v.birth_date)
            .bind(v.age_estimate)
            .bind(is_child as i64)
            .bind(v.home_village.as_ref().map(|c| c.as_str().to_owned()))
            .bind(v.education.clone())
            .bind(v.occupation.clone())
            .bind(v.disability.clone())
            .bind(v.migrant_status.clone())
            .bind(warnings)
            .bind(v.citizenship.clone());
        let q = match existing {
            Some(id) => q.bind(id),
            None => q,
        };
        let id: i64 = q.fetch_one(&mut *conn).await?.try_get("id")?;
        write_name_tokens(
            conn,
            k,
            id,
            v.name.expose(),
            v.alias.as_ref().map(|a| a.expose().as_str()),
        )
        .await?;
        // Blocking keys for the duplicate check, in the same transaction.
        let region: Option<String> =
            sqlx::query_scalar("SELECT region_code FROM cases WHERE id = $1")
                .bind(case_id)
                .fetch_one(&mut *conn)
                .await?;
        let rec = linkage::Record {
            id: id as u64,
            name: Some(v.name.expose().clone()),
            nik: v.nik.as_ref().map(|n| n.as_str().to_owned()),
            sex: crate::linkage::sex_of(sex_str(v.sex)),
            birth: crate::linkage::date_of(v.birth_date),
            region: crate::linkage::record_region(
                v.home_village.as_ref().map(|c| c.as_str()),
                region.as_deref(),
            ),
            ..Default::default()
        };
        self.write_linkage_keys(conn, &rec).await?;
        Ok(id)
    }

    async fn write_tags(conn: &mut AnyConnection, case_id: i64, new: &NewCase) -> Result<()> {
        sqlx::query("DELETE FROM case_tags WHERE case_id = $1")
            .bind(case_id)
            .execute(&mut *conn)
            .await?;
        let mut tags: Vec<(&str, &String)> = new
            .choices
            .exploitation
            .iter()
            .map(|c| ("exploitation", c))
            .collect();
        tags.extend(
            new.choices
                .means_of_control
                .iter()
                .map(|c| ("means_of_control", c)),
        );
        if !tags.is_empty() {
            let mut q = Sql::new("INSERT INTO case_tags (case_id, list, code) VALUES ");
            for (i, (list, code)) in tags.iter().enumerate() {
                if i > 0 {
                    q.push(", ");
                }
                q.push("(")
                    .bind_int(case_id)
                    .push(", ")
                    .bind_text(*list)
                    .push(", ")
                    .bind_text(code.as_str())
                    .push(")");
            }
            q.push(" ON CONFLICT DO NOTHING");
            q.build().execute(&mut *conn).await?;
        }
        Ok(())
    }

    /// Registers a case for the actor's unit. Returns its id and readable code.
    pub async fn create_case(&self, actor: &Actor, new: &NewCase) -> Result<(CaseId, String)> {
        decide(actor, Action::EditCase, &actor.scope)?;
        let p = self.picklists().await?;
        self.check_references(new, &p).await?;
        let k = self.keyring()?;
        let chronology = k.encrypt_opt(
            "cases.chronology",
            new.chronology.as_ref().map(|c| c.expose().as_str()),
        )?;
        let now = crate::now_ms();
        let year = domain::time::civil_from_days(now / 86_400_000).0;
        let mut tx = self.begin_write().await?;
        let code = Self::next_code(&mut tx, actor.scope.region(), year).await?;
        let c = &new.choices;
        let id: i64 = sqlx::query_scalar(
            "INSERT INTO cases (code, unit_id, region_code, channel, reported_on, exploitation_from, rescued_on, chronology_enc, \
             trafficking_status, sector, recruitment, recruiter_relationship, status, version, created_by, created_at, updated_at, \
             province_code, regency_code) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, 'open', 1, $13, $14, $14, $15, $16) RETURNING id",
        )
        .bind(code.clone())
        .bind(actor.unit_id.0)
        .bind(actor.scope.region().map(|r| r.as_str().to_owned()))
        .bind(c.channel.clone())
        .bind(new.reported_on)
        .bind(new.exploitation_from)
        .bind(new.rescued_on)
        .bind(chronology)
        .bind(c.trafficking_status.clone())
        .bind(c.sector.clone())
        .bind(c.recruitment.clone())
        .bind(c.recruiter_relationship.clone())
        .bind(actor.user_id.map(|u| u.0))
        .bind(now)
        .bind(actor.scope.region().map(|r| r.province().as_str().to_owned()))
        .bind(actor.scope.region().and_then(regency_of))
        .fetch_one(&mut *tx)
        .await?;
        Self::write_tags(&mut tx, id, new).await?;
        for (i, v) in new.victims.iter().enumerate() {
            let child = v.is_child(new.exploitation_from, new.reported_on);
            self.write_victim(&mut tx, id, i as i64, None, v, child)
                .await?;
        }
        let ev = Event {
            action: "case.create",
            record_type: "case",
            record_id: id.to_string(),
            detail: format!("code={code} victims={}", new.victims.len()),
        };
        append(&mut tx, actor, ev).await?;
        tx.commit().await?;
        self.after_case_saved(CaseId(id)).await?;
        Ok((CaseId(id), code))
    }

    /// Changes a case if nobody else changed it since `expected_version` was read.
    pub async fn update_case(
        &self,
        actor: &Actor,
        id: CaseId,
        expected_version: i64,
        new: &NewCase,
    ) -> Result<i64> {
        let scope = self.case_scope(id).await?;
        decide(actor, Action::ViewCase, &scope)?;
        decide(actor, Action::EditCase, &scope)?;
        // Editing rewrites identities, so the editor must be able to see them.
        let owner: i64 = sqlx::query_scalar("SELECT unit_id FROM cases WHERE id = $1")
            .bind(id.0)
            .fetch_one(self.pool())
            .await?;
        if self
            .identity_access(actor, id, UnitId(owner), &scope)
            .await?
            != IdentityAccess::Granted
        {
            return Err(StoreError::Forbidden);
        }
        self.check_editable(id).await?;
        let p = self.picklists().await?;
        self.check_references(new, &p).await?;
        let k = self.keyring()?;
        let chronology = k.encrypt_opt(
            "cases.chronology",
            new.chronology.as_ref().map(|c| c.expose().as_str()),
        )?;
        let c = &new.choices;
        let mut tx = self.begin_write().await?;
        let res = sqlx::query(
            "UPDATE cases SET channel = $1, reported_on = $2, exploitation_from = $3, rescued_on = $4, chronology_enc = $5, \
             trafficking_status = $6, sector = $7, recruitment = $8, recruiter_relationship = $9, version = version + 1, \
             updated_at = $10 WHERE id = $11 AND version = $12 AND review_state IN ('draft', 'returned')",
        )
        .bind(c.channel.clone())
        .bind(new.reported_on)
        .bind(new.exploitation_from)
        .bind(new.rescued_on)
        .bind(chronology)
        .bind(c.trafficking_status.clone())
        .bind(c.sector.clone())
        .bind(c.recruitment.clone())
        .bind(c.recruiter_relationship.clone())
        .bind(crate::now_ms())
        .bind(id.0)
        .bind(expected_version)
        .execute(&mut *tx)
        .await?;
        if res.rows_affected() == 0 {
            return Err(StoreError::Conflict("conflict.case_changed"));
        }
        Self::write_tags(&mut tx, id.0, new).await?;
        let existing: Vec<i64> =
            sqlx::query_scalar("SELECT id FROM victims WHERE case_id = $1 ORDER BY position")
                .bind(id.0)
                .fetch_all(&mut *tx)
                .await?;
        for (i, v) in new.victims.iter().enumerate() {
            let child = v.is_child(new.exploitation_from, new.reported_on);
            self.write_victim(&mut tx, id.0, i as i64, existing.get(i).copied(), v, child)
                .await?;
        }
        let mut relinked = Vec::new();
        for gone in existing.iter().skip(new.victims.len()) {
            // Records linked to this one as the same person are linked again without it.
            let linked: Vec<i64> = sqlx::query_scalar(
                "SELECT o.id FROM victims o JOIN victims g ON g.person_id = o.person_id WHERE g.id = $1 AND o.id <> $1",
            )
            .bind(*gone)
            .fetch_all(&mut *tx)
            .await?;
            relinked.extend(linked);
            sqlx::query("DELETE FROM victims WHERE id = $1")
                .bind(*gone)
                .execute(&mut *tx)
                .await?;
        }
        if !relinked.is_empty() {
            crate::linkage::relink(&mut tx, relinked).await?;
        }
        let version = expected_version + 1;
        let ev = Event {
            action: "case.update",
            record_type: "case",
            record_id: id.to_string(),
            detail: format!("version={version}"),
        };
        append(&mut tx, actor, ev).await?;
        tx.commit().await?;
        self.after_case_saved(id).await?;
        Ok(version)
    }

    pub(crate) async fn case_scope(&self, id: CaseId) -> Result<Scope> {
        let region: Option<Option<String>> =
            sqlx::query_scalar("SELECT region_code FROM cases WHERE id = $1")
                .bind(id.0)
                .fetch_optional(self.pool())
                .await?;
        let region = region.ok_or(StoreError::NotFound)?;
        Ok(Scope::from_code(
            region.as_deref().and_then(|c| RegionCode::parse(c).ok()),
        ))
    }

    /// One case. Identities are decrypted only for roles that may see them, and that
    /// reveal is audited separately from the plain view.
    pub async fn case(&self, actor: &Actor, id: CaseId) -> Result<CaseView> {
        let scope = self.case_scope(id).await?;
        decide(actor, Action::ViewCase, &scope)?;
        let r = sqlx::query(
            "SELECT c.*, n.name AS unit_name FROM cases c JOIN units n ON n.id = c.unit_id WHERE c.id = $1",
        )
        .bind(id.0)
        .fetch_one(self.pool())
        .await?;
        let owner = UnitId(r.try_get("unit_id")?);
        let access = self.identity_access(actor, id, owner, &scope).await?;
        let identities = access == IdentityAccess::Granted;
        let mut view = self.load_view(id, r, identities).await?;
        view.can_break_glass = access == IdentityAccess::BreakGlass;
        if actor.unit_id == owner {
            view.grants = self.grants(id).await?;
        }
        let (action, detail) = if identities {
            (
                "case.identity_view",
                format!(
                    "victims={}",
                    view.victims
                        .iter()
                        .map(|v| v.id.to_string())
                        .collect::<Vec<_>>()
                        .join(",")
                ),
            )
        } else {
            ("case.view", String::new())
        };
        self.audit(
            actor,
            Event {
                action,
                record_type: "case",
                record_id: id.to_string(),
                detail,
            },
        )
        .await?;
        Ok(view)
    }

    /// The case as stored, identities decrypted when `identities` (no access check, no audit:
    /// callers decide and audit).
    pub(crate) async fn load_view(
        &self,
        id: CaseId,
        r: sqlx::any::AnyRow,
        identities: bool,
    ) -> Result<CaseView> {
        let tags =
            sqlx::query("SELECT list, code FROM case_tags WHERE case_id = $1 ORDER BY list, code")
                .bind(id.0)
                .fetch_all(self.pool())
                .await?;
        let mut exploitation = Vec::new();
        let mut means = Vec::new();
        for t in tags {
            let list: String = t.try_get("list")?;
            let code: String = t.try_get("code")?;
            if list == "exploitation" {
                exploitation.push(code)
            } else {
                means.push(code)
            }
        }
        let k = if identities {
            Some(self.keyring()?)
        } else {
            None
        };
        let dec = |col: &str, v: Option<String>| -> Result<Option<String>> {
            match (k, v) {
                (Some(k), Some(v)) => Ok(Some(k.decrypt(col, &v)?)),
                _ => Ok(None),
            }
        };
        let mut victims = Vec::new();
        for v in sqlx::query("SELECT * FROM victims WHERE case_id = $1 ORDER BY position")
            .bind(id.0)
            .fetch_all(self.pool())
            .await?
        {
            let warnings: String = v.try_get("nik_warnings")?;
            victims.push(VictimView {
                id: v.try_get("id")?,
                initials: v.try_get("initials")?,
                name: dec("victims.name", v.try_get("name_enc")?)?,
                alias: dec("victims.alias", v.try_get("alias_enc")?)?,
                nik: dec("victims.nik", v.try_get("nik_enc")?)?,
                phone: dec("victims.phone", v.try_get("phone_enc")?)?,
                sex: v.try_get("sex")?,
                birth_date: v.try_get("birth_date")?,
                age_estimate: v.try_get("age_estimate")?,
                is_child: v.try_get::<i64, _>("is_child")? != 0,
                home_village: v.try_get("home_village")?,
                education: v.try_get("education")?,
                occupation: v.try_get("occupation")?,
                disability: v.try_get("disability")?,
                migrant_status: v.try_get("migrant_status")?,
                citizenship: v.try_get("citizenship")?,
                nik_warnings: warnings
                    .split(',')
                    .filter(|s| !s.is_empty())
                    .map(str::to_owned)
                    .collect(),
            });
        }
        Ok(CaseView {
            id,
            code: r.try_get("code")?,
            unit_id: UnitId(r.try_get("unit_id")?),
            unit_name: r.try_get("unit_name")?,
            region_code: r.try_get("region_code")?,
            channel: r.try_get("channel")?,
            reported_on: r.try_get("reported_on")?,
            exploitation_from: r.try_get("exploitation_from")?,
            rescued_on: r.try_get("rescued_on")?,
            chronology: dec("cases.chronology", r.try_get("chronology_enc")?)?,
            trafficking_status: r.try_get("trafficking_status")?,
            exploitation,
            means_of_control: means,
            sector: r.try_get("sector")?,
            recruitment: r.try_get("recruitment")?,
            recruiter_relationship: r.try_get("recruiter_relationship")?,
            status: r.try_get("status")?,
            close_reason: r.try_get("close_reason")?,
            version: r.try_get("version")?,
            created_at_ms: r.try_get("created_at")?,
            updated_at_ms: r.try_get("updated_at")?,
            identities_visible: identities,
            can_break_glass: false,
            grants: Vec::new(),
            route: self.route_events(id).await?,
            legal: self.legal(id).await?,
            consents: self.consents(id).await?,
            perpetrators: self.case_perpetrators(id, identities).await?,
            victims,
        })
    }

    /// Cases in the actor's scope, filtered, sorted and paged.
    pub async fn list_cases(&self, actor: &Actor, f: &CaseFilter) -> Result<CasePage> {
        decide(actor, Action::ViewCase, &actor.scope)?;
        let identities = decide(actor, Action::ViewIdentity, &actor.scope).is_ok();
        let mut q = Sql::new(
            "SELECT c.id, c.code, c.reported_on, c.region_code, c.trafficking_status, c.status, \
             (SELECT COUNT(*) FROM victims v WHERE v.case_id = c.id) AS victims \
             FROM cases c WHERE 1=1",
        );
        // One region condition: the narrower of the actor's scope and the filter. Province and
        // regency use their own indexed columns, so "newest first" walks an index in order.
        let region = match (&actor.scope, &f.region) {
            (Scope::National, r) => r.clone(),
            (Scope::Region(s), None) => Some(s.clone()),
            (Scope::Region(s), Some(r)) if s.contains(r) => Some(r.clone()),
            (Scope::Region(s), Some(r)) if r.contains(s) => Some(s.clone()),
            _ => {
                return Ok(CasePage {
                    rows: Vec::new(),
                    more: false,
                });
            }
        };
        if let Some(r) = &region {
            match r.level() {
                domain::RegionLevel::Province => {
                    q.push(" AND c.province_code = ").bind_text(r.as_str());
                }
                domain::RegionLevel::Regency => {
                    q.push(" AND c.regency_code = ").bind_text(r.as_str());
                }
                _ => {
                    q.scope("c.region_code", &Scope::Region(r.clone()));
                }
            }
        }
        if let Some(d) = f.from {
            q.push(" AND c.reported_on >= ").bind_int(d);
        }
        if let Some(d) = f.to {
            q.push(" AND c.reported_on <= ").bind_int(d);
        }
        for (col, v) in [
            ("c.status", &f.status),
            ("c.trafficking_status", &f.trafficking_status),
            ("c.channel", &f.channel),
        ] {
            if let Some(v) = v {
                q.push(" AND ").push(col).push(" = ").bind_text(v.clone());
            }
        }
        if let Some(e) = &f.exploitation {
            q.push(" AND EXISTS (SELECT 1 FROM case_tags t WHERE t.case_id = c.id AND t.list = 'exploitation' AND t.code = ")
                .bind_text(e.clone())
                .push(")");
        }
        if f.sex.is_some() || f.child.is_some() {
            q.push(" AND EXISTS (SELECT 1 FROM victims v WHERE v.case_id = c.id");
            if let Some(s) = &f.sex {
                q.push(" AND v.sex = ").bind_text(s.clone());
            }
            if let Some(child) = f.child {
                q.push(" AND v.is_child = ").bind_int(child as i64);
            }
            q.push(")");
        }
        let needle = f.q.trim();
        let mut search_kind = "";
        if !needle.is_empty() {
            if needle.to_uppercase().starts_with("TPPO-") {
                search_kind = "code";
                let up = needle.to_uppercase();
                q.push(" AND c.code >= ")
                    .bind_text(up.clone())
                    .push(" AND c.code < ")
                    .bind_text(format!("{up}~"));
            } else if !identities {
                // Searching by NIK or name would reveal who is a victim: identity roles only.
                return Ok(CasePage {
                    rows: Vec::new(),
                    more: false,
                });
            } else if let Some(nik) = domain::nik::Nik::parse(needle) {
                search_kind = "nik";
                let idx = self.keyring()?.blind_indexes("nik", nik.as_str());
                q.push(" AND EXISTS (SELECT 1 FROM victims v WHERE v.case_id = c.id AND v.nik_index IN (");
                for (i, x) in idx.iter().enumerate() {
                    if i > 0 {
                        q.push(", ");
                    }
                    q.bind_text(x.clone());
                }
                q.push("))");
            } else {
                search_kind = "name";
                let k = self.keyring()?;
                let tokens = name_tokens(needle);
                if tokens.is_empty() {
                    return Ok(CasePage {
                        rows: Vec::new(),
                        more: false,
                    });
                }
                q.push(" AND EXISTS (SELECT 1 FROM victims v WHERE v.case_id = c.id");
                for t in tokens {
                    q.push(" AND EXISTS (SELECT 1 FROM victim_name_tokens nt WHERE nt.victim_id = v.id AND nt.token IN (");
                    for (i, x) in k.blind_indexes("name", &t).iter().enumerate() {
                        if i > 0 {
                            q.push(", ");
                        }
                        q.bind_text(x.clone());
                    }
                    q.push("))");
                }
                q.push(")");
            }
        }
        q.push(match f.sort {
            CaseSort::ReportedDesc => " ORDER BY c.reported_on DESC, c.id DESC",
            CaseSort::ReportedAsc => " ORDER BY c.reported_on, c.id",
            CaseSort::CodeAsc => " ORDER BY c.code",
        });
        let per_page = f.per_page.clamp(1, 200);
        q.push(" LIMIT ").bind(Arg::Int(Some(per_page + 1)));
        q.push(" OFFSET ")
            .bind(Arg::Int(Some(f.page.max(0) * per_page)));
        let rows = q.build().fetch_all(self.pool()).await?;
        let more = rows.len() as i64 > per_page;
        let mut out = Vec::new();
        for r in rows.iter().take(per_page as usize) {
            out.push(CaseRow {
                id: CaseId(r.try_get("id")?),
                code: r.try_get("code")?,
                reported_on: r.try_get("reported_on")?,
                region_code: r.try_get("region_code")?,
                trafficking_status: r.try_get("trafficking_status")?,
                status: r.try_get("status")?,
                victims: r.try_get("victims")?,
                initials: String::new(),
            });
        }
        // Initials for the page in one query.
        if !out.is_empty() {
            let mut iq = Sql::new("SELECT case_id, initials FROM victims WHERE case_id IN (");
            for (i, r) in out.iter().enumerate() {
                if i > 0 {
                    iq.push(",");
                }
                iq.bind_int(r.id.0);
            }
            iq.push(") ORDER BY case_id, position");
            for v in iq.build().fetch_all(self.pool()).await? {
                let cid: i64 = v.try_get("case_id")?;
                let ini: String = v.try_get("initials")?;
                if let Some(row) = out.iter_mut().find(|r| r.id.0 == cid) {
                    if !row.initials.is_empty() {
                        row.initials.push_str(", ");
                    }
                    row.initials.push_str(&ini);
                }
            }
        }
        if !search_kind.is_empty() {
            // What was searched for is personal data: record the kind of search, never the value.
            let ev = Event {
                action: "case.search",
                record_type: "case",
                record_id: String::new(),
                detail: format!("by={search_kind} hits={}", out.len()),
            };
            self.audit(actor, ev).await?;
        }
        Ok(CasePage { rows: out, more })
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn name_tokens_normalise() {
        assert_eq!(
            super::name_tokens("Siti  AMINAH-binti Umar"),
            ["aminah", "binti", "siti", "umar"]
        );
    }
}

/// One entry of a case's history, from the audit trail.
#[derive(Debug, Clone, Serialize)]
pub struct CaseEvent {
    pub at_ms: i64,
    pub actor_username: String,
    pub action: String,
    pub detail: String,
}

impl Store {
    /// The case's history (creation, edits, views), newest first, for its timeline.
    pub async fn case_history(&self, actor: &Actor, id: CaseId) -> Result<Vec<CaseEvent>> {
        let scope = self.case_scope(id).await?;
        decide(actor, Action::ViewCase, &scope)?;
        let rows = sqlx::query(
            "SELECT at, actor_username, action, detail FROM audit_log WHERE record_type = 'case' AND record_id = $1 \
             AND action NOT IN ('case.view', 'case.identity_view', 'case.search', 'plan.view', 'plan.identity_view', 'referral.view', 'referral.identity_view', 'service.evidence_view') ORDER BY seq DESC LIMIT 200",
        )
        .bind(id.0.to_string())
        .fetch_all(self.pool())
        .await?;
        rows.iter()
            .map(|r| {
                Ok(CaseEvent {
                    at_ms: r.try_get("at")?,
                    actor_username: r.try_get("actor_username")?,
                    action: r.try_get("action")?,
                    detail: r.try_get("detail")?,
                })
            })
            .collect()
    }
}

impl Store {
    /// Checks that the actor may do `action` on the case (404 when it is out of sight),
    /// without reading or auditing it: handlers call this before looking at a request body,
    /// so a bad body never reveals whether a case exists.
    pub async fn case_access(&self, actor: &Actor, id: CaseId, action: Action) -> Result<()> {
        let scope = self.case_scope(id).await?;
        decide(actor, Action::ViewCase, &scope)?;
        Ok(decide(actor, action, &scope)?)
    }
}

impl Store {
    /// Inserts many already-validated cases at once (the synthetic generator and, later,
    /// imports): one transaction per call and one audit entry for the batch. Each case is
    /// registered to the given unit and region, which the actor must be allowed to edit.
    pub async fn import_cases(
        &self,
        actor: &Actor,
        batch: &[(UnitId, Option<RegionCode>, NewCase)],
    ) -> Result<Vec<CaseId>> {
        for (_, region, _) in batch {
            decide(actor, Action::EditCase, &Scope::from_code(region.clone()))?;
        }
        let k = self.keyring()?;
        let now = crate::now_ms();
        let year = domain::time::civil_from_days(now / 86_400_000).0;
        let mut ids = Vec::with_capacity(batch.len());
        let mut tx = self.begin_write().await?;
        for (unit, region, new) in batch {
            let code = Self::next_code(&mut tx, region.as_ref(), year).await?;
            let c = &new.choices;
            let chronology = k.encrypt_opt(
                "cases.chronology",
                new.chronology.as_ref().map(|c| c.expose().as_str()),
            )?;
            let id: i64 = sqlx::query_scalar(
                "INSERT INTO cases (code, unit_id, region_code, channel, reported_on, exploitation_from, rescued_on, chronology_enc, \
                 trafficking_status, sector, recruitment, recruiter_relationship, status, version, created_by, created_at, updated_at, \
                 province_code, regency_code) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, 'open', 1, $13, $14, $14, $15, $16) RETURNING id",
            )
            .bind(code)
            .bind(unit.0)
            .bind(region.as_ref().map(|r| r.as_str().to_owned()))
            .bind(c.channel.clone())
            .bind(new.reported_on)
            .bind(new.exploitation_from)
            .bind(new.rescued_on)
            .bind(chronology)
            .bind(c.trafficking_status.clone())
            .bind(c.sector.clone())
            .bind(c.recruitment.clone())
            .bind(c.recruiter_relationship.clone())
            .bind(actor.user_id.map(|u| u.0))
            .bind(now)
            .bind(region.as_ref().map(|r| r.province().as_str().to_owned()))
            .bind(region.as_ref().and_then(regency_of))
            .fetch_one(&mut *tx)
            .await?;
            ids.push(CaseId(id));
            Self::write_tags(&mut tx, id, new).await?;
            for (i, v) in new.victims.iter().enumerate() {
                let child = v.is_child(new.exploitation_from, new.reported_on);
                self.write_victim(&mut tx, id, i as i64, None, v, child)
                    .await?;
            }
        }
        let ev = Event {
            action: "case.import",
            record_type: "case",
            record_id: String::new(),
            detail: format!("count={}", batch.len()),
        };
        append(&mut tx, actor, ev).await?;
        tx.commit().await?;
        Ok(ids)
    }

    /// Village codes inside a region (for the synthetic data generator).
    pub async fn village_codes(&self, within: &RegionCode) -> Result<Vec<String>> {
        let (lo, hi) = within.subtree_bounds();
        Ok(sqlx::query_scalar(
            "SELECT code FROM regions WHERE code >= $1 AND code < $2 AND level = 4 ORDER BY code",
        )
        .bind(lo)
        .bind(hi)
        .fetch_all(self.pool())
        .await?)
    }

    /// Number of cases in the database (for the generator's report).
    pub async fn count_victims(&self) -> Result<i64> {
        Ok(sqlx::query_scalar("SELECT COUNT(*) FROM victims")
            .fetch_one(self.pool())
            .await?)
    }

    pub async fn count_cases(&self) -> Result<i64> {
        Ok(sqlx::query_scalar("SELECT COUNT(*) FROM cases")
            .fetch_one(self.pool())
            .await?)
    }
}

#[derive(Debug, Clone, Serialize)]
pub struct Grant {
    pub username: String,
    pub unit_name: String,
    pub reason: String,
    pub granted_at_ms: i64,
    pub expires_at_ms: i64,
}

/// How long a break-the-glass access lasts.
pub const GRANT_HOURS: i64 = 8;

impl Store {
    async fn grants(&self, id: CaseId) -> Result<Vec<Grant>> {
        let rows = sqlx::query(
            "SELECT username, unit_name, reason, granted_at, expires_at FROM identity_grants WHERE case_id = $1 ORDER BY id DESC",
        )
        .bind(id.0)
        .fetch_all(self.pool())
        .await?;
        rows.iter()
            .map(|r| {
                Ok(Grant {
                    username: r.try_get("username")?,
                    unit_name: r.try_get("unit_name")?,
                    reason: r.try_get("reason")?,
                    granted_at_ms: r.try_get("granted_at")?,
                    expires_at_ms: r.try_get("expires_at")?,
                })
            })
            .collect()
    }

    /// Breaks the glass: opens the case's identities to the actor for [`GRANT_HOURS`].
    pub async fn break_glass(&self, actor: &Actor, id: CaseId, reason: &str) -> Result<()> {
        let scope = self.case_scope(id).await?;
        decide(actor, Action::ViewCase, &scope)?;
        let owner: i64 = sqlx::query_scalar("SELECT unit_id FROM cases WHERE id = $1")
            .bind(id.0)
            .fetch_one(self.pool())
            .await?;
        match self
            .identity_access(actor, id, UnitId(owner), &scope)
            .await?
        {
            IdentityAccess::Never => return Err(StoreError::Forbidden),
            IdentityAccess::Granted => return Ok(()),
            IdentityAccess::BreakGlass => {}
        }
        let user = actor.user_id.ok_or(StoreError::Forbidden)?;
        let reason = reason.trim();
        if reason.chars().count() < 15 {
            return Err(Invalid::one("reason", "err.reason_short").into());
        }
        if reason.chars().count() > 1000 {
            return Err(Invalid::one("reason", "err.too_long").into());
        }
        let unit_name: String = sqlx::query_scalar("SELECT name FROM units WHERE id = $1")
            .bind(actor.unit_id.0)
            .fetch_one(self.pool())
            .await?;
        let now = crate::now_ms();
        let mut tx = self.begin_write().await?;
        let grant: i64 = sqlx::query_scalar(
            "INSERT INTO identity_grants (case_id, user_id, username, unit_name, reason, granted_at, expires_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING id",
        )
        .bind(id.0)
        .bind(user.0)
        .bind(actor.username.clone())
        .bind(unit_name)
        .bind(reason.to_owned())
        .bind(now)
        .bind(now + GRANT_HOURS * 3_600_000)
        .fetch_one(&mut *tx)
        .await?;
        let ev = Event {
            action: "case.break_glass",
            record_type: "case",
            record_id: id.to_string(),
            detail: format!("grant={grant} hours={GRANT_HOURS}"),
        };
        append(&mut tx, actor, ev).await?;
        tx.commit().await?;
        Ok(())
    }
}

/// A victim already on record who may be the person being entered.
#[derive(Debug, Clone, Serialize)]
pub struct SimilarVictim {
    pub case_id: CaseId,
    pub code: String,
    pub initials: String,
    /// "nik" (same NIK) or "name_birth" (same name words and birth date) or "name".
    pub reason: &'static str,
}

impl Store {
    /// "Search before create": victims in the actor's scope with the same NIK, or the same
    /// name words (and the same birth date when one is given). Identity roles only; the
    /// answer carries case codes and initials, nothing more.
    pub async fn similar_victims(
        &self,
        actor: &Actor,
        nik: Option<&str>,
        name: &str,
        birth_date: Option<Day>,
    ) -> Result<Vec<SimilarVictim>> {
        decide(actor, Action::ViewIdentity, &actor.scope)?;
        let k = self.keyring()?;
        let mut out: Vec<SimilarVictim> = Vec::new();
        let base = "SELECT v.case_id, c.code, v.initials FROM victims v JOIN cases c ON c.id = v.case_id WHERE 1=1";
        if let Some(n) = nik.and_then(domain::nik::Nik::parse) {
            let mut q = Sql::new(base);
            q.scope("c.region_code", &actor.scope);
            q.push(" AND v.nik_index IN (");
            for (i, x) in k.blind_indexes("nik", n.as_str()).iter().enumerate() {
                if i > 0 {
                    q.push(", ");
                }
                q.bind_text(x.clone());
            }
            q.push(") LIMIT 10");
            for r in q.build().fetch_all(self.pool()).await? {
                out.push(SimilarVictim {
                    case_id: CaseId(r.try_get("case_id")?),
                    code: r.try_get("code")?,
                    initials: r.try_get("initials")?,
                    reason: "nik",
                });
            }
        }
        let tokens = name_tokens(name);
        if !tokens.is_empty() {
            let mut q = Sql::new(base);
            q.scope("c.region_code", &actor.scope);
            for t in &tokens {
                q.push(" AND EXISTS (SELECT 1 FROM victim_name_tokens nt WHERE nt.victim_id = v.id AND nt.token IN (");
                for (i, x) in k.blind_indexes("name", t).iter().enumerate() {
                    if i > 0 {
                        q.push(", ");
                    }
                    q.bind_text(x.clone());
                }
                q.push("))");
            }
            if let Some(b) = birth_date {
                q.push(" AND v.birth_date = ").bind_int(b);
            }
            q.push(" LIMIT 10");
            let reason = if birth_date.is_some() {
                "name_birth"
            } else {
                "name"
            };
            for r in q.build().fetch_all(self.pool()).await? {
                let case_id = CaseId(r.try_get("case_id")?);
                if !out.iter().any(|s| s.case_id == case_id) {
                    out.push(SimilarVictim {
                        case_id,
                        code: r.try_get("code")?,
                        initials: r.try_get("initials")?,
                        reason,
                    });
                }
            }
        }
        let ev = Event {
            action: "case.search",
            record_type: "case",
            record_id: String::new(),
            detail: format!("by=similar hits={}", out.len()),
        };
        self.audit(actor, ev).await?;
        Ok(out)
    }
}

impl Store {
    /// Closes a case with a reason, or reopens it. Bumps the version like any edit.
    pub async fn set_case_status(
        &self,
        actor: &Actor,
        id: CaseId,
        status: &str,
        close_reason: Option<&str>,
        today: Day,
    ) -> Result<()> {
        self.case_access(actor, id, Action::EditCase).await?;
        let p = self.picklists().await?;
        let mut errs = Invalid::default();
        if !p.has("case_status", status) {
            errs.push("status", "err.choice");
        }
        let reason = close_reason.map(str::trim).filter(|r| !r.is_empty());
        if status == "closed" && !reason.is_some_and(|r| p.has("close_reason", r)) {
            errs.push("close_reason", "err.close_reason");
        }
        // Closed *paripurna* only when every victim's service plan is closed.
        if status == "closed" && reason == Some("recovered") && !self.all_plans_closed(id).await? {
            errs.push("close_reason", "err.plans_open");
        }
        errs.into_result(())?;
        let (reason, closed_on) = if status == "closed" {
            (reason.map(str::to_owned), Some(today))
        } else {
            (None, None)
        };
        let mut tx = self.begin_write().await?;
        sqlx::query("UPDATE cases SET status = $1, close_reason = $2, closed_on = $3, version = version + 1, updated_at = $4 WHERE id = $5")
            .bind(status.to_owned())
            .bind(reason.clone())
            .bind(closed_on)
            .bind(crate::now_ms())
            .bind(id.0)
            .execute(&mut *tx)
            .await?;
        let action = if status == "closed" {
            "case.close"
        } else {
            "case.reopen"
        };
        let ev = Event {
            action,
            record_type: "case",
            record_id: id.to_string(),
            detail: reason.map(|r| format!("reason={r}")).unwrap_or_default(),
        };
        append(&mut tx, actor, ev).await?;
        tx.commit().await?;
        Ok(())
    }
}
