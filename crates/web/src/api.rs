//! The JSON API under `/api/v1`. Same store calls as the pages; bodies are validated
//! field by field and every failure is named. The OpenAPI document is generated from the
//! annotations on these handlers (utoipa), never written by hand.

use crate::context::ApiUser;
use crate::error::WebError;
use crate::{AppState, Routes};
use axum::Json;
use axum::body::Bytes;
use axum::extract::{FromRequest, Path, Query, Request, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use domain::unit::NewUnit;
use domain::user::NewUser;
use domain::{FieldError, RegionCode, UnitId, UserId};
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::{IntoParams, Modify, OpenApi, ToSchema};

pub(crate) fn routes(r: Routes) -> Routes {
    r.add("/api/v1/openapi.json", &["GET"], get(openapi_json))
        .add("/api/v1/regions", &["GET"], get(list_regions))
        .add("/api/v1/regions/{code}", &["GET"], get(get_region))
        .add(
            "/api/v1/units",
            &["GET", "POST"],
            get(list_units).post(create_unit),
        )
        .add(
            "/api/v1/units/{id}",
            &["GET", "PUT"],
            get(get_unit).put(update_unit),
        )
        .add(
            "/api/v1/users",
            &["GET", "POST"],
            get(list_users).post(create_user),
        )
        .add("/api/v1/users/{id}", &["GET"], get(get_user))
        .add("/api/v1/me", &["GET"], get(me))
        .add("/api/v1/audit", &["GET"], get(audit))
        .add(
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

/// A JSON body that names the failing field when it cannot be read.
pub struct JsonBody<T>(pub T);

impl<T: DeserializeOwned, S: Send + Sync> FromRequest<S> for JsonBody<T> {
    type Rejection = WebError;
    async fn from_request(req: Request, state: &S) -> Result<Self, Self::Rejection> {
        let is_json = req
            .headers()
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|v| v.starts_with("application/json"));
        if !is_json {
            return Err(WebError::BadRequest(
                "expected Content-Type: application/json".into(),
            ));
        }
        let bytes = Bytes::from_request(req, state).await.map_err(|e| {
            if e.status() == StatusCode::PAYLOAD_TOO_LARGE {
                WebError::PayloadTooLarge
            } else {
                WebError::BadRequest(e.body_text())
            }
        })?;
        let de = &mut serde_json::Deserializer::from_slice(&bytes);
        match serde_path_to_error::deserialize::<_, T>(de) {
            Ok(v) => Ok(JsonBody(v)),
            Err(e) => {
                let inner = e.inner();
                if inner.is_syntax() || inner.is_eof() {
                    return Err(WebError::BadRequest(format!(
                        "malformed JSON at line {} column {}",
                        inner.line(),
                        inner.column()
                    )));
                }
                let path = e.path().to_string();
                let field = if path == "." { "body".to_owned() } else { path };
                Err(WebError::Invalid(vec![FieldError {
                    field,
                    key: "err.type",
                }]))
            }
        }
    }
}

#[derive(Serialize, ToSchema)]
pub struct RegionOut {
    /// Kemendagri code, dotted (e.g. `62.71`).
    code: String,
    parent_code: Option<String>,
    /// province, regency, district or village
    level: String,
    name: String,
    /// provinsi, kabupaten, kota, kecamatan, desa, kelurahan, desa_adat
    kind: String,
}

impl From<store::Region> for RegionOut {
    fn from(r: store::Region) -> Self {
        RegionOut {
            code: r.code,
            parent_code: r.parent_code,
            level: r.level.as_str().into(),
            name: r.name,
            kind: r.kind,
        }
    }
}

#[derive(Serialize, ToSchema)]
pub struct RegionDetailOut {
    #[serde(flatten)]
    region: RegionOut,
    ancestors: Vec<RegionOut>,
    children: Vec<RegionOut>,
    attribution: &'static str,
}

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct RegionQuery {
    /// Name fragment or code prefix. Empty: the provinces.
    q: Option<String>,
    /// At most this many results (1–100, default 20).
    limit: Option<i64>,
}

#[utoipa::path(get, path = "/api/v1/regions", tag = "regions", params(RegionQuery),
    responses((status = 200, body = Vec<RegionOut>), (status = 401, description = "Not logged in")),
    security(("bearer" = [])))]
async fn list_regions(
    State(state): State<AppState>,
    u: ApiUser,
    Query(q): Query<RegionQuery>,
) -> Result<Json<Vec<RegionOut>>, WebError> {
    let query = q.q.unwrap_or_default();
    let rows = if query.trim().is_empty() {
        state.store.provinces(&u.actor).await?
    } else {
        state
            .store
            .search_regions(&u.actor, &query, q.limit.unwrap_or(20))
            .await?
    };
    Ok(Json(rows.into_iter().map(Into::into).collect()))
}

#[utoipa::path(get, path = "/api/v1/regions/{code}", tag = "regions",
    params(("code" = String, Path, description = "Kemendagri code")),
    responses((status = 200, body = RegionDetailOut), (status = 404, description = "No such region")),
    security(("bearer" = [])))]
async fn get_region(
    State(state): State<AppState>,
    u: ApiUser,
    Path(code): Path<String>,
) -> Result<Json<RegionDetailOut>, WebError> {
    let code = RegionCode::parse(&code).map_err(|_| WebError::NotFound)?;
    let d = state.store.region(&u.actor, &code).await?;
    Ok(Json(RegionDetailOut {
        region: d.region.into(),
        ancestors: d.ancestors.into_iter().map(Into::into).collect(),
        children: d.children.into_iter().map(Into::into).collect(),
        attribution: store::ATTRIBUTION,
    }))
}

#[derive(Serialize, ToSchema)]
pub struct UnitOut {
    id: i64,
    name: String,
    kind: String,
    /// Absent for national units.
    region_code: Option<String>,
    region_name: Option<String>,
    user_count: i64,
}

impl From<store::Unit> for UnitOut {
    fn from(u: store::Unit) -> Self {
        UnitOut {
            id: u.id.0,
            name: u.name,
            kind: u.kind,
            region_code: u.region_code,
            region_name: u.region_name,
            user_count: u.user_count,
        }
    }
}

#[derive(Deserialize, ToSchema, Default)]
#[serde(default)]
pub struct UnitIn {
    name: String,
    /// task_force, service_unit, police, prosecutor, social_affairs, health, manpower, migrant_agency, immigration, ngo, other
    kind: String,
    /// Empty or absent for a national unit.
    region_code: String,
}

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct UnitQuery {
    /// Name fragment.
    q: Option<String>,
    /// Only units inside this region.
    region: Option<String>,
}

#[utoipa::path(get, path = "/api/v1/units", tag = "units", params(UnitQuery),
    responses((status = 200, body = Vec<UnitOut>)), security(("bearer" = [])))]
async fn list_units(
    State(state): State<AppState>,
    u: ApiUser,
    Query(q): Query<UnitQuery>,
) -> Result<Json<Vec<UnitOut>>, WebError> {
    let region =
        match q.region.as_deref().filter(|s| !s.trim().is_empty()) {
            Some(r) => Some(RegionCode::parse(r).map_err(|_| {
                WebError::Invalid(vec![FieldError::new("region", "err.region_code")])
            })?),
            None => None,
        };
    let units = state
        .store
        .list_units(&u.actor, region.as_ref(), q.q.as_deref().unwrap_or(""))
        .await?;
    Ok(Json(units.into_iter().map(Into::into).collect()))
}

#[utoipa::path(post, path = "/api/v1/units", tag = "units", request_body = UnitIn,
    responses((status = 201, body = UnitOut), (status = 422, description = "Invalid fields"), (status = 403, description = "Role may not manage units")),
    security(("bearer" = [])))]
async fn create_unit(
    State(state): State<AppState>,
    u: ApiUser,
    JsonBody(b): JsonBody<UnitIn>,
) -> Result<Response, WebError> {
    if !domain::authz::role_may(u.actor.role, domain::Action::ManageUnit) {
        return Err(WebError::Forbidden);
    }
    let new = NewUnit::parse(&b.name, &b.kind, &b.region_code)?;
    let id = state.store.create_unit(&u.actor, &new).await?;
    let unit = state.store.unit(&u.actor, id).await?;
    Ok((StatusCode::CREATED, Json(UnitOut::from(unit))).into_response())
}

fn path_id(s: &str) -> Result<i64, WebError> {
    crate::units::parse_id(s)
}

#[utoipa::path(get, path = "/api/v1/units/{id}", tag = "units", params(("id" = i64, Path)),
    responses((status = 200, body = UnitOut), (status = 404)), security(("bearer" = [])))]
async fn get_unit(
    State(state): State<AppState>,
    u: ApiUser,
    Path(id): Path<String>,
) -> Result<Json<UnitOut>, WebError> {
    Ok(Json(
        state
            .store
            .unit(&u.actor, UnitId(path_id(&id)?))
            .await?
            .into(),
    ))
}

#[utoipa::path(put, path = "/api/v1/units/{id}", tag = "units", params(("id" = i64, Path)), request_body = UnitIn,
    responses((status = 200, body = UnitOut), (status = 404), (status = 422)), security(("bearer" = [])))]
async fn update_unit(
    State(state): State<AppState>,
    u: ApiUser,
    Path(id): Path<String>,
    JsonBody(b): JsonBody<UnitIn>,
) -> Result<Json<UnitOut>, WebError> {
    let id = UnitId(path_id(&id)?);
    let current = state.store.unit(&u.actor, id).await?;
    domain::decide(&u.actor, domain::Action::ManageUnit, &current.scope())
        .map_err(store::StoreError::from)?;
    let new = NewUnit::parse(&b.name, &b.kind, &b.region_code)?;
    state.store.update_unit(&u.actor, id, &new).await?;
    Ok(Json(state.store.unit(&u.actor, id).await?.into()))
}

#[derive(Serialize, ToSchema)]
pub struct UserOut {
    id: i64,
    username: String,
    full_name: String,
    email: Option<String>,
    unit_id: i64,
    unit_name: String,
    /// admin, data_officer, verifier, case_worker, partner_officer, analyst, viewer
    role: String,
    disabled: bool,
    totp_enabled: bool,
}

impl From<store::UserRow> for UserOut {
    fn from(u: store::UserRow) -> Self {
        UserOut {
            id: u.id.0,
            username: u.username,
            full_name: u.full_name,
            email: u.email,
            unit_id: u.unit_id.0,
            unit_name: u.unit_name,
            role: u.role.as_str().into(),
            disabled: u.disabled,
            totp_enabled: u.totp_enabled,
        }
    }
}

#[derive(Deserialize, ToSchema, Default)]
#[serde(default)]
pub struct UserIn {
    username: String,
    full_name: String,
    email: String,
    unit_id: Option<i64>,
    role: String,
    /// Initial password (at least 10 characters).
    password: String,
}

#[utoipa::path(get, path = "/api/v1/users", tag = "users",
    responses((status = 200, body = Vec<UserOut>), (status = 403, description = "Admins only")), security(("bearer" = [])))]
async fn list_users(
    State(state): State<AppState>,
    u: ApiUser,
) -> Result<Json<Vec<UserOut>>, WebError> {
    Ok(Json(
        state
            .store
            .list_users(&u.actor)
            .await?
            .into_iter()
            .map(Into::into)
            .collect(),
    ))
}

#[utoipa::path(post, path = "/api/v1/users", tag = "users", request_body = UserIn,
    responses((status = 201, body = UserOut), (status = 422, description = "Invalid fields")), security(("bearer" = [])))]
async fn create_user(
    State(state): State<AppState>,
    u: ApiUser,
    JsonBody(b): JsonBody<UserIn>,
) -> Result<Response, WebError> {
    if !domain::authz::role_may(u.actor.role, domain::Action::ManageUser) {
        return Err(WebError::Forbidden);
    }
    let unit = b.unit_id.map(|v| v.to_string()).unwrap_or_default();
    let new = NewUser::parse(
        &b.username,
        &b.full_name,
        &b.email,
        &unit,
        &b.role,
        &b.password,
    )?;
    let id = state.store.create_user(&u.actor, &new).await?;
    let row = state.store.user(&u.actor, id).await?;
    Ok((StatusCode::CREATED, Json(UserOut::from(row))).into_response())
}

#[utoipa::path(get, path = "/api/v1/users/{id}", tag = "users", params(("id" = i64, Path)),
    responses((status = 200, body = UserOut), (status = 404)), security(("bearer" = [])))]
async fn get_user(
    State(state): State<AppState>,
    u: ApiUser,
    Path(id): Path<String>,
) -> Result<Json<UserOut>, WebError> {
    Ok(Json(
        state
            .store
            .user(&u.actor, UserId(path_id(&id)?))
            .await?
            .into(),
    ))
}

#[utoipa::path(get, path = "/api/v1/me", tag = "users", responses((status = 200, body = UserOut)), security(("bearer" = [])))]
async fn me(State(state): State<AppState>, u: ApiUser) -> Result<Json<UserOut>, WebError> {
    Ok(Json(state.store.me(&u.actor).await?.into()))
}

#[derive(Serialize, ToSchema)]
pub struct AuditOut {
    seq: i64,
    at_ms: i64,
    actor_user_id: Option<i64>,
    actor_username: String,
    origin: String,
    action: String,
    record_type: String,
    record_id: String,
    detail: String,
}

#[derive(Deserialize, IntoParams, Default)]
#[into_params(parameter_in = Query)]
#[serde(default)]
pub struct AuditParams {
    user: String,
    action: String,
    record_type: String,
    record_id: String,
    /// YYYY-MM-DD (WIB)
    from: String,
    to: String,
    /// Entries before this sequence number (paging).
    before: Option<i64>,
    limit: Option<i64>,
}

#[utoipa::path(get, path = "/api/v1/audit", tag = "audit", params(AuditParams),
    responses((status = 200, body = Vec<AuditOut>), (status = 403, description = "Admins only")), security(("bearer" = [])))]
async fn audit(
    State(state): State<AppState>,
    u: ApiUser,
    Query(p): Query<AuditParams>,
) -> Result<Json<Vec<AuditOut>>, WebError> {
    let q = crate::audit::AuditQuery {
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
        .audit_list(&u.actor, &q.filter(p.limit.unwrap_or(100)))
        .await?;
    Ok(Json(
        rows.into_iter()
            .map(|r| AuditOut {
                seq: r.seq,
                at_ms: r.at_ms,
                actor_user_id: r.actor_user_id,
                actor_username: r.actor_username,
                origin: r.origin,
                action: r.action,
                record_type: r.record_type,
                record_id: r.record_id,
                detail: r.detail,
            })
            .collect(),
    ))
}

struct BearerAuth;

impl Modify for BearerAuth {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(HttpBuilder::new().scheme(HttpAuthScheme::Bearer).build()),
        );
    }
}

#[derive(OpenApi)]
#[openapi(
    info(title = "Gugus API", version = "1", description = "Gugus: integrated information system of Indonesia's anti-trafficking task forces. Authenticate with `Authorization: Bearer gug_…` (create a token under My account). Errors: `{\"error\": {\"code\", \"message\", \"fields\": [{\"field\", \"code\", \"message\"}]}}`."),
    paths(list_regions, get_region, list_units, create_unit, get_unit, update_unit, list_users, create_user, get_user, me, audit, list_cases, create_case, get_case, update_case, picklists, add_route_event, put_legal, add_legal_stage, set_status, add_consent, add_perpetrator, find_perpetrators, get_perpetrator),
    components(schemas(RegionOut, RegionDetailOut, UnitOut, UnitIn, UserOut, UserIn, AuditOut, CaseIn, VictimIn, CaseOut, VictimOut, CaseRowOut, CasePageOut, PicklistOut, RouteEventOut, LegalOut, StageOut, RouteEventIn, LegalIn, StageIn, ConsentOut, PerpetratorLinkOut, StatusIn, ConsentIn, PerpetratorIn, PerpetratorOut, PerpetratorCaseOut)),
    modifiers(&BearerAuth),
    tags((name = "regions", description = "Kemendagri region reference"), (name = "units", description = "Organisations"), (name = "users", description = "Accounts"), (name = "audit", description = "Audit trail"), (name = "cases", description = "TPPO cases and victims"))
)]
pub struct ApiDoc;

/// The OpenAPI 3 document as JSON.
pub fn openapi() -> utoipa::openapi::OpenApi {
    let mut doc = ApiDoc::openapi();
    doc.merge(crate::api_clearing::ClearingDoc::openapi());
    doc.merge(crate::api_recovery::RecoveryDoc::openapi());
    doc
}

async fn openapi_json() -> Response {
    match openapi().to_json() {
        Ok(s) => ([(header::CONTENT_TYPE, "application/json")], s).into_response(),
        Err(_) => WebError::Internal.into_response(),
    }
}

/// A victim as the API accepts it (all text, as a form would send it).
#[derive(Deserialize, Serialize, ToSchema, Default)]
#[serde(default)]
pub struct VictimIn {
    name: String,
    alias: String,
    /// 16 digits.
    nik: String,
    phone: String,
    /// female or male
    sex: String,
    /// YYYY-MM-DD
    birth_date: String,
    /// Years, when the birth date is unknown.
    age_estimate: String,
    /// Village code, e.g. 53.04.01.2001
    home_village: String,
    education: String,
    occupation: String,
    disability: String,
    /// none, cpmi or pmi
    migrant_status: String,
    /// ISO 3166 alpha-3, default IDN.
    citizenship: String,
}

/// A case as the API accepts it. Picklist codes are listed at `/api/v1/picklists`.
#[derive(Deserialize, Serialize, ToSchema, Default)]
#[serde(default)]
pub struct CaseIn {
    channel: String,
    /// YYYY-MM-DD
    reported_on: String,
    exploitation_from: String,
    rescued_on: String,
    chronology: String,
    /// possible, confirmed or not_trafficking
    trafficking_status: String,
    exploitation: Vec<String>,
    means_of_control: Vec<String>,
    /// ISIC section letter
    sector: String,
    recruitment: String,
    recruiter_relationship: String,
    victims: Vec<VictimIn>,
    /// For PUT: the version that was read (the edit is refused with 409 if it changed).
    version: Option<i64>,
}

impl From<CaseIn> for domain::case::CaseInput {
    fn from(c: CaseIn) -> Self {
        domain::case::CaseInput {
            channel: c.channel,
            reported_on: c.reported_on,
            exploitation_from: c.exploitation_from,
            rescued_on: c.rescued_on,
            chronology: c.chronology,
            trafficking_status: c.trafficking_status,
            exploitation: c.exploitation,
            means_of_control: c.means_of_control,
            sector: c.sector,
            recruitment: c.recruitment,
            recruiter_relationship: c.recruiter_relationship,
            victims: c
                .victims
                .into_iter()
                .map(|v| domain::case::VictimInput {
                    name: v.name,
                    alias: v.alias,
                    nik: v.nik,
                    phone: v.phone,
                    sex: v.sex,
                    birth_date: v.birth_date,
                    age_estimate: v.age_estimate,
                    home_village: v.home_village,
                    education: v.education,
                    occupation: v.occupation,
                    disability: v.disability,
                    migrant_status: v.migrant_status,
                    citizenship: v.citizenship,
                })
                .collect(),
        }
    }
}

#[derive(Serialize, ToSchema)]
pub struct VictimOut {
    id: i64,
    initials: String,
    /// Null unless the caller's role may see identities.
    name: Option<String>,
    alias: Option<String>,
    nik: Option<String>,
    phone: Option<String>,
    sex: String,
    birth_date: Option<String>,
    age_estimate: Option<i64>,
    is_child: bool,
    home_village: Option<String>,
    education: Option<String>,
    occupation: Option<String>,
    disability: Option<String>,
    migrant_status: Option<String>,
    citizenship: String,
    nik_warnings: Vec<String>,
}

#[derive(Serialize, ToSchema)]
pub struct CaseOut {
    id: i64,
    code: String,
    unit_id: i64,
    unit_name: String,
    region_code: Option<String>,
    channel: String,
    reported_on: String,
    exploitation_from: Option<String>,
    rescued_on: Option<String>,
    /// Null unless the caller's role may see identities.
    chronology: Option<String>,
    trafficking_status: String,
    exploitation: Vec<String>,
    means_of_control: Vec<String>,
    sector: Option<String>,
    recruitment: Option<String>,
    recruiter_relationship: Option<String>,
    status: String,
    close_reason: Option<String>,
    version: i64,
    identities_visible: bool,
    victims: Vec<VictimOut>,
    route: Vec<RouteEventOut>,
    legal: LegalOut,
    consents: Vec<ConsentOut>,
    perpetrators: Vec<PerpetratorLinkOut>,
}

#[derive(Serialize, ToSchema)]
pub struct ConsentOut {
    id: i64,
    victim_id: i64,
    /// data_recording, services, referral, law_enforcement, media, research
    scope: String,
    /// victim, parent, guardian, companion
    given_by: String,
    given_on: String,
    withdrawn_on: Option<String>,
}

#[derive(Serialize, ToSchema)]
pub struct PerpetratorLinkOut {
    perpetrator_id: i64,
    /// person or organisation
    kind: String,
    initials: String,
    /// Null unless the caller's role may see identities.
    name: Option<String>,
    role: String,
}

#[derive(Serialize, ToSchema)]
pub struct RouteEventOut {
    id: i64,
    /// recruitment, departure, transit, exploitation, detection, return
    kind: String,
    region_code: Option<String>,
    region_name: Option<String>,
    /// ISO 3166 alpha-3
    country: Option<String>,
    city: Option<String>,
    date_from: Option<String>,
    date_to: Option<String>,
}

#[derive(Serialize, ToSchema)]
pub struct StageOut {
    id: i64,
    /// report, inquiry, investigation, p21, prosecution, verdict, final, appeal
    stage: String,
    happened: String,
}

#[derive(Serialize, ToSchema)]
pub struct LegalOut {
    police_report_no: Option<String>,
    police_unit: Option<String>,
    /// Articles of UU 21/2007 charged.
    articles: Vec<u32>,
    sentence_months: Option<i64>,
    /// Rupiah.
    restitution_ordered: Option<i64>,
    stages: Vec<StageOut>,
}

impl From<store::CaseView> for CaseOut {
    fn from(c: store::CaseView) -> Self {
        let day = domain::case::format_day;
        CaseOut {
            id: c.id.0,
            code: c.code,
            unit_id: c.unit_id.0,
            unit_name: c.unit_name,
            region_code: c.region_code,
            channel: c.channel,
            reported_on: day(c.reported_on),
            exploitation_from: c.exploitation_from.map(day),
            rescued_on: c.rescued_on.map(day),
            chronology: c.chronology,
            trafficking_status: c.trafficking_status,
            exploitation: c.exploitation,
            means_of_control: c.means_of_control,
            sector: c.sector,
            recruitment: c.recruitment,
            recruiter_relationship: c.recruiter_relationship,
            status: c.status,
            close_reason: c.close_reason,
            version: c.version,
            identities_visible: c.identities_visible,
            route: c
                .route
                .into_iter()
                .map(|e| RouteEventOut {
                    id: e.id,
                    kind: e.kind,
                    region_code: e.region_code,
                    region_name: e.region_name,
                    country: e.country,
                    city: e.city,
                    date_from: e.date_from.map(day),
                    date_to: e.date_to.map(day),
                })
                .collect(),
            legal: LegalOut {
                police_report_no: c.legal.police_report_no,
                police_unit: c.legal.police_unit,
                articles: c.legal.articles,
                sentence_months: c.legal.sentence_months,
                restitution_ordered: c.legal.restitution_ordered,
                stages: c
                    .legal
                    .stages
                    .into_iter()
                    .map(|s| StageOut {
                        id: s.id,
                        stage: s.stage,
                        happened: day(s.happened),
                    })
                    .collect(),
            },
            consents: c
                .consents
                .into_iter()
                .map(|k| ConsentOut {
                    id: k.id,
                    victim_id: k.victim_id,
                    scope: k.scope,
                    given_by: k.given_by,
                    given_on: day(k.given_on),
                    withdrawn_on: k.withdrawn_on.map(day),
                })
                .collect(),
            perpetrators: c
                .perpetrators
                .into_iter()
                .map(PerpetratorLinkOut::from)
                .collect(),
            victims: c
                .victims
                .into_iter()
                .map(|v| VictimOut {
                    id: v.id,
                    initials: v.initials,
                    name: v.name,
                    alias: v.alias,
                    nik: v.nik,
                    phone: v.phone,
                    sex: v.sex,
                    birth_date: v.birth_date.map(day),
                    age_estimate: v.age_estimate,
                    is_child: v.is_child,
                    home_village: v.home_village,
                    education: v.education,
                    occupation: v.occupation,
                    disability: v.disability,
                    migrant_status: v.migrant_status,
                    citizenship: v.citizenship,
                    nik_warnings: v.nik_warnings,
                })
                .collect(),
        }
    }
}

#[derive(Serialize, ToSchema)]
pub struct CaseRowOut {
    id: i64,
    code: String,
    reported_on: String,
    region_code: Option<String>,
    trafficking_status: String,
    status: String,
    victims: i64,
    /// Victims' initials, e.g. "Y. T., M. B."
    initials: String,
}

#[derive(Serialize, ToSchema)]
pub struct CasePageOut {
    rows: Vec<CaseRowOut>,
    /// Another page follows.
    more: bool,
}

#[derive(Deserialize, IntoParams, Default)]
#[into_params(parameter_in = Query)]
#[serde(default)]
pub struct CaseParams {
    /// Region subtree (code).
    region: String,
    /// Reported from (YYYY-MM-DD).
    from: String,
    /// Reported until (YYYY-MM-DD).
    to: String,
    exploitation: String,
    status: String,
    trafficking_status: String,
    channel: String,
    /// female or male (any victim)
    sex: String,
    /// child or adult (any victim)
    child: String,
    /// Case code prefix; NIK or name for roles that see identities.
    q: String,
    /// newest (default), oldest or code
    sort: String,
    /// From 0.
    page: i64,
    /// 1–200, default 50.
    per_page: Option<i64>,
}

#[utoipa::path(get, path = "/api/v1/cases", tag = "cases", params(CaseParams),
    responses((status = 200, body = CasePageOut)), security(("bearer" = [])))]
async fn list_cases(
    State(state): State<AppState>,
    u: ApiUser,
    Query(p): Query<CaseParams>,
) -> Result<Json<CasePageOut>, WebError> {
    let q = crate::cases::ListQuery {
        region: p.region,
        from: p.from,
        to: p.to,
        exploitation: p.exploitation,
        status: p.status,
        trafficking_status: p.trafficking_status,
        channel: p.channel,
        sex: p.sex,
        child: p.child,
        q: p.q,
        sort: p.sort,
        page: p.page,
    };
    let page = state
        .store
        .list_cases(&u.actor, &q.filter(p.per_page.unwrap_or(50)))
        .await?;
    Ok(Json(CasePageOut {
        rows: page
            .rows
            .into_iter()
            .map(|r| CaseRowOut {
                id: r.id.0,
                code: r.code,
                reported_on: domain::case::format_day(r.reported_on),
                region_code: r.region_code,
                trafficking_status: r.trafficking_status,
                status: r.status,
                victims: r.victims,
                initials: r.initials,
            })
            .collect(),
        more: page.more,
    }))
}

fn today() -> i64 {
    (store::now_ms() + 7 * 3_600_000) / 86_400_000
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
    let new = domain::case::NewCase::parse(&input, today())?;
    let (id, _) = state.store.create_case(&u.actor, &new).await?;
    let view = state.store.case(&u.actor, id).await?;
    Ok((StatusCode::CREATED, Json(CaseOut::from(view))).into_response())
}

#[utoipa::path(get, path = "/api/v1/cases/{id}", tag = "cases", params(("id" = i64, Path)),
    responses((status = 200, body = CaseOut), (status = 404)), security(("bearer" = [])))]
async fn get_case(
    State(state): State<AppState>,
    u: ApiUser,
    Path(id): Path<String>,
) -> Result<Json<CaseOut>, WebError> {
    Ok(Json(
        state
            .store
            .case(&u.actor, store::CaseId(path_id(&id)?))
            .await?
            .into(),
    ))
}

#[utoipa::path(put, path = "/api/v1/cases/{id}", tag = "cases", params(("id" = i64, Path)), request_body = CaseIn,
    responses((status = 200, body = CaseOut), (status = 404), (status = 409, description = "Changed by someone else since `version`"), (status = 422)),
    security(("bearer" = [])))]
async fn update_case(
    State(state): State<AppState>,
    u: ApiUser,
    Path(id): Path<String>,
    JsonBody(b): JsonBody<CaseIn>,
) -> Result<Json<CaseOut>, WebError> {
    let id = store::CaseId(path_id(&id)?);
    state
        .store
        .case_access(&u.actor, id, domain::Action::EditCase)
        .await?;
    let Some(version) = b.version else {
        return Err(WebError::Invalid(vec![FieldError::new(
            "version",
            "err.required",
        )]));
    };
    let input: domain::case::CaseInput = b.into();
    let new = domain::case::NewCase::parse(&input, today())?;
    state.store.update_case(&u.actor, id, version, &new).await?;
    Ok(Json(state.store.case(&u.actor, id).await?.into()))
}

#[derive(Serialize, ToSchema)]
pub struct PicklistOut {
    list: String,
    code: String,
    /// The HTCDS v2.0 value this code maps to (empty when HTCDS has none).
    htcds: String,
    label_id: String,
    label_en: String,
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

#[derive(Deserialize, Serialize, ToSchema, Default)]
#[serde(default)]
pub struct RouteEventIn {
    /// recruitment, departure, transit, exploitation, detection, return
    kind: String,
    /// An Indonesian region code, or leave empty and give a country.
    region_code: String,
    /// ISO 3166 alpha-3 (see the `country` picklist).
    country: String,
    city: String,
    date_from: String,
    date_to: String,
}

#[derive(Deserialize, Serialize, ToSchema, Default)]
#[serde(default)]
pub struct LegalIn {
    police_report_no: String,
    police_unit: String,
    /// e.g. "2, 4, 10"
    articles: String,
    sentence_months: String,
    /// Rupiah, digits with or without thousands dots.
    restitution_ordered: String,
}

#[derive(Deserialize, Serialize, ToSchema, Default)]
#[serde(default)]
pub struct StageIn {
    stage: String,
    /// YYYY-MM-DD
    happened: String,
}

#[utoipa::path(post, path = "/api/v1/cases/{id}/route-events", tag = "cases", params(("id" = i64, Path)), request_body = RouteEventIn,
    responses((status = 200, body = CaseOut), (status = 404), (status = 422)), security(("bearer" = [])))]
async fn add_route_event(
    State(state): State<AppState>,
    u: ApiUser,
    Path(id): Path<String>,
    JsonBody(b): JsonBody<RouteEventIn>,
) -> Result<Json<CaseOut>, WebError> {
    let id = store::CaseId(path_id(&id)?);
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
    let e = domain::case::NewRouteEvent::parse(&input, today())?;
    state.store.add_route_event(&u.actor, id, &e).await?;
    Ok(Json(state.store.case(&u.actor, id).await?.into()))
}

#[utoipa::path(put, path = "/api/v1/cases/{id}/legal", tag = "cases", params(("id" = i64, Path)), request_body = LegalIn,
    responses((status = 200, body = CaseOut), (status = 404), (status = 422)), security(("bearer" = [])))]
async fn put_legal(
    State(state): State<AppState>,
    u: ApiUser,
    Path(id): Path<String>,
    JsonBody(b): JsonBody<LegalIn>,
) -> Result<Json<CaseOut>, WebError> {
    let id = store::CaseId(path_id(&id)?);
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
    Path(id): Path<String>,
    JsonBody(b): JsonBody<StageIn>,
) -> Result<Json<CaseOut>, WebError> {
    let id = store::CaseId(path_id(&id)?);
    state
        .store
        .case_access(&u.actor, id, domain::Action::EditCase)
        .await?;
    state
        .store
        .add_legal_stage(
            &u.actor,
            id,
            b.stage.trim(),
            domain::case::parse_day(&b.happened),
            today(),
        )
        .await?;
    Ok(Json(state.store.case(&u.actor, id).await?.into()))
}

impl From<store::PerpetratorLink> for PerpetratorLinkOut {
    fn from(p: store::PerpetratorLink) -> Self {
        PerpetratorLinkOut {
            perpetrator_id: p.perpetrator_id,
            kind: p.kind,
            initials: p.initials,
            name: p.name,
            role: p.role,
        }
    }
}

#[derive(Deserialize, Serialize, ToSchema, Default)]
#[serde(default)]
pub struct StatusIn {
    /// open or closed
    status: String,
    /// Required to close: recovered, referred, not_trafficking, duplicate, other
    close_reason: String,
}

#[utoipa::path(post, path = "/api/v1/cases/{id}/status", tag = "cases", params(("id" = i64, Path)), request_body = StatusIn,
    responses((status = 200, body = CaseOut), (status = 404), (status = 422)), security(("bearer" = [])))]
async fn set_status(
    State(state): State<AppState>,
    u: ApiUser,
    Path(id): Path<String>,
    JsonBody(b): JsonBody<StatusIn>,
) -> Result<Json<CaseOut>, WebError> {
    let id = store::CaseId(path_id(&id)?);
    state
        .store
        .set_case_status(
            &u.actor,
            id,
            b.status.trim(),
            Some(b.close_reason.as_str()),
            today(),
        )
        .await?;
    Ok(Json(state.store.case(&u.actor, id).await?.into()))
}

#[derive(Deserialize, Serialize, ToSchema, Default)]
#[serde(default)]
pub struct ConsentIn {
    victim_id: i64,
    scope: String,
    given_by: String,
    /// YYYY-MM-DD
    given_on: String,
}

#[utoipa::path(post, path = "/api/v1/cases/{id}/consents", tag = "cases", params(("id" = i64, Path)), request_body = ConsentIn,
    responses((status = 200, body = CaseOut), (status = 404), (status = 422)), security(("bearer" = [])))]
async fn add_consent(
    State(state): State<AppState>,
    u: ApiUser,
    Path(id): Path<String>,
    JsonBody(b): JsonBody<ConsentIn>,
) -> Result<Json<CaseOut>, WebError> {
    let id = store::CaseId(path_id(&id)?);
    state
        .store
        .case_access(&u.actor, id, domain::Action::EditCase)
        .await?;
    let c = store::NewConsent {
        victim_id: b.victim_id,
        scope: b.scope,
        given_by: b.given_by,
        given_on: domain::case::parse_day(&b.given_on),
    };
    state.store.add_consent(&u.actor, id, &c, today()).await?;
    Ok(Json(state.store.case(&u.actor, id).await?.into()))
}

#[derive(Deserialize, Serialize, ToSchema, Default)]
#[serde(default)]
pub struct PerpetratorIn {
    /// Link this existing perpetrator (find them with GET /api/v1/perpetrators) …
    perpetrator_id: Option<i64>,
    /// … or record a new one: person or organisation
    kind: String,
    name: String,
    alias: String,
    nik: String,
    /// recruiter, broker, p3mi, transporter, harbourer, employer, financier, official, other
    role: String,
}

#[utoipa::path(post, path = "/api/v1/cases/{id}/perpetrators", tag = "cases", params(("id" = i64, Path)), request_body = PerpetratorIn,
    responses((status = 200, body = CaseOut), (status = 404), (status = 422)), security(("bearer" = [])))]
async fn add_perpetrator(
    State(state): State<AppState>,
    u: ApiUser,
    Path(id): Path<String>,
    JsonBody(b): JsonBody<PerpetratorIn>,
) -> Result<Json<CaseOut>, WebError> {
    let id = store::CaseId(path_id(&id)?);
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

#[derive(Deserialize, IntoParams, Default)]
#[into_params(parameter_in = Query)]
#[serde(default)]
pub struct PerpetratorQuery {
    /// Name words (all must match).
    name: String,
    /// Or an exact NIK.
    nik: String,
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

#[derive(Serialize, ToSchema)]
pub struct PerpetratorCaseOut {
    case_id: i64,
    code: String,
    reported_on: String,
    role: String,
}

#[derive(Serialize, ToSchema)]
pub struct PerpetratorOut {
    id: i64,
    kind: String,
    initials: String,
    name: Option<String>,
    alias: Option<String>,
    nik: Option<String>,
    /// The cases in the caller's scope.
    cases: Vec<PerpetratorCaseOut>,
}

#[utoipa::path(get, path = "/api/v1/perpetrators/{id}", tag = "cases", params(("id" = i64, Path)),
    responses((status = 200, body = PerpetratorOut), (status = 404)), security(("bearer" = [])))]
async fn get_perpetrator(
    State(state): State<AppState>,
    u: ApiUser,
    Path(id): Path<String>,
) -> Result<Json<PerpetratorOut>, WebError> {
    let p = state.store.perpetrator(&u.actor, path_id(&id)?).await?;
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
                reported_on: domain::case::format_day(c.reported_on),
                role: c.role,
            })
            .collect(),
    }))
}
