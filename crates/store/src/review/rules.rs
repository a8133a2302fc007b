//! Validation rules kept as data: loaded from the seed, evaluated on a case's facts, hits
//! recorded for the quality dashboard (with the warnings' justifications, encrypted).

use super::records::{CaseFactsRecord, RuleInfoRecord, RuleRecord};
use super::*;
use crate::cases::records::{VICTIMS_OF_CASE, VictimRecord};
use crate::core::write::Maintenance;
use sqlx::AnyConnection;

/// The column a warning's justification is bound to when encrypted.
pub(crate) const JUSTIFICATION: &str = "case_rule_hits.justification";

impl Store {
    /// Loads the shipped rules: adds new ones and updates the text of known ones, keeping
    /// whether an administrator switched a rule off and how often it fired.
    pub(crate) async fn ensure_rules(&self) -> Result<()> {
        let rules = parse_rules(RULES_SEED).map_err(|e| StoreError::Other(e.join("; ")))?;
        let mut tx = self.maintenance(Maintenance::Seed).await?;
        for (sort, r) in rules.iter().enumerate() {
            sqlx::query(
                "INSERT INTO validation_rules (code, severity, scope, condition, field, message_id, message_en, sort) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8) ON CONFLICT (code) DO UPDATE SET severity = excluded.severity, \
                 scope = excluded.scope, condition = excluded.condition, field = excluded.field, \
                 message_id = excluded.message_id, message_en = excluded.message_en, sort = excluded.sort",
            )
            .bind(r.code.clone())
            .bind(r.severity.as_str())
            .bind(r.scope.as_str())
            .bind(r.condition_text.clone())
            .bind(r.field.clone())
            .bind(r.message_id.clone())
            .bind(r.message_en.clone())
            .bind(sort as i64)
            .execute(&mut *tx)
            .await?;
        }
        tx.commit().await?;
        self.rules_memo.forget();
        Ok(())
    }

    /// The active rules. Decisions (submission, verification, clearing, the stored hits)
    /// read them fresh; a page that only shows the hits (`remembered`) may use the copy
    /// kept since the last fresh read (rules change by seeding or by hand in the database,
    /// and the next decision sees the change).
    async fn active_rules(
        &self,
        conn: &mut AnyConnection,
        remembered: bool,
    ) -> Result<std::sync::Arc<Vec<Rule>>> {
        if remembered && let Some(r) = self.rules_memo.get() {
            return Ok(r);
        }
        let rows: Vec<RuleRecord> = sqlx::query_as(
            "SELECT code, severity, scope, field, condition, message_id, message_en FROM validation_rules WHERE active = 1 ORDER BY sort",
        )
        .fetch_all(&mut *conn)
        .await?;
        rows.iter()
            .map(|r| {
                Rule::new(
                    &r.code,
                    &r.severity,
                    &r.scope,
                    &r.field,
                    &r.condition,
                    &r.message_id,
                    &r.message_en,
                )
                .map_err(StoreError::Other)
            })
            .collect::<Result<Vec<Rule>>>()
            .map(|rules| {
                let rules = std::sync::Arc::new(rules);
                self.rules_memo.set(rules.clone());
                rules
            })
    }

    /// The rules with how often each fired, for the admin page.
    pub async fn rules(&self, actor: &Actor) -> Result<Vec<RuleInfo>> {
        decide(actor, Action::ViewQuality, &actor.scope)?;
        // Cases breaking each rule now, in the actor's scope only.
        let mut q = Sql::new(
            "SELECT r.code, r.severity, r.scope, r.field, r.condition, r.message_id, r.message_en, r.active, r.fired, \
             (SELECT COUNT(DISTINCT h.case_id) FROM case_rule_hits h JOIN cases c ON c.id = h.case_id \
             WHERE h.rule_code = r.code",
        );
        if actor.scope != Scope::National {
            q.scope("c.region_code", &actor.scope);
        }
        q.push(") AS open_cases FROM validation_rules r ORDER BY r.sort");
        let rows = q
            .build_as::<RuleInfoRecord>()
            .fetch_all(self.pool())
            .await?;
        let national = actor.scope == Scope::National;
        Ok(rows
            .into_iter()
            .map(RuleInfo::from)
            .map(|r| RuleInfo {
                fired: r.fired.filter(|_| national),
                ..r
            })
            .collect())
    }

    /// Records the rules each case breaks now, as a save would (a bulk import skips the
    /// per-save step; the demo loader calls this after it).
    pub async fn record_rules_of(&self, ids: &[CaseId]) -> Result<()> {
        for id in ids {
            let hits = self.hits_now(*id).await?;
            self.record_rule_hits(*id, &hits).await?;
        }
        Ok(())
    }

    /// The facts the rules read, from stored columns only (identities are checked for
    /// presence, never decrypted).
    async fn facts(&self, conn: &mut AnyConnection, id: CaseId) -> Result<Facts> {
        let today = self.now_ms() / 86_400_000;
        // The case's tags and its standing consents ride along as `a:b,c:d` lists (codes
        // and ids hold neither separator): one query instead of three.
        macro_rules! facts_select {
            ($agg:literal) => {
                concat!(
                    "SELECT c.channel, c.trafficking_status, c.sector, c.recruitment, c.recruiter_relationship, c.status, \
                     c.close_reason, c.chronology_enc, c.reported_on, c.exploitation_from, c.rescued_on, \
                     (SELECT COUNT(*) FROM route_events e WHERE e.case_id = c.id) AS route_events, \
                     (SELECT MAX(l.police_report_no) FROM legal_tracks l WHERE l.case_id = c.id) AS police_report, \
                     (SELECT COUNT(*) FROM case_perpetrators p WHERE p.case_id = c.id) AS perpetrators, (SELECT ",
                    $agg,
                    "(t.list || ':' || t.code, ',') FROM case_tags t WHERE t.case_id = c.id) AS tags, (SELECT ",
                    $agg,
                    "(CAST(k.victim_id AS TEXT) || ':' || k.given_by, ',') FROM consents k \
                     WHERE k.case_id = c.id AND (k.withdrawn_on IS NULL OR k.withdrawn_on > $2)) AS consents \
                     FROM cases c WHERE c.id = $1"
                )
            };
        }
        let sql = match self.backend() {
            crate::Backend::Sqlite => facts_select!("group_concat"),
            crate::Backend::Postgres => facts_select!("string_agg"),
        };
        let c: CaseFactsRecord = sqlx::query_as(sql)
            .bind(id.0)
            .bind(today)
            .fetch_optional(&mut *conn)
            .await?
            .ok_or(StoreError::NotFound)?;
        let mut f = Facts::default();
        for (col, v) in [
            ("channel", &c.channel),
            ("trafficking_status", &c.trafficking_status),
            ("sector", &c.sector),
            ("recruitment", &c.recruitment),
            ("recruiter_relationship", &c.recruiter_relationship),
            ("status", &c.status),
            ("close_reason", &c.close_reason),
            ("police_report", &c.police_report),
            ("chronology", &c.chronology_enc),
        ] {
            f.case.insert(col.into(), Value::opt_text(v.as_deref()));
        }
        for (col, v) in [
            ("reported_on", c.reported_on),
            ("exploitation_from", c.exploitation_from),
            ("rescued_on", c.rescued_on),
        ] {
            f.case.insert(col.into(), Value::opt_num(v));
        }
        for (col, n) in [
            ("route_events", c.route_events),
            ("perpetrators", c.perpetrators),
        ] {
            f.case.insert(col.into(), Value::Num(n));
        }
        let pairs = |s: &Option<String>| -> Vec<(String, String)> {
            s.as_deref()
                .unwrap_or("")
                .split(',')
                .filter_map(|p| p.split_once(':'))
                .map(|(a, b)| (a.to_owned(), b.to_owned()))
                .collect()
        };
        let mut tags: BTreeMap<String, Vec<String>> = BTreeMap::new();
        for (list, code) in pairs(&c.tags) {
            tags.entry(list).or_default().push(code);
        }
        f.case.insert(
            "exploitation".into(),
            Value::List(tags.remove("exploitation").unwrap_or_default()),
        );
        f.case.insert(
            "means_of_control".into(),
            Value::List(tags.remove("means_of_control").unwrap_or_default()),
        );
        let victims = sqlx::query_as::<_, VictimRecord>(VICTIMS_OF_CASE)
            .bind(id.0)
            .fetch_all(&mut *conn)
            .await?;
        let consents: Vec<(i64, String)> = pairs(&c.consents)
            .into_iter()
            .filter_map(|(v, by)| v.parse().ok().map(|v| (v, by)))
            .collect();
        f.case
            .insert("victims".into(), Value::Num(victims.len() as i64));
        for v in victims {
            let mut m = BTreeMap::new();
            for (col, val) in [
                ("name", v.name_enc.as_deref()),
                ("nik", v.nik_enc.as_deref()),
                ("sex", Some(v.sex.as_str())),
                ("home_village", v.home_village.as_deref()),
                ("citizenship", Some(v.citizenship.as_str())),
                ("education", v.education.as_deref()),
                ("occupation", v.occupation.as_deref()),
                ("disability", v.disability.as_deref()),
                ("migrant_status", v.migrant_status.as_deref()),
            ] {
                m.insert(format!("victim.{col}"), Value::opt_text(val));
            }
            for (col, val) in [
                ("birth_date", v.birth_date),
                ("age_estimate", v.age_estimate),
            ] {
                m.insert(format!("victim.{col}"), Value::opt_num(val));
            }
            m.insert("victim.is_child".into(), Value::flag(v.is_child != 0));
            m.insert("victim.nik_warnings".into(), Value::List(v.warnings()));
            let givers = consents
                .iter()
                .filter(|(vid, _)| *vid == v.id)
                .map(|(_, by)| by.clone())
                .collect();
            m.insert("victim.consent_givers".into(), Value::List(givers));
            f.victims.push(m);
        }
        Ok(f)
    }

    pub(super) async fn hits_now(&self, id: CaseId) -> Result<Vec<RuleHit>> {
        let mut conn = self.pool().acquire().await?;
        self.hits_on(&mut conn, id).await
    }

    /// [`Store::hits_now`] for a page that shows them (the rules may be the remembered copy).
    pub(super) async fn hits_shown(&self, id: CaseId) -> Result<Vec<RuleHit>> {
        let mut conn = self.pool().acquire().await?;
        self.hits_with(&mut conn, id, true).await
    }

    /// The rules the case breaks now, read through `conn` (a write's own connection when
    /// the answer decides the write), with the justifications on record (decrypted).
    pub(super) async fn hits_on(
        &self,
        conn: &mut AnyConnection,
        id: CaseId,
    ) -> Result<Vec<RuleHit>> {
        self.hits_with(conn, id, false).await
    }

    async fn hits_with(
        &self,
        conn: &mut AnyConnection,
        id: CaseId,
        remembered_rules: bool,
    ) -> Result<Vec<RuleHit>> {
        let rules = self.active_rules(conn, remembered_rules).await?;
        let facts = self.facts(conn, id).await?;
        let hits = evaluate(&rules, &facts);
        let k = self.keyring()?;
        let mut saved: HashMap<(String, i64), String> = HashMap::new();
        // Justifications belong to warnings: none to read when the case breaks none.
        let rows: Vec<(String, i64, String)> =
            if hits.iter().any(|h| h.severity == Severity::Warning) {
                sqlx::query_as(
                    "SELECT rule_code, victim_pos, justification_enc FROM case_rule_hits \
                     WHERE case_id = $1 AND justification_enc IS NOT NULL",
                )
                .bind(id.0)
                .fetch_all(&mut *conn)
                .await?
            } else {
                Vec::new()
            };
        for (code, pos, enc) in rows {
            saved.insert((code, pos), k.decrypt(JUSTIFICATION, &enc)?);
        }
        Ok(hits
            .into_iter()
            .map(|h: Hit| {
                let rule = rules.iter().find(|r| r.code == h.code);
                let pos = h.victim.map(|v| v as i64).unwrap_or(-1);
                RuleHit {
                    justification: saved.get(&(h.code.clone(), pos)).cloned(),
                    justification_hidden: false,
                    message_id: rule.map(|r| r.message_id.clone()).unwrap_or_default(),
                    message_en: rule.map(|r| r.message_en.clone()).unwrap_or_default(),
                    code: h.code,
                    severity: h.severity,
                    victim: h.victim,
                    field: h.field,
                }
            })
            .collect())
    }

    /// Stores the rules a case breaks now (after a save or at submission) and counts the
    /// firings. Justifications already written for a warning that still fires are kept.
    pub(crate) async fn record_rule_hits(&self, id: CaseId, hits: &[RuleHit]) -> Result<()> {
        let k = self.keyring()?;
        let mut tx = self.maintenance(Maintenance::Derived).await?;
        sqlx::query("DELETE FROM case_rule_hits WHERE case_id = $1")
            .bind(id.0)
            .execute(&mut *tx)
            .await?;
        if !hits.is_empty() {
            let mut q = Sql::new(
                "INSERT INTO case_rule_hits (case_id, rule_code, victim_pos, severity, justification_enc) VALUES ",
            );
            for (i, h) in hits.iter().enumerate() {
                if i > 0 {
                    q.push(", ");
                }
                q.push("(")
                    .bind_int(id.0)
                    .push(", ")
                    .bind_text(h.code.as_str())
                    .push(", ")
                    .bind_int(h.victim.map(|v| v as i64).unwrap_or(-1))
                    .push(", ")
                    .bind_text(h.severity.as_str());
                match &h.justification {
                    Some(j) => q
                        .push(", ")
                        .bind_text(k.encrypt(JUSTIFICATION, j)?)
                        .push(")"),
                    None => q.push(", NULL)"),
                };
            }
            q.push(" ON CONFLICT DO NOTHING");
            q.build().execute(&mut *tx).await?;
            // One firing per rule and save (a victim rule firing for two victims counts once).
            let mut codes: Vec<&str> = hits.iter().map(|h| h.code.as_str()).collect();
            codes.sort();
            codes.dedup();
            let mut q = Sql::new("UPDATE validation_rules SET fired = fired + 1 WHERE code");
            q.in_list(&codes);
            q.build().execute(&mut *tx).await?;
        }
        tx.commit().await?;
        Ok(())
    }
}
