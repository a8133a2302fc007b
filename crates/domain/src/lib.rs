//! Gugus domain: the types, rules and authorization policy shared by every layer.
//! Pure code only (no I/O, no async, no database), so it is cheap to test exhaustively.

mod str_enum;

pub mod audit;
pub mod authz;
pub mod case;
pub mod checkpoint;
pub mod classify;
pub mod complaint;
pub mod file_meta;
pub mod ids;
pub mod news;
pub mod nik;
pub mod notification;
pub mod recovery;
pub mod region;
pub mod review;
pub mod role;
pub mod rules;
pub mod secret;
pub mod suppression;
pub mod time;
pub mod token;
pub mod totp;
pub mod unit;
pub mod user;
pub mod validation;
pub mod value;
pub mod vulnerability;

pub use authz::{Action, Actor, Denied, Scope, decide};
pub use ids::{UnitId, UserId};
pub use region::{RegionCode, RegionLevel};
pub use role::Role;
pub use validation::{FieldError, Invalid};
