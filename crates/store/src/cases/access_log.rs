//! A case's access log, "who opened our victims' records": every look at the case in the
//! audit trail (views of the case, its plans and evidence, identity views through
//! referrals, breaking the glass, duplicate pairs compared), whoever made it and from
//! whichever region. The owning unit's staff who see identities read it with the
//! break-the-glass reasons decrypted; admins whose audit scope covers the case read it
//! without them (`domain::audit::access_log_reader` decides).

use super::*;
use domain::audit::{AccessLogReader, AuditAction, access_log_reader};

/// One look at the case. Ids and names of staff and units, never a victim's data (the
/// reason is the breaker's own words, shown to the owning unit only).
#[derive(Clone, Serialize)]
pub struct AccessEntry {
    pub seq: i64,
    pub at_ms: i64,
    pub username: String,
    /// The actor's unit as it is now (empty for the system).
    pub unit_name: String,
    /// The actor's region when acting (empty = national) and its name.
    pub region_code: String,
    pub region_name: String,
    /// The audit action (`case.identity_view`, `referral.identity_view`, `case.break_glass` …).
    pub action: String,
    /// Made by someone who is not a member of the owning unit.
    pub outside_unit: bool,
    /// Made by someone whose region is not the case's region or below it.
    pub outside_region: bool,
    /// Breaking the glass: the grant it opened, and until when.
    pub grant_id: Option<i64>,
    pub expires_at_ms: Option<i64>,
    /// The written reason for breaking the glass (the owning unit only).
    pub reason: Option<String>,
}

/// The reason may name a person: it stays out of `{:?}` and logs.
impl std::fmt::Debug for AccessEntry {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AccessEntry")
            .field("seq", &self.seq)
            .field("username", &self.username)
            .field("action", &self.action)
            .field("grant_id", &self.grant_id)
            .finish()
    }
}

#[derive(Debug, Clone, Serialize)]
pub struct AccessLog {
    pub case_id: CaseId,
    pub code: String,
    /// The reader is the owning unit: break-the-glass reasons are shown.
    pub reasons_shown: bool,
    pub entries: Vec<AccessEntry>,
    /// Ask with `before_seq` = this for the older entries, when there are more.
    pub older: Option<i64>,
}

#[derive(Debug, Clone, Default)]
pub struct AccessLogFilter {
    /// Only looks by people outside the owning unit.
    pub outside_only: bool,
    pub before_seq: Option<i64>,
    pub limit: i64,
}

/// The look, who made it, their unit now and their region's name.
const ACCESS_SELECT: &str = "SELECT a.seq, a.at, a.actor_username, a.actor_region, a.action, a.detail, \
     u.unit_id AS actor_unit_id, n.name AS unit_name, g.name AS region_name \
     FROM audit_log a LEFT JOIN users u ON u.id = a.actor_user_id \
     LEFT JOIN units n ON n.id = u.unit_id LEFT JOIN regions g ON g.code = a.actor_region";

#[derive(sqlx::FromRow)]
struct AccessRecord {
    seq: i64,
    at: i64,
    actor_username: String,
    actor_region: String,
    action: String,
    detail: String,
    actor_unit_id: Option<i64>,
    unit_name: Option<String>,
    region_name: Option<String>,
}

/// The grant a break-the-glass entry opened (`grant=N` in its detail, which the hash chain
/// covers).
fn grant_of(detail: &str) -> Option<i64> {
    detail
        .split_whitespace()
        .find_map(|w| w.strip_prefix("grant="))
        .and_then(|v| v.parse().ok())
}

impl Store {
    /// Who opened the case's records, newest first.
    pub async fn case_access_log(
        &self,
        actor: &Actor,
        id: CaseId,
        f: &AccessLogFilter,
    ) -> Result<AccessLog> {
        let scope = self.case_scope(id).await?;
        let (owner, code): (i64, String) =
            sqlx::query_as("SELECT unit_id, code FROM cases WHERE id = $1")
                .bind(id.0)
                .fetch_one(self.pool())
                .await?;
        let reader = access_log_reader(actor, &scope, UnitId(owner))?;
        let limit = f.limit.clamp(1, 500);
        let mut rows = self.looks_at_case(id, owner, f, limit + 1).await?;
        let older = if rows.len() as i64 > limit {
            rows.truncate(limit as usize);
            rows.last().map(|r| r.seq)
        } else {
            None
        };
        let reasons_shown = reader == AccessLogReader::Owner;
        let grants = self.grant_reasons(id, reasons_shown).await?;
        let entries = rows
            .into_iter()
            .map(|r| {
                let grant_id = (r.action == AuditAction::CaseBreakGlass.as_str())
                    .then(|| grant_of(&r.detail))
                    .flatten();
                let grant = grant_id.and_then(|g| grants.iter().find(|x| x.0 == g));
                // An empty region (national staff) reads as the national scope.
                let actor_scope = crate::core::access::scope_of(Some(r.actor_region.clone()));
                AccessEntry {
                    seq: r.seq,
                    at_ms: r.at,
                    username: r.actor_username,
                    unit_name: r.unit_name.unwrap_or_default(),
                    region_name: r.region_name.unwrap_or_default(),
                    region_code: r.actor_region,
                    action: r.action,
                    outside_unit: r.actor_unit_id != Some(owner),
                    outside_region: !scope.contains(&actor_scope),
                    grant_id,
                    expires_at_ms: grant.map(|g| g.1),
                    reason: grant.and_then(|g| g.2.clone()),
                }
            })
            .collect();
        Ok(AccessLog {
            case_id: id,
            code,
            reasons_shown,
            entries,
            older,
        })
    }

    /// The newest `limit` looks at the case, in two index lookups whose plans do not depend
    /// on statistics: entries on the case itself, and views of duplicate pairs with one of
    /// its victims (few per case, filtered here).
    async fn looks_at_case(
        &self,
        id: CaseId,
        owner: i64,
        f: &AccessLogFilter,
        limit: i64,
    ) -> Result<Vec<AccessRecord>> {
        let select = |q: &mut Sql| {
            if f.outside_only {
                q.push(" AND (u.unit_id IS NULL OR u.unit_id <> ")
                    .bind_int(owner)
                    .push(")");
            }
            if let Some(before) = f.before_seq {
                q.push(" AND a.seq < ").bind_int(before);
            }
            q.push(" ORDER BY a.seq DESC");
        };
        let looks: Vec<&str> = AuditAction::looks().map(AuditAction::as_str).collect();
        let mut q = Sql::new(ACCESS_SELECT);
        q.push(" WHERE a.record_type = 'case' AND a.record_id = ")
            .bind_text(id.0.to_string())
            .push(" AND a.action")
            .in_list(&looks);
        select(&mut q);
        q.push(" LIMIT ").bind_int(limit);
        let mut rows = q.build_as::<AccessRecord>().fetch_all(self.pool()).await?;
        let mut q = Sql::new(ACCESS_SELECT);
        q.push(
            " WHERE a.record_type = 'linkage_pair' AND a.record_id IN (SELECT CAST(p.id AS TEXT) \
             FROM linkage_pairs p JOIN victims v ON v.id = p.victim_a OR v.id = p.victim_b WHERE v.case_id = ",
        )
        .bind_int(id.0)
        .push(")");
        select(&mut q);
        let pairs = q.build_as::<AccessRecord>().fetch_all(self.pool()).await?;
        rows.extend(
            pairs
                .into_iter()
                .filter(|r| r.action == AuditAction::LinkageViewPair.as_str()),
        );
        rows.sort_by_key(|r| std::cmp::Reverse(r.seq));
        rows.truncate(limit as usize);
        Ok(rows)
    }

    /// The case's grants: (id, expiry, reason decrypted when `decrypt`).
    async fn grant_reasons(
        &self,
        id: CaseId,
        decrypt: bool,
    ) -> Result<Vec<(i64, i64, Option<String>)>> {
        let rows: Vec<(i64, i64, Option<String>)> = sqlx::query_as(
            "SELECT id, expires_at, reason_enc FROM identity_grants WHERE case_id = $1",
        )
        .bind(id.0)
        .fetch_all(self.pool())
        .await?;
        let k = if decrypt { Some(self.keyring()?) } else { None };
        rows.into_iter()
            .map(|(g, expires, enc)| {
                let reason = match (k, enc) {
                    (Some(k), Some(c)) => Some(k.decrypt(super::GRANT_REASON, &c)?),
                    _ => None,
                };
                Ok((g, expires, reason))
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn the_grant_is_read_from_the_entry() {
        assert_eq!(super::grant_of("grant=42 hours=8"), Some(42));
        assert_eq!(super::grant_of("victims=1,2"), None);
        assert_eq!(super::grant_of("grant=x"), None);
    }
}
