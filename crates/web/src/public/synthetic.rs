//! Differentially private synthetic records on the open-data pages: each release with its
//! ε, δ and ρ, the instance's privacy ledger, the utility report computed from protected
//! outputs, and the records as CSV; and the national administrators' page that makes a
//! release within the budget (`/admin/data-sintetis`).

use super::pages::cacheable;
use crate::AppState;
use crate::http::context::{Ctx, User};
use crate::http::error::WebError;
use crate::http::extract::FormBody;
use crate::http::page::{Errors, Page, render};
use crate::shared::forms::{Refusal, finish};
use askama::Template;
use axum::extract::{Path, Query, State};
use axum::http::header;
use axum::response::{Html, IntoResponse, Response};
use domain::{Action, Scope};
use serde::Deserialize;
use store::publish::synthetic::{DEFAULT_EPSILON, Ledger, SyntheticRelease};

/// ε and friends as the pages show them.
pub(crate) fn num(v: &f64, digits: usize) -> String {
    format!("{v:.digits$}")
}

#[derive(Template)]
#[template(path = "public/synthetic.html")]
struct ReleasePage {
    page: Page,
    r: SyntheticRelease,
    ledger: Ledger,
}

impl ReleasePage {
    fn f(&self, v: impl std::borrow::Borrow<f64>, digits: usize) -> String {
        num(v.borrow(), digits)
    }
    fn pct(&self, v: impl std::borrow::Borrow<f64>) -> String {
        format!("{:.1} %", v.borrow() * 100.0)
    }
    fn sigmas(&self) -> String {
        self.r.params["sigmas"]
            .as_array()
            .map(|a| {
                a.iter()
                    .filter_map(|v| v.as_f64())
                    .map(|v| format!("{v:.1}"))
                    .collect::<Vec<_>>()
                    .join(" · ")
            })
            .unwrap_or_default()
    }
    fn columns(&self) -> String {
        self.r
            .csv
            .lines()
            .next()
            .unwrap_or_default()
            .replace(',', ", ")
    }
}

fn release_id(id: &str) -> Result<i64, WebError> {
    domain::value::id::parse(id).ok_or(WebError::NotFound)
}

/// `/data/sintetis/{id}`: the release, its privacy loss and its utility report.
pub(crate) async fn release(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<String>,
) -> Result<Response, WebError> {
    let r = state.store.synthetic_release(release_id(&id)?).await?;
    let ledger = state
        .store
        .synthetic_ledger(state.config.dp_budget_epsilon)
        .await?;
    Ok(cacheable(
        render(&ReleasePage {
            page: Page::from_ctx(&ctx, "synthetic.title"),
            r,
            ledger,
        })?
        .into_response(),
    ))
}

/// `/data/sintetis/{id}/csv`: the synthetic records.
pub(crate) async fn release_csv(
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> Result<Response, WebError> {
    let id = release_id(&id)?;
    let r = state.store.synthetic_release(id).await?;
    Ok(cacheable(
        (
            [
                (header::CONTENT_TYPE, "text/csv; charset=utf-8".to_owned()),
                (
                    header::CONTENT_DISPOSITION,
                    format!("attachment; filename=\"gugus-sintetis-{id}.csv\""),
                ),
            ],
            r.csv,
        )
            .into_response(),
    ))
}

#[derive(Template)]
#[template(path = "admin/synthetic.html")]
struct AdminPage {
    page: Page,
    ledger: Ledger,
    errs: Errors,
    epsilon: String,
}

impl AdminPage {
    fn f(&self, v: impl std::borrow::Borrow<f64>, digits: usize) -> String {
        num(v.borrow(), digits)
    }
}

fn check(user: &User) -> Result<(), WebError> {
    domain::decide(user.actor(), Action::ManageSettings, &Scope::National)
        .map_err(|d| store::StoreError::from(d).into())
}

async fn admin_page(
    state: &AppState,
    user: &User,
    errs: Errors,
    epsilon: String,
) -> Result<Html<String>, WebError> {
    let ledger = state
        .store
        .synthetic_ledger(state.config.dp_budget_epsilon)
        .await?;
    render(&AdminPage {
        page: Page::from_ctx(&user.ctx, "synthetic.admin_title"),
        ledger,
        errs,
        epsilon,
    })
}

pub(crate) async fn admin_show(
    State(state): State<AppState>,
    user: User,
    Query(_): Query<EpsilonForm>,
) -> Result<Response, WebError> {
    check(&user)?;
    Ok(
        admin_page(&state, &user, Errors::default(), num(&DEFAULT_EPSILON, 1))
            .await?
            .into_response(),
    )
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub(crate) struct EpsilonForm {
    epsilon: String,
}

pub(crate) async fn admin_release(
    State(state): State<AppState>,
    user: User,
    FormBody(f): FormBody<EpsilonForm>,
) -> Result<Response, WebError> {
    check(&user)?;
    let result = match domain::value::decimal::decimal("epsilon", &f.epsilon) {
        Ok(eps) => {
            state
                .store
                .release_synthetic(user.actor(), eps, state.config.dp_budget_epsilon)
                .await
        }
        Err(e) => Err(store::StoreError::Invalid(domain::Invalid(vec![e]))),
    };
    finish(
        result,
        |id| format!("/data/sintetis/{id}"),
        async |refusal: Refusal| {
            admin_page(
                &state,
                &user,
                refusal.errors(user.ctx.locale),
                f.epsilon.clone(),
            )
            .await
        },
    )
    .await
}
