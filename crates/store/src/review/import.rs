//! Review states for generated data (`gugus demo`, `gugus generate`): cases put straight
//! into a state with a plausible dated history that follows the review chain.

use super::notes::seal_note;
use super::*;
use crate::core::access::scope_of;
use domain::audit::AuditAction;
use domain::review::first_review_level;

impl Store {
    /// Puts cases straight into a review state with a plausible dated history (submitted 3
    /// days after the report, verified by the province after 7, cleared by national after
    /// 14). Records of provincial units skip verification, as their submissions go to
    /// national. One audit entry per batch.
    pub async fn import_review_states(
        &self,
        actor: &Actor,
        items: &[(CaseId, ReviewState)],
    ) -> Result<()> {
        decide(actor, Action::ManageSettings, &Scope::National)?;
        let k = self.keyring()?;
        let note = seal_note(k, "Lengkapi kronologi dan desa asal korban.")?;
        let now = self.now_ms();
        let day = 86_400_000i64;
        for chunk in items.chunks(500) {
            let allowed = self.allow(actor, Action::ManageSettings, &Scope::National)?;
            let mut tx = self.write(allowed).await?;
            for (id, state) in chunk {
                let (reported, region): (i64, Option<String>) =
                    sqlx::query_as("SELECT reported_on, region_code FROM cases WHERE id = $1")
                        .bind(id.0)
                        .fetch_one(&mut *tx)
                        .await?;
                let unit = scope_of(region);
                let level = first_review_level(&unit, true);
                let state = match (*state, level) {
                    (ReviewState::Verified, ReviewLevel::National) => ReviewState::Submitted,
                    (s, _) => s,
                };
                // Cleared cases keep dates near their report; cases still under way got there
                // in the last weeks (an old report in the queue would look abandoned).
                let base = if state == ReviewState::Cleared {
                    reported * day
                } else {
                    (reported * day).max(now - 20 * day - (id.0 % 17) * day)
                };
                let at = |days: i64| (base + days * day).min(now);
                let first = match level {
                    ReviewLevel::Province => ActingLevel::Province,
                    ReviewLevel::National => ActingLevel::National,
                };
                let unit_level = ActingLevel::of(&unit);
                let mut steps: Vec<(&str, &str, &str, i64, ActingLevel)> =
                    vec![("submit", "draft", "submitted", at(3), unit_level)];
                match state {
                    ReviewState::Draft => steps.clear(),
                    ReviewState::Submitted => {}
                    ReviewState::Returned => {
                        steps.push(("return", "submitted", "returned", at(5), first))
                    }
                    ReviewState::Verified => {
                        steps.push(("verify", "submitted", "verified", at(7), first))
                    }
                    ReviewState::Cleared => {
                        if level == ReviewLevel::Province {
                            steps.push(("verify", "submitted", "verified", at(7), first));
                        }
                        let from = if level == ReviewLevel::Province {
                            "verified"
                        } else {
                            "submitted"
                        };
                        steps.push(("clear", from, "cleared", at(14), ActingLevel::National));
                    }
                }
                let Some(last) = steps.last().map(|s| s.3) else {
                    continue;
                };
                for (action, from, to, t, acted) in &steps {
                    sqlx::query(
                        "INSERT INTO case_reviews (case_id, action, from_state, to_state, actor_name, actor_level, at, note_enc) \
                         VALUES ($1, $2, $3, $4, 'demo', $5, $6, $7)",
                    )
                    .bind(id.0)
                    .bind(*action)
                    .bind(*from)
                    .bind(*to)
                    .bind(acted.as_str())
                    .bind(*t)
                    .bind(if *action == "return" { note.clone() } else { None })
                    .execute(&mut *tx)
                    .await?;
                }
                sqlx::query(
                    "UPDATE cases SET review_state = $1, review_level = $2, state_since = $3, submitted_at = $4, \
                     cleared_at = $5, returns = $6, created_at = $7 WHERE id = $8",
                )
                .bind(state.as_str())
                .bind(matches!(state, ReviewState::Submitted | ReviewState::Verified).then_some(level.as_str()))
                .bind(last)
                .bind(at(3))
                .bind((state == ReviewState::Cleared).then(|| at(14)))
                .bind(i64::from(state == ReviewState::Returned))
                .bind(at(0))
                .bind(id.0)
                .execute(&mut *tx)
                .await?;
            }
            tx.audit(Event {
                action: AuditAction::CaseImportReviewStates,
                record_type: "case",
                record_id: String::new(),
                detail: format!("cases={}", chunk.len()),
            })
            .await?;
            tx.touch_cases(chunk.iter().map(|(id, _)| id.0));
            tx.commit().await?;
        }
        Ok(())
    }
}
