//! Account administration (admins, within their region subtree).

use crate::http::context::User;
use crate::http::error::WebError;
use crate::http::extract::parse_id;
use crate::http::page::{Errors, Page, render};
use crate::{AppState, Routes};
use askama::Template;
use axum::Form;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use domain::user::NewUser;
use domain::{Role, UserId};
use serde::Deserialize;
use store::{StoreError, Unit, UserRow};

pub(crate) fn routes(r: Routes) -> Routes {
    r.add("/users", &["GET", "POST"], get(index).post(create))
        .add("/users/new", &["GET"], get(new_form))
        .add("/users/{id}", &["GET"], get(show))
        .add("/users/{id}/password", &["POST"], post(reset_password))
        .add("/users/{id}/disable", &["POST"], post(disable))
        .add("/users/{id}/enable", &["POST"], post(enable))
}

#[derive(Template)]
#[template(path = "accounts/users.html")]
struct UsersPage {
    page: Page,
    users: Vec<UserRow>,
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct OkQuery {
    ok: Option<String>,
}

async fn index(
    State(state): State<AppState>,
    user: User,
    Query(q): Query<OkQuery>,
) -> Result<Html<String>, WebError> {
    let users = state.store.list_users(user.actor()).await?;
    let page = Page::from_ctx(&user.ctx, "users.title").with_flash(q.ok.as_deref());
    render(&UsersPage { page, users })
}

#[derive(Deserialize, Default, Clone)]
#[serde(default)]
struct UserForm {
    username: String,
    full_name: String,
    email: String,
    unit_id: String,
    role: String,
    password: String,
}

#[derive(Template)]
#[template(path = "accounts/user_form.html")]
struct UserFormPage {
    page: Page,
    form: UserForm,
    errs: Errors,
    units: Vec<Unit>,
    roles: Vec<Role>,
}

async fn form_page(
    state: &AppState,
    user: &User,
    form: UserForm,
    errs: Errors,
) -> Result<Html<String>, WebError> {
    let actor = user.actor();
    // Only units the admin may add accounts to.
    let within = actor.scope.region().cloned();
    let mut units = state.store.list_units(actor, within.as_ref(), "").await?;
    units.retain(|u| domain::decide(actor, domain::Action::ManageUser, &u.scope()).is_ok());
    let page = Page::from_ctx(&user.ctx, "users.new");
    render(&UserFormPage {
        page,
        form,
        errs,
        units,
        roles: Role::ALL.to_vec(),
    })
}

async fn new_form(State(state): State<AppState>, user: User) -> Result<Html<String>, WebError> {
    if !domain::authz::role_may(user.actor().role, domain::Action::ManageUser) {
        return Err(WebError::Forbidden);
    }
    let form = UserForm {
        unit_id: user.actor().unit_id.to_string(),
        role: "data_officer".into(),
        ..Default::default()
    };
    form_page(&state, &user, form, Errors::default()).await
}

async fn create(
    State(state): State<AppState>,
    user: User,
    Form(form): Form<UserForm>,
) -> Result<Response, WebError> {
    if !domain::authz::role_may(user.actor().role, domain::Action::ManageUser) {
        return Err(WebError::Forbidden);
    }
    let parsed = NewUser::parse(
        &form.username,
        &form.full_name,
        &form.email,
        &form.unit_id,
        &form.role,
        &form.password,
    );
    let result = match parsed {
        Ok(n) => state.store.create_user(user.actor(), &n).await,
        Err(e) => Err(StoreError::Invalid(e)),
    };
    match result {
        Ok(id) => Ok(Redirect::to(&format!("/users/{id}?ok=saved")).into_response()),
        Err(StoreError::Invalid(e)) => {
            let errs = Errors::new(user.ctx.locale, &e.0);
            // Keep what was typed, except the password.
            let form = UserForm {
                password: String::new(),
                ..form
            };
            Ok((
                StatusCode::UNPROCESSABLE_ENTITY,
                form_page(&state, &user, form, errs).await?,
            )
                .into_response())
        }
        Err(e) => Err(e.into()),
    }
}

#[derive(Template)]
#[template(path = "accounts/user.html")]
struct UserPage {
    page: Page,
    u: UserRow,
    errs: Errors,
    is_self: bool,
}

async fn show(
    State(state): State<AppState>,
    user: User,
    Path(id): Path<String>,
    Query(q): Query<OkQuery>,
) -> Result<Html<String>, WebError> {
    let id = UserId(parse_id(&id)?);
    let u = state.store.user(user.actor(), id).await?;
    let mut page = Page::from_ctx(&user.ctx, "").with_flash(q.ok.as_deref());
    page.title = u.username.clone();
    let is_self = user.actor().user_id == Some(id);
    render(&UserPage {
        page,
        u,
        errs: Errors::default(),
        is_self,
    })
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct PasswordForm {
    password: String,
}

async fn reset_password(
    State(state): State<AppState>,
    user: User,
    Path(id): Path<String>,
    Form(f): Form<PasswordForm>,
) -> Result<Response, WebError> {
    let id = UserId(parse_id(&id)?);
    match state
        .store
        .reset_password(user.actor(), id, &f.password)
        .await
    {
        Ok(()) => Ok(Redirect::to(&format!("/users/{id}?ok=password_reset")).into_response()),
        Err(StoreError::Invalid(e)) => {
            let u = state.store.user(user.actor(), id).await?;
            let mut page = Page::from_ctx(&user.ctx, "");
            page.title = u.username.clone();
            let errs = Errors::new(user.ctx.locale, &e.0);
            let is_self = user.actor().user_id == Some(id);
            Ok((
                StatusCode::UNPROCESSABLE_ENTITY,
                render(&UserPage {
                    page,
                    u,
                    errs,
                    is_self,
                })?,
            )
                .into_response())
        }
        Err(e) => Err(e.into()),
    }
}

async fn set_disabled(
    state: AppState,
    user: User,
    id: String,
    disabled: bool,
) -> Result<Response, WebError> {
    let id = UserId(parse_id(&id)?);
    state
        .store
        .set_user_disabled(user.actor(), id, disabled)
        .await?;
    let ok = if disabled { "disabled" } else { "enabled" };
    Ok(Redirect::to(&format!("/users/{id}?ok={ok}")).into_response())
}

async fn disable(
    State(state): State<AppState>,
    user: User,
    Path(id): Path<String>,
) -> Result<Response, WebError> {
    set_disabled(state, user, id, true).await
}

async fn enable(
    State(state): State<AppState>,
    user: User,
    Path(id): Path<String>,
) -> Result<Response, WebError> {
    set_disabled(state, user, id, false).await
}
