//! Account administration (admins, within their region subtree).

use crate::http::context::User;
use crate::http::error::WebError;
use crate::http::extract::{FormBody, IdPath};
use crate::http::page::{Errors, Page, render};
use crate::shared::forms::finish;
use crate::shared::pager::{self, PageLink};
use crate::{AppState, Routes};
use askama::Template;
use axum::extract::{Query, State};
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use domain::user::NewUser;
use domain::{Role, UserId};
use serde::Deserialize;
use store::{StoreError, Unit, UserFilter, UserOnly, UserRow};

pub(crate) fn routes(r: Routes) -> Routes {
    r.add("/users", &["GET", "POST"], get(index).post(create))
        .add("/users/new", &["GET"], get(new_form))
        .add("/users/{id}", &["GET"], get(show))
        .add("/users/{id}/password", &["POST"], post(reset_password))
        .add("/users/{id}/disable", &["POST"], post(disable))
        .add("/users/{id}/enable", &["POST"], post(enable))
        .add("/users/{id}/access", &["POST"], post(change_access))
}

#[derive(Template)]
#[template(path = "accounts/users.html")]
struct UsersPage {
    page: Page,
    users: Vec<UserRow>,
    q: ListQuery,
    total: i64,
    pages: Vec<PageLink>,
    roles: Vec<Role>,
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct OkQuery {
    ok: Option<String>,
}

/// The user list's search: part of a name, a role, a state (`locked`, `no_totp`,
/// `disabled`), a page.
#[derive(Deserialize, Default, Clone)]
#[serde(default)]
pub(crate) struct ListQuery {
    pub q: String,
    pub role: String,
    pub only: String,
    pub page: i64,
    pub ok: Option<String>,
}

impl ListQuery {
    /// The store's filter; a role or state that cannot be read is an error naming it.
    pub(crate) fn filter(&self, per_page: i64) -> Result<UserFilter, domain::Invalid> {
        let mut errs = domain::Invalid::default();
        let role = match self.role.trim() {
            "" => None,
            r => {
                let parsed = Role::parse(r);
                if parsed.is_none() {
                    errs.push("role", "err.choice");
                }
                parsed
            }
        };
        let only = UserOnly::parse(self.only.trim());
        if only.is_none() {
            errs.push("only", "err.choice");
        }
        // A name fragment: one line, at most a name's length.
        let q = errs
            .take(domain::value::text::optional(
                "q",
                &self.q,
                domain::value::text::NAME,
                domain::value::text::Lines::One,
            ))
            .flatten()
            .unwrap_or_default();
        errs.into_result(())?;
        Ok(UserFilter {
            q,
            role,
            only: only.unwrap_or_default(),
            page: self.page.max(0),
            per_page,
        })
    }

    fn href(&self, page: i64) -> String {
        let enc = crate::http::util::url_encode;
        format!(
            "/users?q={}&role={}&only={}&page={page}",
            enc(&self.q),
            enc(&self.role),
            enc(&self.only)
        )
    }
}

const USERS_PER_PAGE: i64 = 50;

async fn index(
    State(state): State<AppState>,
    user: User,
    Query(q): Query<ListQuery>,
) -> Result<Html<String>, WebError> {
    let found = state
        .store
        .find_users(user.actor(), &q.filter(USERS_PER_PAGE)?)
        .await?;
    let page = Page::from_ctx(&user.ctx, "users.title").with_flash(q.ok.as_deref());
    let pages = pager::links(q.page, USERS_PER_PAGE, found.total, |n| q.href(n));
    render(&UsersPage {
        page,
        users: found.rows,
        q,
        total: found.total,
        pages,
        roles: Role::ALL.to_vec(),
    })
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
    /// The password form's errors.
    errs: Errors,
    is_self: bool,
    /// The role-and-unit form: the units it offers, what it shows, its errors.
    units: Vec<Unit>,
    roles: Vec<Role>,
    access: AccessForm,
    access_errs: Errors,
}

#[derive(Deserialize, serde::Serialize, Default, Clone)]
#[serde(default)]
struct AccessForm {
    unit_id: String,
    role: String,
}

/// The user page, with the password form's and the access form's state.
async fn user_view(
    state: &AppState,
    user: &User,
    id: UserId,
    ok: Option<&str>,
    errs: Errors,
    access: Option<(AccessForm, Errors)>,
) -> Result<Html<String>, WebError> {
    let actor = user.actor();
    let u = state.store.user(actor, id).await?;
    let mut page = Page::from_ctx(&user.ctx, "").with_flash(ok);
    page.title = u.username.clone();
    let is_self = actor.user_id == Some(id);
    let within = actor.scope.region().cloned();
    let mut units = state.store.list_units(actor, within.as_ref(), "").await?;
    units.retain(|n| domain::decide(actor, domain::Action::ManageUser, &n.scope()).is_ok());
    let (access, access_errs) = access.unwrap_or_else(|| {
        (
            AccessForm {
                unit_id: u.unit_id.to_string(),
                role: u.role.as_str().to_owned(),
            },
            Errors::default(),
        )
    });
    render(&UserPage {
        page,
        u,
        errs,
        is_self,
        units,
        roles: Role::ALL.to_vec(),
        access,
        access_errs,
    })
}

async fn show(
    State(state): State<AppState>,
    user: User,
    IdPath(id): IdPath<UserId>,
    Query(q): Query<OkQuery>,
) -> Result<Html<String>, WebError> {
    user_view(&state, &user, id, q.ok.as_deref(), Errors::default(), None).await
}

/// Gives an account another role and/or unit: its sessions end, its tokens are revoked.
async fn change_access(
    State(state): State<AppState>,
    user: User,
    IdPath(id): IdPath<UserId>,
    FormBody(f): FormBody<AccessForm>,
) -> Result<Response, WebError> {
    let r = state
        .store
        .change_user_access(user.actor(), id, &f.unit_id, &f.role)
        .await;
    finish(
        r,
        |()| format!("/users/{id}?ok=user_access_changed"),
        async |r| {
            let locale = user.ctx.locale;
            let errs = r.errors(locale).with_labels(|field| match field {
                "unit_id" => Some(locale.t("field.unit").to_owned()),
                "role" => Some(locale.t("field.role").to_owned()),
                _ => None,
            });
            user_view(&state, &user, id, None, Errors::default(), Some((f, errs))).await
        },
    )
    .await
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
        async |r| user_view(&state, &user, id, None, r.errors(user.ctx.locale), None).await,
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
