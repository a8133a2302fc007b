//! My account: password, two-factor login, API tokens.

use crate::http::context::{EnrollingUser, User};
use crate::http::error::WebError;
use crate::http::extract::{FormBody, IdPath};
use crate::http::page::{Errors, Page, render};
use crate::shared::forms::finish;
use crate::{AppState, Routes};
use askama::Template;
use axum::extract::{Query, State};
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use domain::ids::TokenId;
use domain::token::TokenRequest;
use serde::Deserialize;
use store::{ApiToken, NewToken, UserRow};

pub(crate) fn routes(r: Routes) -> Routes {
    r.add("/account", &["GET"], get(show))
        .add("/account/password", &["POST"], post(change_password))
        .add(
            "/account/totp",
            &["GET", "POST"],
            get(totp_setup).post(totp_confirm),
        )
        .add("/account/totp/disable", &["POST"], post(totp_disable))
        .add("/account/tokens", &["POST"], post(create_token))
        .add("/account/tokens/{id}/revoke", &["POST"], post(revoke_token))
}

#[derive(Template)]
#[template(path = "accounts/account.html")]
struct AccountPage {
    page: Page,
    me: UserRow,
    tokens: Vec<ApiToken>,
    errs: Errors,
    /// The token just made: shown once, with its expiry.
    new_token: Option<NewToken>,
    require_totp: bool,
    /// The instance's token lifetime (the default and the most a token may have).
    token_days: i64,
    /// The new-token form as typed, shown again when it was refused.
    token_form: TokenForm,
}

impl AccountPage {
    fn new_secret(&self) -> &str {
        self.new_token
            .as_ref()
            .map(|t| t.secret.expose().as_str())
            .unwrap_or_default()
    }

    fn new_expiry(&self) -> String {
        match &self.new_token {
            Some(t) => self.page.locale.tf(
                "tokens.expires_on",
                &[&self.page.date(&t.expires_at_ms), &t.days.to_string()],
            ),
            None => String::new(),
        }
    }
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct OkQuery {
    ok: Option<String>,
}

async fn account_page(
    state: &AppState,
    user: &User,
    errs: Errors,
    new_token: Option<NewToken>,
    ok: Option<&str>,
    token_form: TokenForm,
) -> Result<Html<String>, WebError> {
    let actor = user.actor();
    let me = state.store.me(actor).await?;
    let tokens = state.store.list_tokens(actor).await?;
    let require_totp = actor.role.sees_identities() && state.store.require_totp().await?;
    let page = Page::from_ctx(&user.ctx, "account.title").with_flash(ok);
    render(&AccountPage {
        page,
        me,
        tokens,
        errs,
        new_token,
        require_totp,
        token_days: state.store.policy().token_days,
        token_form,
    })
}

async fn show(
    State(state): State<AppState>,
    user: User,
    Query(q): Query<OkQuery>,
) -> Result<Html<String>, WebError> {
    account_page(
        &state,
        &user,
        Errors::default(),
        None,
        q.ok.as_deref(),
        TokenForm::default(),
    )
    .await
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct PasswordForm {
    current_password: String,
    new_password: String,
    confirm_password: String,
}

async fn change_password(
    State(state): State<AppState>,
    user: User,
    FormBody(f): FormBody<PasswordForm>,
) -> Result<Response, WebError> {
    let r = state
        .store
        .change_own_password(
            user.actor(),
            &user.session.token,
            &f.current_password,
            &f.new_password,
            &f.confirm_password,
        )
        .await;
    finish(
        r,
        |()| "/account?ok=password_changed".to_owned(),
        async |r| {
            account_page(
                &state,
                &user,
                r.errors(user.ctx.locale),
                None,
                None,
                TokenForm::default(),
            )
            .await
        },
    )
    .await
}

#[derive(Template)]
#[template(path = "accounts/totp_setup.html")]
struct TotpSetupPage {
    page: Page,
    enabled: bool,
    required: bool,
    secret: String,
    uri: String,
    errs: Errors,
}

async fn totp_page(state: &AppState, user: &User, errs: Errors) -> Result<Html<String>, WebError> {
    let me = state.store.me(user.actor()).await?;
    let required = user.session.info.must_enroll_totp;
    let (secret, uri) = if me.totp_enabled {
        (String::new(), String::new())
    } else {
        let s = state.store.totp_begin(user.actor()).await?;
        (s.secret_base32, s.uri)
    };
    let page = Page::from_ctx(&user.ctx, "totp.title");
    render(&TotpSetupPage {
        page,
        enabled: me.totp_enabled,
        required,
        secret,
        uri,
        errs,
    })
}

async fn totp_setup(
    State(state): State<AppState>,
    EnrollingUser(user): EnrollingUser,
) -> Result<Html<String>, WebError> {
    totp_page(&state, &user, Errors::default()).await
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct CodeForm {
    code: String,
}

async fn totp_confirm(
    State(state): State<AppState>,
    EnrollingUser(user): EnrollingUser,
    FormBody(f): FormBody<CodeForm>,
) -> Result<Response, WebError> {
    let r = state
        .store
        .totp_confirm(user.actor(), &user.session.token, &f.code)
        .await;
    finish(
        r,
        |()| "/account?ok=totp_enabled".to_owned(),
        // A failed confirmation keeps the secret the user already scanned.
        async |r| totp_page(&state, &user, r.errors(user.ctx.locale)).await,
    )
    .await
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct DisableForm {
    password: String,
}

async fn totp_disable(
    State(state): State<AppState>,
    user: User,
    FormBody(f): FormBody<DisableForm>,
) -> Result<Response, WebError> {
    let r = state.store.totp_disable(user.actor(), &f.password).await;
    finish(
        r,
        |()| "/account?ok=totp_disabled".to_owned(),
        async |r| {
            account_page(
                &state,
                &user,
                r.errors(user.ctx.locale),
                None,
                None,
                TokenForm::default(),
            )
            .await
        },
    )
    .await
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct TokenForm {
    name: String,
    kind: String,
    days: String,
}

async fn create_token(
    State(state): State<AppState>,
    user: User,
    FormBody(f): FormBody<TokenForm>,
) -> Result<Response, WebError> {
    let max = state.store.policy().token_days;
    let made = match TokenRequest::parse(&f.name, &f.kind, &f.days, max) {
        Ok(req) => state.store.create_token_with(user.actor(), &req).await,
        Err(e) => Err(e.into()),
    };
    match made {
        // The secret is shown once, on this response, and never stored: no redirect here.
        Ok(t) => Ok(account_page(
            &state,
            &user,
            Errors::default(),
            Some(t),
            Some("token_created"),
            TokenForm::default(),
        )
        .await?
        .into_response()),
        // Refused: the form again as typed, its errors beside the fields.
        Err(e) => {
            finish(
                Err::<(), _>(e),
                |()| String::new(),
                async |r| {
                    account_page(&state, &user, r.errors(user.ctx.locale), None, None, f).await
                },
            )
            .await
        }
    }
}

async fn revoke_token(
    State(state): State<AppState>,
    user: User,
    IdPath(id): IdPath<i64>,
) -> Result<Response, WebError> {
    state.store.revoke_token(user.actor(), TokenId(id)).await?;
    Ok(Redirect::to("/account?ok=token_revoked").into_response())
}
