//! The restitution and compensation ledger of a victim, its 14-day clocks, and the
//! totals per region.

use super::*;
use domain::audit::AuditAction;
use domain::value::text;

/// A ledger row as read for sums (columns a query lacks are 0 / `None`).
#[derive(sqlx::FromRow)]
pub(super) struct LedgerRow {
    #[sqlx(rename = "victim_id", default)]
    pub(super) victim: i64,
    #[sqlx(rename = "case_id", default)]
    pub(super) case: i64,
    #[sqlx(default)]
    pub(super) region: Option<String>,
    pub(super) track: String,
    pub(super) kind: String,
    pub(super) amount: i64,
    pub(super) on_day: Day,
}

pub(super) fn as_line(l: &LedgerRow) -> (&str, &str, i64, Day) {
    (l.track.as_str(), l.kind.as_str(), l.amount, l.on_day)
}

impl Store {
    /// The ledger of one victim, with the restitution clock.
    pub(super) async fn ledger_of(
        &self,
        victim: i64,
        case: CaseId,
        notes: bool,
        today: Day,
    ) -> Result<LedgerView> {
        let k = self.keyring()?;
        let rows: Vec<super::records::LedgerLineRecord> = sqlx::query_as(
            "SELECT id, track, kind, amount, on_day, note_enc, confirmed, created_by \
             FROM ledger_entries WHERE victim_id = $1 ORDER BY on_day, id",
        )
        .bind(victim)
        .fetch_all(self.pool())
        .await?;
        let mut lines = Vec::new();
        for r in rows {
            lines.push(LedgerLine {
                id: r.id,
                track: r.track,
                kind: r.kind,
                amount: r.amount,
                on_day: r.on_day,
                note: match r.note_enc {
                    Some(n) if notes => Some(k.decrypt("ledger_entries.note", &n)?),
                    _ => None,
                },
                confirmed: r.confirmed != 0,
                created_by: r.created_by,
            });
        }
        let (final_on, ordered) = self.final_verdict(case).await?;
        Ok(Self::ledger_from(lines, final_on, ordered, today))
    }

    pub(super) fn ledger_from(
        lines: Vec<LedgerLine>,
        final_on: Option<Day>,
        ordered_for_case: Option<i64>,
        today: Day,
    ) -> LedgerView {
        let parts = LedgerParts::of(
            lines
                .iter()
                .map(|l| (l.track.as_str(), l.kind.as_str(), l.amount, l.on_day)),
        );
        let clock = restitution_clock(final_on, parts.warned_on, &parts.restitution, today);
        LedgerView {
            lines,
            restitution: parts.restitution,
            compensation: parts.compensation,
            final_on,
            ordered_for_case,
            clock,
        }
    }

    /// The final verdict's day and the restitution ordered, from the legal track.
    pub(super) async fn final_verdict(&self, case: CaseId) -> Result<(Option<Day>, Option<i64>)> {
        let final_on: Option<Option<Day>> = sqlx::query_scalar(
            "SELECT MIN(happened) FROM legal_stages WHERE case_id = $1 AND stage = 'final'",
        )
        .bind(case.0)
        .fetch_optional(self.pool())
        .await?;
        let ordered: Option<Option<i64>> =
            sqlx::query_scalar("SELECT restitution_ordered FROM legal_tracks WHERE case_id = $1")
                .bind(case.0)
                .fetch_optional(self.pool())
                .await?;
        Ok((final_on.flatten(), ordered.flatten()))
    }

    /// Adds a ledger line. A payment above what is outstanding is refused until the user
    /// confirms it (`confirm`), and then kept marked as confirmed.
    pub async fn add_ledger_entry(
        &self,
        actor: &Actor,
        victim: i64,
        e: &NewLedgerEntry,
        today: Day,
    ) -> Result<i64> {
        let (vc, allowed) = self.check_manage(actor, victim).await?;
        let mut errs = Invalid::default();
        let track = LedgerTrack::parse(&e.track);
        let kind = LedgerKind::parse(&e.kind);
        if track.is_none() {
            errs.push("track", "err.choice");
        }
        if kind.is_none() {
            errs.push("kind", "err.choice");
        }
        let amount = match (kind, e.amount) {
            (Some(k), _) if !k.has_amount() => 0,
            (_, Some(a)) if domain::value::Rupiah::new(a).is_some() => a,
            (_, Some(a)) if a > 0 => {
                errs.push("amount", "err.rupiah_max");
                0
            }
            (_, Some(_)) => {
                errs.push("amount", "err.amount");
                0
            }
            (_, None) => {
                errs.push("amount", "err.amount");
                0
            }
        };
        match e.on_day {
            None => errs.push("on_day", "err.date"),
            Some(d) if d > today => errs.push("on_day", "err.date_future"),
            _ => {}
        }
        text::NOTE.check(&mut errs, "note", &e.note);
        errs.into_result(())?;
        let (Some(track), Some(kind), Some(on_day)) = (track, kind, e.on_day) else {
            return Err(StoreError::NotFound);
        };
        let mut confirmed = false;
        let note = Some(e.note.trim())
            .filter(|s| !s.is_empty())
            .map(|s| self.keyring()?.encrypt("ledger_entries.note", s))
            .transpose()?;
        let mut tx = self.write(allowed).await?;
        // What is outstanding is read under the victim's lock, so two payments entered at the
        // same moment cannot both pass the check.
        self.lock_victim(&mut tx, victim).await?;
        let rows: Vec<LedgerRow> = sqlx::query_as(
            "SELECT track, kind, amount, on_day FROM ledger_entries WHERE victim_id = $1 ORDER BY on_day, id",
        )
        .bind(victim)
        .fetch_all(&mut *tx)
        .await?;
        let parts = LedgerParts::of(rows.iter().map(as_line));
        if !parts.track(track).fits(kind, amount) {
            return Err(Invalid::one("amount", "err.rupiah_total_max").into());
        }
        if kind.pays() && amount > parts.track(track).outstanding_on(track) {
            if !e.confirm {
                return Err(Invalid::one("confirm", "warn.overpayment").into());
            }
            confirmed = true;
        }
        let id: i64 = sqlx::query_scalar(
            "INSERT INTO ledger_entries (case_id, victim_id, track, kind, amount, on_day, note_enc, confirmed, created_by, created_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) RETURNING id",
        )
        .bind(vc.case_id.0)
        .bind(victim)
        .bind(track.as_str())
        .bind(kind.as_str())
        .bind(amount)
        .bind(on_day)
        .bind(note)
        .bind(confirmed as i64)
        .bind(actor.username.clone())
        .bind(self.now_ms())
        .fetch_one(&mut *tx)
        .await?;
        tx.audit(Event {
            action: AuditAction::LedgerAdd,
            record_type: "case",
            record_id: vc.case_id.to_string(),
            detail: format!(
                "entry={id} victim={victim} track={} kind={} amount={amount}{}",
                track.as_str(),
                kind.as_str(),
                if confirmed {
                    " over_outstanding=confirmed"
                } else {
                    ""
                }
            ),
        })
        .await?;
        tx.commit().await?;
        Ok(id)
    }

    /// Restitution and compensation per region below the actor (provinces for national
    /// users, regencies for a province, the unit's own region otherwise).
    pub async fn ledger_totals(&self, actor: &Actor, today: Day) -> Result<Vec<LedgerTotalRow>> {
        decide(actor, Action::ViewCase, &actor.scope)?;
        let (col, within) = match &actor.scope {
            Scope::National => ("c.province_code", None),
            Scope::Region(r) => ("c.regency_code", Some(r.clone())),
        };
        let mut q = crate::core::sql::Sql::new(&format!(
            "SELECT {col} AS region, l.victim_id, l.case_id, l.track, l.kind, l.amount, l.on_day FROM ledger_entries l \
             JOIN cases c ON c.id = l.case_id WHERE 1=1"
        ));
        if let Some(r) = &within {
            q.scope("c.region_code", &Scope::Region(r.clone()));
        }
        q.push(" ORDER BY l.victim_id, l.on_day, l.id");
        let lines = q.build_as::<LedgerRow>().fetch_all(self.pool()).await?;
        // Lines come ordered by victim: one group per victim.
        let mut by_region: std::collections::BTreeMap<String, LedgerTotalRow> = Default::default();
        for group in lines.chunk_by(|a, b| a.victim == b.victim) {
            let Some(first) = group.first() else { continue };
            let parts = LedgerParts::of(group.iter().map(as_line));
            let (final_on, _) = self.final_verdict(CaseId(first.case)).await?;
            let late = restitution_clock(final_on, parts.warned_on, &parts.restitution, today)
                .state
                .is_late();
            let region = first.region.clone().unwrap_or_default();
            let row = by_region
                .entry(region.clone())
                .or_insert_with(|| LedgerTotalRow {
                    region_code: region,
                    region_name: String::new(),
                    victims: 0,
                    restitution: LedgerSums::default(),
                    compensation: LedgerSums::default(),
                    restitution_gap: 0,
                    compensation_gap: 0,
                    late_clocks: 0,
                });
            row.victims += 1;
            row.restitution_gap = row
                .restitution_gap
                .saturating_add(parts.restitution.outstanding_on(LedgerTrack::Restitution));
            row.compensation_gap = row
                .compensation_gap
                .saturating_add(parts.compensation.outstanding_on(LedgerTrack::Compensation));
            row.restitution.add(&parts.restitution);
            row.compensation.add(&parts.compensation);
            row.late_clocks += late as i64;
        }
        let mut out: Vec<LedgerTotalRow> = by_region.into_values().collect();
        for row in &mut out {
            row.region_name =
                sqlx::query_scalar::<_, String>("SELECT name FROM regions WHERE code = $1")
                    .bind(row.region_code.clone())
                    .fetch_optional(self.pool())
                    .await?
                    .unwrap_or_default();
        }
        Ok(out)
    }
}
