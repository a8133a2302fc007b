//! `gugus keys rotate`: re-encrypts every identifying field under the current key and
//! recomputes the blind indexes, in small batches, each in its own transaction. Servers
//! keep running during the rotation when they hold both keys (the new one as
//! `GUGUS_SECRET_KEY_FILE`, the old one as `GUGUS_PREVIOUS_SECRET_KEY_FILE`): they read
//! either and write only with the new one. Rows already under the new key are skipped, so
//! an interrupted rotation is simply run again.

use crate::audit::{Event, append};
use crate::cases::write_name_tokens;
use crate::{Result, Store};
use domain::Actor;
use sqlx::Row;

#[derive(Debug, Clone, Copy, Default)]
pub struct RotateStats {
    pub victims: u64,
    pub cases: u64,
    pub perpetrators: u64,
}

impl Store {
    pub async fn rotate_keys(&self, actor: &Actor, batch: i64) -> Result<RotateStats> {
        let k = self.keyring()?;
        let mut stats = RotateStats::default();
        let mut last = 0i64;
        loop {
            let rows = sqlx::query(
                "SELECT id, name_enc, alias_enc, nik_enc, phone_enc FROM victims WHERE id > $1 ORDER BY id LIMIT $2",
            )
            .bind(last)
            .bind(batch)
            .fetch_all(self.pool())
            .await?;
            let Some(tail) = rows.last() else { break };
            last = tail.try_get("id")?;
            let mut tx = self.begin_write().await?;
            for r in &rows {
                let name_enc: String = r.try_get("name_enc")?;
                let alias_enc: Option<String> = r.try_get("alias_enc")?;
                let nik_enc: Option<String> = r.try_get("nik_enc")?;
                let phone_enc: Option<String> = r.try_get("phone_enc")?;
                let all_current = k.is_current(&name_enc)
                    && [&alias_enc, &nik_enc, &phone_enc]
                        .iter()
                        .all(|c| c.as_ref().is_none_or(|c| k.is_current(c)));
                if all_current {
                    continue;
                }
                let id: i64 = r.try_get("id")?;
                let name = k.decrypt("victims.name", &name_enc)?;
                let alias = alias_enc
                    .map(|c| k.decrypt("victims.alias", &c))
                    .transpose()?;
                let nik = nik_enc.map(|c| k.decrypt("victims.nik", &c)).transpose()?;
                let phone = phone_enc
                    .map(|c| k.decrypt("victims.phone", &c))
                    .transpose()?;
                sqlx::query("UPDATE victims SET name_enc = $1, alias_enc = $2, nik_enc = $3, nik_index = $4, phone_enc = $5 WHERE id = $6")
                    .bind(k.encrypt("victims.name", &name)?)
                    .bind(k.encrypt_opt("victims.alias", alias.as_deref())?)
                    .bind(k.encrypt_opt("victims.nik", nik.as_deref())?)
                    .bind(nik.as_deref().map(|n| k.blind_index("nik", n)))
                    .bind(k.encrypt_opt("victims.phone", phone.as_deref())?)
                    .bind(id)
                    .execute(&mut *tx)
                    .await?;
                write_name_tokens(&mut tx, k, id, &name, alias.as_deref()).await?;
                stats.victims += 1;
            }
            tx.commit().await?;
        }
        let mut last = 0i64;
        loop {
            let rows = sqlx::query(
                "SELECT id, chronology_enc FROM cases WHERE id > $1 ORDER BY id LIMIT $2",
            )
            .bind(last)
            .bind(batch)
            .fetch_all(self.pool())
            .await?;
            let Some(tail) = rows.last() else { break };
            last = tail.try_get("id")?;
            let mut tx = self.begin_write().await?;
            for r in &rows {
                let Some(c) = r.try_get::<Option<String>, _>("chronology_enc")? else {
                    continue;
                };
                if k.is_current(&c) {
                    continue;
                }
                let plain = k.decrypt("cases.chronology", &c)?;
                sqlx::query("UPDATE cases SET chronology_enc = $1 WHERE id = $2")
                    .bind(k.encrypt("cases.chronology", &plain)?)
                    .bind(r.try_get::<i64, _>("id")?)
                    .execute(&mut *tx)
                    .await?;
                stats.cases += 1;
            }
            tx.commit().await?;
        }
        let mut last = 0i64;
        loop {
            let rows = sqlx::query("SELECT id, name_enc, alias_enc, nik_enc FROM perpetrators WHERE id > $1 ORDER BY id LIMIT $2")
                .bind(last)
                .bind(batch)
                .fetch_all(self.pool())
                .await?;
            let Some(tail) = rows.last() else { break };
            last = tail.try_get("id")?;
            let mut tx = self.begin_write().await?;
            for r in &rows {
                let name_enc: String = r.try_get("name_enc")?;
                let alias_enc: Option<String> = r.try_get("alias_enc")?;
                let nik_enc: Option<String> = r.try_get("nik_enc")?;
                if k.is_current(&name_enc)
                    && [&alias_enc, &nik_enc]
                        .iter()
                        .all(|c| c.as_ref().is_none_or(|c| k.is_current(c)))
                {
                    continue;
                }
                let id: i64 = r.try_get("id")?;
                let name = k.decrypt("perpetrators.name", &name_enc)?;
                let alias = alias_enc
                    .map(|c| k.decrypt("perpetrators.alias", &c))
                    .transpose()?;
                let nik = nik_enc
                    .map(|c| k.decrypt("perpetrators.nik", &c))
                    .transpose()?;
                sqlx::query("UPDATE perpetrators SET name_enc = $1, alias_enc = $2, nik_enc = $3, nik_index = $4 WHERE id = $5")
                    .bind(k.encrypt("perpetrators.name", &name)?)
                    .bind(k.encrypt_opt("perpetrators.alias", alias.as_deref())?)
                    .bind(k.encrypt_opt("perpetrators.nik", nik.as_deref())?)
                    .bind(nik.as_deref().map(|n| k.blind_index("nik", n)))
                    .bind(id)
                    .execute(&mut *tx)
                    .await?;
                sqlx::query("DELETE FROM perpetrator_name_tokens WHERE perpetrator_id = $1")
                    .bind(id)
                    .execute(&mut *tx)
                    .await?;
                let mut tokens = crate::cases::name_tokens(&name);
                if let Some(a) = &alias {
                    tokens.extend(crate::cases::name_tokens(a));
                }
                tokens.sort();
                tokens.dedup();
                for t in tokens {
                    sqlx::query("INSERT INTO perpetrator_name_tokens (token, perpetrator_id) VALUES ($1, $2) ON CONFLICT DO NOTHING")
                        .bind(k.blind_index("perp_name", &t))
                        .bind(id)
                        .execute(&mut *tx)
                        .await?;
                }
                stats.perpetrators += 1;
            }
            tx.commit().await?;
        }
        let mut tx = self.begin_write().await?;
        let ev = Event {
            action: "keys.rotate",
            record_type: "key",
            record_id: k.current_id().to_owned(),
            detail: format!(
                "victims={} cases={} perpetrators={}",
                stats.victims, stats.cases, stats.perpetrators
            ),
        };
        append(&mut tx, actor, ev).await?;
        tx.commit().await?;
        // The linkage keys are keyed hashes too.
        self.rebuild_linkage_keys(None).await?;
        Ok(stats)
    }
}
