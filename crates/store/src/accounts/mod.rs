//! Accounts: login with lockout and two factors, sessions, users and API tokens.

pub(crate) mod auth;
mod records;
pub(crate) mod tokens;
pub(crate) mod users;
