//! Registering and updating a case: references checked against the picklists, the case
//! code, victims with encrypted identities and blind indexes, tags, and bulk import.

use super::*;
use domain::audit::AuditAction;

/// Whether a victim's linkage keys are written with it (always, except in a bulk load that
/// builds them all at the end).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum LinkageKeys {
    Now,
    Deferred,
}

/// The region of the case a victim is written to, for its linkage keys: known to the
/// caller (a new case), or read through the write's connection.
#[derive(Debug, Clone, Copy)]
pub(super) enum CaseRegion<'a> {
    Known(Option<&'a str>),
    Read,
}

/// What the data-quality page reads of a case (migration 0024): its number of victims and
/// how many key fields are filled in — of the case: chronology, recruitment, rescue date;
/// of each victim: NIK, birth date, home village. Stored with every write of the case.
fn quality_counts(new: &NewCase) -> (i64, i64) {
    let case = [
        new.chronology.is_some(),
        new.choices.recruitment.is_some(),
        new.rescued_on.is_some(),
    ];
    let victims = new.victims.iter().flat_map(|v| {
        [
            v.nik.is_some(),
            v.birth_date.is_some(),
            v.home_village.is_some(),
        ]
    });
    let filled = case.into_iter().chain(victims).filter(|f| *f).count();
    (new.victims.len() as i64, filled as i64)
}

impl Store {
    /// Checks every picklist code and region reference of a case, naming each bad field.
    pub(super) async fn check_references(&self, new: &NewCase, p: &Picklists) -> Result<()> {
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
        }
        // The regions the victims name, looked up together.
        let named: Vec<String> = new
            .victims
            .iter()
            .flat_map(|v| {
                let home = v.home_village.as_ref().map(|c| c.as_str().to_owned());
                let district = v.nik.as_ref().and_then(|n| n.district());
                home.into_iter()
                    .chain(district.map(|d| d.as_str().to_owned()))
            })
            .collect();
        let known = self.regions_known(&named).await?;
        for (i, v) in new.victims.iter().enumerate() {
            if let Some(code) = &v.home_village
                && !known.contains(code.as_str())
            {
                errs.push(&format!("victims[{i}].home_village"), "err.region_unknown");
            }
            if let Some(d) = v.nik.as_ref().and_then(|n| n.district())
                && !known.contains(d.as_str())
            {
                errs.push(&format!("victims[{i}].nik"), "err.nik_district");
            }
        }
        errs.dedup();
        Ok(errs.into_result(())?)
    }

    pub(super) async fn next_code(
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

    /// Writes victim `v` of `case` = (its id, its region) at `slot` = (position, the id of
    /// the victim already there, if any).
    pub(super) async fn write_victim(
        &self,
        conn: &mut AnyConnection,
        case: (i64, CaseRegion<'_>),
        slot: (i64, Option<i64>),
        v: &NewVictim,
        is_child: bool,
        keys: LinkageKeys,
    ) -> Result<i64> {
        let (case_id, region) = case;
        let (position, existing) = slot;
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
        // An existing victim's old tokens and keys were removed before its case changed
        // (`forget_victim_indexes`).
        write_name_tokens(
            conn,
            k,
            id,
            v.name.expose(),
            v.alias.as_ref().map(|a| a.expose().as_str()),
        )
        .await?;
        if keys == LinkageKeys::Deferred {
            return Ok(id);
        }
        // Blocking keys for the duplicate check, in the same transaction.
        let region: Option<String> = match region {
            CaseRegion::Known(r) => r.map(str::to_owned),
            CaseRegion::Read => {
                sqlx::query_scalar("SELECT region_code FROM cases WHERE id = $1")
                    .bind(case_id)
                    .fetch_one(&mut *conn)
                    .await?
            }
        };
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

    pub(super) async fn write_tags(
        conn: &mut AnyConnection,
        case_id: i64,
        new: &NewCase,
    ) -> Result<()> {
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
        let allowed = self.allow(actor, Action::EditCase, &actor.scope)?;
        let p = self.picklists().await?;
        self.check_references(new, &p).await?;
        let k = self.keyring()?;
        let chronology = k.encrypt_opt(
            "cases.chronology",
            new.chronology.as_ref().map(|c| c.expose().as_str()),
        )?;
        let now = self.now_ms();
        let year = domain::time::civil_from_days(now / 86_400_000).0;
        let mut tx = self.write(allowed).await?;
        let code = Self::next_code(&mut tx, actor.scope.region(), year).await?;
        let c = &new.choices;
        let id: i64 = sqlx::query_scalar(
            "INSERT INTO cases (code, unit_id, region_code, channel, reported_on, exploitation_from, rescued_on, chronology_enc, \
             trafficking_status, sector, recruitment, recruiter_relationship, status, version, created_by, created_at, updated_at, \
             province_code, regency_code, victim_count, filled_fields) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, 'open', 1, $13, $14, $14, $15, $16, $17, $18) RETURNING id",
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
        .bind(quality_counts(new).0)
        .bind(quality_counts(new).1)
        .fetch_one(&mut *tx)
        .await?;
        Self::write_tags(&mut tx, id, new).await?;
        for (i, v) in new.victims.iter().enumerate() {
            let child = v.is_child(new.exploitation_from, new.reported_on);
            let case = (
                id,
                CaseRegion::Known(actor.scope.region().map(|r| r.as_str())),
            );
            self.write_victim(&mut tx, case, (i as i64, None), v, child, LinkageKeys::Now)
                .await?;
        }
        let ev = Event {
            action: AuditAction::CaseCreate,
            record_type: "case",
            record_id: id.to_string(),
            detail: format!("code={code} victims={}", new.victims.len()),
        };
        tx.audit(ev).await?;
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
        let allowed = self.allow(actor, Action::EditCase, &scope)?;
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
        let p = self.picklists().await?;
        self.check_references(new, &p).await?;
        let k = self.keyring()?;
        let chronology = k.encrypt_opt(
            "cases.chronology",
            new.chronology.as_ref().map(|c| c.expose().as_str()),
        )?;
        let c = &new.choices;
        let mut tx = self.write(allowed).await?;
        self.lock_case(&mut tx, id).await?;
        self.check_editable_in(&mut tx, id).await?;
        // The victims' tokens and keys as they are now go before anything changes (they are
        // computed again from the stored identities); the new ones are written with them.
        self.forget_victim_indexes(&mut tx, id.0).await?;
        let res = sqlx::query(
            "UPDATE cases SET channel = $1, reported_on = $2, exploitation_from = $3, rescued_on = $4, chronology_enc = $5, \
             trafficking_status = $6, sector = $7, recruitment = $8, recruiter_relationship = $9, version = version + 1, \
             updated_at = $10, victim_count = $13, filled_fields = $14 \
             WHERE id = $11 AND version = $12 AND review_state IN ('draft', 'returned')",
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
        .bind(self.now_ms())
        .bind(id.0)
        .bind(expected_version)
        .bind(quality_counts(new).0)
        .bind(quality_counts(new).1)
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
            self.write_victim(
                &mut tx,
                (id.0, CaseRegion::Read),
                (i as i64, existing.get(i).copied()),
                v,
                child,
                LinkageKeys::Now,
            )
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
            // Its statistics row would go with it (ON DELETE CASCADE) before the write
            // guard refreshes the case: take its part out of the rollup first.
            crate::stats::facts::forget_victim(&mut tx, *gone).await?;
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
            action: AuditAction::CaseUpdate,
            record_type: "case",
            record_id: id.to_string(),
            detail: format!("version={version}"),
        };
        tx.audit(ev).await?;
        tx.commit().await?;
        self.after_case_saved(id).await?;
        Ok(version)
    }

    /// Inserts many already-validated cases at once (the synthetic generator and, later,
    /// imports): one transaction per call and one audit entry for the batch. Each case is
    /// registered to the given unit and region, which the actor must be allowed to edit.
    pub async fn import_cases(
        &self,
        actor: &Actor,
        batch: &[(UnitId, Option<RegionCode>, NewCase)],
    ) -> Result<Vec<CaseId>> {
        self.import_cases_with(actor, batch, LinkageKeys::Now).await
    }

    /// [`Store::import_cases`] for a bulk load: the victims' linkage keys are not written;
    /// the loader calls [`Store::build_linkage_keys_after`] once at the end, which writes
    /// them all in key order (written batch by batch, each key lands on a random page of
    /// the key table, and a 1,000,000-case load rewrote those pages ~60 times over).
    pub async fn import_cases_deferring_keys(
        &self,
        actor: &Actor,
        batch: &[(UnitId, Option<RegionCode>, NewCase)],
    ) -> Result<Vec<CaseId>> {
        self.import_cases_with(actor, batch, LinkageKeys::Deferred)
            .await
    }

    async fn import_cases_with(
        &self,
        actor: &Actor,
        batch: &[(UnitId, Option<RegionCode>, NewCase)],
        keys: LinkageKeys,
    ) -> Result<Vec<CaseId>> {
        let mut allowed = None;
        for (_, region, _) in batch {
            allowed =
                Some(self.allow(actor, Action::EditCase, &Scope::from_code(region.clone()))?);
        }
        let Some(allowed) = allowed else {
            return Ok(Vec::new());
        };
        let k = self.keyring()?;
        let now = self.now_ms();
        let year = domain::time::civil_from_days(now / 86_400_000).0;
        let mut ids = Vec::with_capacity(batch.len());
        let mut tx = self.write(allowed).await?;
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
                 province_code, regency_code, victim_count, filled_fields) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, 'open', 1, $13, $14, $14, $15, $16, $17, $18) RETURNING id",
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
            .bind(quality_counts(new).0)
            .bind(quality_counts(new).1)
            .fetch_one(&mut *tx)
            .await?;
            ids.push(CaseId(id));
            Self::write_tags(&mut tx, id, new).await?;
            for (i, v) in new.victims.iter().enumerate() {
                let child = v.is_child(new.exploitation_from, new.reported_on);
                let case = (id, CaseRegion::Known(region.as_ref().map(|r| r.as_str())));
                self.write_victim(&mut tx, case, (i as i64, None), v, child, keys)
                    .await?;
            }
        }
        let ev = Event {
            action: AuditAction::CaseImport,
            record_type: "case",
            record_id: String::new(),
            detail: format!("count={}", batch.len()),
        };
        tx.audit(ev).await?;
        tx.touch_cases(ids.iter().map(|c| c.0));
        tx.commit().await?;
        Ok(ids)
    }

    /// Closes a case with a reason, or reopens it. Bumps the version like any edit.
    pub async fn set_case_status(
        &self,
        actor: &Actor,
        id: CaseId,
        status: &str,
        close_reason: Option<&str>,
        today: Day,
    ) -> Result<()> {
        let allowed = self.case_allow(actor, id, Action::EditCase).await?;
        let p = self.picklists().await?;
        let mut errs = Invalid::default();
        if !p.has("case_status", status) {
            errs.push("status", "err.choice");
        }
        let reason = close_reason.map(str::trim).filter(|r| !r.is_empty());
        if status == "closed" && !reason.is_some_and(|r| p.has("close_reason", r)) {
            errs.push("close_reason", "err.close_reason");
        }
        errs.into_result(())?;
        let paripurna = status == "closed" && reason == Some("recovered");
        let (reason, closed_on) = if status == "closed" {
            (reason.map(str::to_owned), Some(today))
        } else {
            (None, None)
        };
        let mut tx = self.write(allowed).await?;
        self.lock_case(&mut tx, id).await?;
        // Closed *paripurna* only when every victim's service plan is closed, checked
        // inside the write.
        if paripurna && !self.all_plans_closed_in(&mut tx, id).await? {
            return Err(Invalid::one("close_reason", "err.plans_open").into());
        }
        sqlx::query("UPDATE cases SET status = $1, close_reason = $2, closed_on = $3, version = version + 1, updated_at = $4 WHERE id = $5")
            .bind(status.to_owned())
            .bind(reason.clone())
            .bind(closed_on)
            .bind(self.now_ms())
            .bind(id.0)
            .execute(&mut *tx)
            .await?;
        let action = if status == "closed" {
            AuditAction::CaseClose
        } else {
            AuditAction::CaseReopen
        };
        let ev = Event {
            action,
            record_type: "case",
            record_id: id.to_string(),
            detail: reason.map(|r| format!("reason={r}")).unwrap_or_default(),
        };
        tx.audit(ev).await?;
        tx.commit().await?;
        Ok(())
    }
}
