//! Rows of the perpetrator tables as this folder's queries select them, mapped by column
//! name. Names arrive as ciphertext and are decrypted only for roles that see identities.

use super::{PerpetratorCase, PerpetratorLink};
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
