//! Request bodies and query parameters of the notifications API.

use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

#[derive(Deserialize, IntoParams, Default)]
#[serde(default)]
pub struct NotificationsQuery {
    /// At most this many, newest first (1–200, default 50).
    pub limit: Option<i64>,
}

#[derive(Deserialize, Serialize, ToSchema, Default)]
#[serde(default)]
#[serde(deny_unknown_fields)]
pub struct ReadIn {
    /// One notification; omitted (`{}`) marks all of the caller's notifications read.
    pub id: Option<i64>,
}

/// The caller's notifications, newest first, with how many are unread.
#[derive(Serialize, ToSchema)]
pub struct NotificationsOut {
    pub unread: i64,
    pub notifications: Vec<NotificationOut>,
}

/// A notification: a kind and a link, never personal data.
#[derive(Serialize, ToSchema)]
pub struct NotificationOut {
    pub id: i64,
    /// e.g. referral_sent, referral_accepted, referral_message, referral_overdue
    pub kind: String,
    /// The page it is about.
    pub link: String,
    pub at_ms: i64,
    pub read: bool,
}

impl From<store::Notification> for NotificationOut {
    fn from(n: store::Notification) -> Self {
        NotificationOut {
            id: n.id,
            kind: n.kind,
            link: n.link,
            at_ms: n.at_ms,
            read: n.read,
        }
    }
}
