//! The unit directory, and creating/editing units (admins, within their region).

use crate::http::context::User;
use crate::http::error::WebError;
use crate::http::extract::{FormBody, IdPath};
use crate::http::page::{Errors, Page, render};
use crate::shared::forms::finish;
use crate::shared::region_field::{self, RegionChoices};
use crate::{AppState, Routes};
use askama::Template;
use axum::extract::{Query, State};
use axum::response::{Html, Response};
use axum::routing::get;
use domain::unit::{NewUnit, UnitContact, UnitKind};
use domain::{Action, RegionCode, UnitId};
use serde::Deserialize;
use store::{StoreError, Unit};

pub(crate) fn routes(r: Routes) -> Routes {
    r.add("/units", &["GET", "POST"], get(index).post(create))
        .add("/units/new", &["GET"], get(new_form))
        .add("/units/{id}", &["GET", "POST"], get(show).post(update))
        .add("/units/{id}/edit", &["GET"], get(edit_form))
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct ListQuery {
    q: String,
    region: String,
    page: i64,
    ok: Option<String>,
}

/// Units per page of the directory.
const PER_PAGE: i64 = 50;

#[derive(Template)]
#[template(path = "units/units.html")]
struct UnitsPage {
    page: Page,
    units: Vec<Unit>,
    q: String,
    region: String,
    can_manage: bool,
    total: i64,
    pages: Vec<crate::shared::pager::PageLink>,
}

async fn index(
    State(state): State<AppState>,
    user: User,
    Query(q): Query<ListQuery>,
) -> Result<Html<String>, WebError> {
    let actor = user.actor();
    // A region typed as a name means the one place of that name; one that names none (or
    // several) is an error naming the filter, never silently dropped.
    let mut typed = q.region.clone();
    let mut errs = domain::Invalid::default();
    let mut choices = RegionChoices::default();
    region_field::resolve(
        &state,
        actor,
        "region",
        &mut typed,
        None,
        &mut errs,
        &mut choices,
    )
    .await?;
    if !errs.is_empty() {
        return Err(StoreError::Invalid(errs).into());
    }
    let region =
        match typed.trim() {
            "" => None,
            t => Some(RegionCode::parse(t).map_err(|_| {
                StoreError::Invalid(domain::Invalid::one("region", "err.region_code"))
            })?),
        };
    let page_no = q.page.max(0);
    let (units, total) = state
        .store
        .find_units(actor, region.as_ref(), &q.q, page_no, PER_PAGE)
        .await?;
    let page = Page::from_ctx(&user.ctx, "units.title").with_flash(q.ok.as_deref());
    let can_manage = domain::authz::role_may(actor.role, Action::ManageUnit);
    let enc = crate::http::util::url_encode;
    let pages = crate::shared::pager::links(page_no, PER_PAGE, total, |n| {
        format!("/units?q={}&region={}&page={n}", enc(&q.q), enc(&q.region))
    });
    render(&UnitsPage {
        page,
        units,
        q: q.q,
        region: q.region,
        can_manage,
        total,
        pages,
    })
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub(crate) struct UnitForm {
    pub name: String,
    pub kind: String,
    pub region_code: String,
    pub address: String,
    pub phone: String,
    pub email: String,
    pub contact_person: String,
}

impl UnitForm {
    /// The unit as typed, every field's problem at once.
    pub(crate) fn parse(&self) -> Result<NewUnit, domain::Invalid> {
        let unit = NewUnit::parse(&self.name, &self.kind, &self.region_code);
        let contact = UnitContact::parse(
            &self.address,
            &self.phone,
            &self.email,
            &self.contact_person,
        );
        match (unit, contact) {
            (Ok(u), Ok(c)) => Ok(u.with_contact(c)),
            (Err(mut a), Err(b)) => {
                a.0.extend(b.0);
                Err(a)
            }
            (Err(e), _) | (_, Err(e)) => Err(e),
        }
    }
}

#[derive(Template)]
#[template(path = "units/unit_form.html")]
struct UnitFormPage {
    page: Page,
    form: UnitForm,
    errs: Errors,
    action: String,
    kinds: Vec<&'static str>,
    choices: RegionChoices,
}

fn form_page(
    user: &User,
    form: UnitForm,
    errs: Errors,
    action: String,
) -> Result<Html<String>, WebError> {
    form_page_with(user, form, errs, action, RegionChoices::default())
}

/// [`form_page`] with the places offered under a region typed as a shared name.
fn form_page_with(
    user: &User,
    form: UnitForm,
    errs: Errors,
    action: String,
    choices: RegionChoices,
) -> Result<Html<String>, WebError> {
    let title = if action == "/units" {
        "units.new"
    } else {
        "units.edit"
    };
    let page = Page::from_ctx(&user.ctx, title);
    let kinds = UnitKind::ALL.iter().map(|k| k.as_str()).collect();
    render(&UnitFormPage {
        page,
        form,
        errs,
        action,
        kinds,
        choices,
    })
}

fn require_manage(user: &User) -> Result<(), WebError> {
    if domain::authz::role_may(user.actor().role, Action::ManageUnit) {
        Ok(())
    } else {
        Err(WebError::Forbidden)
    }
}

async fn new_form(user: User) -> Result<Html<String>, WebError> {
    require_manage(&user)?;
    let region = user
        .actor()
        .scope
        .region()
        .map(|r| r.to_string())
        .unwrap_or_default();
    form_page(
        &user,
        UnitForm {
            kind: "task_force".into(),
            region_code: region,
            ..Default::default()
        },
        Errors::default(),
        "/units".into(),
    )
}

/// Saves through `op`; on invalid input re-renders the form with what was typed (422).
async fn save<F, Fut>(
    state: &AppState,
    user: &User,
    mut form: UnitForm,
    action: String,
    op: F,
) -> Result<Response, WebError>
where
    F: FnOnce(NewUnit) -> Fut,
    Fut: std::future::Future<Output = Result<UnitId, StoreError>>,
{
    // A region typed as a name becomes its code (or the places of that name are offered).
    let mut errs = domain::Invalid::default();
    let mut choices = RegionChoices::default();
    region_field::resolve(
        state,
        user.actor(),
        "region_code",
        &mut form.region_code,
        None,
        &mut errs,
        &mut choices,
    )
    .await?;
    let result = match form.parse() {
        Ok(n) if errs.is_empty() => op(n).await,
        Ok(_) => Err(StoreError::Invalid(errs)),
        Err(e) => {
            errs.0.extend(e.0);
            region_field::first_per_field(&mut errs);
            Err(StoreError::Invalid(errs))
        }
    };
    finish(
        result,
        |id| format!("/units/{id}?ok=unit_saved"),
        async |r| form_page_with(user, form, r.errors(user.ctx.locale), action, choices),
    )
    .await
}

async fn create(
    State(state): State<AppState>,
    user: User,
    FormBody(form): FormBody<UnitForm>,
) -> Result<Response, WebError> {
    require_manage(&user)?;
    let actor = user.actor().clone();
    let st = state.clone();
    save(&st, &user, form, "/units".into(), |n| async move {
        state.store.create_unit(&actor, &n).await
    })
    .await
}

#[derive(Template)]
#[template(path = "units/unit.html")]
struct UnitPage {
    page: Page,
    unit: Unit,
    can_manage: bool,
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct OkQuery {
    ok: Option<String>,
}

async fn show(
    State(state): State<AppState>,
    user: User,
    IdPath(id): IdPath<UnitId>,
    Query(q): Query<OkQuery>,
) -> Result<Html<String>, WebError> {
    let unit = state.store.unit(user.actor(), id).await?;
    let can_manage = domain::decide(user.actor(), Action::ManageUnit, &unit.scope()).is_ok();
    let mut page = Page::from_ctx(&user.ctx, "").with_flash(q.ok.as_deref());
    page.title = unit.name.clone();
    render(&UnitPage {
        page,
        unit,
        can_manage,
    })
}

async fn edit_form(
    State(state): State<AppState>,
    user: User,
    IdPath(id): IdPath<UnitId>,
) -> Result<Html<String>, WebError> {
    let unit = state.store.unit(user.actor(), id).await?;
    domain::decide(user.actor(), Action::ManageUnit, &unit.scope()).map_err(StoreError::from)?;
    let c = unit.contact;
    let form = UnitForm {
        name: unit.name,
        kind: unit.kind,
        region_code: unit.region_code.unwrap_or_default(),
        address: c.address.unwrap_or_default(),
        phone: c.phone.unwrap_or_default(),
        email: c.email.unwrap_or_default(),
        contact_person: c.contact_person.unwrap_or_default(),
    };
    form_page(&user, form, Errors::default(), format!("/units/{id}"))
}

async fn update(
    State(state): State<AppState>,
    user: User,
    IdPath(id): IdPath<UnitId>,
    FormBody(form): FormBody<UnitForm>,
) -> Result<Response, WebError> {
    let actor = user.actor().clone();
    // Check visibility before showing any form errors.
    let unit = state.store.unit(&actor, id).await?;
    domain::decide(&actor, Action::ManageUnit, &unit.scope()).map_err(StoreError::from)?;
    let st = state.clone();
    save(&st, &user, form, format!("/units/{id}"), |n| async move {
        state.store.update_unit(&actor, id, &n).await.map(|_| id)
    })
    .await
}
