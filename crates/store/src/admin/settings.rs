//! Instance-wide settings, changed by a national admin.

use crate::core::audit::Event;
use crate::{Result, Store};
use domain::audit::AuditAction;
use domain::{Action, Actor, Scope};

pub(crate) const REQUIRE_TOTP: &str = "require_totp_for_identity_roles";

impl Store {
    async fn setting(&self, key: &str) -> Result<Option<String>> {
        Ok(
            sqlx::query_scalar("SELECT value FROM settings WHERE key = $1")
                .bind(key.to_owned())
                .fetch_optional(self.pool())
                .await?,
        )
    }

    /// Must users whose role sees victims' identities use two-factor login?
    pub async fn require_totp(&self) -> Result<bool> {
        Ok(self.setting(REQUIRE_TOTP).await?.as_deref() == Some("1"))
    }

    pub async fn set_require_totp(&self, actor: &Actor, on: bool) -> Result<()> {
        let allowed = self.allow(actor, Action::ManageSettings, &Scope::National)?;
        let mut tx = self.write(allowed).await?;
        sqlx::query("DELETE FROM settings WHERE key = $1")
            .bind(REQUIRE_TOTP)
            .execute(&mut *tx)
            .await?;
        sqlx::query("INSERT INTO settings (key, value) VALUES ($1, $2)")
            .bind(REQUIRE_TOTP)
            .bind(if on { "1" } else { "0" })
            .execute(&mut *tx)
            .await?;
        tx.audit(Event {
            action: AuditAction::SettingsUpdate,
            record_type: "setting",
            record_id: REQUIRE_TOTP.into(),
            detail: format!("value={on}"),
        })
        .await?;
        tx.commit().await?;
        Ok(())
    }
}
