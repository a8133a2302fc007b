//! Bulk fills **for benchmarks only** (`gugus bench tasks`, docs/BENCHMARKS.md): plain
//! INSERTs of open services and referrals for one unit, in large transactions. They skip
//! validation, authorization, encryption of free text and the audit trail on purpose, so they
//! must never run on a real database.

use crate::{Result, Store, StoreError};
use domain::UnitId;
use domain::case::Day;

/// Rows per transaction.
const BATCH: usize = 2_000;

/// splitmix64, so a seed gives the same fill on every machine.
struct Mix(u64);

impl Mix {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n.max(1) as u64) as usize
    }
    /// A day offset in `lo..=hi`.
    fn days(&mut self, lo: i64, hi: i64) -> i64 {
        lo + self.below((hi - lo + 1).max(1) as usize) as i64
    }
}

/// A victim to attach a row to: (victim id, case id, registering unit of the case).
type VictimRef = (i64, i64, i64);

impl Store {
    /// **Benchmarks only.** Inserts `services` open services (status `planned` or
    /// `in_progress`, due dates from 60 days overdue to 120 days ahead, one to four services
    /// per victim) assigned to `unit`, for victims of the newest cases that unit registered,
    /// plus `referrals` open referrals: two thirds sent to the unit by other units about their
    /// victims (to answer or deliver), one third sent by the unit about its own victims (about
    /// half of them overdue, the ones "my tasks" lists). The same `seed` gives the same rows.
    /// No audit entries, no validation: never on a real database.
    ///
    /// Returns the number of services and referrals inserted.
    pub async fn bench_fill_tasks(
        &self,
        unit: UnitId,
        services: usize,
        referrals: usize,
        seed: u64,
        today: Day,
        created_by: &str,
    ) -> Result<(usize, usize)> {
        let mut rng = Mix(seed ^ 0x5EED_7A5C);
        let codes: Vec<(String, i64)> = self
            .service_types()
            .await?
            .into_iter()
            .map(|t| (t.code, t.default_days))
            .collect();
        if codes.is_empty() {
            return Err(StoreError::Other("the service catalogue is empty".into()));
        }
        let incoming = referrals * 2 / 3;
        // About 2.5 services per victim, so services / 2 victims suffice (reused when short).
        let own = self
            .bench_victims(unit, true, (services / 2 + referrals) as i64)
            .await?;
        let others = self.bench_victims(unit, false, incoming as i64).await?;
        if own.is_empty() {
            return Err(StoreError::Other(
                "the unit registered no cases: generate cases first".into(),
            ));
        }
        let now = self.now_ms();

        let mut rows: Vec<(i64, i64, &str, Day, Day, &str)> = Vec::with_capacity(services);
        let mut v = 0;
        while rows.len() < services {
            let (victim, case, _) = own[v % own.len()];
            v += 1;
            let n = (1 + rng.below(4)).min(services - rows.len());
            let first = rng.below(codes.len());
            for k in 0..n {
                let (code, default_days) = &codes[(first + k * 5) % codes.len()];
                let due = today + rng.days(-60, 120);
                let requested = (due - default_days - rng.days(0, 14)).min(today);
                let status = if rng.below(5) < 3 {
                    "planned"
                } else {
                    "in_progress"
                };
                rows.push((victim, case, code.as_str(), requested, due, status));
            }
        }
        for chunk in rows.chunks(BATCH) {
            let mut tx = self
                .maintenance(crate::core::write::Maintenance::Bench)
                .await?;
            for (victim, case, code, requested, due, status) in chunk {
                sqlx::query(
                    "INSERT INTO services (victim_id, case_id, service_code, unit_id, requested_on, due_on, status, is_open, created_by, created_at, updated_at) \
                     VALUES ($1, $2, $3, $4, $5, $6, $7, 1, $8, $9, $9)",
                )
                .bind(*victim)
                .bind(*case)
                .bind((*code).to_owned())
                .bind(unit.0)
                .bind(*requested)
                .bind(*due)
                .bind((*status).to_owned())
                .bind(created_by.to_owned())
                .bind(now)
                .execute(&mut *tx)
                .await?;
            }
            tx.commit().await?;
        }

        // Referrals: incoming from the units that registered the other victims' cases,
        // outgoing to those same units about the unit's own victims.
        let mut tx = self
            .maintenance(crate::core::write::Maintenance::Bench)
            .await?;
        let mut sent = 0;
        for i in 0..referrals {
            let (victim, case, from, to) = if i < incoming {
                let Some(&(victim, case, owner)) = others.get(i) else {
                    continue;
                };
                (victim, case, owner, unit.0)
            } else {
                let (victim, case, _) = own[(v + i) % own.len()];
                let Some(&(_, _, other)) = others.get(rng.below(others.len())) else {
                    continue;
                };
                (victim, case, unit.0, other)
            };
            let (code, default_days) = &codes[rng.below(codes.len())];
            let sent_on = today - rng.days(0, 30);
            let due = sent_on + (*default_days).max(7);
            let state = if rng.below(10) < 7 {
                "sent"
            } else {
                "accepted"
            };
            sqlx::query(
                "INSERT INTO referrals (case_id, victim_id, from_unit_id, to_unit_id, kind, service_code, shared, basis, \
                 state, is_open, sent_on, due_on, created_by, created_at, updated_at) \
                 VALUES ($1, $2, $3, $4, 'service', $5, 'contact,case_facts,services', 'vital_interest', $6, 1, $7, $8, $9, $10, $10)",
            )
            .bind(case)
            .bind(victim)
            .bind(from)
            .bind(to)
            .bind(code.clone())
            .bind(state.to_owned())
            .bind(sent_on)
            .bind(due)
            .bind(created_by.to_owned())
            .bind(now)
            .execute(&mut *tx)
            .await?;
            sent += 1;
        }
        tx.commit().await?;
        self.analyze().await?;
        Ok((rows.len(), sent))
    }

    /// **Benchmarks only.** Victims of the newest cases registered by `unit` (`own`) or by
    /// any other unit, at most `limit`.
    async fn bench_victims(&self, unit: UnitId, own: bool, limit: i64) -> Result<Vec<VictimRef>> {
        let sql = if own {
            "SELECT v.id, v.case_id, c.unit_id FROM cases c JOIN victims v ON v.case_id = c.id \
             WHERE c.unit_id = $1 ORDER BY c.id DESC, v.id LIMIT $2"
        } else {
            "SELECT v.id, v.case_id, c.unit_id FROM cases c JOIN victims v ON v.case_id = c.id \
             WHERE c.unit_id <> $1 ORDER BY c.id DESC, v.id LIMIT $2"
        };
        Ok(sqlx::query_as(sql)
            .bind(unit.0)
            .bind(limit)
            .fetch_all(self.pool())
            .await?)
    }
}
