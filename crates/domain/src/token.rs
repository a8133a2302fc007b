//! API tokens: their kinds, how long they live, why they stop working, and the request to
//! make one. A token acts with its owner's role and scope, for a limited time.

use crate::validation::Invalid;
use crate::value::{count, text};

/// How many days a token lives unless the instance says otherwise
/// (`GUGUS_API_TOKEN_DAYS`); it is also the most a token may be given.
pub const DEFAULT_DAYS: i64 = 90;
/// The most an instance may configure.
pub const MAX_DAYS: i64 = 3_650;
pub const DAY_MS: i64 = 86_400_000;

crate::str_enum::str_enum! {
    /// What a token may do: all its owner may, or only read (`GET`).
    #[strum(serialize_all = "snake_case")]
    pub enum TokenKind {
        Full,
        ReadOnly,
    }
}

crate::str_enum::str_enum! {
    /// Why a token stopped working before its expiry.
    #[strum(serialize_all = "snake_case")]
    pub enum RevokeReason {
        /// The owner revoked it.
        Owner,
        /// The owner changed their password.
        PasswordChange,
        /// An admin (or `gugus user passwd`) set a new password.
        PasswordReset,
        /// An admin disabled the account.
        AccountDisabled,
        /// An admin changed the account's role or unit.
        AccessChanged,
    }
}

crate::str_enum::str_enum! {
    /// Where a token stands now.
    #[strum(serialize_all = "snake_case")]
    pub enum TokenState {
        Active,
        Expired,
        Revoked,
    }
}

/// A token to make: its label, kind and lifetime in days.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TokenRequest {
    pub name: String,
    pub kind: TokenKind,
    pub days: i64,
}

impl TokenRequest {
    /// Reads a request. `kind` empty is a full token; `days` empty is `max_days` (the
    /// instance's lifetime), else a count from 1 to `max_days`.
    pub fn parse(name: &str, kind: &str, days: &str, max_days: i64) -> Result<Self, Invalid> {
        let mut errs = Invalid::default();
        let name = errs.take(text::line("name", name, text::SHORT));
        let kind = if kind.trim().is_empty() {
            Some(TokenKind::Full)
        } else {
            let k = TokenKind::parse(kind);
            if k.is_none() {
                errs.push("kind", "err.choice");
            }
            k
        };
        let days = errs.take(count::opt_count("days", days, max_days));
        match (name, kind, days) {
            (Some(name), Some(kind), Some(days)) if errs.is_empty() => Ok(TokenRequest {
                name,
                kind,
                days: days.unwrap_or(max_days),
            }),
            _ => Err(errs),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_and_limits() {
        let r = TokenRequest::parse("laporan", "", "", 90).unwrap();
        assert_eq!((r.kind, r.days), (TokenKind::Full, 90));
        let r = TokenRequest::parse("laporan", "read_only", "7", 90).unwrap();
        assert_eq!((r.kind, r.days), (TokenKind::ReadOnly, 7));
        let e = TokenRequest::parse("", "admin", "91", 90).unwrap_err();
        let fields: Vec<&str> = e.0.iter().map(|f| f.field.as_str()).collect();
        assert_eq!(fields, ["name", "kind", "days"]);
    }
}
