//! Validation rules kept as data: loaded from the seed, evaluated on a case's facts, hits
//! recorded for the quality dashboard.

use super::*;
use crate::core::write::Maintenance;

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
        Ok(())
    }

    pub(super) async fn active_rules(&self) -> Result<Vec<Rule>> {
        let rows = sqlx::query(
            "SELECT code, severity, scope, field, condition, message_id, message_en FROM validation_rules WHERE active = 1 ORDER BY sort",
        )
        .fetch_all(self.pool())
        .await?;
        let mut out = Vec::new();
        for r in rows {
            let get = |c: &str| -> Result<String> { Ok(r.try_get::<String, _>(c)?) };
            out.push(
                Rule::new(
                    &get("code")?,
                    &get("severity")?,
                    &get("scope")?,
                    &get("field")?,
                    &get("condition")?,
                    &get("message_id")?,
                    &get("message_en")?,
                )
                .map_err(StoreError::Other)?,
            );
        }
        Ok(out)
    }

    /// The rules with how often each fired, for the admin page.
    pub async fn rules(&self, actor: &Actor) -> Result<Vec<RuleInfo>> {
        decide(actor, Action::ViewQuality, &actor.scope)?;
        // Cases breaking each rule now, in the actor's scope only.
        let mut q = Sql::new(
            "SELECT r.*, (SELECT COUNT(DISTINCT h.case_id) FROM case_rule_hits h JOIN cases c ON c.id = h.case_id \
             WHERE h.rule_code = r.code",
        );
        if actor.scope != Scope::National {
            q.scope("c.region_code", &actor.scope);
        }
        q.push(") AS open_cases FROM validation_rules r ORDER BY r.sort");
        let rows = q.build().fetch_all(self.pool()).await?;
        let mut out = Vec::new();
        for r in rows {
            out.push(RuleInfo {
                code: r.try_get("code")?,
                severity: r.try_get("severity")?,
                scope: r.try_get("scope")?,
                field: r.try_get("field")?,
                condition: r.try_get("condition")?,
                message_id: r.try_get("message_id")?,
                message_en: r.try_get("message_en")?,
                active: r.try_get::<i64, _>("active")? != 0,
                fired: r.try_get("fired")?,
                open_cases: r.try_get("open_cases")?,
            });
        }
        Ok(out)
    }

    /// The facts the rules read, from stored columns only (identities are checked for
    /// presence, never decrypted).
    pub(super) async fn facts(&self, id: CaseId) -> Result<Facts> {
        let c = sqlx::query(
            "SELECT c.*, (SELECT COUNT(*) FROM route_events e WHERE e.case_id = c.id) AS route_events, \
             (SELECT MAX(l.police_report_no) FROM legal_tracks l WHERE l.case_id = c.id) AS police_report, \
             (SELECT COUNT(*) FROM case_perpetrators p WHERE p.case_id = c.id) AS perpetrators \
             FROM cases c WHERE c.id = $1",
        )
        .bind(id.0)
        .fetch_optional(self.pool())
        .await?
        .ok_or(StoreError::NotFound)?;
        let mut f = Facts::default();
        let text = |col: &str| -> Result<Value> {
            Ok(Value::opt_text(
                c.try_get::<Option<String>, _>(col)?.as_deref(),
            ))
        };
        for col in [
            "channel",
            "trafficking_status",
            "sector",
            "recruitment",
            "recruiter_relationship",
            "status",
            "close_reason",
            "police_report",
        ] {
            f.case.insert(col.into(), text(col)?);
        }
        f.case.insert("chronology".into(), text("chronology_enc")?);
        for col in ["reported_on", "exploitation_from", "rescued_on"] {
            f.case.insert(
                col.into(),
                Value::opt_num(c.try_get::<Option<i64>, _>(col)?),
            );
        }
        for col in ["route_events", "perpetrators"] {
            f.case
                .insert(col.into(), Value::Num(c.try_get::<i64, _>(col)?));
        }
        let mut tags: BTreeMap<String, Vec<String>> = BTreeMap::new();
        for t in sqlx::query("SELECT list, code FROM case_tags WHERE case_id = $1")
            .bind(id.0)
            .fetch_all(self.pool())
            .await?
        {
            tags.entry(t.try_get("list")?)
                .or_default()
                .push(t.try_get("code")?);
        }
        f.case.insert(
            "exploitation".into(),
            Value::List(tags.remove("exploitation").unwrap_or_default()),
        );
        f.case.insert(
            "means_of_control".into(),
            Value::List(tags.remove("means_of_control").unwrap_or_default()),
        );
        let today = self.now_ms() / 86_400_000;
        let victims = sqlx::query("SELECT * FROM victims WHERE case_id = $1 ORDER BY position")
            .bind(id.0)
            .fetch_all(self.pool())
            .await?;
        let consents = sqlx::query(
            "SELECT victim_id, given_by FROM consents WHERE case_id = $1 AND (withdrawn_on IS NULL OR withdrawn_on > $2)",
        )
        .bind(id.0)
        .bind(today)
        .fetch_all(self.pool())
        .await?;
        f.case
            .insert("victims".into(), Value::Num(victims.len() as i64));
        for v in victims {
            let vid: i64 = v.try_get("id")?;
            let mut m = BTreeMap::new();
            let vt = |col: &str| -> Result<Value> {
                Ok(Value::opt_text(
                    v.try_get::<Option<String>, _>(col)?.as_deref(),
                ))
            };
            m.insert("victim.name".into(), vt("name_enc")?);
            m.insert("victim.nik".into(), vt("nik_enc")?);
            for col in [
                "sex",
                "home_village",
                "citizenship",
                "education",
                "occupation",
                "disability",
                "migrant_status",
            ] {
                m.insert(format!("victim.{col}"), vt(col)?);
            }
            for col in ["birth_date", "age_estimate"] {
                m.insert(
                    format!("victim.{col}"),
                    Value::opt_num(v.try_get::<Option<i64>, _>(col)?),
                );
            }
            m.insert(
                "victim.is_child".into(),
                Value::flag(v.try_get::<i64, _>("is_child")? != 0),
            );
            let warnings: String = v.try_get("nik_warnings")?;
            m.insert(
                "victim.nik_warnings".into(),
                Value::List(
                    warnings
                        .split(',')
                        .filter(|s| !s.is_empty())
                        .map(str::to_owned)
                        .collect(),
                ),
            );
            let mut givers = Vec::new();
            for c in &consents {
                if c.try_get::<i64, _>("victim_id")? == vid {
                    givers.push(c.try_get::<String, _>("given_by")?);
                }
            }
            m.insert("victim.consent_givers".into(), Value::List(givers));
            f.victims.push(m);
        }
        Ok(f)
    }

    pub(super) async fn hits_now(&self, id: CaseId) -> Result<Vec<RuleHit>> {
        let rules = self.active_rules().await?;
        let facts = self.facts(id).await?;
        let saved: HashMap<(String, i64), Option<String>> = sqlx::query(
            "SELECT rule_code, victim_pos, justification FROM case_rule_hits WHERE case_id = $1",
        )
        .bind(id.0)
        .fetch_all(self.pool())
        .await?
        .into_iter()
        .map(|r| -> Result<_> {
            Ok((
                (r.try_get("rule_code")?, r.try_get("victim_pos")?),
                r.try_get("justification")?,
            ))
        })
        .collect::<Result<_>>()?;
        Ok(evaluate(&rules, &facts)
            .into_iter()
            .map(|h: Hit| {
                let rule = rules.iter().find(|r| r.code == h.code);
                let pos = h.victim.map(|v| v as i64).unwrap_or(-1);
                RuleHit {
                    justification: saved.get(&(h.code.clone(), pos)).cloned().flatten(),
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
        let mut tx = self.maintenance(Maintenance::Derived).await?;
        sqlx::query("DELETE FROM case_rule_hits WHERE case_id = $1")
            .bind(id.0)
            .execute(&mut *tx)
            .await?;
        if !hits.is_empty() {
            let mut q = Sql::new(
                "INSERT INTO case_rule_hits (case_id, rule_code, victim_pos, severity, justification) VALUES ",
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
                    Some(j) => q.push(", ").bind_text(j.as_str()).push(")"),
                    None => q.push(", NULL)"),
                };
            }
            q.push(" ON CONFLICT DO NOTHING");
            q.build().execute(&mut *tx).await?;
            // One firing per rule and save (a victim rule firing for two victims counts once).
            let mut codes: Vec<&str> = hits.iter().map(|h| h.code.as_str()).collect();
            codes.sort();
            codes.dedup();
            let mut q = Sql::new("UPDATE validation_rules SET fired = fired + 1 WHERE code IN (");
            for (i, c) in codes.iter().enumerate() {
                if i > 0 {
                    q.push(", ");
                }
                q.bind_text(*c);
            }
            q.push(")");
            q.build().execute(&mut *tx).await?;
        }
        tx.commit().await?;
        Ok(())
    }

    /// The save itself is committed by then: a failure here is logged, not reported as a
    /// failed save (submission re-runs the rules, the full linkage run re-checks everything).
    pub(crate) async fn after_case_saved(&self, id: CaseId) -> Result<()> {
        let rules = match self.hits_now(id).await {
            Ok(hits) => self.record_rule_hits(id, &hits).await,
            Err(e) => Err(e),
        };
        if let Err(e) = rules {
            tracing::error!(error = %e, case = id.0, "rules after save failed");
        }
        if let Err(e) = self.check_duplicates(id).await {
            tracing::error!(error = %e, case = id.0, "duplicate check after save failed");
        }
        Ok(())
    }
}
