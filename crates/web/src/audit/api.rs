//! The JSON API of the audit trail, filtered like the page, and its newest checkpoint
//! (for a monitor that keeps copies outside Gugus).

use super::dto::{AuditOut, AuditParams, CheckpointOut};
use crate::http::context::ApiUser;
use crate::http::error::WebError;
use crate::{AppState, Routes};
use axum::Json;
use axum::extract::{Query, State};
use axum::routing::get;
use utoipa::OpenApi;

pub(crate) fn routes(r: Routes) -> Routes {
    r.add("/api/v1/audit", &["GET"], get(audit)).add(
        "/api/v1/audit/checkpoint",
        &["GET"],
        get(checkpoint),
    )
}

#[derive(OpenApi)]
#[openapi(
    paths(audit, checkpoint, super::access_log::api),
    components(schemas(
        AuditOut,
        CheckpointOut,
        super::dto::AccessLogOut,
        super::dto::AccessEntryOut
    ))
)]
pub(crate) struct AuditDoc;

#[utoipa::path(get, path = "/api/v1/audit", tag = "audit", params(AuditParams),
    responses((status = 200, body = Vec<AuditOut>), (status = 403, description = "Admins only")), security(("bearer" = [])))]
async fn audit(
    State(state): State<AppState>,
    u: ApiUser,
    Query(p): Query<AuditParams>,
) -> Result<Json<Vec<AuditOut>>, WebError> {
    let q = super::pages::AuditQuery {
        about: p.about,
        user: p.user,
        action: p.action,
        record_type: p.record_type,
        record_id: p.record_id,
        from: p.from,
        to: p.to,
        before: p.before,
    };
    let rows = state
        .store
        .audit_list(&u.actor, &q.filter(p.limit.unwrap_or(100))?)
        .await?;
    Ok(Json(
        rows.into_iter()
            .map(|r| AuditOut {
                seq: r.seq,
                at_ms: r.at_ms,
                actor_user_id: r.actor_user_id,
                actor_username: r.actor_username,
                actor_region: r.actor_region,
                origin: r.origin,
                action: r.action,
                record_type: r.record_type,
                record_id: r.record_id,
                detail: r.detail,
            })
            .collect(),
    ))
}

#[utoipa::path(get, path = "/api/v1/audit/checkpoint", tag = "audit",
    responses((status = 200, body = CheckpointOut), (status = 404, description = "No checkpoint yet"), (status = 403, description = "Admins only")), security(("bearer" = [])))]
async fn checkpoint(
    State(state): State<AppState>,
    u: ApiUser,
) -> Result<Json<CheckpointOut>, WebError> {
    let cp = state
        .store
        .latest_checkpoint(&u.actor)
        .await?
        .ok_or(WebError::NotFound)?;
    Ok(Json(CheckpointOut {
        line: cp.line(),
        seq: cp.seq,
        hash: cp.hash,
        at_ms: cp.at_ms,
    }))
}
