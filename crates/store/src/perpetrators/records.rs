//! Rows of the perpetrator tables as this folder's queries select them, mapped by column
//! name. Names arrive as ciphertext and are decrypted only for roles that see identities.

use super::{PairCase, PerpetratorCase, PerpetratorLink, PerpetratorPairSide};
use crate::Result;
use crate::core::crypto::Keyring;
use crate::core::ids::CaseId;

/// A perpetrator as linked to a case (`role` empty when the query has no case).
#[derive(sqlx::FromRow)]
pub(super) struct PerpetratorLinkRecord {
    pub id: i64,
    pub kind: String,
    pub initials: String,
    pub name_enc: String,
    #[sqlx(default)]
    pub role: String,
}

impl PerpetratorLinkRecord {
    /// The link, the name decrypted by `k` (`None`: names are not shown).
    pub(super) fn into_link(self, k: Option<&Keyring>) -> Result<PerpetratorLink> {
        Ok(PerpetratorLink {
            perpetrator_id: self.id,
            kind: self.kind,
            initials: self.initials,
            name: k
                .map(|k| k.decrypt("perpetrators.name", &self.name_enc))
                .transpose()?,
            role: self.role,
            elsewhere: None,
        })
    }
}

#[derive(sqlx::FromRow)]
pub(super) struct PerpetratorCaseRecord {
    pub id: i64,
    pub code: String,
    pub reported_on: i64,
    pub role: String,
}

impl From<PerpetratorCaseRecord> for PerpetratorCase {
    fn from(r: PerpetratorCaseRecord) -> Self {
        PerpetratorCase {
            case_id: CaseId(r.id),
            code: r.code,
            reported_on: r.reported_on,
            role: r.role,
        }
    }
}

#[derive(sqlx::FromRow)]
pub(super) struct PerpetratorRecord {
    pub kind: String,
    pub initials: String,
    pub name_enc: Option<String>,
    pub alias_enc: Option<String>,
    pub nik_enc: Option<String>,
}

/// A perpetrator as the pair check reads it (identities as ciphertext).
#[derive(sqlx::FromRow)]
pub(super) struct CandidateRecord {
    pub id: i64,
    pub kind: String,
    pub name_enc: String,
    pub alias_enc: Option<String>,
    pub nik_enc: Option<String>,
    pub nik_index: Option<String>,
}

impl CandidateRecord {
    /// Name, alias and NIK in clear (in memory only, for the comparison).
    pub(super) fn decrypt(&self, k: &Keyring) -> Result<(String, Option<String>, Option<String>)> {
        Ok((
            k.decrypt("perpetrators.name", &self.name_enc)?,
            self.alias_enc
                .as_deref()
                .map(|a| k.decrypt("perpetrators.alias", a))
                .transpose()?,
            self.nik_enc
                .as_deref()
                .map(|n| k.decrypt("perpetrators.nik", n))
                .transpose()?,
        ))
    }
}

#[derive(sqlx::FromRow)]
pub(super) struct TokenCountRecord {
    pub token: String,
    pub n: i64,
}

/// A pair as the verifiers' list selects it.
#[derive(sqlx::FromRow)]
pub(super) struct PairListRecord {
    pub id: i64,
    pub probability: f64,
    pub status: String,
    pub found_at: i64,
    pub perpetrator_a: i64,
    pub perpetrator_b: i64,
}

/// A pair with its explanation (JSON lines) and decision.
#[derive(sqlx::FromRow)]
pub(super) struct PairDetailRecord {
    pub probability: f64,
    pub weight: f64,
    pub status: String,
    pub decided_by: Option<String>,
    pub decided_at: Option<i64>,
    pub explanation: String,
}

/// One side of a pair as stored (identities as ciphertext).
#[derive(sqlx::FromRow)]
pub(super) struct SideRecord {
    pub id: i64,
    pub kind: String,
    pub initials: String,
    pub name_enc: String,
    pub alias_enc: Option<String>,
    pub nik_enc: Option<String>,
    pub network_id: Option<i64>,
}

impl SideRecord {
    /// The side without cases; identities decrypted by `k` (`None`: not shown).
    pub(super) fn into_side(self, k: Option<&Keyring>) -> Result<PerpetratorPairSide> {
        let dec = |col: &str, v: Option<&str>| -> Result<Option<String>> {
            match (k, v) {
                (Some(k), Some(v)) => Ok(Some(k.decrypt(col, v)?)),
                _ => Ok(None),
            }
        };
        Ok(PerpetratorPairSide {
            perpetrator_id: self.id,
            kind: self.kind,
            initials: self.initials,
            name: dec("perpetrators.name", Some(&self.name_enc))?,
            alias: dec("perpetrators.alias", self.alias_enc.as_deref())?,
            nik: dec("perpetrators.nik", self.nik_enc.as_deref())?,
            network_id: self.network_id,
            cases: Vec::new(),
        })
    }
}

/// A case of a pair's side, with its region's name.
#[derive(sqlx::FromRow)]
pub(super) struct PairCaseRecord {
    pub perpetrator_id: i64,
    pub case_id: i64,
    pub code: String,
    pub region_code: Option<String>,
    pub region_name: Option<String>,
    pub role: String,
}

impl From<PairCaseRecord> for PairCase {
    fn from(r: PairCaseRecord) -> Self {
        PairCase {
            case_id: CaseId(r.case_id),
            code: r.code,
            region_code: r.region_code,
            region_name: r.region_name,
            role: r.role,
        }
    }
}

/// A case of a perpetrator's network outside the viewer's scope, with its province's name.
#[derive(sqlx::FromRow)]
pub(super) struct ElsewhereRecord {
    pub case_id: i64,
    pub region_name: Option<String>,
}
