//! The machinery every feature uses and no feature owns: connecting and migrating
//! ([`db`]), the SQL builder ([`sql`]), encryption and blind indexes ([`crypto`],
//! [`blind`]), the audit log ([`audit`]: appended in the same transaction as the write it
//! records; [`checkpoint`]: its head signed and kept outside it), errors, ids, and the access helpers that several features ask.
//! Nothing here imports a feature module.

pub(crate) mod access;
pub(crate) mod audit;
pub(crate) mod audit_batch;
pub(crate) mod blind;
pub(crate) mod checkpoint;
pub mod crypto;
pub(crate) mod db;
pub(crate) mod error;
pub(crate) mod gate;
pub(crate) mod ids;
pub mod integrity;
pub(crate) mod lease;
pub(crate) mod memo;
pub(crate) mod passcode;
pub(crate) mod sql;
pub(crate) mod wal;
pub(crate) mod write;
#[cfg(all(test, feature = "testing"))]
mod write_test;
