//! Overviews across plans: "my tasks" (services and referrals waiting on my unit) and
//! restitution and compensation per region.

use crate::http::context::User;
use crate::http::error::WebError;
use crate::http::format::{Num, rupiah};
use crate::http::page::{Page, render};
use crate::shared::forms::ListQuery;
use crate::shared::services::service_label;
use crate::shared::today;
use crate::{AppState, Routes};
use askama::Template;
use axum::extract::{Query, State};
use axum::response::Html;
use axum::routing::get;

pub(crate) fn routes(r: Routes) -> Routes {
    r.add("/tasks", &["GET"], get(tasks_page))
        .add("/restitution", &["GET"], get(restitution_page))
}

#[derive(Template)]
#[template(path = "recovery/tasks.html")]
struct TasksPage {
    page: Page,
    t: store::TasksView,
    types: Vec<store::ServiceType>,
    unread: i64,
}

impl TasksPage {
    fn svc(&self, code: &str) -> String {
        service_label(&self.types, code, self.page.locale.code())
    }
    fn day(&self, d: impl Num) -> String {
        crate::http::format::fmt_day(&d.num())
    }
    fn pages(&self) -> i64 {
        ((self.t.services_total + self.t.per_page - 1) / self.t.per_page).max(1)
    }
}

async fn tasks_page(
    State(state): State<AppState>,
    user: User,
    Query(q): Query<ListQuery>,
) -> Result<Html<String>, WebError> {
    let t = state
        .store
        .my_tasks(user.actor(), today(&state.store, user.actor()), q.page)
        .await?;
    let unread = state.store.unread_notifications(user.actor()).await?;
    render(&TasksPage {
        page: Page::from_ctx(&user.ctx, "tasks.title"),
        t,
        types: state.store.service_types().await?,
        unread,
    })
}

#[derive(Template)]
#[template(path = "recovery/restitution.html")]
struct RestitutionPage {
    page: Page,
    rows: Vec<store::LedgerTotalRow>,
    total_rest: domain::recovery::LedgerSums,
    total_comp: domain::recovery::LedgerSums,
    gap_rest: i64,
    gap_comp: i64,
}

impl RestitutionPage {
    fn rp(&self, v: impl Num) -> String {
        rupiah(&v.num())
    }
    fn pct(&self, s: &domain::recovery::LedgerSums) -> String {
        if s.awarded == 0 {
            "—".into()
        } else {
            format!("{:.0}%", s.paid as f64 * 100.0 / s.awarded as f64)
        }
    }
}

async fn restitution_page(
    State(state): State<AppState>,
    user: User,
) -> Result<Html<String>, WebError> {
    let rows = state
        .store
        .ledger_totals(user.actor(), today(&state.store, user.actor()))
        .await?;
    let mut total_rest = domain::recovery::LedgerSums::default();
    let mut total_comp = domain::recovery::LedgerSums::default();
    let (mut gap_rest, mut gap_comp) = (0i64, 0i64);
    for r in &rows {
        total_rest.add(&r.restitution);
        total_comp.add(&r.compensation);
        gap_rest = gap_rest.saturating_add(r.restitution_gap);
        gap_comp = gap_comp.saturating_add(r.compensation_gap);
    }
    render(&RestitutionPage {
        page: Page::from_ctx(&user.ctx, "restitution.title"),
        rows,
        total_rest,
        total_comp,
        gap_rest,
        gap_comp,
    })
}
