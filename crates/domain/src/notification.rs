//! The kinds of in-app notification (each also mailed when mail is configured). A
//! notification carries a kind and a link, never personal data; the kind decides the
//! e-mail's subject and the line shown in the notification list
//! (`notification.kind.<kind>` in the catalogues).

use crate::recovery::ReferralState;

crate::str_enum::str_enum! {
    #[derive(serde::Serialize)]
    #[serde(rename_all = "snake_case")]
    #[strum(serialize_all = "snake_case")]
    pub enum NotificationKind {
        /// A unit received a referral.
        ReferralReceived,
        /// The receiving unit accepted the sender's referral.
        ReferralAccepted,
        /// The receiving unit declined it.
        ReferralDeclined,
        /// The referred service (or follow-up) was delivered.
        ReferralDelivered,
        /// A referral was closed (by either side).
        ReferralClosed,
        /// The sender withdrew the referral (or the victim's consent was withdrawn).
        ReferralWithdrawn,
        /// A new message in a referral's thread.
        ReferralMessage,
        /// A referral passed its due day unanswered (escalated to the task force).
        ReferralOverdue,
        /// A unit was assigned a service in a victim's plan.
        ServiceAssigned,
        /// Someone outside the owning unit broke the glass and opened a case's identities.
        IdentityOpened,
    }
}

impl NotificationKind {
    /// The notification the other side gets when a referral moves to `state`; `None` for
    /// `sent` (that is [`NotificationKind::ReferralReceived`], sent with the referral).
    pub fn referral_moved(state: ReferralState) -> Option<NotificationKind> {
        match state {
            ReferralState::Sent => None,
            ReferralState::Accepted => Some(NotificationKind::ReferralAccepted),
            ReferralState::Declined => Some(NotificationKind::ReferralDeclined),
            ReferralState::Delivered => Some(NotificationKind::ReferralDelivered),
            ReferralState::Closed => Some(NotificationKind::ReferralClosed),
            ReferralState::Withdrawn => Some(NotificationKind::ReferralWithdrawn),
        }
    }

    /// The catalogue key of the line shown in the notification list.
    pub fn locale_key(self) -> &'static str {
        match self {
            NotificationKind::ReferralReceived => "notification.kind.referral_received",
            NotificationKind::ReferralAccepted => "notification.kind.referral_accepted",
            NotificationKind::ReferralDeclined => "notification.kind.referral_declined",
            NotificationKind::ReferralDelivered => "notification.kind.referral_delivered",
            NotificationKind::ReferralClosed => "notification.kind.referral_closed",
            NotificationKind::ReferralWithdrawn => "notification.kind.referral_withdrawn",
            NotificationKind::ReferralMessage => "notification.kind.referral_message",
            NotificationKind::ReferralOverdue => "notification.kind.referral_overdue",
            NotificationKind::ServiceAssigned => "notification.kind.service_assigned",
            NotificationKind::IdentityOpened => "notification.kind.identity_opened",
        }
    }

    /// The e-mail subject in Bahasa Indonesia. Written here rather than in the web
    /// catalogue because mail is sent by a background job with no user's locale: every
    /// mail carries both languages.
    pub fn subject_id(self) -> &'static str {
        match self {
            NotificationKind::ReferralReceived => "Rujukan baru untuk unit Anda",
            NotificationKind::ReferralAccepted => "Rujukan Anda diterima",
            NotificationKind::ReferralDeclined => "Rujukan Anda ditolak",
            NotificationKind::ReferralDelivered => "Layanan rujukan diberikan",
            NotificationKind::ReferralClosed => "Rujukan ditutup",
            NotificationKind::ReferralWithdrawn => "Rujukan dibatalkan pengirim",
            NotificationKind::ReferralMessage => "Pesan baru dalam rujukan",
            NotificationKind::ReferralOverdue => "Rujukan lewat tenggat",
            NotificationKind::ServiceAssigned => "Layanan baru untuk unit Anda",
            NotificationKind::IdentityOpened => "Identitas korban kasus Anda dibuka unit lain",
        }
    }

    /// The e-mail subject in English.
    pub fn subject_en(self) -> &'static str {
        match self {
            NotificationKind::ReferralReceived => "New referral for your unit",
            NotificationKind::ReferralAccepted => "Your referral was accepted",
            NotificationKind::ReferralDeclined => "Your referral was declined",
            NotificationKind::ReferralDelivered => "Referred service delivered",
            NotificationKind::ReferralClosed => "A referral was closed",
            NotificationKind::ReferralWithdrawn => "A referral was withdrawn",
            NotificationKind::ReferralMessage => "New message in a referral",
            NotificationKind::ReferralOverdue => "Referral overdue",
            NotificationKind::ServiceAssigned => "A new service for your unit",
            NotificationKind::IdentityOpened => {
                "Another unit opened a victim's identity in your case"
            }
        }
    }

    /// The subject of the e-mail: `[Gugus] <Indonesian> / <English>`.
    pub fn email_subject(self) -> String {
        format!("[Gugus] {} / {}", self.subject_id(), self.subject_en())
    }

    /// The e-mail subject of a stored kind; an unknown kind (say, from a newer version)
    /// gets a generic subject rather than failing the mail.
    pub fn email_subject_of(kind: &str) -> String {
        match NotificationKind::parse(kind) {
            Some(k) => k.email_subject(),
            None => "[Gugus] Pemberitahuan baru / New notification".to_owned(),
        }
    }
}

crate::str_enum::str_enum! {
    /// Where a notification's e-mail stands (`NULL` in the database: the user has no address).
    #[derive(serde::Serialize)]
    #[serde(rename_all = "snake_case")]
    #[strum(serialize_all = "snake_case")]
    pub enum EmailState {
        /// Waiting for the mail job.
        Pending,
        /// Claimed by a mail job (so two jobs never send it twice).
        Sending,
        Sent,
        Failed,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashSet;

    #[test]
    fn the_kinds_store_writes() {
        let all: Vec<&str> = NotificationKind::ALL.iter().map(|k| k.as_str()).collect();
        assert_eq!(
            all,
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
        for k in NotificationKind::ALL {
            assert_eq!(NotificationKind::parse(k.as_str()), Some(k));
            assert_eq!(k.locale_key(), format!("notification.kind.{k}"));
        }
        // What store wrote as `format!("referral_{}", next.as_str())`.
        for s in ReferralState::ALL {
            match NotificationKind::referral_moved(s) {
                Some(k) => assert_eq!(k.as_str(), format!("referral_{}", s.as_str())),
                None => assert_eq!(s, ReferralState::Sent),
            }
        }
    }

    #[test]
    fn email_states() {
        let all: Vec<&str> = EmailState::ALL.iter().map(|s| s.as_str()).collect();
        assert_eq!(all, ["pending", "sending", "sent", "failed"]);
    }

    #[test]
    fn every_kind_has_a_subject_in_both_languages() {
        let mut seen_id = HashSet::new();
        let mut seen_en = HashSet::new();
        for k in NotificationKind::ALL {
            assert!(
                !k.subject_id().is_empty() && !k.subject_en().is_empty(),
                "{k}"
            );
            assert!(
                seen_id.insert(k.subject_id()),
                "{k}: same subject as another kind"
            );
            assert!(
                seen_en.insert(k.subject_en()),
                "{k}: same subject as another kind"
            );
            let s = NotificationKind::email_subject_of(k.as_str());
            assert!(s.starts_with("[Gugus] ") && s.contains(" / "), "{s}");
            assert!(
                !s.contains("Pemberitahuan baru"),
                "{k} falls back to the generic subject"
            );
        }
        assert_eq!(
            NotificationKind::ReferralClosed.email_subject(),
            "[Gugus] Rujukan ditutup / A referral was closed"
        );
        assert_eq!(
            NotificationKind::email_subject_of("something_new"),
            "[Gugus] Pemberitahuan baru / New notification"
        );
    }

    #[test]
    fn every_kind_has_a_line_in_the_catalogues() {
        for cat in [
            include_str!("../../web/locales/id.txt"),
            include_str!("../../web/locales/en.txt"),
        ] {
            for k in NotificationKind::ALL {
                let key = format!("{} = ", k.locale_key());
                assert!(cat.lines().any(|l| l.starts_with(&key)), "{key}");
            }
        }
    }
}
