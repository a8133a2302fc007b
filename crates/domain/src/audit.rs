//! The audit trail's hash chain. Each entry commits to the one before it, so an altered,
//! deleted or reordered entry breaks the chain at a place we can name.

use crate::authz::{Action, Actor, Denied, Scope, decide};
use crate::ids::UnitId;
use sha2::{Digest, Sha256};

crate::str_enum::str_enum! {
    /// What an audit entry records. Its string form is what the trail stores (`case.view`,
    /// `referral.accept` …); the store writes only these.
    pub enum AuditAction {
        // Signing in and the account itself.
        #[strum(serialize = "auth.login")]
        AuthLogin,
        #[strum(serialize = "auth.login_failed")]
        AuthLoginFailed,
        #[strum(serialize = "auth.logout")]
        AuthLogout,
        #[strum(serialize = "auth.second_factor")]
        AuthSecondFactor,
        #[strum(serialize = "account.password_change")]
        AccountPasswordChange,
        #[strum(serialize = "account.totp_enable")]
        AccountTotpEnable,
        #[strum(serialize = "account.totp_disable")]
        AccountTotpDisable,
        // Staff accounts, units, API tokens, settings and keys.
        #[strum(serialize = "user.list")]
        UserList,
        #[strum(serialize = "user.view")]
        UserView,
        #[strum(serialize = "user.create")]
        UserCreate,
        #[strum(serialize = "user.password_reset")]
        UserPasswordReset,
        #[strum(serialize = "user.disable")]
        UserDisable,
        #[strum(serialize = "user.enable")]
        UserEnable,
        #[strum(serialize = "user.change_access")]
        UserChangeAccess,
        #[strum(serialize = "unit.create")]
        UnitCreate,
        #[strum(serialize = "unit.update")]
        UnitUpdate,
        #[strum(serialize = "token.create")]
        TokenCreate,
        #[strum(serialize = "token.revoke")]
        TokenRevoke,
        #[strum(serialize = "settings.update")]
        SettingsUpdate,
        #[strum(serialize = "keys.rotate")]
        KeysRotate,
        // Case records and their parts.
        #[strum(serialize = "case.create")]
        CaseCreate,
        #[strum(serialize = "case.update")]
        CaseUpdate,
        #[strum(serialize = "case.view")]
        CaseView,
        #[strum(serialize = "case.identity_view")]
        CaseIdentityView,
        #[strum(serialize = "case.search")]
        CaseSearch,
        #[strum(serialize = "case.import")]
        CaseImport,
        #[strum(serialize = "case.break_glass")]
        CaseBreakGlass,
        #[strum(serialize = "case.close")]
        CaseClose,
        #[strum(serialize = "case.reopen")]
        CaseReopen,
        #[strum(serialize = "case.route_add")]
        CaseRouteAdd,
        #[strum(serialize = "case.route_delete")]
        CaseRouteDelete,
        #[strum(serialize = "case.legal_update")]
        CaseLegalUpdate,
        #[strum(serialize = "case.stage_add")]
        CaseStageAdd,
        #[strum(serialize = "case.stage_delete")]
        CaseStageDelete,
        #[strum(serialize = "case.consent_add")]
        CaseConsentAdd,
        #[strum(serialize = "case.consent_withdraw")]
        CaseConsentWithdraw,
        #[strum(serialize = "case.perpetrator_add")]
        CasePerpetratorAdd,
        #[strum(serialize = "case.perpetrator_link")]
        CasePerpetratorLink,
        #[strum(serialize = "case.perpetrator_unlink")]
        CasePerpetratorUnlink,
        #[strum(serialize = "perpetrator.view")]
        PerpetratorView,
        #[strum(serialize = "perpetrator.identity_view")]
        PerpetratorIdentityView,
        #[strum(serialize = "perpetrator.search")]
        PerpetratorSearch,
        // Review, clearing and reporting periods.
        #[strum(serialize = "case.submit")]
        CaseSubmit,
        #[strum(serialize = "case.verify")]
        CaseVerify,
        #[strum(serialize = "case.clear")]
        CaseClear,
        #[strum(serialize = "case.return")]
        CaseReturn,
        #[strum(serialize = "case.import_review_states")]
        CaseImportReviewStates,
        #[strum(serialize = "index.import_indicators")]
        IndexImportIndicators,
        #[strum(serialize = "index.change_method")]
        IndexChangeMethod,
        #[strum(serialize = "public.snapshot")]
        PublicSnapshot,
        #[strum(serialize = "period.close")]
        PeriodClose,
        #[strum(serialize = "period.reopen")]
        PeriodReopen,
        // Record linkage.
        #[strum(serialize = "linkage.view_pair")]
        LinkageViewPair,
        #[strum(serialize = "linkage.same")]
        LinkageSame,
        #[strum(serialize = "linkage.different")]
        LinkageDifferent,
        #[strum(serialize = "linkage.undo")]
        LinkageUndo,
        #[strum(serialize = "linkage.run")]
        LinkageRun,
        // Perpetrator pairs: the same perpetrator registered in several regions.
        #[strum(serialize = "perpetrator_pair.view")]
        PerpetratorPairView,
        #[strum(serialize = "perpetrator_pair.identity_view")]
        PerpetratorPairIdentityView,
        #[strum(serialize = "perpetrator_pair.same")]
        PerpetratorPairSame,
        #[strum(serialize = "perpetrator_pair.different")]
        PerpetratorPairDifferent,
        #[strum(serialize = "perpetrator_pair.undo")]
        PerpetratorPairUndo,
        // Recovery: plans, services, the ledger and referrals.
        #[strum(serialize = "plan.view")]
        PlanView,
        #[strum(serialize = "plan.identity_view")]
        PlanIdentityView,
        #[strum(serialize = "plan.assess")]
        PlanAssess,
        #[strum(serialize = "plan.need_explain")]
        PlanNeedExplain,
        #[strum(serialize = "plan.close")]
        PlanClose,
        #[strum(serialize = "plan.reopen")]
        PlanReopen,
        #[strum(serialize = "service.plan")]
        ServicePlan,
        #[strum(serialize = "service.update")]
        ServiceUpdate,
        #[strum(serialize = "service.evidence_add")]
        ServiceEvidenceAdd,
        #[strum(serialize = "service.evidence_view")]
        ServiceEvidenceView,
        #[strum(serialize = "ledger.add")]
        LedgerAdd,
        #[strum(serialize = "referral.send")]
        ReferralSend,
        #[strum(serialize = "referral.view")]
        ReferralView,
        #[strum(serialize = "referral.identity_view")]
        ReferralIdentityView,
        #[strum(serialize = "referral.accept")]
        ReferralAccept,
        #[strum(serialize = "referral.decline")]
        ReferralDecline,
        #[strum(serialize = "referral.deliver")]
        ReferralDeliver,
        #[strum(serialize = "referral.close")]
        ReferralClose,
        #[strum(serialize = "referral.withdraw")]
        ReferralWithdraw,
        #[strum(serialize = "referral.message")]
        ReferralMessage,
        #[strum(serialize = "referral.escalate")]
        ReferralEscalate,
        // A survivor's own status: the code and PIN a case worker gives her, and her looks.
        #[strum(serialize = "survivor.code_issue")]
        SurvivorCodeIssue,
        #[strum(serialize = "survivor.code_revoke")]
        SurvivorCodeRevoke,
        #[strum(serialize = "survivor.status_view")]
        SurvivorStatusView,
        #[strum(serialize = "survivor.status_failed")]
        SurvivorStatusFailed,
        // Complaints from the public: sent, read by intake, triaged, followed by the sender.
        #[strum(serialize = "complaint.submit")]
        ComplaintSubmit,
        #[strum(serialize = "complaint.view")]
        ComplaintView,
        #[strum(serialize = "complaint.triage")]
        ComplaintTriage,
        #[strum(serialize = "complaint.status_view")]
        ComplaintStatusView,
        #[strum(serialize = "complaint.add_info")]
        ComplaintAddInfo,
        #[strum(serialize = "complaint.status_failed")]
        ComplaintStatusFailed,
        // News on the public site: written, sent for review, returned, published, taken down.
        #[strum(serialize = "news.create")]
        NewsCreate,
        #[strum(serialize = "news.update")]
        NewsUpdate,
        #[strum(serialize = "news.submit")]
        NewsSubmit,
        #[strum(serialize = "news.return")]
        NewsReturn,
        #[strum(serialize = "news.publish")]
        NewsPublish,
        #[strum(serialize = "news.unpublish")]
        NewsUnpublish,
        // Open data: a differentially private synthetic release (its ε in the detail).
        #[strum(serialize = "public.synthetic_release")]
        PublicSyntheticRelease,
    }
}

impl AuditAction {
    /// A read that changes nothing (a view, a search, a list): kept in the trail, left out
    /// of a record's history of changes.
    pub fn is_view(self) -> bool {
        matches!(
            self,
            AuditAction::CaseView
                | AuditAction::CaseIdentityView
                | AuditAction::CaseSearch
                | AuditAction::PlanView
                | AuditAction::PlanIdentityView
                | AuditAction::ReferralView
                | AuditAction::ReferralIdentityView
                | AuditAction::ServiceEvidenceView
                | AuditAction::PerpetratorView
                | AuditAction::PerpetratorIdentityView
                | AuditAction::PerpetratorSearch
                | AuditAction::LinkageViewPair
                | AuditAction::PerpetratorPairView
                | AuditAction::PerpetratorPairIdentityView
                | AuditAction::UserList
                | AuditAction::UserView
                | AuditAction::SurvivorStatusView
                | AuditAction::ComplaintView
        )
    }

    /// Every read action (for a `NOT IN (…)` list).
    pub fn views() -> impl Iterator<Item = AuditAction> {
        AuditAction::ALL.into_iter().filter(|a| a.is_view())
    }

    /// Someone opened a record: any read, or breaking the glass. A case's access log
    /// ("who opened our victims' records") lists these.
    pub fn is_look(self) -> bool {
        self.is_view() || self == AuditAction::CaseBreakGlass
    }

    /// Every look (for an `IN (…)` list).
    pub fn looks() -> impl Iterator<Item = AuditAction> {
        AuditAction::ALL.into_iter().filter(|a| a.is_look())
    }
}

/// How a reader stands towards a case's access log.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AccessLogReader {
    /// The owning unit's staff whose role sees identities: every look, with the
    /// break-the-glass reasons.
    Owner,
    /// An admin whose audit scope covers the case (its region or a region above): every
    /// look; the reasons stay with the owning unit.
    Overseer,
}

/// Who may read a case's access log. Out of the actor's scope is `NotFound` (as the case
/// itself); in scope but neither the owning unit's identity staff nor an admin above it is
/// `Forbidden`.
pub fn access_log_reader(
    actor: &Actor,
    case_scope: &Scope,
    owner: UnitId,
) -> Result<AccessLogReader, Denied> {
    decide(actor, Action::ViewCase, case_scope)?;
    if actor.unit_id == owner && decide(actor, Action::ViewIdentity, case_scope).is_ok() {
        return Ok(AccessLogReader::Owner);
    }
    if decide(actor, Action::ViewAudit, case_scope).is_ok() {
        return Ok(AccessLogReader::Overseer);
    }
    Err(Denied::Forbidden)
}

impl serde::Serialize for AuditAction {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.as_str())
    }
}

/// The hash that the first entry links to.
pub const GENESIS: &str = "0000000000000000000000000000000000000000000000000000000000000000";

/// One audit entry as stored. Contains ids and action names, never personal fields.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Entry {
    pub seq: i64,
    pub at_ms: i64,
    pub actor_user_id: Option<i64>,
    pub actor_username: String,
    /// The actor's region scope when acting (empty = national), so regional admins see
    /// the trail of their own subtree.
    pub actor_region: String,
    pub origin: String,
    pub action: String,
    pub record_type: String,
    pub record_id: String,
    pub detail: String,
    pub prev_hash: String,
    pub hash: String,
}

/// Hash of an entry's content chained to `prev_hash`. Every field is length-prefixed so
/// no two different entries serialise to the same bytes.
#[allow(clippy::too_many_arguments)]
pub fn entry_hash(
    prev_hash: &str,
    seq: i64,
    at_ms: i64,
    actor_user_id: Option<i64>,
    actor_username: &str,
    actor_region: &str,
    origin: &str,
    action: &str,
    record_type: &str,
    record_id: &str,
    detail: &str,
) -> String {
    let mut h = Sha256::new();
    let actor = actor_user_id.map(|i| i.to_string()).unwrap_or_default();
    for field in [
        prev_hash,
        &seq.to_string(),
        &at_ms.to_string(),
        &actor,
        actor_username,
        actor_region,
        origin,
        action,
        record_type,
        record_id,
        detail,
    ] {
        h.update((field.len() as u64).to_le_bytes());
        h.update(field.as_bytes());
    }
    hex::encode(h.finalize())
}

impl Entry {
    pub fn computed_hash(&self) -> String {
        entry_hash(
            &self.prev_hash,
            self.seq,
            self.at_ms,
            self.actor_user_id,
            &self.actor_username,
            &self.actor_region,
            &self.origin,
            &self.action,
            &self.record_type,
            &self.record_id,
            &self.detail,
        )
    }
}

/// What `gugus audit verify` found wrong, naming the first entry where the chain breaks.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ChainError {
    #[error("entry {seq} was altered: its content no longer matches its hash")]
    Altered { seq: i64 },
    #[error("entry {seq} is missing: deleted from the log")]
    Deleted { seq: i64 },
    #[error("entry {seq} is out of order: it stands where entry {found_at} belongs")]
    Reordered { seq: i64, found_at: i64 },
    #[error(
        "entry {seq} does not link to the entry before it (entry {expected_after} was altered or removed)"
    )]
    BrokenLink { seq: i64, expected_after: i64 },
    #[error(
        "the log ends at entry {last} but {head} entries were written: the newest entries were deleted"
    )]
    Truncated { last: i64, head: i64 },
}

/// Checks a whole log, given in storage order by `seq`, against the head record
/// (`head_seq`, the number of entries ever appended). Returns the number of entries checked.
pub fn verify_chain(entries: &[Entry], head_seq: i64) -> Result<i64, ChainError> {
    use std::collections::HashMap;
    let by_hash: HashMap<&str, i64> = entries.iter().map(|e| (e.hash.as_str(), e.seq)).collect();
    let mut prev_hash = GENESIS.to_owned();
    let mut expected = 1;
    for e in entries {
        if e.computed_hash() != e.hash {
            return Err(ChainError::Altered { seq: e.seq });
        }
        if e.seq != expected {
            let present = by_hash.values().any(|&s| s == expected);
            return Err(if e.seq > expected && !present {
                ChainError::Deleted { seq: expected }
            } else {
                ChainError::Reordered {
                    seq: e.seq,
                    found_at: expected,
                }
            });
        }
        if e.prev_hash != prev_hash {
            return Err(ChainError::BrokenLink {
                seq: e.seq,
                expected_after: e.seq - 1,
            });
        }
        prev_hash = e.hash.clone();
        expected += 1;
    }
    let last = expected - 1;
    if last < head_seq {
        return Err(ChainError::Truncated {
            last,
            head: head_seq,
        });
    }
    Ok(last)
}

/// Checks a log read in `seq` order page by page, without holding it all in memory.
/// (Read sorted by `seq`, a swapped pair of rows shows up as altered entries, since the
/// sequence number is part of each hash.)
#[derive(Debug, Clone)]
pub struct ChainVerifier {
    prev_hash: String,
    expected: i64,
}

impl Default for ChainVerifier {
    fn default() -> Self {
        ChainVerifier {
            prev_hash: GENESIS.to_owned(),
            expected: 1,
        }
    }
}

impl ChainVerifier {
    pub fn check(&mut self, e: &Entry) -> Result<(), ChainError> {
        if e.computed_hash() != e.hash {
            return Err(ChainError::Altered { seq: e.seq });
        }
        if e.seq > self.expected {
            return Err(ChainError::Deleted { seq: self.expected });
        }
        if e.seq < self.expected {
            return Err(ChainError::Reordered {
                seq: e.seq,
                found_at: self.expected,
            });
        }
        if e.prev_hash != self.prev_hash {
            return Err(ChainError::BrokenLink {
                seq: e.seq,
                expected_after: e.seq - 1,
            });
        }
        self.prev_hash = e.hash.clone();
        self.expected += 1;
        Ok(())
    }

    /// Number of entries accepted so far.
    pub fn checked(&self) -> i64 {
        self.expected - 1
    }

    /// Final check against the head record: entries written but no longer present.
    pub fn finish(&self, head_seq: i64) -> Result<i64, ChainError> {
        if self.checked() < head_seq {
            return Err(ChainError::Truncated {
                last: self.checked(),
                head: head_seq,
            });
        }
        Ok(self.checked())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn chain(n: i64) -> Vec<Entry> {
        let mut prev = GENESIS.to_owned();
        (1..=n)
            .map(|seq| {
                let mut e = Entry {
                    seq,
                    at_ms: 1_700_000_000_000 + seq,
                    actor_user_id: Some(7),
                    actor_username: "u".into(),
                    actor_region: "62".into(),
                    origin: "127.0.0.1".into(),
                    action: "user.create".into(),
                    record_type: "user".into(),
                    record_id: seq.to_string(),
                    detail: String::new(),
                    prev_hash: prev.clone(),
                    hash: String::new(),
                };
                e.hash = e.computed_hash();
                prev = e.hash.clone();
                e
            })
            .collect()
    }

    #[test]
    fn intact_chain_verifies() {
        assert_eq!(verify_chain(&chain(5), 5), Ok(5));
        assert_eq!(verify_chain(&[], 0), Ok(0));
    }

    #[test]
    fn detects_alteration_deletion_reordering_and_truncation() {
        let mut c = chain(5);
        c[2].record_id = "999".into();
        assert_eq!(verify_chain(&c, 5), Err(ChainError::Altered { seq: 3 }));

        let mut c = chain(5);
        c.remove(1);
        assert_eq!(verify_chain(&c, 5), Err(ChainError::Deleted { seq: 2 }));

        let mut c = chain(5);
        c.swap(1, 2);
        assert_eq!(
            verify_chain(&c, 5),
            Err(ChainError::Reordered {
                seq: 3,
                found_at: 2
            })
        );

        let c = chain(5);
        assert_eq!(
            verify_chain(&c[..4], 5),
            Err(ChainError::Truncated { last: 4, head: 5 })
        );
    }

    #[test]
    fn streaming_verifier_agrees() {
        let c = chain(4);
        let mut v = ChainVerifier::default();
        for e in &c {
            v.check(e).unwrap();
        }
        assert_eq!(v.finish(4), Ok(4));
        let mut v = ChainVerifier::default();
        v.check(&c[0]).unwrap();
        assert_eq!(v.check(&c[2]), Err(ChainError::Deleted { seq: 2 }));
        let mut c2 = chain(3);
        c2[1].detail = "x".into();
        let mut v = ChainVerifier::default();
        v.check(&c2[0]).unwrap();
        assert_eq!(v.check(&c2[1]), Err(ChainError::Altered { seq: 2 }));
    }
}

#[cfg(test)]
mod action_tests {
    use super::*;

    /// The strings are in the trail already written: changing one splits the history.
    #[test]
    fn the_stored_strings() {
        let all: Vec<&str> = AuditAction::ALL.iter().map(|a| a.as_str()).collect();
        assert_eq!(
            all,
            [
                "auth.login",
                "auth.login_failed",
                "auth.logout",
                "auth.second_factor",
                "account.password_change",
                "account.totp_enable",
                "account.totp_disable",
                "user.list",
                "user.view",
                "user.create",
                "user.password_reset",
                "user.disable",
                "user.enable",
                "user.change_access",
                "unit.create",
                "unit.update",
                "token.create",
                "token.revoke",
                "settings.update",
                "keys.rotate",
                "case.create",
                "case.update",
                "case.view",
                "case.identity_view",
                "case.search",
                "case.import",
                "case.break_glass",
                "case.close",
                "case.reopen",
                "case.route_add",
                "case.route_delete",
                "case.legal_update",
                "case.stage_add",
                "case.stage_delete",
                "case.consent_add",
                "case.consent_withdraw",
                "case.perpetrator_add",
                "case.perpetrator_link",
                "case.perpetrator_unlink",
                "perpetrator.view",
                "perpetrator.identity_view",
                "perpetrator.search",
                "case.submit",
                "case.verify",
                "case.clear",
                "case.return",
                "case.import_review_states",
                "index.import_indicators",
                "index.change_method",
                "public.snapshot",
                "period.close",
                "period.reopen",
                "linkage.view_pair",
                "linkage.same",
                "linkage.different",
                "linkage.undo",
                "linkage.run",
                "perpetrator_pair.view",
                "perpetrator_pair.identity_view",
                "perpetrator_pair.same",
                "perpetrator_pair.different",
                "perpetrator_pair.undo",
                "plan.view",
                "plan.identity_view",
                "plan.assess",
                "plan.need_explain",
                "plan.close",
                "plan.reopen",
                "service.plan",
                "service.update",
                "service.evidence_add",
                "service.evidence_view",
                "ledger.add",
                "referral.send",
                "referral.view",
                "referral.identity_view",
                "referral.accept",
                "referral.decline",
                "referral.deliver",
                "referral.close",
                "referral.withdraw",
                "referral.message",
                "referral.escalate",
                "survivor.code_issue",
                "survivor.code_revoke",
                "survivor.status_view",
                "survivor.status_failed",
                "complaint.submit",
                "complaint.view",
                "complaint.triage",
                "complaint.status_view",
                "complaint.add_info",
                "complaint.status_failed",
                "news.create",
                "news.update",
                "news.submit",
                "news.return",
                "news.publish",
                "news.unpublish",
                "public.synthetic_release",
            ]
        );
        for a in AuditAction::ALL {
            assert_eq!(AuditAction::parse(a.as_str()), Some(a));
        }
        assert_eq!(AuditAction::parse("case.delete"), None);
    }

    #[test]
    fn views_are_what_the_case_history_used_to_leave_out_and_the_other_reads() {
        // The hand-kept list of the case history's `NOT IN (…)` (all on record type `case`).
        let history = [
            "case.view",
            "case.identity_view",
            "case.search",
            "plan.view",
            "plan.identity_view",
            "referral.view",
            "referral.identity_view",
            "service.evidence_view",
            // A survivor looking at her own status (also on the case, so it is in its
            // access log).
            "survivor.status_view",
        ];
        for s in history {
            assert!(
                AuditAction::parse(s).is_some_and(AuditAction::is_view),
                "{s}"
            );
        }
        // Reads recorded on other record types (perpetrator, linkage pair, perpetrator
        // pair, user).
        let views: Vec<&str> = AuditAction::views().map(AuditAction::as_str).collect();
        assert_eq!(views.len(), history.len() + 9, "{views:?}");
        for s in [
            "complaint.view",
            "perpetrator.view",
            "perpetrator.identity_view",
            "perpetrator.search",
            "linkage.view_pair",
            "perpetrator_pair.view",
            "perpetrator_pair.identity_view",
            "user.list",
            "user.view",
        ] {
            assert!(views.contains(&s), "{s}");
        }
        assert!(!AuditAction::CaseBreakGlass.is_view());
        assert!(!AuditAction::ServiceEvidenceAdd.is_view());
    }
}

#[cfg(test)]
mod access_log_tests {
    use super::*;
    use crate::RegionCode;
    use crate::role::Role;

    fn actor(role: Role, unit: i64, region: Option<&'static str>) -> Actor {
        Actor {
            user_id: Some(crate::UserId(unit * 10)),
            username: "u".into(),
            unit_id: UnitId(unit),
            role,
            scope: Scope::from_code(region.map(RegionCode::trusted)),
            origin: None,
        }
    }

    #[test]
    fn the_owning_unit_and_the_admins_above_read_it_others_do_not() {
        let case = Scope::Region(RegionCode::trusted("62.71"));
        let owner = UnitId(3);
        let read = |a: &Actor| access_log_reader(a, &case, owner);
        use AccessLogReader::*;
        assert_eq!(read(&actor(Role::Admin, 3, Some("62.71"))), Ok(Owner));
        assert_eq!(read(&actor(Role::DataOfficer, 3, Some("62.71"))), Ok(Owner));
        assert_eq!(read(&actor(Role::CaseWorker, 3, Some("62.71"))), Ok(Owner));
        // The owning unit's viewers and analysts never see identities: not the log either.
        assert_eq!(
            read(&actor(Role::Viewer, 3, Some("62.71"))),
            Err(Denied::Forbidden)
        );
        assert_eq!(
            read(&actor(Role::Analyst, 3, Some("62.71"))),
            Err(Denied::Forbidden)
        );
        // Admins of the province and national oversee it, without the reasons.
        assert_eq!(read(&actor(Role::Admin, 2, Some("62"))), Ok(Overseer));
        assert_eq!(read(&actor(Role::Admin, 1, None)), Ok(Overseer));
        // Another unit in scope that is no admin: the case, not its log.
        assert_eq!(
            read(&actor(Role::DataOfficer, 2, Some("62"))),
            Err(Denied::Forbidden)
        );
        // Another region: the case does not exist for them.
        assert_eq!(
            read(&actor(Role::Admin, 5, Some("53.01"))),
            Err(Denied::NotFound)
        );
        assert_eq!(
            read(&actor(Role::DataOfficer, 5, Some("53.01"))),
            Err(Denied::NotFound)
        );
    }

    #[test]
    fn looks_are_the_views_and_breaking_the_glass() {
        let looks: Vec<&str> = AuditAction::looks().map(AuditAction::as_str).collect();
        assert!(looks.contains(&"case.break_glass"));
        assert!(looks.contains(&"referral.identity_view"));
        assert!(!looks.contains(&"case.update"));
        assert_eq!(looks.len(), AuditAction::views().count() + 1);
    }
}
