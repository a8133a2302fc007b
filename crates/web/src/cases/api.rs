//! The JSON API of cases: list with filters, create, read and update with a version check,
//! and the parts recorded one entry at a time (route, legal track, status, consent,
//! perpetrators).

use super::dto::*;
use crate::http::context::ApiUser;
use crate::http::error::WebError;
use crate::http::extract::{IdPath, JsonBody};
use crate::http::json::Date;
use crate::shared::today;
use crate::{AppState, Routes};
use axum::Json;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use domain::Invalid;
use domain::value::day;
use store::CaseId;
use utoipa::OpenApi;

pub(crate) fn routes(r: Routes) -> Routes {
    r.add(
        "/api/v1/cases",
        &["GET", "POST"],
        get(list_cases).post(create_case),
    )
    .add(
        "/api/v1/cases/{id}",
        &["GET", "PUT"],
        get(get_case).put(update_case),
    )
    .add("/api/v1/picklists", &["GET"], get(picklists))
    .add(
        "/api/v1/cases/{id}/route-events",
        &["POST"],
        axum::routing::post(add_route_event),
    )
    .add(
        "/api/v1/cases/{id}/legal",
        &["PUT"],
        axum::routing::put(put_legal),
    )
    .add(
        "/api/v1/cases/{id}/legal-stages",
        &["POST"],
        axum::routing::post(add_legal_stage),
    )
    .add(
        "/api/v1/cases/{id}/status",
        &["POST"],
        axum::routing::post(set_status),
    )
    .add(
        "/api/v1/cases/{id}/consents",
        &["POST"],
        axum::routing::post(add_consent),
    )
    .add(
        "/api/v1/cases/{id}/perpetrators",
        &["POST"],
        axum::routing::post(add_perpetrator),
    )
    .add("/api/v1/perpetrators", &["GET"], get(find_perpetrators))
    .add("/api/v1/perpetrators/{id}", &["GET"], get(get_perpetrator))
}

#[derive(OpenApi)]
#[openapi(
    paths(
        list_cases,
        create_case,
        get_case,
        update_case,
        picklists,
        add_route_event,
        put_legal,
        add_legal_stage,
        set_status,
        add_consent,
        add_perpetrator,
        find_perpetrators,
        get_perpetrator
    ),
    components(schemas(
        CaseIn,
        VictimIn,
        CaseOut,
        VictimOut,
        CaseRowOut,
        CasePageOut,
        PicklistOut,
        RouteEventOut,
        LegalOut,
        StageOut,
        RouteEventIn,
        LegalIn,
        StageIn,
        ConsentOut,
        PerpetratorLinkOut,
        StatusIn,
        ConsentIn,
        PerpetratorIn,
        PerpetratorOut,
        PerpetratorCaseOut
    ))
)]
pub(crate) struct CasesDoc;

#[utoipa::path(get, path = "/api/v1/cases", tag = "cases", params(CaseParams),
    responses((status = 200, body = CasePageOut)), security(("bearer" = [])))]
async fn list_cases(
    State(state): State<AppState>,
    u: ApiUser,
    Query(p): Query<CaseParams>,
) -> Result<Json<CasePageOut>, WebError> {
    let q = super::list::ListQuery {
        region: p.region,
        from: p.from,
        to: p.to,
        exploitation: p.exploitation,
        status: p.status,
        trafficking_status: p.trafficking_status,
        channel: p.channel,
        sex: p.sex,
        child: p.child,
        review: p.review,
        stat: p.stat,
        val: p.val,
        basis: p.basis,
        q: p.q,
        sort: p.sort,
        page: p.page,
    };
    let page = state
        .store
        .list_cases(&u.actor, &q.filter(p.per_page.unwrap_or(50))?)
        .await?;
    Ok(Json(CasePageOut {
        rows: page
            .rows
            .into_iter()
            .map(|r| CaseRowOut {
                id: r.id.0,
                code: r.code,
                reported_on: Date(r.reported_on),
                region_code: r.region_code,
                trafficking_status: r.trafficking_status,
                status: r.status,
                review_state: r.review_state,
                victims: r.victims,
                initials: r.initials,
            })
            .collect(),
        more: page.more,
        total: page.total,
    }))
}

#[utoipa::path(post, path = "/api/v1/cases", tag = "cases", request_body = CaseIn,
    responses((status = 201, body = CaseOut), (status = 422, description = "Invalid fields, each named"), (status = 403)),
    security(("bearer" = [])))]
async fn create_case(
    State(state): State<AppState>,
    u: ApiUser,
    JsonBody(b): JsonBody<CaseIn>,
) -> Result<Response, WebError> {
    if !domain::authz::role_may(u.actor.role, domain::Action::EditCase) {
        return Err(WebError::Forbidden);
    }
    let input: domain::case::CaseInput = b.into();
    let new = domain::case::NewCase::parse(&input, today(&state.store, &u.actor))?;
    let (id, _) = state.store.create_case(&u.actor, &new).await?;
    let view = state.store.case(&u.actor, id).await?;
    Ok((StatusCode::CREATED, Json(CaseOut::from(view))).into_response())
}

#[utoipa::path(get, path = "/api/v1/cases/{id}", tag = "cases", params(("id" = i64, Path)),
    responses((status = 200, body = CaseOut), (status = 404)), security(("bearer" = [])))]
async fn get_case(
    State(state): State<AppState>,
    u: ApiUser,
    IdPath(id): IdPath<CaseId>,
) -> Result<Json<CaseOut>, WebError> {
    Ok(Json(state.store.case(&u.actor, id).await?.into()))
}

#[utoipa::path(put, path = "/api/v1/cases/{id}", tag = "cases", params(("id" = i64, Path)), request_body = CaseIn,
    responses((status = 200, body = CaseOut), (status = 404), (status = 409, description = "Changed by someone else since `version`"), (status = 422)),
    security(("bearer" = [])))]
async fn update_case(
    State(state): State<AppState>,
    u: ApiUser,
    IdPath(id): IdPath<CaseId>,
    JsonBody(b): JsonBody<CaseIn>,
) -> Result<Json<CaseOut>, WebError> {
    state
        .store
        .case_access(&u.actor, id, domain::Action::EditCase)
        .await?;
    let Some(version) = b.version else {
        return Err(Invalid::one("version", "err.required").into());
    };
    let input: domain::case::CaseInput = b.into();
    let new = domain::case::NewCase::parse(&input, today(&state.store, &u.actor))?;
    state.store.update_case(&u.actor, id, version, &new).await?;
    Ok(Json(state.store.case(&u.actor, id).await?.into()))
}

#[utoipa::path(get, path = "/api/v1/picklists", tag = "cases",
    responses((status = 200, body = Vec<PicklistOut>)), security(("bearer" = [])))]
async fn picklists(
    State(state): State<AppState>,
    _u: ApiUser,
) -> Result<Json<Vec<PicklistOut>>, WebError> {
    let p = state.store.picklists().await?;
    let mut lists: Vec<&String> = p.lists.keys().collect();
    lists.sort();
    let mut out = Vec::new();
    for l in lists {
        for i in p.items(l) {
            out.push(PicklistOut {
                list: i.list.clone(),
                code: i.code.clone(),
                htcds: i.htcds.clone(),
                label_id: i.label_id.clone(),
                label_en: i.label_en.clone(),
            });
        }
    }
    Ok(Json(out))
}

#[utoipa::path(post, path = "/api/v1/cases/{id}/route-events", tag = "cases", params(("id" = i64, Path)), request_body = RouteEventIn,
    responses((status = 200, body = CaseOut), (status = 404), (status = 422)), security(("bearer" = [])))]
async fn add_route_event(
    State(state): State<AppState>,
    u: ApiUser,
    IdPath(id): IdPath<CaseId>,
    JsonBody(b): JsonBody<RouteEventIn>,
) -> Result<Json<CaseOut>, WebError> {
    state
        .store
        .case_access(&u.actor, id, domain::Action::EditCase)
        .await?;
    let input = domain::case::RouteEventInput {
        kind: b.kind,
        region_code: b.region_code,
        country: b.country,
        city: b.city,
        date_from: b.date_from,
        date_to: b.date_to,
    };
    let e = domain::case::NewRouteEvent::parse(&input, today(&state.store, &u.actor))?;
    state.store.add_route_event(&u.actor, id, &e).await?;
    Ok(Json(state.store.case(&u.actor, id).await?.into()))
}

#[utoipa::path(put, path = "/api/v1/cases/{id}/legal", tag = "cases", params(("id" = i64, Path)), request_body = LegalIn,
    responses((status = 200, body = CaseOut), (status = 404), (status = 422)), security(("bearer" = [])))]
async fn put_legal(
    State(state): State<AppState>,
    u: ApiUser,
    IdPath(id): IdPath<CaseId>,
    JsonBody(b): JsonBody<LegalIn>,
) -> Result<Json<CaseOut>, WebError> {
    state
        .store
        .case_access(&u.actor, id, domain::Action::EditCase)
        .await?;
    let input = domain::case::LegalInput {
        police_report_no: b.police_report_no,
        police_unit: b.police_unit,
        articles: b.articles,
        sentence_months: b.sentence_months,
        restitution_ordered: b.restitution_ordered,
    };
    let l = domain::case::NewLegal::parse(&input)?;
    state.store.set_legal(&u.actor, id, &l).await?;
    Ok(Json(state.store.case(&u.actor, id).await?.into()))
}

#[utoipa::path(post, path = "/api/v1/cases/{id}/legal-stages", tag = "cases", params(("id" = i64, Path)), request_body = StageIn,
    responses((status = 200, body = CaseOut), (status = 404), (status = 422)), security(("bearer" = [])))]
async fn add_legal_stage(
    State(state): State<AppState>,
    u: ApiUser,
    IdPath(id): IdPath<CaseId>,
    JsonBody(b): JsonBody<StageIn>,
) -> Result<Json<CaseOut>, WebError> {
    state
        .store
        .case_access(&u.actor, id, domain::Action::EditCase)
        .await?;
    let happened = day::day("happened", &b.happened).map_err(|e| WebError::Invalid(vec![e]))?;
    state
        .store
        .add_legal_stage(
            &u.actor,
            id,
            b.stage.trim(),
            Some(happened),
            today(&state.store, &u.actor),
        )
        .await?;
    Ok(Json(state.store.case(&u.actor, id).await?.into()))
}

#[utoipa::path(post, path = "/api/v1/cases/{id}/status", tag = "cases", params(("id" = i64, Path)), request_body = StatusIn,
    responses((status = 200, body = CaseOut), (status = 404), (status = 422)), security(("bearer" = [])))]
async fn set_status(
    State(state): State<AppState>,
    u: ApiUser,
    IdPath(id): IdPath<CaseId>,
    JsonBody(b): JsonBody<StatusIn>,
) -> Result<Json<CaseOut>, WebError> {
    state
        .store
        .set_case_status(
            &u.actor,
            id,
            b.status.trim(),
            Some(b.close_reason.as_str()),
            today(&state.store, &u.actor),
        )
        .await?;
    Ok(Json(state.store.case(&u.actor, id).await?.into()))
}

#[utoipa::path(post, path = "/api/v1/cases/{id}/consents", tag = "cases", params(("id" = i64, Path)), request_body = ConsentIn,
    responses((status = 200, body = CaseOut), (status = 404), (status = 422)), security(("bearer" = [])))]
async fn add_consent(
    State(state): State<AppState>,
    u: ApiUser,
    IdPath(id): IdPath<CaseId>,
    JsonBody(b): JsonBody<ConsentIn>,
) -> Result<Json<CaseOut>, WebError> {
    state
        .store
        .case_access(&u.actor, id, domain::Action::EditCase)
        .await?;
    let given_on = day::opt_day("given_on", &b.given_on).map_err(|e| WebError::Invalid(vec![e]))?;
    let c = store::NewConsent {
        victim_id: b.victim_id,
        scope: b.scope,
        given_by: b.given_by,
        given_on,
    };
    state
        .store
        .add_consent(&u.actor, id, &c, today(&state.store, &u.actor))
        .await?;
    Ok(Json(state.store.case(&u.actor, id).await?.into()))
}

#[utoipa::path(post, path = "/api/v1/cases/{id}/perpetrators", tag = "cases", params(("id" = i64, Path)), request_body = PerpetratorIn,
    responses((status = 200, body = CaseOut), (status = 404), (status = 422)), security(("bearer" = [])))]
async fn add_perpetrator(
    State(state): State<AppState>,
    u: ApiUser,
    IdPath(id): IdPath<CaseId>,
    JsonBody(b): JsonBody<PerpetratorIn>,
) -> Result<Json<CaseOut>, WebError> {
    state
        .store
        .case_access(&u.actor, id, domain::Action::EditCase)
        .await?;
    match b.perpetrator_id {
        Some(p) => {
            state
                .store
                .link_perpetrator(&u.actor, id, p, b.role.trim())
                .await?
        }
        None => {
            let new = store::NewPerpetrator::parse(&b.kind, &b.name, &b.alias, &b.nik)?;
            state
                .store
                .add_perpetrator(&u.actor, id, &new, b.role.trim())
                .await?;
        }
    }
    Ok(Json(state.store.case(&u.actor, id).await?.into()))
}

#[utoipa::path(get, path = "/api/v1/perpetrators", tag = "cases", params(PerpetratorQuery),
    responses((status = 200, body = Vec<PerpetratorLinkOut>), (status = 403)), security(("bearer" = [])))]
async fn find_perpetrators(
    State(state): State<AppState>,
    u: ApiUser,
    Query(q): Query<PerpetratorQuery>,
) -> Result<Json<Vec<PerpetratorLinkOut>>, WebError> {
    let nik = domain::nik::Nik::parse(&q.nik);
    let found = state
        .store
        .find_perpetrators(&u.actor, &q.name, nik.as_ref())
        .await?;
    Ok(Json(found.into_iter().map(Into::into).collect()))
}

#[utoipa::path(get, path = "/api/v1/perpetrators/{id}", tag = "cases", params(("id" = i64, Path)),
    responses((status = 200, body = PerpetratorOut), (status = 404)), security(("bearer" = [])))]
async fn get_perpetrator(
    State(state): State<AppState>,
    u: ApiUser,
    IdPath(id): IdPath<i64>,
) -> Result<Json<PerpetratorOut>, WebError> {
    let p = state.store.perpetrator(&u.actor, id).await?;
    Ok(Json(PerpetratorOut {
        id: p.id,
        kind: p.kind,
        initials: p.initials,
        name: p.name,
        alias: p.alias,
        nik: p.nik,
        cases: p
            .cases
            .into_iter()
            .map(|c| PerpetratorCaseOut {
                case_id: c.case_id.0,
                code: c.code,
                reported_on: Date(c.reported_on),
                role: c.role,
            })
            .collect(),
    }))
}
