//! Account administration (admins, within their region subtree).

use crate::http::context::User;
use crate::http::error::WebError;
use crate::http::extract::{FormBody, IdPath};
use crate::http::page::{Errors, Page, render};
use crate::shared::forms::finish;
use crate::{AppState, Routes};
use askama::Template;
use axum::extract::{Query, State};
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

#[derive(Deserialize, Default)]
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
    FormBody(form): FormBody<UserForm>,
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
    finish(
        result,
        |id| format!("/users/{id}?ok=user_created"),
        async |r| {
            // Keep what was typed, except the password.
            let form = UserForm {
                password: String::new(),
                ..form
            };
            form_page(&state, &user, form, r.errors(user.ctx.locale)).await
        },
    )
    .await
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
    IdPath(id): IdPath<UserId>,
    Query(q): Query<OkQuery>,
) -> Result<Html<String>, WebError> {
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
    IdPath(id): IdPath<UserId>,
    FormBody(f): FormBody<PasswordForm>,
) -> Result<Response, WebError> {
    let r = state
        .store
        .reset_password(user.actor(), id, &f.password)
        .await;
    finish(
        r,
        |()| format!("/users/{id}?ok=password_reset"),
        async |r| {
            let u = state.store.user(user.actor(), id).await?;
            let mut page = Page::from_ctx(&user.ctx, "");
            page.title = u.username.clone();
            let is_self = user.actor().user_id == Some(id);
            render(&UserPage {
                page,
                u,
                errs: r.errors(user.ctx.locale),
                is_self,
            })
        },
    )
    .await
}

async fn set_disabled(
    state: AppState,
    user: User,
    id: UserId,
    disabled: bool,
) -> Result<Response, WebError> {
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
    IdPath(id): IdPath<UserId>,
) -> Result<Response, WebError> {
    set_disabled(state, user, id, true).await
}

async fn enable(
    State(state): State<AppState>,
    user: User,
    IdPath(id): IdPath<UserId>,
) -> Result<Response, WebError> {
    set_disabled(state, user, id, false).await
}
