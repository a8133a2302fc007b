//! A case's access log, "who opened our victims' records": the page beside the case page
//! and its JSON API. The store decides who may read it (the owning unit's staff who see
//! identities, with the break-the-glass reasons; admins above it, without them).

use super::dto::{AccessEntryOut, AccessLogOut, AccessLogParams};
use crate::http::context::{ApiUser, User};
use crate::http::error::WebError;
use crate::http::extract::IdPath;
use crate::http::page::{Page, render};
use crate::{AppState, Routes};
use askama::Template;
use axum::Json;
use axum::extract::{Query, State};
use axum::response::Html;
use axum::routing::get;
use serde::Deserialize;
use store::{AccessLog, AccessLogFilter, CaseId};

pub(crate) fn routes(r: Routes) -> Routes {
    r.add("/cases/{id}/access-log", &["GET"], get(page)).add(
        "/api/v1/cases/{id}/access-log",
        &["GET"],
        get(api),
    )
}

#[derive(Deserialize, Default, Clone)]
#[serde(default)]
pub(crate) struct LogQuery {
    /// `outside`: only looks by people outside the owning unit.
    pub who: String,
    pub before: Option<i64>,
}

impl LogQuery {
    fn filter(&self, limit: i64) -> Result<AccessLogFilter, domain::Invalid> {
        let outside_only = match self.who.trim() {
            "" => false,
            "outside" => true,
            _ => return Err(domain::Invalid::one("who", "err.choice")),
        };
        Ok(AccessLogFilter {
            outside_only,
            before_seq: self.before,
            limit,
        })
    }
}

#[derive(Template)]
#[template(path = "audit/access_log.html")]
struct AccessLogPage {
    page: Page,
    q: LogQuery,
    log: AccessLog,
    older: String,
}

const PAGE_SIZE: i64 = 100;

async fn page(
    State(state): State<AppState>,
    user: User,
    IdPath(id): IdPath<CaseId>,
    Query(q): Query<LogQuery>,
) -> Result<Html<String>, WebError> {
    let log = state
        .store
        .case_access_log(user.actor(), id, &q.filter(PAGE_SIZE)?)
        .await?;
    let older = log
        .older
        .map(|seq| {
            format!(
                "/cases/{id}/access-log?who={}&before={seq}",
                crate::http::util::url_encode(&q.who)
            )
        })
        .unwrap_or_default();
    let page = Page::from_ctx(&user.ctx, "access_log.title");
    render(&AccessLogPage {
        page,
        q,
        log,
        older,
    })
}

#[utoipa::path(get, path = "/api/v1/cases/{id}/access-log", tag = "audit",
    params(("id" = i64, Path), AccessLogParams),
    responses((status = 200, body = AccessLogOut),
        (status = 403, description = "Neither the owning unit's identity staff nor an admin above it"),
        (status = 404, description = "No such case in your scope")),
    security(("bearer" = [])))]
pub(super) async fn api(
    State(state): State<AppState>,
    u: ApiUser,
    IdPath(id): IdPath<CaseId>,
    Query(p): Query<AccessLogParams>,
) -> Result<Json<AccessLogOut>, WebError> {
    let q = LogQuery {
        who: if p.outside_only { "outside" } else { "" }.into(),
        before: p.before,
    };
    let log = state
        .store
        .case_access_log(&u.actor, id, &q.filter(p.limit.unwrap_or(PAGE_SIZE))?)
        .await?;
    Ok(Json(AccessLogOut {
        case_id: log.case_id.0,
        code: log.code,
        reasons_shown: log.reasons_shown,
        older: log.older,
        entries: log
            .entries
            .into_iter()
            .map(|e| AccessEntryOut {
                seq: e.seq,
                at_ms: e.at_ms,
                username: e.username,
                unit_name: e.unit_name,
                region_code: e.region_code,
                region_name: e.region_name,
                action: e.action,
                outside_unit: e.outside_unit,
                outside_region: e.outside_region,
                grant_id: e.grant_id,
                expires_at_ms: e.expires_at_ms,
                reason: e.reason,
            })
            .collect(),
    }))
}

#[cfg(test)]
mod tests {
    use crate::http::i18n::Locale;
    use domain::audit::AuditAction;

    /// The page names every kind of look in both languages.
    #[test]
    fn every_look_has_a_label() {
        for a in AuditAction::looks() {
            for l in [Locale::Id, Locale::En] {
                let key = format!("look.{}", a.as_str());
                assert!(l.lookup(&key).is_some(), "{key} ({})", l.code());
            }
        }
    }
}
