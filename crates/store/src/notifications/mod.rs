//! In-app notifications (a kind and a link, never personal data) and the e-mail queue
//! behind them: each notification of a user with an address is claimed once and sent.

use crate::core::sql::Sql;
use crate::{Result, Store};
use domain::Actor;
use domain::notification::{EmailState, NotificationKind};
use serde::Serialize;
use sqlx::AnyConnection;

mod records;
use records::{NotificationRecord, PendingMailRecord};

#[derive(Debug, Clone, Serialize)]
pub struct Notification {
    pub id: i64,
    pub kind: String,
    pub link: String,
    pub at_ms: i64,
    pub read: bool,
    /// Which record it is about, as people name it: a referral's number (`#12`), a case's
    /// code (when the case is in the reader's region; its number otherwise).
    pub record: String,
}

/// One page of a user's notifications, the total and how many are unread.
#[derive(Debug, Clone, Serialize)]
pub struct NotificationPage {
    pub items: Vec<Notification>,
    pub total: i64,
    pub unread: i64,
}

/// What a notification's link points at.
fn link_target(link: &str) -> Option<(&'static str, i64)> {
    let mut parts = link.trim_start_matches('/').split(['/', '#', '?']);
    let kind = match parts.next()? {
        "referrals" => "referral",
        "cases" => "case",
        "victims" => "victim",
        _ => return None,
    };
    Some((kind, parts.next()?.parse().ok()?))
}

/// An e-mail to send: the address, the kind (for the subject) and the link.
#[derive(Debug, Clone)]
pub struct PendingMail {
    pub id: i64,
    pub email: String,
    pub kind: String,
    pub link: String,
}

impl Store {
    /// Notifies the working staff of a unit (not viewers or analysts, not the actor). Those
    /// with an e-mail address also get an e-mail (a link only).
    pub(crate) async fn notify_unit(
        &self,
        conn: &mut AnyConnection,
        unit: i64,
        kind: NotificationKind,
        link: &str,
        actor: &Actor,
    ) -> Result<()> {
        sqlx::query(
            "INSERT INTO notifications (user_id, kind, link, created_at, email_state) \
             SELECT id, $1, $2, $3, CASE WHEN email IS NOT NULL AND email <> '' THEN $4 ELSE NULL END FROM users \
             WHERE unit_id = $5 AND disabled = 0 AND role NOT IN ('viewer', 'analyst') AND id <> $6",
        )
        .bind(kind.as_str())
        .bind(link.to_owned())
        .bind(self.now_ms())
        .bind(EmailState::Pending.as_str())
        .bind(unit)
        .bind(actor.user_id.map(|u| u.0).unwrap_or(0))
        .execute(&mut *conn)
        .await?;
        Ok(())
    }

    /// A page of the actor's notifications, newest first, each naming its record, with the
    /// total and the unread count.
    pub async fn notification_page(
        &self,
        actor: &Actor,
        page: i64,
        per_page: i64,
    ) -> Result<NotificationPage> {
        let Some(user) = actor.user_id else {
            return Ok(NotificationPage {
                items: Vec::new(),
                total: 0,
                unread: 0,
            });
        };
        let per_page = per_page.clamp(1, 200);
        let mut items: Vec<Notification> = sqlx::query_as::<_, NotificationRecord>(
            "SELECT id, kind, link, created_at, read_at FROM notifications WHERE user_id = $1 \
             ORDER BY id DESC LIMIT $2 OFFSET $3",
        )
        .bind(user.0)
        .bind(per_page)
        .bind(page.clamp(0, 1_000_000) * per_page)
        .fetch_all(self.pool())
        .await?
        .into_iter()
        .map(Notification::from)
        .collect();
        self.name_records(actor, &mut items).await?;
        let total: i64 =
            sqlx::query_scalar("SELECT COUNT(*) FROM notifications WHERE user_id = $1")
                .bind(user.0)
                .fetch_one(self.pool())
                .await?;
        let unread = self.unread_notifications(actor).await?;
        Ok(NotificationPage {
            items,
            total,
            unread,
        })
    }

    /// Names each notification's record: a referral by its number; a case (or a victim's
    /// plan) by the case's code when the case lies in the reader's region (one query for
    /// the page), by its number otherwise.
    async fn name_records(&self, actor: &Actor, items: &mut [Notification]) -> Result<()> {
        let mut cases = Vec::new();
        let mut victims = Vec::new();
        for n in items.iter() {
            match link_target(&n.link) {
                Some(("case", id)) => cases.push(id),
                Some(("victim", id)) => victims.push(id),
                _ => {}
            }
        }
        let mut codes: std::collections::HashMap<(&str, i64), String> = Default::default();
        if !cases.is_empty() || !victims.is_empty() {
            let mut q = Sql::new(
                "SELECT c.id, c.code, v.id FROM cases c LEFT JOIN victims v ON v.case_id = c.id \
                 WHERE (c.id",
            );
            q.in_list(&cases)
                .push(" OR v.id")
                .in_list(&victims)
                .push(")");
            q.scope("c.region_code", &actor.scope);
            let rows = q
                .build_as::<(i64, String, Option<i64>)>()
                .fetch_all(self.pool())
                .await?;
            for (case, code, victim) in rows {
                codes.insert(("case", case), code.clone());
                if let Some(v) = victim {
                    codes.insert(("victim", v), code);
                }
            }
        }
        for n in items.iter_mut() {
            n.record = match link_target(&n.link) {
                Some(("referral", id)) => format!("#{id}"),
                Some((kind, id)) => codes
                    .get(&(kind, id))
                    .cloned()
                    .unwrap_or_else(|| format!("#{id}")),
                None => String::new(),
            };
        }
        Ok(())
    }

    /// The actor's notifications, newest first.
    pub async fn notifications(&self, actor: &Actor, limit: i64) -> Result<Vec<Notification>> {
        let Some(user) = actor.user_id else {
            return Ok(Vec::new());
        };
        Ok(sqlx::query_as::<_, NotificationRecord>(
            "SELECT id, kind, link, created_at, read_at FROM notifications WHERE user_id = $1 ORDER BY id DESC LIMIT $2",
        )
        .bind(user.0)
        .bind(limit)
        .fetch_all(self.pool())
        .await?
        .into_iter()
        .map(Notification::from)
        .collect())
    }

    pub async fn unread_notifications(&self, actor: &Actor) -> Result<i64> {
        let Some(user) = actor.user_id else {
            return Ok(0);
        };
        Ok(sqlx::query_scalar(
            "SELECT COUNT(*) FROM notifications WHERE user_id = $1 AND read_at IS NULL",
        )
        .bind(user.0)
        .fetch_one(self.pool())
        .await?)
    }

    /// Marks one (or, with `None`, all) of the actor's notifications read; returns the link
    /// of the one (as stored, so a form cannot redirect anywhere else).
    pub async fn mark_notifications_read(
        &self,
        actor: &Actor,
        id: Option<i64>,
    ) -> Result<Option<String>> {
        let Some(user) = actor.user_id else {
            return Ok(None);
        };
        let link = match id {
            Some(id) => {
                sqlx::query_scalar::<_, String>(
                    "SELECT link FROM notifications WHERE id = $1 AND user_id = $2",
                )
                .bind(id)
                .bind(user.0)
                .fetch_optional(self.pool())
                .await?
            }
            None => None,
        };
        let mut q = Sql::new("UPDATE notifications SET read_at = ");
        q.bind_int(self.now_ms());
        q.push(" WHERE read_at IS NULL AND user_id = ")
            .bind_int(user.0);
        if let Some(id) = id {
            q.push(" AND id = ").bind_int(id);
        }
        q.build().execute(self.pool()).await?;
        Ok(link)
    }

    /// Marks the actor's notifications `ids` read (others' ids are ignored: the condition
    /// includes the actor).
    pub async fn mark_notifications_read_many(&self, actor: &Actor, ids: &[i64]) -> Result<()> {
        let Some(user) = actor.user_id else {
            return Ok(());
        };
        if ids.is_empty() {
            return Ok(());
        }
        let mut q = Sql::new("UPDATE notifications SET read_at = ");
        q.bind_int(self.now_ms());
        q.push(" WHERE read_at IS NULL AND user_id = ")
            .bind_int(user.0)
            .push(" AND id");
        q.in_list(ids);
        q.build().execute(self.pool()).await?;
        Ok(())
    }

    /// E-mails waiting to be sent (oldest first), each claimed (`sending`) so that two
    /// servers never send the same one.
    pub async fn pending_mail(&self, actor: &Actor, limit: i64) -> Result<Vec<PendingMail>> {
        let _ = self.allow_system(actor)?;
        let all: Vec<PendingMail> = sqlx::query_as::<_, PendingMailRecord>(
            "SELECT n.id, u.email, n.kind, n.link FROM notifications n JOIN users u ON u.id = n.user_id \
             WHERE n.email_state = $1 ORDER BY n.id LIMIT $2",
        )
        .bind(EmailState::Pending.as_str())
        .bind(limit)
        .fetch_all(self.pool())
        .await?
        .into_iter()
        .map(PendingMail::from)
        .collect();
        let mut claimed = Vec::with_capacity(all.len());
        for m in all {
            let n = sqlx::query(
                "UPDATE notifications SET email_state = $1 WHERE id = $2 AND email_state = $3",
            )
            .bind(EmailState::Sending.as_str())
            .bind(m.id)
            .bind(EmailState::Pending.as_str())
            .execute(self.pool())
            .await?;
            if n.rows_affected() == 1 {
                claimed.push(m);
            }
        }
        Ok(claimed)
    }

    /// Records the outcome of sending one e-mail (`sent` or `failed`).
    pub async fn mark_mail(&self, actor: &Actor, id: i64, state: EmailState) -> Result<()> {
        let _ = self.allow_system(actor)?;
        sqlx::query("UPDATE notifications SET email_state = $1 WHERE id = $2")
            .bind(state.as_str())
            .bind(id)
            .execute(self.pool())
            .await?;
        Ok(())
    }
}
