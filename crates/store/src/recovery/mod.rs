//! Recovery until complete: the service catalogue, each victim's service plan (assessed
//! needs, services with their responsible unit and evidence, closure), the restitution and
//! compensation ledger, and the "my tasks" list. Referrals live in `referrals.rs`.
//!
//! Access: people who may manage services in the case's region (`Action::ManageServices`)
//! plan and record; everyone who sees the case reads the plan (notes only with identity
//! access); a receiving unit updates the one service its open referral is about.

mod evidence;
mod ledger;
mod plans;
mod records;
mod services;
mod survivor;
mod tasks;

pub use survivor::{
    CodeState, IssuedCode, StatusOutcome, SurvivorMoney, SurvivorReferral, SurvivorService,
    SurvivorStatus,
};

use crate::core::access::{IdentityAccess, VictimCase};
use crate::core::audit::Event;
use crate::core::ids::CaseId;
use crate::core::write::Maintenance;
use crate::{Result, Store, StoreError};
use domain::case::Day;
use domain::recovery::{
    Clock, LedgerKind, LedgerParts, LedgerSums, LedgerTrack, ReferralState, ServiceStatus,
    closure_blockers, referral_side, restitution_clock,
};
use domain::{Action, Actor, Invalid, Scope, UnitId, decide};
use serde::Serialize;
use sqlx::AnyConnection;

const SEED: &str = include_str!("../../../../data/services.csv");

/// Largest evidence file accepted (bytes).
pub const EVIDENCE_MAX: usize = 5 * 1024 * 1024;

/// Evidence types accepted, recognised by their first bytes (never by the name alone).
pub fn evidence_type(bytes: &[u8]) -> Option<&'static str> {
    if bytes.starts_with(b"%PDF-") {
        Some("application/pdf")
    } else if bytes.starts_with(&[0x89, b'P', b'N', b'G', 0x0d, 0x0a, 0x1a, 0x0a]) {
        Some("image/png")
    } else if bytes.starts_with(&[0xff, 0xd8, 0xff]) {
        Some("image/jpeg")
    } else {
        None
    }
}

#[derive(Debug, Clone, Serialize)]
pub struct ServiceType {
    pub code: String,
    pub label_id: String,
    pub label_en: String,
    pub default_days: i64,
    /// Owed by law within 7 days of a request (UU 21/2007 Ps. 51–52).
    pub statutory: bool,
}

impl ServiceType {
    pub fn label(&self, lang: &str) -> &str {
        if lang == "en" {
            &self.label_en
        } else {
            &self.label_id
        }
    }
}

#[derive(Debug, Clone, Serialize)]
pub struct NeedView {
    pub id: i64,
    pub service_code: String,
    pub assessed_on: Day,
    /// Why the need will not be met (shown only with identity access).
    pub explanation: Option<String>,
    pub explained: bool,
    pub met: bool,
}

#[derive(Debug, Clone, Serialize)]
pub struct EvidenceMeta {
    pub id: i64,
    pub filename: Option<String>,
    pub content_type: String,
    pub size: i64,
    pub uploaded_by: String,
    pub at_ms: i64,
}

#[derive(Debug, Clone, Serialize)]
pub struct ServiceView {
    pub id: i64,
    pub victim_id: i64,
    pub service_code: String,
    pub unit_id: UnitId,
    pub unit_name: String,
    pub requested_on: Day,
    pub due_on: Day,
    pub status: String,
    pub reason: Option<String>,
    pub outcome: Option<String>,
    pub done_on: Option<Day>,
    pub referral_id: Option<i64>,
    pub overdue: bool,
    pub evidence: Vec<EvidenceMeta>,
}

#[derive(Debug, Clone, Serialize)]
pub struct LedgerLine {
    pub id: i64,
    pub track: String,
    pub kind: String,
    pub amount: i64,
    pub on_day: Day,
    pub note: Option<String>,
    pub confirmed: bool,
    pub created_by: String,
}

#[derive(Debug, Clone, Serialize)]
pub struct LedgerView {
    pub lines: Vec<LedgerLine>,
    pub restitution: LedgerSums,
    pub compensation: LedgerSums,
    /// Final verdict (inkracht) from the legal track.
    pub final_on: Option<Day>,
    /// The restitution ordered by the court for the case, from the legal track.
    pub ordered_for_case: Option<i64>,
    pub clock: Clock,
}

/// One victim's path to recovery.
#[derive(Debug, Clone, Serialize)]
pub struct PlanView {
    pub victim_id: i64,
    pub case_id: CaseId,
    pub case_code: String,
    pub initials: String,
    /// A plan has been started (needs assessed or a service planned).
    pub exists: bool,
    pub lead_unit_id: Option<UnitId>,
    pub lead_unit_name: Option<String>,
    pub status: String,
    pub assessed_on: Option<Day>,
    pub followup_on: Option<Day>,
    pub closure_note: Option<String>,
    pub closed_on: Option<Day>,
    pub closed_by: Option<String>,
    pub needs: Vec<NeedView>,
    pub services: Vec<ServiceView>,
    pub referrals: Vec<crate::referrals::ReferralRow>,
    pub ledger: LedgerView,
    /// Why it cannot be closed yet (message key, service code).
    pub blockers: Vec<(String, String)>,
    pub can_manage: bool,
    pub notes_visible: bool,
}

/// A summary per victim for the case page.
#[derive(Debug, Clone, Serialize)]
pub struct PlanSummary {
    pub victim_id: i64,
    pub initials: String,
    pub status: String,
    pub open_services: i64,
    pub overdue_services: i64,
    pub open_referrals: i64,
    pub awarded: i64,
    pub paid: i64,
}

/// A dated line for the case timeline.
#[derive(Debug, Clone, Serialize)]
pub struct RecoveryEvent {
    pub day: Day,
    /// `service`, `referral`, `ledger`, `plan`
    pub kind: String,
    /// A service code, referral state or ledger kind (translated by the page).
    pub code: String,
    pub detail: String,
}

#[derive(Debug, Clone, Default)]
pub struct NewService {
    pub service_code: String,
    pub unit_id: Option<i64>,
    pub requested_on: Option<Day>,
    pub due_on: Option<Day>,
}

#[derive(Debug, Clone, Default)]
pub struct ServiceUpdate {
    pub status: String,
    pub reason: String,
    pub outcome: String,
    pub done_on: Option<Day>,
}

#[derive(Debug, Clone, Default)]
pub struct NewLedgerEntry {
    pub track: String,
    pub kind: String,
    pub amount: Option<i64>,
    pub on_day: Option<Day>,
    pub note: String,
    /// The user confirmed a payment above what is outstanding.
    pub confirm: bool,
}

/// One line of "my tasks".
#[derive(Debug, Clone, Serialize)]
pub struct TaskRow {
    /// `service`, `referral_in` (to answer or deliver), `referral_out` (overdue at the other unit)
    pub kind: String,
    pub id: i64,
    /// The case, for the units that see it: none for what reaches the unit through a
    /// referral (incoming referrals and their services).
    pub case_id: Option<CaseId>,
    pub case_code: Option<String>,
    pub initials: String,
    pub service_code: String,
    pub due_on: Day,
    pub status: String,
    pub overdue: bool,
    pub other_unit: Option<String>,
    pub link: String,
}

#[derive(Debug, Clone, Serialize)]
pub struct TasksView {
    pub services: Vec<TaskRow>,
    pub services_total: i64,
    pub services_overdue: i64,
    pub referrals: Vec<TaskRow>,
    /// All referrals waiting (the list holds the first 50).
    pub referrals_total: i64,
    pub page: i64,
    pub per_page: i64,
}

/// The recovery figures on the home page: what waits on the actor's unit, and what is
/// overdue in the actor's region.
#[derive(Debug, Clone, Default, Serialize)]
pub struct RecoveryDashboard {
    pub open_services: i64,
    pub overdue_services: i64,
    pub referrals_waiting: i64,
    pub referrals_out_overdue: i64,
    pub escalated_in_region: i64,
}

/// Money per region: what was assessed, demanded, awarded, paid.
#[derive(Debug, Clone, Serialize)]
pub struct LedgerTotalRow {
    pub region_code: String,
    pub region_name: String,
    pub victims: i64,
    pub restitution: LedgerSums,
    pub compensation: LedgerSums,
    /// Owed and not paid, summed victim by victim.
    pub restitution_gap: i64,
    pub compensation_gap: i64,
    pub late_clocks: i64,
}

fn seed_rows() -> Vec<Vec<String>> {
    SEED.lines()
        .skip(1)
        .filter(|l| !l.trim().is_empty())
        .map(crate::regions::csv_fields)
        .filter(|f| f.len() == 5)
        .collect()
}

impl Store {
    pub(crate) async fn ensure_service_types(&self) -> Result<()> {
        let mut tx = self.maintenance(Maintenance::Seed).await?;
        for (sort, r) in seed_rows().iter().enumerate() {
            sqlx::query(
                "INSERT INTO service_types (code, label_id, label_en, default_days, statutory, sort) VALUES ($1, $2, $3, $4, $5, $6) \
                 ON CONFLICT (code) DO NOTHING",
            )
            .bind(r[0].clone())
            .bind(r[3].clone())
            .bind(r[4].clone())
            .bind(r[1].parse::<i64>().unwrap_or(7))
            .bind(r[2].parse::<i64>().unwrap_or(0))
            .bind(sort as i64)
            .execute(&mut *tx)
            .await?;
        }
        tx.commit().await?;
        self.service_types_memo.forget();
        Ok(())
    }

    /// The service catalogue, in display order.
    /// (Read once, then from memory until this process seeds.)
    pub async fn service_types(&self) -> Result<Vec<ServiceType>> {
        if let Some(t) = self.service_types_memo.get() {
            return Ok(t.as_ref().clone());
        }
        let rows: Vec<records::ServiceTypeRecord> = sqlx::query_as(
            "SELECT code, label_id, label_en, default_days, statutory FROM service_types ORDER BY sort",
        )
        .fetch_all(self.pool())
        .await?;
        let types: Vec<ServiceType> = rows.into_iter().map(ServiceType::from).collect();
        self.service_types_memo
            .set(std::sync::Arc::new(types.clone()));
        Ok(types)
    }

    async fn service_type(&self, code: &str) -> Result<Option<ServiceType>> {
        Ok(self
            .service_types()
            .await?
            .into_iter()
            .find(|t| t.code == code))
    }
}
