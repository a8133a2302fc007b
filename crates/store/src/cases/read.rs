//! Reading cases: one case with everything on its page, the filtered list, and the
//! history of a case.

use super::records::{
    CaseEventRecord, CaseListRecord, CaseRecord, InitialsRecord, VICTIMS_OF_CASE, VictimRecord,
};
use super::*;
use crate::core::write::Allowed;
use domain::audit::AuditAction;

impl Store {
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
        // The row carries the region: read once, decided before anything of it is used.
        let r: CaseRecord = sqlx::query_as(super::records::case_select(self.backend()))
            .bind(id.0)
            .fetch_optional(self.pool())
            .await?
            .ok_or(StoreError::NotFound)?;
        let scope = Scope::from_code(
            r.region_code
                .as_deref()
                .and_then(|c| RegionCode::parse(c).ok()),
        );
        decide(actor, Action::ViewCase, &scope)?;
        let owner = UnitId(r.unit_id);
        let access = self.identity_access(actor, id, owner, &scope).await?;
        let identities = access == IdentityAccess::Granted;
        let mut view = self.load_view(id, r, identities).await?;
        self.note_networks(actor, &mut view.perpetrators).await?;
        view.can_break_glass = access == IdentityAccess::BreakGlass;
        let reader = domain::audit::access_log_reader(actor, &scope, owner);
        view.can_read_access_log = reader.is_ok();
        if reader == Ok(domain::audit::AccessLogReader::Owner) {
            view.grants = self.grants(id).await?;
        }
        let (action, detail) = if identities {
            (
                AuditAction::CaseIdentityView,
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
            (AuditAction::CaseView, String::new())
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

    /// [`Store::case`] with everything else the case page lists about it, reading the
    /// case's region once for all of them (each part still checks the actor against it).
    pub async fn case_page(
        &self,
        actor: &Actor,
        id: CaseId,
        today: domain::case::Day,
    ) -> Result<CasePageData> {
        let view = self.case(actor, id).await?;
        let scope = view.scope();
        Ok(CasePageData {
            history: self.case_history_in(actor, id, &scope).await?,
            duplicates: self.case_duplicates_in(actor, id, &scope).await?,
            plans: self.plan_summaries_in(actor, id, today, &scope).await?,
            events: self.recovery_events_in(actor, id, &scope).await?,
            view,
        })
    }

    /// The case as stored, identities decrypted when `identities` (no access check, no audit:
    /// callers decide and audit).
    pub(crate) async fn load_view(
        &self,
        id: CaseId,
        r: CaseRecord,
        identities: bool,
    ) -> Result<CaseView> {
        // The tags came with the row, sorted here as the page lists them.
        let mut tags: Vec<(String, String)> = r
            .tags
            .as_deref()
            .unwrap_or("")
            .split(',')
            .filter_map(|p| p.split_once(':'))
            .map(|(l, c)| (l.to_owned(), c.to_owned()))
            .collect();
        tags.sort();
        let mut exploitation = Vec::new();
        let mut means = Vec::new();
        for (list, code) in tags {
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
        let victims = sqlx::query_as::<_, VictimRecord>(VICTIMS_OF_CASE)
            .bind(id.0)
            .fetch_all(self.pool())
            .await?
            .into_iter()
            .map(|v| v.into_view(k))
            .collect::<Result<Vec<_>>>()?;
        Ok(CaseView {
            id,
            code: r.code,
            unit_id: UnitId(r.unit_id),
            unit_name: r.unit_name,
            region_code: r.region_code,
            channel: r.channel,
            reported_on: r.reported_on,
            exploitation_from: r.exploitation_from,
            rescued_on: r.rescued_on,
            chronology: match (k, r.chronology_enc) {
                (Some(k), Some(c)) => Some(k.decrypt("cases.chronology", &c)?),
                _ => None,
            },
            trafficking_status: r.trafficking_status,
            exploitation,
            means_of_control: means,
            sector: r.sector,
            recruitment: r.recruitment,
            recruiter_relationship: r.recruiter_relationship,
            status: r.status,
            close_reason: r.close_reason,
            version: r.version,
            created_at_ms: r.created_at,
            updated_at_ms: r.updated_at,
            identities_visible: identities,
            can_break_glass: false,
            grants: Vec::new(),
            can_read_access_log: false,
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
        self.check_list_codes(f).await?;
        let identities = decide(actor, Action::ViewIdentity, &actor.scope).is_ok();
        let mut q = Sql::new(
            "SELECT c.id, c.code, c.reported_on, c.region_code, c.trafficking_status, c.status, \
             c.review_state, c.victim_count AS victims FROM cases c WHERE 1=1",
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
                    total: 0,
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
        let day = if f.by_exploitation {
            " AND c.exploitation_from"
        } else {
            " AND c.reported_on"
        };
        if let Some(d) = f.from {
            q.push(day).push(" >= ").bind_int(d);
        }
        if let Some(d) = f.to {
            q.push(day).push(" <= ").bind_int(d);
        }
        if let Some((dim, val)) = &f.stat {
            q.push(" AND c.id IN (SELECT s.case_id FROM stat_victims s");
            match (dim.column(), dim.tag_list(), val) {
                (Some(col), _, Some(v)) => {
                    q.push(" WHERE ").push(col).push(" = ").bind_text(v.clone());
                }
                (Some(col), _, None) => {
                    q.push(" WHERE ").push(col).push(" IS NULL");
                }
                (None, Some(list), v) => {
                    q.push(" JOIN case_tags t ON t.case_id = s.case_id AND t.list = ")
                        .bind_text(list)
                        .push(" WHERE t.code = ")
                        .bind_text(v.clone().unwrap_or_default());
                }
                (None, None, _) => {}
            }
            q.push(")");
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
        if let Some(r) = f.review {
            q.push(" AND c.review_state = ").bind_text(r.as_str());
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
                    total: 0,
                });
            } else if let Some(nik) = domain::nik::Nik::parse(needle) {
                search_kind = "nik";
                self.only_identities_visible(&mut q, actor);
                let idx = self.keyring()?.blind_indexes("nik", nik.as_str());
                q.push(
                    " AND EXISTS (SELECT 1 FROM victims v WHERE v.case_id = c.id AND v.nik_index",
                )
                .in_list(&idx)
                .push(")");
            } else {
                search_kind = "name";
                let k = self.keyring()?;
                let tokens = name_tokens(needle);
                if tokens.is_empty() {
                    return Ok(CasePage {
                        rows: Vec::new(),
                        more: false,
                        total: 0,
                    });
                }
                self.only_identities_visible(&mut q, actor);
                q.push(" AND EXISTS (SELECT 1 FROM victims v WHERE v.case_id = c.id");
                for t in tokens {
                    q.push(" AND EXISTS (SELECT 1 FROM victim_name_tokens nt WHERE nt.victim_id = v.id AND nt.token")
                        .in_list(&k.blind_indexes("name", &t))
                        .push(")");
                }
                q.push(")");
            }
        }
        let counted = Sql::count_capped(&q, super::CASE_COUNT_CAP);
        q.push(match f.sort {
            CaseSort::ReportedDesc => " ORDER BY c.reported_on DESC, c.id DESC",
            CaseSort::ReportedAsc => " ORDER BY c.reported_on, c.id",
            CaseSort::CodeAsc => " ORDER BY c.code",
        });
        let per_page = f.per_page.clamp(1, 200);
        q.push(" LIMIT ").bind(Arg::Int(Some(per_page + 1)));
        q.push(" OFFSET ")
            .bind(Arg::Int(Some(f.page.max(0) * per_page)));
        let rows = q
            .build_as::<CaseListRecord>()
            .fetch_all(self.pool())
            .await?;
        let more = rows.len() as i64 > per_page;
        let mut out: Vec<CaseRow> = rows
            .into_iter()
            .take(per_page as usize)
            .map(CaseRow::from)
            .collect();
        // Initials for the page in one query.
        if !out.is_empty() {
            let ids: Vec<i64> = out.iter().map(|r| r.id.0).collect();
            let mut iq = Sql::new("SELECT case_id, initials FROM victims WHERE case_id");
            iq.in_list(&ids).push(" ORDER BY case_id, position");
            for v in iq
                .build_as::<InitialsRecord>()
                .fetch_all(self.pool())
                .await?
            {
                if let Some(row) = out.iter_mut().find(|r| r.id.0 == v.case_id) {
                    if !row.initials.is_empty() {
                        row.initials.push_str(", ");
                    }
                    row.initials.push_str(&v.initials);
                }
            }
        }
        if !search_kind.is_empty() {
            // What was searched for is personal data: record the kind of search, never the value.
            let ev = Event {
                action: AuditAction::CaseSearch,
                record_type: "case",
                record_id: String::new(),
                detail: format!("by={search_kind} hits={}", out.len()),
            };
            self.audit(actor, ev).await?;
        }
        // The total only when there is more than this page (otherwise the page is it).
        let total = if more || f.page > 0 {
            counted.build_scalar().fetch_one(self.pool()).await?
        } else {
            out.len() as i64
        };
        Ok(CasePage {
            rows: out,
            more,
            total,
        })
    }

    /// The case's history (creation, edits, views), newest first, for its timeline.
    pub async fn case_history(&self, actor: &Actor, id: CaseId) -> Result<Vec<CaseEvent>> {
        let scope = self.case_scope(id).await?;
        self.case_history_in(actor, id, &scope).await
    }

    /// [`Store::case_history`] with the case's scope already read.
    pub(crate) async fn case_history_in(
        &self,
        actor: &Actor,
        id: CaseId,
        scope: &Scope,
    ) -> Result<Vec<CaseEvent>> {
        decide(actor, Action::ViewCase, scope)?;
        // Reads are in the trail but not in a record's history of changes. The actions are
        // named (not "NOT IN views") so the lookup seeks each in `audit_record_action`
        // instead of walking past every view of the case.
        let changes: Vec<&str> = AuditAction::ALL
            .into_iter()
            .filter(|a| !a.is_view())
            .map(AuditAction::as_str)
            .collect();
        let mut q = Sql::new(
            "SELECT at, actor_username, action, detail FROM audit_log WHERE record_type = 'case' AND record_id = ",
        );
        q.bind_text(id.0.to_string())
            .push(" AND action")
            .in_list(&changes)
            .push(" ORDER BY seq DESC LIMIT 200");
        let rows = q
            .build_as::<CaseEventRecord>()
            .fetch_all(self.pool())
            .await?;
        Ok(rows.into_iter().map(CaseEvent::from).collect())
    }

    /// Checks that the actor may do `action` on the case (404 when it is out of sight),
    /// without reading or auditing it: handlers call this before looking at a request body,
    /// so a bad body never reveals whether a case exists.
    pub async fn case_access(&self, actor: &Actor, id: CaseId, action: Action) -> Result<()> {
        self.case_allow(actor, id, action).await.map(|_| ())
    }

    /// [`Store::case_access`] with the proof that opens the write it allows.
    pub(crate) async fn case_allow<'a>(
        &self,
        actor: &'a Actor,
        id: CaseId,
        action: Action,
    ) -> Result<Allowed<'a>> {
        let scope = self.case_scope(id).await?;
        decide(actor, Action::ViewCase, &scope)?;
        self.allow(actor, action, &scope)
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

    /// The highest victim id so far (0 when there are none): where a bulk load starts.
    pub async fn max_victim_id(&self) -> Result<i64> {
        Ok(
            sqlx::query_scalar::<_, Option<i64>>("SELECT MAX(id) FROM victims")
                .fetch_one(self.pool())
                .await?
                .unwrap_or(0),
        )
    }

    pub async fn count_cases(&self) -> Result<i64> {
        Ok(sqlx::query_scalar("SELECT COUNT(*) FROM cases")
            .fetch_one(self.pool())
            .await?)
    }
}

impl Store {
    /// A search by NIK or name finds only cases whose identities the actor may see now
    /// (the owning unit, or an unexpired break-the-glass grant): a hit on a case whose
    /// names are hidden would confirm who its victim is.
    fn only_identities_visible(&self, q: &mut Sql, actor: &Actor) {
        q.push(" AND (c.unit_id = ").bind_int(actor.unit_id.0);
        if let Some(user) = actor.user_id {
            q.push(
                " OR EXISTS (SELECT 1 FROM identity_grants g WHERE g.case_id = c.id AND g.user_id = ",
            )
            .bind_int(user.0)
            .push(" AND g.expires_at > ")
            .bind_int(self.now_ms())
            .push(")");
        }
        q.push(")");
    }
}

impl Store {
    /// A code filter that names no code of its list is an error naming the filter (an
    /// empty list would read as "no such cases" when the question itself was wrong).
    async fn check_list_codes(&self, f: &CaseFilter) -> Result<()> {
        let wanted = [
            ("status", "case_status", &f.status),
            (
                "trafficking_status",
                "trafficking_status",
                &f.trafficking_status,
            ),
            ("channel", "channel", &f.channel),
            ("exploitation", "exploitation", &f.exploitation),
            ("sex", "sex", &f.sex),
        ];
        if wanted.iter().all(|(_, _, v)| v.is_none()) {
            return Ok(());
        }
        let lists = self.picklists().await?;
        let mut errs = domain::Invalid::default();
        for (field, list, v) in wanted {
            if v.as_deref().is_some_and(|code| !lists.has(list, code)) {
                errs.push(field, "err.choice");
            }
        }
        Ok(errs.into_result(())?)
    }
}
