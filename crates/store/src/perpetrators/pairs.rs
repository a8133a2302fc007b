//! Proposing perpetrator pairs. After a perpetrator is recorded it is compared with the
//! perpetrators of other cases: candidates come from keyed indexes only (the NIK's blind
//! index, the blind indexes of the words of name and alias), are decrypted in memory and
//! scored with the linkage engine's name and NIK comparisons (persons: name + NIK;
//! organisations: the name without its legal form). Pairs at or above [`PROPOSE_AT`] are
//! proposed; a decided pair is never asked again. The check runs after the save has
//! committed and never fails it: a record whose check did not finish stays unchecked
//! (`pairs_checked_at` NULL) and the background worker checks it.

use super::records::{CandidateRecord, TokenCountRecord};
use crate::core::sql::Sql;
use crate::core::write::Maintenance;
use crate::{Result, Store};
use std::collections::BTreeSet;
use std::time::Duration;

/// Pairs at or above this match probability are proposed to the verifiers.
const PROPOSE_AT: f64 = 0.5;
/// A name word shared by more perpetrators than this is too common to look up.
const TOKEN_CAP: i64 = 500;
/// Perpetrators the worker checks in one pass.
const CHECK_BATCH: i64 = 200;
/// Attempts of the check right after a save.
const ATTEMPTS: u32 = 3;

/// Words of an organisation's name that say its legal form, not which one it is.
const LEGAL_FORMS: &[&str] = &[
    "pt",
    "cv",
    "ud",
    "pd",
    "fa",
    "firma",
    "tbk",
    "persero",
    "perseroan",
    "terbatas",
    "yayasan",
    "koperasi",
    "perum",
    "lpk",
    "p3mi",
    "pjtki",
    "pptkis",
];

/// An organisation's name as compared: lower case, punctuation and legal form dropped
/// ("PT. Sinar Jaya Abadi" and "Sinar Jaya Abadi, PT" are one name).
pub(super) fn organisation_name(name: &str) -> String {
    name.to_lowercase()
        .split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty() && !LEGAL_FORMS.contains(w))
        .collect::<Vec<_>>()
        .join(" ")
}

/// A perpetrator as the engine compares it.
pub(super) fn engine_record(id: i64, kind: &str, name: &str, nik: Option<&str>) -> linkage::Record {
    if kind == "organisation" {
        linkage::Record {
            id: id as u64,
            name: Some(organisation_name(name)),
            ..Default::default()
        }
    } else {
        linkage::Record {
            id: id as u64,
            name: Some(name.to_owned()),
            nik: nik.map(str::to_owned),
            ..Default::default()
        }
    }
}

/// The engine's score with the prior of perpetrator records: one in `n - 1` that two
/// records taken at random are one perpetrator (the victims' prior does not fit them).
pub(super) fn score(
    model: &linkage::Model,
    n: i64,
    a: &linkage::Record,
    b: &linkage::Record,
) -> Option<linkage::Scored> {
    let mut s = model.score(a, b);
    if !s.weight.is_finite() {
        return None;
    }
    let prior = -((n.max(2) - 1) as f64).log2();
    s.weight += prior - model.prior_weight();
    s.probability = linkage::probability(s.weight);
    if let Some(first) = s.explanation.first_mut()
        && first.field == "prior"
    {
        first.weight = prior;
    }
    Some(s)
}

/// The explanation as stored with the pair (weights rounded to hundredths of a bit).
fn explain_json(s: &linkage::Scored) -> String {
    let lines: Vec<crate::linkage::ExplainLine> = s
        .explanation
        .iter()
        .map(|c| crate::linkage::ExplainLine {
            field: c.field.to_owned(),
            level: c.level.to_owned(),
            weight: (c.weight * 100.0).round() / 100.0,
        })
        .collect();
    serde_json::to_string(&lines).unwrap_or_else(|_| "[]".into())
}

impl Store {
    /// The check right after a perpetrator's save: retried a few times, then left to the
    /// worker. Logs ids only.
    pub(super) async fn after_perpetrator_saved(&self, id: i64) {
        for attempt in 1..=ATTEMPTS {
            match self.check_perpetrator_pairs(id).await {
                Ok(_) => return,
                Err(e) => {
                    tracing::warn!(error = %e, perpetrator = id, attempt, "perpetrator pair check failed");
                    let ms = 20 * u64::from(attempt) + (id.unsigned_abs() % 13);
                    tokio::time::sleep(Duration::from_millis(ms)).await;
                }
            }
        }
        tracing::error!(
            perpetrator = id,
            "perpetrator pair check left to the worker"
        );
    }

    /// One pass of the worker: perpetrators not yet compared (recorded before pairs
    /// existed, or whose check failed). Returns how many were checked.
    pub async fn check_unchecked_perpetrators(&self) -> Result<usize> {
        let ids: Vec<i64> = sqlx::query_scalar(
            "SELECT id FROM perpetrators WHERE pairs_checked_at IS NULL ORDER BY id LIMIT $1",
        )
        .bind(CHECK_BATCH)
        .fetch_all(self.pool())
        .await?;
        let mut checked = 0;
        for id in ids {
            // One record that cannot be checked must not hold up the worker's other work.
            match self.check_perpetrator_pairs(id).await {
                Ok(_) => checked += 1,
                Err(e) => {
                    tracing::warn!(error = %e, perpetrator = id, "perpetrator pair check failed again")
                }
            }
        }
        Ok(checked)
    }

    /// Compares perpetrator `id` with the perpetrators of other cases and proposes the
    /// likely pairs; marks the record checked. Returns how many pairs were proposed.
    pub(crate) async fn check_perpetrator_pairs(&self, id: i64) -> Result<usize> {
        let Some(me) = sqlx::query_as::<_, CandidateRecord>(
            "SELECT id, kind, name_enc, alias_enc, nik_enc, nik_index FROM perpetrators WHERE id = $1",
        )
        .bind(id)
        .fetch_optional(self.pool())
        .await?
        else {
            return Ok(0);
        };
        let k = self.keyring()?;
        let (name, alias, nik) = me.decrypt(k)?;
        let ids = self
            .pair_candidates(id, me.nik_index.as_deref(), &name, alias.as_deref())
            .await?;
        let mut found = Vec::new();
        if !ids.is_empty() {
            let model = self.linkage_model().await?;
            let n: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM perpetrators")
                .fetch_one(self.pool())
                .await?;
            let mine = engine_record(id, &me.kind, &name, nik.as_deref());
            for other in self.candidate_records(id, &me.kind, &ids).await? {
                let (oname, _, onik) = other.decrypt(k)?;
                let theirs = engine_record(other.id, &other.kind, &oname, onik.as_deref());
                if let Some(s) = score(&model, n, &mine, &theirs)
                    && s.probability >= PROPOSE_AT
                {
                    found.push((id.min(other.id), id.max(other.id), s));
                }
            }
        }
        self.propose_perpetrator_pairs(id, &mut found).await?;
        Ok(found.len())
    }

    /// Perpetrators sharing the NIK or a not-too-common name word with perpetrator `id`.
    async fn pair_candidates(
        &self,
        id: i64,
        nik_index: Option<&str>,
        name: &str,
        alias: Option<&str>,
    ) -> Result<Vec<i64>> {
        let k = self.keyring()?;
        let mut ids: BTreeSet<i64> = BTreeSet::new();
        if let Some(ni) = nik_index {
            let same: Vec<i64> =
                sqlx::query_scalar("SELECT id FROM perpetrators WHERE nik_index = $1 LIMIT $2")
                    .bind(ni.to_owned())
                    .bind(TOKEN_CAP)
                    .fetch_all(self.pool())
                    .await?;
            ids.extend(same);
        }
        let mut words = crate::core::blind::name_tokens(name);
        if let Some(a) = alias {
            words.extend(crate::core::blind::name_tokens(a));
        }
        let keys: Vec<String> = words
            .iter()
            .map(|w| k.blind_index("perp_name", w))
            .collect();
        if !keys.is_empty() {
            let mut q =
                Sql::new("SELECT token, COUNT(*) AS n FROM perpetrator_name_tokens WHERE token");
            q.in_list(&keys).push(" GROUP BY token");
            let rare: Vec<String> = q
                .build_as::<TokenCountRecord>()
                .fetch_all(self.pool())
                .await?
                .into_iter()
                .filter(|r| r.n <= TOKEN_CAP)
                .map(|r| r.token)
                .collect();
            if !rare.is_empty() {
                let mut q = Sql::new(
                    "SELECT DISTINCT perpetrator_id FROM perpetrator_name_tokens WHERE token",
                );
                q.in_list(&rare);
                let found: Vec<i64> = q.build_scalar().fetch_all(self.pool()).await?;
                ids.extend(found);
            }
        }
        ids.remove(&id);
        Ok(ids.into_iter().collect())
    }

    /// The candidates worth scoring: the same kind, on some case, and on no case of
    /// perpetrator `id` (two perpetrators of one case are two people).
    async fn candidate_records(
        &self,
        id: i64,
        kind: &str,
        ids: &[i64],
    ) -> Result<Vec<CandidateRecord>> {
        let mut out = Vec::new();
        for chunk in ids.chunks(200) {
            let mut q = Sql::new(
                "SELECT p.id, p.kind, p.name_enc, p.alias_enc, p.nik_enc, p.nik_index FROM perpetrators p WHERE p.id",
            );
            q.in_list(chunk);
            q.push(" AND p.kind = ").bind_text(kind);
            q.push(" AND EXISTS (SELECT 1 FROM case_perpetrators o WHERE o.perpetrator_id = p.id)");
            q.push(" AND NOT EXISTS (SELECT 1 FROM case_perpetrators o JOIN case_perpetrators m ON m.case_id = o.case_id WHERE o.perpetrator_id = p.id AND m.perpetrator_id = ")
                .bind_int(id)
                .push(")");
            out.extend(
                q.build_as::<CandidateRecord>()
                    .fetch_all(self.pool())
                    .await?,
            );
        }
        Ok(out)
    }

    /// Writes the proposals (smallest pair first, so two writers lock rows in one order)
    /// and marks perpetrator `id` checked, in one transaction. A decided pair keeps its
    /// decision and is not asked again.
    async fn propose_perpetrator_pairs(
        &self,
        id: i64,
        found: &mut Vec<(i64, i64, linkage::Scored)>,
    ) -> Result<()> {
        found.sort_by_key(|(a, b, _)| (*a, *b));
        found.dedup_by_key(|(a, b, _)| (*a, *b));
        let now = self.now_ms();
        let mut tx = self.maintenance(Maintenance::Derived).await?;
        for (a, b, s) in found.iter() {
            sqlx::query(
                "INSERT INTO perpetrator_pairs (perpetrator_a, perpetrator_b, probability, weight, explanation, status, found_at) \
                 VALUES ($1, $2, $3, $4, $5, 'pending', $6) ON CONFLICT (perpetrator_a, perpetrator_b) DO UPDATE SET \
                 probability = excluded.probability, weight = excluded.weight, explanation = excluded.explanation \
                 WHERE perpetrator_pairs.status = 'pending'",
            )
            .bind(*a)
            .bind(*b)
            .bind(s.probability)
            .bind(s.weight)
            .bind(explain_json(s))
            .bind(now)
            .execute(&mut *tx)
            .await?;
        }
        sqlx::query("UPDATE perpetrators SET pairs_checked_at = $1 WHERE id = $2")
            .bind(now)
            .bind(id)
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn model() -> linkage::Model {
        serde_json::from_str(include_str!("../../../../data/linkage-model.json")).unwrap()
    }

    fn person(id: i64, name: &str, nik: Option<&str>) -> linkage::Record {
        engine_record(id, "person", name, nik)
    }

    #[test]
    fn organisations_are_compared_without_their_legal_form() {
        assert_eq!(
            organisation_name("PT. Sinar Jaya Abadi"),
            "sinar jaya abadi"
        );
        assert_eq!(
            organisation_name("Sinar Jaya Abadi, PT"),
            "sinar jaya abadi"
        );
        assert_eq!(organisation_name("CV Maju-Bersama"), "maju bersama");
    }

    #[test]
    fn the_same_nik_or_a_rare_name_variant_is_proposed_and_two_names_are_not() {
        let m = model();
        let nik = Some("5301051203800003");
        let same_nik = score(
            &m,
            1_000,
            &person(1, "Yosef Contoh", nik),
            &person(2, "Josef Kontoh", nik),
        );
        assert!(same_nik.unwrap().probability > 0.99);
        let variant = score(
            &m,
            100,
            &person(1, "Markus Lado", None),
            &person(2, "Markus Ladu", None),
        );
        assert!(variant.unwrap().probability >= PROPOSE_AT);
        let other = score(
            &m,
            100,
            &person(1, "Budi Santoso", None),
            &person(2, "Budi Setiawan", None),
        );
        assert!(other.unwrap().probability < PROPOSE_AT);
        let other_nik = score(
            &m,
            100,
            &person(1, "Yosef Contoh", nik),
            &person(2, "Yosef Contoh", Some("6271011506850002")),
        );
        assert!(other_nik.unwrap().probability < PROPOSE_AT);
    }

    #[test]
    fn the_prior_line_is_the_perpetrators_prior() {
        let m = model();
        let s = score(
            &m,
            9,
            &person(1, "Markus Lado", None),
            &person(2, "Markus Lado", None),
        )
        .unwrap();
        assert_eq!(s.explanation[0].field, "prior");
        assert_eq!(s.explanation[0].weight, -3.0);
        let sum: f64 = s.explanation.iter().map(|c| c.weight).sum();
        assert!((sum - s.weight).abs() < 1e-9);
    }
}
