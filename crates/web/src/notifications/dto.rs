//! Request bodies and query parameters of the notifications API.

use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

#[derive(Deserialize, IntoParams, Default)]
#[serde(default)]
pub struct NotificationsQuery {
    /// At most this many, newest first (1–200, default 50).
    pub limit: Option<i64>,
}

#[derive(Deserialize, Serialize, ToSchema, Default)]
#[serde(default)]
pub struct ReadIn {
    /// One notification; omitted (`{}`) marks all of the caller's notifications read.
    pub id: Option<i64>,
}
