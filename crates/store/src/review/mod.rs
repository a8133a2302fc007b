//! The PIC-data workflow: submission, verification, clearing and returns with notes;
//! validation rules on save and on submission; monthly reporting periods that lock cleared
//! records. Every transition is audited and kept in `case_reviews` for the case timeline.

pub(crate) mod quality;

use crate::cases::CaseView;
use crate::core::audit::{Event, append};
use crate::core::error::RuleHit;
use crate::core::ids::CaseId;
use crate::core::sql::Sql;
use crate::{Result, Store, StoreError};
use domain::case::Day;
use domain::review::{ReviewAction, ReviewLevel, ReviewState, next_state};
use domain::rules::{Facts, Hit, Rule, Severity, Value, evaluate, parse_rules};
use domain::{Action, Actor, RegionCode, Scope, decide};
use serde::{Deserialize, Serialize};
use sqlx::Row;
use std::collections::{BTreeMap, HashMap};

const RULES_SEED: &str = include_str!("../../../../data/rules.txt");

/// A note a reviewer attaches to one field when returning a case.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct FieldNote {
    pub field: String,
    pub note: String,
}

#[derive(Debug, Clone, Serialize)]
pub struct RuleInfo {
    pub code: String,
    pub severity: String,
    pub scope: String,
    pub field: String,
    pub condition: String,
    pub message_id: String,
    pub message_en: String,
    pub active: bool,
    /// How many times the rule fired on a save or a submission.
    pub fired: i64,
    /// Cases that break it now.
    pub open_cases: i64,
}

#[derive(Debug, Clone, Serialize)]
pub struct ReviewStep {
    pub action: String,
    pub from_state: String,
    pub to_state: String,
    pub actor_name: String,
    pub at_ms: i64,
    pub note: String,
    pub field_notes: Vec<FieldNote>,
    pub changed: Vec<String>,
}

/// Where a case stands in the workflow, for its page.
#[derive(Debug, Clone, Serialize)]
pub struct ReviewInfo {
    pub state: ReviewState,
    pub level: Option<ReviewLevel>,
    pub since_ms: i64,
    pub returns: i64,
    /// Cleared in a closed reporting period.
    pub locked: bool,
    pub steps: Vec<ReviewStep>,
    /// The notes of the last return while the case is back with its unit or resubmitted.
    pub return_notes: Vec<FieldNote>,
    pub return_note: String,
    /// Fields changed since the last return.
    pub changed_since_return: Vec<String>,
    pub hits: Vec<RuleHit>,
    /// What the viewer may do now.
    pub can: Vec<ReviewAction>,
}

/// A review step asked for by a user.
#[derive(Debug, Clone, Default)]
pub struct ReviewRequest {
    pub note: String,
    pub field_notes: Vec<FieldNote>,
    /// Justifications of warnings, by [`RuleHit::justification_key`].
    pub justifications: HashMap<String, String>,
}

#[derive(Debug, Clone, Serialize)]
pub struct QueueItem {
    pub id: CaseId,
    pub code: String,
    pub state: String,
    pub region_code: Option<String>,
    pub unit_name: String,
    pub since_ms: i64,
    pub age_days: i64,
    pub returns: i64,
}

#[derive(Debug, Clone, Serialize)]
pub struct PeriodView {
    pub month: String,
    pub closed: bool,
    /// Closed by a level above (e.g. national): locked here too, reopened only there.
    pub closed_above: bool,
    pub changed_by: Option<String>,
    pub changed_at_ms: Option<i64>,
    pub reason: String,
    pub cleared: i64,
    pub pending: i64,
}

/// "2026-03" for a day number.
pub fn month_of(day: Day) -> String {
    let (y, m, _) = domain::time::civil_from_days(day);
    format!("{y:04}-{m:02}")
}

fn parse_month(s: &str) -> Option<(i64, i64)> {
    let (y, m) = s.trim().split_once('-')?;
    let (y, m): (i64, i64) = (y.parse().ok()?, m.parse().ok()?);
    ((1990..=2200).contains(&y) && (1..=12).contains(&m) && s.trim().len() == 7).then_some((y, m))
}

/// The region itself and every region above it, and "" for national.
fn ancestors(region: Option<&str>) -> Vec<String> {
    let mut out = vec![String::new()];
    if let Some(r) = region {
        let parts: Vec<&str> = r.split('.').collect();
        for i in 1..=parts.len() {
            out.push(parts[..i].join("."));
        }
    }
    out
}

struct CaseState {
    state: ReviewState,
    level: Option<ReviewLevel>,
    unit_id: i64,
    region: Option<String>,
    province: Option<String>,
    reported_on: Day,
    version: i64,
}

impl Store {
    /// Loads the shipped rules: adds new ones and updates the text of known ones, keeping
    /// whether an administrator switched a rule off and how often it fired.
    pub(crate) async fn ensure_rules(&self) -> Result<()> {
        let rules = parse_rules(RULES_SEED).map_err(|e| StoreError::Other(e.join("; ")))?;
        let mut tx = self.begin_write().await?;
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

    async fn active_rules(&self) -> Result<Vec<Rule>> {
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
    async fn facts(&self, id: CaseId) -> Result<Facts> {
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
        let today = crate::now_ms() / 86_400_000;
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

    async fn hits_now(&self, id: CaseId) -> Result<Vec<RuleHit>> {
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
        let mut tx = self.begin_write().await?;
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

    async fn case_state(&self, id: CaseId) -> Result<CaseState> {
        let r = sqlx::query(
            "SELECT review_state, review_level, unit_id, region_code, province_code, reported_on, version FROM cases WHERE id = $1",
        )
        .bind(id.0)
        .fetch_optional(self.pool())
        .await?
        .ok_or(StoreError::NotFound)?;
        let state: String = r.try_get("review_state")?;
        let level: Option<String> = r.try_get("review_level")?;
        Ok(CaseState {
            state: ReviewState::parse(&state).unwrap_or(ReviewState::Draft),
            level: level.as_deref().and_then(ReviewLevel::parse),
            unit_id: r.try_get("unit_id")?,
            region: r.try_get("region_code")?,
            province: r.try_get("province_code")?,
            reported_on: r.try_get("reported_on")?,
            version: r.try_get("version")?,
        })
    }

    /// True when a closed reporting period covers this region and month.
    pub async fn period_locked(&self, region: Option<&str>, reported_on: Day) -> Result<bool> {
        let mut q =
            Sql::new("SELECT COUNT(*) FROM reporting_periods WHERE closed = 1 AND month = ");
        q.bind_text(month_of(reported_on))
            .push(" AND region_code IN (");
        for (i, a) in ancestors(region).into_iter().enumerate() {
            if i > 0 {
                q.push(", ");
            }
            q.bind_text(a);
        }
        q.push(")");
        let n: i64 = q.build().fetch_one(self.pool()).await?.try_get(0)?;
        Ok(n > 0)
    }

    /// Refuses a change to a case's registered facts unless its unit holds it (draft or
    /// returned) and no closed period locks it. Called by every writer of those facts.
    pub(crate) async fn check_editable(&self, id: CaseId) -> Result<()> {
        let s = self.case_state(id).await?;
        if s.state == ReviewState::Cleared
            && self
                .period_locked(s.region.as_deref(), s.reported_on)
                .await?
        {
            return Err(StoreError::Conflict("conflict.period_locked"));
        }
        if !s.state.editable() {
            return Err(StoreError::Conflict("conflict.under_review"));
        }
        Ok(())
    }

    fn allowed_steps(
        &self,
        actor: &Actor,
        s: &CaseState,
        scope: &Scope,
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
        .filter(|a| decide(actor, a.permission(s.state, s.level), scope).is_ok())
        .filter(|a| *a != ReviewAction::Submit || actor.unit_id.0 == s.unit_id)
        .filter(|a| !(locked && *a == ReviewAction::Return))
        .collect()
    }

    /// The case's place in the workflow, its history and what the actor may do.
    pub async fn review_info(&self, actor: &Actor, id: CaseId) -> Result<ReviewInfo> {
        self.case_access(actor, id, Action::ViewCase).await?;
        let s = self.case_state(id).await?;
        let scope = Scope::from_code(s.region.as_deref().and_then(|c| RegionCode::parse(c).ok()));
        let r = sqlx::query(
            "SELECT COALESCE(state_since, created_at) AS since, returns FROM cases WHERE id = $1",
        )
        .bind(id.0)
        .fetch_one(self.pool())
        .await?;
        let locked = s.state == ReviewState::Cleared
            && self
                .period_locked(s.region.as_deref(), s.reported_on)
                .await?;
        let mut steps = self.review_steps(id).await?;
        // Reviewers' notes are free text and may name people: only for roles that see
        // identities (the field a note is attached to stays visible).
        let notes_visible = decide(actor, Action::ViewIdentity, &scope).is_ok();
        if !notes_visible {
            for st in steps.iter_mut() {
                st.note.clear();
                for n in st.field_notes.iter_mut() {
                    n.note.clear();
                }
            }
        }
        let last_return = steps.iter().rev().find(|st| st.action == "return");
        let (return_notes, return_note) = match (s.state, last_return) {
            (ReviewState::Returned | ReviewState::Submitted, Some(r)) => {
                (r.field_notes.clone(), r.note.clone())
            }
            _ => (Vec::new(), String::new()),
        };
        let changed_since_return = match (s.state, steps.last()) {
            (ReviewState::Returned, Some(_)) => self.changed_since_return(id).await?,
            (ReviewState::Submitted, Some(last)) => last.changed.clone(),
            _ => Vec::new(),
        };
        Ok(ReviewInfo {
            can: self.allowed_steps(actor, &s, &scope, locked),
            state: s.state,
            level: s.level,
            since_ms: r.try_get("since")?,
            returns: r.try_get("returns")?,
            locked,
            steps,
            return_notes,
            return_note,
            changed_since_return,
            hits: {
                let mut hits = self.hits_now(id).await?;
                if !notes_visible {
                    for h in hits.iter_mut() {
                        h.justification = h.justification.as_ref().map(|_| String::new());
                    }
                }
                hits
            },
        })
    }

    async fn review_steps(&self, id: CaseId) -> Result<Vec<ReviewStep>> {
        let rows = sqlx::query("SELECT * FROM case_reviews WHERE case_id = $1 ORDER BY id")
            .bind(id.0)
            .fetch_all(self.pool())
            .await?;
        let mut out = Vec::new();
        for r in rows {
            let notes: String = r.try_get("field_notes")?;
            let changed: String = r.try_get("changed")?;
            out.push(ReviewStep {
                action: r.try_get("action")?,
                from_state: r.try_get("from_state")?,
                to_state: r.try_get("to_state")?,
                actor_name: r.try_get("actor_name")?,
                at_ms: r.try_get("at")?,
                note: r.try_get("note")?,
                field_notes: serde_json::from_str(&notes).unwrap_or_default(),
                changed: serde_json::from_str(&changed).unwrap_or_default(),
            });
        }
        Ok(out)
    }

    /// A fingerprint of every field of the case: plain codes and dates as they are,
    /// identities as keyed hashes (the review table never holds personal data).
    async fn fingerprint(&self, id: CaseId) -> Result<BTreeMap<String, String>> {
        let row = sqlx::query(
            "SELECT c.*, n.name AS unit_name FROM cases c JOIN units n ON n.id = c.unit_id WHERE c.id = $1",
        )
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
    async fn changed_since_return(&self, id: CaseId) -> Result<Vec<String>> {
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
    async fn province_has_verifier(&self, province: Option<&str>) -> Result<bool> {
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
    /// justification each. A return needs a note (general or on fields).
    pub async fn review(
        &self,
        actor: &Actor,
        id: CaseId,
        action: ReviewAction,
        req: &ReviewRequest,
    ) -> Result<ReviewState> {
        self.case_access(actor, id, Action::ViewCase).await?;
        let s = self.case_state(id).await?;
        let scope = Scope::from_code(s.region.as_deref().and_then(|c| RegionCode::parse(c).ok()));
        decide(actor, action.permission(s.state, s.level), &scope)?;
        if action == ReviewAction::Submit && actor.unit_id.0 != s.unit_id {
            return Err(StoreError::Forbidden);
        }
        let to = next_state(s.state, s.level, action).map_err(StoreError::Conflict)?;
        // Four eyes: whoever verified a case does not clear it too.
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
        if note.chars().count() > 4000 {
            return Err(domain::Invalid::one("note", "err.too_long").into());
        }
        let mut level = s.level;
        let mut changed = Vec::new();
        let mut snapshot = String::from("{}");
        if action == ReviewAction::Submit {
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
            level = Some(
                if self.province_has_verifier(s.province.as_deref()).await? {
                    ReviewLevel::Province
                } else {
                    ReviewLevel::National
                },
            );
            if s.state == ReviewState::Returned {
                changed = self.changed_since_return(id).await?;
            }
        }
        if action == ReviewAction::Return {
            snapshot = serde_json::to_string(&self.fingerprint(id).await?)
                .map_err(|e| StoreError::Other(e.to_string()))?;
        }
        let now = crate::now_ms();
        let mut tx = self.begin_write().await?;
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
            "INSERT INTO case_reviews (case_id, action, from_state, to_state, actor_id, actor_name, at, note, field_notes, snapshot, changed) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)",
        )
        .bind(id.0)
        .bind(action.as_str())
        .bind(s.state.as_str())
        .bind(to.as_str())
        .bind(actor.user_id.map(|u| u.0))
        .bind(actor.username.clone())
        .bind(now)
        .bind(note)
        .bind(serde_json::to_string(&field_notes).unwrap_or_else(|_| "[]".into()))
        .bind(snapshot)
        .bind(serde_json::to_string(&changed).unwrap_or_else(|_| "[]".into()))
        .execute(&mut *tx)
        .await?;
        append(
            &mut tx,
            actor,
            Event {
                action: match action {
                    ReviewAction::Submit => "case.submit",
                    ReviewAction::Verify => "case.verify",
                    ReviewAction::Clear => "case.clear",
                    ReviewAction::Return => "case.return",
                },
                record_type: "case",
                record_id: id.to_string(),
                detail: format!(
                    "from={} to={} level={}",
                    s.state.as_str(),
                    to.as_str(),
                    level.map(|l| l.as_str()).unwrap_or("-")
                ),
            },
        )
        .await?;
        tx.commit().await?;
        Ok(to)
    }

    /// For generated data only (`gugus demo`, `gugus generate`): puts cases straight into a
    /// review state with a plausible dated history (submitted 3 days after the report,
    /// verified after 7, cleared after 14). One audit entry for the batch.
    pub async fn import_review_states(
        &self,
        actor: &Actor,
        items: &[(CaseId, ReviewState)],
    ) -> Result<()> {
        decide(actor, Action::ManageSettings, &Scope::National)?;
        let now = crate::now_ms();
        let day = 86_400_000i64;
        for chunk in items.chunks(500) {
            let mut tx = self.begin_write().await?;
            for (id, state) in chunk {
                let reported: i64 =
                    sqlx::query_scalar("SELECT reported_on FROM cases WHERE id = $1")
                        .bind(id.0)
                        .fetch_one(&mut *tx)
                        .await?;
                // Cleared cases keep dates near their report; cases still under way got there
                // in the last weeks (an old report in the queue would look abandoned).
                let base = if *state == ReviewState::Cleared {
                    reported * day
                } else {
                    (reported * day).max(now - 20 * day - (id.0 % 17) * day)
                };
                let at = |days: i64| (base + days * day).min(now);
                let mut steps: Vec<(&str, &str, &str, i64)> =
                    vec![("submit", "draft", "submitted", at(3))];
                match state {
                    ReviewState::Draft => steps.clear(),
                    ReviewState::Submitted => {}
                    ReviewState::Returned => steps.push(("return", "submitted", "returned", at(5))),
                    ReviewState::Verified => steps.push(("verify", "submitted", "verified", at(7))),
                    ReviewState::Cleared => {
                        steps.push(("verify", "submitted", "verified", at(7)));
                        steps.push(("clear", "verified", "cleared", at(14)));
                    }
                }
                let Some(last) = steps.last().map(|s| s.3) else {
                    continue;
                };
                for (action, from, to, t) in &steps {
                    let note = if *action == "return" {
                        "Lengkapi kronologi dan desa asal korban."
                    } else {
                        ""
                    };
                    sqlx::query(
                        "INSERT INTO case_reviews (case_id, action, from_state, to_state, actor_name, at, note) VALUES ($1, $2, $3, $4, 'demo', $5, $6)",
                    )
                    .bind(id.0)
                    .bind(*action)
                    .bind(*from)
                    .bind(*to)
                    .bind(*t)
                    .bind(note)
                    .execute(&mut *tx)
                    .await?;
                }
                sqlx::query(
                    "UPDATE cases SET review_state = $1, review_level = $2, state_since = $3, submitted_at = $4, \
                     cleared_at = $5, returns = $6, created_at = $7 WHERE id = $8",
                )
                .bind(state.as_str())
                .bind(matches!(state, ReviewState::Submitted | ReviewState::Verified).then_some("province"))
                .bind(last)
                .bind(at(3))
                .bind((*state == ReviewState::Cleared).then(|| at(14)))
                .bind(i64::from(*state == ReviewState::Returned))
                .bind(at(0))
                .bind(id.0)
                .execute(&mut *tx)
                .await?;
            }
            append(
                &mut tx,
                actor,
                Event {
                    action: "case.import_review_states",
                    record_type: "case",
                    record_id: String::new(),
                    detail: format!("cases={}", chunk.len()),
                },
            )
            .await?;
            tx.commit().await?;
        }
        Ok(())
    }

    /// What waits for the actor, oldest first: a data officer's drafts and returned cases,
    /// a provincial verifier's submissions, the national clearing officers' verified cases
    /// (and submissions from provinces without a verifier).
    pub async fn review_queue(&self, actor: &Actor) -> Result<Vec<QueueItem>> {
        decide(actor, Action::ViewCase, &actor.scope)?;
        let mut q = Sql::new(
            "SELECT c.id, c.code, c.review_state, c.region_code, n.name AS unit_name, COALESCE(c.state_since, c.created_at) AS since, c.returns \
             FROM cases c JOIN units n ON n.id = c.unit_id WHERE ",
        );
        if decide(actor, Action::ClearCase, &actor.scope).is_ok() {
            q.push("(c.review_state = 'verified' OR (c.review_state = 'submitted' AND c.review_level = 'national'))");
        } else if decide(actor, Action::VerifyCase, &actor.scope).is_ok() {
            q.push("c.review_state = 'submitted' AND c.review_level = 'province'");
        } else if decide(actor, Action::SubmitCase, &actor.scope).is_ok() {
            q.push("c.review_state IN ('draft', 'returned') AND c.unit_id = ")
                .bind_int(actor.unit_id.0);
        } else {
            return Ok(Vec::new());
        }
        if actor.scope != Scope::National {
            q.scope("c.region_code", &actor.scope);
        }
        q.push(" ORDER BY since, c.id LIMIT 500");
        let now = crate::now_ms();
        let mut out = Vec::new();
        for r in q.build().fetch_all(self.pool()).await? {
            let since: i64 = r.try_get("since")?;
            out.push(QueueItem {
                id: CaseId(r.try_get("id")?),
                code: r.try_get("code")?,
                state: r.try_get("review_state")?,
                region_code: r.try_get("region_code")?,
                unit_name: r.try_get("unit_name")?,
                since_ms: since,
                age_days: (now - since).max(0) / 86_400_000,
                returns: r.try_get("returns")?,
            });
        }
        Ok(out)
    }

    /// The actor's region's last `months` reporting periods with their counts.
    pub async fn periods(&self, actor: &Actor, months: usize) -> Result<Vec<PeriodView>> {
        decide(actor, Action::ManagePeriods, &actor.scope)?;
        let region = actor
            .scope
            .region()
            .map(|r| r.as_str().to_owned())
            .unwrap_or_default();
        let today = crate::now_ms() / 86_400_000;
        let (mut y, mut m, _) = domain::time::civil_from_days(today);
        let mut out = Vec::new();
        for _ in 0..months {
            let month = format!("{y:04}-{m:02}");
            let from = domain::time::days_from_civil(y, m, 1);
            let to = if m == 12 {
                domain::time::days_from_civil(y + 1, 1, 1)
            } else {
                domain::time::days_from_civil(y, m + 1, 1)
            };
            let mut q = Sql::new(
                "SELECT COALESCE(SUM(CASE WHEN review_state = 'cleared' THEN 1 ELSE 0 END), 0) AS cleared, \
                 COALESCE(SUM(CASE WHEN review_state <> 'cleared' THEN 1 ELSE 0 END), 0) AS pending FROM cases WHERE reported_on >= ",
            );
            q.bind_int(from).push(" AND reported_on < ").bind_int(to);
            if actor.scope != Scope::National {
                q.scope("region_code", &actor.scope);
            }
            let counts = q.build().fetch_one(self.pool()).await?;
            let p = sqlx::query(
                "SELECT closed, changed_by, changed_at, reason FROM reporting_periods WHERE region_code = $1 AND month = $2",
            )
            .bind(region.clone())
            .bind(month.clone())
            .fetch_optional(self.pool())
            .await?;
            let mut above =
                Sql::new("SELECT COUNT(*) FROM reporting_periods WHERE closed = 1 AND month = ");
            above.bind_text(month.clone()).push(" AND region_code IN (");
            let ups: Vec<String> = ancestors(actor.scope.region().map(|r| r.as_str()))
                .into_iter()
                .filter(|a| *a != region)
                .collect();
            for (i, a) in ups.iter().enumerate() {
                if i > 0 {
                    above.push(", ");
                }
                above.bind_text(a.as_str());
            }
            above.push(")");
            let closed_above: i64 = if ups.is_empty() {
                0
            } else {
                above.build().fetch_one(self.pool()).await?.try_get(0)?
            };
            out.push(PeriodView {
                closed_above: closed_above > 0,
                closed: match &p {
                    Some(p) => p.try_get::<i64, _>("closed")? != 0,
                    None => false,
                },
                changed_by: p.as_ref().map(|p| p.try_get("changed_by")).transpose()?,
                changed_at_ms: p.as_ref().map(|p| p.try_get("changed_at")).transpose()?,
                reason: p
                    .as_ref()
                    .map(|p| p.try_get("reason"))
                    .transpose()?
                    .unwrap_or_default(),
                cleared: counts.try_get("cleared")?,
                pending: counts.try_get("pending")?,
                month,
            });
            if m == 1 {
                y -= 1;
                m = 12;
            } else {
                m -= 1;
            }
        }
        Ok(out)
    }

    /// Closes (locks the cleared records of) or reopens a month of the actor's region.
    /// Reopening needs a reason; both are audited.
    pub async fn set_period(
        &self,
        actor: &Actor,
        month: &str,
        close: bool,
        reason: &str,
    ) -> Result<()> {
        decide(actor, Action::ManagePeriods, &actor.scope)?;
        if parse_month(month).is_none() {
            return Err(domain::Invalid::one("month", "err.month").into());
        }
        let reason = reason.trim();
        if !close && reason.chars().count() < 10 {
            return Err(domain::Invalid::one("reason", "err.reopen_reason").into());
        }
        let region = actor
            .scope
            .region()
            .map(|r| r.as_str().to_owned())
            .unwrap_or_default();
        let mut tx = self.begin_write().await?;
        sqlx::query(
            "INSERT INTO reporting_periods (region_code, month, closed, changed_by, changed_at, reason) VALUES ($1, $2, $3, $4, $5, $6) \
             ON CONFLICT (region_code, month) DO UPDATE SET closed = excluded.closed, changed_by = excluded.changed_by, \
             changed_at = excluded.changed_at, reason = excluded.reason",
        )
        .bind(region.clone())
        .bind(month.trim().to_owned())
        .bind(i64::from(close))
        .bind(actor.username.clone())
        .bind(crate::now_ms())
        .bind(reason.chars().take(1000).collect::<String>())
        .execute(&mut *tx)
        .await?;
        append(
            &mut tx,
            actor,
            Event {
                action: if close {
                    "period.close"
                } else {
                    "period.reopen"
                },
                record_type: "period",
                record_id: format!(
                    "{}/{}",
                    if region.is_empty() { "NAS" } else { &region },
                    month.trim()
                ),
                detail: String::new(),
            },
        )
        .await?;
        tx.commit().await?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ancestors_run_from_national_to_the_region() {
        assert_eq!(ancestors(None), vec![String::new()]);
        assert_eq!(
            ancestors(Some("62.71.01")),
            vec!["", "62", "62.71", "62.71.01"]
        );
    }

    #[test]
    fn months() {
        assert_eq!(
            month_of(domain::time::days_from_civil(2026, 3, 31)),
            "2026-03"
        );
        assert_eq!(parse_month("2026-03"), Some((2026, 3)));
        assert!(parse_month("2026-13").is_none());
        assert!(parse_month("2026-3").is_none());
    }
}
