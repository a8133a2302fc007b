//! Rows of the notification table as this folder's queries select them, mapped by
//! column name.

use super::{Notification, PendingMail};

#[derive(sqlx::FromRow)]
pub(super) struct NotificationRecord {
    pub id: i64,
    pub kind: String,
    pub link: String,
    pub created_at: i64,
    pub read_at: Option<i64>,
}

impl From<NotificationRecord> for Notification {
    fn from(r: NotificationRecord) -> Self {
        Notification {
            id: r.id,
            kind: r.kind,
            link: r.link,
            at_ms: r.created_at,
            read: r.read_at.is_some(),
            record: String::new(),
        }
    }
}

/// A notification waiting for its e-mail, with the recipient's address.
#[derive(sqlx::FromRow)]
pub(super) struct PendingMailRecord {
    pub id: i64,
    pub email: Option<String>,
    pub kind: String,
    pub link: String,
}

impl From<PendingMailRecord> for PendingMail {
    fn from(r: PendingMailRecord) -> Self {
        PendingMail {
            id: r.id,
            email: r.email.unwrap_or_default(),
            kind: r.kind,
            link: r.link,
        }
    }
}
