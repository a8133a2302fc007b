//! The strings of the domain's enums are stored in the database and sent over the API:
//! these lists pin them (they were hand-written before the derives) so a renamed variant
//! cannot silently change what is stored.

use domain::audit::AuditAction;
use domain::authz::{Action, Relation};
use domain::nik::{NikWarning, Sex};
use domain::notification::NotificationKind;
use domain::recovery::{
    ClockState, LedgerKind, LedgerTrack, ReferralKind, ReferralOp, ReferralState, ServiceStatus,
    ShareGroup,
};
use domain::review::{ReviewAction, ReviewLevel, ReviewState};
use domain::rules::{RuleScope, Severity};
use domain::unit::UnitKind;
use domain::{RegionLevel, Role};

macro_rules! pin {
    ($t:ty, [$($s:literal),* $(,)?]) => {{
        let got: Vec<&str> = <$t>::ALL.iter().map(|v| v.as_str()).collect();
        assert_eq!(got, [$($s),*], stringify!($t));
        for v in <$t>::ALL {
            assert_eq!(<$t>::parse(v.as_str()), Some(v), "{}", v.as_str());
            assert_eq!(<$t>::parse(&format!(" {} ", v.as_str())), Some(v), "trimmed");
            assert_eq!(v.to_string(), v.as_str());
        }
        assert_eq!(<$t>::parse(""), None);
        assert_eq!(<$t>::parse("no_such_value"), None);
        let upper = <$t>::ALL[0].as_str().to_uppercase();
        assert_eq!(<$t>::parse(&upper), None, "case matters");
    }};
}

#[test]
fn stored_strings_are_unchanged() {
    pin!(
        Role,
        [
            "admin",
            "data_officer",
            "verifier",
            "case_worker",
            "partner_officer",
            "analyst",
            "viewer",
            "editor"
        ]
    );
    pin!(
        UnitKind,
        [
            "task_force",
            "service_unit",
            "police",
            "prosecutor",
            "social_affairs",
            "health",
            "manpower",
            "migrant_agency",
            "immigration",
            "ngo",
            "other",
        ]
    );
    pin!(
        ServiceStatus,
        [
            "planned",
            "in_progress",
            "delivered",
            "refused",
            "not_possible"
        ]
    );
    pin!(
        ReferralState,
        [
            "sent",
            "accepted",
            "declined",
            "delivered",
            "closed",
            "withdrawn"
        ]
    );
    pin!(
        ReferralOp,
        ["accept", "decline", "deliver", "close", "withdraw"]
    );
    pin!(ReferralKind, ["service", "takeover"]);
    pin!(
        ShareGroup,
        ["identity", "contact", "case_facts", "services", "legal"]
    );
    pin!(LedgerTrack, ["restitution", "compensation"]);
    pin!(
        LedgerKind,
        [
            "assessment",
            "demand",
            "award",
            "deposit",
            "payment",
            "warning",
            "seizure"
        ]
    );
    pin!(
        ClockState,
        [
            "not_started",
            "running",
            "warning_due",
            "warned",
            "seizure_due",
            "paid"
        ]
    );
    pin!(
        ReviewState,
        ["draft", "submitted", "returned", "verified", "cleared"]
    );
    pin!(ReviewLevel, ["province", "national"]);
    pin!(ReviewAction, ["submit", "verify", "clear", "return"]);
    pin!(Severity, ["error", "warning"]);
    pin!(RuleScope, ["case", "victim"]);
    pin!(RegionLevel, ["province", "regency", "district", "village"]);
    pin!(Relation, ["same", "below", "above", "outside"]);
    pin!(
        Action,
        [
            "view_regions",
            "view_unit",
            "manage_unit",
            "view_user",
            "manage_user",
            "view_audit",
            "manage_settings",
            "view_case",
            "view_identity",
            "edit_case",
            "submit_case",
            "verify_case",
            "clear_case",
            "manage_periods",
            "view_quality",
            "link_persons",
            "run_linkage",
            "manage_services",
            "decide_perpetrator_pair",
            "view_statistics",
            "import_indicators",
            "manage_index_method",
            "handle_complaints",
            "write_news",
            "publish_news",
        ]
    );
    pin!(Sex, ["female", "male"]);
    pin!(
        NikWarning,
        [
            "warn.nik_date_impossible",
            "warn.nik_birth_date",
            "warn.nik_sex"
        ]
    );
    pin!(
        NotificationKind,
        [
            "referral_received",
            "referral_accepted",
            "referral_declined",
            "referral_delivered",
            "referral_closed",
            "referral_withdrawn",
            "referral_message",
            "referral_overdue",
            "service_assigned",
            "identity_opened",
        ]
    );
    assert_eq!(AuditAction::ALL.len(), 100);
    assert_eq!(
        AuditAction::parse(" case.view "),
        Some(AuditAction::CaseView)
    );
}

/// serde and strum agree on every enum that is both serialised and stored.
#[test]
fn serde_names_match_the_stored_strings() {
    fn json<T: serde::Serialize>(v: T) -> String {
        serde_json::to_string(&v)
            .unwrap()
            .trim_matches('"')
            .to_owned()
    }
    for v in Role::ALL {
        assert_eq!(json(v), v.as_str());
    }
    for v in ServiceStatus::ALL {
        assert_eq!(json(v), v.as_str());
    }
    for v in ReferralState::ALL {
        assert_eq!(json(v), v.as_str());
    }
    for v in ReferralOp::ALL {
        assert_eq!(json(v), v.as_str());
    }
    for v in ReferralKind::ALL {
        assert_eq!(json(v), v.as_str());
    }
    for v in ShareGroup::ALL {
        assert_eq!(json(v), v.as_str());
    }
    for v in LedgerTrack::ALL {
        assert_eq!(json(v), v.as_str());
    }
    for v in LedgerKind::ALL {
        assert_eq!(json(v), v.as_str());
    }
    for v in ClockState::ALL {
        assert_eq!(json(v), v.as_str());
    }
    for v in ReviewState::ALL {
        assert_eq!(json(v), v.as_str());
    }
    for v in ReviewLevel::ALL {
        assert_eq!(json(v), v.as_str());
    }
    for v in ReviewAction::ALL {
        assert_eq!(json(v), v.as_str());
    }
    for v in Severity::ALL {
        assert_eq!(json(v), v.as_str());
    }
    for v in RuleScope::ALL {
        assert_eq!(json(v), v.as_str());
    }
    for v in RegionLevel::ALL {
        assert_eq!(json(v), v.as_str());
    }
    for v in NotificationKind::ALL {
        assert_eq!(json(v), v.as_str());
    }
    for v in AuditAction::ALL {
        assert_eq!(json(v), v.as_str());
    }
}
